//! The runtime helpers compiled code calls through its vmctx's builtins table (order:
//! `wexe_environ::vmoffsets::Builtin`): memory and table growth (through the store's one growth
//! path, `store/grow.rs`), bulk memory and table operations, segment drops, and calls to host
//! functions. A helper that traps records its error in the store and returns non-zero (the
//! growth helpers: `GROW_TRAPPED`); the compiled caller then traps with the `Libcall` code.

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::Result;
use wexe_environ::vmoffsets::{GROW_TRAPPED, NUM_BUILTINS, VMCTX_INSTANCE, VMCTX_STORE};

use super::store::{StoreCtx, fuel_from_code, fuel_to_code, sync};
use crate::Trap;
use crate::store::{FuncEntity, StoreInner, StoreOps};
use crate::values::Val;

/// The builtins table every vmctx points to.
pub(super) fn table() -> *const *const () {
    struct Table([*const (); NUM_BUILTINS]);
    // SAFETY: the table holds addresses of functions and is never written.
    unsafe impl Sync for Table {}
    static TABLE: Table = Table([
        memory_grow as *const (),
        memory_fill as *const (),
        memory_copy as *const (),
        memory_init as *const (),
        data_drop as *const (),
        table_grow as *const (),
        table_fill as *const (),
        table_copy as *const (),
        table_init as *const (),
        elem_drop as *const (),
        host_call as *const (),
    ]);
    TABLE.0.as_ptr()
}

/// The store running the code of `vmctx`, and the instance `vmctx` belongs to.
///
/// # Safety
/// `vmctx` must be a live instance vmctx of a store that is running compiled code.
unsafe fn store_of(vmctx: *mut u8) -> (&'static mut dyn StoreOps, u32) {
    // SAFETY: a vmctx starts with its store context pointer and holds its instance index; the
    // store pointer was set by the entry that is running this code, and no other reference to
    // the store is used while a builtin runs.
    unsafe {
        let ctx = *(vmctx.add(VMCTX_STORE as usize) as *const *const StoreCtx);
        let instance = *(vmctx.add(VMCTX_INSTANCE as usize) as *const u64) as u32;
        let store = (*ctx).store.expect("a store is running");
        (&mut *store, instance)
    }
}

/// Runs a builtin's body: an `Err` (or panic) is kept in the store for the entry to report.
///
/// # Safety
/// As [`store_of`].
unsafe fn guard<R: Default>(
    vmctx: *mut u8,
    f: impl FnOnce(&mut dyn StoreOps, u32) -> Result<R>,
) -> (R, bool) {
    // SAFETY: forwarded from the caller.
    let (store, instance) = unsafe { store_of(vmctx) };
    let store_ptr: *mut dyn StoreOps = store;
    // The host may look at or change the fuel while we are out of compiled code.
    // SAFETY: as below.
    fuel_from_code(unsafe { (*store_ptr).inner() });
    // SAFETY: `store_ptr` is valid for this whole call; `f` is done with it when we resume.
    let r = catch_unwind(AssertUnwindSafe(|| f(unsafe { &mut *store_ptr }, instance)));
    // SAFETY: as above.
    let inner = unsafe { (*store_ptr).inner() };
    sync(inner);
    fuel_to_code(inner);
    match r {
        Ok(Ok(v)) => (v, false),
        Ok(Err(e)) => {
            inner.jit.pending = Some(e);
            (R::default(), true)
        }
        Err(panic) => {
            inner.jit.pending_panic = Some(panic);
            (R::default(), true)
        }
    }
}

fn range(start: u32, len: u32, size: usize, trap: Trap) -> Result<std::ops::Range<usize>, Trap> {
    let end = u64::from(start) + u64::from(len);
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

fn mem_index(inner: &StoreInner, instance: u32, mem: u32) -> usize {
    inner.instances[instance as usize].memories[mem as usize] as usize
}

fn table_index(inner: &StoreInner, instance: u32, table: u32) -> usize {
    inner.instances[instance as usize].tables[table as usize] as usize
}

extern "C" fn memory_grow(vmctx: *mut u8, mem: u32, delta: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (r, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let m = mem_index(s.inner(), inst, mem) as u32;
            let old = crate::store::grow_memory(s, m, u64::from(delta))?;
            Ok(old.map_or(u32::MAX, |old| old as u32))
        })
    };
    if trapped { GROW_TRAPPED } else { r }
}

extern "C" fn memory_fill(vmctx: *mut u8, mem: u32, dst: u32, val: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let inner = s.inner();
            let m = mem_index(inner, inst, mem);
            let data = inner.memories[m].data_mut();
            let d = range(dst, len, data.len(), Trap::MemoryOutOfBounds)?;
            data[d].fill(val as u8);
            Ok(())
        })
    };
    trapped.into()
}

extern "C" fn memory_copy(vmctx: *mut u8, dm: u32, sm: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let inner = s.inner();
            let (dm, sm) = (mem_index(inner, inst, dm), mem_index(inner, inst, sm));
            let oob = Trap::MemoryOutOfBounds;
            let sr = range(src, len, inner.memories[sm].len(), oob)?;
            let dr = range(dst, len, inner.memories[dm].len(), oob)?;
            if dm == sm {
                inner.memories[dm].data_mut().copy_within(sr, dr.start);
            } else {
                let bytes = inner.memories[sm].data()[sr].to_vec();
                inner.memories[dm].data_mut()[dr].copy_from_slice(&bytes);
            }
            Ok(())
        })
    };
    trapped.into()
}

extern "C" fn memory_init(vmctx: *mut u8, mem: u32, seg: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let inner = s.inner();
            let m = mem_index(inner, inst, mem);
            let instance = &inner.instances[inst as usize];
            let module = instance.module.clone();
            let bytes: &[u8] = if instance.data_dropped[seg as usize] {
                &[]
            } else {
                &module.inner.bytes[module.info().data[seg as usize].bytes.clone()]
            };
            let oob = Trap::MemoryOutOfBounds;
            let sr = range(src, len, bytes.len(), oob)?;
            let data = inner.memories[m].data_mut();
            let dr = range(dst, len, data.len(), oob)?;
            data[dr].copy_from_slice(&bytes[sr]);
            Ok(())
        })
    };
    trapped.into()
}

extern "C" fn data_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        guard(vmctx, |s, inst| {
            s.inner().instances[inst as usize].data_dropped[seg as usize] = true;
            Ok(())
        });
    }
}

extern "C" fn table_grow(vmctx: *mut u8, table: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (r, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let t = table_index(s.inner(), inst, table) as u32;
            let old = crate::store::grow_table(s, t, u64::from(delta), init)?;
            Ok(old.map_or(u32::MAX, |o| o as u32))
        })
    };
    if trapped { GROW_TRAPPED } else { r }
}

extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u32, val: u64, len: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let inner = s.inner();
            let t = table_index(inner, inst, table);
            let elems = &mut inner.tables[t].elements;
            let d = range(dst, len, elems.len(), Trap::TableOutOfBounds)?;
            elems[d].fill(val);
            Ok(())
        })
    };
    trapped.into()
}

extern "C" fn table_copy(vmctx: *mut u8, dt: u32, st: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let inner = s.inner();
            let (dt, st) = (table_index(inner, inst, dt), table_index(inner, inst, st));
            let oob = Trap::TableOutOfBounds;
            let sr = range(src, len, inner.tables[st].elements.len(), oob)?;
            let dr = range(dst, len, inner.tables[dt].elements.len(), oob)?;
            if dt == st {
                inner.tables[dt].elements.copy_within(sr, dr.start);
            } else {
                let items = inner.tables[st].elements[sr].to_vec();
                inner.tables[dt].elements[dr].copy_from_slice(&items);
            }
            Ok(())
        })
    };
    trapped.into()
}

extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    seg: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            crate::interp::table_init(s.inner(), inst, table, seg, dst, src, len)?;
            Ok(())
        })
    };
    trapped.into()
}

extern "C" fn elem_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        guard(vmctx, |s, inst| {
            s.inner().instances[inst as usize].elems[seg as usize] = Vec::new();
            Ok(())
        });
    }
}

/// Calls host function `func` (a store index) with its arguments in `values`, leaving its
/// results there.
extern "C" fn host_call(vmctx: *mut u8, func: u64, values: *mut [u64; 2]) -> u32 {
    // SAFETY: called by a host adapter with its caller's vmctx and a value array large enough
    // for the function's parameters and results.
    let (_, trapped) = unsafe {
        guard(vmctx, |s, caller| {
            let inner = s.inner();
            let FuncEntity::Host { host, ty, .. } = &inner.funcs[func as usize] else {
                anyhow::bail!("internal error: not a host function");
            };
            let (host, ty) = (*host, ty.clone());
            let params: Vec<Val> = ty
                .params()
                .iter()
                .enumerate()
                .map(|(i, &t)| Val::from_cells(t, *values.add(i), inner))
                .collect();
            let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
            s.call_host(host, Some(caller), &params, &mut results)?;
            let inner = s.inner();
            for (i, (r, &t)) in results.iter().zip(ty.results()).enumerate() {
                if r.ty() != t {
                    anyhow::bail!("host function returned {} where {t} was expected", r.ty());
                }
                *values.add(i) = r.to_cells(inner);
            }
            Ok(())
        })
    };
    trapped.into()
}
