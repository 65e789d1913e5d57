//! The state of one run of the interpreter ([`Cx`]): the store, the suspended callers, the
//! current function and instance, and how the run ended. Handlers reach it through a pointer
//! passed in a register alongside the instruction pointer, the frame pointer and the memory.

use std::ptr;

use anyhow::{Result, anyhow};

use crate::Trap;
use crate::interp::BytecodeFunc;
use crate::interp::Threaded;
use crate::module::Module;
use crate::store::{StoreInner, StoreOps};

pub(crate) type Ip = *const Threaded;
pub(crate) type Fp = *mut u64;

/// A suspended caller (four words, stored in the store's frame array).
#[repr(C)]
pub(crate) struct CallFrame {
    pub ret_ip: Ip,
    pub fp: Fp,
    pub func: *const BytecodeFunc,
    pub instance: u32,
}

/// An instance's index space (store indices of its functions, tables, memories or tags, or pointers to its
/// globals' values), borrowed for a run without copying: these vectors never change after
/// instantiation, and their buffers stay put when the store's list of instances grows.
pub(crate) struct Indices<T = u32> {
    ptr: *const T,
    len: usize,
}

impl<T> Indices<T> {
    fn of(v: &[T]) -> Indices<T> {
        Indices {
            ptr: v.as_ptr(),
            len: v.len(),
        }
    }

    /// The entry at `i`, which validation guarantees is in range.
    #[inline(always)]
    pub unsafe fn get_unchecked(&self, i: usize) -> &T {
        debug_assert!(i < self.len);
        // SAFETY: see the type's comment; `i` is in range.
        unsafe { &*self.ptr.add(i) }
    }
}

/// What the handlers need of the current instance, reloaded when execution moves to another.
pub(crate) struct InstCtx {
    pub instance: u32,
    pub module: Module,
    pub num_imported_funcs: u32,
    pub funcs: Indices,
    pub tables: Indices,
    pub tags: Indices,
    pub memories: Indices,
    /// Memory 0's store index (`u32::MAX` when there is none), whose base and length the
    /// handlers keep in registers.
    pub memory: u32,
    pub mem_base: *mut u8,
    pub mem_len: usize,
    pub globals: Indices<*mut u64>,
}

impl InstCtx {
    pub fn load(inner: &mut StoreInner, instance: u32) -> InstCtx {
        let inst = &inner.instances[instance as usize];
        let mut ctx = InstCtx {
            instance,
            module: inst.module.clone(),
            num_imported_funcs: inst.module.info().num_imported_funcs as u32,
            funcs: Indices::of(&inst.funcs),
            tables: Indices::of(&inst.tables),
            tags: Indices::of(&inst.tags),
            memories: Indices::of(&inst.memories),
            memory: inst.memories.first().copied().unwrap_or(u32::MAX),
            mem_base: ptr::null_mut(),
            mem_len: 0,
            globals: Indices::of(&inst.global_values.0),
        };
        ctx.refresh_memory(inner);
        ctx
    }

    /// Re-reads the memory's address and size (after anything that may have grown it).
    pub fn refresh_memory(&mut self, inner: &mut StoreInner) {
        if let Some(m) = inner.memories.get_mut(self.memory as usize) {
            self.mem_base = m.base();
            self.mem_len = m.len();
        }
    }

    /// The bytecode of defined function `func_index` if it is translated already, else null.
    #[inline(always)]
    pub fn compiled_fast(&self, func_index: u32) -> *const BytecodeFunc {
        let def = (func_index - self.num_imported_funcs) as usize;
        match self.module.inner.compiled.get(def).and_then(|f| f.get()) {
            Some(Ok(f)) => f,
            _ => ptr::null(),
        }
    }

    /// The bytecode of defined function `func_index` of this instance's module, translating it
    /// on first use.
    #[cold]
    pub fn compiled(&self, func_index: u32) -> Result<*const BytecodeFunc> {
        let def = (func_index - self.num_imported_funcs) as usize;
        match self.module.compiled(def) {
            Ok(f) => Ok(f as *const BytecodeFunc),
            Err(e) => Err(anyhow!("cannot translate function {func_index}: {e}")),
        }
    }
}

/// The registers of the loop dispatch between two instructions.
#[derive(Clone, Copy)]
#[cfg_attr(wexe_tail_dispatch, allow(dead_code))]
pub(crate) struct Regs {
    pub ip: Ip,
    pub fp: Fp,
    pub mem: *mut u8,
    pub len: usize,
    pub acc: u64,
}

/// One run of the interpreter.
pub(crate) struct Cx {
    pub store: *mut dyn StoreOps,
    pub inner: *mut StoreInner,
    pub cells: Fp,
    pub cells_end: Fp,
    /// This run's suspended callers: `frames_base..frames_top`, room up to `frames_end`.
    pub frames_base: *mut CallFrame,
    pub frames_top: *mut CallFrame,
    pub frames_end: *mut CallFrame,
    pub func: *const BytecodeFunc,
    pub inst: InstCtx,
    /// Set when the run ends in a trap: the trap and the instruction that raised it.
    pub trap: Option<(Trap, Ip)>,
    /// Set when the run ends in an error that is not a trap (from a host function).
    pub error: Option<anyhow::Error>,
    /// How the run ended, when a call helper ended it.
    pub exit: Exit,
    /// Whether `Check` consumes fuel (from the store's counter).
    pub consume_fuel: bool,
    #[cfg_attr(wexe_tail_dispatch, allow(dead_code))]
    pub regs: Regs,
}

/// How a handler ended the run (or, for the loop dispatch, that it did not).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum Exit {
    Done,
    Trap,
    Error,
    #[cfg_attr(wexe_tail_dispatch, allow(dead_code))]
    Continue,
}

const _: () = assert!(size_of::<CallFrame>() == size_of::<[u64; 4]>());

impl Cx {
    /// The suspended callers of this run, outermost first.
    pub fn frames(&self) -> &[CallFrame] {
        // SAFETY: `frames_base..frames_top` are initialised frames of this run.
        unsafe {
            std::slice::from_raw_parts(
                self.frames_base,
                self.frames_top.offset_from(self.frames_base) as usize,
            )
        }
    }

    /// Moves execution to `instance`.
    pub unsafe fn switch_instance(&mut self, instance: u32) {
        // SAFETY: `inner` is valid for the whole run.
        self.inst = InstCtx::load(unsafe { &mut *self.inner }, instance);
    }
}

/// Ends the run with `trap` raised at `ip`.
#[cold]
#[inline(never)]
pub(super) unsafe fn trap(cx: *mut Cx, trap: Trap, ip: Ip) -> Exit {
    unsafe { (*cx).trap = Some((trap, ip)) };
    Exit::Trap
}

/// Ends the run with an error.
#[cold]
#[inline(never)]
pub(super) unsafe fn error(cx: *mut Cx, e: anyhow::Error) -> Exit {
    unsafe { (*cx).error = Some(e) };
    Exit::Error
}
