//! Tier-up (`Tier::Auto`): every function starts in the interpreter, whose `TierCount`
//! instructions (function entries, loop headers) count its calls and loop iterations down from
//! [`crate::Config::tier_up_threshold`]. A function found hot is compiled by Cranelift, alone,
//! on the engine's background threads ([`Workers`]) or, with `tier_up_threads(0)`, at once; its
//! machine code is kept in the module's [`TieredCode`], shared by every store.
//!
//! The tiers call each other both ways (`crossing.rs`): an interpreted call that reaches a
//! compiled function's entry runs its machine code in place of its bytecode, and compiled code
//! calls every other defined function through its instance's vmctx entries, which point to the
//! callee's machine code once it has some and, until then, to the type's host adapter, which
//! runs the callee in the interpreter (a function's calls to itself are direct). Traps,
//! backtraces (the frames of both tiers), fuel, interruption and exceptions cross with the call.

mod crossing;
mod saved;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

pub(crate) use crossing::{call_interpreted, enter_compiled};
pub(crate) use worker::Workers;

use crate::Module;
use wexe_environ::{CompiledModule, LoopEntries, ModuleInfo};

use crate::jit::JitModule;
use crate::module::ModuleInner;

/// The heat a function is given again when it was found hot but its code is not ready.
pub(crate) const RECHECK: u32 = 256;

/// A module's machine code under tier-up.
pub(crate) struct TieredCode {
    /// The array entries and host adapters of every type, compiled with the first function.
    trampolines: OnceLock<Result<JitModule, String>>,
    /// The machine code compiled so far, a function each.
    chunks: RwLock<Vec<Arc<JitModule>>>,
    /// Each defined function's machine code, null until it is compiled.
    ready: Box<[AtomicPtr<u8>]>,
    /// Whether each defined function was asked for already.
    requested: Box<[AtomicBool]>,
    /// The defined functions kept in the interpreter for good ([`crate::Config::tier_up_draw`];
    /// empty when nothing was drawn).
    interpreted_only: Box<[bool]>,
    /// How many functions were compiled: stores compare it with what their vmctxs point to.
    generation: AtomicU32,
    /// Why the first function that failed to compile did (it stays interpreted).
    failure: Mutex<Option<String>>,
    /// On-stack-replacement entries asked for, by defined function and loops entered.
    osr: Mutex<HashMap<(usize, LoopEntries), Osr>>,
    /// How many functions and on-stack-replacement entries have machine code.
    compiled: AtomicUsize,
    /// How many on-stack-replacement entries were compiled, and the nanoseconds all
    /// compilations took.
    loop_entries: AtomicUsize,
    /// How many of those enter outermost loops only.
    outermost_entries: AtomicUsize,
    compile_nanos: std::sync::atomic::AtomicU64,
    /// The raw code, for the on-disk cache.
    saved: Mutex<saved::Saved>,
}

/// An on-stack-replacement entry: asked for, compiled (its array entry and code), or failed.
#[derive(Clone, Copy)]
enum Osr {
    Requested,
    Ready(usize, usize),
    Failed,
}

impl TieredCode {
    /// The tier-up state of a new module, with the hot functions of its last runs when the
    /// engine's cache holds them.
    pub fn new(
        config: &crate::Config,
        info: &ModuleInfo,
        id: Option<crate::jit::ModuleId>,
    ) -> TieredCode {
        let defined_funcs = info.bodies.len();
        let (saved, loaded) = saved::Saved::open(config, id);
        let t = TieredCode {
            trampolines: OnceLock::new(),
            chunks: RwLock::new(Vec::new()),
            ready: (0..defined_funcs)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            requested: (0..defined_funcs).map(|_| AtomicBool::new(false)).collect(),
            interpreted_only: match config.tier_up_draw {
                Some(seed) => info
                    .bodies
                    .iter()
                    .map(|b| drawn_interpreted(seed, b.range.start as u64))
                    .collect(),
                None => Box::new([]),
            },
            generation: AtomicU32::new(0),
            failure: Mutex::new(None),
            osr: Mutex::new(HashMap::new()),
            compiled: AtomicUsize::new(0),
            loop_entries: AtomicUsize::new(0),
            outermost_entries: AtomicUsize::new(0),
            compile_nanos: std::sync::atomic::AtomicU64::new(0),
            saved: Mutex::new(saved),
        };
        if let Some(loaded) = loaded.filter(|l| saved::defs_fit(info, &l.defs)) {
            let mut compiled = 0;
            for (i, &def) in loaded.defs.iter().enumerate() {
                if t.interpreted_only(def) {
                    continue;
                }
                t.ready[def].store(loaded.code.func_ptr(i) as *mut u8, Ordering::Release);
                t.requested[def].store(true, Ordering::Relaxed);
                compiled += 1;
            }
            t.compiled.store(compiled, Ordering::Relaxed);
            t.generation.store(1, Ordering::Release);
            let _ = t.trampolines.set(Ok(loaded.code));
        }
        t
    }

    /// Whether defined function `def` stays in the interpreter for good (drawn so).
    fn interpreted_only(&self, def: usize) -> bool {
        self.interpreted_only.get(def).copied().unwrap_or(false)
    }

    /// Writes the hot functions compiled since the last time to the on-disk cache, if the
    /// engine has one.
    pub fn save(&self, config: &crate::Config) {
        self.saved().write(config);
    }

    fn saved(&self) -> std::sync::MutexGuard<'_, saved::Saved> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The machine code of defined function `def`, once compiled.
    pub fn code(&self, def: usize) -> Option<*const u8> {
        let p = self.ready.get(def)?.load(Ordering::Acquire);
        (!p.is_null()).then_some(p as *const u8)
    }

    /// The trampolines, once the first function is compiled.
    pub fn trampolines(&self) -> Option<&JitModule> {
        self.trampolines.get()?.as_ref().ok()
    }

    /// How many functions are compiled so far.
    pub fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }

    /// The compiled function whose code contains `pc`.
    pub fn chunk_containing(&self, pc: usize) -> Option<Arc<JitModule>> {
        let chunks = self.chunks.read().unwrap_or_else(|e| e.into_inner());
        chunks.iter().find(|c| c.contains(pc)).cloned()
    }

    /// How many functions and on-stack-replacement entries are compiled so far, and why the
    /// first that could not be was not.
    /// How many on-stack-replacement entries enter outermost loops only.
    pub fn outermost_entries(&self) -> usize {
        self.outermost_entries.load(Ordering::Acquire)
    }

    pub fn status(&self) -> (usize, usize, Option<String>) {
        let loops = self.loop_entries.load(Ordering::Acquire);
        let all = self.compiled.load(Ordering::Acquire);
        (all - loops, loops, self.failure())
    }

    /// What tier-up did, in a line for `wexe run --verbose`.
    pub fn summary(&self) -> String {
        let (functions, loops, failure) = self.status();
        let ms = self.compile_nanos.load(Ordering::Acquire) as f64 / 1e6;
        let outermost = self.outermost_entries.load(Ordering::Acquire);
        let mut s = format!(
            "tier-up: {functions} functions and {loops} loop entries ({outermost} of outermost \
             loops only) compiled in {ms:.0} ms"
        );
        if let Some(f) = failure {
            s.push_str(&format!("; not compiled: {f}"));
        }
        s
    }

    fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Whether the function whose body starts at byte `at` of its module stays interpreted, drawn
/// from `seed` (a SplitMix64 step of both: about half of them).
fn drawn_interpreted(seed: u64, at: u64) -> bool {
    let mut z = seed ^ at.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) & 1 == 1
}

/// Bytes of body per multiple of the threshold a function's heat starts with.
const BYTES_PER_THRESHOLD: usize = 2048;

/// The heat defined function `def` of `module` starts with when it is translated: the
/// threshold, times one more for every [`BYTES_PER_THRESHOLD`] bytes of its body beyond the
/// first, since compiling costs in proportion to the body (Cranelift took 0.5–2 s for each
/// of Yosys's two largest hot functions, 106 and 160 KB).
pub(crate) fn initial_heat(module: &Module, def: usize) -> u32 {
    match &module.inner.tiered {
        Some(t) if t.code(def).is_some() => 0,
        _ => budget(module, def),
    }
}

/// The calls plus loop iterations that make defined function `def` of `module` hot: the
/// threshold, scaled by the body's size (see [`initial_heat`]).
pub(crate) fn budget(module: &Module, def: usize) -> u32 {
    let range = &module.info().bodies[def].range;
    let size = (range.end - range.start) / BYTES_PER_THRESHOLD;
    let threshold = module.engine().config().tier_up_threshold;
    threshold.saturating_mul(1 + size.min(u32::MAX as usize - 1) as u32)
}

/// Whether defined function `def` of `module` (which was found hot) has machine code; asks for
/// it the first time.
pub(crate) fn request(module: &Module, def: usize) -> bool {
    let Some(t) = &module.inner.tiered else {
        return false;
    };
    if t.code(def).is_some() {
        return true;
    }
    if t.interpreted_only(def) || t.requested[def].swap(true, Ordering::AcqRel) {
        return false;
    }
    dispatch(module, def, None);
    t.code(def).is_some()
}

/// Hot spells (of [`RECHECK`] loop iterations) an inner loop waits for its function's outermost
/// loop to come round to its header, where the better entry is, before it takes the entry of
/// any loop: 1024 thresholds' worth of iterations (about a million by default; one iteration
/// of matmul's outer loop, 986 by 986, is 972,196). Waiting longer costs a loop that runs once
/// (the first partition of a quicksort of 4 million elements) that many interpreted iterations.
pub(crate) fn inner_patience(module: &Module) -> u32 {
    let threshold = module.engine().config().tier_up_threshold;
    (threshold.saturating_mul(1024) / RECHECK).max(1)
}

/// The array entry and code of the on-stack-replacement entry of defined function `def` of
/// `module` (one of whose loops was found hot) for loops `entries`, if compiled; asks for it
/// the first time.
pub(crate) fn request_osr(
    module: &Module,
    def: usize,
    entries: LoopEntries,
) -> Option<(*const u8, *const u8)> {
    let t = module
        .inner
        .tiered
        .as_ref()
        .filter(|t| !t.interpreted_only(def))?;
    match t.osr_state(def, entries) {
        Some(Osr::Ready(entry, code)) => return Some((entry as *const u8, code as *const u8)),
        Some(_) => return None,
        None => {}
    }
    t.osr
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert((def, entries), Osr::Requested);
    dispatch(module, def, Some(entries));
    match t.osr_state(def, entries) {
        Some(Osr::Ready(entry, code)) => Some((entry as *const u8, code as *const u8)),
        _ => None,
    }
}

/// Compiles defined function `def` of `module` (or, with `osr`, its on-stack-replacement
/// entry for those loops) on the engine's background threads, or now when it has none by
/// choice; not at all on a one-core machine.
fn dispatch(module: &Module, def: usize, osr: Option<LoopEntries>) {
    // `Module` is `Send + Sync`: compiled on another thread, the code serves every store.
    let engine = &module.inner.engine;
    let threads = engine
        .config()
        .tier_up_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()) - 1);
    if threads == 0 && engine.config().tier_up_threads.is_some() {
        compile(&module.inner, def, osr);
    } else if threads > 0 {
        let workers = engine.inner.tier_up.get_or_init(|| Workers::start(threads));
        workers.submit(Arc::downgrade(&module.inner), def, osr);
    }
}

impl TieredCode {
    fn osr_state(&self, def: usize, entries: LoopEntries) -> Option<Osr> {
        let osr = self.osr.lock().unwrap_or_else(|e| e.into_inner());
        osr.get(&(def, entries)).copied()
    }

    fn keep(&self, engine: &crate::Engine, info: &ModuleInfo, code: JitModule) {
        crate::jit::write_perf_map(engine, &code, info);
        self.compiled.fetch_add(1, Ordering::AcqRel);
        let mut chunks = self.chunks.write().unwrap_or_else(|e| e.into_inner());
        chunks.push(Arc::new(code));
    }
}

/// Compiles defined function `def` of `module` (or, with `osr`, its on-stack-replacement entry
/// for those loops) and makes its code ready.
pub(crate) fn compile(module: &ModuleInner, def: usize, osr: Option<LoopEntries>) {
    let Some(t) = &module.tiered else { return };
    let started = std::time::Instant::now();
    compile_timed(module, t, def, osr);
    let nanos = started.elapsed().as_nanos() as u64;
    t.compile_nanos.fetch_add(nanos, Ordering::AcqRel);
}

fn compile_timed(module: &ModuleInner, t: &TieredCode, def: usize, osr: Option<LoopEntries>) {
    let config = module.engine.config();
    let fail = |e: String| {
        let mut failure = t.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure.get_or_insert(e);
    };
    let trampolines = t.trampolines.get_or_init(|| {
        let raw = crate::jit::compile_trampolines(config, &module.info, &module.bytes)?;
        t.saved().trampolines(&raw);
        crate::jit::load(raw, None)
    });
    if let Err(e) = trampolines {
        return fail(e.clone());
    }
    if let Some(entries) = osr {
        let code = crate::jit::compile_osr(config, &module.info, &module.bytes, def, entries)
            .and_then(|out| crate::jit::load(out, Some(&[def])));
        let state = match code {
            Ok(code) => {
                let ready = Osr::Ready(code.array_entry(0) as usize, code.func_ptr(0) as usize);
                t.keep(&module.engine, &module.info, code);
                t.loop_entries.fetch_add(1, Ordering::AcqRel);
                if entries == LoopEntries::Outermost {
                    t.outermost_entries.fetch_add(1, Ordering::AcqRel);
                }
                ready
            }
            Err(e) => {
                fail(format!("function {def}'s loop entry: {e}"));
                Osr::Failed
            }
        };
        let ready = matches!(state, Osr::Ready(..));
        t.osr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((def, entries), state);
        if let (true, LoopEntries::Outermost, Some(Ok(f))) =
            (ready, entries, module.compiled[def].get())
        {
            // The headers of outermost loops enter it from now on (`TierCountOuter`).
            f.outer_entry_ready.store(true, Ordering::Release);
        }
        return;
    }
    let compiled =
        crate::jit::compile_function(config, &module.info, &module.bytes, def).and_then(|raw| {
            let out = CompiledModule {
                funcs: vec![raw.clone()],
                ..CompiledModule::default()
            };
            Ok((crate::jit::load(out, Some(&[def]))?, raw))
        });
    match compiled {
        Ok((code, raw)) => {
            let entry = code.func_ptr(0) as *mut u8;
            t.keep(&module.engine, &module.info, code);
            t.saved().function(config, def, raw);
            t.ready[def].store(entry, Ordering::Release);
            if let Some(Ok(f)) = module.compiled[def].get() {
                // Every entry goes to the machine code from now on.
                f.heat.store(0, Ordering::Relaxed);
            }
            t.generation.fetch_add(1, Ordering::AcqRel);
        }
        Err(e) => fail(format!("function {def}: {e}")),
    }
}
