//! The layout of the data that compiled code reads at run time, shared by the compiler and the
//! runtime so that both agree on every offset.
//!
//! Calling convention of a compiled wasm function: `(callee_vmctx, caller_vmctx, params...) ->
//! results` in the host's C calling convention. An array entry is `(vmctx, fn_ptr, values)`: it
//! reads the parameters from `values` (16 bytes a value), calls `fn_ptr` and writes the results
//! back. A host adapter has the wasm signature; its `callee_vmctx` is the store's function index
//! of the host function, which it passes to the `HOST_CALL` builtin with its values in an array.
//!
//! `VMContext` (one per instance), all fields 8 bytes:
//! `store_ctx`, `builtins`, `instance index`, reserved, then pointers to each memory's
//! `VMMemoryDef {base, len}`, pointers to each global's value (16 bytes), pointers to each table's
//! `VMTableDef {base, len}`, then per function `VMFunc {fn_ptr, vmctx, store_index}`, then the
//! engine-wide id of each type index (for `call_indirect`; kept out of the code so that compiled
//! code does not depend on the engine and can be cached).
//!
//! `VMStoreContext`: `stack_limit`, `funcrefs_base`, `funcrefs_len`, `fuel` (minus the fuel left:
//! a check traps when it is not below zero, else adds one), `interrupt` (a pointer to the store's
//! interruption flag, one byte). A funcref table cell
//! holds a store function index + 1 (0 is null); `funcrefs_base[cell - 1]` is a
//! `VMFuncRef {type_id, fn_ptr, vmctx}`.

use crate::ModuleInfo;

pub const VMCTX_STORE: u32 = 0;
pub const VMCTX_BUILTINS: u32 = 8;
pub const VMCTX_INSTANCE: u32 = 16;
const VMCTX_HEADER: u32 = 32;

pub const STORE_STACK_LIMIT: u32 = 0;
pub const STORE_FUNCREFS_BASE: u32 = 8;
pub const STORE_FUNCREFS_LEN: u32 = 16;
pub const STORE_FUEL: u32 = 24;
pub const STORE_INTERRUPT: u32 = 32;

pub const MEMDEF_BASE: u32 = 0;
pub const MEMDEF_LEN: u32 = 8;
pub const TABLEDEF_BASE: u32 = 0;
pub const TABLEDEF_LEN: u32 = 8;

pub const FUNCREF_TYPE_ID: u32 = 0;
pub const FUNCREF_FN_PTR: u32 = 8;
pub const FUNCREF_VMCTX: u32 = 16;
pub const FUNCREF_SIZE: u32 = 24;

pub const VMFUNC_FN_PTR: u32 = 0;
pub const VMFUNC_VMCTX: u32 = 8;
pub const VMFUNC_STORE_INDEX: u32 = 16;
pub const VMFUNC_SIZE: u32 = 24;

/// The size of one value in an array entry's value array.
pub const VALUE_SIZE: u32 = 16;

/// What the growth builtins (`MemoryGrow`, `TableGrow`) return when the growth ended in an error
/// (the store's resource limiter failed it): the compiled caller then traps with the `Libcall`
/// code. No memory (bounded by the address space) or table (at most 10 million elements) has this
/// size.
pub const GROW_TRAPPED: u64 = u64::MAX - 1;

/// The runtime helpers compiled code calls through the `builtins` table, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Builtin {
    /// `(vmctx, mem, delta: u64) -> old pages (u64), -1, or GROW_TRAPPED`
    MemoryGrow,
    /// `(vmctx, memory definition, dst: u64, val, len: u64) -> trapped`: the `{base, len}`
    /// definition the vmctx points to, not an index, so the builtin reaches the bytes without
    /// the store.
    MemoryFill,
    /// `(vmctx, dst memory definition, src memory definition, dst, src, len) -> trapped`, the
    /// last three u64
    MemoryCopy,
    /// `(vmctx, mem, seg, dst, src, len) -> trapped`, the last three u64
    MemoryInit,
    /// `(vmctx, seg)`
    DataDrop,
    /// `(vmctx, table, init, delta: u64) -> old size (u64), -1, or GROW_TRAPPED`
    TableGrow,
    /// `(vmctx, table, dst: u64, val, len: u64) -> trapped`
    TableFill,
    /// `(vmctx, dst_table, src_table, dst, src, len) -> trapped`, the last three u64
    TableCopy,
    /// `(vmctx, table, seg, dst, src, len) -> trapped`, the last three u64
    TableInit,
    /// `(vmctx, seg)`
    ElemDrop,
    /// `(caller_vmctx, store_func_index, values) -> trapped`, or [`HOST_CALL_THREW`] with the
    /// `exnref` the host function threw in the first value.
    HostCall,
    /// `(vmctx, tag, values) -> exnref`: a new exception of the instance's tag `tag` with its
    /// payload in `values` (16-byte cells).
    ExnNew,
    /// `(vmctx, exnref, values, keep)`: writes the exception's payload to `values` (unless it
    /// is null); with `keep` 0 gives the object back for reuse, else marks it referenced.
    ExnPayload,
    /// `(vmctx, exnref) -> !`, in the wasm (`tail`) calling convention: throws a non-null
    /// `exnref` from the call site, to its handler or out of the activation.
    Throw,
}

/// How many builtins there are.
pub const NUM_BUILTINS: usize = Builtin::Throw as usize + 1;

/// The `HostCall` builtin's result when the host function threw a wasm exception.
pub const HOST_CALL_THREW: u32 = 2;

/// Offsets of the variable-length parts of one module's `VMContext`.
#[derive(Clone, Copy, Debug)]
pub struct VMOffsets {
    pub memories: u32,
    pub globals: u32,
    pub tables: u32,
    pub funcs: u32,
    pub type_ids: u32,
    pub size: u32,
}

impl VMOffsets {
    pub fn new(info: &ModuleInfo) -> VMOffsets {
        let memories = VMCTX_HEADER;
        let globals = memories + 8 * info.memories.len() as u32;
        let tables = globals + 8 * info.globals.len() as u32;
        let funcs = tables + 8 * info.tables.len() as u32;
        let type_ids = funcs + VMFUNC_SIZE * info.funcs.len() as u32;
        let size = type_ids + 8 * info.types.len() as u32;
        VMOffsets {
            memories,
            globals,
            tables,
            funcs,
            type_ids,
            size,
        }
    }

    pub fn memory(&self, i: u32) -> u32 {
        self.memories + 8 * i
    }
    pub fn global(&self, i: u32) -> u32 {
        self.globals + 8 * i
    }
    pub fn table(&self, i: u32) -> u32 {
        self.tables + 8 * i
    }
    pub fn func(&self, i: u32) -> u32 {
        self.funcs + VMFUNC_SIZE * i
    }
    pub fn type_id(&self, type_index: u32) -> u32 {
        self.type_ids + 8 * type_index
    }
}
