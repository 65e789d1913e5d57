//! Every wait a WASI call can make goes through here, so that an interruption of the store
//! (`wexe run --timeout`, or [`wexe::InterruptHandle::interrupt`] from an embedder) ends it.
//!
//! [`wait`] polls the fds a call waits for together with the store's [`InterruptWaiter`]
//! (an eventfd readable while the store is interrupted, made by the first wait) and gives `Errno::Intr` when the
//! interruption comes first; the linker glue then ends the call with
//! [`wexe::Trap::Interrupt`], as interrupted wasm code does. Blocking reads and writes first
//! wait for readiness this way and then do I/O that cannot block: sockets with
//! `MSG_DONTWAIT`, pipes and terminals with a read that finds data ready or a write of at most
//! `PIPE_BUF` bytes into room `poll` reported.
//!
//! [`open`] keeps `path_open` of a FIFO from blocking in `open(2)` until the other end comes.
//!
//! Without a waiter (nothing can interrupt the store) every function here does what the call
//! always did: block in the kernel for as long as it takes.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use cap_fs_ext::{OpenOptionsSyncExt, OsMetadataExt};
use cap_std::fs::{Dir, OpenOptions};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{FileType, OFlags};
use rustix::net::{RecvFlags, SendFlags};
use wexe::InterruptWaiter;

use crate::errno::{Errno, WasiResult};
use crate::stdio::{HostStream, Output};
use crate::table::{Entry, Handle};
use crate::types::fdflags;

/// What an fd waits for: to read (or accept), or to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
}

impl Interest {
    fn flags(self) -> PollFlags {
        match self {
            Interest::Read => PollFlags::IN,
            Interest::Write => PollFlags::OUT,
        }
    }
}

/// The most bytes a write into a pipe that `poll` found writable takes without blocking.
const PIPE_BUF: usize = 4096;

/// Polls `fds` until one has an event or `deadline` passes (no deadline: waits for an event),
/// also waking when the store is interrupted: then `Errno::Intr`, with the revents of `fds`
/// left as they are. Returns whether an fd has an event (false: the deadline passed).
pub fn wait<'a>(
    waiter: Option<&'a InterruptWaiter>,
    fds: &mut Vec<PollFd<'a>>,
    deadline: Option<Instant>,
) -> WasiResult<bool> {
    let Some(waiter) = waiter else {
        return wait_uninterruptible(fds, deadline);
    };
    let mine = fds.len();
    fds.push(PollFd::from_borrowed_fd(waiter.wake_fd()?, PollFlags::IN));
    let result = loop {
        if waiter.is_interrupted() {
            break Err(Errno::Intr);
        }
        let timeout = deadline.map(|d| timespec(d.saturating_duration_since(Instant::now())));
        match rustix::event::poll(fds, timeout.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => break Err(e.into()),
        }
        if !fds[mine].revents().is_empty() || waiter.is_interrupted() {
            break Err(Errno::Intr);
        }
        if fds[..mine].iter().any(|p| !p.revents().is_empty()) {
            break Ok(true);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Ok(false);
        }
    };
    fds.truncate(mine);
    result
}

/// [`wait`] with nothing to interrupt it: a plain `poll`, or a sleep when there are no fds.
fn wait_uninterruptible(fds: &mut [PollFd<'_>], deadline: Option<Instant>) -> WasiResult<bool> {
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if fds.is_empty() {
            match left {
                Some(t) => std::thread::sleep(t),
                // Nothing can ever end this wait, as natively.
                None => loop {
                    std::thread::park();
                },
            }
            return Ok(false);
        }
        match rustix::event::poll(fds, left.map(timespec).as_ref()) {
            Ok(0) if deadline.is_some_and(|d| Instant::now() >= d) => return Ok(false),
            Ok(0) | Err(rustix::io::Errno::INTR) => continue,
            Ok(_) => return Ok(true),
            Err(e) => return Err(e.into()),
        }
    }
}

fn timespec(t: Duration) -> Timespec {
    Timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: t.subsec_nanos() as _,
    }
}

/// Sleeps until `deadline`, or until the store is interrupted (`Errno::Intr`).
pub fn sleep_until(waiter: Option<&InterruptWaiter>, deadline: Instant) -> WasiResult<()> {
    wait(waiter, &mut Vec::new(), Some(deadline)).map(drop)
}

/// Waits until `fd` is ready for `interest` (or hung up, or in error), or the store is
/// interrupted (`Errno::Intr`).
pub fn ready(waiter: &InterruptWaiter, fd: BorrowedFd<'_>, interest: Interest) -> WasiResult<()> {
    let mut fds = vec![PollFd::from_borrowed_fd(fd, interest.flags())];
    while !wait(Some(waiter), &mut fds, None)? {}
    Ok(())
}

/// The waiter to wait with before I/O on `entry` (also `sock_accept`, `sock_recv`,
/// `sock_send`), if the I/O could block: `None` without a waiter, for fds the guest made
/// non-blocking (the host fd is, too: the I/O fails with `EAGAIN` instead), and for regular
/// files, block devices, directories and in-memory stdio (which never wait).
pub fn waiter_for<'w>(
    entry: &Entry,
    waiter: Option<&'w InterruptWaiter>,
) -> Option<&'w InterruptWaiter> {
    let waiter = waiter?;
    if entry.flags & fdflags::NONBLOCK != 0 {
        return None;
    }
    let fd = entry.handle.host_fd()?;
    match &entry.handle {
        Handle::Dir(_) => None,
        Handle::Listener(_) | Handle::Stream(_) => Some(waiter),
        _ => match rustix::fs::fstat(fd) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile | FileType::Directory | FileType::BlockDevice => None,
                _ => Some(waiter),
            },
            Err(_) => Some(waiter),
        },
    }
}

/// Reads up to `buf.len()` bytes from the fd of `entry` (`fd_read`), waiting interruptibly.
pub fn read(
    entry: &mut Entry,
    waiter: Option<&InterruptWaiter>,
    buf: &mut [u8],
) -> WasiResult<usize> {
    let Some(waiter) = waiter_for(entry, waiter) else {
        return entry.handle.read(buf);
    };
    if let Handle::Stream(s) = &entry.handle {
        return recv(waiter, s.as_fd(), buf, RecvFlags::empty());
    }
    if let Some(fd) = entry.handle.host_fd() {
        ready(waiter, fd, Interest::Read)?;
    }
    entry.handle.read(buf)
}

/// Writes `data` to the fd of `entry` (`fd_write`), waiting interruptibly: all of it, except to
/// a socket, which may take part.
pub fn write(
    entry: &mut Entry,
    waiter: Option<&InterruptWaiter>,
    data: &[u8],
) -> WasiResult<usize> {
    let Some(waiter) = waiter_for(entry, waiter) else {
        return entry.handle.write(data);
    };
    match &entry.handle {
        Handle::Stream(s) => send(waiter, s.as_fd(), data),
        Handle::Stdout(Output::Inherit(HostStream::Stdout)) => {
            // What the host printed through std stays before the guest's bytes.
            let mut out = std::io::stdout().lock();
            out.flush()?;
            write_all(waiter, rustix::stdio::stdout(), data)
        }
        Handle::Stdout(Output::Inherit(HostStream::Stderr)) => {
            let _err = std::io::stderr().lock();
            write_all(waiter, rustix::stdio::stderr(), data)
        }
        h => match h.host_fd() {
            Some(fd) => write_all(waiter, fd, data),
            None => entry.handle.write(data),
        },
    }
}

/// Writes all of `data` to a pipe, FIFO or terminal, a piece `poll` found room for at a time.
fn write_all(waiter: &InterruptWaiter, fd: BorrowedFd<'_>, data: &[u8]) -> WasiResult<usize> {
    let mut done = 0;
    while done < data.len() {
        ready(waiter, fd, Interest::Write)?;
        let end = data.len().min(done + PIPE_BUF);
        match rustix::io::write(fd, &data[done..end]) {
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(data.len())
}

/// `recv` on a connected socket, waiting interruptibly until data or end of stream is there.
/// With `RecvFlags::WAITALL`, keeps receiving until `buf` is full or the stream ends.
pub fn recv(
    waiter: &InterruptWaiter,
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: RecvFlags,
) -> WasiResult<usize> {
    let all = flags.contains(RecvFlags::WAITALL) && !flags.contains(RecvFlags::PEEK);
    let once = (flags - RecvFlags::WAITALL) | RecvFlags::DONTWAIT;
    let mut got = 0;
    loop {
        ready(waiter, fd, Interest::Read)?;
        match rustix::net::recv(fd, &mut buf[got..], once) {
            Ok((0, _)) => return Ok(got),
            Ok((n, _)) => {
                got += n;
                if !all || got == buf.len() {
                    return Ok(got);
                }
            }
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// `send` on a connected socket, waiting interruptibly for room; may send part of `data`.
pub fn send(waiter: &InterruptWaiter, fd: BorrowedFd<'_>, data: &[u8]) -> WasiResult<usize> {
    loop {
        ready(waiter, fd, Interest::Write)?;
        match rustix::net::send(fd, data, SendFlags::NOSIGNAL | SendFlags::DONTWAIT) {
            Ok(n) => return Ok(n),
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Opens a non-directory beneath `dir` for `path_open`. With a waiter (and unless the guest
/// asked for a non-blocking fd), the open cannot block on a FIFO: it is made non-blocking and
/// the fd blocking again afterwards; a FIFO opened for writing with no reader yet (`ENXIO`
/// then) is retried until a reader comes, as the blocking open would wait, interruptibly.
pub fn open(
    dir: &Dir,
    path: &str,
    opts: &mut OpenOptions,
    nonblock: bool,
    waiter: Option<&InterruptWaiter>,
) -> WasiResult<cap_std::fs::File> {
    let Some(waiter) = waiter.filter(|_| !nonblock) else {
        return Ok(dir.open_with(path, opts)?);
    };
    opts.nonblock(true);
    loop {
        match dir.open_with(path, opts) {
            Ok(file) => {
                let flags = rustix::fs::fcntl_getfl(&file)? - OFlags::NONBLOCK;
                rustix::fs::fcntl_setfl(&file, flags)?;
                return Ok(file);
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => {
                let fifo = dir.metadata(path).is_ok_and(|m| {
                    FileType::from_raw_mode(m.mode() as rustix::fs::RawMode) == FileType::Fifo
                });
                if !fifo {
                    return Err(e.into());
                }
                sleep_until(Some(waiter), Instant::now() + FIFO_RETRY)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// How often an open of a FIFO for writing looks for a reader.
const FIFO_RETRY: Duration = Duration::from_millis(10);
