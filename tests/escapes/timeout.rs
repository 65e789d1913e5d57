//! Outliving `--timeout` by waiting in the host: a guest blocked in a WASI call (a sleep of
//! 2^64-1 ns, C's `sleep(5)`, a read of a stdin that never gets data, an accept with no client,
//! a receive from a client that sends nothing, a write to a full stdout pipe) must still end at its deadline, with the "interrupted" trap
//! (exit status 134), as interrupted wasm code does; and so must a program started through
//! binfmt under a policy `timeout`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::both_tiers;
use crate::harness::{Run, Streams, World, c_program, command_in, wat_program};

/// How long after a 1 s timeout a run may end (the machine that runs the suite is loaded).
const LATE: Duration = Duration::from_secs(4);

/// Fails unless the run was interrupted at its 1 s deadline, not before, nor much after.
fn assert_interrupted(run: &Run) {
    run.assert_status(134).assert_stderr("interrupted");
    assert!(
        run.elapsed >= Duration::from_millis(900),
        "ended before its deadline: {run:#?}"
    );
    assert!(run.elapsed < LATE, "outlived its timeout: {run:#?}");
}

/// `_start` sleeps in `poll_oneoff` on one relative clock subscription of 2^64-1 ns.
const SLEEP_FOREVER: &str = r#"(module
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")
        (i32.store (i32.const 16) (i32.const 1))
        (i64.store (i32.const 24) (i64.const -1))
        (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))"#;

/// `_start` reads 16 bytes of stdin.
const READ_STDIN: &str = r#"(module
    (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const 16))
        (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// `_start` accepts a connection on fd 3 (the first `--tcplisten` socket).
const ACCEPT: &str = r#"(module
    (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")
        (drop (call $accept (i32.const 3) (i32.const 0) (i32.const 8)))))"#;

/// `_start` writes 64 KiB to stdout, 64 times (more than a pipe holds) in one `fd_write`.
const FLOOD_STDOUT: &str = r#"(module
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 2)
    (func (export "_start")
        (local $i i32)
        (memory.fill (i32.const 65536) (i32.const 120) (i32.const 65536))
        (loop $iovs
            (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 65536))
            (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 65536))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $iovs (i32.lt_u (local.get $i) (i32.const 64))))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 64) (i32.const 1024)))))"#;

/// `wexe run --tier TIER --timeout 1s [EXTRA...] PROGRAM`.
fn run_args(tier: &str, extra: &[&str], program: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["run", "--tier", tier, "--timeout", "1s"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(program.display().to_string());
    args
}

/// Runs the text-format program `wat` under `--timeout 1s` and checks it was interrupted.
fn interrupted_run(tier: &str, wat: &str, extra: &[&str], streams: Streams) {
    let mut w = World::new();
    let prog = wat_program("attack", w.root(), wat);
    w.seal();
    let run = w.wexe_with(&run_args(tier, extra, &prog), streams);
    assert_interrupted(&run);
    w.assert_untouched();
}

both_tiers!(a_sleep_of_2_64_ns_ends_at_the_timeout, |tier| {
    interrupted_run(tier, SLEEP_FOREVER, &[], Streams::default());
});

both_tiers!(c_sleep_ends_at_the_timeout, |tier| {
    let mut w = World::new();
    let prog = c_program("sleeper", w.root());
    w.seal();
    let run = w.wexe(&run_args(tier, &[], &prog));
    assert_interrupted(&run);
    assert_eq!(run.stdout, "", "the program woke up: {run:#?}");
    w.assert_untouched();
});

both_tiers!(a_read_of_an_idle_stdin_ends_at_the_timeout, |tier| {
    let streams = Streams {
        stdin_open_pipe: true,
        ..Streams::default()
    };
    interrupted_run(tier, READ_STDIN, &[], streams);
});

both_tiers!(an_accept_without_clients_ends_at_the_timeout, |tier| {
    interrupted_run(
        tier,
        ACCEPT,
        &["--tcplisten", "127.0.0.1:0"],
        Streams::default(),
    );
});

both_tiers!(a_write_to_a_full_stdout_pipe_ends_at_the_timeout, |tier| {
    let streams = Streams {
        stdout_unread: true,
        ..Streams::default()
    };
    interrupted_run(tier, FLOOD_STDOUT, &[], streams);
});

/// `_start` accepts a connection on fd 3, says `accepted` on stdout, then receives from it.
const ACCEPT_THEN_RECV: &str = r#"(module
    (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 100) "accepted\n")
    (func (export "_start")
        (if (call $accept (i32.const 3) (i32.const 0) (i32.const 8))
            (then (call $exit (i32.const 3))))
        (i32.store (i32.const 16) (i32.const 100))
        (i32.store (i32.const 20) (i32.const 9))
        (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
        (i32.store (i32.const 16) (i32.const 64))
        (i32.store (i32.const 20) (i32.const 16))
        (drop (call $recv (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 0)
            (i32.const 24) (i32.const 28)))))"#;

both_tiers!(a_recv_from_a_silent_client_ends_at_the_timeout, |tier| {
    use std::net::{TcpListener, TcpStream};
    // A free loopback port for `--tcplisten` (released again just before wexe takes it).
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // A client that connects as soon as wexe listens, then neither sends nor closes.
    let client = std::thread::spawn(move || {
        for _ in 0..500 {
            if let Ok(stream) = TcpStream::connect(addr) {
                return Some(stream);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    });
    let mut w = World::new();
    let prog = wat_program("attack", w.root(), ACCEPT_THEN_RECV);
    w.seal();
    let listen = addr.to_string();
    let run = w.wexe(&run_args(tier, &["--tcplisten", &listen], &prog));
    assert_interrupted(&run);
    assert_eq!(
        run.stdout, "accepted\n",
        "the wait was not in sock_recv: {run:#?}"
    );
    assert!(
        client.join().unwrap().is_some(),
        "the client never connected"
    );
    w.assert_untouched();
});

/// A link named `wexe-binfmt` to the `wexe` binary in the world (how binfmt mode is entered).
fn binfmt_link(w: &World) -> PathBuf {
    let link = w.path("bin/wexe-binfmt");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wexe"), &link).unwrap();
    link
}

#[test]
fn a_binfmt_policy_timeout_ends_a_sleep() {
    let mut w = World::new();
    let progs = w.path("progs");
    std::fs::create_dir_all(&progs).unwrap();
    let prog = wat_program("sleep", &progs, SLEEP_FOREVER);
    std::fs::create_dir_all(w.home().join(".config/wexe")).unwrap();
    std::fs::write(
        w.home().join(".config/wexe/policy.toml"),
        format!(
            "[defaults]\ncwd = \"none\"\n\n[[program]]\npath = \"{}/\"\ntimeout = \"1s\"\n",
            progs.display()
        ),
    )
    .unwrap();
    let link = binfmt_link(&w);
    w.seal();
    let prog = prog.display().to_string();
    let run = command_in(&w, w.root(), &link, &[prog.as_str(), prog.as_str()]);
    assert_interrupted(&run);
    w.assert_untouched();
}
