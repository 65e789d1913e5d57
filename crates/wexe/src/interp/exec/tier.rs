//! Tier-up in the interpreter (`Tier::Auto`): the `TierCount` instruction at every function
//! entry and loop header counts down the function's heat; when it runs out, the function is
//! asked for in machine code (`crate::tier`), and once that code is ready, an entry runs it
//! instead of the bytecode: the arguments already in the frame's first cells, the results
//! written back there, then a return to the caller as from the bytecode.

use std::hint::unreachable_unchecked;
use std::sync::atomic::Ordering;

use wexe_environ::LoopEntries;

use super::calls::{
    ReturnToInstance, TailCall, call_out, continue_after_tail_call, return_to_caller,
};
use super::dispatch::next;
use super::handlers::handlers;
use super::state::{Cx, Exit, Fp, Ip, error};

use crate::interp::NO_SLOT;
use crate::interp::ops::Instr;
use crate::store;

handlers! {
    fn TierCount(ip, fp, cx, mem, len, acc) {
        // The loop ordinal is read on the slow path only.
        let heat = &(*(*cx).func).heat;
        let h = heat.load(Ordering::Relaxed);
        if h > 0 {
            heat.store(h - 1, Ordering::Relaxed);
            next!(ip.add(1), fp, cx, mem, len, acc)
        }
        continue_after_tail_call!(hot(ip, fp, cx), fp, cx)
    }

    fn TierCountOuter(ip, fp, cx, mem, len, acc) {
        let func = &*(*cx).func;
        let h = func.heat.load(Ordering::Relaxed);
        if h > 0 && !func.outer_entry_ready.load(Ordering::Relaxed) {
            func.heat.store(h - 1, Ordering::Relaxed);
            next!(ip.add(1), fp, cx, mem, len, acc)
        }
        continue_after_tail_call!(hot(ip, fp, cx), fp, cx)
    }
}

/// The function of the frame at `fp` is hot: asks for its machine code and, at its entry once
/// the code is ready, runs it in place of the bytecode.
#[inline(never)]
unsafe fn hot(ip: Ip, fp: Fp, cx: *mut Cx) -> TailCall {
    unsafe {
        let c = &mut *cx;
        let func = &*c.func;
        let module = c.inst.module.clone();
        let def = (func.func_index - c.inst.num_imported_funcs) as usize;
        let (instance, index) = (c.inst.instance, func.func_index);
        let outcome = if ip == func.code.as_ptr() {
            if !crate::tier::request(&module, def) {
                // Not compiled yet: counted down again before the next look.
                func.heat.store(crate::tier::RECHECK, Ordering::Relaxed);
                return TailCall::Enter(ip.add(1));
            }
            call_out(c, fp, |s| {
                crate::tier::enter_compiled(s, instance, index, fp, None)
            })
        } else {
            let (osr, outermost) = match (*ip).instr {
                Instr::TierCountOuter { osr } => (osr, true),
                Instr::TierCount { osr } => (osr, false),
                _ => unreachable_unchecked(),
            };
            // Calls enter the function's code once it is compiled: that is asked for first.
            // An on-stack-replacement entry, a second compilation, only once interpreted
            // activations keep looping for another whole budget.
            crate::tier::request(&module, def);
            if osr == NO_SLOT || !func.loops_hot.swap(true, Ordering::Relaxed) {
                let budget = crate::tier::budget(&module, def).max(crate::tier::RECHECK);
                func.heat.store(budget, Ordering::Relaxed);
                return TailCall::Enter(ip.add(1));
            }
            // The entry of the outermost loops is the better code; an inner loop waits for
            // its outermost loop's header a while, then takes the entry of any loop.
            let entries = if outermost {
                LoopEntries::Outermost
            } else if func.has_outer_entry
                && func.inner_waits.fetch_add(1, Ordering::Relaxed)
                    < crate::tier::inner_patience(&module)
            {
                crate::tier::request_osr(&module, def, LoopEntries::Outermost);
                func.heat.store(crate::tier::RECHECK, Ordering::Relaxed);
                return TailCall::Enter(ip.add(1));
            } else {
                LoopEntries::Any
            };
            let Some(code) = crate::tier::request_osr(&module, def, entries) else {
                // Calls will enter the function's code; this activation goes on here until
                // its loop's entry is ready (if the loop can have one).
                func.heat.store(crate::tier::RECHECK, Ordering::Relaxed);
                return TailCall::Enter(ip.add(1));
            };
            let (entry, code) = code;
            call_out(c, fp, |s| {
                crate::tier::enter_compiled(s, instance, index, fp, Some((entry, code, osr)))
            })
        };
        match outcome {
            Ok(()) => TailCall::Returned,
            Err(e) => {
                if let Some(exn) = store::thrown_by_host(&mut *c.inner, &e) {
                    // The function itself threw: its frame's callers may catch.
                    let (ip, fp) = super::exn::unwind_from_caller(ip, fp, cx, exn);
                    return TailCall::Caught(ip, fp);
                }
                c.exit = error(cx, super::run::outer_frames(cx, e));
                TailCall::Ended
            }
        }
    }
}
