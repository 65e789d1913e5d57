//! [`Val`]: a WebAssembly value crossing the API, [`ExternRef`]: a host reference, and their
//! encoding as the raw 64-bit cells that the execution tiers use.

use std::any::Any;
use std::sync::Arc;

use wexe_environ::{HeapType, ValType};

use crate::func::Func;
use crate::store::{AsContextMut, StoreContext, StoreInner};

/// A WebAssembly value. Floats are carried as their bits, so NaN payloads survive.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef(Option<Func>),
    ExternRef(Option<ExternRef>),
    ExnRef(Option<crate::ExnRef>),
    /// A reference of GC's `any` hierarchy; always null (see [`AnyRef`]).
    AnyRef(Option<AnyRef>),
}

/// A reference of garbage collection's `any` hierarchy (`anyref`, `eqref`, `structref`, ...).
/// wexe does not implement GC, so no such reference can exist: the only value of these types
/// is null, `Val::AnyRef(None)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyRef {}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::EXNREF,
            Val::AnyRef(_) => ValType::ANYREF,
        }
    }

    /// The zero value (or null reference) of a type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::Ref(r) if r.heap.is_func() => Val::FuncRef(None),
            ValType::Ref(r) if r.heap.is_exn() => Val::ExnRef(None),
            ValType::Ref(r) if r.heap.is_any() => Val::AnyRef(None),
            ValType::Ref(_) => Val::ExternRef(None),
        }
    }

    /// Whether this value is one of type `ty`: the same number type, or a reference that
    /// type admits (null only where nullable; a function of the concrete type it names).
    pub(crate) fn matches_ty(&self, ty: ValType, store: &StoreInner) -> bool {
        let ValType::Ref(r) = ty else {
            return self.ty() == ty;
        };
        match self {
            Val::FuncRef(None) => r.nullable && r.heap.is_func(),
            Val::ExternRef(None) => {
                r.nullable && matches!(r.heap, HeapType::Extern | HeapType::NoExtern)
            }
            Val::ExnRef(None) => r.nullable && r.heap.is_exn(),
            Val::AnyRef(None) => r.nullable && r.heap.is_any(),
            Val::AnyRef(Some(never)) => match *never {},
            Val::FuncRef(Some(f)) => match r.heap {
                HeapType::Func => true,
                HeapType::ConcreteFunc(id) => {
                    store.id == f.store_id && store.funcs[f.index as usize].type_id() == id
                }
                _ => false,
            },
            Val::ExternRef(Some(_)) => r.heap == HeapType::Extern,
            Val::ExnRef(Some(_)) => r.heap == HeapType::Exn,
            _ => false,
        }
    }

    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    pub fn v128(&self) -> Option<u128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The raw cells of this value (v128 uses both; scalars the first).
    pub(crate) fn to_cells(self, store: &StoreInner) -> [u64; 2] {
        match self {
            Val::I32(v) => [v as u32 as u64, 0],
            Val::I64(v) => [v as u64, 0],
            Val::F32(v) => [v as u64, 0],
            Val::F64(v) => [v, 0],
            Val::V128(v) => [v as u64, (v >> 64) as u64],
            Val::FuncRef(f) => [
                f.map_or(0, |f| {
                    store.check(f.store_id);
                    f.index as u64 + 1
                }),
                0,
            ],
            Val::ExternRef(r) => [
                r.map_or(0, |r| {
                    store.check(r.store_id);
                    r.index as u64 + 1
                }),
                0,
            ],
            Val::AnyRef(None) => [0, 0],
            Val::AnyRef(Some(never)) => match never {},
            // An `ExnRef` handle is made only for a referenced object (never reused).
            Val::ExnRef(r) => [
                r.map_or(0, |r| {
                    store.check(r.store_id);
                    r.index as u64 + 1
                }),
                0,
            ],
        }
    }

    /// The value of type `ty` held in raw cells.
    pub(crate) fn from_cells(ty: ValType, cells: [u64; 2], store: &StoreInner) -> Val {
        let c = cells[0];
        match ty {
            ValType::I32 => Val::I32(c as u32 as i32),
            ValType::I64 => Val::I64(c as i64),
            ValType::F32 => Val::F32(c as u32),
            ValType::F64 => Val::F64(c),
            ValType::V128 => Val::V128(c as u128 | (cells[1] as u128) << 64),
            ValType::Ref(r) if r.heap.is_func() => Val::FuncRef((c != 0).then(|| Func {
                store_id: store.id,
                index: (c - 1) as u32,
            })),
            ValType::Ref(r) if r.heap.is_exn() => Val::ExnRef((c != 0).then(|| crate::ExnRef {
                store_id: store.id,
                index: (c - 1) as u32,
            })),
            // Only null exists in the `any` hierarchy.
            ValType::Ref(r) if r.heap.is_any() => Val::AnyRef(None),
            ValType::Ref(_) => Val::ExternRef((c != 0).then(|| ExternRef {
                store_id: store.id,
                index: (c - 1) as u32,
            })),
        }
    }
}

macro_rules! val_from {
    ($($t:ty => $v:ident $(as $cast:ty)? $(, bits $bits:ident)?;)*) => {$(
        impl From<$t> for Val {
            fn from(x: $t) -> Val {
                Val::$v(x $(as $cast)? $(.$bits())?)
            }
        }
    )*};
}

val_from! {
    i32 => I32;
    u32 => I32 as i32;
    i64 => I64;
    u64 => I64 as i64;
    f32 => F32, bits to_bits;
    f64 => F64, bits to_bits;
    u128 => V128;
}

impl From<crate::V128> for Val {
    fn from(v: crate::V128) -> Val {
        Val::V128(v.as_u128())
    }
}

impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

/// A reference to a host value, passed to and from WebAssembly as `externref`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl ExternRef {
    /// Stores `value` in the store and returns a reference to it.
    pub fn new(mut store: impl AsContextMut, value: impl Any + Send + Sync) -> ExternRef {
        let inner = &mut store.as_context_mut().0.inner;
        inner.externrefs.push(Arc::new(value));
        ExternRef {
            store_id: inner.id,
            index: (inner.externrefs.len() - 1) as u32,
        }
    }

    /// The host value this reference points to.
    pub fn data<'a, T: 'static>(
        &self,
        store: impl Into<StoreContext<'a, T>>,
    ) -> &'a (dyn Any + Send + Sync) {
        let inner = &store.into().0.inner;
        inner.check(self.store_id);
        &*inner.externrefs[self.index as usize]
    }
}
