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
        let cells = ValueCells::Packed(args);
        let outcome = store::call_host(&mut *cx.store, sf, Some(cx.inst.instance), cells);
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
                    c.exit = error(cx, e);
                    return (ended, fp);
                }
                (ip.add(1), fp)
            }
        }
    }
}

/// The store function an indirect call at `ip` reaches, or the trap it raises.
#[inline(always)]
unsafe fn indirect_target(ip: Ip, fp: Fp, cx: &Cx) -> Result<u32, Trap> {
    unsafe {
        decode!(
            ip,
            CallIndirect {
                index,
                base: _,
                site
            }
        );
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

/// Passes control to where [`call_store_func`] said execution continues.
macro_rules! continue_after_call {
    ($to:expr, $cx:ident) => {{
        let (ip, fp) = $to;
        if ip.is_null() {
            return (*$cx).exit;
        }
        let c = &*$cx;
        next!(ip, fp, $cx, c.inst.mem_base, c.inst.mem_len)
    }};
}

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
            return ReturnToInstance(f.ret_ip, f.fp, $cx, $mem, $len);
        }
        next!(f.ret_ip, f.fp, $cx, $mem, $len)
    }};
}

handlers! {
    fn Call(ip, fp, cx, mem, len) {
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
                next!((*callee).code.as_ptr(), new_fp, cx, mem, len)
            }
        }
        CallSlow(ip, fp, cx, mem, len)
    }

    #[inline(never)]
    fn CallSlow(ip, fp, cx, mem, len) {
        decode!(ip, Call { func, base });
        let sf = *(&*cx).inst.funcs.get_unchecked(func as usize);
        continue_after_call!(call_store_func(ip, fp, cx, sf, base), cx)
    }

    fn CallIndirect(ip, fp, cx, mem, len) {
        let sf = match indirect_target(ip, fp, &*cx) {
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
                next!((*callee).code.as_ptr(), new_fp, cx, mem, len)
            }
        }
        CallIndirectSlow(ip, fp, cx, mem, len)
    }

    #[inline(never)]
    fn CallIndirectSlow(ip, fp, cx, mem, len) {
        decode!(ip, CallIndirect { index: _, base, site: _ });
        let sf = match indirect_target(ip, fp, &*cx) {
            Ok(sf) => sf,
            Err(t) => return trap(cx, t, ip),
        };
        continue_after_call!(call_store_func(ip, fp, cx, sf, base), cx)
    }

    fn Return(ip, fp, cx, mem, len) {
        return_to_caller!(cx, mem, len)
    }

    fn ReturnOne(ip, fp, cx, mem, len) {
        decode!(ip, ReturnOne { src });
        *fp = *fp.add(src as usize);
        return_to_caller!(cx, mem, len)
    }

    /// Continues at `ip` in the caller just popped, which runs in another instance.
    #[inline(never)]
    fn ReturnToInstance(ip, fp, cx, mem, len) {
        let c = &mut *cx;
        let instance = (*c.frames_top).instance;
        c.switch_instance(instance);
        next!(ip, fp, cx, c.inst.mem_base, c.inst.mem_len)
    }
}
