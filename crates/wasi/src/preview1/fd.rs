//! Reading, writing and positioning fds: `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`,
//! `fd_seek`, `fd_tell`, and the fd housekeeping calls `fd_close`, `fd_renumber`, `fd_sync`,
//! `fd_datasync`, `fd_advise`, `fd_allocate`.
//!
//! Reading or writing an fd without the right to is `EBADF`, as it is natively for a file
//! opened the other way; every other missing right is `ENOTCAPABLE`. Reads and writes that
//! can wait (pipes, terminals, sockets) wait through [`crate::blocking`], interruptibly.

use std::io::{Seek, SeekFrom};
use std::num::NonZeroU64;
use std::os::unix::fs::FileExt;

use crate::blocking;
use crate::errno::{Errno, WasiResult};
use crate::memory::{GuestMemory, transfer_len};
use crate::preview1::WasiCtx;
use crate::stdio::Output;
use crate::table::Handle;
use crate::types::{Abi, Whence, advice, rights};

pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.slice(nread, 4)?;
    let entry = ctx.table.get_mut(fd)?;
    entry.need(rights::FD_READ).map_err(|_| Errno::Badf)?;
    let mut buf = vec![0u8; transfer_len(&iovs)];
    let n = blocking::read(entry, ctx.waiter.as_ref(), &mut buf)?;
    mem.scatter(&iovs, &buf[..n])?;
    mem.write_u32(nread, n as u32)
}

pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.slice(nwritten, 4)?;
    let entry = ctx.table.get_mut(fd)?;
    entry.need(rights::FD_WRITE).map_err(|_| Errno::Badf)?;
    let data = mem.gather(&iovs)?;
    let inherited = matches!(entry.handle, Handle::Stdout(Output::Inherit(_)));
    let n = match blocking::write(entry, ctx.waiter.as_ref(), &data) {
        Err(Errno::Pipe) if inherited => {
            ctx.stdio_closed = true;
            return Err(Errno::Pipe);
        }
        n => n?,
    };
    mem.write_u32(nwritten, n as u32)
}

pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.slice(nread, 4)?;
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_READ | rights::FD_SEEK)?;
    let file = seekable(&entry.handle)?;
    let mut buf = vec![0u8; transfer_len(&iovs)];
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset.saturating_add(got as u64)) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    mem.scatter(&iovs, &buf[..got])?;
    mem.write_u32(nread, got as u32)
}

pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.slice(nwritten, 4)?;
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_WRITE | rights::FD_SEEK)?;
    let file = seekable(&entry.handle)?;
    let data = mem.gather(&iovs)?;
    file.write_all_at(&data, offset)?;
    mem.write_u32(nwritten, data.len() as u32)
}

/// The file behind a handle that has a position: `IsDir` for a directory, `Spipe` for streams.
fn seekable(h: &Handle) -> WasiResult<&std::fs::File> {
    match h {
        Handle::File(f) => Ok(f),
        Handle::Dir(_) => Err(Errno::IsDir),
        _ => Err(Errno::Spipe),
    }
}

pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    abi: Abi,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset: u32,
) -> WasiResult<()> {
    mem.slice(newoffset, 8)?;
    let entry = ctx.table.get_mut(fd)?;
    let whence = abi.whence(whence).ok_or(Errno::Inval)?;
    if offset == 0 && whence == Whence::Cur {
        if entry.need(rights::FD_TELL).is_err() {
            entry.need(rights::FD_SEEK)?;
        }
    } else {
        entry.need(rights::FD_SEEK)?;
    }
    let pos = match whence {
        Whence::Set => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        Whence::Cur => SeekFrom::Current(offset),
        Whence::End => SeekFrom::End(offset),
    };
    let mut file = seekable(&entry.handle)?;
    let new = file.seek(pos)?;
    mem.write_u64(newoffset, new)
}

pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory, fd: u32, offset: u32) -> WasiResult<()> {
    mem.slice(offset, 8)?;
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_TELL)?;
    let mut file = seekable(&entry.handle)?;
    let pos = file.stream_position()?;
    mem.write_u64(offset, pos)
}

pub fn fd_close(ctx: &mut WasiCtx, _mem: &mut GuestMemory, fd: u32) -> WasiResult<()> {
    ctx.table.remove(fd).map(drop)
}

pub fn fd_renumber(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    from: u32,
    to: u32,
) -> WasiResult<()> {
    ctx.table.get(from)?;
    ctx.table.renumber(from, to)
}

fn sync(ctx: &WasiCtx, fd: u32, right: u64, data_only: bool) -> WasiResult<()> {
    let entry = ctx.table.get(fd)?;
    entry.need(right)?;
    match &entry.handle {
        Handle::File(f) if data_only => f.sync_data()?,
        Handle::File(f) => f.sync_all()?,
        Handle::Dir(d) => rustix::fs::fsync(d)?,
        _ => return Err(Errno::Inval),
    }
    Ok(())
}

pub fn fd_sync(ctx: &mut WasiCtx, _mem: &mut GuestMemory, fd: u32) -> WasiResult<()> {
    sync(ctx, fd, rights::FD_SYNC, false)
}

pub fn fd_datasync(ctx: &mut WasiCtx, _mem: &mut GuestMemory, fd: u32) -> WasiResult<()> {
    sync(ctx, fd, rights::FD_DATASYNC, true)
}

pub fn fd_advise(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    offset: u64,
    len: u64,
    adv: u32,
) -> WasiResult<()> {
    use rustix::fs::Advice;
    let a = match u8::try_from(adv).map_err(|_| Errno::Inval)? {
        advice::NORMAL => Advice::Normal,
        advice::SEQUENTIAL => Advice::Sequential,
        advice::RANDOM => Advice::Random,
        advice::WILLNEED => Advice::WillNeed,
        advice::DONTNEED => Advice::DontNeed,
        advice::NOREUSE => Advice::NoReuse,
        _ => return Err(Errno::Inval),
    };
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_ADVISE)?;
    match &entry.handle {
        Handle::File(f) => Ok(rustix::fs::fadvise(f, offset, NonZeroU64::new(len), a)?),
        Handle::Dir(_) => Err(Errno::Badf),
        _ => Err(Errno::Spipe),
    }
}

/// Ensures the file has room for `offset + len` bytes, as `posix_fallocate` does.
pub fn fd_allocate(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    offset: u64,
    len: u64,
) -> WasiResult<()> {
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_ALLOCATE)?;
    let file = match &entry.handle {
        Handle::File(f) => f,
        Handle::Dir(_) => return Err(Errno::Badf),
        _ => return Err(Errno::Spipe),
    };
    if len == 0 {
        return Err(Errno::Inval);
    }
    let end = offset
        .checked_add(len)
        .filter(|&e| e <= i64::MAX as u64)
        .ok_or(Errno::Fbig)?;
    if file.metadata()?.len() < end {
        file.set_len(end)?;
    }
    Ok(())
}
