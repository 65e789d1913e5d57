//! A run of the interpreter (the inside of its part of the one entry, `store/entry.rs`): sets up
//! a run ([`Cx`]) for a wasm function whose arguments are in the store's cell stack, dispatches,
//! and turns a trap into an error with a wasm backtrace.

use anyhow::Result;

use super::calls::init_frame;
use super::dispatch::execute;
use super::state::{CallFrame, Cx, Exit, InstCtx, Ip, Regs};
use crate::Trap;
use crate::interp::BytecodeFunc;
use crate::store::{StoreInner, StoreOps};
use crate::trap::{BACKTRACE_ENDS, FrameInfo, WasmBacktrace};

/// Runs wasm function `func_index` of `instance` with its arguments in cells `base..`, leaving
/// its results there.
///
/// # Safety
/// `base` must be the first free cell of the store's stack, with the arguments written.
pub(super) unsafe fn run(
    store: &mut dyn StoreOps,
    instance: u32,
    func_index: u32,
    base: usize,
) -> Result<()> {
    let inner: *mut StoreInner = store.inner();
    // SAFETY: `inner` is re-derived after every use of `store` (in host calls); frames stay
    // within `cells`, which is never reallocated while they are live.
    unsafe {
        let stack = &mut (*inner).stack;
        let cells = stack.cells.as_mut_ptr();
        let cells_end = cells.add(stack.cells.len());
        let frames_base = (stack.frames.as_mut_ptr() as *mut CallFrame).add(stack.frames_top);
        let frames_end = (stack.frames.as_mut_ptr() as *mut CallFrame).add(stack.frames.len());
        let inst = InstCtx::load(&mut *inner, instance);
        let func = inst.compiled(func_index)?;
        let fp = cells.add(base);
        if !init_frame(fp, &*func, cells_end) {
            return Err(Trap::StackOverflow.into());
        }
        let (mem, len) = (inst.mem_base, inst.mem_len);
        let ip = (*func).code.as_ptr();
        let mut cx = Cx {
            // The run ends before `store`'s borrow does; the pointer does not outlive it.
            store: std::mem::transmute::<*mut (dyn StoreOps + '_), *mut (dyn StoreOps + 'static)>(
                store,
            ),
            inner,
            cells,
            cells_end,
            frames_base,
            frames_top: frames_base,
            frames_end,
            func,
            inst,
            trap: None,
            error: None,
            exit: Exit::Done,
            consume_fuel: (*inner).engine.config().consume_fuel,
            regs: Regs {
                ip,
                fp,
                mem,
                len,
                acc: 0,
            },
        };
        let exit = execute(ip, fp, &mut cx, mem, len);
        match ended(exit, cx.trap, cx.error.take())? {
            None => Ok(()),
            Some((trap, at)) => Err(trap_error(
                &*cx.inner,
                trap,
                at,
                cx.func,
                cx.inst.instance,
                cx.frames(),
            )),
        }
    }
}

/// What the end of a run means: `None` when it returned, the trap and where it was raised, or
/// the error it ended with. Every exit has its meaning; an exit without the record it promises
/// (a trap exit with no trap recorded, an error exit with no error) or a dispatch that stopped
/// without ending the run is an internal error that says so, never a trap of some plausible kind.
fn ended(
    exit: Exit,
    trap: Option<(Trap, Ip)>,
    error: Option<anyhow::Error>,
) -> Result<Option<(Trap, Ip)>> {
    match exit {
        Exit::Done => Ok(None),
        Exit::Trap => match trap {
            Some(trap) => Ok(Some(trap)),
            None => Err(anyhow::anyhow!(
                "internal error: the interpreter stopped with a trap but recorded none"
            )),
        },
        Exit::Error => Err(error.unwrap_or_else(|| {
            anyhow::anyhow!(
                "internal error: the interpreter stopped with an error but recorded none"
            )
        })),
        Exit::Continue => Err(anyhow::anyhow!(
            "internal error: the interpreter's dispatch stopped without ending the run"
        )),
    }
}

/// The error for `trap` at `ip`, with the backtrace of the current frame and its callers.
unsafe fn trap_error(
    inner: &StoreInner,
    trap: Trap,
    ip: Ip,
    func: *const BytecodeFunc,
    instance: u32,
    frames: &[CallFrame],
) -> anyhow::Error {
    // SAFETY: as for `backtrace`.
    let bt = unsafe { backtrace(inner, ip, func, instance, frames) };
    anyhow::Error::new(trap).context(bt)
}

/// The backtrace of the current frame (`func` at `ip`) and its callers `frames`.
///
/// # Safety
/// `ip` points into `func`'s code and `frames` are this run's live frames.
pub(super) unsafe fn backtrace(
    inner: &StoreInner,
    ip: Ip,
    func: *const BytecodeFunc,
    instance: u32,
    frames: &[CallFrame],
) -> WasmBacktrace {
    let mut bt = WasmBacktrace::default();
    // SAFETY: every frame's function and return address are live.
    unsafe {
        bt.frames.push(frame_info(inner, instance, &*func, ip));
        // The one policy of both tiers: of all the frames (the trapping one and its `n`
        // callers), the innermost and the outermost `BACKTRACE_ENDS`, the rest counted.
        let n = frames.len();
        let all = n + 1;
        if all > 2 * BACKTRACE_ENDS {
            bt.omitted = all - 2 * BACKTRACE_ENDS;
        }
        // Callers `i` (0 = outermost) in `omitted_range` are the ones left out.
        let omitted_range = BACKTRACE_ENDS..BACKTRACE_ENDS + bt.omitted;
        for (i, f) in frames.iter().enumerate().rev() {
            if omitted_range.contains(&i) {
                continue;
            }
            bt.frames
                .push(frame_info(inner, f.instance, &*f.func, f.ret_ip.sub(1)));
        }
    }
    bt
}

unsafe fn frame_info(inner: &StoreInner, instance: u32, func: &BytecodeFunc, ip: Ip) -> FrameInfo {
    let module = &inner.instances[instance as usize].module;
    // SAFETY: `ip` points into `func.code`.
    let at = unsafe { ip.offset_from(func.code.as_ptr()) }.max(0) as usize;
    let offset = func.offsets.get(at).map(|&o| o as usize);
    FrameInfo::of(module, func.func_index, offset)
}

/// The error `e` of a host function the instruction at `ip` called (with `tail`, in place of the
/// current frame): a trap gets the backtrace of the wasm frames below the call, as the JIT gives
/// it; any other error is returned as it is.
///
/// # Safety
/// `c` is the live run and `ip` points into its current function's code.
pub(super) unsafe fn host_error(c: &Cx, ip: Ip, tail: bool, e: anyhow::Error) -> anyhow::Error {
    crate::trap::below_frames(e, || {
        let frames = c.frames();
        // SAFETY: the run is live: its frames' functions and return addresses too.
        unsafe {
            if !tail {
                return backtrace(&*c.inner, ip, c.func, c.inst.instance, frames);
            }
            match frames.split_last() {
                Some((top, callers)) => backtrace(
                    &*c.inner,
                    top.ret_ip.sub(1),
                    top.func,
                    top.instance,
                    callers,
                ),
                None => WasmBacktrace::default(),
            }
        }
    })
}

/// The trap error `e` of code the current frame called out to (tier-up's machine code for the
/// current function, whose backtrace already holds that function's frame), with the frames of
/// this run's callers added below its backtrace; any other error unchanged.
///
/// # Safety
/// `cx` is the live run.
pub(super) unsafe fn outer_frames(cx: *mut Cx, e: anyhow::Error) -> anyhow::Error {
    let (Some(&trap), Some(bt)) = (e.downcast_ref::<Trap>(), e.downcast_ref::<WasmBacktrace>())
    else {
        return e;
    };
    let mut bt = bt.clone();
    // SAFETY: the run is live: its frames' functions and return addresses too.
    unsafe {
        let c = &*cx;
        let callers = c.frames();
        // Innermost callers first, up to the backtrace policy's length; the rest counted.
        let room = (2 * BACKTRACE_ENDS).saturating_sub(bt.frames.len());
        for f in callers.iter().rev().take(room) {
            bt.frames
                .push(frame_info(&*c.inner, f.instance, &*f.func, f.ret_ip.sub(1)));
        }
        bt.omitted += callers.len().saturating_sub(room);
    }
    anyhow::Error::new(trap).context(bt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal_error(r: Result<Option<(Trap, Ip)>>) -> String {
        let err = r.expect_err("an internal error");
        assert_eq!(err.downcast_ref::<Trap>(), None, "{err:?}");
        let text = err.to_string();
        assert!(text.starts_with("internal error:"), "{text}");
        text
    }

    #[test]
    fn every_exit_means_what_it_records_and_nothing_else() {
        let at: Ip = std::ptr::null();
        assert!(matches!(ended(Exit::Done, None, None), Ok(None)));
        let trap = ended(Exit::Trap, Some((Trap::IntegerOverflow, at)), None);
        assert!(matches!(trap, Ok(Some((Trap::IntegerOverflow, _)))));
        let err = ended(Exit::Error, None, Some(anyhow::anyhow!("host failed"))).unwrap_err();
        assert_eq!(err.to_string(), "host failed");
        // Exits without their record are internal errors, not `unreachable` traps.
        assert!(internal_error(ended(Exit::Trap, None, None)).contains("trap"));
        assert!(internal_error(ended(Exit::Error, None, None)).contains("error"));
        assert!(internal_error(ended(Exit::Continue, None, None)).contains("dispatch"));
    }
}
