//! Throwing wasm exceptions in compiled code: the `Throw` builtin and the unwinder.
//!
//! Compiled code calls the `Throw` builtin in the wasm (`tail`) calling convention, inside a
//! `try_table` as a Cranelift `try_call` like any other call. Its entry, [`throw_stub`], is a few
//! instructions of assembly that hand the caller's frame pointer and the return address to
//! [`throw_from`], which walks the frame-pointer chain of this activation: for each return
//! address it looks up the call site's handlers in the compiled module (`JitModule::call_site`),
//! reads the frame's vmctx where Cranelift saved it, and compares each clause's tag, mapped
//! through that instance, with the exception's store tag (identity). The first match resumes in
//! its handler ([`resume`]) with the frame's stack and frame pointers and the `exnref` in the
//! first payload register; every register is clobbered on that edge (the `tail` convention's
//! exception ABI), so nothing else needs restoring. Without a match the activation ends like a
//! trap (`traps::end_activation`, siglongjmp to the entry), which reports `ThrownException`
//! with the backtrace of the throw.
//!
//! Only compiled frames and this module's frame lie between the throw and the handler: the
//! skipped frames own nothing, and `throw_from` drops what it owns before it jumps.

use std::panic::{AssertUnwindSafe, catch_unwind};

use wexe_environ::vmoffsets::VMCTX_INSTANCE;

use super::builtins::store_of;
use super::call::{backtrace, code_at};
use crate::store::{HostPanic, StoreInner, uncaught};
use crate::vm::traps::{self, TrapSite};

/// Where a thrown exception continues: the handler's code and the frame it runs in.
struct Handler {
    pc: usize,
    sp: usize,
    fp: usize,
}

super::frame_stub::frame_stub!(
    /// The `Throw` builtin's entry, in the wasm calling convention: `(vmctx, exnref)` in the
    /// first two argument registers; [`throw_from`] gets the caller's frame pointer and the
    /// return address too.
    pub(super) throw_stub => throw_from,
    x86_64: ("rdx", "rcx"),
    aarch64: ("x2", "x3")
);

/// Continues at `pc` with the stack pointer `sp`, the frame pointer `fp` and `exnref` in the
/// first exception payload register (the second holds 0).
///
/// # Safety
/// `pc` must be a handler of a call site in the frame whose frame pointer is `fp` and whose
/// stack pointer at that call was `sp`, and every frame below it must be given up.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
unsafe extern "C" fn resume(pc: usize, sp: usize, fp: usize, exnref: u64) -> ! {
    std::arch::naked_asm!(
        "mov rsp, rsi",
        "mov rbp, rdx",
        "mov rax, rcx",
        "xor edx, edx",
        "jmp rdi",
    )
}

#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
unsafe extern "C" fn resume(pc: usize, sp: usize, fp: usize, exnref: u64) -> ! {
    std::arch::naked_asm!(
        "mov sp, x1",
        "mov x29, x2",
        "mov x16, x0",
        "mov x0, x3",
        "mov x1, xzr",
        "br x16",
    )
}

/// Throws `exnref` (non-null) from the call that returns to `pc` in the frame `fp`.
extern "C" fn throw_from(vmctx: *mut u8, exnref: u64, fp: usize, pc: usize) -> ! {
    // SAFETY: called through `throw_stub` by compiled code with its own vmctx.
    let (store, _) = unsafe { store_of(vmctx) };
    let inner = store.inner();
    let exn = (exnref - 1) as u32;
    // SAFETY: `fp` and `pc` describe the compiled frame that called `throw_stub`.
    let found = catch_unwind(AssertUnwindSafe(|| unsafe {
        find_handler(inner, exn, fp, pc)
    }));
    match found {
        // SAFETY: a handler found in this activation's frames, which are all given up.
        Ok(Some(h)) => unsafe { resume(h.pc, h.sp, h.fp, exnref) },
        Ok(None) => {
            // SAFETY: as above; the frames are intact until the activation ends.
            let site = unsafe { TrapSite::from_frames(pc - 1, fp) };
            let bt = backtrace(inner, &site);
            inner.jit.pending = Some(uncaught(inner, exn, Some(bt)));
            traps::end_activation(site)
        }
        Err(panic) => {
            inner.jit.pending = Some(HostPanic::error(panic));
            // SAFETY: as above.
            traps::end_activation(unsafe { TrapSite::from_frames(pc - 1, fp) })
        }
    }
}

/// The handler for exception `exn` among this activation's compiled frames, starting with
/// the call that returns to `pc` in the frame whose frame pointer is `fp`.
///
/// # Safety
/// `fp` must be the frame pointer of a compiled frame and `pc` a return address into it.
unsafe fn find_handler(
    inner: &StoreInner,
    exn: u32,
    mut fp: usize,
    mut pc: usize,
) -> Option<Handler> {
    let tag = inner.exns.get(exn).tag;
    while traps::is_code(pc) {
        let site = code_at(inner, pc, |_, jm| {
            jm.call_site(pc).map(|(s, start)| (s.clone(), start))
        });
        if let Some((site, func_start)) = site {
            let sp = fp - site.frame_offset as usize;
            // SAFETY: Cranelift saved the frame's vmctx at this offset for the call, and a
            // vmctx holds its instance index.
            let instance = unsafe {
                let vmctx = *((sp + site.vmctx_sp_offset as usize) as *const *const u8);
                *(vmctx.add(VMCTX_INSTANCE as usize) as *const u64) as usize
            };
            let tags = &inner.instances[instance].tags;
            for &(t, handler) in &site.handlers {
                if t.is_none_or(|t| tags[t as usize] == tag) {
                    return Some(Handler {
                        pc: func_start + handler as usize,
                        sp,
                        fp,
                    });
                }
            }
        }
        // SAFETY: compiled frames keep frame pointers: the caller's frame pointer, then the
        // return address into it.
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if next <= fp {
            break;
        }
        (fp, pc) = (next, ret);
    }
    None
}
