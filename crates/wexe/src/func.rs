//! [`Func`]: a function handle (wasm or host), [`Caller`]: what a host function sees of its
//! caller, and [`IntoFunc`]: how Rust closures with typed parameters become host functions.

use std::sync::Arc;

use anyhow::{Result, bail};
use wexe_environ::FuncType;

use crate::Engine;
use crate::externals::Extern;
use crate::store::{AsContext, AsContextMut, FuncEntity, Store, StoreOps};
use crate::typed::{TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
use crate::values::Val;

/// A host function: untyped values in, untyped values out.
pub(crate) type HostFn<T> =
    dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static;

/// A host function as the store keeps it.
pub(crate) type HostFunc<T> = Arc<HostFn<T>>;

/// A function of a store: exported by an instance or defined by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Func {
    /// A host function with a dynamic signature: `f` gets the parameters and fills `results`.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        Func::from_host(store.as_context_mut().0, ty, Arc::new(f))
    }

    /// A host function from a closure with typed parameters and results, such as
    /// `|a: i32, b: i32| a + b` or `|caller: Caller<'_, T>, ptr: i32| -> Result<()> { .. }`.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = f.into_host_func();
        Func::from_host(store.as_context_mut().0, ty, host)
    }

    pub(crate) fn from_host<T: 'static>(
        store: &mut Store<T>,
        ty: FuncType,
        f: HostFunc<T>,
    ) -> Func {
        let type_id = store.inner.engine.type_id(&ty);
        Func::from_host_registered(store, ty, type_id, f)
    }

    /// [`Func::from_host`] with `ty`'s engine type id looked up already.
    pub(crate) fn from_host_registered<T: 'static>(
        store: &mut Store<T>,
        ty: FuncType,
        type_id: u32,
        f: HostFunc<T>,
    ) -> Func {
        store.host_funcs.push(f);
        let host = (store.host_funcs.len() - 1) as u32;
        let inner = &mut store.inner;
        inner.host_types.push(ty);
        inner.funcs.push(FuncEntity::Host { host, type_id });
        Func {
            store_id: inner.id,
            index: (inner.funcs.len() - 1) as u32,
        }
    }

    /// The function's signature.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        inner.func_type(self.index).clone()
    }

    /// Calls the function. `params` must match its parameter types and `results` must have room
    /// for exactly its results. Traps come back as errors holding a [`crate::Trap`].
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let store = store.as_context_mut().0;
        store.inner.check(self.store_id);
        let ty = store.inner.func_type(self.index).clone();
        if params.len() != ty.params().len() {
            bail!(
                "expected {} arguments, got {}",
                ty.params().len(),
                params.len()
            );
        }
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if !p.matches_ty(*t, &store.inner) {
                bail!("argument {i}: expected {t}, got {}", p.ty());
            }
            p.to_cells(&store.inner); // panics on a reference from another store
        }
        if results.len() != ty.results().len() {
            bail!(
                "expected room for {} results, got {}",
                ty.results().len(),
                results.len()
            );
        }
        crate::store::call_func(store as &mut dyn StoreOps, self.index, params, results)
    }

    /// This function with a static signature, checked now.
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>> {
        let ty = self.ty(store);
        if ty.params() != P::types().as_slice() || ty.results() != R::types().as_slice() {
            bail!(
                "type mismatch: the function is {ty}, the typed call asks for {}",
                FuncType::new(P::types(), R::types())
            );
        }
        Ok(TypedFunc::new(*self))
    }
}

/// What a host function sees of the call: the store (its data, the engine) and the calling
/// instance's exports, such as its memory.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: Option<u32>,
}

impl<T: 'static> Caller<'_, T> {
    /// The host data of the store.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The host data of the store, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// The engine of the store.
    pub fn engine(&self) -> &Engine {
        self.store.engine()
    }

    /// What a host function that may block waits with, so that an interruption of the store
    /// ends the wait (see [`crate::InterruptWaiter`]). `None` when nothing can interrupt the
    /// store (the engine is not interruptible, or no [`crate::InterruptHandle`] was made):
    /// the function may then block as long as it likes.
    pub fn interrupt_waiter(&self) -> Option<crate::InterruptWaiter> {
        let state = &self.store.inner.interrupt;
        (self.store.inner.engine.config().interruptible && state.handed_out()).then(|| {
            crate::InterruptWaiter {
                state: state.clone(),
            }
        })
    }

    /// The calling instance's export named `memory`, if it is a memory: found once, when the
    /// instance was made, so this is what a host function that reads or writes the guest's
    /// memory on every call (every WASI function) should use rather than
    /// [`Caller::get_export`], which looks the name up.
    pub fn exported_memory(&self) -> Option<crate::Memory> {
        let index = self.instance?;
        let memory = self.store.inner.instances[index as usize].exported_memory?;
        Some(crate::Memory {
            store_id: self.store.inner.id,
            index: memory,
        })
    }

    /// An export of the calling instance, such as its `memory`.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let index = self.instance?;
        let inst = crate::Instance {
            store_id: self.store.inner.id,
            index,
        };
        inst.get_export(&mut *self.store, name)
    }
}

/// Turns a Rust closure into a host function; implemented for closures taking up to 12
/// [`WasmTy`] parameters, optionally preceded by a [`Caller`], and returning a [`WasmRet`].
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_host_func(self) -> (FuncType, HostFunc<T>);
}

macro_rules! into_func {
    ($($a:ident)*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T: 'static, F, $($a: WasmTy,)* R: WasmRet> IntoFunc<T, ($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
        {
            fn into_host_func(self) -> (FuncType, HostFunc<T>) {
                let ty = FuncType::new([$($a::valtype()),*], R::types());
                let f = move |_caller: Caller<'_, T>, params: &[Val], results: &mut [Val]| {
                    let mut it = params.iter();
                    $(let $a = $a::from_val(*it.next().expect("checked arity"));)*
                    self($($a),*).store_results(results)
                };
                (ty, Arc::new(f))
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T: 'static, F, $($a: WasmTy,)* R: WasmRet> IntoFunc<T, (Caller<'static, T>, $($a,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($a),*) -> R + Send + Sync + 'static,
        {
            fn into_host_func(self) -> (FuncType, HostFunc<T>) {
                let ty = FuncType::new([$($a::valtype()),*], R::types());
                let f = move |caller: Caller<'_, T>, params: &[Val], results: &mut [Val]| {
                    let mut it = params.iter();
                    $(let $a = $a::from_val(*it.next().expect("checked arity"));)*
                    self(caller, $($a),*).store_results(results)
                };
                (ty, Arc::new(f))
            }
        }
    };
}

into_func!();
into_func!(A1);
into_func!(A1 A2);
into_func!(A1 A2 A3);
into_func!(A1 A2 A3 A4);
into_func!(A1 A2 A3 A4 A5);
into_func!(A1 A2 A3 A4 A5 A6);
into_func!(A1 A2 A3 A4 A5 A6 A7);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);
