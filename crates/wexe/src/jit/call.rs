//! Calls from the host into compiled code: arguments through the type's array entry, a stack
//! limit for the outermost entry, and traps turned into errors holding a [`Trap`] and a
//! [`WasmBacktrace`] found by walking the frame-pointer chain of the compiled frames.

use anyhow::Result;
use wexe_environ::TrapCode;

use super::store::{fuel_from_code, fuel_to_code, sync};
use crate::Trap;
use crate::store::{FuncEntity, StoreInner, StoreOps};
use crate::trap::{FrameInfo, WasmBacktrace};
use crate::values::Val;
use crate::vm::traps::{self, TrapSite};

/// The most host → wasm → host nestings.
const MAX_NESTING: u32 = 100;
/// Stack kept free below compiled code for host functions and the signal handler.
const STACK_MARGIN: usize = 256 << 10;

/// The lowest address compiled code may use on this thread's stack.
fn stack_limit(max_wasm_stack: usize) -> usize {
    let here = &max_wasm_stack as *const usize as usize;
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
    let by_config = here.saturating_sub(max_wasm_stack);
    let by_thread = if low == 0 {
        here.saturating_sub(1 << 20)
    } else {
        low + STACK_MARGIN
    };
    by_config.max(by_thread)
}

/// Calls store function `func` with arguments already checked against its type.
pub(crate) fn call(
    store: &mut dyn StoreOps,
    func: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    // The pointer is only used by builtins while this call runs, within the store's borrow.
    // SAFETY: erasing the borrow's lifetime; see above.
    let ptr = unsafe {
        std::mem::transmute::<*mut (dyn StoreOps + '_), *mut (dyn StoreOps + 'static)>(store)
    };
    // SAFETY: `ptr` is the store we were lent.
    let inner = unsafe { (*ptr).inner() };
    let (instance, index) = match &inner.funcs[func as usize] {
        FuncEntity::Host { host, .. } => {
            let host = *host;
            // SAFETY: as above; `inner` is not used again.
            return unsafe { (*ptr).call_host(host, None, params, results) };
        }
        FuncEntity::Wasm {
            instance, index, ..
        } => (*instance, *index),
    };
    if inner.jit.depth >= MAX_NESTING {
        return Err(Trap::StackOverflow.into());
    }
    sync(inner);
    let module = inner.instances[instance as usize].module.clone();
    let jm = module
        .inner
        .jit
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the module was not compiled for the JIT"))?;
    let info = module.info();
    let def = index as usize - info.num_imported_funcs;
    let entry = jm.array_entry(info.funcs[index as usize] as usize);
    let fn_ptr = jm.func_ptr(def);
    let vmctx = inner.jit.vmctx(instance);
    let mut values = vec![[0u64; 2]; params.len().max(results.len())];
    for (v, p) in values.iter_mut().zip(params) {
        *v = p.to_cells(inner);
    }
    let outer = inner.jit.depth == 0;
    let saved_limit = inner.jit.ctx.vm.stack_limit;
    if outer {
        inner.jit.ctx.vm.stack_limit = stack_limit(inner.engine.config().max_wasm_stack);
    }
    inner.jit.depth += 1;
    inner.jit.ctx.store = Some(ptr);
    fuel_to_code(inner);
    // SAFETY: the array entry of the function's type, with the function's own vmctx and a value
    // array large enough for its parameters and results.
    let entry: extern "C" fn(*mut u8, *const u8, *mut [u64; 2]) =
        unsafe { std::mem::transmute(entry) };
    let values_ptr = values.as_mut_ptr();
    let outcome = traps::catch(|| entry(vmctx, fn_ptr, values_ptr));
    // SAFETY: the call is over; `store` is ours again.
    let inner = unsafe { (*ptr).inner() };
    fuel_from_code(inner);
    inner.jit.depth -= 1;
    if outer {
        inner.jit.ctx.vm.stack_limit = saved_limit;
    }
    sync(inner);
    if let Err(site) = outcome {
        return Err(trap_error(inner, &site));
    }
    let ty = inner.funcs[func as usize].ty().clone();
    for ((r, t), v) in results.iter_mut().zip(ty.results()).zip(&values) {
        *r = Val::from_cells(*t, *v, inner);
    }
    Ok(())
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

/// The error for a trap at `site`: the trap of the code recorded for its pc, or the error a
/// builtin recorded (a panic it caught is resumed here). A fault at a pc without a trap code,
/// or a builtin's trap without a recorded error, is an internal error that says so, never a
/// trap of some plausible kind.
fn trap_error(inner: &mut StoreInner, site: &TrapSite) -> anyhow::Error {
    if site.signal == 0 {
        // A builtin ended the activation (an uncaught exception): its error says it all.
        if let Some(panic) = inner.jit.pending_panic.take() {
            std::panic::resume_unwind(panic);
        }
        return inner.jit.pending.take().unwrap_or_else(|| {
            anyhow::anyhow!("internal error: a builtin ended compiled code without recording why")
        });
    }
    let code = find_module(inner, site.pc).and_then(|m| {
        let jm = m.inner.jit.as_ref()?;
        jm.trap_at(site.pc)
    });
    let Some(code) = code else {
        return anyhow::anyhow!(
            "internal error: compiled code raised signal {} at {:#x}, which has no trap code",
            site.signal,
            site.pc
        );
    };
    let trap = match trap_kind(code) {
        Some(trap) => trap,
        None => {
            if let Some(panic) = inner.jit.pending_panic.take() {
                std::panic::resume_unwind(panic);
            }
            let Some(err) = inner.jit.pending.take() else {
                return anyhow::anyhow!(
                    "internal error: a builtin trapped at {:#x} without recording why",
                    site.pc
                );
            };
            match err.downcast_ref::<Trap>() {
                Some(&t) => t,
                None => return err,
            }
        }
    };
    anyhow::Error::new(trap).context(backtrace(inner, site))
}

pub(super) fn find_module(inner: &StoreInner, pc: usize) -> Option<crate::Module> {
    let mut last: Option<*const ()> = None;
    for inst in &inner.instances {
        let p = std::sync::Arc::as_ptr(&inst.module.inner) as *const ();
        if last == Some(p) {
            continue;
        }
        last = Some(p);
        if inst
            .module
            .inner
            .jit
            .as_ref()
            .is_some_and(|j| j.contains(pc))
        {
            return Some(inst.module.clone());
        }
    }
    None
}

fn frame_info(inner: &StoreInner, pc: usize) -> Option<FrameInfo> {
    let module = find_module(inner, pc)?;
    let (def, offset) = module.inner.jit.as_ref()?.wasm_location(pc)?;
    let func_index = (def + module.info().num_imported_funcs) as u32;
    Some(FrameInfo {
        module_name: module.name().map(str::to_string),
        func_index,
        func_name: module.info().func_name(func_index).map(str::to_string),
        module_offset: offset.map(|o| o as usize),
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
