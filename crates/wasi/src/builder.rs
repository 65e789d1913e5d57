//! [`WasiCtxBuilder`]: grants a guest its capabilities — arguments, environment variables,
//! stdio, preopened directories (read-write or read-only) and listening TCP sockets. Nothing
//! is granted by default.

use std::ffi::OsStr;
use std::io;
use std::net::TcpListener;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::ctx::WasiCtx;
use crate::stdio::{HostStream, Input, MemoryOutput, Output};
use crate::strings::StringList;
use crate::table::{Entry, Handle};
use crate::types::rights;

#[derive(Debug)]
struct Preopen {
    host: PreopenSource,
    guest: String,
    read_only: bool,
}

/// Where a preopened directory comes from.
#[derive(Debug)]
enum PreopenSource {
    /// A host path, opened when the context is built.
    Path(PathBuf),
    /// A directory the embedder opened already (for example once for many contexts, each
    /// given a duplicate of it).
    Opened(Dir),
}

#[derive(Debug)]
enum Listen {
    Addr(String),
    Socket(TcpListener),
}

/// Builds a [`WasiCtx`]. By default the guest has no arguments, no environment, no files, no
/// sockets, an empty stdin, and stdout/stderr that discard what is written.
///
/// Descriptors: 0–2 are stdio, then the preopened directories in the order given (from 3),
/// then the TCP listeners. wasi-libc scans fds from 3 for preopens and stops at the first that
/// is not one, so directories come first.
#[derive(Debug)]
pub struct WasiCtxBuilder {
    /// Arguments and variables as bytes: WASI strings are bytes, and a host argument that is
    /// not UTF-8 reaches the guest as it is.
    args: StringList,
    /// The first argument given that holds a NUL (refused by `build`).
    bad_arg: Option<Vec<u8>>,
    /// `NAME=VALUE` entries given at once ([`Self::env_list`]), before those of `env`.
    env_base: StringList,
    /// `NAME=VALUE` entries set one by one, as the guest gets them.
    env: Vec<Vec<u8>>,
    /// The first variable set that no environment can hold (checked here, refused by `build`).
    bad_env: Option<Vec<u8>>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<Preopen>,
    listeners: Vec<Listen>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiCtxBuilder {
    /// A builder that grants nothing.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: StringList::new(),
            bad_arg: None,
            env_base: StringList::new(),
            env: Vec::new(),
            bad_env: None,
            stdin: Input::Null,
            stdout: Output::Null,
            stderr: Output::Null,
            preopens: Vec::new(),
            listeners: Vec::new(),
        }
    }

    /// Appends one argument (the first is the program name, `argv[0]`), byte for byte (an
    /// `OsStr` that is not UTF-8 too).
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        let arg = arg.as_ref().as_bytes();
        if !self.args.push(arg) {
            self.bad_arg.get_or_insert_with(|| arg.to_vec());
        }
        self
    }

    /// Appends arguments.
    pub fn args<S: AsRef<OsStr>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets an environment variable, byte for byte (a later setting of the same name replaces
    /// it).
    pub fn env(&mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        let (name, value) = (name.as_ref().as_bytes(), value.as_ref().as_bytes());
        if name.contains(&0) || name.contains(&b'=') || value.contains(&0) {
            self.bad_env.get_or_insert_with(|| name.to_vec());
            return self;
        }
        self.env.retain(|e| entry_name(e) != name);
        self.env.push([name, b"=", value].concat());
        self
    }

    /// Sets the environment at once from `NAME=VALUE` entries packed as the guest gets them:
    /// the fast way to pass an environment built elsewhere (a server's per-request one). It
    /// replaces an earlier list; variables set with [`Self::env`] come after its entries and
    /// replace those of the same name. Unlike [`Self::env`] this does not look for repeated
    /// names in `list`: give each name once. An entry without `=` or with an empty name makes
    /// [`Self::build`] fail.
    pub fn env_list(&mut self, list: StringList) -> &mut Self {
        if let Some(bad) = list
            .iter()
            .find(|e| entry_name(e).len() == e.len() || e.first() == Some(&b'='))
        {
            self.bad_env.get_or_insert_with(|| bad.to_vec());
        }
        self.env_base = list;
        self
    }

    /// Passes the host's variable `name` through, if the host has it set (whatever its bytes).
    pub fn inherit_env_var(&mut self, name: impl AsRef<OsStr>) -> &mut Self {
        let name = name.as_ref();
        if let Some(value) = std::env::var_os(name) {
            self.env(name, value);
        }
        self
    }

    /// Parses a CLI `--env` value: `NAME=VALUE` sets, `NAME` passes the host's value through
    /// (bytes that are not UTF-8 pass as they are).
    pub fn env_spec(&mut self, spec: impl AsRef<OsStr>) -> Result<&mut Self> {
        Ok(match parse_env_spec(spec.as_ref())? {
            (name, Some(value)) => self.env(name, value),
            (name, None) => self.inherit_env_var(name),
        })
    }

    /// Feeds `bytes` to the guest's stdin.
    pub fn stdin_bytes(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Input::Bytes(io::Cursor::new(bytes.into()));
        self
    }

    /// Gives the guest the host's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = Input::Inherit;
        self
    }

    /// Gives the guest the host's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = Output::Inherit(HostStream::Stdout);
        self
    }

    /// Gives the guest the host's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = Output::Inherit(HostStream::Stderr);
        self
    }

    /// Gives the guest the host's stdin, stdout and stderr.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Captures the guest's stdout in memory; read it from the returned handle.
    pub fn capture_stdout(&mut self) -> MemoryOutput {
        self.stdout_to(MemoryOutput::new())
    }

    /// Captures the guest's stderr in memory; read it from the returned handle.
    pub fn capture_stderr(&mut self) -> MemoryOutput {
        self.stderr_to(MemoryOutput::new())
    }

    /// Sends the guest's stdout to `out` (for example [`MemoryOutput::with_limit`]); returns it.
    pub fn stdout_to(&mut self, out: MemoryOutput) -> MemoryOutput {
        self.stdout = Output::Memory(out.clone());
        out
    }

    /// Sends the guest's stderr to `out`; returns it.
    pub fn stderr_to(&mut self, out: MemoryOutput) -> MemoryOutput {
        self.stderr = Output::Memory(out.clone());
        out
    }

    /// Preopens the host directory `host` under the guest name `guest`, read-write.
    pub fn preopen_dir(&mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> &mut Self {
        self.preopen(host, guest, false)
    }

    /// Preopens the host directory `host` under the guest name `guest`, read-only: the guest
    /// can list, stat, open and read, but create, write, rename, link and remove nothing.
    pub fn preopen_dir_read_only(
        &mut self,
        host: impl AsRef<Path>,
        guest: impl Into<String>,
    ) -> &mut Self {
        self.preopen(host, guest, true)
    }

    /// Preopens `host` as `guest`, read-only or read-write.
    pub fn preopen(
        &mut self,
        host: impl AsRef<Path>,
        guest: impl Into<String>,
        read_only: bool,
    ) -> &mut Self {
        self.preopens.push(Preopen {
            host: PreopenSource::Path(host.as_ref().to_path_buf()),
            guest: guest.into(),
            read_only,
        });
        self
    }

    /// Preopens a directory already open as `dir` under the guest name `guest`, read-only or
    /// read-write. A server that grants the same directory to many guests opens it once and
    /// gives each a [`Dir::try_clone`] of it (one `dup`, where opening by path walks it again).
    /// The guest's rights come from `read_only`, whatever `dir` was opened with.
    pub fn preopen_opened(
        &mut self,
        dir: Dir,
        guest: impl Into<String>,
        read_only: bool,
    ) -> &mut Self {
        self.preopens.push(Preopen {
            host: PreopenSource::Opened(dir),
            guest: guest.into(),
            read_only,
        });
        self
    }

    /// Parses a CLI `--dir` value, `HOST[::GUEST]` (the guest name defaults to `HOST`), and
    /// preopens it read-write.
    pub fn dir_spec(&mut self, spec: &str) -> Result<&mut Self> {
        let (host, guest) = parse_dir_spec("--dir", spec)?;
        Ok(self.preopen_dir(host, guest))
    }

    /// Binds a listening TCP socket at `addr` (such as `127.0.0.1:8080`) when the context is
    /// built, and hands it to the guest (wasmtime's `--tcplisten`).
    pub fn tcp_listen(&mut self, addr: impl Into<String>) -> &mut Self {
        self.listeners.push(Listen::Addr(addr.into()));
        self
    }

    /// Hands an already bound listening socket to the guest.
    pub fn tcp_listener(&mut self, listener: TcpListener) -> &mut Self {
        self.listeners.push(Listen::Socket(listener));
        self
    }

    /// Opens the preopens and binds the listeners. A directory that does not exist, or is
    /// not a directory, or an address that cannot be bound, is an error naming it.
    pub fn build(&mut self) -> Result<WasiCtx> {
        let mut ctx = WasiCtx::default();
        if let Some(a) = &self.bad_arg {
            bail!("argument {:?} contains a NUL byte", OsStr::from_bytes(a));
        }
        ctx.args = std::mem::take(&mut self.args);
        if let Some(name) = &self.bad_env {
            bail!(
                "environment variable {:?}: names may not be empty or hold `=` or NUL, values NUL",
                OsStr::from_bytes(name)
            );
        }
        ctx.env = std::mem::take(&mut self.env_base);
        if !self.env.is_empty() {
            let set_one_by_one = |e: &[u8]| self.env.iter().any(|s| entry_name(s) == entry_name(e));
            let mut env: StringList = ctx.env.iter().filter(|e| !set_one_by_one(e)).collect();
            for e in self.env.drain(..) {
                env.push(&e);
            }
            ctx.env = env;
        }
        let stdin = std::mem::replace(&mut self.stdin, Input::Null);
        let stdout = std::mem::replace(&mut self.stdout, Output::Null);
        let stderr = std::mem::replace(&mut self.stderr, Output::Null);
        let r_in = crate::handle::stdio_rights(stdin.host_fd(), rights::FD_READ);
        let r_out = crate::handle::stdio_rights(stdout.host_fd(), rights::FD_WRITE);
        let r_err = crate::handle::stdio_rights(stderr.host_fd(), rights::FD_WRITE);
        ctx.table
            .insert_at(0, Entry::new(Handle::Stdin(stdin), r_in, 0));
        ctx.table
            .insert_at(1, Entry::new(Handle::Stdout(stdout), r_out, 0));
        ctx.table
            .insert_at(2, Entry::new(Handle::Stdout(stderr), r_err, 0));

        for p in self.preopens.drain(..) {
            let dir = match p.host {
                PreopenSource::Path(host) => {
                    let dir =
                        Dir::open_ambient_dir(&host, ambient_authority()).with_context(|| {
                            format!("cannot preopen directory `{}`", host.display())
                        })?;
                    if !dir.dir_metadata()?.is_dir() {
                        bail!("cannot preopen `{}`: not a directory", host.display());
                    }
                    dir
                }
                PreopenSource::Opened(dir) => dir,
            };
            // A read-only preopen keeps the full inheriting set, so that wasi-libc asks for the
            // write rights an `O_WRONLY` open implies and `path_open` can refuse it.
            let mut base = rights::DIRECTORY;
            if p.read_only {
                base &= !rights::DIR_WRITE;
            }
            let inheriting = rights::DIRECTORY | rights::REGULAR_FILE;
            let mut entry = Entry::new(Handle::Dir(dir), base, inheriting);
            entry.preopen = Some(p.guest);
            entry.read_only = p.read_only;
            ctx.table.push(entry).map_err(|e| anyhow::anyhow!("{e}"))?;
        }

        for l in self.listeners.drain(..) {
            let listener = match l {
                Listen::Socket(s) => s,
                Listen::Addr(a) => TcpListener::bind(&a)
                    .with_context(|| format!("cannot listen on TCP address `{a}`"))?,
            };
            let entry = Entry::new(Handle::Listener(listener), rights::LISTENER, rights::SOCKET);
            ctx.table.push(entry).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(ctx)
    }
}

/// The name of a `NAME=VALUE` entry (all of it when it has no `=`).
fn entry_name(entry: &[u8]) -> &[u8] {
    entry.split(|&b| b == b'=').next().unwrap_or_default()
}

/// A command line's `--env` value: `NAME=VALUE` gives the name and the value, `NAME` alone the
/// name and `None` (the host's value is to be passed on). Bytes that are not UTF-8 pass as they
/// are; an empty name is an error.
pub fn parse_env_spec(spec: &OsStr) -> Result<(&OsStr, Option<&OsStr>)> {
    let bytes = spec.as_bytes();
    match bytes.iter().position(|&b| b == b'=') {
        Some(0) => bail!("--env `{}`: the variable name is empty", spec.display()),
        Some(at) => Ok((
            OsStr::from_bytes(&bytes[..at]),
            Some(OsStr::from_bytes(&bytes[at + 1..])),
        )),
        None if bytes.is_empty() => bail!("--env: the variable name is empty"),
        None => Ok((spec, None)),
    }
}

/// A command line's directory grant `HOST[::GUEST]` (the value of `flag`): the host and guest
/// paths, the guest defaulting to the host; neither may be empty.
pub fn parse_dir_spec<'a>(flag: &str, spec: &'a str) -> Result<(&'a str, &'a str)> {
    let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
    if host.is_empty() || guest.is_empty() {
        bail!("{flag} `{spec}`: expected HOST or HOST::GUEST");
    }
    Ok((host, guest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_preopen_is_a_clear_error() {
        let err = WasiCtxBuilder::new()
            .preopen_dir("/definitely/not/here", "x")
            .build()
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("/definitely/not/here"), "{text}");
        assert!(text.contains("No such file"), "{text}");
    }

    #[test]
    fn file_as_preopen_is_an_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = WasiCtxBuilder::new()
            .preopen_dir(file.path(), "f")
            .build()
            .unwrap_err();
        assert!(format!("{err:#}").contains(&file.path().display().to_string()));
    }

    #[test]
    fn specs_parse() {
        let tmp = tempfile::tempdir().unwrap();
        let host = tmp.path().to_str().unwrap().to_string();
        let mut b = WasiCtxBuilder::new();
        b.dir_spec(&format!("{host}::/sandbox")).unwrap();
        b.dir_spec(&host).unwrap();
        b.env_spec("A=1").unwrap().env_spec("B=x=y").unwrap();
        assert!(b.env_spec("=v").is_err());
        assert!(b.dir_spec("::guest").is_err());
        let ctx = b.build().unwrap();
        assert_eq!(ctx.env.packed(), b"A=1\0B=x=y\0");
        assert_eq!(
            ctx.table.get(3).unwrap().preopen.as_deref(),
            Some("/sandbox")
        );
        assert_eq!(
            ctx.table.get(4).unwrap().preopen.as_deref(),
            Some(host.as_str())
        );
    }

    #[test]
    fn read_only_preopen_drops_write_rights() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = WasiCtxBuilder::new()
            .preopen_dir_read_only(tmp.path(), "ro")
            .build()
            .unwrap();
        let e = ctx.table.get(3).unwrap();
        assert!(e.read_only);
        assert_eq!(e.base & rights::PATH_CREATE_FILE, 0);
        assert_eq!(e.base & rights::PATH_UNLINK_FILE, 0);
        assert_ne!(e.base & rights::PATH_OPEN, 0);
        assert_ne!(e.inheriting & rights::FD_READ, 0);
    }

    #[test]
    fn an_opened_directory_is_preopened_with_the_rights_asked_for() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"x").unwrap();
        let dir = Dir::open_ambient_dir(tmp.path(), ambient_authority()).unwrap();
        let ctx = WasiCtxBuilder::new()
            .preopen_opened(dir.try_clone().unwrap(), "/ro", true)
            .preopen_opened(dir, "/rw", false)
            .build()
            .unwrap();
        let (ro, rw) = (ctx.table.get(3).unwrap(), ctx.table.get(4).unwrap());
        assert_eq!(ro.preopen.as_deref(), Some("/ro"));
        assert!(ro.read_only);
        assert_eq!(ro.base & rights::PATH_CREATE_FILE, 0);
        assert_eq!(rw.preopen.as_deref(), Some("/rw"));
        assert!(!rw.read_only);
        assert_ne!(rw.base & rights::PATH_CREATE_FILE, 0);
        let Handle::Dir(d) = &ro.handle else {
            panic!("not a directory")
        };
        assert_eq!(d.read("f").unwrap(), b"x");
    }

    #[test]
    fn environment_entries_pass_as_given_and_bad_ones_fail_the_build() {
        let mut b = WasiCtxBuilder::new();
        b.env("A", "1")
            .env_list([&b"B=2=3"[..], b"C=", b"A=0"].into_iter().collect());
        b.env("A", "4");
        let ctx = b.build().unwrap();
        assert_eq!(ctx.env.packed(), b"B=2=3\0C=\0A=4\0");
        let ctx = WasiCtxBuilder::new()
            .env_list([&b"B=2"[..]].into_iter().collect())
            .build()
            .unwrap();
        assert_eq!(ctx.env.packed(), b"B=2\0");
        for bad in [&b"NOEQUALS"[..], b"=v"] {
            let err = WasiCtxBuilder::new()
                .env_list([bad].into_iter().collect())
                .build()
                .unwrap_err();
            assert!(
                format!("{err:#}").contains("environment variable"),
                "{err:#}"
            );
        }
        assert!(WasiCtxBuilder::new().env("A=B", "v").build().is_err());
        assert!(WasiCtxBuilder::new().env("A", "v\0").build().is_err());
    }

    #[test]
    fn nothing_is_granted_by_default() {
        let ctx = WasiCtxBuilder::new().build().unwrap();
        assert!(ctx.args.is_empty() && ctx.env.is_empty());
        assert_eq!(ctx.table.len(), 3);
        assert!(ctx.table.get(3).is_err());
    }

    #[test]
    fn listeners_follow_preopens() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = WasiCtxBuilder::new()
            .tcp_listen("127.0.0.1:0")
            .preopen_dir(tmp.path(), "d")
            .build()
            .unwrap();
        assert!(matches!(ctx.table.get(3).unwrap().handle, Handle::Dir(_)));
        assert!(matches!(
            ctx.table.get(4).unwrap().handle,
            Handle::Listener(_)
        ));
        let err = WasiCtxBuilder::new()
            .tcp_listen("not an address")
            .build()
            .unwrap_err();
        assert!(format!("{err:#}").contains("not an address"));
    }
}
