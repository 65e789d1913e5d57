//! Binfmt mode: `wexe` started by the kernel for `./app.wasm a b c`.
//!
//! The registered interpreter is a link named `wexe-binfmt`; with the `P` flag the kernel runs it
//! with `argv = ["/path/to/wexe-binfmt", "./app.wasm", "./app.wasm", "a", "b", "c"]`: the
//! registered interpreter path, the file name given to execve, then the program's own argv
//! (argv[0] included). wexe recognises the mode by its argv[0]'s file name, before any flag parsing,
//! so every argument — `--help` too — belongs to the program.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use wexe::{Engine, Module};

use super::binfmt_kernel::INTERPRETER_NAME;
use super::policy;
use super::{TierArg, program};

/// Whether `argv` is the kernel starting `wexe-binfmt` for a program.
pub fn is_binfmt_invocation(argv: &[OsString]) -> bool {
    argv.first()
        .and_then(|a0| Path::new(a0).file_name())
        .is_some_and(|n| n == INTERPRETER_NAME)
}

/// How the kernel started us: the program file and the program's own argv.
#[derive(Debug, PartialEq, Eq)]
pub struct Invocation {
    pub file: PathBuf,
    pub argv: Vec<OsString>,
}

/// Splits the kernel's argv (`wexe-binfmt FILE ARGV0 ARGS...`, the `P` flag's layout).
pub fn parse_invocation(argv: Vec<OsString>) -> Result<Invocation> {
    let mut it = argv.into_iter().skip(1);
    let Some(file) = it.next() else {
        bail!(
            "{INTERPRETER_NAME} is started by the kernel for `./program.wasm` (binfmt_misc, flag P): \
             {INTERPRETER_NAME} FILE ARGV0 [ARGS...]; to run a module yourself use `wexe run`"
        );
    };
    let mut argv: Vec<OsString> = it.collect();
    if argv.is_empty() {
        // execve with an empty argv: the program's argv[0] is its path.
        argv.push(file.clone());
    }
    Ok(Invocation {
        file: PathBuf::from(file),
        argv,
    })
}

/// Runs the program the kernel gave us; errors before it runs print one line and exit 1.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    match run(argv) {
        Ok(code) => code,
        Err(e) => super::report_error(&e),
    }
}

fn run(argv: Vec<OsString>) -> Result<ExitCode> {
    let inv = parse_invocation(argv)?;
    let file = &inv.file;
    // Opened once: the bytes that run, their hash and the path the rules match all come from
    // this one descriptor.
    let prog = policy::Program::open(file)?;
    let policies = policy::load_policies()?;
    let cwd = std::env::current_dir().context("no current directory")?;
    let grants = policy::resolve(&policies, &prog, &cwd, &|n| std::env::var_os(n));
    let mut config = TierArg::default().config_cached(true);
    super::limits::configure(&mut config, &grants.limits);
    let engine = Engine::new(&config)?;
    let module = Module::from_binary(&engine, &prog.bytes)
        .with_context(|| format!("invalid module {}", file.display()))?;
    let launch = program::Launch {
        file,
        argv: &inv.argv,
        grants: &grants,
        preload: &[],
        invoke: None,
    };
    let outcome = program::run(&engine, &module, &launch)
        .with_context(|| format!("cannot run {}", file.display()))?;
    Ok(program::exit_status(outcome, &|| Some(prog.bytes.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_kernels_argv_is_split() {
        assert!(is_binfmt_invocation(&os(&["/usr/bin/wexe-binfmt", "x"])));
        assert!(!is_binfmt_invocation(&os(&["/usr/bin/wexe", "x"])));
        let inv = parse_invocation(os(&["/b/wexe-binfmt", "./app.wasm", "app", "--help"])).unwrap();
        assert_eq!(inv.file, PathBuf::from("./app.wasm"));
        assert_eq!(inv.argv, os(&["app", "--help"]));
        let inv = parse_invocation(os(&["wexe-binfmt", "/x/app.wasm"])).unwrap();
        assert_eq!(inv.argv, os(&["/x/app.wasm"]));
        assert!(parse_invocation(os(&["wexe-binfmt"])).is_err());
    }
}
