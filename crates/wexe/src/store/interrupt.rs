//! Interrupting a store from another thread: the shared [`InterruptState`] (a flag that
//! running wasm code checks, plus an eventfd that blocking host calls can wait on), the
//! [`InterruptHandle`] that sets it, and the [`InterruptWaiter`] that host functions use to
//! stop waiting when it is set.
//!
//! The flag and the eventfd change together under one lock: the eventfd is readable exactly
//! while the flag is set, so a host call that polls its own fds together with the eventfd
//! wakes up on an interruption however late it began to wait. The eventfd is made by the first
//! host call that waits on it, not with the handle: most stores (one per request of a server)
//! never wait, and an eventfd is two system calls.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// What an [`InterruptHandle`] changes and what running code and waiting host calls read.
#[derive(Debug, Default)]
pub(crate) struct InterruptState {
    /// Checked by wasm code (the interpreter's `Check`, compiled code's loads).
    pub flag: AtomicBool,
    /// Whether an [`InterruptHandle`] was made (so host calls must wait interruptibly).
    handed_out: AtomicBool,
    /// Readable while `flag` is set; made when a host call first waits on it.
    wake: OnceLock<OwnedFd>,
    /// Keeps the flag and the eventfd in step when interrupt and reset race.
    lock: Mutex<()>,
}

impl InterruptState {
    /// Notes that a handle was made: from now on host calls wait through a waiter.
    pub fn hand_out(&self) {
        self.handed_out.store(true, Ordering::Relaxed);
    }

    /// Whether a handle was made.
    pub fn handed_out(&self) -> bool {
        self.handed_out.load(Ordering::Relaxed)
    }

    /// The wake-up eventfd, made now unless there is one.
    fn wake_fd(&self) -> std::io::Result<BorrowedFd<'_>> {
        if let Some(fd) = self.wake.get() {
            return Ok(fd.as_fd());
        }
        // SAFETY: eventfd takes no pointers; a negative result is an error.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // Under the lock, so that an interruption sees either no eventfd (and this signals it)
        // or this one (and signals it itself).
        if self.wake.set(fd).is_ok() && self.flag.load(Ordering::SeqCst) {
            self.signal();
        }
        let fd = self
            .wake
            .get()
            .expect("set just above, or by another thread");
        Ok(fd.as_fd())
    }

    /// Whether the store is interrupted.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    fn set(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if !self.flag.swap(true, Ordering::SeqCst) {
            self.signal();
        }
    }

    fn clear(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.flag.store(false, Ordering::SeqCst);
        if let Some(fd) = self.wake.get() {
            let mut count = 0u64;
            // SAFETY: reads at most 8 bytes into `count`; the fd is non-blocking, so with
            // nothing to read this fails with EAGAIN, which leaves it as wanted.
            unsafe { libc::read(fd.as_raw_fd(), (&raw mut count).cast(), 8) };
        }
    }

    /// Makes the eventfd readable (once: `set` calls it only when the flag was clear).
    fn signal(&self) {
        if let Some(fd) = self.wake.get() {
            let one = 1u64;
            // SAFETY: writes 8 bytes from `one`. It cannot fail for a counter of at most 1.
            unsafe { libc::write(fd.as_raw_fd(), (&raw const one).cast(), 8) };
        }
    }
}

/// Interrupts the code running in a store from any thread (for timeouts). Needs an engine
/// made with [`crate::Config::interruptible`].
///
/// Wasm code traps at its next function entry or loop iteration; a host function that is
/// blocked waiting (for a clock, for input, for room to write) returns with the same trap if
/// it waits through an [`InterruptWaiter`], as every blocking call of `wexe-wasi` does.
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    pub(crate) state: Arc<InterruptState>,
}

impl InterruptHandle {
    /// Makes the store's running code trap with [`crate::Trap::Interrupt`] at its next
    /// function entry or loop iteration, wakes host calls waiting through an
    /// [`InterruptWaiter`] (and interrupts any code started later, until [`Self::reset`]).
    pub fn interrupt(&self) {
        self.state.set();
    }

    /// Lets code run (and host calls wait) again after an interruption.
    pub fn reset(&self) {
        self.state.clear();
    }
}

/// What a host function that may block uses to notice that its store was interrupted; from
/// [`crate::Caller::interrupt_waiter`].
///
/// Wait with `poll(2)` on your own fds together with [`Self::wake_fd`] (readable while the
/// store is interrupted); when it is readable, or [`Self::is_interrupted`] says so,
/// stop waiting and return `Err(wexe::Trap::Interrupt.into())` from the host function: the
/// call into wasm then ends with that trap, as it does when wasm code is interrupted.
///
/// ```
/// use std::os::fd::AsRawFd;
/// use wexe::{Caller, Config, Engine, Linker, Module, Store, Trap};
///
/// # fn main() -> anyhow::Result<()> {
/// let engine = Engine::new(Config::new().interruptible(true))?;
/// let module = Module::new(&engine, r#"(module
///     (import "host" "wait_forever" (func $wait))
///     (func (export "run") (call $wait)))"#)?;
/// let mut linker = Linker::new(&engine);
/// linker.func_wrap("host", "wait_forever", |caller: Caller<'_, ()>| -> anyhow::Result<()> {
///     let Some(waiter) = caller.interrupt_waiter() else {
///         anyhow::bail!("nothing could ever end this wait");
///     };
///     // A real host function would poll its own fds too.
///     let mut fd = libc::pollfd { fd: waiter.wake_fd()?.as_raw_fd(), events: libc::POLLIN, revents: 0 };
///     while !waiter.is_interrupted() {
///         // SAFETY: one valid pollfd.
///         unsafe { libc::poll(&mut fd, 1, -1) };
///     }
///     Err(Trap::Interrupt.into())
/// })?;
/// let mut store = Store::new(&engine, ());
/// let handle = store.interrupt_handle()?;
/// let run = linker.instantiate(&mut store, &module)?.get_typed_func::<(), ()>(&mut store, "run")?;
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(50));
///     handle.interrupt();
/// });
/// let err = run.call(&mut store, ()).unwrap_err();
/// assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct InterruptWaiter {
    pub(crate) state: Arc<InterruptState>,
}

impl InterruptWaiter {
    /// Whether the store is interrupted (until the handle's [`InterruptHandle::reset`]).
    pub fn is_interrupted(&self) -> bool {
        self.state.is_set()
    }

    /// An eventfd that is readable while the store is interrupted, made by the first call
    /// (an error when the process is out of descriptors). Only poll it: reading it would lose
    /// the interruption for other waiters.
    pub fn wake_fd(&self) -> std::io::Result<BorrowedFd<'_>> {
        self.state.wake_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: BorrowedFd<'_>) -> bool {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no waiting.
        unsafe { libc::poll(&mut p, 1, 0) == 1 }
    }

    #[test]
    fn the_eventfd_is_readable_exactly_while_interrupted() {
        let state = Arc::new(InterruptState::default());
        let handle = InterruptHandle {
            state: state.clone(),
        };
        let waiter = InterruptWaiter { state };
        assert!(!waiter.is_interrupted());
        assert!(!readable(waiter.wake_fd().unwrap()));
        handle.interrupt();
        handle.interrupt();
        assert!(waiter.is_interrupted());
        assert!(readable(waiter.wake_fd().unwrap()));
        handle.reset();
        assert!(!waiter.is_interrupted());
        assert!(
            !readable(waiter.wake_fd().unwrap()),
            "reset drains both interruptions"
        );
        handle.reset();
        assert!(!readable(waiter.wake_fd().unwrap()));
    }

    #[test]
    fn an_interruption_before_the_eventfd_shows_on_it() {
        let state = InterruptState::default();
        state.set();
        assert!(readable(state.wake_fd().unwrap()));
    }
}
