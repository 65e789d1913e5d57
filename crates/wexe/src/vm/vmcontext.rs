//! The `#[repr(C)]` structures compiled code reads, laid out as `wexe_environ::vmoffsets`
//! describes (checked by the tests below).

/// Per-store state that compiled code reads through every instance's vmctx.
#[repr(C)]
pub(crate) struct VMStoreContext {
    /// Compiled code traps with "call stack exhausted" when the stack pointer goes below this.
    pub stack_limit: usize,
    pub funcrefs_base: *const VMFuncRef,
    pub funcrefs_len: usize,
    /// Minus the fuel left: a check traps when it is not below zero, else adds one.
    pub fuel: i64,
    /// The store's interruption flag.
    pub interrupt: *const std::sync::atomic::AtomicBool,
}

/// What a funcref table cell (store function index + 1) leads to.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct VMFuncRef {
    pub type_id: u64,
    pub fn_ptr: *const u8,
    pub vmctx: *mut u8,
}

/// A memory as compiled code sees it.
#[repr(C)]
pub(crate) struct VMMemoryDef {
    pub base: *mut u8,
    pub len: usize,
}

/// A table as compiled code sees it: its cells and their number.
#[repr(C)]
pub(crate) struct VMTableDef {
    pub base: *mut u64,
    pub len: usize,
}

/// One function of an instance's index space.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct VMFunc {
    pub fn_ptr: *const u8,
    pub vmctx: *mut u8,
    pub store_index: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;
    use wexe_environ::vmoffsets as o;

    #[test]
    fn layouts_match_the_compilers_offsets() {
        assert_eq!(
            offset_of!(VMStoreContext, stack_limit),
            o::STORE_STACK_LIMIT as usize
        );
        assert_eq!(
            offset_of!(VMStoreContext, funcrefs_base),
            o::STORE_FUNCREFS_BASE as usize
        );
        assert_eq!(
            offset_of!(VMStoreContext, funcrefs_len),
            o::STORE_FUNCREFS_LEN as usize
        );
        assert_eq!(offset_of!(VMStoreContext, fuel), o::STORE_FUEL as usize);
        assert_eq!(
            offset_of!(VMStoreContext, interrupt),
            o::STORE_INTERRUPT as usize
        );
        assert_eq!(offset_of!(VMFuncRef, type_id), o::FUNCREF_TYPE_ID as usize);
        assert_eq!(offset_of!(VMFuncRef, fn_ptr), o::FUNCREF_FN_PTR as usize);
        assert_eq!(offset_of!(VMFuncRef, vmctx), o::FUNCREF_VMCTX as usize);
        assert_eq!(size_of::<VMFuncRef>(), o::FUNCREF_SIZE as usize);
        assert_eq!(offset_of!(VMMemoryDef, len), o::MEMDEF_LEN as usize);
        assert_eq!(offset_of!(VMTableDef, len), o::TABLEDEF_LEN as usize);
        assert_eq!(offset_of!(VMFunc, vmctx), o::VMFUNC_VMCTX as usize);
        assert_eq!(
            offset_of!(VMFunc, store_index),
            o::VMFUNC_STORE_INDEX as usize
        );
        assert_eq!(size_of::<VMFunc>(), o::VMFUNC_SIZE as usize);
    }
}
