//! Generated-module driver shared by `tests/smith.rs` and the `execute` fuzz target (both include
//! this file with `#[path]`): wasm-smith modules of WebAssembly 2.0 plus the 3.0 features wexe
//! runs (made to terminate), instantiated with dummy imports of the right types, with every
//! exported function called on zero arguments; and [`FeatureUse`], which counts how many
//! generated modules really use each feature.

use std::collections::BTreeMap;
use std::fmt;

use arbitrary::Unstructured;
use wexe::{
    Config, Engine, Extern, ExternType, Func, Global, Memory, Module, Store, Table, Trap, Val,
};

/// The largest memory a generated module declares, in bytes.
const MAX_DECLARED_MEMORY: u64 = 4 << 20;
/// The largest size any memory may grow to.
const MAX_MEMORY: u64 = 16 << 20;

/// The engine generated modules run on: the interpreter, the generated modules' features,
/// small memories.
pub fn engine() -> Engine {
    let mut config = generated_features();
    config.tier(wexe::Tier::Interp).max_memory_size(MAX_MEMORY);
    Engine::new(&config).expect("the smith engine configuration is valid")
}

/// How many modules use each feature beyond WebAssembly 2.0 (and SIMD): a module uses a
/// feature when an engine with everything else on but that feature refuses it. (Used by the
/// tests to check that a run really exercised what it claims to.)
pub struct FeatureUse {
    /// Per feature: its name, an engine without it, and how many modules used it.
    features: Vec<(&'static str, Engine, u64)>,
}

impl FeatureUse {
    /// A counter for the features generated modules may use.
    pub fn new() -> FeatureUse {
        type TurnOff = fn(&mut Config) -> &mut Config;
        let offs: Vec<(&'static str, TurnOff)> = vec![
            ("simd", |c| c.wasm_simd(false).wasm_relaxed_simd(false)),
            ("relaxed-simd", |c| c.wasm_relaxed_simd(false)),
            ("tail-call", |c| c.wasm_tail_call(false)),
            ("memory64", |c| c.wasm_memory64(false)),
            ("multi-memory", |c| c.wasm_multi_memory(false)),
            ("extended-const", |c| c.wasm_extended_const(false)),
            ("wide-arithmetic", |c| c.wasm_wide_arithmetic(false)),
            ("custom-page-sizes", |c| c.wasm_custom_page_sizes(false)),
            ("exceptions", |c| c.wasm_exceptions(false)),
        ];
        let features = offs
            .into_iter()
            .map(|(name, off)| {
                let mut config = generated_features();
                off(config.tier(wexe::Tier::Interp));
                let engine = Engine::new(&config).expect("a validation engine");
                (name, engine, 0)
            })
            .collect();
        FeatureUse { features }
    }

    /// Counts the features `bytes` use.
    pub fn count(&mut self, bytes: &[u8]) {
        for (_, engine, n) in &mut self.features {
            *n += Module::validate(engine, bytes).is_err() as u64;
        }
    }

    /// How many modules used feature `name`.
    pub fn of(&self, name: &str) -> u64 {
        self.features
            .iter()
            .find(|(n, ..)| *n == name)
            .map_or_else(|| panic!("feature {name} is not counted"), |f| f.2)
    }
}

impl fmt::Display for FeatureUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, _, n)) in self.features.iter().enumerate() {
            write!(f, "{}{name} {n}", if i > 0 { ", " } else { "" })?;
        }
        Ok(())
    }
}

/// Asserts that a good share of `total` generated modules use each feature: SIMD a third of
/// them (it is always on), relaxed SIMD one in a hundred (its operators are few among SIMD's
/// hundreds), each other later feature (drawn on or off per module, and then used or not) at
/// least one in twenty-five.
pub fn assert_share(uses: &FeatureUse, total: u64) {
    assert!(
        uses.of("simd") > total / 3,
        "too few modules use SIMD: {uses} of {total}"
    );
    assert!(
        uses.of("relaxed-simd") >= total / 100,
        "too few modules use relaxed SIMD: {uses} of {total}"
    );
    let later = [
        "tail-call",
        "memory64",
        "multi-memory",
        "extended-const",
        "wide-arithmetic",
        "custom-page-sizes",
        "exceptions",
    ];
    for name in later {
        assert!(
            uses.of(name) >= total / 25,
            "too few modules use {name}: {uses} of {total}"
        );
    }
}

/// The features generated modules are validated with: the default ones (every 3.0 feature
/// wexe runs in both tiers, exception handling included) but the legacy exception form, which
/// wasm-smith does not make.
fn generated_features() -> Config {
    let mut config = Config::new();
    config.wasm_legacy_exceptions(false);
    config
}

/// A wasm-smith configuration drawn from `u`, restricted to WebAssembly 2.0 plus the later
/// features wexe runs in both tiers (relaxed SIMD, extended constant expressions, wide
/// arithmetic, tail calls, memory64, multi-memory, custom page sizes, exception handling) and
/// to small sizes. Fixed-width SIMD is always on, so that most modules
/// use it somewhere. (wasm-smith makes typed function references only together with garbage
/// collection, so generated modules have none.)
pub fn smith_config(u: &mut Unstructured<'_>) -> arbitrary::Result<wasm_smith::Config> {
    let mut c: wasm_smith::Config = u.arbitrary()?;
    // WebAssembly 2.0: bulk memory, reference types, multi-value, sign extension, saturating
    // float-to-int and mutable globals stay as drawn, and so do relaxed SIMD, extended constant
    // expressions, wide arithmetic, tail calls and memory64; other later proposals are off.
    c.simd_enabled = true;
    // Relaxed SIMD is a score of operators among hundreds: always on, so that some modules use
    // it; wasm-smith's own draw leaves wide arithmetic off.
    c.relaxed_simd_enabled = true;
    c.wide_arithmetic_enabled = u.arbitrary()?;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.exceptions_enabled = u.arbitrary()?;
    c.gc_enabled = false;
    c.custom_page_sizes_enabled = u.arbitrary()?;
    c.compact_imports_enabled = false;
    c.custom_descriptors_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.multibyte_array_access_enabled = false;
    c.max_memories = c.max_memories.min(2);
    c.max_memory64_bytes = c.max_memory64_bytes.min(MAX_DECLARED_MEMORY as u128);
    // Export every function so that each one gets called.
    c.export_everything = true;
    if !c.reference_types_enabled {
        c.max_tables = c.max_tables.min(1);
    }
    c.max_memory32_bytes = c.max_memory32_bytes.min(MAX_DECLARED_MEMORY);
    c.max_table_elements = c.max_table_elements.min(10_000);
    c.max_funcs = c.max_funcs.clamp(1, 50);
    c.min_funcs = 1;
    c.max_instructions = c.max_instructions.min(500);
    c.max_data_segments = c.max_data_segments.min(20);
    c.max_element_segments = c.max_element_segments.min(20);
    Ok(c)
}

/// A module generated from `u` whose every loop head and function entry costs one unit of
/// `fuel`, a budget shared by all calls into one instance; when it runs out the code traps with
/// `unreachable`, so every call terminates.
pub fn generate(u: &mut Unstructured<'_>, fuel: u32) -> arbitrary::Result<Vec<u8>> {
    let config = smith_config(u)?;
    let mut module = wasm_smith::Module::new(config, u)?;
    module
        .ensure_termination(fuel)
        .expect("wasm-smith generated every function body itself");
    Ok(module.to_bytes())
}

/// What happened to the modules and calls given to [`run_module`].
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Modules that passed `Module::new`.
    pub valid: u64,
    /// Modules instantiated (imports satisfied, segments written, start function run).
    pub instantiated: u64,
    /// Instantiations that trapped (segment out of bounds, a trap in the start function).
    pub instantiate_traps: u64,
    /// Instantiations that failed with an error other than a trap.
    pub instantiate_errors: u64,
    /// Calls of exported functions.
    pub calls: u64,
    /// Calls that returned normally.
    pub returned: u64,
    /// Calls that trapped.
    pub traps: u64,
    /// Trapped calls by the trap's message.
    pub trap_kinds: BTreeMap<&'static str, u64>,
    /// Calls that failed with an error other than a trap.
    pub errors: u64,
    /// The first few non-trap error messages, for the report.
    pub error_samples: Vec<String>,
}

impl Stats {
    fn error(&mut self, e: &wexe::Error) {
        if self.error_samples.len() < 5 {
            self.error_samples.push(format!("{e:#}"));
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} valid modules: {} instantiated, {} trapped and {} failed while instantiating; \
             {} calls: {} returned, {} trapped, {} failed",
            self.valid,
            self.instantiated,
            self.instantiate_traps,
            self.instantiate_errors,
            self.calls,
            self.returned,
            self.traps,
            self.errors,
        )?;
        if !self.trap_kinds.is_empty() {
            let kinds: Vec<String> = self
                .trap_kinds
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            write!(f, " ({})", kinds.join(", "))?;
        }
        for e in &self.error_samples {
            write!(f, "\n  error: {e}")?;
        }
        Ok(())
    }
}

/// An entity of type `ty` made for `store`: a host function that returns zeros, or a fresh
/// memory, table or global of the imported type holding zeros or null references, or a fresh tag.
pub fn dummy_extern(store: &mut Store<()>, ty: &ExternType) -> wexe::Result<Extern> {
    Ok(match ty {
        ExternType::Func(ft) => {
            let results = ft.results().to_vec();
            Func::new(&mut *store, ft.clone(), move |_, _, out| {
                for (slot, ty) in out.iter_mut().zip(&results) {
                    *slot = Val::default_for(*ty);
                }
                Ok(())
            })
            .into()
        }
        ExternType::Memory(mt) => Memory::new(&mut *store, *mt)?.into(),
        ExternType::Table(tt) => Table::new(&mut *store, *tt, Val::default_for(tt.element))?.into(),
        ExternType::Global(gt) => {
            Global::new(&mut *store, *gt, Val::default_for(gt.content))?.into()
        }
        ExternType::Tag(ty) => wexe::Tag::new(&mut *store, &wexe::TagType::new(ty.clone()))?.into(),
    })
}

/// Compiles `bytes`, instantiates them with dummy imports and calls every exported function with
/// zero arguments, counting outcomes in `stats`. Traps and errors are outcomes; the error
/// returned is for a module wexe rejects, which for wasm-smith output means a validator bug.
pub fn run_module(engine: &Engine, bytes: &[u8], stats: &mut Stats) -> wexe::Result<()> {
    let module = Module::new(engine, bytes)?;
    stats.valid += 1;
    let mut store = Store::new(engine, ());
    let mut imports = Vec::with_capacity(module.imports().len());
    for import in module.imports() {
        imports.push(dummy_extern(&mut store, &import.ty())?);
    }
    let instance = match wexe::Instance::new(&mut store, &module, &imports) {
        Ok(instance) => instance,
        Err(e) if trap_kind(&e).is_some() => {
            stats.instantiate_traps += 1;
            return Ok(());
        }
        Err(e) => {
            stats.instantiate_errors += 1;
            stats.error(&e);
            return Ok(());
        }
    };
    stats.instantiated += 1;
    for (_, export) in instance.exports(&mut store) {
        let Extern::Func(func) = export else { continue };
        let ty = func.ty(&store);
        let params: Vec<Val> = ty.params().iter().map(|t| Val::default_for(*t)).collect();
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        stats.calls += 1;
        match func.call(&mut store, &params, &mut results) {
            Ok(()) => {
                stats.returned += 1;
                for (val, t) in results.iter().zip(ty.results()) {
                    assert_eq!(val.ty(), *t, "a result of {ty} has the wrong type");
                }
            }
            Err(e) if let Some(kind) = trap_kind(&e) => {
                stats.traps += 1;
                *stats.trap_kinds.entry(kind).or_default() += 1;
            }
            Err(e) => {
                stats.errors += 1;
                stats.error(&e);
            }
        }
    }
    Ok(())
}

/// What ended a call that did not return, when it is a trap or an exception nothing caught
/// (both are the module's doing; any other error is wexe's).
fn trap_kind(e: &wexe::Error) -> Option<&'static str> {
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return Some(trap.message());
    }
    e.downcast_ref::<wexe::ThrownException>()
        .map(|_| "uncaught exception")
}

/// The next number of the splitmix64 stream whose state is `state`.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Turns a seed into a reproducible stream of bytes for `Unstructured` (splitmix64). `mix` and
/// `salt` pick the stream; the length is `base` plus a seed-dependent part below `spread`.
pub fn seed_bytes(
    seed: u64,
    mix: u64,
    salt: u64,
    base: usize,
    step: usize,
    spread: usize,
) -> Vec<u8> {
    let mut state = seed.wrapping_mul(mix) ^ salt;
    let len = base + (seed as usize * step) % spread;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    out.truncate(len);
    out
}
