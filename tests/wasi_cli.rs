//! `wexe run` with WASI programs (C compiled with clang for wasm32-wasi): arguments, the
//! environment and directories the command line grants and nothing else, stdio, exit statuses.

use std::io::Write;
use std::process::{Command, Output, Stdio};

#[allow(dead_code)]
#[path = "../crates/wasi/tests/common/run.rs"]
mod programs;

fn program(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!(
        "cli-{name}-{}.wasm",
        std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", "-")
    ));
    std::fs::write(&path, programs::compile(name)).unwrap();
    path
}

fn wexe(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(args)
        .env("WEXE_TEST_SECRET", "must not leak")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_program_gets_its_arguments_stdio_granted_env_and_exit_status() {
    let hello = program("hello");
    let hello = hello.to_str().unwrap();
    let out = wexe(
        &["run", "--env", "GREETING=hi", hello, "--help", "5"],
        "from stdin",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(stdout.contains(&format!("argv[0]={hello}\n")), "{stdout}");
    assert!(
        stdout.contains("argv[1]=--help\n"),
        "program flags reach the program: {stdout}"
    );
    assert!(stdout.contains("env GREETING=hi\n"), "{stdout}");
    assert!(
        !stdout.contains("WEXE_TEST_SECRET"),
        "the host environment leaked: {stdout}"
    );
    assert!(stdout.contains("HOME=(unset)"), "{stdout}");
    assert!(stdout.contains("stdin=[from stdin]"), "{stdout}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "to stderr\n");

    // `wexe FILE` is `wexe run FILE`; `--env NAME` passes the host's value on.
    let out = wexe(&[hello, "--env", "WEXE_TEST_SECRET"], "");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("argv[1]=--env\n"), "{stdout}");
    let out = wexe(&["run", "--env", "WEXE_TEST_SECRET", hello], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("env WEXE_TEST_SECRET=must not leak"));
}

#[test]
fn bad_capabilities_are_errors_before_the_program_runs() {
    let hello = program("hello");
    let hello = hello.to_str().unwrap();
    for args in [
        &["run", "--dir", "/no/such/dir", hello][..],
        &["run", "--env", "=x", hello][..],
        &["run", "--tcplisten", "not-an-address", hello][..],
        &["run", "--dir-ro", "", hello][..],
        &["run", "--dir", "", hello][..],
        &["run", "--dir-ro", "::/x", hello][..],
    ] {
        let out = wexe(args, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "the program must not run: {args:?}");
    }
}

#[test]
fn arguments_and_variables_reach_the_program_byte_for_byte() {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let hello = program("hello");
    for tier in ["interp", "jit"] {
        let arg = std::ffi::OsString::from_vec(b"caf\xe9 \xff\xfe".to_vec());
        let mut env = std::ffi::OsString::from("X=");
        env.push(std::ffi::OsStr::from_bytes(b"\x80v"));
        let out = Command::new(env!("CARGO_BIN_EXE_wexe"))
            .args(["run", "--tier", tier, "--env"])
            .arg(&env)
            .arg(&hello)
            .arg(&arg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{tier}: {out:?}");
        let has = |needle: &[u8]| out.stdout.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"argv[1]=caf\xe9 \xff\xfe\n"), "{tier}: {out:?}");
        assert!(has(b"env X=\x80v\n"), "{tier}: {out:?}");
    }
}

#[test]
fn a_program_whose_reader_goes_away_ends_as_by_sigpipe() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    let yes = program("yes");
    for tier in ["interp", "jit"] {
        // `wexe run yes.wasm | head -1`
        let mut child = Command::new(env!("CARGO_BIN_EXE_wexe"))
            .args(["run", "--tier", tier])
            .arg(&yes)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "y\n");
        // The reader is gone; the program must end at its next write, as a native one would
        // (before, it looped on EPIPE forever: give it 30 s).
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{tier}: {out:?}");
        assert!(out.stderr.is_empty(), "{tier}: no error spew: {out:?}");
    }
}
