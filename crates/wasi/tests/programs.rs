//! C programs from `tests/programs/`, compiled with clang for wasm32-wasi against wasi-libc,
//! run under wexe with the context each needs; each program asserts its own results and
//! exits 0 (or the status the test expects).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use common::run::{assert_ok, run};

#[test]
fn hello_args_env_stdio_exit_status() {
    let o = run("hello", |b| {
        b.args(["hello", "first arg", "5"])
            .env("GREETING", "hi")
            .env("EMPTY", "");
        b.stdin_bytes("from the host");
    });
    assert_eq!(o.status, 5);
    assert_eq!(
        o.stdout,
        "argc=3\nargv[0]=hello\nargv[1]=first arg\nargv[2]=5\nenv GREETING=hi\nenv EMPTY=\n\
         HOME=(unset)\nstdin=[from the host]\n"
    );
    assert_eq!(o.stderr, "to stderr\n");
}

#[test]
fn hello_sees_nothing_by_default() {
    let o = run("hello", |_| {});
    assert_eq!(o.status, 0);
    assert_eq!(o.stdout, "argc=0\nHOME=(unset)\nstdin=[]\n");
}

#[test]
fn hello_host_env_passes_only_when_named() {
    // PATH is set in any test run; the other variable is not.
    let path = std::env::var("PATH").expect("PATH is set");
    assert!(std::env::var("WEXE_WASI_UNSET_VAR").is_err());
    let o = run("hello", |b| {
        b.arg("hello");
        b.env_spec("PATH").unwrap();
        b.env_spec("WEXE_WASI_UNSET_VAR").unwrap();
    });
    assert_ok(&o);
    assert!(
        o.stdout.contains(&format!("env PATH={path}\n")),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("WEXE_WASI_UNSET_VAR"));
    assert!(!o.stdout.contains("HOME=/"), "HOME was not passed");
}

#[test]
fn fs_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run("fs", |b| {
        b.preopen_dir(tmp.path(), "/sandbox");
    });
    assert_ok(&o);
    assert_eq!(o.stdout, "fs ok\n");
    let mut left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["a.txt"]);
    assert_eq!(std::fs::read(tmp.path().join("a.txt")).unwrap(), b"Xbcd");
}

// The sandbox escape program (`escape.c`) runs in the escape suite, tests/escapes/filesystem.rs,
// through the `wexe` command in both tiers.

#[test]
fn poll_waits_and_reports_readiness() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run("poll", |b| {
        b.preopen_dir(tmp.path(), "/sandbox").stdin_bytes("ping\n");
    });
    assert_ok(&o);
    assert!(o.stdout.starts_with("poll ok"), "{}", o.stdout);
}

#[test]
fn misc_clocks_random_bad_input_and_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run("misc", |b| {
        b.preopen_dir(tmp.path(), "/sandbox");
    });
    assert_eq!(o.status, 3, "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    assert_eq!(o.stdout, "misc ok\n");
    assert_eq!(o.stderr, "");
}

#[test]
fn echo_server_over_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let wasm = common::run::compile("echo_server");
    let server = std::thread::spawn(move || {
        common::run::run_wasm(&wasm, |b| {
            b.tcp_listener(listener);
        })
    });
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut echoed = Vec::new();
    for chunk in [&b"hello "[..], b"wexe ", b"echo"] {
        client.write_all(chunk).unwrap();
        let mut buf = vec![0u8; chunk.len()];
        client.read_exact(&mut buf).unwrap();
        echoed.extend_from_slice(&buf);
    }
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(
        rest.is_empty(),
        "the server shut down its side after the echo"
    );
    assert_eq!(echoed, b"hello wexe echo");
    let o = server.join().unwrap();
    assert_ok(&o);
    assert_eq!(o.stdout, "echoed 15 bytes\n");
}

/// Inherited stdio, seen from outside: the test binary runs itself as a child whose stdin is
/// a pipe; the child runs `hello` with the host's stdio and exits with the guest's status.
#[test]
fn inherited_stdio_in_a_child_process() {
    if std::env::var_os("WEXE_WASI_CHILD").is_some() {
        let wasm = common::run::compile("hello");
        let status = common::run::run_inherited(&wasm, &["hello", "4"]);
        std::process::exit(status);
    }
    // Install the toolchain (if missing) here, not in the child with its piped stdio.
    common::run::compile("hello");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "inherited_stdio_in_a_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WEXE_WASI_CHILD", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"piped in").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(4),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("argv[1]=4\n"), "{stdout}");
    assert!(stdout.contains("stdin=[piped in]\n"), "{stdout}");
    assert!(stderr.contains("to stderr\n"), "{stderr}");
}
