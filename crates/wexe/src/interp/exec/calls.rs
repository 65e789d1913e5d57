//! Calls and returns. A callee's frame starts at the caller's argument cells (`base`), so
//! arguments need no copying and results come back in place; the caller is suspended in the
//! store's frame array. Wasm calls never use the native stack; host calls go through the store.
//!
//! The common cases (a call to a translated function of the same instance; a return to it) are
//! leaf code. Everything else — imports, host functions, other instances, first translation —
//! is in `*Slow` handlers that the fast ones tail-call.

use std::hint::unreachable_unchecked;
use std::ptr;

use super::dispatch::next;
use super::handlers::{decode, handlers, rd};
use super::state::{CallFrame, Cx, Exit, Fp, Ip, error, trap};
use crate::Trap;
use crate::interp::BytecodeFunc;
use crate::interp::ops::{Instr, Slot};
use crate::store::{self, FuncEntity, ValueCells};

/// Initialises `f`'s frame at `fp` (its locals and constants after the parameters). False when
/// the frame would not fit in the stack.
#[inline(always)]
pub(super) unsafe fn init_frame(fp: Fp, f: &BytecodeFunc, end: Fp) -> bool {
    unsafe {
        if (end.offset_from(fp) as usize) < f.frame_size as usize {
            return false;
        }
        let dst = fp.add(f.num_params as usize);
        for (i, v) in f.frame_init.iter().enumerate() {
            // Volatile: a handful of stores, kept inline rather than turned into a memcpy call.
            ptr::write_volatile(dst.add(i), *v);
        }
    }
    true
}

/// Suspends the current function (to resume at `ret_ip`, in `instance`) and enters `callee` with
/// its frame at `new_fp`. False on stack exhaustion.
#[inline(always)]
unsafe fn push_frame(
    cx: &mut Cx,
    ret_ip: Ip,
    fp: Fp,
    callee: *const BytecodeFunc,
    new_fp: Fp,
    instance: u32,
) -> bool {
    unsafe {
        if cx.frames_top == cx.frames_end || !init_frame(new_fp, &*callee, cx.cells_end) {
            return false;
        }
        cx.frames_top.write(CallFrame {
            ret_ip,
            fp,
            func: cx.func,
            instance,
        });
        cx.frames_top = cx.frames_top.add(1);
    }
    cx.func = callee;
    true
}

/// Calls a host function (store function `sf`) with its arguments in the cells at `args`,
/// writing its results there, through the store's one host-call path.
#[inline(never)]
unsafe fn call_host(cx: &mut Cx, fp: Fp, args: Fp, sf: u32) -> anyhow::Result<()> {
    let caller = cx.inst.instance;
    unsafe {
        call_out(cx, fp, |store| {
            store::call_host(store, sf, Some(caller), ValueCells::Packed(args))
        })
    }
}

/// Runs `f`, which leaves the interpreter for the store (a host function, or machine code of
/// tier-up), from the frame at `fp`: a nested run starts above that frame.
pub(super) unsafe fn call_out(
    cx: &mut Cx,
    fp: Fp,
    f: impl FnOnce(&mut dyn store::StoreOps) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    unsafe {
        let inner = &mut *cx.inner;
        // A nested run (the host calling back into wasm) starts above this frame. Put back
        // below when the host function returns; if it panics instead, the unwinding leaves
        // through the entry of this run (`exec::call`), which puts the whole stack back.
        let (saved_top, saved_frames) = (inner.stack.top, inner.stack.frames_top);
        inner.stack.top = fp.offset_from(cx.cells) as usize + (*cx.func).frame_size as usize;
        inner.stack.frames_top =
            cx.frames_top
                .offset_from(inner.stack.frames.as_ptr() as *const CallFrame) as usize;
        let outcome = f(&mut *cx.store);
        cx.inner = (*cx.store).inner();
        let inner = &mut *cx.inner;
        inner.stack.top = saved_top;
        inner.stack.frames_top = saved_frames;
        cx.inst.refresh_memory(inner);
        outcome
    }
}

/// Calls store function `sf` from the call instruction at `ip` with its arguments at `base`.
/// Returns where execution continues, or a null instruction pointer when the run ends (the
/// reason is recorded in `cx.exit`).
#[inline(never)]
unsafe fn call_store_func(ip: Ip, fp: Fp, cx: *mut Cx, sf: u32, base: Slot) -> (Ip, Fp) {
    unsafe {
        let c = &mut *cx;
        let ended = ptr::null();
        match &(&*c.inner).funcs[sf as usize] {
            FuncEntity::Wasm {
                instance, index, ..
            } => {
                let (callee_instance, index) = (*instance, *index);
                let caller_instance = c.inst.instance;
                if callee_instance != caller_instance {
                    c.switch_instance(callee_instance);
                }
                let callee = match c.inst.compiled(index) {
                    Ok(f) => f,
                    Err(e) => {
                        c.exit = error(cx, e);
                        return (ended, fp);
                    }
                };
                let new_fp = fp.add(base as usize);
                if !push_frame(c, ip.add(1), fp, callee, new_fp, caller_instance) {
                    if callee_instance != caller_instance {
                        c.switch_instance(caller_instance);
                    }
                    c.exit = trap(cx, Trap::StackOverflow, ip);
                    return (ended, fp);
                }
                ((*callee).code.as_ptr(), new_fp)
            }
            FuncEntity::Host { .. } => {
                if let Err(e) = call_host(c, fp, fp.add(base as usize), sf) {
                    // A wasm exception the host threw (or passed on) is thrown from the call.
                    if let Some(exn) = store::thrown_by_host(&mut *c.inner, &e) {
                        return super::exn::unwind(ip, fp, cx, exn);
                    }
                    c.exit = error(cx, super::run::host_error(c, ip, false, e));
                    return (ended, fp);
                }
                (ip.add(1), fp)
            }
        }
    }
}

/// The store function an indirect call reaches through the table element at `index` (a
/// cell) of site `site`, or the trap it raises.
#[inline(always)]
unsafe fn indirect_target(fp: Fp, cx: &Cx, index: Slot, site: u32) -> Result<u32, Trap> {
    unsafe {
        let s = *(&*cx.func).sites.get_unchecked(site as usize);
        let inner = &*cx.inner;
        let table = &inner.tables[*cx.inst.tables.get_unchecked(s.table as usize) as usize];
        let i = store::bulk::operand(rd(fp, index), table.ty.table64);
        let &cell = usize::try_from(i)
            .ok()
            .and_then(|i| table.elements.get(i))
            .ok_or(Trap::UndefinedElement)?;
        if cell == 0 {
            return Err(Trap::UninitializedElement);
        }
        let sf = (cell - 1) as u32;
        if inner.funcs[sf as usize].type_id() != s.type_id {
            return Err(Trap::IndirectCallTypeMismatch);
        }
        Ok(sf)
    }
}

/// The store function the function reference in cell `callee` names, or the null trap.
#[inline(always)]
unsafe fn ref_target(fp: Fp, callee: Slot) -> Result<u32, Trap> {
    match unsafe { rd::<u64>(fp, callee) } {
        0 => Err(Trap::NullReference),
        cell => Ok((cell - 1) as u32),
    }
}

/// Where a tail call (or a tier-up check, `tier.rs`) leaves execution.
pub(super) enum TailCall {
    /// In the callee, which took over the frame.
    Enter(Ip),
    /// Back in the caller's caller: the callee was a host function, whose results are in
    /// place.
    Returned,
    /// Nowhere: the run ends (`cx.exit` says why).
    Ended,
    /// At a handler (instruction and frame) of a caller: the host callee threw a wasm
    /// exception, thrown on from the caller of the function that made the tail call (whose
    /// frame the call replaced), or a null instruction when nothing in this run catches it.
    Caught(Ip, Fp),
}

/// Tail-calls store function `sf` from the instruction at `ip`, its arguments at `base`: a wasm
/// callee takes over the current frame at `fp` (arguments moved to its start), so a chain of
/// tail calls runs in constant cell and frame space; a host function is called, its results
/// moved to the frame's start, and the current function returns. A `target` that is a trap
/// (a bad table entry or a null reference) ends the run here, which keeps the handlers' own
/// code down to one dispatch tail that LLVM turns into jumps.
#[inline(never)]
unsafe fn tail_call_store_func(
    ip: Ip,
    fp: Fp,
    cx: *mut Cx,
    target: Result<u32, Trap>,
    base: Slot,
) -> TailCall {
    unsafe {
        let c = &mut *cx;
        let sf = match target {
            Ok(sf) => sf,
            Err(t) => {
                c.exit = trap(cx, t, ip);
                return TailCall::Ended;
            }
        };
        match &(&*c.inner).funcs[sf as usize] {
            FuncEntity::Wasm {
                instance, index, ..
            } => {
                let (callee_instance, index) = (*instance, *index);
                let caller_instance = c.inst.instance;
                if callee_instance != caller_instance {
                    c.switch_instance(callee_instance);
                }
                let callee = match c.inst.compiled(index) {
                    Ok(f) => f,
                    Err(e) => {
                        c.exit = error(cx, e);
                        return TailCall::Ended;
                    }
                };
                ptr::copy(fp.add(base as usize), fp, (*callee).num_params as usize);
                if !init_frame(fp, &*callee, c.cells_end) {
                    if callee_instance != caller_instance {
                        c.switch_instance(caller_instance);
                    }
                    c.exit = trap(cx, Trap::StackOverflow, ip);
                    return TailCall::Ended;
                }
                c.func = callee;
                TailCall::Enter((*callee).code.as_ptr())
            }
            FuncEntity::Host { host, .. } => {
                let results = super::cells_of((&*c.inner).host_types[*host as usize].results());
                if let Err(e) = call_host(c, fp, fp.add(base as usize), sf) {
                    if let Some(exn) = store::thrown_by_host(&mut *c.inner, &e) {
                        let (ip, fp) = super::exn::unwind_from_caller(ip, fp, cx, exn);
                        return TailCall::Caught(ip, fp);
                    }
                    c.exit = error(cx, super::run::host_error(c, ip, true, e));
                    return TailCall::Ended;
                }
                ptr::copy(fp.add(base as usize), fp, results);
                TailCall::Returned
            }
        }
    }
}

/// Continues where [`tail_call_store_func`] left execution.
macro_rules! continue_after_tail_call {
    ($to:expr, $fp:ident, $cx:ident) => {{
        // After the call: it may have switched instances or grown the memory.
        let to = $to;
        let (mem, len) = ((*$cx).inst.mem_base, (*$cx).inst.mem_len);
        match to {
            TailCall::Enter(ip) => next!(ip, $fp, $cx, mem, len, 0),
            TailCall::Returned => return_to_caller!($cx, mem, len),
            TailCall::Ended => return (*$cx).exit,
            TailCall::Caught(ip, _) if ip.is_null() => return (*$cx).exit,
            TailCall::Caught(ip, fp) => next!(ip, fp, $cx, mem, len, 0),
        }
    }};
}

/// Passes control to where [`call_store_func`] (or `exn::unwind`) said execution continues.
macro_rules! continue_after_call {
    ($to:expr, $cx:ident) => {{
        let (ip, fp) = $to;
        if ip.is_null() {
            return (*$cx).exit;
        }
        let c = &*$cx;
        next!(ip, fp, $cx, c.inst.mem_base, c.inst.mem_len, 0)
    }};
}

pub(super) use continue_after_call;
pub(super) use continue_after_tail_call;

/// Pops the innermost frame and continues in the caller.
macro_rules! return_to_caller {
    ($cx:ident, $mem:ident, $len:ident) => {{
        let c = &mut *$cx;
        if c.frames_top == c.frames_base {
            return Exit::Done;
        }
        c.frames_top = c.frames_top.sub(1);
        let f = &*c.frames_top;
        c.func = f.func;
        if f.instance != c.inst.instance {
            return ReturnToInstance(f.ret_ip, f.fp, $cx, $mem, $len, 0);
        }
        next!(f.ret_ip, f.fp, $cx, $mem, $len, 0)
    }};
}

pub(super) use return_to_caller;

handlers! {
    fn Call(ip, fp, cx, mem, len, acc) {
        decode!(ip, Call { func, base });
        let c = &mut *cx;
        if func >= c.inst.num_imported_funcs {
            let callee = c.inst.compiled_fast(func);
            if !callee.is_null() {
                let new_fp = fp.add(base as usize);
                let instance = c.inst.instance;
                if !push_frame(c, ip.add(1), fp, callee, new_fp, instance) {
                    return trap(cx, Trap::StackOverflow, ip);
                }
                next!((*callee).code.as_ptr(), new_fp, cx, mem, len, acc)
            }
        }
        CallSlow(ip, fp, cx, mem, len, acc)
    }

    #[inline(never)]
    fn CallSlow(ip, fp, cx, mem, len, acc) {
        decode!(ip, Call { func, base });
        let sf = *(&*cx).inst.funcs.get_unchecked(func as usize);
        continue_after_call!(call_store_func(ip, fp, cx, sf, base), cx)
    }

    fn CallIndirect(ip, fp, cx, mem, len, acc) {
        decode!(ip, CallIndirect { index, base: _, site });
        let sf = match indirect_target(fp, &*cx, index, site) {
            Ok(sf) => sf,
            Err(t) => return trap(cx, t, ip),
        };
        let c = &mut *cx;
        if let FuncEntity::Wasm { instance, index, .. } = (&*c.inner).funcs[sf as usize]
            && instance == c.inst.instance
        {
            let callee = c.inst.compiled_fast(index);
            if !callee.is_null() {
                decode!(ip, CallIndirect { index: _, base, site: _ });
                let new_fp = fp.add(base as usize);
                if !push_frame(c, ip.add(1), fp, callee, new_fp, instance) {
                    return trap(cx, Trap::StackOverflow, ip);
                }
                next!((*callee).code.as_ptr(), new_fp, cx, mem, len, acc)
            }
        }
        CallIndirectSlow(ip, fp, cx, mem, len, acc)
    }

    #[inline(never)]
    fn CallIndirectSlow(ip, fp, cx, mem, len, acc) {
        decode!(ip, CallIndirect { index, base, site });
        let sf = match indirect_target(fp, &*cx, index, site) {
            Ok(sf) => sf,
            Err(t) => return trap(cx, t, ip),
        };
        continue_after_call!(call_store_func(ip, fp, cx, sf, base), cx)
    }

    fn CallRef(ip, fp, cx, mem, len, acc) {
        decode!(ip, CallRef { callee, base });
        let sf = match ref_target(fp, callee) {
            Ok(sf) => sf,
            Err(t) => return trap(cx, t, ip),
        };
        continue_after_call!(call_store_func(ip, fp, cx, sf, base), cx)
    }

    fn ReturnCall(ip, fp, cx, mem, len, acc) {
        decode!(ip, ReturnCall { func, base });
        let sf = *(&*cx).inst.funcs.get_unchecked(func as usize);
        continue_after_tail_call!(tail_call_store_func(ip, fp, cx, Ok(sf), base), fp, cx)
    }

    fn ReturnCallIndirect(ip, fp, cx, mem, len, acc) {
        decode!(ip, ReturnCallIndirect { index, base, site });
        let target = indirect_target(fp, &*cx, index, site);
        continue_after_tail_call!(tail_call_store_func(ip, fp, cx, target, base), fp, cx)
    }

    fn ReturnCallRef(ip, fp, cx, mem, len, acc) {
        decode!(ip, ReturnCallRef { callee, base });
        let target = ref_target(fp, callee);
        continue_after_tail_call!(tail_call_store_func(ip, fp, cx, target, base), fp, cx)
    }

    fn RefAsNonNull(ip, fp, cx, mem, len, acc) {
        decode!(ip, RefAsNonNull { src });
        if rd::<u64>(fp, src) == 0 {
            return trap(cx, Trap::NullReference, ip);
        }
        next!(ip.add(1), fp, cx, mem, len, acc)
    }

    fn Return(ip, fp, cx, mem, len, acc) {
        return_to_caller!(cx, mem, len)
    }

    fn ReturnOne(ip, fp, cx, mem, len, acc) {
        decode!(ip, ReturnOne { src });
        *fp = *fp.add(src as usize);
        return_to_caller!(cx, mem, len)
    }

    /// Continues at `ip` in the caller just popped, which runs in another instance.
    #[inline(never)]
    fn ReturnToInstance(ip, fp, cx, mem, len, acc) {
        let c = &mut *cx;
        let instance = (*c.frames_top).instance;
        c.switch_instance(instance);
        next!(ip, fp, cx, c.inst.mem_base, c.inst.mem_len, acc)
    }
}
