//! Running a command module (its `_start`) with the capabilities of a [`Grants`]: the argv, the
//! preopened directories, the environment, the listening sockets. This is where a policy meets
//! WASI's context builder; `binfmt_exec` uses it for `./app.wasm`.

use std::ffi::OsString;

use anyhow::{Result, anyhow};
use wexe::{Engine, Linker, Module, Store};

use super::backtrace::find_trap;
use super::policy::Grants;

/// How a program ended.
pub enum Outcome {
    /// It returned from `_start` (0) or called `proc_exit` (its status).
    Exit(u8),
    /// It trapped; the error holds the trap and its backtrace.
    Trap(anyhow::Error),
}

/// The host state of a program: WASI's context once WASI is part of wexe.
#[derive(Default)]
pub struct ProgramHost {}

/// Defines the program's imports. Until `wexe-wasi` is on main, nothing is defined: modules that
/// import WASI fail to instantiate with an unknown-import error naming the import.
fn make_linker(
    engine: &Engine,
    _argv: &[OsString],
    _grants: &Grants,
) -> Result<(Linker<ProgramHost>, ProgramHost)> {
    Ok((Linker::new(engine), ProgramHost::default()))
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
    let result = linker.instantiate(&mut store, module).and_then(|instance| {
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(|_| anyhow!("the module has no `_start` function (it is not a command)"))?;
        start.call(&mut store, ())
    });
    match result {
        Ok(()) => Ok(Outcome::Exit(0)),
        Err(e) if find_trap(&e).is_some() => Ok(Outcome::Trap(e)),
        Err(e) => Err(e),
    }
}
