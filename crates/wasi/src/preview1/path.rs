//! The `path_*` calls. Every path resolves beneath a directory fd through cap-std, so `..`,
//! absolute paths and symlinks (anywhere in the path) cannot lead outside it: such attempts
//! are `NotCapable` (or what the host says, such as `Loop` for a final symlink not followed).

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    OsMetadataExt, SystemTimeSpec,
};
use cap_std::fs::{Dir, Metadata, OpenOptions};
use rustix::fs::{Timespec, UTIME_NOW, UTIME_OMIT};

use crate::blocking;
use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;
use crate::preview1::fdstat::timespecs;
use crate::table::{Entry, Handle};
use crate::types::{Abi, Filestat, fdflags, filetype, lookupflags, oflags, rights};

/// The guest path at `ptr`/`len`, as an owned string.
fn path_arg(mem: &GuestMemory, ptr: u32, len: u32) -> WasiResult<String> {
    let p = mem.read_str(ptr, len)?;
    if p.contains('\0') {
        return Err(Errno::Inval);
    }
    Ok(p.to_owned())
}

fn follow(flags: u32) -> WasiResult<bool> {
    if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(flags & lookupflags::SYMLINK_FOLLOW != 0)
}

/// A host file type as a WASI `filetype`.
pub(crate) fn wasi_filetype(t: &cap_std::fs::FileType) -> u8 {
    use cap_fs_ext::FileTypeExt;
    if t.is_dir() {
        filetype::DIRECTORY
    } else if t.is_file() {
        filetype::REGULAR_FILE
    } else if t.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if t.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if t.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if t.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

/// Host metadata as a WASI `filestat`.
pub(crate) fn metadata_to_filestat(m: &Metadata) -> Filestat {
    let ft = wasi_filetype(&m.file_type());
    let ns = |s: i64, n: i64| {
        (s.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(n.max(0) as u64)
    };
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: ft,
        nlink: m.nlink(),
        size: m.len(),
        atim: ns(m.atime(), m.atime_nsec()),
        mtim: ns(m.mtime(), m.mtime_nsec()),
        ctim: ns(m.ctime(), m.ctime_nsec()),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    dirfd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    opened: u32,
) -> WasiResult<()> {
    let path = path_arg(mem, path, path_len)?;
    mem.slice(opened, 4)?;
    let follow = follow(dirflags)?;
    let of = u16::try_from(oflags)
        .ok()
        .filter(|f| f & !oflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    let ff = u16::try_from(fdflags)
        .ok()
        .filter(|f| f & !fdflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    if of & oflags::DIRECTORY != 0 && of & (oflags::CREAT | oflags::TRUNC) != 0 {
        return Err(Errno::Inval);
    }
    let entry = ctx.table.get(dirfd)?;
    let mut need = rights::PATH_OPEN;
    if of & oflags::CREAT != 0 {
        need |= rights::PATH_CREATE_FILE;
    }
    if of & oflags::TRUNC != 0 {
        need |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let dir = entry.dir(need)?;
    // Opening for writing through a directory that cannot pass on the right to write fails
    // here; other rights asked for and not held are simply not granted.
    let writes = rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE;
    if base & rights::FD_WRITE != 0 && entry.inheriting & rights::FD_WRITE == 0 {
        return Err(Errno::NotCapable);
    }
    if ff & fdflags::APPEND != 0 && entry.inheriting & rights::FD_WRITE == 0 {
        return Err(Errno::NotCapable);
    }
    let read_only = entry.read_only;
    if read_only && (base & writes != 0 || ff & fdflags::APPEND != 0) {
        return Err(Errno::NotCapable);
    }
    let mut new_base = base & entry.inheriting;
    let new_inheriting = inheriting & entry.inheriting;

    let handle = if of & oflags::DIRECTORY != 0 {
        let d = if follow {
            dir.open_dir(&path)?
        } else {
            dir.open_dir_nofollow(&path)?
        };
        // A directory cannot be opened for writing, as open(2) says.
        if base & rights::FD_WRITE != 0 {
            return Err(Errno::IsDir);
        }
        Handle::Dir(d)
    } else {
        let write = new_base & writes != 0 || ff & fdflags::APPEND != 0 || of & oflags::TRUNC != 0;
        let read = new_base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
        let mut o = OpenOptions::new();
        o.read(read).write(write).append(ff & fdflags::APPEND != 0);
        let create = of & oflags::CREAT != 0;
        let excl = of & oflags::EXCL != 0;
        // std (and cap-std) refuse to create without write access; POSIX and WASI allow it,
        // which `create_without_write` does in two steps.
        if create && write {
            if excl {
                o.create_new(true);
            } else {
                o.create(true);
            }
        }
        // std refuses truncate with append; POSIX allows it: truncate after opening then.
        let trunc = of & oflags::TRUNC != 0;
        let trunc_after = trunc && ff & fdflags::APPEND != 0;
        o.truncate(trunc && !trunc_after);
        o.follow(if follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        });
        o.maybe_dir(true);
        o.nonblock(ff & fdflags::NONBLOCK != 0);
        o.sync(ff & fdflags::SYNC != 0);
        o.dsync(ff & fdflags::DSYNC != 0);
        o.rsync(ff & fdflags::RSYNC != 0);
        let nonblock = ff & fdflags::NONBLOCK != 0;
        let waiter = ctx.waiter.as_ref();
        let mut open = |o: &mut OpenOptions| blocking::open(dir, &path, o, nonblock, waiter);
        let file = if create && !write {
            create_without_write(dir, &path, &mut o, excl, &mut open)?
        } else {
            open(&mut o)?
        };
        if trunc_after && file.metadata()?.is_file() {
            file.set_len(0)?;
        }
        if file.metadata()?.is_dir() {
            Handle::Dir(Dir::from_std_file(file.into_std()))
        } else {
            Handle::File(file.into_std())
        }
    };
    new_base &= match handle {
        Handle::Dir(_) => rights::DIRECTORY,
        _ => rights::REGULAR_FILE,
    };
    if read_only {
        new_base &= !(rights::DIR_WRITE | rights::FILE_WRITE);
    }
    let mut e = Entry::new(handle, new_base, new_inheriting);
    e.flags = ff;
    e.read_only = read_only;
    let fd = ctx.table.push(e)?;
    mem.write_u32(opened, fd)
}

/// Opens `path` as `o` says (without write access and without creating) through `open`,
/// creating it first when it does not exist — `O_CREAT` without write access, as POSIX and
/// WASI allow and std's `OpenOptions` does not (`EINVAL`): an exclusive write-only open creates
/// the file (the guest holds the right to create files in `dir`), then it is opened as asked.
/// With `excl` the file must not exist yet.
fn create_without_write(
    dir: &Dir,
    path: &str,
    o: &mut OpenOptions,
    excl: bool,
    open: &mut dyn FnMut(&mut OpenOptions) -> WasiResult<cap_std::fs::File>,
) -> WasiResult<cap_std::fs::File> {
    let mut creating = o.clone();
    creating
        .read(false)
        .write(true)
        .create_new(true)
        .nonblock(true);
    // Twice at most: another process may create the file between the two steps.
    for _ in 0..2 {
        if !excl {
            match open(o) {
                Err(Errno::NoEnt) => {}
                done => return done,
            }
        }
        match dir.open_with(path, &creating) {
            Ok(created) => {
                drop(created);
                return open(o);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && !excl => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Errno::Exist)
}

/// A directory operation on one path, needing `right` on the directory `fd`.
fn on_path(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    [fd, path, len]: [u32; 3],
    right: u64,
    op: impl FnOnce(&cap_std::fs::Dir, &str) -> std::io::Result<()>,
) -> WasiResult<()> {
    let path = path_arg(mem, path, len)?;
    let dir = ctx.table.get(fd)?.dir(right)?;
    Ok(op(dir, &path)?)
}

pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    on_path(
        ctx,
        mem,
        [fd, path, len],
        rights::PATH_CREATE_DIRECTORY,
        |d, p| d.create_dir(p),
    )
}

pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    on_path(
        ctx,
        mem,
        [fd, path, len],
        rights::PATH_REMOVE_DIRECTORY,
        |d, p| d.remove_dir(p),
    )
}

pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    on_path(
        ctx,
        mem,
        [fd, path, len],
        rights::PATH_UNLINK_FILE,
        |d, p| d.remove_file(p),
    )
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    abi: Abi,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    buf: u32,
) -> WasiResult<()> {
    let path = path_arg(mem, path, len)?;
    mem.slice(buf, abi.filestat_size())?;
    let follow = follow(flags)?;
    let dir = ctx.table.get(fd)?.dir(rights::PATH_FILESTAT_GET)?;
    let meta = if follow {
        dir.metadata(&path)?
    } else {
        dir.symlink_metadata(&path)?
    };
    mem.write_bytes(buf, &metadata_to_filestat(&meta).encode(abi))
}

fn time_spec(t: Timespec) -> Option<SystemTimeSpec> {
    match t.tv_nsec {
        n if n == UTIME_OMIT => None,
        n if n == UTIME_NOW => Some(SystemTimeSpec::SymbolicNow),
        n => {
            let d = std::time::Duration::new(t.tv_sec as u64, n as u32);
            Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(std::time::UNIX_EPOCH + d),
            ))
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> WasiResult<()> {
    let path = path_arg(mem, path, len)?;
    let follow = follow(flags)?;
    let times = timespecs(atim, mtim, fst)?;
    let dir = ctx.table.get(fd)?.dir(rights::PATH_FILESTAT_SET_TIMES)?;
    let (a, m) = (
        time_spec(times.last_access),
        time_spec(times.last_modification),
    );
    if follow {
        Ok(dir.set_times(&path, a, m)?)
    } else {
        Ok(dir.set_symlink_times(&path, a, m)?)
    }
}

#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let old = path_arg(mem, old_path, old_len)?;
    let new = path_arg(mem, new_path, new_len)?;
    let follow = follow(old_flags)?;
    let src = ctx.table.get(old_fd)?.dir(rights::PATH_LINK_SOURCE)?;
    let dst = ctx.table.get(new_fd)?.dir(rights::PATH_LINK_TARGET)?;
    // Following symlinks, the link is to what `old` resolves to, inside the directory (a
    // dangling symlink has nothing to link to: `NoEnt`); otherwise to `old` itself.
    let old = if follow {
        src.canonicalize(&old)?
    } else {
        old.into()
    };
    Ok(src.hard_link(old, dst, new)?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let old = path_arg(mem, old_path, old_len)?;
    let new = path_arg(mem, new_path, new_len)?;
    let src = ctx.table.get(fd)?.dir(rights::PATH_RENAME_SOURCE)?;
    let dst = ctx.table.get(new_fd)?.dir(rights::PATH_RENAME_TARGET)?;
    Ok(src.rename(old, dst, new)?)
}

/// Creates `new_path` as a symlink holding `old_path`. An absolute `old_path` is refused
/// (`NotCapable`); a relative one that climbs out is created but can never be followed out.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    old_path: u32,
    old_len: u32,
    fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let old = path_arg(mem, old_path, old_len)?;
    let new = path_arg(mem, new_path, new_len)?;
    let dir = ctx.table.get(fd)?.dir(rights::PATH_SYMLINK)?;
    if old.starts_with('/') {
        return Err(Errno::NotCapable);
    }
    Ok(dir.symlink(old, new)?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> WasiResult<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = path_arg(mem, path, len)?;
    mem.slice(buf, buf_len)?;
    mem.slice(bufused, 4)?;
    let dir = ctx.table.get(fd)?.dir(rights::PATH_READLINK)?;
    let target = dir.read_link_contents(&path)?;
    let bytes = target.as_os_str().as_bytes();
    let n = bytes.len().min(buf_len as usize);
    mem.write_bytes(buf, &bytes[..n])?;
    mem.write_u32(bufused, n as u32)
}
