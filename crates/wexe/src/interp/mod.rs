//! The interpreter tier: wasm function bodies are translated, lazily on first call, into a
//! register-based bytecode ([`ops`]) by [`translate`], and run by [`exec`].

pub(crate) mod exec;
mod ops;
mod semantics;
mod simd;
mod translate;

use wexe_environ::FuncType;

pub(crate) use exec::run_on_slots;
pub(crate) use translate::translate;

use ops::Instr;

/// An instruction as it is executed: with the address of its handler (direct threading).
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Threaded {
    // Private to the interpreter: made only by `new`, so every instruction sits beside its own
    // handler, which may then decode it without checking.
    handler: exec::Handler,
    instr: Instr,
}

impl Threaded {
    pub(crate) fn new(instr: Instr) -> Threaded {
        Threaded {
            handler: exec::handler_of(&instr),
            instr,
        }
    }
}

/// What a `call_indirect` site expects: a function of engine type `type_id` in table `table`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndirectSite {
    pub type_id: u32,
    pub table: u32,
}

/// "No such region" (the end of a region chain: the exception goes to the caller) or, for a
/// clause, "catches every tag" / "keeps no `exnref`".
pub(crate) const NO_REGION: u32 = u32::MAX;
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// A handler region of a function: the instructions `start..end` of a `try_table` (or legacy
/// `try`) body, its catch clauses (a range of [`BytecodeFunc::clauses`]), and the region to
/// search next when none matches (the enclosing one, a legacy `delegate`'s target, or
/// [`NO_REGION`]).
#[derive(Clone, Debug)]
pub(crate) struct TryRegion {
    pub start: u32,
    pub end: u32,
    pub clauses: std::ops::Range<u32>,
    pub next: u32,
}

/// One catch clause: the module tag index it catches ([`NO_SLOT`]: all), where the caught
/// values go (`dst..`) and the `exnref` (`exn`, or [`NO_SLOT`]), and where execution goes on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CatchClause {
    pub tag: u32,
    pub dst: u32,
    pub exn: u32,
    pub pad: u32,
}

/// A translated function body and the layout of its frame: cells `0..num_params` are the
/// parameters, then the other locals, then the constants, then temporaries up to `frame_size`
/// (a v128 takes two cells, so these are counts of cells, not of values). Entering the function copies `frame_init` (zeros for the locals, then the
/// constants) to the cells after the parameters.
pub(crate) struct BytecodeFunc {
    pub func_index: u32,
    pub num_params: u32,
    pub frame_size: u32,
    pub frame_init: Box<[u64]>,
    pub code: Box<[Threaded]>,
    /// The wasm byte offset of each instruction, for backtraces.
    pub offsets: Box<[u32]>,
    pub sites: Box<[IndirectSite]>,
    /// Handler regions, in the order they open (inner regions after the ones around them).
    pub regions: Box<[TryRegion]>,
    pub clauses: Box<[CatchClause]>,
    /// Tier-up: the calls plus loop iterations left before the function is hot; 0 once it is
    /// (and for good once its machine code is ready, so that every entry goes to it).
    pub heat: std::sync::atomic::AtomicU32,
    /// Tier-up: whether the function's loops made it hot once already (the next time, its
    /// on-stack-replacement entry is asked for).
    pub loops_hot: std::sync::atomic::AtomicBool,
    /// Tier-up: whether the on-stack-replacement entry of the function's outermost loops is
    /// compiled (their headers, `TierCountOuter`, then enter it whatever the heat).
    pub outer_entry_ready: std::sync::atomic::AtomicBool,
    /// Tier-up: whether the function has an outermost loop entered with an empty operand
    /// stack, and how many hot spells its inner loops waited for one to come round.
    pub has_outer_entry: bool,
    pub inner_waits: std::sync::atomic::AtomicU32,
}

impl BytecodeFunc {
    /// A body that traps as unsupported when called (it uses an operator this tier cannot run,
    /// such as one addressing a second memory).
    pub(crate) fn unsupported(func_index: u32, ty: &FuncType) -> BytecodeFunc {
        let p = exec::cells_of(ty.params()) as u32;
        let r = exec::cells_of(ty.results()) as u32;
        BytecodeFunc {
            func_index,
            num_params: p,
            frame_size: p.max(r),
            frame_init: Box::new([]),
            code: Box::new([Threaded::new(Instr::Unsupported {})]),
            offsets: Box::new([0]),
            sites: Box::new([]),
            regions: Box::new([]),
            clauses: Box::new([]),
            heat: std::sync::atomic::AtomicU32::new(u32::MAX),
            loops_hot: std::sync::atomic::AtomicBool::new(false),
            outer_entry_ready: std::sync::atomic::AtomicBool::new(false),
            has_outer_entry: false,
            inner_waits: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// A listing of the bytecode, for debugging the translator.
    pub(crate) fn disassemble(&self) -> String {
        ops::disassemble(&self.code.iter().map(|t| t.instr).collect::<Vec<_>>())
    }
}
