//! The WASI preview1 constants: rights, flags, file types, clocks, whence, event and
//! subscription tags, and the layouts of the structs the guest passes in memory.
//!
//! Flags are plain integer constants in small modules, so that the code reads like the spec.

/// Rights (`rights`, u64): what an fd may be used for.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// Every right the spec defines.
    pub const ALL: u64 = (1 << 30) - 1;

    /// Rights that change file contents or metadata through an open file.
    pub const FILE_WRITE: u64 = FD_DATASYNC
        | FD_WRITE
        | FD_ALLOCATE
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | FD_SYNC;

    /// Rights that change a directory's contents or its entries' metadata.
    pub const DIR_WRITE: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | FD_FILESTAT_SET_TIMES;

    /// Rights meaningful on a regular file.
    pub const REGULAR_FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// Rights meaningful on a directory.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;

    /// Rights of a stream (stdio, pipes, connected sockets) that cannot seek.
    pub const STREAM: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// Rights of a connected socket.
    pub const SOCKET: u64 = STREAM | SOCK_SHUTDOWN;

    /// Rights of a listening socket.
    pub const LISTENER: u64 =
        FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE | SOCK_ACCEPT;
}

/// File descriptor flags (`fdflags`, u16).
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = (1 << 5) - 1;
}

/// Open flags (`oflags`, u16) of `path_open`.
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = (1 << 4) - 1;
}

/// Lookup flags (`lookupflags`, u32).
pub mod lookupflags {
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
}

/// Which timestamps to set (`fstflags`, u16).
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
    pub const ALL: u16 = (1 << 4) - 1;
}

/// Socket flags: receive input (`riflags`), receive output (`roflags`), shutdown (`sdflags`).
pub mod sockflags {
    pub const RECV_PEEK: u16 = 1 << 0;
    pub const RECV_WAITALL: u16 = 1 << 1;
    pub const RECV_DATA_TRUNCATED: u16 = 1 << 0;
    pub const SHUT_RD: u8 = 1 << 0;
    pub const SHUT_WR: u8 = 1 << 1;
}

/// File types (`filetype`, u8).
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// Clock ids (`clockid`, u32).
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// Event types (`eventtype`, u8) and event flags of `poll_oneoff`.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
    /// `eventrwflags::fd_readwrite_hangup`.
    pub const HANGUP: u16 = 1 << 0;
    /// `subclockflags::subscription_clock_abstime`.
    pub const ABSTIME: u16 = 1 << 0;
}

/// `advice` values of `fd_advise`.
pub mod advice {
    pub const NORMAL: u8 = 0;
    pub const SEQUENTIAL: u8 = 1;
    pub const RANDOM: u8 = 2;
    pub const WILLNEED: u8 = 3;
    pub const DONTNEED: u8 = 4;
    pub const NOREUSE: u8 = 5;
}

/// The two ABIs this crate serves. They share errnos, rights and flags; they differ in the
/// numbering of `whence`, the layout of `filestat` and of clock subscriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// `wasi_snapshot_preview1`.
    Preview1,
    /// `wasi_unstable` (snapshot 0).
    Unstable,
}

/// A seek origin, decoded from the ABI's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    Set,
    Cur,
    End,
}

impl Abi {
    /// Decodes a `whence` value: preview1 numbers set/cur/end 0/1/2, snapshot 0 cur/end/set.
    pub fn whence(self, raw: u32) -> Option<Whence> {
        match (self, raw) {
            (Abi::Preview1, 0) | (Abi::Unstable, 2) => Some(Whence::Set),
            (Abi::Preview1, 1) | (Abi::Unstable, 0) => Some(Whence::Cur),
            (Abi::Preview1, 2) | (Abi::Unstable, 1) => Some(Whence::End),
            _ => None,
        }
    }

    /// The size of a `filestat` struct.
    pub fn filestat_size(self) -> u32 {
        match self {
            Abi::Preview1 => 64,
            Abi::Unstable => 56,
        }
    }

    /// The size of a `subscription` struct.
    pub fn subscription_size(self) -> u32 {
        match self {
            Abi::Preview1 => 48,
            Abi::Unstable => 56,
        }
    }
}

/// Sizes of the structs that have one layout in both ABIs.
pub mod size {
    pub const IOVEC: u32 = 8;
    pub const FDSTAT: u32 = 24;
    pub const DIRENT: u32 = 24;
    pub const PRESTAT: u32 = 8;
    pub const EVENT: u32 = 32;
}

/// File metadata in the shape of the spec's `filestat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

impl Filestat {
    /// The struct's bytes in the layout of `abi`.
    pub fn encode(&self, abi: Abi) -> Vec<u8> {
        let mut b = vec![0u8; abi.filestat_size() as usize];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        match abi {
            Abi::Preview1 => {
                b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
                b[32..40].copy_from_slice(&self.size.to_le_bytes());
                b[40..48].copy_from_slice(&self.atim.to_le_bytes());
                b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
                b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
            }
            Abi::Unstable => {
                let nlink = u32::try_from(self.nlink).unwrap_or(u32::MAX);
                b[20..24].copy_from_slice(&nlink.to_le_bytes());
                b[24..32].copy_from_slice(&self.size.to_le_bytes());
                b[32..40].copy_from_slice(&self.atim.to_le_bytes());
                b[40..48].copy_from_slice(&self.mtim.to_le_bytes());
                b[48..56].copy_from_slice(&self.ctim.to_le_bytes());
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whence_numbering_differs_between_abis() {
        assert_eq!(Abi::Preview1.whence(0), Some(Whence::Set));
        assert_eq!(Abi::Preview1.whence(2), Some(Whence::End));
        assert_eq!(Abi::Unstable.whence(0), Some(Whence::Cur));
        assert_eq!(Abi::Unstable.whence(2), Some(Whence::Set));
        assert_eq!(Abi::Preview1.whence(3), None);
    }

    #[test]
    fn filestat_layouts() {
        let st = Filestat {
            dev: 1,
            ino: 2,
            filetype: filetype::REGULAR_FILE,
            nlink: 3,
            size: 4,
            atim: 5,
            mtim: 6,
            ctim: 7,
        };
        let p1 = st.encode(Abi::Preview1);
        assert_eq!(p1.len(), 64);
        assert_eq!(p1[16], 4);
        assert_eq!(u64::from_le_bytes(p1[24..32].try_into().unwrap()), 3);
        assert_eq!(u64::from_le_bytes(p1[56..64].try_into().unwrap()), 7);
        let p0 = st.encode(Abi::Unstable);
        assert_eq!(p0.len(), 56);
        assert_eq!(u32::from_le_bytes(p0[20..24].try_into().unwrap()), 3);
        assert_eq!(u64::from_le_bytes(p0[24..32].try_into().unwrap()), 4);
        assert_eq!(u64::from_le_bytes(p0[48..56].try_into().unwrap()), 7);
    }

    #[test]
    fn rights_sets_are_within_all() {
        for set in [
            rights::REGULAR_FILE,
            rights::DIRECTORY,
            rights::SOCKET,
            rights::LISTENER,
        ] {
            assert_eq!(set & !rights::ALL, 0);
        }
        assert_eq!(rights::SOCK_ACCEPT, 1 << 29);
    }
}
