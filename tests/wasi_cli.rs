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
    ] {
        let out = wexe(args, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "the program must not run: {args:?}");
    }
}
