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

/// What `outside/secret.txt` holds: no granted program may print it.
pub const SECRET: &str = "TOP-SECRET-4711\n";

/// A temporary tree on the host: `granted/` is what the attack's program is given, `outside/`
/// holds what it must not reach (`secret.txt` holding [`SECRET`], an empty directory), `home/` stands in for the
/// user's home (cache and configuration go there: `HOME`, `XDG_CACHE_HOME` and
/// `XDG_CONFIG_HOME` point into it for every run).
pub struct World {
    pub dir: tempfile::TempDir,
    before: BTreeMap<PathBuf, String>,
    /// Paths (relative to the root) that may change: `granted/`, the `bin/` of helper links,
    /// wexe's own cache of compiled code, and what a test adds with [`World::may_change`].
    changing: Vec<PathBuf>,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for d in ["granted", "outside/empty", "home/.cache", "home/.config"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("outside/secret.txt"), SECRET).unwrap();
        World {
            dir,
            before: BTreeMap::new(),
            changing: ["granted", "bin", "home/.cache/wexe"]
                .map(PathBuf::from)
                .to_vec(),
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

    /// Lets the test itself change `rel` (relative to the root) after [`World::seal`].
    pub fn may_change(&mut self, rel: &str) {
        self.changing.push(PathBuf::from(rel));
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

    fn state(&self) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        snapshot(self.root(), self.root(), &self.changing, &mut out);
        out
    }

    /// Runs `wexe ARGS...` in this world (see [`wexe_in`]).
    pub fn wexe<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        wexe_in(self, self.root(), args)
    }

    /// Runs `wexe ARGS...` in this world with the standard streams of `streams`.
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

/// Records every entry under `dir` but those in `skip`; entries whose paths outgrow what the
/// system calls take are recorded as such.
fn snapshot(root: &Path, dir: &Path, skip: &[PathBuf], out: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        if skip.contains(&rel) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            out.insert(rel, "unreachable".to_string());
            continue;
        };
        let what = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            format!("link -> {}", target.display())
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
    /// The most memory the process (and any child it waited for) had resident, in bytes, as
    /// `wait4` reports it.
    pub peak_rss: u64,
}

/// How long the harness lets one run of `wexe` go before killing it: an attack that makes wexe
/// hang fails instead of hanging the suite.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs the `wexe` binary with `args` in `cwd`, with the world's home as `HOME` and its cache and
/// configuration there, and no standard input; kills it after [`RUN_LIMIT`].
pub fn wexe_in<S: AsRef<OsStr>>(world: &World, cwd: &Path, args: &[S]) -> Run {
    command_in(world, cwd, Path::new(env!("CARGO_BIN_EXE_wexe")), args)
}

/// Runs `program` like [`wexe_in`] does (for `wexe-binfmt` links and the like); see
/// [`command_with`] for other standard streams.
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
///
/// The program is started by `/bin/sh` in the background, so that the peak RSS that `wait4`
/// reports is its own: Linux carries the high-water mark of the address space a process
/// leaves into the process at `execve`, and a child spawned directly from this (large, some
/// 130 MB) test process would report at least this process's size. The shell's address space
/// is small; it writes the program's pid to a file and exits, and the program, orphaned, is
/// reparented to this process (a child subreaper), which reaps it with `wait4`.
pub fn command_with<S: AsRef<OsStr>>(
    world: &World,
    cwd: &Path,
    program: &Path,
    args: &[S],
    streams: Streams,
) -> Run {
    become_subreaper();
    let start = Instant::now();
    let pid_file = tempfile::NamedTempFile::new().expect("a pid file");
    let mut shell = Command::new("/bin/sh")
        .args(["-c", BACKGROUND, "sh"])
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .env("HOME", world.home())
        .env("XDG_CACHE_HOME", world.home().join(".cache"))
        .env("XDG_CONFIG_HOME", world.home().join(".config"))
        .env("WEXE_HARNESS_PID_FILE", pid_file.path())
        .stdin(if streams.stdin_open_pipe {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start /bin/sh");
    // Held, unwritten, until the run ended.
    let stdin = shell.stdin.take();
    let mut stdout = shell.stdout.take().unwrap();
    let mut stderr = shell.stderr.take().unwrap();
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
    assert!(
        shell.wait().expect("the shell ends").success(),
        "the shell failed"
    );
    let pid: libc::pid_t = std::fs::read_to_string(pid_file.path())
        .expect("the pid file")
        .trim()
        .parse()
        .expect("the shell writes the program's pid");
    let mut killed = false;
    let (status, peak_rss) = loop {
        if let Some(done) = reap(pid, false) {
            break done;
        }
        if start.elapsed() > RUN_LIMIT {
            // SAFETY: `pid` is our unreaped child, so the pid cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
            break reap(pid, true).expect("the killed program ends");
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
        peak_rss,
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        elapsed,
        killed,
    }
}

/// The shell script of [`command_with`]: the program starts once the shell is gone (dash
/// would otherwise reap a quick background job itself), with the shell's stdin (fd 3 carries
/// it past the `/dev/null` that a background job's stdin otherwise is).
const BACKGROUND: &str = "exec 3<&0; \
    { while kill -0 $$ 2>/dev/null; do sleep 0.01; done; exec \"$@\" <&3 3<&-; } & \
    echo $! > \"$WEXE_HARNESS_PID_FILE\"";

/// Makes this process the reaper of its orphaned descendants (once; Linux).
fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: PR_SET_CHILD_SUBREAPER takes one integer argument and touches no memory.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(r, 0, "prctl: {}", std::io::Error::last_os_error());
    });
}

/// Reaps process `pid` with `wait4` (blocking when `block`): its exit status and peak resident
/// set in bytes, or `None` while it still runs.
fn reap(pid: libc::pid_t, block: bool) -> Option<(std::process::ExitStatus, u64)> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: `status` and `usage` are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        match r {
            0 => return None,
            r if r == pid => break,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => panic!("wait4 {pid}: {}", std::io::Error::last_os_error()),
        }
    }
    // Linux reports ru_maxrss in KiB.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Some((std::process::ExitStatus::from_raw(status), peak))
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
