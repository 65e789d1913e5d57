//! The subcommands of `wexe`, one per file, and what they share: the `--tier` option, one-line
//! error messages, and a panic hook that reports a bug without a Rust backtrace.

pub mod backtrace;
pub mod binfmt;
pub mod binfmt_exec;
mod binfmt_kernel;
pub mod cache;
pub mod compile;
mod debug_args;
mod dwarf;
pub mod features;
pub mod inspect;
pub mod limits;
pub(crate) mod policy;
mod policy_file;
mod preload;
mod program;
pub mod run;
mod sandbox_args;
pub mod serve;
pub mod validate;
mod values;
pub mod wast;

use clap::ValueEnum;
use wexe::{Config, Tier};

/// The `--tier` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// The interpreter: portable, starts at once.
    Interp,
    /// The Cranelift JIT: every function compiled before the program starts.
    Jit,
    /// Tier-up: starts in the interpreter, compiles the hot functions in the background (the
    /// default where Cranelift supports the machine).
    Auto,
}

impl Default for TierArg {
    fn default() -> TierArg {
        if cfg!(all(
            target_os = "linux",
            any(target_arch = "x86_64", target_arch = "aarch64")
        )) {
            TierArg::Auto
        } else {
            TierArg::Interp
        }
    }
}

impl TierArg {
    /// Engine settings for this tier.
    pub fn config(self) -> Config {
        let mut config = Config::new();
        config.tier(match self {
            TierArg::Interp => Tier::Interp,
            TierArg::Jit => Tier::Jit,
            TierArg::Auto => Tier::Auto,
        });
        config
    }

    /// Engine settings for this tier, keeping compiled code (and, in every tier, the mark of
    /// large modules that validated) in the on-disk cache unless `cache` is false.
    pub fn config_cached(self, cache: bool) -> Config {
        let mut config = self.config();
        if cache {
            config.cache_dir(cache::dir());
        }
        config
    }
}

/// An error and its causes on one line: `outer: inner: cause`. Multi-line messages (such as the
/// text parser's, with a source snippet) keep their first line and their `file:line:col`.
pub fn one_line(e: &anyhow::Error) -> String {
    let full = format!("{e:#}");
    let mut lines = full.lines();
    let first = lines.next().unwrap_or_default().trim_end().to_string();
    let rest: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    if rest.is_empty() {
        return first;
    }
    if let Some(loc) = rest.iter().find_map(|l| l.strip_prefix("--> ")) {
        return format!("{first} (at {loc})");
    }
    let mut out = first;
    for line in rest {
        out.push(' ');
        out.push_str(line);
    }
    out
}

/// Reports an error that stopped a command before or instead of running a program: one line
/// `wexe: error: ...` on stderr (named, since under binfmt it stands among the program's own
/// output), and exit status 1. `wexe run` and binfmt runs share it.
pub fn report_error(e: &anyhow::Error) -> std::process::ExitCode {
    eprintln!("wexe: error: {}", one_line(e));
    std::process::ExitCode::from(1)
}

/// Reports a panic (a bug in wexe) as one line, without a Rust backtrace unless
/// `RUST_BACKTRACE` asks for one.
pub fn install_panic_hook() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(no message)".to_string()
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in wexe (please report it): {msg}{at}");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_keeps_the_location_of_a_snippet_error() {
        let e = anyhow::anyhow!(
            "expected `(`\n     --> a.wat:3:7\n      |\n    3 | oops\n      |       ^"
        )
        .context("invalid module a.wat");
        assert_eq!(
            one_line(&e),
            "invalid module a.wat: expected `(` (at a.wat:3:7)"
        );
        let e = anyhow::anyhow!("first\n  second").context("ctx");
        assert_eq!(one_line(&e), "ctx: first second");
    }
}
