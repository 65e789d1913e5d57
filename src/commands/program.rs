//! The one way a program runs, for `wexe run` and for binfmt (`./app.wasm`) alike: its
//! [`Grants`] (directories, variables, sockets, limits — from the command line or from a policy)
//! become the WASI context and the store's limits, the imports are linked (WASI, then any
//! `--preload`ed modules), and `_start` or an exported function is called. How it ended is an
//! [`Outcome`], which [`exit_status`] turns into the process's exit status the same way for
//! both: the program's own status, 134 after a trap (with the trap report), 0 after `--invoke`
//! with its results printed one per line.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use wexe::{Engine, Func, Linker, Module, Store, Val, ValType};
use wexe_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

use super::backtrace::ends_as_trap;
use super::policy::Grants;
use super::values::{parse_args, show_val};

/// What to run and with what.
pub struct Launch<'a> {
    /// The module's file, for messages and trap reports.
    pub file: &'a Path,
    /// The program's argv, `argv[0]` included (with `invoke`, the rest are its arguments).
    pub argv: &'a [OsString],
    pub grants: &'a Grants,
    /// `NAME=PATH` modules to instantiate first (`--preload`).
    pub preload: &'a [String],
    /// An exported function to call instead of `_start`.
    pub invoke: Option<&'a str>,
}

/// How a program ended.
pub enum Outcome {
    /// It returned from `_start` (0) or called `proc_exit` (its status).
    Exit(u8),
    /// It trapped; the error holds the trap and its backtrace.
    Trap(anyhow::Error),
    /// The function of `--invoke` returned these results.
    Returned(Vec<Val>),
    /// It wrote to its stdout or stderr after the reader closed it (`prog | head -1`).
    BrokenPipe,
}

/// The host state of a program: its WASI context, and the store's resource limits.
pub struct ProgramHost {
    pub wasi: WasiCtx,
    pub limits: wexe::StoreLimits,
}

impl super::limits::HasStoreLimits for ProgramHost {
    fn store_limits(&mut self) -> &mut wexe::StoreLimits {
        &mut self.limits
    }
}

/// The WASI context for `argv` under `grants`: stdio inherited, the granted directories,
/// variables and listening sockets. Arguments and variables pass byte for byte.
pub fn wasi_context(argv: &[OsString], grants: &Grants) -> Result<WasiCtx> {
    let mut b = WasiCtxBuilder::new();
    b.args(argv);
    b.inherit_stdio();
    for (name, value) in &grants.env {
        b.env(name, value);
    }
    for d in &grants.dirs {
        b.preopen(&d.host, d.guest.as_str(), d.read_only);
    }
    for addr in &grants.tcplisten {
        b.tcp_listen(addr.as_str());
    }
    b.build()
}

/// Instantiates `module` with what `launch` grants and calls its entry. Errors before the
/// program runs (a directory that cannot be opened, an unknown import, no such function) are
/// `Err`; everything that happens once it runs is an [`Outcome`].
pub fn run(engine: &Engine, module: &Module, launch: &Launch) -> Result<Outcome> {
    let host = ProgramHost {
        wasi: wasi_context(launch.argv, launch.grants)?,
        limits: wexe::StoreLimits::default(),
    };
    let mut store = Store::new(engine, host);
    let mut linker = Linker::new(engine);
    wexe_wasi::add_to_linker(&mut linker, |host: &mut ProgramHost| &mut host.wasi)?;
    let _watchdog = super::limits::arm(&mut store, &launch.grants.limits)?;
    super::preload::apply(engine, &mut linker, &mut store, launch.preload)?;
    let file = launch.file.display();
    let instance = match linker.instantiate(&mut store, module) {
        Ok(instance) => instance,
        Err(e) if ends_as_trap(&e) => return Ok(Outcome::Trap(e)),
        Err(e) => return Err(e.context(format!("cannot instantiate {file}"))),
    };
    let (name, func, params) = match launch.invoke {
        Some(name) => {
            let func = instance.get_func(&mut store, name).ok_or_else(|| {
                let names = exported_funcs(module);
                anyhow!("the module has no exported function `{name}` (its functions: {names})")
            })?;
            let ty = func.ty(&store);
            let args = launch.argv.get(1..).unwrap_or_default();
            (name, func, parse_args(name, ty.params(), args)?)
        }
        None => (
            "_start",
            start_function(&mut store, &instance, launch.file, module)?,
            vec![],
        ),
    };
    let ty = func.ty(&store);
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    match func.call(&mut store, &params, &mut results) {
        Ok(()) if launch.invoke.is_some() => Ok(Outcome::Returned(results)),
        Ok(()) => Ok(Outcome::Exit(0)),
        // Exit statuses are 8 bits, as for a native `exit(n)`.
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(Outcome::Exit(exit.0 as u8)),
            None if e.is::<wexe_wasi::BrokenPipe>() => Ok(Outcome::BrokenPipe),
            None if ends_as_trap(&e) => Ok(Outcome::Trap(e)),
            None => Err(e.context(format!("`{name}` failed"))),
        },
    }
}

/// The command's `_start`, which must take and return nothing.
fn start_function(
    store: &mut Store<ProgramHost>,
    instance: &wexe::Instance,
    file: &Path,
    module: &Module,
) -> Result<Func> {
    let Some(func) = instance.get_func(&mut *store, "_start") else {
        bail!(
            "{} has no `_start` function to run (it is not a command); use `--invoke NAME` to \
             call one of its exports (its functions: {})",
            file.display(),
            exported_funcs(module)
        );
    };
    let ty = func.ty(&*store);
    if !ty.params().is_empty() || !ty.results().is_empty() {
        let list = |v: &[ValType]| {
            let names: Vec<String> = v.iter().map(|t| t.to_string()).collect();
            names.join(", ")
        };
        bail!(
            "{}: `_start` takes ({}) and returns ({}); a command's `_start` takes and returns \
             nothing",
            file.display(),
            list(ty.params()),
            list(ty.results())
        );
    }
    Ok(func)
}

/// The process's exit status for `outcome`, after printing what it calls for: the results of
/// `--invoke` one per line, or the trap report (reading the module's bytes through
/// `module_bytes` only when DWARF details are asked for).
pub fn exit_status(outcome: Outcome, module_bytes: &dyn Fn() -> Option<Vec<u8>>) -> ExitCode {
    match outcome {
        Outcome::Exit(code) => ExitCode::from(code),
        Outcome::Trap(e) => super::backtrace::report_trap(&e, module_bytes),
        Outcome::Returned(results) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for val in &results {
                if let Err(e) = writeln!(out, "{}", show_val(val)) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        end_by_sigpipe();
                    }
                    eprintln!("wexe: error: cannot print the results: {e}");
                    return ExitCode::from(1);
                }
            }
            ExitCode::SUCCESS
        }
        Outcome::BrokenPipe => end_by_sigpipe(),
    }
}

/// Ends the process as `SIGPIPE` ends a native program whose output was closed: killed by the
/// signal, which the shell reports (status 141 in sh) and pipelines expect. Rust ignores
/// `SIGPIPE` by default, so its default action is restored first.
fn end_by_sigpipe() -> ! {
    // SAFETY: signal(2) and raise(3) with a valid signal number; nothing else runs here.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Not reached unless the signal is blocked: exit with the status a shell would show.
    std::process::exit(128 + libc::SIGPIPE)
}

/// The names of the module's exported functions, for error messages.
fn exported_funcs(module: &Module) -> String {
    let names: Vec<&str> = module
        .exports()
        .filter(|e| matches!(e.ty(), wexe::ExternType::Func(_)))
        .map(|e| e.name())
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Reads a module file for `wexe run`: a `.wasm`/`.wat` file, or, when the user allowed it, a
/// `.cwasm` that `wexe compile` made (machine code, checked to come from this wexe for this
/// machine). Machine code is never loaded from a file the user did not name as such: any file
/// can start with the compiled-module magic, whatever its name.
pub fn open_module(engine: &Engine, file: &Path, allow_precompiled: bool) -> Result<Module> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if bytes.starts_with(b"WEXEJIT") {
        if !allow_precompiled {
            bail!(
                "{} is a compiled module (machine code), not WebAssembly; wexe runs compiled \
                 code only when asked to: `wexe run --allow-precompiled {}` — do that only for \
                 files you compiled yourself with `wexe compile`",
                file.display(),
                file.display()
            );
        }
        // SAFETY: the user named this file as compiled code to run (`--allow-precompiled`);
        // `deserialize` checks the checksum, that this wexe build made the file for this
        // machine, and that the engine is of the JIT tier, before any of its code is loaded.
        return unsafe { Module::deserialize(engine, &bytes) }.with_context(|| {
            format!(
                "cannot load the compiled module {} (compile it again with `wexe compile`)",
                file.display()
            )
        });
    }
    Module::from_file_bytes(engine, bytes, file)
}
