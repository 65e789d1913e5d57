//! Interrupting a guest that waits in a WASI call, through the embedding API: another thread
//! calls `InterruptHandle::interrupt` while the guest sleeps in `poll_oneoff`, reads a pipe
//! nobody writes to, accepts on a socket no client connects to, receives from or sends to a
//! client that neither sends nor reads, or opens a FIFO that has no other end; the call ends with the trap `Trap::Interrupt` (in both tiers), and after `reset`
//! the store runs again.

use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use wexe::{Config, Engine, InterruptHandle, Linker, Memory, Module, Store, Tier, Trap, TypedFunc};
use wexe_wasi::table::{Entry, Handle};
use wexe_wasi::types::rights;
use wexe_wasi::{WasiCtx, WasiCtxBuilder};

/// `sleep(ns)`: one relative monotonic clock subscription; `read(fd)`: 16 bytes into 400;
/// `accept(fd)`: one connection (its fd at 340); `recv(fd)`: 16 bytes into 400;
/// `send_forever(fd)`: 32 KiB sends until one fails; `open_fifo(rights)`: opens `fifo` in the preopen (fd 3) with
/// `rights` (FD_READ: and reads it). Each returns the errno.
const GUEST: &str = r#"(module
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 500) "fifo")
    (func (export "sleep") (param $ns i64) (result i32)
        (i32.store (i32.const 16) (i32.const 1))
        (i64.store (i32.const 24) (local.get $ns))
        (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
    (func $read_fd (export "read") (param $fd i32) (result i32)
        (i32.store (i32.const 300) (i32.const 400))
        (i32.store (i32.const 304) (i32.const 16))
        (call $read (local.get $fd) (i32.const 300) (i32.const 1) (i32.const 320)))
    (func (export "accept") (param $fd i32) (result i32)
        (call $accept (local.get $fd) (i32.const 0) (i32.const 340)))
    (func (export "recv") (param $fd i32) (result i32)
        (i32.store (i32.const 300) (i32.const 400))
        (i32.store (i32.const 304) (i32.const 16))
        (call $recv (local.get $fd) (i32.const 300) (i32.const 1) (i32.const 0) (i32.const 320) (i32.const 324)))
    (func (export "send_forever") (param $fd i32) (result i32)
        (local $e i32)
        (i32.store (i32.const 600) (i32.const 0))
        (i32.store (i32.const 604) (i32.const 32768))
        (loop $more
            (local.set $e (call $send (local.get $fd) (i32.const 600) (i32.const 1) (i32.const 0) (i32.const 620)))
            (br_if $more (i32.eqz (local.get $e))))
        (local.get $e))
    (func (export "open_fifo") (param $rights i64) (result i32)
        (local $e i32)
        (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 500) (i32.const 4)
            (i32.const 0) (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 360)))
        (if (i32.or (local.get $e) (i64.ne (local.get $rights) (i64.const 2)))
            (then (return (local.get $e))))
        (call $read_fd (i32.load (i32.const 360)))))"#;

/// A guest whose stdin (fd 0) is the read end of a pipe (`stdin_writer`: its write end), whose
/// fd 3 is a preopened directory holding the FIFO `fifo`, and whose fd 4 is a listening socket
/// on the loopback.
struct Guest {
    store: Store<WasiCtx>,
    handle: InterruptHandle,
    sleep: TypedFunc<i64, i32>,
    read: TypedFunc<i32, i32>,
    accept: TypedFunc<i32, i32>,
    open_fifo: TypedFunc<i64, i32>,
    recv: TypedFunc<i32, i32>,
    send_forever: TypedFunc<i32, i32>,
    /// Where the listening socket listens.
    addr: std::net::SocketAddr,
    memory: Memory,
    stdin_writer: File,
    _dir: tempfile::TempDir,
}

fn guest(tier: Tier) -> Guest {
    let mut config = Config::new();
    config.tier(tier).interruptible(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, GUEST).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.path().join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        0,
    )
    .unwrap();
    let mut ctx = WasiCtxBuilder::new()
        .preopen_dir(dir.path(), "/dir")
        .tcp_listener(listener)
        .build()
        .unwrap();
    let (reader, writer): (OwnedFd, OwnedFd) = rustix::pipe::pipe().unwrap();
    let stdin = Entry::new(
        Handle::File(File::from(reader)),
        rights::FD_READ | rights::POLL_FD_READWRITE,
        0,
    );
    ctx.table_mut().insert_at(0, stdin);
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    wexe_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    let mut store = Store::new(&engine, ctx);
    let handle = store.interrupt_handle().unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    Guest {
        sleep: instance.get_typed_func(&mut store, "sleep").unwrap(),
        read: instance.get_typed_func(&mut store, "read").unwrap(),
        accept: instance.get_typed_func(&mut store, "accept").unwrap(),
        open_fifo: instance.get_typed_func(&mut store, "open_fifo").unwrap(),
        recv: instance.get_typed_func(&mut store, "recv").unwrap(),
        send_forever: instance.get_typed_func(&mut store, "send_forever").unwrap(),
        addr,
        memory: instance.get_memory(&mut store, "memory").unwrap(),
        store,
        handle,
        stdin_writer: File::from(writer),
        _dir: dir,
    }
}

/// How long a call may take to end after its interruption before the test gives up on it.
const LATE: Duration = Duration::from_secs(10);

/// Runs `call` (on a thread of its own, so that a call that never ends fails the test) while
/// another thread interrupts the store after 300 ms; checks that it ends with the
/// interruption trap soon after, then resets the store.
fn interrupted(
    what: &str,
    g: Guest,
    call: impl FnOnce(&mut Store<WasiCtx>) -> anyhow::Result<i32> + Send + 'static,
) -> Guest {
    let handle = g.handle.clone();
    let interrupter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        handle.interrupt();
    });
    let (done, result) = mpsc::channel();
    let start = Instant::now();
    thread::spawn(move || {
        let mut g = g;
        let r = call(&mut g.store);
        let _ = done.send((g, r, start.elapsed()));
    });
    let (g, result, elapsed) = result.recv_timeout(LATE).unwrap_or_else(|_| {
        panic!("{what}: the blocked call must end soon after the interruption")
    });
    interrupter.join().unwrap();
    let err = match result {
        Ok(errno) => panic!("{what}: the call ended without a trap, errno {errno}"),
        Err(e) => e,
    };
    let trap = err.chain().find_map(|e| e.downcast_ref::<Trap>().copied());
    assert_eq!(trap, Some(Trap::Interrupt), "{what}: {err:?}");
    assert!(
        elapsed >= Duration::from_millis(250),
        "{what}: ended early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "{what}: ended late: {elapsed:?}"
    );
    g.handle.reset();
    g
}

fn blocked_calls_end_when_interrupted(tier: Tier) {
    let g = guest(tier);
    let (sleep, read, accept) = (g.sleep, g.read, g.accept);
    let mut g = interrupted("sleep", g, move |s| sleep.call(s, -1));
    // After the reset the store waits and runs as before.
    let start = Instant::now();
    assert_eq!(sleep.call(&mut g.store, 50_000_000).unwrap(), 0);
    assert!(start.elapsed() >= Duration::from_millis(50));

    let mut g = interrupted("stdin read", g, move |s| read.call(s, 0));
    g.stdin_writer.write_all(b"after").unwrap();
    assert_eq!(read.call(&mut g.store, 0).unwrap(), 0);
    assert_eq!(&g.memory.data(&g.store)[400..405], b"after");

    let g = interrupted("accept", g, move |s| accept.call(s, 4));

    // A FIFO with no other end: opened for writing, the open waits for a reader; opened for
    // reading (the guest then keeps it open), the read waits for a writer.
    let open_fifo = g.open_fifo;
    let g = interrupted("fifo write", g, move |s| {
        open_fifo.call(s, rights::FD_WRITE as i64)
    });
    let mut g = interrupted("fifo read", g, move |s| {
        open_fifo.call(s, rights::FD_READ as i64)
    });
    assert_eq!(sleep.call(&mut g.store, 1_000).unwrap(), 0);
}

/// A connection whose client neither sends nor reads: `sock_recv` waits for data, and
/// `sock_send` (once the buffers are full) for room.
fn socket_calls_end_when_interrupted(tier: Tier) {
    let mut g = guest(tier);
    let client = std::net::TcpStream::connect(g.addr).unwrap();
    assert_eq!(g.accept.call(&mut g.store, 4).unwrap(), 0);
    let fd = i32::from_le_bytes(g.memory.data(&g.store)[340..344].try_into().unwrap());
    let (recv, send_forever, sleep) = (g.recv, g.send_forever, g.sleep);
    let g = interrupted("sock_recv", g, move |s| recv.call(s, fd));
    let mut g = interrupted("sock_send", g, move |s| send_forever.call(s, fd));
    assert_eq!(sleep.call(&mut g.store, 1_000).unwrap(), 0);
    drop(client);
}

#[test]
fn socket_calls_end_when_interrupted_interp() {
    socket_calls_end_when_interrupted(Tier::Interp);
}

#[test]
fn socket_calls_end_when_interrupted_jit() {
    socket_calls_end_when_interrupted(Tier::Jit);
}

#[test]
fn blocked_calls_end_when_interrupted_interp() {
    blocked_calls_end_when_interrupted(Tier::Interp);
}

#[test]
fn blocked_calls_end_when_interrupted_jit() {
    blocked_calls_end_when_interrupted(Tier::Jit);
}

/// Without an interruptible engine the calls wait as they always did.
#[test]
fn engines_that_cannot_be_interrupted_still_sleep() {
    let engine = Engine::default();
    let module = Module::new(&engine, GUEST).unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    wexe_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    let mut store = Store::new(&engine, WasiCtx::default());
    assert!(store.interrupt_handle().is_err());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let sleep = instance
        .get_typed_func::<i64, i32>(&mut store, "sleep")
        .unwrap();
    let start = Instant::now();
    assert_eq!(sleep.call(&mut store, 30_000_000).unwrap(), 0);
    assert!(start.elapsed() >= Duration::from_millis(30));
}
