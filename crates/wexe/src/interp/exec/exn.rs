//! Throwing and catching exceptions in the interpreter: the `Throw` and `ThrowRef` handlers, and
//! [`unwind`], which finds the handler of an exception in the current run's frames (each
//! function's handler regions, built at translation) and continues there, or ends the run with
//! the uncaught exception as its error — which a host function calling back into wasm may pass
//! on to its own wasm caller, where [`unwind`] continues from the call (`calls.rs`).
//!
//! Unwinding is two-phase: the frames are searched without being changed, so that when no
//! handler exists the backtrace still shows where the exception was thrown; then the frames
//! above the handler are dropped (they own nothing but their cells, which the handler's frame
//! reuses).

use std::hint::unreachable_unchecked;
use std::ptr;

use super::calls::continue_after_call;
use super::dispatch::next;
use super::handlers::{decode, handlers};
use super::state::{CallFrame, Cx, Exit, Fp, Ip, trap};
use crate::Trap;
use crate::interp::ops::Instr;
use crate::interp::{BytecodeFunc, CatchClause, NO_REGION, NO_SLOT};
use crate::store::{self, StoreInner};

/// The clause of `func` (running in `instance`) that catches an exception of store tag `tag`
/// thrown at instruction `pc`, if any.
fn find_clause(
    inner: &StoreInner,
    func: &BytecodeFunc,
    instance: u32,
    pc: u32,
    tag: u32,
) -> Option<CatchClause> {
    // The innermost region holding `pc` is the last to open (regions nest).
    let mut r = func
        .regions
        .iter()
        .rposition(|r| r.start <= pc && pc < r.end)? as u32;
    let tags = &inner.instances[instance as usize].tags;
    while r != NO_REGION {
        let region = &func.regions[r as usize];
        for c in &func.clauses[region.clauses.start as usize..region.clauses.end as usize] {
            if c.tag == NO_SLOT || tags[c.tag as usize] == tag {
                return Some(*c);
            }
        }
        r = region.next;
    }
    None
}

/// Throws exception `exn` from the instruction at `ip` (a throw, or a call the exception came
/// out of): returns where execution continues, or a null instruction pointer when no frame of
/// this run catches it (the run then ends with the exception as its error, `cx.exit`).
#[inline(never)]
pub(super) unsafe fn unwind(ip: Ip, fp: Fp, cx: *mut Cx, exn: u32) -> (Ip, Fp) {
    unsafe { unwind_frames(ip, fp, cx, exn, false) }
}

/// Throws exception `exn` from the caller of the frame at `fp`, whose instruction at `ip` was a
/// tail call into a host function that threw it: the tail call replaced that frame, so its
/// handlers do not see the exception.
#[inline(never)]
pub(super) unsafe fn unwind_from_caller(ip: Ip, fp: Fp, cx: *mut Cx, exn: u32) -> (Ip, Fp) {
    unsafe { unwind_frames(ip, fp, cx, exn, true) }
}

/// [`unwind`], or with `skip_first` [`unwind_from_caller`].
unsafe fn unwind_frames(ip: Ip, fp: Fp, cx: *mut Cx, exn: u32, skip_first: bool) -> (Ip, Fp) {
    unsafe {
        let c = &mut *cx;
        let inner = &mut *c.inner;
        let tag = inner.exns.get(exn).tag;
        // Phase 1: find the frame and clause, changing nothing.
        let (mut func, mut at, mut frame_fp, mut instance) = (c.func, ip, fp, c.inst.instance);
        let mut popped = 0;
        let mut skip = skip_first;
        let found = loop {
            let pc = at.offset_from((*func).code.as_ptr()) as u32;
            if !skip && let Some(clause) = find_clause(inner, &*func, instance, pc, tag) {
                break Some(clause);
            }
            skip = false;
            if c.frames_top.sub(popped) == c.frames_base {
                break None;
            }
            popped += 1;
            let f: &CallFrame = &*c.frames_top.sub(popped);
            (func, at, frame_fp, instance) = (f.func, f.ret_ip.sub(1), f.fp, f.instance);
        };
        let Some(clause) = found else {
            let bt = super::run::backtrace(inner, ip, c.func, c.inst.instance, c.frames());
            c.error = Some(store::uncaught(inner, exn, Some(bt)));
            c.exit = Exit::Error;
            return (ptr::null(), fp);
        };
        // Phase 2: drop the frames above the handler's and deliver the values.
        c.frames_top = c.frames_top.sub(popped);
        c.func = func;
        if instance != c.inst.instance {
            c.switch_instance(instance);
        }
        let inner = &mut *c.inner;
        let payload = &inner.exns.get(exn).payload;
        ptr::copy_nonoverlapping(
            payload.as_ptr(),
            frame_fp.add(clause.dst as usize),
            payload.len(),
        );
        if clause.exn == NO_SLOT {
            inner.exns.free(exn);
        } else {
            *frame_fp.add(clause.exn as usize) = inner.exns.reference(exn);
        }
        ((*func).code.as_ptr().add(clause.pad as usize), frame_fp)
    }
}

/// `Throw`: a new exception of the instruction's tag with the values at `base..`.
#[inline(never)]
unsafe fn throw_new(ip: Ip, fp: Fp, cx: *mut Cx) -> (Ip, Fp) {
    unsafe {
        decode!(ip, Throw { tag, base });
        let c = &mut *cx;
        let inner = &mut *c.inner;
        let store_tag = *c.inst.tags.get_unchecked(tag as usize);
        let cells = super::cells_of(inner.tags[store_tag as usize].ty.params());
        let payload = std::slice::from_raw_parts(fp.add(base as usize), cells);
        let exn = inner.exns.alloc(store_tag, payload);
        unwind(ip, fp, cx, exn)
    }
}

handlers! {
    #[inline(never)]
    fn Throw(ip, fp, cx, mem, len, acc) {
        continue_after_call!(throw_new(ip, fp, cx), cx)
    }

    #[inline(never)]
    fn ThrowRef(ip, fp, cx, mem, len, acc) {
        decode!(ip, ThrowRef { src });
        let cell = *fp.add(src as usize);
        if cell == 0 {
            return trap(cx, Trap::NullReference, ip);
        }
        continue_after_call!(unwind(ip, fp, cx, (cell - 1) as u32), cx)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Engine, Instance, Module, Store};

    /// Throws through `depth` frames to a `try_table` in `run`, `n` times.
    const DEEP: &str = r#"
        (module
          (tag $e (param i32))
          (func $down (param i32)
            (if (i32.eqz (local.get 0)) (then (throw $e (i32.const 7))))
            (call $down (i32.sub (local.get 0) (i32.const 1))))
          (func (export "run") (param $n i32) (param $depth i32) (result i32)
            (local $sum i32)
            (loop $again
              (block $caught (result i32)
                (try_table (catch $e $caught) (call $down (local.get $depth)))
                (unreachable))
              (local.set $sum (i32.add (local.get $sum)))
              (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (local.get $sum)))
    "#;

    #[test]
    fn a_million_throws_through_ten_frames_leave_nothing_behind() {
        let mut config = Config::new();
        config.wasm_exceptions(true);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, DEEP).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let run = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "run")
            .unwrap();
        assert_eq!(run.call(&mut store, (1_000_000, 10)).unwrap(), 7_000_000);
        let inner = &store.inner;
        assert_eq!(inner.stack.top, 0);
        assert_eq!(inner.stack.frames_top, 0);
        assert_eq!(inner.nesting, 0);
        // One object, reused by every throw: `catch` keeps no reference to it.
        assert_eq!(inner.exns.live(), 0);
    }
}
