//! Running a command module (its `_start`) with the capabilities of a [`Grants`]: the argv, the
//! preopened directories, the environment, the listening sockets. This is where a policy meets
//! WASI's context builder; `binfmt_exec` uses it for `./app.wasm`.

use std::ffi::OsString;

use anyhow::{Result, anyhow};
use wexe::{Engine, Linker, Module, Store};
use wexe_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

use super::backtrace::find_trap;
use super::policy::Grants;

/// How a program ended.
pub enum Outcome {
    /// It returned from `_start` (0) or called `proc_exit` (its status).
    Exit(u8),
    /// It trapped; the error holds the trap and its backtrace.
    Trap(anyhow::Error),
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
/// variables and listening sockets.
pub fn wasi_context(argv: &[OsString], grants: &Grants) -> Result<WasiCtx> {
    let mut b = WasiCtxBuilder::new();
    b.args(argv.iter().map(|a| a.to_string_lossy().into_owned()));
    b.inherit_stdio();
    for (name, value) in &grants.env {
        b.env(name.as_str(), value.as_str());
    }
    for d in &grants.dirs {
        if d.read_only {
            b.preopen_dir_read_only(&d.host, d.guest.as_str());
        } else {
            b.preopen_dir(&d.host, d.guest.as_str());
        }
    }
    for addr in &grants.tcplisten {
        b.tcp_listen(addr.as_str());
    }
    b.build()
}

/// Defines the program's imports: WASI preview1 (and `wasi_unstable`).
fn make_linker(
    engine: &Engine,
    argv: &[OsString],
    grants: &Grants,
) -> Result<(Linker<ProgramHost>, ProgramHost)> {
    let mut linker = Linker::new(engine);
    wexe_wasi::add_to_linker(&mut linker, |host: &mut ProgramHost| &mut host.wasi)?;
    let host = ProgramHost {
        wasi: wasi_context(argv, grants)?,
        limits: wexe::StoreLimits::default(),
    };
    Ok((linker, host))
}

/// Instantiates `module` and calls `_start`.
pub fn run_command(
    engine: &Engine,
    module: &Module,
    argv: &[OsString],
    grants: &Grants,
) -> Result<Outcome> {
    let (linker, host) = make_linker(engine, argv, grants)?;
    let mut store = Store::new(engine, host);
    let _watchdog = super::limits::arm(&mut store, &grants.limits)?;
    let result = linker.instantiate(&mut store, module).and_then(|instance| {
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(|_| anyhow!("the module has no `_start` function (it is not a command)"))?;
        start.call(&mut store, ())
    });
    match result {
        Ok(()) => Ok(Outcome::Exit(0)),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            // The kernel keeps the low 8 bits of an exit status, as for a native exit().
            Some(exit) => Ok(Outcome::Exit(exit.0 as u8)),
            None if find_trap(&e).is_some() => Ok(Outcome::Trap(e)),
            None => Err(e),
        },
    }
}
