//! **The one path from wasm to a host function**, for both tiers: [`call_host`] reads the
//! arguments from the caller's raw value cells into [`Val`]s, calls the host function through
//! the store, checks the results' types and writes them back to the same cells. The values live
//! in a buffer on the native stack for up to [`INLINE_VALS`] parameters plus results (every WASI
//! function), so a host call allocates nothing; longer signatures use the heap.
//!
//! A panic of the host function is caught here and returned as a [`HostPanic`] error, which
//! leaves wasm like a trap; the entry (`entry.rs`) resumes it with its original payload.
//!
//! What differs between the tiers is only how their cells are laid out ([`ValueCells`]) and
//! what each does around the call (the interpreter moves its stack top above the caller's frame
//! and reloads the memory base after it; the JIT hands over fuel and syncs its definitions).

use std::mem::MaybeUninit;

use anyhow::{Result, bail};
use wexe_environ::ValType;

use crate::store::{FuncEntity, HostPanic, StoreOps};
use crate::values::Val;

/// The most parameters plus results a host call passes without allocating.
pub(crate) const INLINE_VALS: usize = 16;

/// Where a host call's arguments are, and its results go.
#[derive(Clone, Copy)]
pub(crate) enum ValueCells {
    /// Consecutive 64-bit cells, a v128 taking two (the interpreter's frames).
    Packed(*mut u64),
    /// One 16-byte slot per value (the JIT's value arrays).
    Slots(*mut [u64; 2]),
}

impl ValueCells {
    /// The first cell of value number `index`, which starts `offset` packed cells in.
    ///
    /// # Safety
    /// The cells must hold at least that many values.
    unsafe fn at(self, index: usize, offset: usize) -> *mut u64 {
        // SAFETY: forwarded from the caller.
        unsafe {
            match self {
                ValueCells::Packed(p) => p.add(offset),
                ValueCells::Slots(p) => p.add(index).cast(),
            }
        }
    }
}

/// The cells a value of type `t` takes when packed: two for a v128, else one.
fn width(t: ValType) -> usize {
    if t == ValType::V128 { 2 } else { 1 }
}

/// Calls host function `func` (a store index) from an instance of the store (`caller`, if
/// any), with its arguments in `cells`, leaving its results there. An error of the host function
/// is returned unchanged; a result of the wrong type is an error.
///
/// # Safety
/// `cells` must be valid for reads and writes of the function's parameters and of its results.
pub(crate) unsafe fn call_host(
    store: &mut dyn StoreOps,
    func: u32,
    caller: Option<u32>,
    cells: ValueCells,
) -> Result<()> {
    let inner = store.inner();
    let FuncEntity::Host { host, .. } = inner.funcs[func as usize] else {
        bail!("internal error: not a host function");
    };
    let ty = &inner.host_types[host as usize];
    let (np, nr) = (ty.params().len(), ty.results().len());
    // Uninitialised: filling all of it (16 × 32 bytes) would cost as much as the rest of a call.
    let mut inline = [const { MaybeUninit::<Val>::uninit() }; INLINE_VALS];
    let mut heap = Vec::new();
    let vals: &mut [MaybeUninit<Val>] = if np + nr <= INLINE_VALS {
        &mut inline[..np + nr]
    } else {
        heap.resize(np + nr, MaybeUninit::uninit());
        &mut heap
    };
    let mut offset = 0;
    for (i, &t) in ty.params().iter().enumerate() {
        // SAFETY: the caller guarantees room for the parameters.
        let raw = unsafe {
            let at = cells.at(i, offset);
            [*at, if t == ValType::V128 { *at.add(1) } else { 0 }]
        };
        vals[i].write(Val::from_cells(t, raw, inner));
        offset += width(t);
    }
    for (i, &t) in ty.results().iter().enumerate() {
        vals[np + i].write(Val::default_for(t));
    }
    // SAFETY: every element was written just above; `Val` has no drop glue to forget.
    let vals = unsafe { &mut *(vals as *mut [MaybeUninit<Val>] as *mut [Val]) };
    let (params, results) = vals.split_at_mut(np);
    // A panic must not unwind through the wasm frames below: it leaves them as an error, and
    // the entry (`entry.rs`) resumes it.
    HostPanic::catch(|| store.call_host(host, caller, params, results))?;
    let inner = store.inner();
    let ty = &inner.host_types[host as usize];
    let mut offset = 0;
    for (i, (r, &t)) in results.iter().zip(ty.results()).enumerate() {
        if !r.matches_ty(t, inner) {
            bail!("host function returned {} where {t} was expected", r.ty());
        }
        let raw = r.to_cells(inner);
        // SAFETY: the caller guarantees room for the results.
        unsafe {
            let at = cells.at(i, offset);
            *at = raw[0];
            if t == ValType::V128 {
                *at.add(1) = raw[1];
            }
        }
        offset += width(t);
    }
    Ok(())
}
