//! `wexe run`: loads a module (binary or text), links its imports, and runs it: its `_start`
//! function, or with `--invoke NAME` one export called with arguments from the command line,
//! printing the results one per line.
//!
//! Everything that can go wrong before the program runs is an error (exit status 1); a trap
//! prints the trap and the wasm backtrace and exits with 134.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use wexe::{Engine, Func, Linker, Module, Store, Val};

use super::backtrace::find_trap;

use super::TierArg;
use super::values::{parse_args, show_val};

const EXAMPLES: &str = "\
Examples:
  wexe run hello.wasm                 run the program's `_start`
  wexe hello.wasm a b                 the same, shorter; `a` and `b` are the program's arguments
  wexe run --invoke add add.wat 2 3   call the export `add` with 2 and 3 and print the result (5)
  wexe run --invoke scale m.wasm -1.5 inf   numbers may be negative, inf or nan
  wexe run --preload math=math.wasm app.wasm   app.wasm imports `math`'s exports";

/// Run a WebAssembly module (a .wasm binary or a .wat text file)
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct RunCommand {
    /// Which execution tier runs the code
    #[arg(long, value_enum, default_value_t)]
    tier: TierArg,

    /// Call the exported function NAME instead of `_start`: ARGS become its parameters
    /// (integers in decimal or 0x hex, floats in decimal, inf or nan) and its results are
    /// printed one per line
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    /// Instantiate the module at PATH first and let the program import its exports from the
    /// module name NAME (repeatable; later preloads may import earlier ones)
    #[arg(long, value_name = "NAME=PATH")]
    preload: Vec<String>,

    /// The module, then the program's arguments; everything after FILE belongs to the program
    #[arg(value_names = ["FILE", "ARGS"], required = true, trailing_var_arg = true)]
    module_and_args: Vec<OsString>,
}

/// The host state of a running program. WASI's context (arguments, environment, preopened
/// directories) will live here.
#[derive(Default)]
pub struct Host {}

impl RunCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut rest = self.module_and_args.into_iter();
        let file = PathBuf::from(rest.next().context("no module file given")?);
        let args: Vec<OsString> = rest.collect();

        let engine = Engine::new(&self.tier.config())?;
        let module = load_module(&engine, &file)?;
        let mut store = Store::new(&engine, Host::default());
        let mut linker = make_linker(&engine, &mut store, &file, &args)?;
        super::preload::apply(&engine, &mut linker, &mut store, &self.preload)?;
        let instance = match linker.instantiate(&mut store, &module) {
            Ok(instance) => instance,
            Err(e) if find_trap(&e).is_some() => return Ok(report_trap(&e, &file)),
            Err(e) => return Err(e.context(format!("cannot instantiate {}", file.display()))),
        };

        let (name, func, params) = match &self.invoke {
            Some(name) => {
                let func = instance.get_func(&mut store, name).ok_or_else(|| {
                    let names = exported_funcs(&module);
                    anyhow!("the module has no exported function `{name}` (its functions: {names})")
                })?;
                let ty = func.ty(&store);
                let params = parse_args(name, ty.params(), &args)?;
                (name.as_str(), func, params)
            }
            None => {
                let func = instance.get_func(&mut store, "_start").ok_or_else(|| {
                    anyhow!(
                        "{} has no `_start` function to run; use `--invoke NAME` to call one of \
                         its exports (its functions: {})",
                        file.display(),
                        exported_funcs(&module)
                    )
                })?;
                ("_start", func, Vec::new())
            }
        };
        let results = match call(&mut store, func, &params) {
            Ok(results) => results,
            Err(e) if find_trap(&e).is_some() => return Ok(report_trap(&e, &file)),
            Err(e) => return Err(e.context(format!("`{name}` failed"))),
        };
        if self.invoke.is_some() {
            for val in &results {
                println!("{}", show_val(val));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Reads and compiles a `.wasm` or `.wat` file.
fn load_module(engine: &Engine, path: &Path) -> Result<Module> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let binary = if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        wat::Parser::new()
            .parse_bytes(Some(path), &bytes)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("invalid module {}", path.display()))?
            .into_owned()
    };
    Module::from_binary(engine, &binary)
        .with_context(|| format!("invalid module {}", path.display()))
}

/// Builds the linker that resolves the program's imports. This is the place where WASI
/// (`wasi_snapshot_preview1`) gets defined, with `args` as the program's arguments (after
/// `program`, its `argv[0]`) and the capabilities given by the command line.
fn make_linker(
    engine: &Engine,
    _store: &mut Store<Host>,
    _program: &Path,
    _args: &[OsString],
) -> Result<Linker<Host>> {
    let linker = Linker::new(engine);
    Ok(linker)
}

fn call(store: &mut Store<Host>, func: Func, params: &[Val]) -> Result<Vec<Val>> {
    let ty = func.ty(&*store);
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    func.call(&mut *store, params, &mut results)?;
    Ok(results)
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

/// Prints a trap and its wasm backtrace (names demangled, source lines with
/// `WEXE_BACKTRACE_DETAILS=1`); the exit status after a trap is 134.
fn report_trap(err: &anyhow::Error, file: &Path) -> ExitCode {
    super::backtrace::report_trap(err, &|| super::backtrace::read_binary(file))
}
