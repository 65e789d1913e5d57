//! Sockets: `sock_accept` on a preopened listener, `sock_recv`, `sock_send`, `sock_shutdown` on
//! the connections it yields. Their waits (for a client, for data, for room) go through
//! [`crate::blocking`]: an interruption of the store ends them.

use std::net::Shutdown;
use std::os::fd::AsFd;

use rustix::net::{RecvFlags, SendFlags};

use crate::blocking;
use crate::errno::{Errno, WasiResult};
use crate::memory::{GuestMemory, transfer_len};
use crate::preview1::WasiCtx;
use crate::table::{Entry, Handle};
use crate::types::{fdflags, rights, sockflags};

pub fn sock_accept(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    flags: u32,
    opened: u32,
) -> WasiResult<()> {
    mem.slice(opened, 4)?;
    let flags = u16::try_from(flags)
        .ok()
        .filter(|f| f & !fdflags::NONBLOCK == 0)
        .ok_or(Errno::Inval)?;
    let entry = ctx.table.get(fd)?;
    let Handle::Listener(listener) = &entry.handle else {
        return Err(Errno::NotSock);
    };
    entry.need(rights::SOCK_ACCEPT)?;
    if let Some(w) = blocking::waiter_for(entry, ctx.waiter.as_ref()) {
        blocking::ready(w, listener.as_fd(), blocking::Interest::Read)?;
    }
    let (stream, _) = listener.accept()?;
    stream.set_nonblocking(flags & fdflags::NONBLOCK != 0)?;
    let base = rights::SOCKET & entry.inheriting;
    let mut e = Entry::new(Handle::Stream(stream), base, 0);
    e.flags = flags;
    let new = ctx.table.push(e)?;
    mem.write_u32(opened, new)
}

/// The connected socket `fd` (with `right`), and the waiter to wait for it with.
fn stream(
    ctx: &WasiCtx,
    fd: u32,
    right: u64,
) -> WasiResult<(&std::net::TcpStream, Option<&wexe::InterruptWaiter>)> {
    let entry = ctx.table.get(fd)?;
    match &entry.handle {
        Handle::Stream(s) => {
            entry.need(right)?;
            Ok((s, blocking::waiter_for(entry, ctx.waiter.as_ref())))
        }
        Handle::Listener(_) => Err(Errno::NotConn),
        _ => Err(Errno::NotSock),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn sock_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    ri_flags: u32,
    ro_datalen: u32,
    ro_flags: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.slice(ro_datalen, 4)?;
    mem.slice(ro_flags, 2)?;
    let all = u32::from(sockflags::RECV_PEEK | sockflags::RECV_WAITALL);
    if ri_flags & !all != 0 {
        return Err(Errno::Inval);
    }
    let (s, waiter) = stream(ctx, fd, rights::FD_READ)?;
    let mut flags = RecvFlags::empty();
    if ri_flags & u32::from(sockflags::RECV_PEEK) != 0 {
        flags |= RecvFlags::PEEK;
    }
    if ri_flags & u32::from(sockflags::RECV_WAITALL) != 0 {
        flags |= RecvFlags::WAITALL;
    }
    let mut buf = vec![0u8; transfer_len(&iovs)];
    let n = match waiter {
        Some(w) => blocking::recv(w, s.as_fd(), &mut buf, flags)?,
        None => rustix::net::recv(s, &mut buf[..], flags)?.0,
    };
    mem.scatter(&iovs, &buf[..n])?;
    mem.write_u32(ro_datalen, n as u32)?;
    mem.write_u16(ro_flags, 0)
}

pub fn sock_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    si_flags: u32,
    so_datalen: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.slice(so_datalen, 4)?;
    if si_flags != 0 {
        return Err(Errno::Inval);
    }
    let (s, waiter) = stream(ctx, fd, rights::FD_WRITE)?;
    let data = mem.gather(&iovs)?;
    let n = match waiter {
        Some(w) => blocking::send(w, s.as_fd(), &data)?,
        None => rustix::net::send(s, &data, SendFlags::NOSIGNAL)?,
    };
    mem.write_u32(so_datalen, n as u32)
}

pub fn sock_shutdown(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    how: u32,
) -> WasiResult<()> {
    let how = match u8::try_from(how).map_err(|_| Errno::Inval)? {
        sockflags::SHUT_RD => Shutdown::Read,
        sockflags::SHUT_WR => Shutdown::Write,
        h if h == sockflags::SHUT_RD | sockflags::SHUT_WR => Shutdown::Both,
        _ => return Err(Errno::Inval),
    };
    let (s, _) = stream(ctx, fd, rights::SOCK_SHUTDOWN)?;
    Ok(s.shutdown(how)?)
}
