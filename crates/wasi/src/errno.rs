//! WASI error numbers (`errno`, identical in `wasi_snapshot_preview1` and `wasi_unstable`) and
//! the mapping from host I/O errors to them.

use std::io;

macro_rules! errnos {
    ($($name:ident = $val:expr, $text:expr;)*) => {
        /// A WASI error number. `Success` is 0; every other value is a failure.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Errno {
            $(#[doc = $text] $name = $val,)*
        }

        impl Errno {
            /// The errno for a raw value, if it is one of the spec's.
            pub fn from_raw(raw: u16) -> Option<Errno> {
                match raw {
                    $($val => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// A short description, as `strerror` would give.
            pub fn description(self) -> &'static str {
                match self {
                    $(Errno::$name => $text,)*
                }
            }
        }
    };
}

errnos! {
    Success = 0, "no error";
    TooBig = 1, "argument list too long";
    Acces = 2, "permission denied";
    AddrInUse = 3, "address in use";
    AddrNotAvail = 4, "address not available";
    AfNoSupport = 5, "address family not supported";
    Again = 6, "resource unavailable, or operation would block";
    Already = 7, "connection already in progress";
    Badf = 8, "bad file descriptor";
    BadMsg = 9, "bad message";
    Busy = 10, "device or resource busy";
    Canceled = 11, "operation canceled";
    Child = 12, "no child processes";
    ConnAborted = 13, "connection aborted";
    ConnRefused = 14, "connection refused";
    ConnReset = 15, "connection reset";
    Deadlk = 16, "resource deadlock would occur";
    DestAddrReq = 17, "destination address required";
    Dom = 18, "mathematics argument out of domain of function";
    Dquot = 19, "reserved";
    Exist = 20, "file exists";
    Fault = 21, "bad address";
    Fbig = 22, "file too large";
    HostUnreach = 23, "host is unreachable";
    Idrm = 24, "identifier removed";
    Ilseq = 25, "illegal byte sequence";
    InProgress = 26, "operation in progress";
    Intr = 27, "interrupted function";
    Inval = 28, "invalid argument";
    Io = 29, "i/o error";
    IsConn = 30, "socket is connected";
    IsDir = 31, "is a directory";
    Loop = 32, "too many levels of symbolic links";
    Mfile = 33, "file descriptor value too large";
    Mlink = 34, "too many links";
    MsgSize = 35, "message too large";
    Multihop = 36, "reserved";
    NameTooLong = 37, "filename too long";
    NetDown = 38, "network is down";
    NetReset = 39, "connection aborted by network";
    NetUnreach = 40, "network unreachable";
    Nfile = 41, "too many files open in system";
    NoBufs = 42, "no buffer space available";
    NoDev = 43, "no such device";
    NoEnt = 44, "no such file or directory";
    NoExec = 45, "executable file format error";
    NoLck = 46, "no locks available";
    NoLink = 47, "reserved";
    NoMem = 48, "not enough space";
    NoMsg = 49, "no message of the desired type";
    NoProtoOpt = 50, "protocol not available";
    NoSpc = 51, "no space left on device";
    NoSys = 52, "function not supported";
    NotConn = 53, "the socket is not connected";
    NotDir = 54, "not a directory or a symbolic link to a directory";
    NotEmpty = 55, "directory not empty";
    NotRecoverable = 56, "state not recoverable";
    NotSock = 57, "not a socket";
    NotSup = 58, "not supported, or operation not supported on socket";
    NoTty = 59, "inappropriate i/o control operation";
    Nxio = 60, "no such device or address";
    Overflow = 61, "value too large to be stored in data type";
    OwnerDead = 62, "previous owner died";
    Perm = 63, "operation not permitted";
    Pipe = 64, "broken pipe";
    Proto = 65, "protocol error";
    ProtoNoSupport = 66, "protocol not supported";
    ProtoType = 67, "protocol wrong type for socket";
    Range = 68, "result too large";
    Rofs = 69, "read-only file system";
    Spipe = 70, "invalid seek";
    Srch = 71, "no such process";
    Stale = 72, "reserved";
    TimedOut = 73, "connection timed out";
    TxtBsy = 74, "text file busy";
    Xdev = 75, "cross-device link";
    NotCapable = 76, "capabilities insufficient";
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (errno {})", self.description(), *self as u16)
    }
}

impl std::error::Error for Errno {}

impl Errno {
    /// The WASI errno for a host (Linux/POSIX) `errno` value.
    pub fn from_host(code: i32) -> Errno {
        use rustix::io::Errno as E;
        let e = E::from_raw_os_error(code);
        match e {
            E::TOOBIG => Errno::TooBig,
            E::ACCESS => Errno::Acces,
            E::ADDRINUSE => Errno::AddrInUse,
            E::ADDRNOTAVAIL => Errno::AddrNotAvail,
            E::AFNOSUPPORT => Errno::AfNoSupport,
            E::AGAIN => Errno::Again,
            E::ALREADY => Errno::Already,
            E::BADF => Errno::Badf,
            E::BADMSG => Errno::BadMsg,
            E::BUSY => Errno::Busy,
            E::CANCELED => Errno::Canceled,
            E::CHILD => Errno::Child,
            E::CONNABORTED => Errno::ConnAborted,
            E::CONNREFUSED => Errno::ConnRefused,
            E::CONNRESET => Errno::ConnReset,
            E::DEADLK => Errno::Deadlk,
            E::DESTADDRREQ => Errno::DestAddrReq,
            E::DOM => Errno::Dom,
            E::DQUOT => Errno::Dquot,
            E::EXIST => Errno::Exist,
            E::FAULT => Errno::Fault,
            E::FBIG => Errno::Fbig,
            E::HOSTUNREACH => Errno::HostUnreach,
            E::IDRM => Errno::Idrm,
            E::ILSEQ => Errno::Ilseq,
            E::INPROGRESS => Errno::InProgress,
            E::INTR => Errno::Intr,
            E::INVAL => Errno::Inval,
            E::IO => Errno::Io,
            E::ISCONN => Errno::IsConn,
            E::ISDIR => Errno::IsDir,
            E::LOOP => Errno::Loop,
            E::MFILE => Errno::Mfile,
            E::MLINK => Errno::Mlink,
            E::MSGSIZE => Errno::MsgSize,
            E::MULTIHOP => Errno::Multihop,
            E::NAMETOOLONG => Errno::NameTooLong,
            E::NETDOWN => Errno::NetDown,
            E::NETRESET => Errno::NetReset,
            E::NETUNREACH => Errno::NetUnreach,
            E::NFILE => Errno::Nfile,
            E::NOBUFS => Errno::NoBufs,
            E::NODEV => Errno::NoDev,
            E::NOENT => Errno::NoEnt,
            E::NOEXEC => Errno::NoExec,
            E::NOLCK => Errno::NoLck,
            E::NOLINK => Errno::NoLink,
            E::NOMEM => Errno::NoMem,
            E::NOMSG => Errno::NoMsg,
            E::NOPROTOOPT => Errno::NoProtoOpt,
            E::NOSPC => Errno::NoSpc,
            E::NOSYS => Errno::NoSys,
            E::NOTCONN => Errno::NotConn,
            E::NOTDIR => Errno::NotDir,
            E::NOTEMPTY => Errno::NotEmpty,
            E::NOTRECOVERABLE => Errno::NotRecoverable,
            E::NOTSOCK => Errno::NotSock,
            E::NOTSUP => Errno::NotSup,
            E::NOTTY => Errno::NoTty,
            E::NXIO => Errno::Nxio,
            E::OVERFLOW => Errno::Overflow,
            E::OWNERDEAD => Errno::OwnerDead,
            E::PERM => Errno::Perm,
            E::PIPE => Errno::Pipe,
            E::PROTO => Errno::Proto,
            E::PROTONOSUPPORT => Errno::ProtoNoSupport,
            E::PROTOTYPE => Errno::ProtoType,
            E::RANGE => Errno::Range,
            E::ROFS => Errno::Rofs,
            E::SPIPE => Errno::Spipe,
            E::SRCH => Errno::Srch,
            E::STALE => Errno::Stale,
            E::TIMEDOUT => Errno::TimedOut,
            E::TXTBSY => Errno::TxtBsy,
            E::XDEV => Errno::Xdev,
            _ => Errno::Io,
        }
    }
}

impl From<io::Error> for Errno {
    /// Host errors map by their OS code. Errors that cap-std raises itself, without an OS
    /// code, mean a path tried to leave its sandbox: those are `NotCapable`.
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return Errno::from_host(code);
        }
        match e.kind() {
            io::ErrorKind::PermissionDenied => Errno::NotCapable,
            io::ErrorKind::NotFound => Errno::NoEnt,
            io::ErrorKind::AlreadyExists => Errno::Exist,
            io::ErrorKind::InvalidInput => Errno::Inval,
            io::ErrorKind::WouldBlock => Errno::Again,
            io::ErrorKind::Interrupted => Errno::Intr,
            io::ErrorKind::BrokenPipe => Errno::Pipe,
            io::ErrorKind::UnexpectedEof => Errno::Io,
            io::ErrorKind::Unsupported => Errno::NotSup,
            io::ErrorKind::IsADirectory => Errno::IsDir,
            io::ErrorKind::NotADirectory => Errno::NotDir,
            io::ErrorKind::DirectoryNotEmpty => Errno::NotEmpty,
            io::ErrorKind::InvalidFilename => Errno::NameTooLong,
            _ => Errno::Io,
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        Errno::from_host(e.raw_os_error())
    }
}

/// The result of a WASI call body: success, or the errno to return to the guest.
pub type WasiResult<T> = Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_round_trip() {
        for raw in 0..=76u16 {
            let e = Errno::from_raw(raw).expect("every value 0..=76 is defined");
            assert_eq!(e as u16, raw);
        }
        assert_eq!(Errno::from_raw(77), None);
        assert_eq!(Errno::NotCapable as u16, 76);
        assert_eq!(Errno::Inval as u16, 28);
        assert_eq!(Errno::NoEnt as u16, 44);
    }

    #[test]
    fn host_errors_map_by_code() {
        assert_eq!(Errno::from(io::Error::from_raw_os_error(2)), Errno::NoEnt);
        assert_eq!(Errno::from(io::Error::from_raw_os_error(13)), Errno::Acces);
        assert_eq!(Errno::from(io::Error::from_raw_os_error(40)), Errno::Loop);
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "outside");
        assert_eq!(Errno::from(escape), Errno::NotCapable);
    }
}
