//! The numeric semantics of wasm operators that are more than one Rust operator: trapping
//! division and conversions, and the IEEE 754-2019 minimum/maximum that wasm specifies.

use crate::Trap;

macro_rules! int_div {
    ($($div:ident $rem:ident: $t:ty, signed = $signed:literal;)*) => {$(
        pub(crate) fn $div(a: $t, b: $t) -> Result<$t, Trap> {
            if b == 0 {
                return Err(Trap::IntegerDivisionByZero);
            }
            if $signed && a == <$t>::MIN && b == (0 as $t).wrapping_sub(1) {
                return Err(Trap::IntegerOverflow);
            }
            Ok(a.wrapping_div(b))
        }

        pub(crate) fn $rem(a: $t, b: $t) -> Result<$t, Trap> {
            if b == 0 {
                return Err(Trap::IntegerDivisionByZero);
            }
            Ok(a.wrapping_rem(b))
        }
    )*};
}

int_div! {
    div_s32 rem_s32: i32, signed = true;
    div_u32 rem_u32: u32, signed = false;
    div_s64 rem_s64: i64, signed = true;
    div_u64 rem_u64: u64, signed = false;
}

/// Truncates `x` toward zero when the result lies strictly between `lo` and `hi`.
fn trunc_checked(x: f64, lo: f64, hi: f64) -> Result<f64, Trap> {
    if x.is_nan() {
        return Err(Trap::BadConversionToInteger);
    }
    if !(x > lo && x < hi) {
        return Err(Trap::IntegerOverflow);
    }
    Ok(x.trunc())
}

pub(crate) fn trunc_i32(x: f64) -> Result<i32, Trap> {
    trunc_checked(x, -2147483649.0, 2147483648.0).map(|v| v as i32)
}

pub(crate) fn trunc_u32(x: f64) -> Result<i32, Trap> {
    trunc_checked(x, -1.0, 4294967296.0).map(|v| v as u32 as i32)
}

pub(crate) fn trunc_i64(x: f64) -> Result<i64, Trap> {
    // -2^63 is exactly representable and in range; the next f64 below it is not.
    if x == -9223372036854775808.0 {
        return Ok(i64::MIN);
    }
    trunc_checked(x, -9223372036854775808.0, 9223372036854775808.0).map(|v| v as i64)
}

pub(crate) fn trunc_u64(x: f64) -> Result<i64, Trap> {
    trunc_checked(x, -1.0, 18446744073709551616.0).map(|v| v as u64 as i64)
}

macro_rules! min_max {
    ($($min:ident $max:ident: $t:ty;)*) => {$(
        pub(crate) fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else {
                a.min(b)
            }
        }

        pub(crate) fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() & b.to_bits())
            } else {
                a.max(b)
            }
        }
    )*};
}

min_max! {
    min_f32 max_f32: f32;
    min_f64 max_f64: f64;
}

/// `result`, unless `input` is NaN: then a quiet NaN (rounding functions of the host's libm may
/// pass a signalling NaN through unchanged, which wasm does not allow).
pub(crate) fn quiet<F: std::ops::Add<Output = F> + Copy + PartialEq>(input: F, result: F) -> F {
    #[allow(clippy::eq_op)]
    if input != input {
        input + input
    } else {
        result
    }
}
