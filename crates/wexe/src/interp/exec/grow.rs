//! `memory.grow` and `table.grow` from running code: through the store's one growth path
//! (`store/grow.rs`, which consults the resource limiter through the store), then reloading what
//! the run keeps of the store. A panic of the limiter (host code) is caught here and leaves the
//! run as a `HostPanic` error, which the entry resumes (`store/entry.rs`), as in the JIT's
//! growth builtins. Out of line (`#[inline(never)]`): the store is reached through
//! `dyn` calls, which must not sit in a handler, where they would look like a dispatch that
//! calls its successor instead of jumping to it (`scripts/check-tail-dispatch.py`).

use anyhow::Result;

use super::state::Cx;
use crate::store::HostPanic;

/// Grows store memory `memory` by `delta` pages: the old size in pages, `None` when the growth
/// was refused, or the limiter's error. The run's view of memory 0 is reloaded.
///
/// # Safety
/// `cx` must be the state of a live run.
#[inline(never)]
pub(super) unsafe fn grow_memory(cx: *mut Cx, memory: u32, delta: u64) -> Result<Option<u64>> {
    // SAFETY: `cx` is live; the store and its inner part are re-derived after the store's use.
    unsafe {
        let c = &mut *cx;
        let store = &mut *c.store;
        let grown = HostPanic::catch(|| crate::store::grow_memory(store, memory, delta));
        c.inner = (*c.store).inner();
        c.inst.refresh_memory(&mut *c.inner);
        grown
    }
}

/// Grows store table `table` by `delta` elements holding the cell `init`: the old size,
/// `None` when the growth was refused, or the limiter's error.
///
/// # Safety
/// `cx` must be the state of a live run.
#[inline(never)]
pub(super) unsafe fn grow_table(
    cx: *mut Cx,
    table: u32,
    delta: u64,
    init: u64,
) -> Result<Option<u64>> {
    // SAFETY: as for `grow_memory`.
    unsafe {
        let c = &mut *cx;
        let store = &mut *c.store;
        let grown = HostPanic::catch(|| crate::store::grow_table(store, table, delta, init));
        c.inner = (*c.store).inner();
        grown
    }
}
