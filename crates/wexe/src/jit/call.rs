//! The JIT's part of the one entry from the host (`store/entry.rs`): running a function on its
//! value slots through the type's array entry, a stack limit for the outermost entry, and traps turned into errors holding a [`Trap`] and a
//! [`WasmBacktrace`] found by walking the frame-pointer chain of the compiled frames.

use anyhow::Result;
use wexe_environ::TrapCode;

use super::store::{fuel_from_code, fuel_to_code, sync};
use crate::Trap;
use crate::store::{StoreInner, StoreOps};
use crate::trap::{FrameInfo, WasmBacktrace};
use crate::vm::traps::{self, TrapSite};

/// Stack kept free below compiled code for host functions and the signal handler.
const STACK_MARGIN: usize = 256 << 10;

thread_local! {
    /// The lowest address of this thread's stack (0 until asked, 1 when it cannot be known):
    /// asked once per thread, since `pthread_getattr_np` is slow (it reads `/proc/self/maps`
    /// for the main thread).
    static STACK_LOW: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The lowest address of the calling thread's stack, or 0 when it cannot be known.
fn thread_stack_low() -> usize {
    let known = STACK_LOW.with(|c| c.get());
    if known != 0 {
        return if known == 1 { 0 } else { known };
    }
    let mut low = 0usize;
    // SAFETY: querying the calling thread's own attributes into zeroed storage.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
            let mut addr: *mut libc::c_void = std::ptr::null_mut();
            let mut size = 0usize;
            if libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0 {
                low = addr as usize;
            }
            libc::pthread_attr_destroy(&mut attr);
        }
    }
    STACK_LOW.with(|c| c.set(if low == 0 { 1 } else { low }));
    low
}

/// The lowest address compiled code may use on this thread's stack.
fn stack_limit(max_wasm_stack: usize) -> usize {
    let here = &max_wasm_stack as *const usize as usize;
    let low = thread_stack_low();
    let by_config = here.saturating_sub(max_wasm_stack);
    let by_thread = if low == 0 {
        here.saturating_sub(1 << 20)
    } else {
        low + STACK_MARGIN
    };
    by_config.max(by_thread)
}

/// Runs wasm function `index` of `instance` with its arguments in `values` (one 16-byte slot
/// per value), leaving its results there: the JIT's part of the one entry (`store/entry.rs`).
/// Calls the function through its type's array entry, with a stack limit set for the
/// outermost entry, and turns a trap into an error holding a [`Trap`] and a [`WasmBacktrace`].
///
/// # Safety
/// `values` must be valid for reads of the parameters and writes of the results.
pub(crate) unsafe fn run_on_slots(
    store: &mut dyn StoreOps,
    instance: u32,
    index: u32,
    _ty: &wexe_environ::FuncType,
    values: *mut [u64; 2],
) -> Result<()> {
    let module = store.inner().instances[instance as usize].module.clone();
    let (entry, fn_ptr) = code_of(&module, index)?;
    // SAFETY: forwarded from the caller; the code is the function's.
    unsafe { run_code(store, instance, entry, fn_ptr, values) }
}

/// Runs machine code `fn_ptr` of `instance` through the array entry `entry` of its type on
/// `values`: [`run_on_slots`], and tier-up's on-stack-replacement entries.
///
/// # Safety
/// `entry` is the array entry of `fn_ptr`'s type, `fn_ptr` code of `instance`'s module, and
/// `values` valid for reads of its parameters and writes of its results.
pub(crate) unsafe fn run_code(
    store: &mut dyn StoreOps,
    instance: u32,
    entry: *const u8,
    fn_ptr: *const u8,
    values: *mut [u64; 2],
) -> Result<()> {
    // The pointer is only used by builtins while this call runs, within the store's borrow.
    // SAFETY: erasing the borrow's lifetime; see above.
    let ptr = unsafe {
        std::mem::transmute::<*mut (dyn StoreOps + '_), *mut (dyn StoreOps + 'static)>(store)
    };
    // SAFETY: `ptr` is the store we were lent.
    let inner = unsafe { (*ptr).inner() };
    sync(inner);
    if inner.instances[instance as usize]
        .module
        .inner
        .tiered
        .is_some()
    {
        super::store::prepare_tiered(inner, instance)?;
    }
    let vmctx = inner.jit.vmctx(instance);
    // No stack limit yet: no compiled code is active on this thread's stack.
    let outer = inner.jit.ctx.vm.stack_limit == 0;
    let saved_limit = inner.jit.ctx.vm.stack_limit;
    if outer {
        inner.jit.ctx.vm.stack_limit = stack_limit(inner.engine.config().max_wasm_stack);
    }
    let saved_store = inner.jit.ctx.store.replace(ptr);
    fuel_to_code(inner);
    // SAFETY: the array entry of the function's type, with the function's own vmctx and a value
    // array large enough for its parameters and results (the caller's promise).
    let entry: extern "C" fn(*mut u8, *const u8, *mut [u64; 2]) =
        unsafe { std::mem::transmute(entry) };
    let outcome = traps::catch(|| entry(vmctx, fn_ptr, values));
    // SAFETY: the call is over; `store` is ours again.
    let inner = unsafe { (*ptr).inner() };
    fuel_from_code(inner);
    inner.jit.ctx.store = saved_store;
    if outer {
        inner.jit.ctx.vm.stack_limit = saved_limit;
    }
    sync(inner);
    match outcome {
        Ok(()) => Ok(()),
        Err(site) => Err(trap_error(inner, &site)),
    }
}

/// The array entry of function `index`'s type and its machine code: the module's, or
/// tier-up's once compiled.
fn code_of(module: &crate::Module, index: u32) -> Result<(*const u8, *const u8)> {
    let info = module.info();
    let def = index as usize - info.num_imported_funcs;
    let type_index = info.funcs[index as usize] as usize;
    if let Some(jm) = &module.inner.jit {
        return Ok((jm.array_entry(type_index), jm.func_ptr(def)));
    }
    let tiered = module.inner.tiered.as_ref();
    match tiered.and_then(|t| Some((t.trampolines()?, t.code(def)?))) {
        Some((trampolines, code)) => Ok((trampolines.array_entry(type_index), code)),
        None => anyhow::bail!("internal error: function {index} has no machine code"),
    }
}

/// The kind of trap compiled code raised with `code`. Every code has its kind except
/// `Libcall`, which says that a builtin failed: the error it recorded in the store tells what
/// happened (see [`trap_error`]).
fn trap_kind(code: TrapCode) -> Option<Trap> {
    Some(match code {
        TrapCode::StackOverflow => Trap::StackOverflow,
        TrapCode::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => Trap::TableOutOfBounds,
        TrapCode::IndirectCallToNull => Trap::UninitializedElement,
        TrapCode::BadSignature => Trap::IndirectCallTypeMismatch,
        TrapCode::UndefinedElement => Trap::UndefinedElement,
        TrapCode::IntegerOverflow => Trap::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger => Trap::BadConversionToInteger,
        TrapCode::OutOfFuel => Trap::OutOfFuel,
        TrapCode::Unsupported => Trap::Unsupported,
        TrapCode::Interrupt => Trap::Interrupt,
        TrapCode::NullReference => Trap::NullReference,
        TrapCode::Unreachable => Trap::Unreachable,
        TrapCode::Libcall => return None,
    })
}

/// The error for a trap at `site`: the trap of the code recorded for its pc, or, for the
/// `Libcall` code and for a builtin that ended the activation itself (no signal), the error
/// the builtin recorded (see [`builtin_error`]). A fault at a pc without a trap code is an
/// internal error that says so, never a trap of some plausible kind.
fn trap_error(inner: &mut StoreInner, site: &TrapSite) -> anyhow::Error {
    if site.signal == 0 {
        return builtin_error(inner, site);
    }
    let code = code_at(inner, site.pc, |_, jm| jm.trap_at(site.pc));
    let Some(code) = code else {
        return anyhow::anyhow!(
            "internal error: compiled code raised signal {} at {:#x}, which has no trap code",
            site.signal,
            site.pc
        );
    };
    match trap_kind(code) {
        Some(trap) => anyhow::Error::new(trap).context(backtrace(inner, site)),
        None => builtin_error(inner, site),
    }
}

/// The error a builtin recorded before compiled code left at `site`: a trap (raised by the
/// host, or by a nested interpreter run under tier-up, whose frames come first) gets the
/// backtrace of `site`; any other error (a host's exit or error, an uncaught exception with
/// its own backtrace, a panic the entry resumes) is returned as it is. None recorded is an
/// internal error that says so.
fn builtin_error(inner: &mut StoreInner, site: &TrapSite) -> anyhow::Error {
    let Some(err) = inner.jit.pending.take() else {
        return anyhow::anyhow!(
            "internal error: a builtin ended compiled code at {:#x} without recording why",
            site.pc
        );
    };
    crate::trap::below_frames(err, || backtrace(inner, site))
}

/// `f` of the module of the store whose machine code contains `pc`, and that code (the whole
/// module's, or tier-up's function or trampolines).
pub(super) fn code_at<R>(
    inner: &StoreInner,
    pc: usize,
    f: impl FnOnce(&crate::Module, &super::JitModule) -> Option<R>,
) -> Option<R> {
    let mut last: Option<*const ()> = None;
    for inst in &inner.instances {
        let p = std::sync::Arc::as_ptr(&inst.module.inner) as *const ();
        if last == Some(p) {
            continue;
        }
        last = Some(p);
        let module = &inst.module;
        if let Some(jm) = module.inner.jit.as_ref().filter(|j| j.contains(pc)) {
            return f(module, jm);
        }
        if let Some(t) = &module.inner.tiered {
            if let Some(chunk) = t.chunk_containing(pc) {
                return f(module, &chunk);
            }
            if let Some(jm) = t.trampolines().filter(|j| j.contains(pc)) {
                return f(module, jm);
            }
        }
    }
    None
}

fn frame_info(inner: &StoreInner, pc: usize) -> Option<FrameInfo> {
    code_at(inner, pc, |module, jm| {
        let (def, offset) = jm.wasm_location(pc)?;
        let func_index = (def + module.info().num_imported_funcs) as u32;
        Some(FrameInfo::of(
            module,
            func_index,
            offset.map(|o| o as usize),
        ))
    })
}

/// The wasm frames of a trap, innermost first.
pub(super) fn backtrace(inner: &StoreInner, site: &TrapSite) -> WasmBacktrace {
    let (rets, omitted) = site.return_addresses();
    let mut bt = WasmBacktrace {
        omitted,
        ..WasmBacktrace::default()
    };
    for pc in std::iter::once(site.pc).chain(rets) {
        if let Some(f) = frame_info(inner, pc) {
            bt.frames.push(f);
        }
    }
    bt
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Engine, Store, Tier};

    fn jit_store() -> Store<()> {
        let mut config = Config::new();
        config.tier(Tier::Jit);
        Store::new(&Engine::new(&config).unwrap(), ())
    }

    #[test]
    fn a_fault_where_no_trap_code_is_recorded_is_an_internal_error() {
        let mut store = jit_store();
        for signal in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL] {
            let err = trap_error(&mut store.inner, &TrapSite::at(0x1000, signal));
            assert_eq!(err.downcast_ref::<Trap>(), None, "signal {signal}: {err:?}");
            let text = err.to_string();
            assert!(
                text.starts_with("internal error:") && text.contains("no trap code"),
                "{text}"
            );
        }
    }

    #[test]
    fn every_trap_code_has_its_own_kind_but_libcall_has_none() {
        let codes: Vec<TrapCode> = TrapCode::ALL
            .into_iter()
            .filter(|&c| c != TrapCode::Libcall)
            .collect();
        let kinds: std::collections::HashSet<Trap> =
            codes.iter().map(|&c| trap_kind(c).unwrap()).collect();
        assert_eq!(kinds.len(), codes.len(), "two codes share a kind");
        assert_eq!(trap_kind(TrapCode::Unreachable), Some(Trap::Unreachable));
        assert_eq!(trap_kind(TrapCode::Libcall), None);
    }
}
