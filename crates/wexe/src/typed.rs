//! Static typing of calls: [`WasmTy`] for single values, [`WasmParams`]/[`WasmResults`] for
//! tuples, [`WasmRet`] for host closure returns, and [`TypedFunc`].

use std::marker::PhantomData;

use anyhow::Result;
use wexe_environ::ValType;

use crate::func::Func;
use crate::store::{AsContextMut, StoreOps};
use crate::v128::V128;
use crate::values::{ExternRef, Val};

/// A Rust type that is one WebAssembly value.
pub trait WasmTy: Copy + Send + Sync + 'static {
    fn valtype() -> ValType;
    fn into_val(self) -> Val;
    /// Converts a value already checked to be of [`WasmTy::valtype`].
    fn from_val(v: Val) -> Self;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, $into:expr, $from:pat => $out:expr;)*) => {$(
        impl WasmTy for $t {
            fn valtype() -> ValType { ValType::$vt }
            fn into_val(self) -> Val { let f: fn($t) -> Val = $into; f(self) }
            fn from_val(v: Val) -> Self {
                match v { $from => $out, other => panic!("expected {}, got {:?}", ValType::$vt, other) }
            }
        }
    )*};
}

wasm_ty! {
    i32 => I32, Val::I32, Val::I32(x) => x;
    u32 => I32, |x| Val::I32(x as i32), Val::I32(x) => x as u32;
    i64 => I64, Val::I64, Val::I64(x) => x;
    u64 => I64, |x| Val::I64(x as i64), Val::I64(x) => x as u64;
    f32 => F32, |x| Val::F32(x.to_bits()), Val::F32(x) => f32::from_bits(x);
    f64 => F64, |x| Val::F64(x.to_bits()), Val::F64(x) => f64::from_bits(x);
    u128 => V128, Val::V128, Val::V128(x) => x;
    V128 => V128, |x| Val::V128(x.as_u128()), Val::V128(x) => V128::new(x);
    Option<Func> => FUNCREF, Val::FuncRef, Val::FuncRef(x) => x;
    Option<ExternRef> => EXTERNREF, Val::ExternRef, Val::ExternRef(x) => x;
}

/// A list of parameter types: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmParams: Send + Sync + 'static {
    /// How many values the list has.
    const COUNT: usize;
    fn types() -> Vec<ValType>;
    fn into_vals(self) -> Vec<Val>;
    /// Writes the values into `out` (as many as there are types), without allocating.
    fn write_vals(self, out: &mut [Val]);
}

/// A list of result types: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmResults: Sized + Send + Sync + 'static {
    /// How many values the list has.
    const COUNT: usize;
    fn types() -> Vec<ValType>;
    fn from_vals(vals: &[Val]) -> Self;
    fn into_vals(self) -> Vec<Val>;
    /// Writes the values into `out` (as many as there are types), without allocating.
    fn write_vals(self, out: &mut [Val]);
}

impl<A: WasmTy> WasmParams for A {
    const COUNT: usize = 1;
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
    fn write_vals(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

impl<A: WasmTy> WasmResults for A {
    const COUNT: usize = 1;
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn from_vals(vals: &[Val]) -> Self {
        A::from_val(vals[0])
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
    fn write_vals(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

macro_rules! tuples {
    ($($a:ident)*) => {
        #[allow(non_snake_case, unused_mut, unused_variables, clippy::unused_unit)]
        impl<$($a: WasmTy),*> WasmParams for ($($a,)*) {
            const COUNT: usize = <[&str]>::len(&[$(stringify!($a)),*]);
            fn types() -> Vec<ValType> { vec![$($a::valtype()),*] }
            fn into_vals(self) -> Vec<Val> { let ($($a,)*) = self; vec![$($a.into_val()),*] }
            fn write_vals(self, out: &mut [Val]) {
                let ($($a,)*) = self;
                let mut it = out.iter_mut();
                $(*it.next().expect("checked arity") = $a.into_val();)*
            }
        }
        #[allow(non_snake_case, unused_mut, unused_variables, clippy::unused_unit)]
        impl<$($a: WasmTy),*> WasmResults for ($($a,)*) {
            const COUNT: usize = <[&str]>::len(&[$(stringify!($a)),*]);
            fn types() -> Vec<ValType> { vec![$($a::valtype()),*] }
            fn from_vals(vals: &[Val]) -> Self {
                let mut it = vals.iter();
                ($($a::from_val(*it.next().expect("checked arity")),)*)
            }
            fn into_vals(self) -> Vec<Val> { let ($($a,)*) = self; vec![$($a.into_val()),*] }
            fn write_vals(self, out: &mut [Val]) {
                let ($($a,)*) = self;
                let mut it = out.iter_mut();
                $(*it.next().expect("checked arity") = $a.into_val();)*
            }
        }
    };
}

tuples!();
tuples!(A1);
tuples!(A1 A2);
tuples!(A1 A2 A3);
tuples!(A1 A2 A3 A4);
tuples!(A1 A2 A3 A4 A5);
tuples!(A1 A2 A3 A4 A5 A6);
tuples!(A1 A2 A3 A4 A5 A6 A7);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);

/// What a host closure may return: results, or `Result` of results (an error aborts the call).
pub trait WasmRet: Send + Sync + 'static {
    fn types() -> Vec<ValType>;
    fn store_results(self, out: &mut [Val]) -> Result<()>;
}

impl<R: WasmResults> WasmRet for R {
    fn types() -> Vec<ValType> {
        R::types()
    }
    fn store_results(self, out: &mut [Val]) -> Result<()> {
        self.write_vals(out);
        Ok(())
    }
}

impl<R: WasmResults> WasmRet for Result<R> {
    fn types() -> Vec<ValType> {
        R::types()
    }
    fn store_results(self, out: &mut [Val]) -> Result<()> {
        self?.store_results(out)
    }
}

/// The most parameters plus results a [`TypedFunc`] call converts without allocating.
const TYPED_INLINE: usize = 24;

/// A function whose signature was checked once, called with Rust values.
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    pub(crate) fn new(func: Func) -> Self {
        TypedFunc {
            func,
            _marker: PhantomData,
        }
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }

    /// Calls the function. The types were checked when it was made, so this only converts the
    /// values: on the native stack, for up to [`TYPED_INLINE`] parameters plus results (every
    /// tuple this crate implements the traits for), so a call allocates nothing.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let store = store.as_context_mut().0;
        store.inner.check(self.func.store_id);
        let n = P::COUNT + R::COUNT;
        let mut inline = [Val::I32(0); TYPED_INLINE];
        let mut heap = Vec::new();
        let vals: &mut [Val] = if n <= TYPED_INLINE {
            &mut inline[..n]
        } else {
            heap.resize(n, Val::I32(0));
            &mut heap
        };
        let (p, r) = vals.split_at_mut(P::COUNT);
        params.write_vals(p);
        crate::store::call_func(store as &mut dyn StoreOps, self.func.index, p, r)?;
        Ok(R::from_vals(r))
    }
}
