//! What the attacks share: a scratch world on the host with a snapshot to compare against,
//! running `wexe` with a time bound, guest programs from C or the text format, and the
//! `both_tiers!` macro.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../crates/wasi/tests/common/run.rs"]
mod programs;

/// Defines `mod $name { fn interp(); fn jit(); }`: the attack `$body` run with `$tier` set to
/// `"interp"` and to `"jit"`.
#[macro_export]
macro_rules! both_tiers {
    ($(#[$meta:meta])* $name:ident, |$tier:ident| $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn attack($tier: &str) $body
            #[test]
            fn interp() {
                attack("interp")
            }
            #[test]
            fn jit() {
                attack("jit")
            }
        }
    };
}

/// A temporary tree on the host: `granted/` is what the attack's program is given, `outside/`
/// holds what it must not reach (a secret file, an empty directory), `home/` stands in for the
/// user's home (cache and configuration go there: `HOME`, `XDG_CACHE_HOME` and
/// `XDG_CONFIG_HOME` point into it for every run).
pub struct World {
    pub dir: tempfile::TempDir,
    before: BTreeMap<PathBuf, String>,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for d in ["granted", "outside/empty", "home/.cache", "home/.config"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("outside/secret.txt"), "secret\n").unwrap();
        World {
            dir,
            before: BTreeMap::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn granted(&self) -> PathBuf {
        self.root().join("granted")
    }
    pub fn outside(&self) -> PathBuf {
        self.root().join("outside")
    }
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }
    /// A path under the world's root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Records the state of everything outside `granted/` (call it after setting the scene).
    pub fn seal(&mut self) {
        self.before = self.state();
    }

    /// Fails when anything outside `granted/` differs from what [`World::seal`] recorded.
    pub fn assert_untouched(&self) {
        let after = self.state();
        assert_eq!(
            self.before, after,
            "the attack changed the host outside what it was granted"
        );
    }

    /// What the snapshot leaves out: what the program is granted, the `bin/` of helper links
    /// (such as `wexe-binfmt`) and wexe's own cache of compiled code.
    fn state(&self) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        let skip = ["granted", "bin", "home/.cache/wexe"].map(|p| self.path(p));
        snapshot(self.root(), self.root(), &skip, &mut out);
        out
    }

    /// Runs `wexe ARGS...` in this world (see [`wexe_in`]).
    pub fn wexe<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        wexe_in(self, self.root(), args)
    }

    /// Runs `wexe ARGS...` in this world with its standard streams set up as `streams` says.
    pub fn wexe_with<S: AsRef<OsStr>>(&self, args: &[S], streams: Streams) -> Run {
        let wexe = Path::new(env!("CARGO_BIN_EXE_wexe"));
        command_with(self, self.root(), wexe, args, streams)
    }
}

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

fn snapshot(root: &Path, dir: &Path, skip: &[PathBuf], out: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if skip.contains(&path) {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let what = if meta.file_type().is_symlink() {
            format!("link -> {}", std::fs::read_link(&path).unwrap().display())
        } else if meta.is_dir() {
            snapshot(root, &path, skip, out);
            "dir".to_string()
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            format!("file {} bytes, {:016x}", bytes.len(), fnv(&bytes))
        };
        out.insert(rel, what);
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// How a run of `wexe` ended.
#[derive(Debug)]
pub struct Run {
    /// The exit status; `None` when a signal ended it or the harness killed it.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The harness killed it after [`RUN_LIMIT`].
    pub killed: bool,
}

/// How long the harness lets one run of `wexe` go before killing it: an attack that makes wexe
/// hang fails instead of hanging the suite.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs the `wexe` binary with `args` in `cwd`, with the world's home as `HOME` and its cache and
/// configuration there, and no standard input; kills it after [`RUN_LIMIT`]. See
/// [`command_with`] for other standard streams.
pub fn wexe_in<S: AsRef<OsStr>>(world: &World, cwd: &Path, args: &[S]) -> Run {
    command_in(world, cwd, Path::new(env!("CARGO_BIN_EXE_wexe")), args)
}

/// Runs `program` like [`wexe_in`] does (for `wexe-binfmt` links and the like).
pub fn command_in<S: AsRef<OsStr>>(world: &World, cwd: &Path, program: &Path, args: &[S]) -> Run {
    command_with(world, cwd, program, args, Streams::default())
}

/// How a run's standard streams are connected. By default stdin is `/dev/null` and stdout and
/// stderr are pipes the harness reads as the run goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Streams {
    /// Stdin is a pipe that the harness keeps open, and never writes to, until the run ends:
    /// a read of it waits forever.
    pub stdin_open_pipe: bool,
    /// Stdout is a pipe the harness reads only after the run ended: once it is full, writes
    /// to it wait.
    pub stdout_unread: bool,
}

/// Runs `program` like [`command_in`], with the standard streams of `streams`.
pub fn command_with<S: AsRef<OsStr>>(
    world: &World,
    cwd: &Path,
    program: &Path,
    args: &[S],
    streams: Streams,
) -> Run {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("HOME", world.home())
        .env("XDG_CACHE_HOME", world.home().join(".cache"))
        .env("XDG_CONFIG_HOME", world.home().join(".config"))
        .stdin(if streams.stdin_open_pipe {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wexe");
    // Held, unwritten, until the run ended.
    let stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let read_stdout = move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    };
    let (out, unread) = if streams.stdout_unread {
        (None, Some(read_stdout))
    } else {
        (Some(std::thread::spawn(read_stdout)), None)
    };
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            killed = true;
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    drop(stdin);
    let stdout = match (out, unread) {
        (Some(thread), _) => thread.join().unwrap(),
        (None, Some(mut read)) => read(),
        (None, None) => Vec::new(),
    };
    Run {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        elapsed,
        killed,
    }
}

impl Run {
    /// Fails unless the run ended by itself with `status`.
    pub fn assert_status(&self, status: i32) -> &Run {
        assert!(!self.killed, "wexe hung and was killed: {self:#?}");
        assert_eq!(self.status, Some(status), "{self:#?}");
        self
    }
    /// Fails unless stderr contains `text`.
    pub fn assert_stderr(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}: {self:#?}"
        );
        self
    }
}

/// Compiles `tests/programs/NAME.c` for wasm32-wasi into `dir/NAME.wasm`.
pub fn c_program(name: &str, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, programs::compile(name)).unwrap();
    path
}

/// Writes the module of the text `wat` into `dir/NAME.wasm` (as a binary).
pub fn wat_program(name: &str, dir: &Path, wat: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, wat::parse_str(wat).expect("valid text")).unwrap();
    path
}
