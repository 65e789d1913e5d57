//! **The one entry from the host into wasm**, for both tiers: `Func::call`, `TypedFunc::call`
//! and instantiation's start function all come through [`call_func`]. It converts the arguments into
//! one 16-byte value slot each (on the native stack for up to [`INLINE_VALS`] parameters or
//! results, so a call allocates nothing), counts the host → wasm nesting, hands the slots to the
//! engine's tier to run the function ([`RunWasm`]: the interpreter's `exec::run_on_slots`, the
//! JIT's `call::run_on_slots`), resumes a host function's panic that the run carried out
//! ([`HostPanic`]), and converts the results.
//!
//! A tier's run does only what is its own: setting up its stacks, running, and turning a trap
//! into an error holding the [`crate::Trap`] and its [`crate::WasmBacktrace`].
//!
//! **Host panics**: wasm frames are never unwound (compiled frames cannot be). The host-call
//! path (`host_call.rs`) and the JIT's builtins catch a panic where the host's code is called
//! and return it as a [`HostPanic`] error, which leaves wasm like a trap; when it reaches the
//! entry, the entry resumes the unwinding with the original payload, so an embedder's
//! `catch_unwind` around the call (or an enclosing host function's own host-call path, for
//! nested wasm → host → wasm → host calls) sees the panic as if nothing had been in between.

use std::any::Any;
use std::sync::Mutex;

use anyhow::Result;
use wexe_environ::FuncType;

use crate::Trap;
use crate::store::host_call::INLINE_VALS;
use crate::store::{FuncEntity, StoreOps};
use crate::values::Val;

/// The most host → wasm → host nestings before a call traps as stack exhaustion; each nesting
/// uses native stack.
const MAX_NESTING: u32 = 100;

/// How a tier runs wasm function `index` of `instance` (of type `ty`) with its arguments in
/// `slots` (one 16-byte slot per value, a v128 in both halves, others in the first), leaving
/// its results there. A trap comes back as an error holding the trap and its backtrace.
///
/// # Safety
/// `slots` must be valid for reads of the parameters and writes of the results.
pub(crate) type RunWasm = unsafe fn(
    store: &mut dyn StoreOps,
    instance: u32,
    index: u32,
    ty: &FuncType,
    slots: *mut [u64; 2],
) -> Result<()>;

/// Calls store function `func` with arguments already checked against its type, and room for
/// exactly its results.
pub(crate) fn call_func(
    store: &mut dyn StoreOps,
    func: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let inner = store.inner();
    let (instance, index, ty) = match &inner.funcs[func as usize] {
        FuncEntity::Host { host, .. } => {
            let host = *host;
            // No wasm frame is in between: a panic unwinds straight to the embedder.
            return store.call_host(host, None, params, results);
        }
        FuncEntity::Wasm {
            instance, index, ..
        } => (*instance, *index, inner.func_type(func).clone()),
    };
    if inner.nesting >= MAX_NESTING {
        return Err(Trap::StackOverflow.into());
    }
    // A module compiled whole runs its machine code (the JIT tier, or a compiled module loaded
    // under tier-up); otherwise a call starts interpreted, and under tier-up the callee's
    // entry goes on in machine code if it has some.
    let run: RunWasm = if inner.instances[instance as usize]
        .module
        .inner
        .jit
        .is_some()
    {
        crate::jit::run_on_slots
    } else {
        crate::interp::run_on_slots
    };
    let mut buf = ValueSlots::new();
    let slots = buf.take(params.len().max(results.len()));
    for (s, p) in slots.iter_mut().zip(params) {
        *s = p.to_cells(inner);
    }
    inner.nesting += 1;
    let nested = Nested(store);
    // SAFETY: `slots` holds a slot for every parameter and every result.
    let outcome = unsafe { run(&mut *nested.0, instance, index, &ty, slots.as_mut_ptr()) };
    if let Err(err) = outcome {
        drop(nested);
        return Err(resume_host_panic(err));
    }
    let inner = nested.0.inner();
    for ((r, &t), &s) in results.iter_mut().zip(ty.results()).zip(slots.iter()) {
        *r = Val::from_cells(t, s, inner);
    }
    Ok(())
}

/// Room for a call's value slots: on the native stack for up to [`INLINE_VALS`] values, so
/// that a call allocates nothing; on the heap beyond.
pub(crate) struct ValueSlots {
    inline: [[u64; 2]; INLINE_VALS],
    heap: Vec<[u64; 2]>,
}

impl ValueSlots {
    pub fn new() -> ValueSlots {
        ValueSlots {
            inline: [[0; 2]; INLINE_VALS],
            heap: Vec::new(),
        }
    }

    /// `n` zeroed slots.
    pub fn take(&mut self, n: usize) -> &mut [[u64; 2]] {
        if n <= INLINE_VALS {
            &mut self.inline[..n]
        } else {
            self.heap.resize(n, [0; 2]);
            &mut self.heap
        }
    }
}

/// Counts one host → wasm nesting off again when dropped, however the run ended (a panic that
/// escaped the host-call path, such as a resource limiter's in the interpreter, unwinds
/// through here too).
struct Nested<'a>(&'a mut dyn StoreOps);

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        self.0.inner().nesting -= 1;
    }
}

/// Resumes the unwinding of the host panic `err` carries; any other error is returned.
fn resume_host_panic(err: anyhow::Error) -> anyhow::Error {
    if let Some(payload) = err.downcast_ref::<HostPanic>().and_then(HostPanic::take) {
        std::panic::resume_unwind(payload);
    }
    err
}

/// A panic of host code called from wasm, carried out of wasm as an error (see the module's
/// documentation); the entry takes the payload out and resumes the panic.
pub(crate) struct HostPanic(Mutex<Option<Box<dyn Any + Send>>>);

impl HostPanic {
    /// The error carrying `payload`.
    pub(crate) fn error(payload: Box<dyn Any + Send>) -> anyhow::Error {
        anyhow::Error::new(HostPanic(Mutex::new(Some(payload))))
    }

    /// Runs host code `f`, returning a panic of it as a [`HostPanic`] error.
    pub(crate) fn catch<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|payload| Err(HostPanic::error(payload)))
    }

    fn take(&self) -> Option<Box<dyn Any + Send>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl std::fmt::Debug for HostPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostPanic")
    }
}

impl std::fmt::Display for HostPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a host function called from wasm panicked")
    }
}

impl std::error::Error for HostPanic {}
