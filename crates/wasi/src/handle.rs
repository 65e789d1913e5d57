//! Operations every kind of [`Handle`] answers: reading and writing a stream, its file type,
//! its `filestat`, and the host fd behind it (for `poll` and `fstat`).

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::FileType;
use rustix::net::{RecvFlags, SendFlags};

use crate::errno::{Errno, WasiResult};
use crate::table::Handle;
use crate::types::{Filestat, filetype, rights};

/// The host fd of standard input, output and error.
fn stdio_fd(fd: i32) -> BorrowedFd<'static> {
    match fd {
        0 => rustix::stdio::stdin(),
        1 => rustix::stdio::stdout(),
        _ => rustix::stdio::stderr(),
    }
}

impl Handle {
    /// The host fd behind the handle, if there is one.
    pub fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Handle::File(f) => Some(f.as_fd()),
            Handle::Dir(d) => Some(d.as_fd()),
            Handle::Stdin(i) => i.host_fd().map(stdio_fd),
            Handle::Stdout(o) => o.host_fd().map(stdio_fd),
            Handle::Listener(l) => Some(l.as_fd()),
            Handle::Stream(s) => Some(s.as_fd()),
        }
    }

    /// Reads up to `buf.len()` bytes, blocking as the host fd does (the WASI calls go through
    /// [`crate::blocking::read`], which waits interruptibly first).
    pub fn read(&mut self, buf: &mut [u8]) -> WasiResult<usize> {
        Ok(match self {
            Handle::File(f) => f.read(buf)?,
            Handle::Dir(_) => return Err(Errno::IsDir),
            Handle::Stdin(i) => i.read(buf)?,
            Handle::Stdout(_) => return Err(Errno::Badf),
            Handle::Listener(_) => return Err(Errno::NotConn),
            Handle::Stream(s) => rustix::net::recv(&*s, buf, RecvFlags::empty())?.0,
        })
    }

    /// Writes `data` (all of it, except to a socket, which may take part), blocking as the host
    /// fd does (the WASI calls go through [`crate::blocking::write`]).
    pub fn write(&mut self, data: &[u8]) -> WasiResult<usize> {
        Ok(match self {
            Handle::File(f) => {
                f.write_all(data)?;
                data.len()
            }
            Handle::Dir(_) => return Err(Errno::IsDir),
            Handle::Stdin(_) => return Err(Errno::Badf),
            Handle::Stdout(o) => o.write(data)?,
            Handle::Listener(_) => return Err(Errno::NotConn),
            Handle::Stream(s) => rustix::net::send(&*s, data, SendFlags::NOSIGNAL)?,
        })
    }

    /// The WASI file type.
    pub fn filetype(&self) -> u8 {
        match self {
            Handle::Dir(_) => filetype::DIRECTORY,
            Handle::Listener(_) | Handle::Stream(_) => filetype::SOCKET_STREAM,
            _ => match self.host_fd().map(rustix::fs::fstat) {
                Some(Ok(st)) => host_filetype(FileType::from_raw_mode(st.st_mode)),
                _ => filetype::UNKNOWN,
            },
        }
    }

    /// The handle's `filestat`; in-memory stdio has only a file type.
    pub fn filestat(&self) -> WasiResult<Filestat> {
        match self.host_fd() {
            Some(fd) => Ok(stat_to_filestat(&rustix::fs::fstat(fd)?)),
            None => Ok(Filestat {
                filetype: self.filetype(),
                ..Filestat::default()
            }),
        }
    }

    /// Whether the handle is stdio connected to a terminal.
    pub fn is_tty(&self) -> bool {
        matches!(self, Handle::Stdin(_) | Handle::Stdout(_))
            && self.host_fd().is_some_and(rustix::termios::isatty)
    }
}

/// The WASI file type of a host file type. WASI has no FIFO type: pipes are `unknown`.
pub fn host_filetype(t: FileType) -> u8 {
    match t {
        FileType::RegularFile => filetype::REGULAR_FILE,
        FileType::Directory => filetype::DIRECTORY,
        FileType::Symlink => filetype::SYMBOLIC_LINK,
        FileType::CharacterDevice => filetype::CHARACTER_DEVICE,
        FileType::BlockDevice => filetype::BLOCK_DEVICE,
        FileType::Socket => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

fn nanos(sec: i64, nsec: i64) -> u64 {
    (sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec.max(0) as u64)
}

/// A host `stat` as a WASI `filestat`.
pub fn stat_to_filestat(st: &rustix::fs::Stat) -> Filestat {
    Filestat {
        dev: st.st_dev,
        ino: st.st_ino,
        filetype: host_filetype(FileType::from_raw_mode(st.st_mode)),
        nlink: st.st_nlink,
        size: st.st_size as u64,
        atim: nanos(st.st_atime, st.st_atime_nsec as i64),
        mtim: nanos(st.st_mtime, st.st_mtime_nsec as i64),
        ctim: nanos(st.st_ctime, st.st_ctime_nsec as i64),
    }
}

/// The rights of a stdio stream: `io` (read or write) and what every stream has; seeking too
/// when the host fd is a file or a device that is not a terminal, so that wasi-libc's
/// `isatty` (a character device without seek rights) answers truthfully.
pub fn stdio_rights(host_fd: Option<i32>, io: u64) -> u64 {
    host_rights(host_fd.map(stdio_fd), io)
}

/// [`stdio_rights`] for any host fd.
pub fn host_rights(fd: Option<BorrowedFd<'_>>, io: u64) -> u64 {
    let base =
        io | rights::FD_FILESTAT_GET | rights::FD_FDSTAT_SET_FLAGS | rights::POLL_FD_READWRITE;
    match fd {
        Some(fd) if rustix::termios::isatty(fd) => base,
        Some(fd) => match rustix::fs::fstat(fd) {
            Ok(st)
                if matches!(
                    FileType::from_raw_mode(st.st_mode),
                    FileType::RegularFile | FileType::CharacterDevice
                ) =>
            {
                base | rights::FD_SEEK | rights::FD_TELL
            }
            _ => base,
        },
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stdio::{Input, MemoryOutput, Output};

    #[test]
    fn files_report_their_type_and_size() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"12345").unwrap();
        let h = Handle::File(f);
        assert_eq!(h.filetype(), filetype::REGULAR_FILE);
        let st = h.filestat().unwrap();
        assert_eq!(st.size, 5);
        assert_eq!(st.nlink, 0, "an unlinked temporary file has no links");
        assert!(st.mtim > 0);
    }

    #[test]
    fn dev_null_is_a_character_device() {
        let h = Handle::File(std::fs::File::open("/dev/null").unwrap());
        assert_eq!(h.filetype(), filetype::CHARACTER_DEVICE);
        assert!(!h.is_tty());
    }

    #[test]
    fn terminals_are_character_devices_without_seek_rights() {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/ptmx")
            .unwrap();
        assert!(rustix::termios::isatty(&tty));
        assert_eq!(
            host_filetype(FileType::from_raw_mode(
                rustix::fs::fstat(&tty).unwrap().st_mode
            )),
            filetype::CHARACTER_DEVICE
        );
        let r = host_rights(Some(tty.as_fd()), rights::FD_WRITE);
        assert_eq!(r & (rights::FD_SEEK | rights::FD_TELL), 0);
        let null = std::fs::File::open("/dev/null").unwrap();
        let r = host_rights(Some(null.as_fd()), rights::FD_WRITE);
        assert_ne!(
            r & rights::FD_SEEK,
            0,
            "a device that is not a terminal can seek"
        );
        let pipe = rustix::pipe::pipe().unwrap();
        assert_eq!(
            host_rights(Some(pipe.0.as_fd()), rights::FD_READ) & rights::FD_SEEK,
            0
        );
    }

    #[test]
    fn memory_stdio_has_no_host_fd() {
        let h = Handle::Stdout(Output::Memory(MemoryOutput::new()));
        assert!(h.host_fd().is_none());
        assert_eq!(h.filetype(), filetype::UNKNOWN);
        let mut h = Handle::Stdin(Input::Null);
        assert_eq!(h.write(b"x"), Err(Errno::Badf));
        assert_eq!(stdio_rights(None, rights::FD_READ) & rights::FD_SEEK, 0);
    }
}
