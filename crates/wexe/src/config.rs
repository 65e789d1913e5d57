//! [`Config`] and [`Engine`]: the settings shared by every module and store, and the engine's
//! function type registry (`type_registry.rs`).

use std::sync::{Arc, Mutex};

use anyhow::{Result, bail};
use wexe_environ::FuncType;

use crate::type_registry::TypeRegistry;

/// Which execution tier runs WebAssembly code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The interpreter: portable, instant start.
    Interp,
    /// The Cranelift JIT: every function compiled to machine code when the module is created.
    Jit,
    /// Tier-up: every function starts in the interpreter; the ones found hot (by calls and
    /// loop iterations, [`Config::tier_up_threshold`]) are compiled by Cranelift on background
    /// threads, and calls go to their machine code once it is ready.
    Auto,
}

impl std::str::FromStr for Tier {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Tier> {
        match s {
            "interp" => Ok(Tier::Interp),
            "jit" => Ok(Tier::Jit),
            "auto" => Ok(Tier::Auto),
            _ => bail!("unknown tier `{s}` (expected `auto`, `interp` or `jit`)"),
        }
    }
}

/// Settings for an [`Engine`].
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) tier: Tier,
    pub(crate) max_wasm_stack: usize,
    pub(crate) max_call_depth: usize,
    pub(crate) max_memory_size: u64,
    /// The wasm features modules are validated with (and compiled for).
    pub(crate) features: wexe_environ::Features,
    pub(crate) perfmap: bool,
    pub(crate) debug_info: bool,
    pub(crate) consume_fuel: bool,
    pub(crate) interruptible: bool,
    /// Where the JIT keeps compiled modules between runs (off when `None`).
    pub(crate) cache_dir: Option<std::path::PathBuf>,
    /// How many freed memory reservations the engine keeps for reuse.
    pub(crate) memory_pool: usize,
    /// Tier-up: how many calls plus loop iterations make a function hot.
    pub(crate) tier_up_threshold: u32,
    /// Tier-up: how many background threads compile hot functions (`None`: all cores but
    /// one; 0: compile on the thread that found the function hot, before it goes on).
    pub(crate) tier_up_threads: Option<usize>,
    pub(crate) tier_up_draw: Option<u64>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            // Tier-up where Cranelift can compile for this machine.
            tier: if crate::jit::check_host().is_ok() {
                Tier::Auto
            } else {
                Tier::Interp
            },
            max_wasm_stack: 64 << 20,
            max_call_depth: 2_000_000,
            max_memory_size: 1 << 32,
            features: wexe_environ::Features::default(),
            perfmap: false,
            consume_fuel: false,
            interruptible: false,
            cache_dir: None,
            memory_pool: 0,
            tier_up_threshold: 1000,
            tier_up_threads: None,
            tier_up_draw: None,
            debug_info: false,
        }
    }
}

impl Config {
    /// The default settings.
    pub fn new() -> Config {
        Config::default()
    }

    /// Keeps up to `slots` linear-memory reservations of dropped stores for reuse (default 0:
    /// none), as wasmtime's pooling allocator does: a memory then starts in a reservation that
    /// was reset (one `mmap` discarding every page the last memory used) instead of a new one,
    /// which makes creating and dropping stores cheaper where many run one after another (a
    /// server making a store per request). Only guarded 32-bit memories are pooled.
    pub fn memory_pool(&mut self, slots: usize) -> &mut Config {
        self.memory_pool = slots;
        self
    }

    /// Chooses the execution tier.
    pub fn tier(&mut self, tier: Tier) -> &mut Config {
        self.tier = tier;
        self
    }

    /// Under [`Tier::Auto`]: how many calls of a function plus iterations of its loops make it
    /// hot, so that it is compiled to machine code (default 1000; 0 compiles every function
    /// on its first call).
    pub fn tier_up_threshold(&mut self, events: u32) -> &mut Config {
        self.tier_up_threshold = events;
        self
    }

    /// Under [`Tier::Auto`]: how many background threads compile hot functions. By default
    /// all cores but one, and none on a one-core machine, where hot functions are not
    /// compiled at all (the interpreter keeps the only core). `0` compiles a function on the
    /// thread that found it hot, before it goes on: deterministic, for tests.
    pub fn tier_up_threads(&mut self, threads: usize) -> &mut Config {
        self.tier_up_threads = Some(threads);
        self
    }

    /// For tests of tier-up: each defined function's tier is drawn from `seed` (mixed with the
    /// function's place in the module): about half the functions move to machine code when they
    /// are found hot, the others (and their loops) stay in the interpreter for good, so that
    /// calls cross between the tiers everywhere. `None` (the default) draws nothing.
    #[doc(hidden)]
    pub fn tier_up_draw(&mut self, seed: Option<u64>) -> &mut Config {
        self.tier_up_draw = seed;
        self
    }

    /// The most bytes of value stack that WebAssembly frames may use before a call traps with
    /// "call stack exhausted".
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Config {
        self.max_wasm_stack = bytes;
        self
    }

    /// The deepest nesting of WebAssembly calls before a call traps with "call stack exhausted".
    pub fn max_call_depth(&mut self, depth: usize) -> &mut Config {
        self.max_call_depth = depth;
        self
    }

    /// The largest size in bytes that any one linear memory of any store of this engine may
    /// grow to (4 GiB by default). It sizes no reservation (a guarded memory reserves its
    /// 8 GiB whatever this is) and counts nothing across memories or tables: for a budget over
    /// all memories and tables of a store, install a [`crate::StoreLimits`] with
    /// [`crate::Store::limiter`].
    pub fn max_memory_size(&mut self, bytes: u64) -> &mut Config {
        self.max_memory_size = bytes;
        self
    }

    /// Whether execution consumes fuel: one unit at every function entry and every loop
    /// iteration. A store starts with none (see [`crate::Store::set_fuel`]); running out traps
    /// with [`crate::Trap::OutOfFuel`]. Costs a check at those points when on, nothing when off.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.consume_fuel = enable;
        self
    }

    /// Whether running code can be interrupted from another thread with an
    /// [`crate::InterruptHandle`] (for timeouts); it then traps with [`crate::Trap::Interrupt`]
    /// at the next function entry or loop iteration. Host functions that wait do so through
    /// [`crate::Caller::interrupt_waiter`] to end with the same trap.
    pub fn interruptible(&mut self, enable: bool) -> &mut Config {
        self.interruptible = enable;
        self
    }

    /// Whether function entries and loop headers check fuel or interruption.
    pub(crate) fn checks_progress(&self) -> bool {
        self.consume_fuel || self.interruptible
    }

    /// A directory where the JIT keeps compiled modules, so that the next process compiling the
    /// same bytes on the same machine loads them instead; `None` (the default) keeps none.
    ///
    /// Entries are signed with a key from the user's kernel keyring, and one runs only when its
    /// signature verifies: a guest program that can write the directory cannot plant code in
    /// it. Where that keyring is not available the cache is off (see
    /// [`Config::cache_available`]).
    pub fn cache_dir(&mut self, dir: Option<std::path::PathBuf>) -> &mut Config {
        self.cache_dir = dir;
        self
    }

    /// Whether a [`Config::cache_dir`] can be used on this machine: `Err` says why not (no
    /// kernel keyring to keep the key that signs its entries).
    pub fn cache_available() -> Result<(), String> {
        crate::jit::cache_available()
    }

    /// Sets every feature at once (e.g. `Features::WASM2`, exactly WebAssembly 2.0).
    pub fn wasm_features(&mut self, features: wexe_environ::Features) -> &mut Config {
        self.features = features;
        self
    }

    /// Whether modules may use 128-bit SIMD (on by default: it is part of WebAssembly 2.0).
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Config {
        self.features.simd = enable;
        self
    }

    /// Whether modules may declare several memories (the multi-memory proposal of WebAssembly
    /// 3.0; on by default); both tiers execute them.
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Config {
        self.features.multi_memory = enable;
        self
    }

    /// Whether modules may use 64-bit memories and tables (memory64, WebAssembly 3.0; on by
    /// default): `i64`
    /// addresses, indices, sizes and growth results; both tiers execute them (the JIT checks
    /// every access to a 64-bit memory explicitly).
    pub fn wasm_memory64(&mut self, enable: bool) -> &mut Config {
        self.features.memory64 = enable;
        self
    }

    /// Whether modules may use tail calls (WebAssembly 3.0).
    pub fn wasm_tail_call(&mut self, enable: bool) -> &mut Config {
        self.features.tail_call = enable;
        self
    }

    /// Whether modules may use typed function references (WebAssembly 3.0).
    pub fn wasm_function_references(&mut self, enable: bool) -> &mut Config {
        self.features.function_references = enable;
        self
    }

    /// Whether modules may use exception handling (WebAssembly 3.0).
    pub fn wasm_exceptions(&mut self, enable: bool) -> &mut Config {
        self.features.exceptions = enable;
        self
    }

    /// Whether modules may use the legacy exception instructions (`try`, `catch`, `delegate`,
    /// `rethrow`) that older toolchains emit.
    pub fn wasm_legacy_exceptions(&mut self, enable: bool) -> &mut Config {
        self.features.legacy_exceptions = enable;
        self
    }

    /// Whether constant expressions may use `i32/i64.add/sub/mul` and `global.get` of any
    /// immutable global (WebAssembly 3.0; on by default). Global initialisers and segment
    /// offsets are evaluated once, at instantiation, for both tiers.
    pub fn wasm_extended_const(&mut self, enable: bool) -> &mut Config {
        self.features.extended_const = enable;
        self
    }

    /// Whether modules may use relaxed SIMD (WebAssembly 3.0; on by default, and only with
    /// [`Config::wasm_simd`]).
    ///
    /// Each relaxed operator has one deterministic result in wexe, the same in both tiers and on
    /// every machine, chosen to be cheap on x86-64 (`wexe_environ::relaxed_simd` lists the
    /// machine code):
    /// - `i8x16.relaxed_swizzle` is `i8x16.swizzle` (an index of 16 or more gives 0);
    /// - `i32x4.relaxed_trunc_*` are the saturating `i32x4.trunc_sat_*` (NaN gives 0);
    /// - `i16x8.relaxed_q15mulr_s` is the saturating `i16x8.q15mulr_sat_s`;
    /// - `*.relaxed_laneselect` is `v128.bitselect` (every bit of the mask selects);
    /// - `f32x4/f64x2.relaxed_madd(a, b, c)` is `a * b + c` **unfused** (rounded after the
    ///   multiplication and after the addition, as `mul` then `add`), and `relaxed_nmadd` is
    ///   `(-a) * b + c` likewise; a NaN result is the canonical NaN. Unfused because fusing is
    ///   one instruction only on CPUs with FMA3 and a library call per lane elsewhere, while two
    ///   roundings cost two baseline instructions and give the same bits on every machine;
    /// - `relaxed_min(a, b)` is `a < b ? a : b` and `relaxed_max(a, b)` is `a > b ? a : b`:
    ///   x86's `minps`/`maxps`, one instruction; a NaN operand or two zeros give `b`, bit for bit;
    /// - `i16x8.relaxed_dot_i8x16_i7x16_s` treats both operands as signed bytes, the sum of
    ///   each pair of products wrapping to 16 bits; `i32x4.relaxed_dot_i8x16_i7x16_add_s` adds
    ///   adjacent lanes of that 16-bit result (sign-extended) and `c`, wrapping.
    pub fn wasm_relaxed_simd(&mut self, enable: bool) -> &mut Config {
        self.features.relaxed_simd = enable;
        self
    }

    /// Whether modules may use the wide-arithmetic operators (`i64.add128`, `i64.sub128`,
    /// `i64.mul_wide_s`, `i64.mul_wide_u`; a proposal wasmtime ships; on by default).
    pub fn wasm_wide_arithmetic(&mut self, enable: bool) -> &mut Config {
        self.features.wide_arithmetic = enable;
        self
    }

    /// Whether memories may declare a page size other than 64 KiB (custom page sizes, on by
    /// default: 1 byte;
    /// `memory.size`/`grow` and [`crate::Memory::size`]/[`crate::Memory::grow`] count pages of
    /// that size).
    pub fn wasm_custom_page_sizes(&mut self, enable: bool) -> &mut Config {
        self.features.custom_page_sizes = enable;
        self
    }

    /// Whether the JIT appends the addresses and names of the code it loads to
    /// `/tmp/perf-PID.map`, so that Linux `perf report` names compiled wasm functions (off by
    /// default; nothing is written for the interpreter).
    pub fn perfmap(&mut self, enable: bool) -> &mut Config {
        self.perfmap = enable;
        self
    }

    /// Whether the JIT makes compiled code debuggable at the source level (off by default;
    /// wasmtime's name): every module's DWARF (`clang -g`, `rustc -g`) is translated for the
    /// machine code and registered with the GDB JIT interface, so GDB and LLDB attached to the
    /// host process set breakpoints on guest functions and source lines, step, show backtraces
    /// and print the guest's variables. Compiled code keeps every wasm local in a stack slot the
    /// debugger reads (one extra store per `local.set`). A module without DWARF still gets its
    /// function names (name section). Needs the JIT tier: [`Engine::new`] refuses it with
    /// [`Tier::Interp`]. See docs/debugging.md.
    ///
    /// ```no_run
    /// // Build the host with debug info, then: gdb --args target/debug/my-host guest.wasm
    /// let mut config = wexe::Config::new();
    /// config.tier(wexe::Tier::Jit).debug_info(true);
    /// let engine = wexe::Engine::new(&config)?;
    /// let module = wexe::Module::from_file(&engine, "guest.wasm")?;
    /// // Instantiate and call as usual: `break guest_function` in the debugger stops in the
    /// // guest's source while the module is alive.
    /// # drop(module);
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    pub fn debug_info(&mut self, enable: bool) -> &mut Config {
        self.debug_info = enable;
        self
    }

    /// Whether [`Config::debug_info`] is on.
    pub fn debug_info_enabled(&self) -> bool {
        self.debug_info
    }

    /// The wasm features modules are validated with.
    pub(crate) fn wasmparser_features(&self) -> wexe_environ::wasmparser::WasmFeatures {
        self.features.to_wasmparser()
    }
}

pub(crate) struct EngineInner {
    pub(crate) config: Config,
    types: Mutex<TypeRegistry>,
    /// Guarded memory reservations kept for reuse ([`Config::memory_pool`]).
    pub(crate) memory_pool: Option<Arc<crate::vm::MemoryPool>>,
    /// Interpreter stacks of dropped stores, kept for the next ones when pooling
    /// ([`Config::memory_pool`]): a store's stack is reserved at its maximum size on first use,
    /// so a store per request would otherwise map and unmap it every time.
    pub(crate) exec_stacks: Mutex<Vec<crate::interp::exec::ExecStack>>,
    /// The background threads compiling hot functions (tier-up), started on first use.
    pub(crate) tier_up: std::sync::OnceLock<crate::tier::Workers>,
}

/// Shared settings and caches for modules and stores; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(&Config::default()).expect("the default configuration is valid")
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Engine {
    /// Makes an engine with the given settings.
    pub fn new(config: &Config) -> Result<Engine> {
        let mut config = config.clone();
        if config.debug_info && config.tier == Tier::Auto {
            // A debugger sees machine code only: under tier-up every function is compiled
            // before it runs, as in the JIT tier.
            config.tier = Tier::Jit;
        }
        if config.debug_info && config.tier != Tier::Jit {
            bail!(
                "source-level debugging (debug_info) needs the JIT tier: a debugger sees only \
                 machine code, and the interpreter runs none for the guest"
            );
        }
        if config.tier != Tier::Interp {
            crate::jit::check_host().map_err(|e| anyhow::anyhow!("the JIT tier: {e}"))?;
        }
        let types = Mutex::new(TypeRegistry::default());
        let memory_pool = (config.memory_pool > 0).then(|| {
            let size = crate::vm::GUARDED_RESERVATION;
            Arc::new(crate::vm::MemoryPool::new(size, config.memory_pool))
        });
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types,
                memory_pool,
                exec_stacks: Mutex::new(Vec::new()),
                tier_up: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The settings this engine was made with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether linear memories are guard-page reservations, so that compiled code needs no
    /// bounds checks; false where the reservation is refused (for example under `ulimit -v`),
    /// and memories are then bounds-checked explicitly.
    pub fn memory_guard_pages(&self) -> bool {
        crate::vm::LinearMemory::guarded()
    }

    /// What code compiled by this engine depends on besides the module: the compiler's version
    /// and target settings, how memories are protected, and the settings that change the code
    /// (fuel, interruption, wasm features). [`Module::deserialize`](crate::Module::deserialize)
    /// loads only code made under the same key, so an embedder that keeps compiled modules
    /// elsewhere (the containerd shim keeps them in containerd's content store) files them
    /// under it and compiles again when it changes.
    pub fn compiled_code_key(&self) -> Result<String> {
        crate::jit::compiled_code_key(&self.inner.config).map_err(anyhow::Error::msg)
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of a function type whose references name engine type ids.
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        self.types().type_id(ty)
    }

    /// The engine-wide ids of a module's types (see [`TypeRegistry::module_type_ids`]).
    pub(crate) fn module_type_ids(&self, types: &[wexe_environ::TypeDef]) -> Vec<u32> {
        self.types().module_type_ids(types)
    }

    fn types(&self) -> std::sync::MutexGuard<'_, TypeRegistry> {
        self.inner.types.lock().unwrap_or_else(|e| e.into_inner())
    }
}
