//! Float lane semantics: the pseudo-minimum and -maximum, and the rounding operations with the
//! NaN handling of the scalar ones (`semantics.rs`).

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

macro_rules! rounding {
    ($($name:ident: $t:ty = $f:ident;)*) => {$(
        #[inline(always)]
        pub(crate) fn $name(a: $t) -> $t {
            quiet(a, a.$f())
        }
    )*};
}

rounding! {
    ceil32: f32 = ceil;
    floor32: f32 = floor;
    trunc32: f32 = trunc;
    nearest32: f32 = round_ties_even;
    ceil64: f64 = ceil;
    floor64: f64 = floor;
    trunc64: f64 = trunc;
    nearest64: f64 = round_ties_even;
}
