//! Integer lane semantics that are more than one Rust operation.

use std::array::from_fn;

use super::lanes::{i16x8, i32x4, u8x16};

/// `i8x16.swizzle`: lane `i` is `a[s[i]]`, or 0 when the index is out of range.
pub(crate) fn swizzle(a: u8x16, s: u8x16) -> u8x16 {
    from_fn(|i| a.get(s[i] as usize).copied().unwrap_or(0))
}

/// `i8x16.shuffle`: lane `i` is lane `m[i]` of the 32 lanes of `a` then `b`.
pub(crate) fn shuffle(a: u8x16, b: u8x16, m: u8x16) -> u8x16 {
    from_fn(|i| {
        let j = (m[i] & 31) as usize;
        if j < 16 { a[j] } else { b[j - 16] }
    })
}

/// `i16x8.q15mulr_sat_s`: the rounding, saturating Q15 product.
pub(crate) fn q15mulr(a: i16x8, b: i16x8) -> i16x8 {
    from_fn(|i| {
        let p = (a[i] as i32 * b[i] as i32 + 0x4000) >> 15;
        p.clamp(i16::MIN as i32, i16::MAX as i32) as i16
    })
}

/// `i32x4.dot_i16x8_s`: sums of the products of adjacent signed lanes.
pub(crate) fn dot(a: i16x8, b: i16x8) -> i32x4 {
    from_fn(|i| {
        let lo = a[2 * i] as i32 * b[2 * i] as i32;
        let hi = a[2 * i + 1] as i32 * b[2 * i + 1] as i32;
        lo.wrapping_add(hi)
    })
}

/// The rounding average of unsigned lanes (`avgr_u`).
#[inline(always)]
pub(crate) fn avgr8(a: u8, b: u8) -> u8 {
    ((a as u16 + b as u16).div_ceil(2)) as u8
}

#[inline(always)]
pub(crate) fn avgr16(a: u16, b: u16) -> u16 {
    ((a as u32 + b as u32).div_ceil(2)) as u16
}
