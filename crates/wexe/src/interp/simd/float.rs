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

/// The rounding operations, lane-wise. Not inlined: they may call libm through a register,
/// which `scripts/check-tail-dispatch.py` would take for a dispatch that is not a tail jump. The
/// vector goes in and out as a `u128` (in registers): a handler that passed the address of a
/// local array could not tail-call its successor. On x86-64 with SSE4.1 (detected once) they
/// are one `roundps`/`roundpd`, which keeps a NaN's payload and quiets it, as wasm allows.
macro_rules! rounding {
    ($($name:ident: $t:ty, $n:literal = $f:ident, $sse:ident, $mode:ident;)*) => {$(
        #[inline(never)]
        pub(crate) fn $name(a: v128) -> v128 {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("sse4.1") {
                // SAFETY: SSE4.1 is present (checked just above).
                return unsafe { sse41::$sse::<{ sse41::$mode }>(a) };
            }
            to_v128(from_v128::<[$t; $n]>(a).map(|x| quiet(x, x.$f())))
        }
    )*};
}

rounding! {
    ceil_f32x4: f32, 4 = ceil, round_ps, UP;
    floor_f32x4: f32, 4 = floor, round_ps, DOWN;
    trunc_f32x4: f32, 4 = trunc, round_ps, ZERO;
    nearest_f32x4: f32, 4 = round_ties_even, round_ps, NEAREST;
    ceil_f64x2: f64, 2 = ceil, round_pd, UP;
    floor_f64x2: f64, 2 = floor, round_pd, DOWN;
    trunc_f64x2: f64, 2 = trunc, round_pd, ZERO;
    nearest_f64x2: f64, 2 = round_ties_even, round_pd, NEAREST;
}

/// SSE4.1's rounding instructions, with exceptions suppressed.
#[cfg(target_arch = "x86_64")]
mod sse41 {
    use std::arch::x86_64::*;

    use super::v128;

    pub(super) const UP: i32 = _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC;
    pub(super) const DOWN: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
    pub(super) const ZERO: i32 = _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC;
    pub(super) const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

    #[target_feature(enable = "sse4.1")]
    pub(super) fn round_ps<const MODE: i32>(a: v128) -> v128 {
        // SAFETY (transmutes): both types are 16 bytes of plain data.
        unsafe { std::mem::transmute(_mm_round_ps::<MODE>(std::mem::transmute::<v128, __m128>(a))) }
    }

    #[target_feature(enable = "sse4.1")]
    pub(super) fn round_pd<const MODE: i32>(a: v128) -> v128 {
        // SAFETY (transmutes): as above.
        unsafe {
            std::mem::transmute(_mm_round_pd::<MODE>(std::mem::transmute::<v128, __m128d>(
                a,
            )))
        }
    }
}
