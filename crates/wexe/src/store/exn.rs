//! **The one home of exceptions** (exception handling, WebAssembly 3.0): tags, the store's arena
//! of exception objects, the pending exception a call ends with, and the error that carries it
//! out of wasm ([`ThrownException`]). Both tiers create exceptions and look them up here, host
//! functions throw through [`crate::Store::throw`], and a host call that ends with a thrown
//! exception is turned back into a throw in the calling wasm code by [`thrown_by_host`].
//!
//! An exception object is a tag (a store tag index) and its payload as raw value cells (a v128
//! takes two). An `exnref` value is the object's index + 1 (0 is null). Objects are reused, not
//! reallocated: one caught by `catch`/`catch_all` (which keep no reference) is freed at once, so
//! throwing and catching in a loop uses one object; one an `exnref` may still reach (caught by
//! `catch_ref`, the legacy `catch`, or handed to the host) lives as long as the store.

use std::fmt;

use wexe_environ::FuncType;

use crate::trap::WasmBacktrace;

/// A tag: the parameter types of its exceptions, and a name for messages.
pub(crate) struct TagEntity {
    pub ty: FuncType,
    /// The engine id of its type (a module's tag type may sit in a recursion group, so tag
    /// imports are matched by id, as functions are).
    pub type_id: u32,
    /// `module::name` of its export or import, the name section's name, or `tag N`.
    pub name: String,
}

/// One exception: its tag and payload cells.
pub(crate) struct ExnObject {
    pub tag: u32,
    pub payload: Vec<u64>,
    live: bool,
    /// Whether an `exnref` to it was ever made (wasm or host): then it is never reused.
    referenced: bool,
}

/// The store's exception objects, reused through a free list.
#[derive(Default)]
pub(crate) struct ExnArena {
    objects: Vec<ExnObject>,
    free: Vec<u32>,
    /// The exception the last call into wasm (or a host function) ended with, until the host
    /// takes it ([`crate::Store::take_pending_exception`]) or a wasm caller catches it.
    pub pending: Option<u32>,
}

impl ExnArena {
    /// A new exception of `tag` with `payload`; its index.
    pub fn alloc(&mut self, tag: u32, payload: &[u64]) -> u32 {
        match self.free.pop() {
            Some(i) => {
                let o = &mut self.objects[i as usize];
                o.tag = tag;
                o.payload.clear();
                o.payload.extend_from_slice(payload);
                o.live = true;
                o.referenced = false;
                i
            }
            None => {
                self.objects.push(ExnObject {
                    tag,
                    payload: payload.to_vec(),
                    live: true,
                    referenced: false,
                });
                (self.objects.len() - 1) as u32
            }
        }
    }

    /// Exception `i` as an `exnref` cell, which may be kept anywhere: the object is not reused.
    pub fn reference(&mut self, i: u32) -> u64 {
        self.objects[i as usize].referenced = true;
        i as u64 + 1
    }

    /// Gives exception `i` back for reuse, unless an `exnref` to it was made.
    pub fn free(&mut self, i: u32) {
        let o = &mut self.objects[i as usize];
        if o.live && !o.referenced {
            o.live = false;
            self.free.push(i);
        }
        if self.pending == Some(i) {
            self.pending = None;
        }
    }

    /// Exception `i`, which must be live.
    pub fn get(&self, i: u32) -> &ExnObject {
        let o = &self.objects[i as usize];
        debug_assert!(o.live, "exception {i} was freed");
        o
    }

    /// Exception objects in use (for tests of reuse).
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.objects.len() - self.free.len()
    }
}

/// The error a call ends with when a wasm exception was thrown and nothing caught it: from a
/// call into wasm, "uncaught wasm exception" naming the tag, with the wasm backtrace of where it
/// was thrown as context; from [`crate::Store::throw`] in a host function, the signal that the
/// host threw (return it from the host function, and the calling wasm code sees the exception).
///
/// The exception itself stays in the store: [`crate::Store::take_pending_exception`] gives it
/// to the host, which may inspect it ([`crate::ExnRef::tag`], [`crate::ExnRef::fields`]) and
/// throw it again with [`crate::Store::throw`]. A host function returning this error as it got
/// it from a nested call passes the exception on to its wasm caller, where it may be caught.
#[derive(Clone, Debug)]
pub struct ThrownException {
    /// The name of the exception's tag (`module::name` when it was imported or exported).
    pub tag_name: String,
}

impl fmt::Display for ThrownException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uncaught wasm exception (tag `{}`)", self.tag_name)
    }
}

impl std::error::Error for ThrownException {}

/// The error for exception `exn`, now the store's pending exception, leaving a run of wasm
/// code uncaught; `bt` is the wasm backtrace from where it was thrown, when known.
pub(crate) fn uncaught(
    inner: &mut super::StoreInner,
    exn: u32,
    bt: Option<WasmBacktrace>,
) -> anyhow::Error {
    if let Some(old) = inner.exns.pending.replace(exn)
        && old != exn
    {
        // The host never took the earlier one, so nothing refers to it any more.
        inner.exns.free(old);
    }
    let tag = inner.exns.get(exn).tag;
    let err = anyhow::Error::new(ThrownException {
        tag_name: inner.tags[tag as usize].name.clone(),
    });
    match bt {
        Some(bt) => err.context(bt),
        None => err,
    }
}

/// When a host call (or a nested call into wasm) ended with `err`: the exception it threw, if it
/// is one, taken from the store to be thrown on in the calling wasm code.
pub(crate) fn thrown_by_host(inner: &mut super::StoreInner, err: &anyhow::Error) -> Option<u32> {
    if err.downcast_ref::<ThrownException>().is_some() {
        inner.exns.pending.take()
    } else {
        None
    }
}
