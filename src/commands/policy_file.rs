//! Reading one policy file: TOML through serde (unknown keys are errors), then checks that need
//! the file system or a format (directories exist, sizes, durations, hashes). Every error names
//! the file and line: `/etc/wexe/policy.toml:7: granted directory /srv/data does not exist`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use serde::Deserialize;
use toml::Spanned;

use super::policy::{DirGrant, Limits, Program};

/// How the current directory is given to programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CwdMode {
    Rw,
    Ro,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<RawDefaults>,
    #[serde(default)]
    program: Vec<Spanned<RawProgram>>,
}

/// The `[defaults]` table, applying to every program.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub cwd: Option<CwdMode>,
    pub inherit_env: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    path: Option<Spanned<String>>,
    sha256: Option<Spanned<String>>,
    #[serde(default)]
    dirs: Vec<Spanned<RawDir>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    inherit_env: Vec<String>,
    #[serde(default)]
    tcplisten: Vec<Spanned<String>>,
    max_memory: Option<Spanned<RawSize>>,
    max_table_elements: Option<u64>,
    fuel: Option<u64>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDir {
    host: Spanned<String>,
    guest: Option<String>,
    mode: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSize {
    Bytes(u64),
    Text(String),
}

/// One checked `[[program]]` rule.
#[derive(Clone, Debug)]
pub struct ProgramRule {
    pub line: usize,
    /// An exact path, or a directory (ending in `/`) whose programs all match.
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub dirs: Vec<DirGrant>,
    pub env: BTreeMap<String, String>,
    pub inherit_env: Vec<String>,
    pub tcplisten: Vec<String>,
    pub limits: Limits,
}

impl ProgramRule {
    /// A rule matches when every criterion it has matches.
    pub fn matches(&self, program: &Program) -> bool {
        // A path rule needs the program's resolved path: an unresolved one matches no rule.
        let path_ok = self.path.as_ref().is_none_or(|p| {
            let Some(path) = &program.path else {
                return false;
            };
            // The rule's own path is resolved too (the policy file is trusted); if it cannot
            // be, it is compared as written, which only a path without symlinks can equal.
            let want = std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
            if p.ends_with('/') {
                path.starts_with(&want)
            } else {
                *path == want
            }
        });
        let hash_ok = self.sha256.as_ref().is_none_or(|h| *h == program.sha256);
        path_ok && hash_ok
    }
}

/// A checked policy file.
#[derive(Clone, Debug)]
pub struct PolicyFile {
    pub path: PathBuf,
    pub defaults: Option<RawDefaults>,
    pub programs: Vec<ProgramRule>,
}

impl PolicyFile {
    /// Reads and checks `path`; `None` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<PolicyFile>> {
        match std::fs::read_to_string(path) {
            Ok(text) => PolicyFile::parse(path, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => bail!("cannot read policy file {}: {e}", path.display()),
        }
    }

    /// Parses and checks the text of a policy file read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<PolicyFile> {
        let at = |offset: usize| line_of(text, offset);
        let fail = |offset: usize, msg: String| -> anyhow::Error {
            anyhow::anyhow!("{}:{}: {msg}", path.display(), at(offset))
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            fail(offset, e.message().trim().to_string())
        })?;
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let mut programs = Vec::new();
        for spanned in raw.program {
            let start = spanned.span().start;
            let p = spanned.into_inner();
            if p.path.is_none() && p.sha256.is_none() {
                bail!(fail(
                    start,
                    "a [[program]] needs `path` or `sha256` to match".into()
                ));
            }
            let path = match p.path {
                Some(s) => {
                    let expanded = expand_home(s.get_ref(), home.as_deref());
                    if !Path::new(&expanded).is_absolute() {
                        bail!(fail(
                            s.span().start,
                            format!("path `{expanded}` is not absolute")
                        ));
                    }
                    Some(expanded)
                }
                None => None,
            };
            let sha256 = match p.sha256 {
                Some(s) => {
                    let h = s.get_ref().to_ascii_lowercase();
                    if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                        bail!(fail(s.span().start, "sha256 must be 64 hex digits".into()));
                    }
                    Some(h)
                }
                None => None,
            };
            let mut dirs = Vec::new();
            for d in p.dirs {
                let d = d.into_inner();
                let host = expand_home(d.host.get_ref(), home.as_deref());
                let line_at = d.host.span().start;
                if !Path::new(&host).is_absolute() {
                    bail!(fail(line_at, format!("directory `{host}` is not absolute")));
                }
                if !Path::new(&host).is_dir() {
                    bail!(fail(
                        line_at,
                        format!("granted directory {host} does not exist")
                    ));
                }
                let read_only = match d.mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
                    None | Some(("ro", _)) => true,
                    Some(("rw", _)) => false,
                    Some((other, span)) => bail!(fail(
                        span.start,
                        format!("mode `{other}`: use \"ro\" (read-only) or \"rw\" (read-write)")
                    )),
                };
                let guest = d.guest.unwrap_or_else(|| host.clone());
                dirs.push(DirGrant {
                    host: PathBuf::from(host),
                    guest,
                    read_only,
                });
            }
            let mut tcplisten = Vec::new();
            for a in p.tcplisten {
                if a.get_ref().parse::<std::net::SocketAddr>().is_err() {
                    bail!(fail(
                        a.span().start,
                        format!("`{}` is not an address like 127.0.0.1:8080", a.get_ref())
                    ));
                }
                tcplisten.push(a.into_inner());
            }
            let max_memory = match p.max_memory {
                Some(s) => Some(match s.get_ref() {
                    RawSize::Bytes(n) => *n,
                    RawSize::Text(t) => parse_size(t).ok_or_else(|| {
                        fail(s.span().start, format!("bad size `{t}` (e.g. \"64MiB\")"))
                    })?,
                }),
                None => None,
            };
            let timeout = match p.timeout {
                Some(s) => Some(parse_duration(s.get_ref()).ok_or_else(|| {
                    fail(
                        s.span().start,
                        format!("bad duration `{}` (e.g. \"10s\")", s.get_ref()),
                    )
                })?),
                None => None,
            };
            programs.push(ProgramRule {
                line: at(start),
                path,
                sha256,
                dirs,
                env: p.env,
                inherit_env: p.inherit_env,
                tcplisten,
                limits: Limits {
                    max_memory,
                    max_table_elements: p.max_table_elements,
                    fuel: p.fuel,
                    timeout,
                    ..Limits::default()
                },
            });
        }
        Ok(PolicyFile {
            path: path.to_path_buf(),
            defaults: raw.defaults,
            programs,
        })
    }
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn expand_home(p: &str, home: Option<&Path>) -> String {
    match (p.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest).to_string_lossy().into_owned(),
        _ => p.to_string(),
    }
}

/// `65536`, `64KiB`, `64MiB`, `1GiB` (also `K`, `M`, `G`, `KB`, ... as powers of 1024).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

/// `500ms`, `10s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    Some(match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        "h" => Duration::from_secs(n.checked_mul(3600)?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PolicyFile> {
        PolicyFile::parse(Path::new("/etc/wexe/policy.toml"), text)
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = parse("[defaults]\ncwd = \"rw\"\n\n[[program]]\npath = \"/a.wasm\"\ndirz = []\n");
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.starts_with("/etc/wexe/policy.toml:6: unknown field `dirz`"),
            "{msg}"
        );
        let e = parse("[[program]]\npath = \"/a.wasm\"\ndirs = [{ host = \"/no/such/dir\" }]\n");
        let msg = e.unwrap_err().to_string();
        assert_eq!(
            msg,
            "/etc/wexe/policy.toml:3: granted directory /no/such/dir does not exist"
        );
        let msg = parse("[[program]\n").unwrap_err().to_string();
        assert!(msg.starts_with("/etc/wexe/policy.toml:1: "), "{msg}");
        let msg = parse("[[program]]\nenv = {}\n").unwrap_err().to_string();
        assert!(msg.contains(":1: a [[program]] needs"), "{msg}");
    }

    #[test]
    fn a_full_rule_is_read() {
        let p = parse("[[program]]\nsha256 = \"AB".to_string().as_str());
        assert!(p.is_err());
        let hash = "ab".repeat(32);
        let text = format!(
            "[[program]]\nsha256 = \"{hash}\"\ndirs = [{{ host = \"/tmp\", guest = \"/t\", mode = \"rw\" }}]\n\
             env = {{ A = \"1\" }}\ntcplisten = [\"127.0.0.1:8080\"]\nmax_memory = \"64MiB\"\nmax_table_elements = 1000\nfuel = 5\ntimeout = \"2s\"\n"
        );
        let p = parse(&text).unwrap();
        let r = &p.programs[0];
        assert_eq!(r.line, 1);
        assert_eq!(r.sha256.as_deref(), Some(hash.as_str()));
        assert_eq!(r.dirs[0].guest, "/t");
        assert!(!r.dirs[0].read_only);
        assert_eq!(r.limits.max_memory, Some(64 << 20));
        assert_eq!(r.limits.max_table_elements, Some(1000));
        assert_eq!(r.limits.timeout, Some(Duration::from_secs(2)));
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("2KiB"), Some(2048));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("10"), None);
    }
}
