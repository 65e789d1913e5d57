//! Fixed-width SIMD (128-bit vectors) in the interpreter: the SIMD part of the op list
//! ([`ops`]), the lane views a v128 value is read as ([`lanes`]), and the lane semantics that
//! are more than one Rust operation ([`int`], [`float`]). Handlers are in `exec/simd.rs`.

pub(crate) mod float;
pub(crate) mod int;
pub(crate) mod lanes;
pub(crate) mod ops;

/// Everything the op list's SIMD expressions name, for the module that expands them.
pub(crate) mod prelude {
    pub(crate) use super::float::*;
    pub(crate) use super::int::*;
    pub(crate) use super::lanes::*;
    pub(crate) use crate::interp::semantics::{max_f32, max_f64, min_f32, min_f64};
}
