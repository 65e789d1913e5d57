//! Calls between the tiers under tier-up. [`enter_compiled`]: the interpreter, at the entry of
//! a function whose machine code is ready, runs that code on the frame's argument cells.
//! [`call_interpreted`]: compiled code calls a function that has no machine code yet (through
//! the host adapter its vmctx entry points to, and the `HostCall` builtin), which runs in a
//! nested interpreter run. Neither counts as a host → wasm nesting; both use native stack,
//! which compiled code's stack limit bounds (checked here before a nested interpreter run).

use anyhow::Result;
use wexe_environ::ValType;

use crate::Trap;
use crate::store::{FuncEntity, StoreOps, ValueSlots};

/// Native stack a nested interpreter run may use before compiled code checks the limit again.
const INTERP_STACK_MARGIN: usize = 64 << 10;

/// Runs the machine code of function `func_index` of `instance` on its arguments in the packed
/// cells at `cells` (an interpreter frame), leaving its results there; with `osr` (the array
/// entry and the code of its on-stack-replacement entry, and a loop's ordinal), from that loop
/// on all the locals of the frame.
///
/// # Safety
/// `cells` holds the function's parameters (with `osr`, all its locals) and has room for its
/// results.
pub(crate) unsafe fn enter_compiled(
    store: &mut dyn StoreOps,
    instance: u32,
    func_index: u32,
    cells: *mut u64,
    osr: Option<(*const u8, *const u8, u32)>,
) -> Result<()> {
    let inner = store.inner();
    let module = inner.instances[instance as usize].module.clone();
    let ty = module.info().func_type(func_index);
    let (params, results) = (ty.params(), ty.results());
    // At least two: an on-stack-replacement entry's parameters.
    let n = params.len().max(results.len()).max(2);
    let mut buf = ValueSlots::new();
    let slots = buf.take(n);
    // SAFETY: the caller's promise: the cells hold the parameters, then room for the results.
    unsafe {
        if let Some((entry, code, ordinal)) = osr {
            // The entry's parameters: the frame's address and the loop.
            slots[0][0] = cells as u64;
            slots[1][0] = u64::from(ordinal);
            crate::jit::run_code(store, instance, entry, code, slots.as_mut_ptr())?;
            return write_results(slots, results, cells);
        }
        let mut at = cells;
        for (s, &t) in slots.iter_mut().zip(params) {
            s[0] = *at;
            if t == ValType::V128 {
                s[1] = *at.add(1);
                at = at.add(1);
            }
            at = at.add(1);
        }
        crate::jit::run_on_slots(store, instance, func_index, ty, slots.as_mut_ptr())?;
        write_results(slots, results, cells)
    }
}

/// Writes results of types `results` from their value slots to packed cells.
///
/// # Safety
/// `cells` has room for the results.
unsafe fn write_results(slots: &[[u64; 2]], results: &[ValType], cells: *mut u64) -> Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe {
        let mut at = cells;
        for (s, &t) in slots.iter().zip(results) {
            // A 32-bit result's slot holds only its low half; cells hold it zero-extended.
            *at = match t {
                ValType::I32 | ValType::F32 => s[0] & 0xffff_ffff,
                _ => s[0],
            };
            if t == ValType::V128 {
                *at.add(1) = s[1];
                at = at.add(1);
            }
            at = at.add(1);
        }
    }
    Ok(())
}

/// Runs wasm store function `func` (not compiled yet) in the interpreter, for compiled code,
/// on its value slots `values`.
///
/// # Safety
/// `values` holds a slot for each parameter and each result.
pub(crate) unsafe fn call_interpreted(
    store: &mut dyn StoreOps,
    func: u32,
    values: *mut [u64; 2],
) -> Result<()> {
    let inner = store.inner();
    let FuncEntity::Wasm {
        instance, index, ..
    } = &inner.funcs[func as usize]
    else {
        anyhow::bail!("internal error: not a wasm function");
    };
    let (instance, index, ty) = (*instance, *index, inner.func_type(func).clone());
    let here = &values as *const _ as usize;
    let limit = inner.jit.stack_limit();
    if limit != 0 && here < limit + INTERP_STACK_MARGIN {
        return Err(Trap::StackOverflow.into());
    }
    // SAFETY: forwarded from the caller.
    unsafe {
        for (i, &t) in ty.params().iter().enumerate() {
            // Compiled code wrote only the low half of a 32-bit value's slot; the interpreter's
            // cells hold them zero-extended.
            if matches!(t, ValType::I32 | ValType::F32) {
                (*values.add(i))[0] &= 0xffff_ffff;
            }
        }
        crate::interp::run_on_slots(store, instance, index, &ty, values)
    }
}
