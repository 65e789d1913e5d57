//! The engine part of the shim: runs a container's WebAssembly program with wexe, inside the
//! container's init process that runwasi's libcontainer set up (its namespaces, its cgroup,
//! its root filesystem as `/`, containerd's FIFOs as stdin, stdout and stderr).
//!
//! What the program gets: the container's arguments (argv[0] is the entrypoint as the image
//! names it) and environment; the container's root filesystem as its one preopened directory,
//! `/` (so it reaches exactly what the container's mounts show, read-only where they are);
//! stdio; the container's memory limit as the bound of its memories and tables
//! ([`crate::memory_limit`]). Its exit status is the task's: the program's own, 134 after a
//! trap (reported on stderr with the wasm backtrace), 128 + N when signal N stopped it, and 1
//! when it could not start — an entrypoint that is missing or not a module, a module that does
//! not validate or whose imports wexe does not provide — with one line `wexe: error: ...` on
//! the task's stderr and in containerd's log.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext, Source};
use wexe::{Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Val};
use wexe_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

use crate::memory_limit::MemoryLimit;
use crate::precompile;

/// The status of a run that ended in a trap or an uncaught wasm exception, as `wexe run`.
const TRAP_STATUS: i32 = 134;

/// Runs the wasm program of one container.
#[derive(Default, Clone)]
pub struct WexeSandbox;

impl Sandbox for WexeSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> Result<i32> {
        match run(ctx) {
            Ok(status) => Ok(status),
            Err(e) => {
                let message = format!("{e:#}");
                log::error!("wexe: the container's program did not start: {message}");
                eprintln!("wexe: error: {message}");
                Ok(1)
            }
        }
    }

    /// Every container that is not a native one (runwasi runs ELF and script entrypoints with
    /// libcontainer's default executor) is ours: what is wrong with its entrypoint is
    /// reported by [`run`] on the task's stderr and in containerd's log, with status 1.
    async fn can_handle(&self, _ctx: &impl RuntimeContext) -> Result<()> {
        Ok(())
    }
}

/// What the program's store holds: its WASI context and its memory limits.
struct ContainerHost {
    wasi: WasiCtx,
    limits: StoreLimits,
}

/// Loads, links and runs the container's module; the status of the task, or the error that
/// kept the program from starting.
fn run(ctx: &impl RuntimeContext) -> Result<i32> {
    crate::stop_signals::exit_on_stop_signals().context("cannot install signal handlers")?;
    let entry = ctx.entrypoint();
    let engine = Engine::new(&precompile::engine_config())?;
    let module = load_module(&engine, &entry)?;
    let memory = MemoryLimit::of_this_container();
    let mut limits = StoreLimitsBuilder::new();
    if let Some(m) = &memory {
        log::info!(
            "wexe: container memory limit {} bytes, {} used: wasm memories and tables get {}",
            m.limit,
            m.usage,
            m.for_wasm()
        );
        limits = limits.total_bytes(usize::try_from(m.for_wasm()).unwrap_or(usize::MAX));
    }
    let host = ContainerHost {
        wasi: wasi_context(ctx.args(), ctx.envs(), &entry)?,
        limits: limits.build(),
    };
    let mut store = Store::new(&engine, host);
    if memory.is_some() {
        store.limiter(|host| &mut host.limits);
    }
    let mut linker = Linker::new(&engine);
    wexe_wasi::add_to_linker(&mut linker, |host: &mut ContainerHost| &mut host.wasi)?;
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(instance) => instance,
        Err(e) if ends_as_trap(&e) => return Ok(report_trap(&e)),
        Err(e) => return Err(e.context("cannot instantiate the module")),
    };
    let name = entry.func.as_str();
    let func = instance
        .get_func(&mut store, name)
        .ok_or_else(|| anyhow!("the module exports no function `{name}` to run"))?;
    if !func.ty(&store).params().is_empty() {
        bail!("`{name}` takes parameters; a container's entry function takes none");
    }
    let ty = func.ty(&store);
    let mut out: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    match func.call(&mut store, &[], &mut out) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            // Exit statuses are 8 bits, as for a native `exit(n)`.
            Some(exit) => Ok(i32::from(exit.0 as u8)),
            None if e.is::<wexe_wasi::BrokenPipe>() => Ok(128 + libc::SIGPIPE),
            None if ends_as_trap(&e) => Ok(report_trap(&e)),
            None => Err(e.context(format!("`{name}` failed"))),
        },
    }
}

/// The module the container runs: the image's wasm layer, or the entrypoint's file in the
/// container's root filesystem.
fn load_module(engine: &Engine, entry: &Entrypoint) -> Result<Module> {
    match &entry.source {
        Source::Oci([layer]) => precompile::load(engine, layer),
        Source::Oci(layers) => bail!(
            "the image has {} wasm layers; wexe runs images with one module",
            layers.len()
        ),
        Source::File(path) => load_file(engine, path),
    }
}

/// Reads the entrypoint's module from the container's root filesystem.
fn load_file(engine: &Engine, path: &Path) -> Result<Module> {
    if path.as_os_str().is_empty() {
        bail!("the container has no entrypoint: its first argument must name a .wasm file");
    }
    let bytes = std::fs::read(path).map_err(|e| {
        anyhow!(
            "cannot read the entrypoint {} in the container's root filesystem: {e}",
            path.display()
        )
    })?;
    if !bytes.starts_with(b"\0asm") && std::str::from_utf8(&bytes).is_err() {
        bail!(
            "the entrypoint {} is not a WebAssembly module (nor wasm text)",
            path.display()
        );
    }
    Module::new(engine, &bytes).with_context(|| format!("invalid module {}", path.display()))
}

/// The program's WASI context: the container's arguments and environment, stdio, and its root
/// filesystem as `/`.
fn wasi_context(args: &[String], envs: &[String], entry: &Entrypoint) -> Result<WasiCtx> {
    let mut b = WasiCtxBuilder::new();
    b.args(program_args(args, entry));
    for var in envs {
        if let Some((name, value)) = var.split_once('=') {
            b.env(name, value);
        }
    }
    b.inherit_stdio();
    b.preopen_dir("/", "/");
    b.build()
}

/// The program's argv: the container's arguments, with argv[0] the entrypoint's path without
/// runwasi's `#function` suffix.
fn program_args(args: &[String], entry: &Entrypoint) -> Vec<String> {
    let arg0 = entry
        .arg0
        .map(|a| {
            let text = a.to_string_lossy();
            text.split_once('#')
                .map_or(&*text, |(path, _)| path)
                .to_string()
        })
        .unwrap_or_default();
    std::iter::once(arg0)
        .chain(args.iter().skip(1).cloned())
        .collect()
}

/// Whether `err` ends a run as a trap does: a trap, or a wasm exception nothing caught.
fn ends_as_trap(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<wexe::Trap>()) || err.is::<wexe::ThrownException>()
}

/// Prints the trap and its wasm backtrace on the task's stderr; the status after a trap.
fn report_trap(err: &anyhow::Error) -> i32 {
    eprintln!("error: {}", err.root_cause());
    if let Some(bt) = err.downcast_ref::<wexe::WasmBacktrace>() {
        eprint!("{bt}");
    }
    log::info!("wexe: the program trapped: {err:#}");
    TRAP_STATUS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn entry(arg0: &str) -> Entrypoint<'_> {
        Entrypoint {
            func: "_start".into(),
            name: None,
            arg0: Some(Path::new(arg0)),
            source: Source::File(PathBuf::from(arg0)),
        }
    }

    #[test]
    fn argv0_is_the_entrypoint_without_the_function() {
        let args = ["/app.wasm#main".to_string(), "a".into(), "--b".into()];
        assert_eq!(
            program_args(&args, &entry("/app.wasm#main")),
            ["/app.wasm", "a", "--b"]
        );
        let args = ["/app.wasm".to_string()];
        assert_eq!(program_args(&args, &entry("/app.wasm")), ["/app.wasm"]);
    }

    #[test]
    fn missing_and_foreign_entrypoints_are_clear_errors() {
        let engine = Engine::new(&precompile::engine_config()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("app.wasm");
        let err = format!("{:#}", load_file(&engine, &missing).unwrap_err());
        assert!(err.contains("cannot read the entrypoint"), "{err}");
        let elf = dir.path().join("elf");
        std::fs::write(&elf, b"\x7fELF\x02\x01\x01\xff\xfe").unwrap();
        let err = format!("{:#}", load_file(&engine, &elf).unwrap_err());
        assert!(err.contains("is not a WebAssembly module"), "{err}");
        let bad = dir.path().join("bad.wasm");
        std::fs::write(&bad, b"\0asm\x01\0\0\0\x01\x05").unwrap();
        let err = format!("{:#}", load_file(&engine, &bad).unwrap_err());
        assert!(err.contains("invalid module"), "{err}");
        let err = format!("{:#}", load_file(&engine, Path::new("")).unwrap_err());
        assert!(err.contains("no entrypoint"), "{err}");
    }
}
