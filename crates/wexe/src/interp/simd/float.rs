//! Float lane semantics: the pseudo-minimum and -maximum, relaxed SIMD's multiply-add, and the
//! rounding operations with the NaN handling of the scalar ones (`semantics.rs`).

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

macro_rules! madd {
    ($($name:ident: $t:ty = $canonical:literal;)*) => {$(
        /// `relaxed_madd` as wexe defines it: `a * b + c` rounded twice, and the canonical NaN
        /// when that is a NaN (so that no NaN payload depends on the order the host's
        /// instructions take their operands in).
        #[inline(always)]
        pub(crate) fn $name(a: $t, b: $t, c: $t) -> $t {
            let r = a * b + c;
            if r.is_nan() { <$t>::from_bits($canonical) } else { r }
        }
    )*};
}

madd! {
    madd_f32: f32 = 0x7fc0_0000;
    madd_f64: f64 = 0x7ff8_0000_0000_0000;
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
            portable::$name(a)
        }
    )*

    /// The same operations in plain Rust (libm), for machines without SSE4.1.
    mod portable {
        use super::{from_v128, quiet, to_v128, v128};
        $(
            pub(super) fn $name(a: v128) -> v128 {
                to_v128(from_v128::<[$t; $n]>(a).map(|x| quiet(x, x.$f())))
            }
        )*
    }

    /// Both ways give the same bits, NaN payloads included, on the values where rounding is
    /// delicate.
    #[cfg(all(test, target_arch = "x86_64"))]
    #[test]
    fn sse41_rounding_matches_the_portable_one() {
        if !std::arch::is_x86_feature_detected!("sse4.1") {
            return;
        }
        let f32s = [
            0.0f32, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999997, 8388607.5, -8388609.0,
            f32::MAX, f32::MIN_POSITIVE / 2.0, f32::INFINITY, f32::NEG_INFINITY,
            f32::from_bits(0x7fc0_0001), f32::from_bits(0x7f80_0001), f32::from_bits(0xffa0_0000),
        ];
        let f64s = [
            0.0f64, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, 4503599627370495.5,
            f64::MAX, f64::MIN_POSITIVE / 2.0, f64::NEG_INFINITY,
            f64::from_bits(0x7ff8_0000_0000_0001), f64::from_bits(0x7ff0_0000_0000_0001),
        ];
        for chunk in f32s.chunks(4) {
            let mut lanes = [0.0f32; 4];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let a = to_v128(lanes);
            $(if $n == 4 {
                assert_eq!($name(a), portable::$name(a), "{} {lanes:?}", stringify!($name));
            })*
        }
        for chunk in f64s.chunks(2) {
            let mut lanes = [0.0f64; 2];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let a = to_v128(lanes);
            $(if $n == 2 {
                assert_eq!($name(a), portable::$name(a), "{} {lanes:?}", stringify!($name));
            })*
        }
    }
    };
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
