//! [`Store<T>`]: owns every runtime entity (functions, memories, tables, globals, instances,
//! extern references, tags and exception objects) in arenas addressed by small typed handles, plus the host's data `T`.
//!
//! Handles ([`crate::Func`], [`crate::Memory`], ...) carry the id of their store; using one with
//! another store is a programming error and panics.

pub(crate) mod bulk;
mod context;
mod entities;
mod entry;
mod exn;
mod grow;
mod host_call;
mod interrupt;

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;

pub use context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
pub(crate) use entities::{FuncEntity, GlobalEntity, InstanceEntity, TableEntity};
pub(crate) use entry::{HostPanic, ValueSlots, call_func};
pub use exn::ThrownException;
pub(crate) use exn::{ExnArena, TagEntity, thrown_by_host, uncaught};
pub(crate) use grow::{check_counts, grow_memory, grow_table, new_memory, new_table};
pub(crate) use host_call::{INLINE_VALS, ValueCells, call_host};
pub(crate) use interrupt::InterruptState;
pub use interrupt::{InterruptHandle, InterruptWaiter};

use crate::Engine;
use crate::func::{Caller, HostFn, HostFunc};
use crate::interp::exec::ExecStack;
use crate::limits::ResourceLimiter;
use crate::values::Val;
use crate::vm::LinearMemory;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The part of a store that does not depend on the host data type.
pub(crate) struct StoreInner {
    pub id: u64,
    pub engine: Engine,
    pub funcs: Vec<FuncEntity>,
    /// The signature of each host function (by `FuncEntity::Host::host`).
    pub host_types: Vec<wexe_environ::FuncType>,
    pub memories: Vec<LinearMemory>,
    pub tables: Vec<TableEntity>,
    /// Boxed so that their addresses stay put while the interpreter holds pointers to them.
    #[allow(clippy::vec_box)]
    pub globals: Vec<Box<GlobalEntity>>,
    pub instances: Vec<InstanceEntity>,
    pub externrefs: Vec<Arc<dyn Any + Send + Sync>>,
    /// Exception tags (`store/exn.rs`).
    pub tags: Vec<TagEntity>,
    /// Exception objects and the pending exception (`store/exn.rs`).
    pub exns: ExnArena,
    pub stack: ExecStack,
    /// How many calls from the host into wasm are active (`entry.rs`).
    pub nesting: u32,
    /// Fuel left, when the engine consumes fuel.
    pub fuel: u64,
    /// Set by an [`InterruptHandle`]; checked when the engine is interruptible.
    pub interrupt: Arc<InterruptState>,
    /// What compiled code reads (JIT tier only).
    pub jit: crate::jit::JitStore,
}

/// An interpreter stack a dropped store of `engine` left, when the engine pools.
fn reused_stack(engine: &Engine) -> Option<ExecStack> {
    engine.inner.memory_pool.as_ref()?;
    engine.inner.exec_stacks.lock().ok()?.pop()
}

impl Drop for StoreInner {
    fn drop(&mut self) {
        // With pooling, the next store takes this one's interpreter stack (no call is running,
        // so it is empty; a new call's frame sets every cell it reads before reading it).
        let max = self.engine.inner.config.memory_pool;
        if max == 0 || self.nesting != 0 {
            return;
        }
        let Ok(mut stacks) = self.engine.inner.exec_stacks.lock() else {
            return;
        };
        if stacks.len() < max {
            let config = &self.engine.inner.config;
            stacks.push(std::mem::replace(&mut self.stack, ExecStack::new(config)));
        }
    }
}

impl StoreInner {
    /// Panics unless a handle with `store_id` belongs to this store.
    pub fn check(&self, store_id: u64) {
        assert_eq!(
            store_id, self.id,
            "a handle was used with a store it does not belong to"
        );
    }

    /// The signature of store function `func`: a host function's own, a wasm function's from
    /// its instance's module (kept there once, not per function, so that instantiating a
    /// module of thousands of functions copies no signature).
    pub fn func_type(&self, func: u32) -> &wexe_environ::FuncType {
        match &self.funcs[func as usize] {
            FuncEntity::Host { host, .. } => &self.host_types[*host as usize],
            FuncEntity::Wasm {
                instance, index, ..
            } => {
                let info = self.instances[*instance as usize].module.info();
                info.signature(info.funcs[*index as usize])
            }
        }
    }
}

/// What the interpreter needs from a store: its entities, and a way to call host functions
/// (which need the typed store).
pub(crate) trait StoreOps {
    fn inner(&mut self) -> &mut StoreInner;
    /// The entities and the resource limiter, if one is installed (see `grow.rs`).
    fn limited(&mut self) -> (&mut StoreInner, Option<&mut dyn ResourceLimiter>);
    fn call_host(
        &mut self,
        host: u32,
        caller: Option<u32>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()>;
}

/// All WebAssembly state of one program: instances and their memories, tables and globals, plus
/// the host's data `T`, which host functions reach through [`Caller`].
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<HostFunc<T>>,
    limiter: Option<grow::LimiterFn<T>>,
    data: T,
}

impl<T: 'static> Store<T> {
    /// A new, empty store for `engine`, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let inner = StoreInner {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            funcs: Vec::new(),
            host_types: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            externrefs: Vec::new(),
            tags: Vec::new(),
            exns: ExnArena::default(),
            stack: reused_stack(engine).unwrap_or_else(|| ExecStack::new(engine.config())),
            nesting: 0,
            fuel: 0,
            interrupt: Arc::new(InterruptState::default()),
            jit: crate::jit::JitStore::new(),
        };
        Store {
            inner,
            host_funcs: Vec::new(),
            limiter: None,
            data,
        }
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Consumes the store and gives back the host data.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The engine this store belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Sets the fuel left for execution; an error unless the engine consumes fuel.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        if !self.inner.engine.config().consume_fuel {
            anyhow::bail!("fuel is not enabled: use `Config::consume_fuel(true)`");
        }
        self.inner.fuel = fuel;
        Ok(())
    }

    /// The fuel left; an error unless the engine consumes fuel.
    pub fn get_fuel(&self) -> Result<u64> {
        if !self.inner.engine.config().consume_fuel {
            anyhow::bail!("fuel is not enabled: use `Config::consume_fuel(true)`");
        }
        Ok(self.inner.fuel)
    }

    /// A handle that interrupts this store's running code; an error unless the engine is
    /// interruptible.
    pub fn interrupt_handle(&self) -> Result<InterruptHandle> {
        if !self.inner.engine.config().interruptible {
            anyhow::bail!("interruption is not enabled: use `Config::interruptible(true)`");
        }
        self.inner.interrupt.hand_out();
        Ok(InterruptHandle {
            state: self.inner.interrupt.clone(),
        })
    }
}

impl<T: 'static> StoreOps for Store<T> {
    fn inner(&mut self) -> &mut StoreInner {
        &mut self.inner
    }

    fn limited(&mut self) -> (&mut StoreInner, Option<&mut dyn ResourceLimiter>) {
        self.limited_parts()
    }

    fn call_host(
        &mut self,
        host: u32,
        caller: Option<u32>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        // Not cloning the `Arc` (an atomic increment and decrement per call): the function
        // lives as long as the store, since `host_funcs` only ever grows (a host function that
        // defines another may move the `Arc`s, never what they point to).
        let f: *const HostFn<T> = Arc::as_ptr(&self.host_funcs[host as usize]);
        // SAFETY: see above; the store outlives this call.
        let f = unsafe { &*f };
        f(
            Caller {
                store: self,
                instance: caller,
            },
            params,
            results,
        )
    }
}
