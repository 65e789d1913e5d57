//! Descriptor and file metadata: `fd_fdstat_get`, `fd_fdstat_set_flags`,
//! `fd_fdstat_set_rights`, `fd_filestat_get`, `fd_filestat_set_size`, `fd_filestat_set_times`,
//! and the preopen queries `fd_prestat_get`, `fd_prestat_dir_name`.

use rustix::fs::{OFlags, Timespec, Timestamps, UTIME_NOW, UTIME_OMIT};

use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;
use crate::table::Handle;
use crate::types::{Abi, fdflags, fstflags, rights};

pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    mem.slice(buf, crate::types::size::FDSTAT)?;
    let entry = ctx.table.get(fd)?;
    let mut b = [0u8; 24];
    b[0] = entry.handle.filetype();
    b[2..4].copy_from_slice(&entry.flags.to_le_bytes());
    b[8..16].copy_from_slice(&entry.base.to_le_bytes());
    b[16..24].copy_from_slice(&entry.inheriting.to_le_bytes());
    mem.write_bytes(buf, &b)
}

/// Sets `append` and `nonblock` (the flags a host can change on an open fd). The sync flags
/// can only be chosen at `path_open`: changing them here is `NotSup`.
pub fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    flags: u32,
) -> WasiResult<()> {
    let flags = u16::try_from(flags)
        .ok()
        .filter(|f| f & !fdflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    let entry = ctx.table.get_mut(fd)?;
    entry.need(rights::FD_FDSTAT_SET_FLAGS)?;
    let sync = fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC;
    if (flags ^ entry.flags) & sync != 0 {
        return Err(Errno::NotSup);
    }
    if flags == entry.flags {
        return Ok(());
    }
    let host = match &entry.handle {
        Handle::File(_) | Handle::Stream(_) | Handle::Listener(_) => entry.handle.host_fd(),
        // Inherited stdio belongs to the host process too: its flags are not the guest's.
        _ => None,
    }
    .ok_or(Errno::NotSup)?;
    let mut o = rustix::fs::fcntl_getfl(host)?;
    o.set(OFlags::APPEND, flags & fdflags::APPEND != 0);
    o.set(OFlags::NONBLOCK, flags & fdflags::NONBLOCK != 0);
    rustix::fs::fcntl_setfl(host, o)?;
    entry.flags = flags;
    Ok(())
}

/// Rights can only be dropped, never gained.
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> WasiResult<()> {
    let entry = ctx.table.get_mut(fd)?;
    if base & !entry.base != 0 || inheriting & !entry.inheriting != 0 {
        return Err(Errno::NotCapable);
    }
    entry.base = base;
    entry.inheriting = inheriting;
    Ok(())
}

pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    abi: Abi,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    mem.slice(buf, abi.filestat_size())?;
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_FILESTAT_GET)?;
    let st = entry.handle.filestat()?;
    mem.write_bytes(buf, &st.encode(abi))
}

pub fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    size: u64,
) -> WasiResult<()> {
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_FILESTAT_SET_SIZE)?;
    match &entry.handle {
        Handle::File(f) => {
            let size = i64::try_from(size).map_err(|_| Errno::Fbig)?;
            Ok(f.set_len(size as u64)?)
        }
        Handle::Dir(_) => Err(Errno::IsDir),
        _ => Err(Errno::Inval),
    }
}

/// Decodes the `fstflags` and times of a set-times call into one timespec each, where
/// `UTIME_OMIT` leaves a time alone and `UTIME_NOW` takes the current time.
pub(crate) fn timespecs(atim: u64, mtim: u64, flags: u32) -> WasiResult<Timestamps> {
    let flags = u16::try_from(flags)
        .ok()
        .filter(|f| f & !fstflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    let one = |t: u64, set: u16, now: u16| -> WasiResult<Timespec> {
        let nsec = match (flags & set != 0, flags & now != 0) {
            (true, true) => return Err(Errno::Inval),
            (true, false) => {
                return Ok(Timespec {
                    tv_sec: (t / 1_000_000_000) as i64,
                    tv_nsec: (t % 1_000_000_000) as _,
                });
            }
            (false, true) => UTIME_NOW,
            (false, false) => UTIME_OMIT,
        };
        Ok(Timespec {
            tv_sec: 0,
            tv_nsec: nsec,
        })
    };
    Ok(Timestamps {
        last_access: one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        last_modification: one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    })
}

pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> WasiResult<()> {
    let times = timespecs(atim, mtim, flags)?;
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_FILESTAT_SET_TIMES)?;
    match &entry.handle {
        Handle::File(_) | Handle::Dir(_) => {
            let host = entry.handle.host_fd().ok_or(Errno::Badf)?;
            Ok(rustix::fs::futimens(host, &times)?)
        }
        _ => Err(Errno::Badf),
    }
}

pub fn fd_prestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    mem.slice(buf, crate::types::size::PRESTAT)?;
    let name = ctx.table.get(fd)?.preopen.as_ref().ok_or(Errno::Badf)?;
    let len = u32::try_from(name.len()).map_err(|_| Errno::NameTooLong)?;
    mem.write_bytes(buf, &[0; 8])?;
    mem.write_u32(buf + 4, len)
}

pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    path_len: u32,
) -> WasiResult<()> {
    let name = ctx.table.get(fd)?.preopen.as_ref().ok_or(Errno::Badf)?;
    if (path_len as usize) < name.len() {
        return Err(Errno::NameTooLong);
    }
    mem.write_bytes(path, name.as_bytes())
}
