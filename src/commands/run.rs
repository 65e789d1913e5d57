//! `wexe run`: loads a module (binary or text), links WASI and the other imports, and runs it:
//! its `_start` function, or with `--invoke NAME` one export called with arguments from the
//! command line, printing the results one per line.
//!
//! The program gets nothing it was not given: the directories of `--dir`/`--dir-ro`, the
//! variables of `--env`, the sockets of `--tcplisten`, and stdio. Everything that can go wrong
//! before the program runs is an error (exit status 1); `proc_exit(n)` exits with `n`; a trap
//! prints the trap and the wasm backtrace and exits with 134.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use wexe::Engine;

use super::TierArg;
use super::policy::Grants;
use super::program::{self, Launch};
use super::sandbox_args::SandboxArgs;

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

    /// Under tier-up: the calls plus loop iterations that make a function hot
    #[arg(long, value_name = "N")]
    tier_up_threshold: Option<u32>,

    #[command(flatten)]
    features: super::features::FeatureArgs,

    #[command(flatten)]
    sandbox: SandboxArgs,

    #[command(flatten)]
    debug: super::debug_args::DebugArgs,

    /// Listen on the TCP address ADDR and give the program the listening socket; repeatable
    #[arg(long = "tcplisten", value_name = "ADDR")]
    tcp_listen: Vec<String>,

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

impl RunCommand {
    pub fn execute(mut self) -> Result<ExitCode> {
        let mut argv = std::mem::take(&mut self.module_and_args);
        let file = PathBuf::from(argv.first().context("no module file given")?);
        let grants = self.grants()?;
        let mut config = self.tier.config_cached(!self.no_cache);
        self.features.apply(&mut config)?;
        if let Some(n) = self.tier_up_threshold {
            config.tier_up_threshold(n);
        }
        super::limits::configure(&mut config, &grants.limits);
        self.debug
            .apply(&mut config, !matches!(self.tier, super::TierArg::Interp))?;
        if let Some(Profiler::Perfmap) = self.profile {
            if matches!(self.tier, super::TierArg::Interp) {
                bail!("--profile perfmap names machine code: it needs the JIT tier (or auto)");
            }
            config.perfmap(true);
        }
        let engine = Engine::new(&config)?;
        if self.verbose {
            self.describe(&engine);
        }
        let module = program::open_module(&engine, &file, self.allow_precompiled)?;
        if config.debug_info_enabled() {
            // Registered code stays registered until the process ends: GDB 13 crashes when an
            // image a watchpoint refers to is withdrawn (the process is ending anyway).
            std::mem::forget(module.clone());
        }
        if self.verbose && module.bodies_known_valid() {
            eprintln!("wexe: function bodies known valid from the cache (not validated again)");
        }
        let warnings = module.debug_info_warnings();
        if self.verbose && !warnings.is_empty() {
            eprintln!(
                "wexe: warning: part of the module's debug info was not translated: {}",
                warnings.join("; ")
            );
        }
        // argv[0] is the module path as given.
        argv[0] = file.clone().into_os_string();
        let launch = Launch {
            file: &file,
            argv: &argv,
            grants: &grants,
            preload: &self.preload,
            invoke: self.invoke.as_deref(),
        };
        let outcome = program::run(&engine, &module, &launch);
        if self.verbose
            && let Some(summary) = module.tier_up_summary()
        {
            eprintln!("wexe: {summary}");
        }
        let outcome = outcome?;
        Ok(program::exit_status(outcome, &|| {
            super::backtrace::read_binary(&file)
        }))
    }

    /// What the command line grants: directories, variables (as their bytes), sockets, limits.
    fn grants(&self) -> Result<Grants> {
        let mut g = self.sandbox.grants()?;
        g.tcplisten = self.tcp_listen.clone();
        Ok(g)
    }

    /// `--verbose`: how the program runs.
    fn describe(&self, engine: &Engine) {
        let memory = if engine.memory_guard_pages() {
            "guard pages (no bounds checks in compiled code)"
        } else {
            "explicit bounds checks (the address-space reservation was refused)"
        };
        let cache = match (self.no_cache, super::cache::dir()) {
            (false, Some(d)) => match wexe::Config::cache_available() {
                Ok(()) if self.tier == super::TierArg::Interp => {
                    format!("{} (which large modules validated)", d.display())
                }
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
}
