//! Turning faults in compiled code into traps: a process-wide signal handler for SIGILL, SIGSEGV,
//! SIGBUS and SIGFPE that recognises a fault at an address inside our code memory, records where
//! it happened and jumps back to the innermost [`catch`] (see `catch.c`); any other signal goes
//! on to the handler that was installed before ours.
//!
//! Code memory registers its address range in a fixed table of atomics, so the handler can test
//! a pc without locks or allocation.

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

unsafe extern "C" {
    fn wexe_catch(body: extern "C" fn(*mut u8), data: *mut u8) -> i32;
    fn wexe_in_catch() -> i32;
    fn wexe_unwind() -> !;
}

/// How many return addresses a trap keeps from each end of the stack: the one backtrace policy.
const KEPT: usize = crate::trap::BACKTRACE_ENDS;

/// Where a trap happened: the faulting pc, the signal, and the return addresses of the compiled
/// frames below it, found by the handler while the stack was still intact (the innermost
/// [`KEPT`] and the outermost [`KEPT`]; `frames` counts them all).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TrapSite {
    pub pc: usize,
    pub signal: i32,
    pub frames: usize,
    inner: [usize; KEPT],
    outer: [usize; KEPT],
}

impl TrapSite {
    const EMPTY: TrapSite = TrapSite {
        pc: 0,
        signal: 0,
        frames: 0,
        inner: [0; KEPT],
        outer: [0; KEPT],
    };

    /// A site at `pc` raised by `signal`, with no frames (for tests of trap classification).
    #[cfg(test)]
    pub(crate) fn at(pc: usize, signal: i32) -> TrapSite {
        TrapSite {
            pc,
            signal,
            ..TrapSite::EMPTY
        }
    }

    /// A site at `pc` raised by no signal (a builtin ended the activation with the error it
    /// recorded), with the return addresses of the compiled frames from `fp` on.
    ///
    /// # Safety
    /// As [`TrapSite::walk`].
    pub(crate) unsafe fn from_frames(pc: usize, fp: usize) -> TrapSite {
        let mut site = TrapSite {
            pc,
            ..TrapSite::EMPTY
        };
        // SAFETY: forwarded from the caller.
        unsafe { site.walk(fp) };
        site
    }

    /// The site of a failed host call, ended by the host adapter whose frame pointer is `fp`
    /// (`ret` the return address into it): the call instruction in the adapter's caller, with
    /// the frames below, as if that call had trapped — the interpreter's backtrace of a host
    /// trap, and no kept slot spent on the adapter, which is no wasm frame. The adapter's own
    /// `ret` when its caller is not compiled code.
    ///
    /// # Safety
    /// As [`TrapSite::walk`], for the adapter's frame.
    pub(crate) unsafe fn of_host_call(ret: usize, fp: usize) -> TrapSite {
        // SAFETY: the adapter keeps a frame pointer, as compiled code does.
        let (next, caller_ret) = unsafe { frame_link(fp) };
        // SAFETY: forwarded from the caller; compiled code keeps frame pointers.
        unsafe {
            if is_code(caller_ret) && next > fp {
                TrapSite::from_frames(caller_ret - 1, next)
            } else {
                TrapSite::from_frames(ret - 1, fp)
            }
        }
    }

    fn push(&mut self, ret: usize) {
        if self.frames < KEPT {
            self.inner[self.frames] = ret;
        } else {
            self.outer[(self.frames - KEPT) % KEPT] = ret;
        }
        self.frames += 1;
    }

    /// The kept return addresses, innermost first, and how many were dropped in the middle.
    pub fn return_addresses(&self) -> (Vec<usize>, usize) {
        let n = self.frames;
        let mut out: Vec<usize> = self.inner[..n.min(KEPT)].to_vec();
        if n > KEPT {
            let rest = (n - KEPT).min(KEPT);
            let first = if n - KEPT > KEPT {
                (n - KEPT) % KEPT
            } else {
                0
            };
            out.extend((0..rest).map(|i| self.outer[(first + i) % KEPT]));
        }
        (out, n.saturating_sub(2 * KEPT))
    }

    /// Walks the frame-pointer chain from `fp` while return addresses lie in compiled code.
    ///
    /// # Safety
    /// `fp` must be the frame pointer of a compiled frame (compiled code keeps frame pointers,
    /// so each frame starts with the caller's frame pointer followed by the return address).
    unsafe fn walk(&mut self, mut fp: usize) {
        while fp != 0 {
            // SAFETY: see above; the walk stops at the first frame not entered from our code.
            let (next, ret) = unsafe { frame_link(fp) };
            if !is_code(ret) || next <= fp {
                break;
            }
            self.push(ret - 1);
            fp = next;
        }
    }
}

/// The caller's frame pointer and the return address saved at the start of the frame at `fp`.
///
/// # Safety
/// `fp` is the frame pointer of a frame that keeps one (the caller's, then the return address).
unsafe fn frame_link(fp: usize) -> (usize, usize) {
    // SAFETY: the caller's promise.
    unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) }
}

thread_local! {
    static LAST_TRAP: Cell<TrapSite> = const { Cell::new(TrapSite::EMPTY) };
}

const MAX_REGIONS: usize = 8192;
static REGIONS: [(AtomicUsize, AtomicUsize); MAX_REGIONS] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; MAX_REGIONS];

/// Registers `start..end` as compiled code; the slot to give back to [`unregister`].
pub(crate) fn register(start: usize, end: usize) -> Option<usize> {
    for (i, (s, e)) in REGIONS.iter().enumerate() {
        if s.compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            e.store(end, Ordering::Release);
            s.store(start, Ordering::Release);
            return Some(i);
        }
    }
    None
}

pub(crate) fn unregister(slot: usize) {
    REGIONS[slot].1.store(0, Ordering::Release);
    REGIONS[slot].0.store(0, Ordering::Release);
}

/// Whether `pc` lies in registered code.
pub(crate) fn is_code(pc: usize) -> bool {
    REGIONS.iter().any(|(s, e)| {
        let s = s.load(Ordering::Acquire);
        s != 0 && s != usize::MAX && pc >= s && pc < e.load(Ordering::Acquire)
    })
}

const SIGNALS: [libc::c_int; 4] = [libc::SIGILL, libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE];
static mut PREVIOUS: [std::mem::MaybeUninit<libc::sigaction>; 4] =
    [const { std::mem::MaybeUninit::uninit() }; 4];
static INSTALL: Once = Once::new();

/// Installs the signal handler once per process.
pub(crate) fn init() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: plain sigaction calls; PREVIOUS is written only here, before any handler
            // of ours can run, and read only by the handler afterwards.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                let prev = (*std::ptr::addr_of_mut!(PREVIOUS))[i].as_mut_ptr();
                libc::sigaction(sig, &sa, prev);
            }
        }
    });
}

/// The pc and frame pointer of the interrupted context.
///
/// # Safety
/// `ctx` must be the `ucontext_t` a signal handler received.
unsafe fn context_regs(ctx: *mut libc::c_void) -> (usize, usize) {
    // SAFETY: the caller passes the kernel's ucontext.
    unsafe {
        let uc = &*(ctx as *const libc::ucontext_t);
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        {
            let g = &uc.uc_mcontext.gregs;
            (
                g[libc::REG_RIP as usize] as usize,
                g[libc::REG_RBP as usize] as usize,
            )
        }
        #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
        {
            (uc.uc_mcontext.pc as usize, uc.uc_mcontext.regs[29] as usize)
        }
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: called by the kernel with a valid context; only async-signal-safe work is done
    // before jumping out (thread-local Cell writes, atomic loads).
    unsafe {
        let (pc, fp) = context_regs(ctx);
        if wexe_in_catch() != 0 && is_code(pc) {
            let mut site = TrapSite {
                pc,
                signal: sig,
                ..TrapSite::EMPTY
            };
            site.walk(fp);
            LAST_TRAP.with(|t| t.set(site));
            wexe_unwind();
        }
        let i = SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
        let prev = (*std::ptr::addr_of!(PREVIOUS))[i].assume_init_ref();
        if prev.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(prev.sa_sigaction);
            f(sig, info, ctx);
        } else if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
            // Restore the default and return: the instruction faults again and the process
            // ends as it would have without us.
            libc::sigaction(sig, prev, std::ptr::null_mut());
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
            f(sig);
        }
    }
}

/// Ends the innermost activation of compiled code from a builtin it called, as a trap at
/// `site` (signal 0: the builtin recorded the error in the store). The caller's frames must own
/// nothing that needs dropping.
pub(crate) fn end_activation(site: TrapSite) -> ! {
    LAST_TRAP.with(|t| t.set(site));
    // SAFETY: builtins run inside the `catch` of the entry that called compiled code.
    unsafe { wexe_unwind() }
}

/// Runs `body` so that a trap in compiled code it calls returns `Err(site)` here.
pub(crate) fn catch<F: FnMut()>(mut body: F) -> Result<(), Box<TrapSite>> {
    extern "C" fn call<F: FnMut()>(data: *mut u8) {
        // SAFETY: `data` is the `&mut F` passed below, live for the call.
        let f = unsafe { &mut *(data as *mut F) };
        f();
    }
    init();
    // SAFETY: wexe_catch calls `call::<F>` with our pointer; a trap jumps back over compiled
    // frames and `call`'s frame, which owns nothing to drop (the closure is owned here).
    let r = unsafe { wexe_catch(call::<F>, &mut body as *mut F as *mut u8) };
    if r == 0 {
        Ok(())
    } else {
        Err(Box::new(LAST_TRAP.with(|t| t.get())))
    }
}
