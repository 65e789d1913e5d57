//! `wexe cache dir|clean|stats`: the on-disk cache of compiled modules that `wexe run` keeps
//! (in `$XDG_CACHE_HOME/wexe`, else `~/.cache/wexe`). Entries are keyed by the module's bytes,
//! the wexe version, the compiler settings and the CPU's features; each is signed with a key
//! from the user's kernel keyring, and an entry that is corrupt or that wexe did not write is
//! recompiled, never run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

/// Where compiled modules are cached, or `None` when there is no home to put it in.
pub fn dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("wexe"))
}

const EXAMPLES: &str = "\\
Examples:
  wexe cache dir      print where compiled modules are kept
  wexe cache stats    how many entries, how many bytes
  wexe cache clean    remove every entry (they are recompiled when needed)";

/// Manage the cache of compiled modules that `wexe run` keeps
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct CacheCommand {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Print the cache directory
    Dir,
    /// Remove every cached module
    Clean,
    /// Show the number and total size of cached modules
    Stats,
}

/// The cache's entries (files named `*.wexe`, and leftovers of interrupted writes).
fn entries(dir: &std::path::Path) -> Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    let list = match std::fs::read_dir(dir) {
        Ok(list) => list,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for e in list {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".wexe") || name.contains(".tmp") {
            out.push((e.path(), e.metadata()?.len()));
        }
    }
    Ok(out)
}

impl CacheCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let dir = dir().context("no cache directory: neither XDG_CACHE_HOME nor HOME is set")?;
        match self.action {
            Action::Dir => println!("{}", dir.display()),
            Action::Stats => {
                let e = entries(&dir)?;
                let bytes: u64 = e.iter().map(|(_, n)| n).sum();
                println!("{}: {} entries, {} bytes", dir.display(), e.len(), bytes);
                if let Err(why) = wexe::Config::cache_available() {
                    println!("the cache is off: {why}");
                }
            }
            Action::Clean => {
                let e = entries(&dir)?;
                for (path, _) in &e {
                    std::fs::remove_file(path)
                        .with_context(|| format!("cannot remove {}", path.display()))?;
                }
                println!("removed {} entries from {}", e.len(), dir.display());
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
