//! [`JitModule`]: a module's compiled functions and trampolines loaded into one [`CodeMemory`],
//! relocated, with the tables that map a pc back to a function, a trap code and a wasm offset.

use std::sync::OnceLock;

use wexe_cranelift::CraneliftCompiler;
use wexe_environ::{
    CallSiteHandlers, CompileInput, CompiledFunction, CompiledModule, Compiler, DebugSlots,
    ModuleInfo, RelocKind, TrapCode,
};

use crate::vm::CodeMemory;

/// Where one compiled function or trampoline lies in the code memory, and its trap and source
/// tables; `def` is its defined-function index (`None` for trampolines).
struct FuncInfo {
    def: Option<usize>,
    start: usize,
    len: usize,
    traps: Vec<(u32, TrapCode)>,
    srclocs: Vec<(u32, u32, u32)>,
    /// Calls with exception handlers, by return address.
    handlers: Vec<CallSiteHandlers>,
    debug_slots: Option<DebugSlots>,
}

pub(crate) struct JitModule {
    /// The code's registration with debuggers (`Config::debug_info`); declared first so that
    /// it is withdrawn before the code is unmapped.
    pub(super) debug: Option<super::gdb_jit::DebugRegistration>,
    code: CodeMemory,
    /// Where each defined function starts.
    def_starts: Vec<usize>,
    /// Every function and trampoline, in code order.
    funcs: Vec<FuncInfo>,
    array_entries: Vec<usize>,
    host_adapters: Vec<usize>,
}

pub(super) fn compiler() -> Result<&'static CraneliftCompiler, String> {
    static COMPILER: OnceLock<Result<CraneliftCompiler, String>> = OnceLock::new();
    COMPILER
        .get_or_init(CraneliftCompiler::new)
        .as_ref()
        .map_err(Clone::clone)
}

/// What the compiler gets for `info` under `config`; `alone` when functions are compiled one
/// at a time (tier-up), so that calls go through the vmctx.
fn input<'a>(
    config: &crate::Config,
    info: &'a ModuleInfo,
    bytes: &'a [u8],
    alone: bool,
) -> CompileInput<'a> {
    CompileInput {
        info,
        bytes,
        bounds_checks: !crate::vm::LinearMemory::guarded(),
        consume_fuel: config.consume_fuel,
        interruptible: config.interruptible,
        calls_through_vmctx: alone,
        debug_info: None,
    }
}

/// Compiles every function of a module (the machine code, not yet loaded).
pub(crate) fn compile_raw(
    config: &crate::Config,
    info: &ModuleInfo,
    bytes: &[u8],
) -> Result<CompiledModule, String> {
    // Under debug info, the locals each function's DWARF names get stack slots.
    let used_locals = config.debug_info.then(|| {
        let bodies: Vec<_> = info
            .bodies
            .iter()
            .map(|b| b.range.start as u32..b.range.end as u32)
            .collect();
        wexe_debug::used_locals(bytes, &bodies)
    });
    let mut input = input(config, info, bytes, false);
    input.debug_info = used_locals.as_deref();
    compiler()?.compile_module(&input)
}

/// Compiles only the trampolines of every type (tier-up; not loaded yet).
pub(crate) fn compile_trampolines(
    config: &crate::Config,
    info: &ModuleInfo,
    bytes: &[u8],
) -> Result<CompiledModule, String> {
    compiler()?.compile_trampolines(&input(config, info, bytes, true))
}

/// Compiles defined function `def` alone (tier-up; not loaded yet): its calls go through the
/// vmctx.
pub(crate) fn compile_function(
    config: &crate::Config,
    info: &ModuleInfo,
    bytes: &[u8],
    def: usize,
) -> Result<CompiledFunction, String> {
    let mut funcs =
        compiler()?.compile_functions(&input(config, info, bytes, true), &[def as u32])?;
    funcs
        .pop()
        .ok_or_else(|| "internal error: no function compiled".into())
}

/// What compiled code depends on besides the module: the compiler, how memories are made, the
/// limits compiled in and the wasm features the module was validated with.
pub(crate) fn fingerprint(config: &crate::Config) -> Result<String, String> {
    let guarded = crate::vm::LinearMemory::guarded();
    Ok(format!(
        "{} guarded={guarded} fuel={} interruptible={} debug_info={} {:?}",
        compiler()?.fingerprint(),
        config.consume_fuel,
        config.interruptible,
        config.debug_info,
        // The wasm features are part of it because code found by fingerprint is reused without
        // validating the function bodies again.
        config.features
    ))
}

/// Compiles the on-stack-replacement entry of defined function `def` for loops `entries`
/// (tier-up; not loaded yet): the function and its array entry (once loaded,
/// [`JitModule::func_ptr`] and [`JitModule::array_entry`] 0).
pub(crate) fn compile_osr(
    config: &crate::Config,
    info: &ModuleInfo,
    bytes: &[u8],
    def: usize,
    entries: wexe_environ::LoopEntries,
) -> Result<CompiledModule, String> {
    let input = input(config, info, bytes, true);
    let (body, entry) = compiler()?.compile_osr(&input, def as u32, entries)?;
    Ok(CompiledModule {
        funcs: vec![body],
        array_entries: vec![entry],
        host_adapters: Vec::new(),
    })
}

/// The page offset the next chunk of tier-up's code starts at: 64 lines of a 4 KiB page in
/// turn (17 is prime to 64, so consecutive chunks land far apart).
fn chunk_color() -> usize {
    static CHUNKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CHUNKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (n * 17 % 64) * 64
}

/// Loads compiled code into executable memory and relocates it. `defs` says which defined
/// function each of `out.funcs` is, when they are not all of them in order; such functions call
/// others through the vmctx, so their relocations can only name functions among `defs` (a
/// function compiled alone calls itself directly).
pub(crate) fn load(out: CompiledModule, defs: Option<&[usize]>) -> Result<JitModule, String> {
    // Where among `out.funcs` a relocation's target (a defined-function index) is.
    let position = |target: u32| match defs {
        None => Some(target as usize),
        Some(defs) => defs.iter().position(|&d| d == target as usize),
    };
    // Tier-up maps each function alone: starting every one at the same page offset would put
    // all their branches in the same sets of the CPU's branch predictors, so each starts at
    // another 64-byte line of its first page.
    let mut image = match defs {
        Some(_) => vec![0xcc; chunk_color()],
        None => Vec::new(),
    };
    let mut place = |f: &CompiledFunction| {
        while image.len() % 16 != 0 {
            image.push(0xcc);
        }
        let at = image.len();
        image.extend_from_slice(&f.code);
        at
    };
    let starts: Vec<usize> = out.funcs.iter().map(&mut place).collect();
    let array_entries: Vec<usize> = out.array_entries.iter().map(&mut place).collect();
    let host_adapters: Vec<usize> = out.host_adapters.iter().map(&mut place).collect();
    let code = CodeMemory::new(&image, |base, bytes| {
        for (f, &start) in out.funcs.iter().zip(&starts) {
            for r in &f.relocs {
                let site = start + r.offset as usize;
                let callee = position(r.target)
                    .and_then(|i| starts.get(i))
                    .ok_or_else(|| {
                        format!(
                            "internal error: a call to function {}, which was not compiled \
                             with it",
                            r.target
                        )
                    })?;
                let target = base as i64 + *callee as i64 + r.addend;
                let pc = base as i64 + site as i64;
                match r.kind {
                    RelocKind::X86PcRel4 => {
                        let v = i32::try_from(target - pc).map_err(|_| "call out of range")?;
                        bytes[site..site + 4].copy_from_slice(&v.to_le_bytes());
                    }
                    RelocKind::Abs8 => {
                        bytes[site..site + 8].copy_from_slice(&target.to_le_bytes());
                    }
                    RelocKind::Arm64Call => {
                        let delta = (target - pc) >> 2;
                        let mut w = u32::from_le_bytes(bytes[site..site + 4].try_into().unwrap());
                        w = (w & !0x03ff_ffff) | (delta as u32 & 0x03ff_ffff);
                        bytes[site..site + 4].copy_from_slice(&w.to_le_bytes());
                    }
                }
            }
        }
        Ok(())
    })?;
    let def_starts: Vec<usize> = starts.clone();
    let trampolines = out
        .array_entries
        .into_iter()
        .zip(&array_entries)
        .chain(out.host_adapters.into_iter().zip(&host_adapters))
        .map(|(f, &start)| (None, f, start));
    let funcs = out
        .funcs
        .into_iter()
        .zip(starts)
        .enumerate()
        .map(|(i, (f, start))| (Some(defs.map_or(i, |d| d[i])), f, start))
        .chain(trampolines)
        .map(|(def, f, start)| FuncInfo {
            def,
            start,
            len: f.code.len(),
            traps: f.traps,
            srclocs: f.srclocs,
            handlers: f.handlers,
            debug_slots: f.debug_slots,
        })
        .collect();
    Ok(JitModule {
        debug: None,
        code,
        def_starts,
        funcs,
        array_entries,
        host_adapters,
    })
}

impl JitModule {
    /// The module's code as lines of Linux perf's map of JIT code (`START SIZE NAME`, hex):
    /// defined functions by their name-section name or `wasm-function[N]`, and trampolines.
    pub fn perf_map(&self, info: &ModuleInfo) -> String {
        let base = self.code.base() as usize;
        let mut out = String::new();
        for f in &self.funcs {
            let name = match f.def {
                Some(def) => {
                    let index = (info.num_imported_funcs + def) as u32;
                    match info.func_name(index) {
                        Some(name) => name.to_string(),
                        None => format!("wasm-function[{index}]"),
                    }
                }
                None => "wexe trampoline".to_string(),
            };
            out.push_str(&format!("{:x} {:x} {name}\n", base + f.start, f.len));
        }
        out
    }

    /// The code's address and bytes, and each function and trampoline in it: its defined
    /// function index (`None`: a trampoline), code offset, length, source ranges and debug
    /// slots.
    #[allow(clippy::type_complexity)]
    pub(super) fn layout(
        &self,
    ) -> (
        &[u8],
        Vec<(
            Option<usize>,
            usize,
            usize,
            &[(u32, u32, u32)],
            Option<&DebugSlots>,
        )>,
    ) {
        let funcs = self
            .funcs
            .iter()
            .map(|f| {
                (
                    f.def,
                    f.start,
                    f.len,
                    &f.srclocs[..],
                    f.debug_slots.as_ref(),
                )
            })
            .collect();
        (self.code.bytes(), funcs)
    }

    /// The entry of defined function `def`.
    pub fn func_ptr(&self, def: usize) -> *const u8 {
        self.code.base().wrapping_add(self.def_starts[def])
    }

    /// How many defined functions have an entry.
    pub fn defined_count(&self) -> usize {
        self.def_starts.len()
    }

    /// The entry of defined function `def`, if the module has one.
    pub fn try_func_ptr(&self, def: usize) -> Option<*const u8> {
        (def < self.def_starts.len()).then(|| self.func_ptr(def))
    }

    pub fn array_entry(&self, type_index: usize) -> *const u8 {
        self.code
            .base()
            .wrapping_add(self.array_entries[type_index])
    }

    pub fn host_adapter(&self, type_index: usize) -> *const u8 {
        self.code
            .base()
            .wrapping_add(self.host_adapters[type_index])
    }

    pub fn contains(&self, pc: usize) -> bool {
        self.code.contains(pc)
    }

    /// The function or trampoline containing `pc` and the offset of `pc` within it.
    fn locate(&self, pc: usize) -> Option<(usize, u32)> {
        let off = pc.checked_sub(self.code.base() as usize)?;
        let i = self
            .funcs
            .partition_point(|f| f.start <= off)
            .checked_sub(1)?;
        let f = &self.funcs[i];
        (off < f.start + f.len).then(|| (i, (off - f.start) as u32))
    }

    /// The trap recorded for the instruction at `pc`.
    pub fn trap_at(&self, pc: usize) -> Option<TrapCode> {
        let (i, off) = self.locate(pc)?;
        let traps = &self.funcs[i].traps;
        let j = traps.binary_search_by_key(&off, |t| t.0).ok()?;
        Some(traps[j].1)
    }

    /// The exception handlers of the call returning to `pc`, if it has any, and the address
    /// its function starts at (handler offsets are relative to it).
    pub fn call_site(&self, pc: usize) -> Option<(&CallSiteHandlers, usize)> {
        let (i, off) = self.locate(pc)?;
        let f = &self.funcs[i];
        let j = f.handlers.binary_search_by_key(&off, |s| s.ret_addr).ok()?;
        Some((&f.handlers[j], self.code.base() as usize + f.start))
    }

    /// The defined function and wasm offset of the instruction at `pc`.
    pub fn wasm_location(&self, pc: usize) -> Option<(usize, Option<u32>)> {
        let (i, off) = self.locate(pc)?;
        let def = self.funcs[i].def?;
        let locs = &self.funcs[i].srclocs;
        let j = locs.partition_point(|l| l.0 <= off);
        // Outside any operator (the prologue's stack check): the function's first operator.
        let loc = j
            .checked_sub(1)
            .map(|j| locs[j])
            .filter(|l| off < l.1)
            .or_else(|| locs.first().copied())
            .map(|l| l.2);
        Some((def, loc))
    }
}
