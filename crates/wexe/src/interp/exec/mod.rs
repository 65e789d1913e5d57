//! Execution: the value stack shared by all frames of a store, the entry from the embedding
//! API, host calls, traps with wasm backtraces. Execution proper: `run.rs` (entry),
//! `dispatch.rs` (how handlers chain), `handlers.rs`, `calls.rs` and `memory.rs` (one handler
//! per operation), `state.rs`, `grow.rs` (memory and table growth, out of line), `exn.rs`
//! (throwing, and unwinding to a handler). Bulk memory and table
//! operations are the store's (`store/bulk.rs`), shared with the JIT.

mod calls;
mod dispatch;
mod exn;
mod grow;
mod handlers;
mod memory;
mod run;
mod simd;
mod state;
mod tier;
mod wide;

use anyhow::Result;

pub(crate) use dispatch::{Handler, handler_of};

use crate::store::StoreOps;
use crate::{Config, Trap};
use wexe_environ::{FuncType, ValType};

/// The cells a value of type `t` takes in a frame: two for a v128, else one.
pub(crate) fn cell_width(t: ValType) -> usize {
    if t == ValType::V128 { 2 } else { 1 }
}

/// The cells a sequence of values takes.
pub(crate) fn cells_of(types: &[ValType]) -> usize {
    types.iter().map(|&t| cell_width(t)).sum()
}

/// The cells and the suspended callers of all active frames of a store. Both are allocated at
/// their maximum size on first use (the pages are only touched as they are reached) and never
/// reallocated, since running code points into them; the size of `frames` is the call depth
/// limit.
pub(crate) struct ExecStack {
    cells: Vec<u64>,
    /// Room for [`state::CallFrame`]s, which are four words each.
    frames: Vec<[u64; 4]>,
    cell_limit: usize,
    max_depth: usize,
    /// The first free cell.
    top: usize,
    /// The first free frame.
    frames_top: usize,
}

impl ExecStack {
    pub fn new(config: &Config) -> ExecStack {
        ExecStack {
            cells: Vec::new(),
            frames: Vec::new(),
            cell_limit: (config.max_wasm_stack / 8).max(1024),
            max_depth: config.max_call_depth.max(1),
            top: 0,
            frames_top: 0,
        }
    }
}

/// Where a store's stack stood when a call from the host entered it: the first free cell and
/// frame. [`EnteredCall`] puts them back when the call ends.
struct StackMark {
    top: usize,
    frames_top: usize,
}

/// A call from the host into wasm on `store`'s stack. Dropping it puts the stack back where it
/// stood before the call, however the call ended: by returning, by trapping, or (should a panic
/// escape the store's host-call path, which catches host functions' panics) by unwinding.
/// (The host calls of `calls.rs` raise `top` and `frames_top` for a nested run and put them
/// back when the host function returns.)
struct EnteredCall<'a> {
    store: &'a mut dyn StoreOps,
    mark: StackMark,
}

impl<'a> EnteredCall<'a> {
    /// Records where the stack stands.
    fn enter(store: &'a mut dyn StoreOps) -> EnteredCall<'a> {
        let stack = &mut store.inner().stack;
        let mark = StackMark {
            top: stack.top,
            frames_top: stack.frames_top,
        };
        EnteredCall { store, mark }
    }
}

impl Drop for EnteredCall<'_> {
    fn drop(&mut self) {
        let stack = &mut self.store.inner().stack;
        stack.top = self.mark.top;
        stack.frames_top = self.mark.frames_top;
    }
}

/// Runs wasm function `index` of `instance` (of type `ty`) with its arguments in `slots`,
/// leaving its results there: the interpreter's part of the one entry (`store/entry.rs`).
/// The values move between the slots and the store's cell stack, packed by width.
///
/// # Safety
/// `slots` must be valid for reads of the parameters and writes of the results.
pub(crate) unsafe fn run_on_slots(
    store: &mut dyn StoreOps,
    instance: u32,
    index: u32,
    ty: &FuncType,
    slots: *mut [u64; 2],
) -> Result<()> {
    let stack = &mut store.inner().stack;
    if stack.cells.is_empty() {
        stack.cells = vec![0; stack.cell_limit];
        stack.frames = vec![[0; 4]; stack.max_depth];
    }
    let base = stack.top;
    let width = cells_of(ty.params()).max(cells_of(ty.results()));
    if base + width > stack.cells.len() {
        return Err(Trap::StackOverflow.into());
    }
    let mut at = base;
    for (i, &t) in ty.params().iter().enumerate() {
        let w = cell_width(t);
        // SAFETY: the caller guarantees a slot per parameter.
        let slot = unsafe { *slots.add(i) };
        stack.cells[at..at + w].copy_from_slice(&slot[..w]);
        at += w;
    }
    let entered = EnteredCall::enter(store);
    // SAFETY: the cells from `base` on belong to this call; `run` keeps within the stack.
    unsafe { run::run(&mut *entered.store, instance, index, base)? };
    let stack = &entered.store.inner().stack;
    let mut at = base;
    for (i, &t) in ty.results().iter().enumerate() {
        let w = cell_width(t);
        // SAFETY: the caller guarantees a slot per result.
        let slot = unsafe { &mut *slots.add(i) };
        slot[..w].copy_from_slice(&stack.cells[at..at + w]);
        at += w;
    }
    Ok(())
}
