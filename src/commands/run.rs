//! `wexe run`: loads a module (binary or text), links WASI and the other imports, and runs it:
//! its `_start` function, or with `--invoke NAME` one export called with arguments from the
//! command line, printing the results one per line.
//!
//! The program gets nothing it was not given: the directories of `--dir`/`--dir-ro`, the
//! variables of `--env`, the sockets of `--tcplisten`, and stdio. Everything that can go wrong
//! before the program runs is an error (exit status 1); `proc_exit(n)` exits with `n`; a trap
//! prints the trap and the wasm backtrace and exits with 134.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
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
  wexe run --invoke dot v.wasm i32x4:1,2,3,4 f32x4:0.5,1,nan,-inf   v128 lane by lane (or 0x...)
  wexe run --dir data::/data --env LANG prog.wasm    the program sees ./data as /data and $LANG
  wexe run --tcplisten 127.0.0.1:8080 server.wasm    a preopened listening socket

  wexe run --preload math=math.wasm app.wasm   app.wasm imports `math`'s exports
  wexe run --max-memory-size 67108864 --max-table-elements 100000 app.wasm
                                      at most 64 MiB of memories and tables, 100000 per table";

/// Run a WebAssembly module (a .wasm binary or a .wat text file)
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct RunCommand {
    /// Which execution tier runs the code
    #[arg(long, value_enum, default_value_t)]
    tier: TierArg,

    /// Preopen the host directory HOST for the program, as GUEST (default: HOST); repeatable
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,

    /// Like --dir, but the program may only read the directory
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    dirs_ro: Vec<String>,

    /// Set the environment variable NAME to VALUE for the program, or pass the host's NAME on;
    /// repeatable. The program sees no other variables.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,

    /// Listen on the TCP address ADDR and give the program the listening socket; repeatable
    #[arg(long = "tcplisten", value_name = "ADDR")]
    tcp_listen: Vec<String>,

    /// Give the program N units of fuel (one is used per function call and loop iteration);
    /// running out traps
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,

    /// Interrupt the program (a trap) after DURATION, such as 500ms, 2s or 1m
    #[arg(long, value_name = "DURATION", value_parser = super::limits::parse_timeout)]
    timeout: Option<std::time::Duration>,

    /// The most bytes the program may allocate for linear memories and tables together, over
    /// all its instances (`--preload`ed ones included); a table element counts 8 bytes
    #[arg(long, value_name = "BYTES")]
    max_memory_size: Option<u64>,

    /// The most elements any one table may hold
    #[arg(long, value_name = "N")]
    max_table_elements: Option<u64>,

    /// The most instances the program may create (the module and its preloads)
    #[arg(long, value_name = "N")]
    max_instances: Option<u64>,

    /// The most tables the program may create
    #[arg(long, value_name = "N")]
    max_tables: Option<u64>,

    /// The most linear memories the program may create
    #[arg(long, value_name = "N")]
    max_memories: Option<u64>,

    /// Trap when a memory or table may not grow (past a limit above), instead of making
    /// `memory.grow`/`table.grow` return -1
    #[arg(long)]
    trap_on_grow_failure: bool,

    /// Say on stderr how the program runs: tier, memory protection, cache
    #[arg(short, long)]
    verbose: bool,

    /// Compile without the on-disk cache of compiled modules (see `wexe cache`)
    #[arg(long)]
    no_cache: bool,

    /// Allow FILE to be a compiled module (`wexe compile`'s .cwasm): machine code that runs as
    /// it is, so only for files you compiled yourself
    #[arg(long)]
    allow_precompiled: bool,

    /// Help a profiler: `perfmap` writes /tmp/perf-PID.map, so that `perf record` and
    /// `perf report` name the compiled wasm functions (JIT tier)
    #[arg(long, value_name = "PROFILER")]
    profile: Option<Profiler>,

    /// Call the exported function NAME instead of `_start`: ARGS become its parameters
    /// (integers in decimal or 0x hex, floats in decimal, inf or nan, v128 as 0x hex or lane by
    /// lane like i32x4:1,2,3,4) and its results are printed one per line
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

/// The profilers `--profile` helps.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Profiler {
    /// Linux perf's map of JIT code, /tmp/perf-PID.map
    Perfmap,
}

/// The host state of a running program: WASI's context (arguments, environment, preopened
/// directories and sockets, stdio), and the store's resource limits.
pub struct Host {
    pub wasi: wexe_wasi::WasiCtx,
    pub limits: wexe::StoreLimits,
}

impl super::limits::HasStoreLimits for Host {
    fn store_limits(&mut self) -> &mut wexe::StoreLimits {
        &mut self.limits
    }
}

impl RunCommand {
    pub fn execute(mut self) -> Result<ExitCode> {
        let mut rest = std::mem::take(&mut self.module_and_args).into_iter();
        let file = PathBuf::from(rest.next().context("no module file given")?);
        let args: Vec<OsString> = rest.collect();

        let limits = super::policy::Limits {
            max_memory: self.max_memory_size,
            max_table_elements: self.max_table_elements,
            max_instances: self.max_instances,
            max_tables: self.max_tables,
            max_memories: self.max_memories,
            trap_on_grow_failure: self.trap_on_grow_failure,
            fuel: self.fuel,
            timeout: self.timeout,
        };
        let mut config = self.tier.config_cached(!self.no_cache);
        super::limits::configure(&mut config, &limits);
        if let Some(Profiler::Perfmap) = self.profile {
            if !matches!(self.tier, super::TierArg::Jit) {
                bail!("--profile perfmap names JIT code: it needs the JIT tier");
            }
            config.perfmap(true);
        }
        let engine = Engine::new(&config)?;
        if self.verbose {
            let memory = if engine.memory_guard_pages() {
                "guard pages (no bounds checks in compiled code)"
            } else {
                "explicit bounds checks (the address-space reservation was refused)"
            };
            let cache = match (self.tier, self.no_cache, super::cache::dir()) {
                (super::TierArg::Jit, false, Some(d)) => match wexe::Config::cache_available() {
                    Ok(()) => d.display().to_string(),
                    Err(why) => format!("off ({why})"),
                },
                _ => "off".to_string(),
            };
            eprintln!(
                "wexe: tier {:?}; memories: {memory}; cache: {cache}",
                self.tier
            );
        }
        let module = open_module(&engine, &file, self.allow_precompiled)?;
        let wasi = self.wasi_context(&file, &args)?;
        let host = Host {
            wasi,
            limits: wexe::StoreLimits::default(),
        };
        let mut store = Store::new(&engine, host);
        let mut linker = make_linker(&engine)?;
        let _watchdog = super::limits::arm(&mut store, &limits)?;
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
            Err(e) => {
                if let Some(exit) = e.downcast_ref::<wexe_wasi::I32Exit>() {
                    // Exit statuses are 8 bits, as for a native `exit(n)`.
                    return Ok(ExitCode::from(exit.0 as u8));
                }
                if find_trap(&e).is_some() {
                    return Ok(report_trap(&e, &file));
                }
                return Err(e.context(format!("`{name}` failed")));
            }
        };
        if self.invoke.is_some() {
            for val in &results {
                println!("{}", show_val(val));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl RunCommand {
    /// The program's WASI context: its arguments (`argv[0]` is the module path as given), and
    /// exactly the capabilities granted on the command line.
    fn wasi_context(&self, file: &Path, args: &[OsString]) -> Result<wexe_wasi::WasiCtx> {
        let utf8 = |s: &OsString| {
            s.to_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("argument {s:?} is not valid UTF-8"))
        };
        let mut b = wexe_wasi::WasiCtxBuilder::new();
        b.inherit_stdio();
        b.arg(utf8(&file.as_os_str().to_os_string())?);
        for a in args {
            b.arg(utf8(a)?);
        }
        for d in &self.dirs {
            b.dir_spec(d)?;
        }
        for d in &self.dirs_ro {
            let (host, guest) = d.split_once("::").unwrap_or((d, d));
            b.preopen_dir_read_only(host, guest);
        }
        for e in &self.envs {
            b.env_spec(e)?;
        }
        for a in &self.tcp_listen {
            b.tcp_listen(a.clone());
        }
        b.build()
    }
}

/// Loads a module: a `.wasm`/`.wat` file, or, when the user allowed it, a `.cwasm` that
/// `wexe compile` made (machine code, checked to come from this wexe for this machine).
/// Machine code is never loaded from a file the user did not name as such: any file can start
/// with the compiled-module magic, whatever its name.
fn open_module(engine: &Engine, file: &Path, allow_precompiled: bool) -> Result<Module> {
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
    Module::from_file(engine, file)
}

/// The linker that resolves the program's imports: WASI (`wasi_snapshot_preview1` and the older
/// `wasi_unstable`).
fn make_linker(engine: &Engine) -> Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wexe_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi)?;
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
