//! The runtime helpers compiled code calls through its vmctx's builtins table (order:
//! `wexe_environ::vmoffsets::Builtin`): memory and table growth (through the store's one growth
//! path, `store/grow.rs`), bulk memory and table operations and segment drops (`store/bulk.rs`),
//! calls to host functions (`store/host_call.rs`), and making and reading exception objects
//! (`store/exn.rs`; throwing is `unwind.rs`'s). `memory.fill` and `memory.copy` get the
//! memories' `{base, len}` definitions from compiled code and reach the store only to record a
//! trap. A helper that traps records its error in the store and returns non-zero (the growth
//! helpers: `GROW_TRAPPED`); the compiled caller then traps with the `Libcall` code. A failed
//! host call instead ends the activation itself, without a signal (see [`host_call`]).

use anyhow::Result;
use wexe_environ::ValType;
use wexe_environ::vmoffsets::{
    GROW_TRAPPED, HOST_CALL_THREW, NUM_BUILTINS, VMCTX_INSTANCE, VMCTX_STORE,
};

use super::store::{VMStoreBlock, fuel_from_code, fuel_to_code, sync};
use crate::Trap;
use crate::store::{
    FuncEntity, HostPanic, INLINE_VALS, StoreInner, StoreOps, ValueCells, bulk, call_host,
    thrown_by_host,
};
use crate::vm::traps::{self, TrapSite};
use crate::vm::vmcontext::VMMemoryDef;

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
        host_call_stub as *const (),
        exn_new as *const (),
        exn_payload as *const (),
        super::unwind::throw_stub as *const (),
    ]);
    TABLE.0.as_ptr()
}

/// The store running the code of `vmctx`, and the instance `vmctx` belongs to.
///
/// # Safety
/// `vmctx` must be a live instance vmctx of a store that is running compiled code.
pub(super) unsafe fn store_of(vmctx: *mut u8) -> (&'static mut dyn StoreOps, u32) {
    // SAFETY: a vmctx starts with its store context pointer and holds its instance index; the
    // store pointer was set by the entry that is running this code, and no other reference to
    // the store is used while a builtin runs.
    unsafe {
        let ctx = *(vmctx.add(VMCTX_STORE as usize) as *const *const VMStoreBlock);
        let instance = *(vmctx.add(VMCTX_INSTANCE as usize) as *const u64) as u32;
        let store = (*ctx).store.expect("a store is running");
        (&mut *store, instance)
    }
}

/// Runs a builtin's body: an `Err` (or a panic, as a `HostPanic` error) is kept in the store
/// for the entry to report (or resume).
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
    // A panic (of a resource limiter, say) must not unwind through compiled frames.
    let r = HostPanic::catch(|| f(unsafe { &mut *store_ptr }, instance));
    // SAFETY: as above.
    let inner = unsafe { (*store_ptr).inner() };
    sync(inner);
    fuel_to_code(inner);
    match r {
        Ok(v) => (v, false),
        Err(e) => {
            inner.jit.pending = Some(e);
            (R::default(), true)
        }
    }
}

/// Runs a bulk memory or table operation or a segment drop (`store/bulk.rs`): an `Err` (or
/// panic) is kept in the store for the entry to report. These operations change no size, base,
/// function or fuel, so unlike [`guard`] this hands no fuel over and needs no `sync`: a small
/// `memory.copy` costs little more than its `memmove`.
///
/// # Safety
/// As [`store_of`].
unsafe fn bulk_op(vmctx: *mut u8, f: impl FnOnce(&mut StoreInner, u32) -> Result<(), Trap>) -> u32 {
    // SAFETY: forwarded from the caller.
    let (store, instance) = unsafe { store_of(vmctx) };
    let inner = store.inner();
    let inner_ptr: *mut StoreInner = inner;
    // SAFETY: `inner` is not used while `f` runs.
    match HostPanic::catch(|| Ok(f(unsafe { &mut *inner_ptr }, instance)?)) {
        Ok(()) => 0,
        Err(err) => {
            inner.jit.pending = Some(err);
            1
        }
    }
}

/// The store index of memory `mem` of `instance`.
fn mem_index(inner: &StoreInner, instance: u32, mem: u32) -> u32 {
    inner.instances[instance as usize].memories[mem as usize]
}

/// The store index of table `table` of `instance`.
fn table_index(inner: &StoreInner, instance: u32, table: u32) -> u32 {
    inner.instances[instance as usize].tables[table as usize]
}

extern "C" fn memory_grow(vmctx: *mut u8, mem: u32, delta: u64) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    let (r, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let m = mem_index(s.inner(), inst, mem);
            let old = crate::store::grow_memory(s, m, delta)?;
            Ok(old.unwrap_or(u64::MAX))
        })
    };
    if trapped { GROW_TRAPPED } else { r }
}

/// The bytes of a memory, from its definition.
///
/// # Safety
/// `def` must be a memory definition of the store running compiled code, in step with its
/// memory (as `sync` keeps them), and no other reference to those bytes may be in use.
unsafe fn bytes_of<'a>(def: *const VMMemoryDef) -> &'a mut [u8] {
    // SAFETY: as the caller guarantees; an empty memory may have no base.
    unsafe {
        let VMMemoryDef { base, len } = *def;
        if len == 0 {
            return &mut [];
        }
        std::slice::from_raw_parts_mut(base, len)
    }
}

/// Keeps `trap`, raised by a builtin called with `vmctx`, for the entry to report; returns the
/// builtin's "trapped" result.
///
/// # Safety
/// As [`store_of`].
#[cold]
unsafe fn record_trap(vmctx: *mut u8, trap: Trap) -> u32 {
    // SAFETY: forwarded from the caller.
    let (store, _) = unsafe { store_of(vmctx) };
    store.inner().jit.pending = Some(trap.into());
    1
}

extern "C" fn memory_fill(
    vmctx: *mut u8,
    def: *const VMMemoryDef,
    dst: u64,
    val: u32,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx and a definition its vmctx points to.
    unsafe {
        match bulk::fill_bytes(bytes_of(def), dst, val as u8, len) {
            Ok(()) => 0,
            Err(trap) => record_trap(vmctx, trap),
        }
    }
}

extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_def: *const VMMemoryDef,
    src_def: *const VMMemoryDef,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx and definitions its vmctx points to;
    // two different definitions are two different memories.
    unsafe {
        let r = if dst_def == src_def {
            bulk::copy_bytes_within(bytes_of(dst_def), dst, src, len)
        } else {
            bulk::copy_bytes_between(bytes_of(dst_def), bytes_of(src_def), [dst, src, len])
        };
        match r {
            Ok(()) => 0,
            Err(trap) => record_trap(vmctx, trap),
        }
    }
}

extern "C" fn memory_init(vmctx: *mut u8, mem: u32, seg: u32, dst: u64, src: u64, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        bulk_op(vmctx, |inner, inst| {
            let m = mem_index(inner, inst, mem);
            bulk::memory_init(inner, inst, m, seg, [dst, src, len])
        })
    }
}

extern "C" fn data_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        bulk_op(vmctx, |inner, inst| {
            bulk::data_drop(inner, inst, seg);
            Ok(())
        });
    }
}

extern "C" fn table_grow(vmctx: *mut u8, table: u32, init: u64, delta: u64) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    let (r, trapped) = unsafe {
        guard(vmctx, |s, inst| {
            let t = table_index(s.inner(), inst, table);
            let old = crate::store::grow_table(s, t, delta, init)?;
            Ok(old.unwrap_or(u64::MAX))
        })
    };
    if trapped { GROW_TRAPPED } else { r }
}

extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, val: u64, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        bulk_op(vmctx, |inner, inst| {
            let t = table_index(inner, inst, table);
            bulk::table_fill(inner, t, dst, val, len)
        })
    }
}

extern "C" fn table_copy(vmctx: *mut u8, dt: u32, st: u32, dst: u64, src: u64, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        bulk_op(vmctx, |inner, inst| {
            let (dt, st) = (table_index(inner, inst, dt), table_index(inner, inst, st));
            bulk::table_copy(inner, dt, st, [dst, src, len])
        })
    }
}

extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    seg: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        bulk_op(vmctx, |inner, inst| {
            let t = table_index(inner, inst, table);
            bulk::table_init(inner, inst, t, seg, [dst, src, len])
        })
    }
}

extern "C" fn elem_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        bulk_op(vmctx, |inner, inst| {
            bulk::elem_drop(inner, inst, seg);
            Ok(())
        });
    }
}

super::frame_stub::frame_stub!(
    /// The `HostCall` builtin's entry: `(vmctx, func, values)` in the first three argument
    /// registers, called by a host adapter; [`host_call`] gets the adapter's frame pointer and
    /// the return address too.
    host_call_stub => host_call,
    x86_64: ("rcx", "r8"),
    aarch64: ("x3", "x4")
);

/// Calls host function `func` (a store index) with its arguments in `values`, leaving its
/// results there, through the one host-call path (`store/host_call.rs`); `fp` and `ret` are the
/// calling adapter's frame pointer and the return address into it (from [`host_call_stub`]).
/// A host function that throws a wasm exception (`ThrownException`, from `Store::throw` or a
/// nested call) makes this return `HOST_CALL_THREW` with the `exnref` in the first value: the
/// adapter throws it on in the calling wasm code. Any other failure (a trap, an exit, a host
/// error or panic) is recorded in the store and ends the activation from here, without a
/// signal (a debugger would stop on one, at a guest's `exit` for instance), with the frames a
/// trap at the call of the adapter would have.
extern "C" fn host_call(
    vmctx: *mut u8,
    func: u64,
    values: *mut [u64; 2],
    fp: usize,
    ret: usize,
) -> u32 {
    // SAFETY: called by a host adapter with its caller's vmctx and a value array large enough
    // for the function's parameters and results (at least one).
    let (r, trapped) = unsafe {
        guard(vmctx, |s, caller| {
            let called = if matches!(s.inner().funcs[func as usize], FuncEntity::Wasm { .. }) {
                // Tier-up: a wasm function without machine code yet.
                crate::tier::call_interpreted(s, func as u32, values)
            } else {
                call_host(s, func as u32, Some(caller), ValueCells::Slots(values))
            };
            match called {
                Ok(()) => Ok(0),
                Err(e) => match thrown_by_host(s.inner(), &e) {
                    Some(exn) => {
                        (*values)[0] = u64::from(exn) + 1;
                        Ok(HOST_CALL_THREW)
                    }
                    None => Err(e),
                },
            }
        })
    };
    if trapped {
        // SAFETY: `fp` and `ret` describe the adapter's frame, intact until the activation
        // ends; this frame owns nothing (`guard` is over) and runs inside the entry's catch.
        traps::end_activation(unsafe { TrapSite::of_host_call(ret, fp) })
    }
    r
}

/// A new exception of the instance's tag `tag`, its payload in `values` (one 16-byte slot per
/// value, as compiled code stored them); its `exnref`.
extern "C" fn exn_new(vmctx: *mut u8, tag: u32, values: *const [u64; 2]) -> u64 {
    // SAFETY: called by compiled code with its own vmctx and a slot per payload value.
    let (store, instance) = unsafe { store_of(vmctx) };
    let inner = store.inner();
    let store_tag = inner.instances[instance as usize].tags[tag as usize];
    let mut payload = [0u64; 2 * INLINE_VALS];
    let mut heap = Vec::new();
    let params = inner.tags[store_tag as usize].ty.params();
    let cells: &mut [u64] = if params.len() <= INLINE_VALS {
        &mut payload
    } else {
        heap.resize(2 * params.len(), 0);
        &mut heap
    };
    let mut n = 0;
    for (i, &t) in params.iter().enumerate() {
        // SAFETY: as above.
        let [lo, hi] = unsafe { *values.add(i) };
        match t {
            // Only the low half of a 32-bit value's slot was written.
            ValType::I32 | ValType::F32 => cells[n] = lo & 0xffff_ffff,
            ValType::V128 => {
                cells[n] = lo;
                n += 1;
                cells[n] = hi;
            }
            _ => cells[n] = lo,
        }
        n += 1;
    }
    u64::from(inner.exns.alloc(store_tag, &cells[..n])) + 1
}

/// Writes the payload of `exnref` (non-null) to `values` unless it is null; then gives the
/// object back for reuse (`keep` 0: `catch`, `catch_all`) or marks it referenced (the `exnref`
/// goes on: `catch_ref`, `catch_all_ref`).
extern "C" fn exn_payload(vmctx: *mut u8, exnref: u64, values: *mut [u64; 2], keep: u32) {
    // SAFETY: called by a compiled handler with its own vmctx and, unless null, a slot per
    // payload value.
    let (store, _) = unsafe { store_of(vmctx) };
    let inner = store.inner();
    let exn = (exnref - 1) as u32;
    if !values.is_null() {
        let o = inner.exns.get(exn);
        let mut at = 0;
        for (i, &t) in inner.tags[o.tag as usize].ty.params().iter().enumerate() {
            let hi = if t == ValType::V128 {
                o.payload[at + 1]
            } else {
                0
            };
            // SAFETY: as above.
            unsafe { *values.add(i) = [o.payload[at], hi] };
            at += if t == ValType::V128 { 2 } else { 1 };
        }
    }
    if keep == 0 {
        inner.exns.free(exn);
    } else {
        inner.exns.reference(exn);
    }
}
