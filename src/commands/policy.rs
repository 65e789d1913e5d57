//! Capability policy for programs started through binfmt_misc (`./app.wasm`).
//!
//! Such a program gets, by default, the current directory preopened read-write as `.` and the
//! host's `LANG`, `LC_ALL` and `TERM` (when set): nothing else. Policy files grant more: first the
//! system-wide `/etc/wexe/policy.toml`, then the user's `~/.config/wexe/policy.toml`
//! (`$XDG_CONFIG_HOME/wexe/policy.toml`). The format is in docs/binfmt.md; parsing and checking
//! live in `policy_file`, and [`Grants`] is what a run gets — the seam where WASI's context
//! builder takes over.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

pub use super::policy_file::{CwdMode, PolicyFile};

/// The host variables passed to every program when no policy says otherwise: locale and terminal
/// type, which hold no secrets and make output right.
pub const DEFAULT_ENV: &[&str] = &["LANG", "LC_ALL", "TERM"];

/// The system-wide policy file.
pub const SYSTEM_POLICY: &str = "/etc/wexe/policy.toml";

/// The user's policy file: `$XDG_CONFIG_HOME/wexe/policy.toml`, else `~/.config/wexe/policy.toml`.
pub fn user_policy_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("wexe").join("policy.toml"))
}

/// A directory a program may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGrant {
    pub host: PathBuf,
    pub guest: String,
    pub read_only: bool,
}

impl DirGrant {
    /// A command line's `HOST[::GUEST]` (`--dir`, `--dir-ro`): GUEST defaults to HOST, and
    /// neither may be empty.
    pub fn parse(spec: &str, read_only: bool) -> Result<DirGrant> {
        let flag = if read_only { "--dir-ro" } else { "--dir" };
        let (host, guest) = wexe_wasi::parse_dir_spec(flag, spec)?;
        Ok(DirGrant {
            host: PathBuf::from(host),
            guest: guest.to_string(),
            read_only,
        })
    }
}

/// Limits on a run (see `limits.rs` for how they are enforced).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes all linear memories and tables of the run may take together, every
    /// instance's (preloads included); a table element counts `wexe::TABLE_ELEMENT_BYTES`.
    pub max_memory: Option<u64>,
    /// The most elements any one table may hold.
    pub max_table_elements: Option<u64>,
    /// The most instances, tables and linear memories the run may create.
    pub max_instances: Option<u64>,
    pub max_tables: Option<u64>,
    pub max_memories: Option<u64>,
    /// Whether a refused memory or table growth traps instead of returning -1.
    pub trap_on_grow_failure: bool,
    /// Fuel: units of execution (one per function call and loop iteration).
    pub fuel: Option<u64>,
    /// Wall-clock time for the run.
    pub timeout: Option<Duration>,
}

/// Everything a program is given: what WASI's context builder and the engine config are made from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub dirs: Vec<DirGrant>,
    /// Environment variables, in order, each name once.
    pub env: Vec<(OsString, OsString)>,
    /// Addresses to listen on, handed to the program as preopened sockets.
    pub tcplisten: Vec<String>,
    pub limits: Limits,
    /// Where each grant came from (`file:line`), for `wexe binfmt policy`.
    pub matched: Vec<String>,
}

impl Grants {
    /// Sets the variable `name` (a later value of a name replaces an earlier one).
    pub fn set_env(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        let (name, value) = (name.into(), value.into());
        match self.env.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.env.push((name, value)),
        }
    }
}

/// The identity of a program, as rules match it, and the bytes it runs: all of it taken from
/// one open file, so that no swap of the file or of a symlink on its path between reading it
/// and checking it can pair one file's bytes with another path's grants.
pub struct Program {
    /// Where the open file is, in full (`/proc/self/fd/N`); `None` when that cannot be told
    /// (no `/proc`, a path longer than `PATH_MAX`, a deleted file): then no `path` rule
    /// matches it, since an unresolved path proves nothing.
    pub path: Option<PathBuf>,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's bytes: what runs.
    pub bytes: Vec<u8>,
}

impl Program {
    /// Opens the program at `path` once and reads everything from that descriptor.
    pub fn open(path: &Path) -> Result<Program> {
        use std::io::Read;
        let mut file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !meta.is_file() {
            bail!("{} is not a regular file", path.display());
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Program {
            path: open_file_path(&file, &meta),
            sha256: Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            bytes,
        })
    }
}

/// The absolute path of an open file, as the kernel knows it, when it still names that file.
fn open_file_path(file: &std::fs::File, meta: &std::fs::Metadata) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    if meta.nlink() == 0 {
        return None; // deleted: the name the kernel shows ends in " (deleted)"
    }
    let link = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    // Not absolute: outside this process's root ("(unreachable)/..."), or not a path at all.
    if !link.is_absolute() {
        return None;
    }
    // The name must still be this file (it was renamed or replaced in the meantime otherwise).
    let now = std::fs::metadata(&link).ok()?;
    (now.dev() == meta.dev() && now.ino() == meta.ino()).then_some(link)
}

/// The policy files that apply, in order (system first), with those absent left out.
pub fn load_policies() -> Result<Vec<PolicyFile>> {
    let mut files = vec![PathBuf::from(SYSTEM_POLICY)];
    files.extend(user_policy_path());
    let mut out = Vec::new();
    for path in files {
        if let Some(policy) = PolicyFile::load(&path)? {
            out.push(policy);
        }
    }
    Ok(out)
}

/// What `program` gets under `policies` when started from `cwd`, reading inherited variables
/// through `getenv`.
pub fn resolve(
    policies: &[PolicyFile],
    program: &Program,
    cwd: &Path,
    getenv: &dyn Fn(&str) -> Option<OsString>,
) -> Grants {
    let mut cwd_mode = CwdMode::Rw;
    let mut inherit: Vec<String> = DEFAULT_ENV.iter().map(|s| s.to_string()).collect();
    for p in policies {
        if let Some(d) = &p.defaults {
            cwd_mode = d.cwd.unwrap_or(cwd_mode);
            if let Some(names) = &d.inherit_env {
                inherit = names.clone();
            }
        }
    }
    let mut g = Grants::default();
    if cwd_mode != CwdMode::None {
        g.dirs.push(DirGrant {
            host: cwd.to_path_buf(),
            guest: ".".to_string(),
            read_only: cwd_mode == CwdMode::Ro,
        });
    }
    for name in &inherit {
        if let Some(v) = getenv(name) {
            g.set_env(name, v);
        }
    }
    for p in policies {
        for rule in p.programs.iter().filter(|r| r.matches(program)) {
            g.matched
                .push(format!("{}:{}", p.path.display(), rule.line));
            g.dirs.extend(rule.dirs.iter().cloned());
            for name in &rule.inherit_env {
                if let Some(v) = getenv(name) {
                    g.set_env(name, v);
                }
            }
            for (k, v) in &rule.env {
                g.set_env(k, v);
            }
            g.tcplisten.extend(rule.tcplisten.iter().cloned());
            // Of several limits the strictest wins.
            let min = |a: Option<u64>, b: Option<u64>| match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            g.limits.max_memory = min(g.limits.max_memory, rule.limits.max_memory);
            g.limits.max_table_elements =
                min(g.limits.max_table_elements, rule.limits.max_table_elements);
            g.limits.fuel = min(g.limits.fuel, rule.limits.fuel);
            g.limits.timeout = match (g.limits.timeout, rule.limits.timeout) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    g
}
