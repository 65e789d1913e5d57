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
mod wide;

use anyhow::Result;

pub(crate) use dispatch::{Handler, handler_of};

use crate::store::{FuncEntity, StoreOps};
use crate::values::Val;
use crate::{Config, Trap};
use wexe_environ::ValType;

/// The cells a value of type `t` takes in a frame: two for a v128, else one.
pub(crate) fn cell_width(t: ValType) -> usize {
    if t == ValType::V128 { 2 } else { 1 }
}

/// The cells a sequence of values takes.
pub(crate) fn cells_of(types: &[ValType]) -> usize {
    types.iter().map(|&t| cell_width(t)).sum()
}

/// The most host → wasm → host nestings before a call traps as stack exhaustion; each nesting
/// uses native stack.
const MAX_NESTING: u32 = 100;

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
    nesting: u32,
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
            nesting: 0,
        }
    }
}

/// Where a store's stack stood when a call from the host entered it: the first free cell and
/// frame and the nesting depth. [`EnteredCall`] puts them back when the call ends.
struct StackMark {
    top: usize,
    frames_top: usize,
    nesting: u32,
}

/// A call from the host into wasm on `store`'s stack, counted in its nesting depth. Dropping it
/// puts the stack back where it stood before the call, however the call ended: by returning, by
/// trapping, or by a panicking host function unwinding through the interpreter to an embedder's
/// `catch_unwind`. (The host calls of `calls.rs` raise `top` and `frames_top` for a nested run
/// and put them back when the host function returns; when it unwinds instead, the unwinding
/// passes through the `EnteredCall` of the run that made the host call, which puts them back.)
struct EnteredCall<'a> {
    store: &'a mut dyn StoreOps,
    mark: StackMark,
}

impl<'a> EnteredCall<'a> {
    /// Records where the stack stands and counts one more nesting.
    fn enter(store: &'a mut dyn StoreOps) -> EnteredCall<'a> {
        let stack = &mut store.inner().stack;
        let mark = StackMark {
            top: stack.top,
            frames_top: stack.frames_top,
            nesting: stack.nesting,
        };
        stack.nesting += 1;
        EnteredCall { store, mark }
    }
}

impl Drop for EnteredCall<'_> {
    fn drop(&mut self) {
        let stack = &mut self.store.inner().stack;
        stack.top = self.mark.top;
        stack.frames_top = self.mark.frames_top;
        stack.nesting = self.mark.nesting;
    }
}

/// Calls store function `func` with arguments already checked against its type.
pub(crate) fn call(
    store: &mut dyn StoreOps,
    func: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let inner = store.inner();
    let (instance, index, ty) = match &inner.funcs[func as usize] {
        FuncEntity::Host { host, .. } => {
            let host = *host;
            return store.call_host(host, None, params, results);
        }
        FuncEntity::Wasm {
            instance,
            index,
            ty,
            ..
        } => (*instance, *index, ty.clone()),
    };
    let stack = &mut inner.stack;
    if stack.nesting >= MAX_NESTING {
        return Err(Trap::StackOverflow.into());
    }
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
    for (p, &t) in params.iter().zip(ty.params()) {
        let cells = p.to_cells(inner);
        let w = cell_width(t);
        inner.stack.cells[at..at + w].copy_from_slice(&cells[..w]);
        at += w;
    }
    let entered = EnteredCall::enter(store);
    // SAFETY: the cells from `base` on belong to this call; `run` keeps within the stack.
    let outcome = unsafe { run::run(&mut *entered.store, instance, index, base) };
    outcome?;
    let inner = entered.store.inner();
    let mut at = base;
    for (r, &t) in results.iter_mut().zip(ty.results()) {
        let mut cells = [0; 2];
        let w = cell_width(t);
        cells[..w].copy_from_slice(&inner.stack.cells[at..at + w]);
        *r = Val::from_cells(t, cells, inner);
        at += w;
    }
    Ok(())
}
