//! The boundary between the runtime and a machine-code compiler: the [`Compiler`] trait and what a
//! compilation produces (code bytes, relocations, trap sites and source offsets per function).
//!
//! A compiler turns every defined function of a module into position-independent machine code
//! that follows the calling convention described in [`crate::vmoffsets`]; the runtime copies the
//! code into executable memory, patches the relocations and maps faulting addresses back to
//! [`TrapCode`]s and wasm offsets.

use crate::ModuleInfo;

/// Why a compiled function stopped: recorded per trapping instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapCode {
    StackOverflow,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    UndefinedElement,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    Unreachable,
    OutOfFuel,
    /// A runtime helper (libcall or host function) failed; the runtime holds the error.
    Libcall,
    /// An operator this compiler does not translate (SIMD).
    Unsupported,
    /// The store's interruption flag was set.
    Interrupt,
    /// `ref.as_non_null` or `call_ref` of a null reference.
    NullReference,
}

impl TrapCode {
    /// Every trap code, in the order compiled modules encode them by (changing it changes the
    /// compiled-module format).
    pub const ALL: [TrapCode; 15] = [
        TrapCode::StackOverflow,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::IndirectCallToNull,
        TrapCode::BadSignature,
        TrapCode::UndefinedElement,
        TrapCode::IntegerOverflow,
        TrapCode::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger,
        TrapCode::Unreachable,
        TrapCode::OutOfFuel,
        TrapCode::Libcall,
        TrapCode::Unsupported,
        TrapCode::Interrupt,
        TrapCode::NullReference,
    ];
}

/// How a relocation is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocKind {
    /// x86-64: 32-bit PC-relative (call or lea), `target + addend - site`.
    X86PcRel4,
    /// 64-bit absolute address, `target + addend`.
    Abs8,
    /// AArch64: 26-bit word offset of `bl`/`b`.
    Arm64Call,
}

/// A place in a function's code that must hold the address of another defined function.
#[derive(Clone, Copy, Debug)]
pub struct Relocation {
    /// Offset within the function's code.
    pub offset: u32,
    pub kind: RelocKind,
    /// Index among the module's defined functions.
    pub target: u32,
    pub addend: i64,
}

/// A function's machine code and what the runtime needs to load and understand it.
#[derive(Clone, Debug, Default)]
pub struct CompiledFunction {
    pub code: Vec<u8>,
    pub relocs: Vec<Relocation>,
    /// Trapping instructions: code offset → why, sorted by offset.
    pub traps: Vec<(u32, TrapCode)>,
    /// Code ranges `start..end` and the wasm byte offset they come from, sorted by start.
    pub srclocs: Vec<(u32, u32, u32)>,
    /// Calls inside `try_table` (or legacy `try`) bodies and their exception handlers, sorted
    /// by return address.
    pub handlers: Vec<CallSiteHandlers>,
    /// Where a debugger finds the function's wasm locals and vmctx (compiled with
    /// [`CompileInput::debug_info`] only).
    pub debug_slots: Option<DebugSlots>,
}

/// The stack slots a function compiled for debugging keeps its vmctx and a copy of each wasm
/// local its DWARF names in (stored at every `local.set`/`local.tee`), as offsets from its frame
/// pointer: what native DWARF locations of wasm locals, globals and linear memory are built
/// from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DebugSlots {
    /// The slot holding the vmctx pointer.
    pub vmctx: i32,
    /// One entry per wasm local (parameters first), `None` for a local without a slot (one the
    /// module's DWARF does not name).
    pub locals: Vec<Option<i32>>,
}

/// A call whose exceptions may be caught in the calling function: where the unwinder finds the
/// frame's vmctx (to map tag indices to the instance's tags) and where each handler starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallSiteHandlers {
    /// Code offset of the call's return address.
    pub ret_addr: u32,
    /// The frame pointer minus the stack pointer at the call (the handler runs with this stack
    /// pointer).
    pub frame_offset: u32,
    /// Where the function's vmctx is saved: an offset from the stack pointer at the call.
    pub vmctx_sp_offset: u32,
    /// In order, the first that matches wins: the module's tag index (`None`: any exception)
    /// and the handler's code offset, which receives the `exnref` in the first payload register.
    pub handlers: Vec<(Option<u32>, u32)>,
}

/// Which loops an on-stack-replacement entry can enter (among those entered with an empty
/// operand stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopEntries {
    /// Only loops inside no other loop. Every loop nest then keeps a single way in, its
    /// header, and Cranelift optimises it as in the function's own code.
    Outermost,
    /// Any loop. An inner loop's header becomes a second way into the loops around it, which
    /// are then no longer loops Cranelift can optimise as such (matmul's nest ran 1.26× the
    /// JIT's time entered that way).
    Any,
}

/// A whole module compiled: one entry per defined function, plus per type index an array entry
/// (host → wasm with values in an array) and a host adapter (wasm → host function), both empty
/// for struct and array types.
#[derive(Clone, Debug, Default)]
pub struct CompiledModule {
    pub funcs: Vec<CompiledFunction>,
    pub array_entries: Vec<CompiledFunction>,
    pub host_adapters: Vec<CompiledFunction>,
}

/// What a compiler gets: the module and its bytes (bodies are ranges of them). The output does
/// not depend on anything else, so it can be cached on disk.
pub struct CompileInput<'a> {
    pub info: &'a ModuleInfo,
    pub bytes: &'a [u8],
    /// Whether loads and stores need explicit bounds checks (no guard reservation).
    pub bounds_checks: bool,
    /// Whether function entries and loop headers consume one unit of the store's fuel.
    pub consume_fuel: bool,
    /// Whether function entries and loop headers check the store's interruption flag.
    pub interruptible: bool,
    /// Whether calls to defined functions go through the vmctx's function entries, like calls
    /// to imports, instead of PC-relative calls: tier-up compiles functions one at a time and
    /// points the entries of those not compiled yet at the interpreter. A function's calls to
    /// itself stay PC-relative (its relocations name only itself).
    pub calls_through_vmctx: bool,
    /// Compiling for a debugger: then every function keeps its vmctx, and the locals listed for
    /// it (by defined-function index: those the module's DWARF names), in stack slots a
    /// debugger can read ([`CompiledFunction::debug_slots`]).
    pub debug_info: Option<&'a [Vec<u32>]>,
}

/// A machine-code compiler for WebAssembly modules.
pub trait Compiler: Send + Sync {
    /// Compiles every defined function of a validated module (in parallel where it can).
    fn compile_module(&self, input: &CompileInput<'_>) -> Result<CompiledModule, String>;

    /// Compiles the defined functions `defs` of a validated module, on the calling thread, in
    /// the order given (tier-up; `input.calls_through_vmctx` should be set, since the callees
    /// are not in the output).
    fn compile_functions(
        &self,
        input: &CompileInput<'_>,
        defs: &[u32],
    ) -> Result<Vec<CompiledFunction>, String>;

    /// Compiles the on-stack-replacement entry of defined function `def` (tier-up): a function
    /// of wasm type `(i64, i32) -> results` whose arguments are the address of the
    /// interpreter's frame (the function's locals, in packed 64-bit cells, a v128 in two) and
    /// the ordinal of a `loop` among the body's loops (one entered with an empty operand
    /// stack), which runs the function from that loop's header with those locals; and the
    /// array entry that calls it.
    fn compile_osr(
        &self,
        input: &CompileInput<'_>,
        def: u32,
        entries: LoopEntries,
    ) -> Result<(CompiledFunction, CompiledFunction), String>;

    /// Compiles only the trampolines of every type index (`funcs` is empty).
    fn compile_trampolines(&self, input: &CompileInput<'_>) -> Result<CompiledModule, String>;

    /// Everything the output depends on besides the input (compiler version, target, flags):
    /// compiled code is only reused where the fingerprints are equal.
    fn fingerprint(&self) -> String;
}
