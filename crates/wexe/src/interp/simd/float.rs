//! Float lane semantics: the pseudo-minimum and -maximum, and the rounding operations with the
//! NaN handling of the scalar ones (`semantics.rs`).

use super::lanes::{from_v128, to_v128, v128};
use crate::interp::semantics::quiet;

/// `pmin`: `b < a ? b : a` (NaNs and signed zeros are not special).
#[inline(always)]
pub(crate) fn pmin<F: PartialOrd + Copy>(a: F, b: F) -> F {
    if b < a { b } else { a }
}

/// `pmax`: `a < b ? b : a`.
#[inline(always)]
pub(crate) fn pmax<F: PartialOrd + Copy>(a: F, b: F) -> F {
    if a < b { b } else { a }
}

/// The rounding operations, lane-wise. Not inlined: without SSE4.1 they call libm through a
/// register, which `scripts/check-tail-dispatch.py` would take for a dispatch that is not a
/// tail jump. The vector goes in and out as a `u128` (in registers): a handler that passed the
/// address of a local array could not tail-call its successor.
macro_rules! rounding {
    ($($name:ident: $t:ty, $n:literal = $f:ident;)*) => {$(
        #[inline(never)]
        pub(crate) fn $name(a: v128) -> v128 {
            to_v128(from_v128::<[$t; $n]>(a).map(|x| quiet(x, x.$f())))
        }
    )*};
}

rounding! {
    ceil_f32x4: f32, 4 = ceil;
    floor_f32x4: f32, 4 = floor;
    trunc_f32x4: f32, 4 = trunc;
    nearest_f32x4: f32, 4 = round_ties_even;
    ceil_f64x2: f64, 2 = ceil;
    floor_f64x2: f64, 2 = floor;
    trunc_f64x2: f64, 2 = trunc;
    nearest_f64x2: f64, 2 = round_ties_even;
}
