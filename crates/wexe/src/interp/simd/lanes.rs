//! Lane views of a 128-bit value and the generic lane-wise helpers the SIMD operations are
//! written with.
//!
//! A v128 value lives in two consecutive 64-bit frame cells, low half first. The executor reads
//! it as whichever of the types below an operation works on (a lane array, or `v128` for the
//! bitwise operations): on a little-endian host the cells' bytes are the lanes in order, so every
//! view is a plain reinterpretation. The helpers are plain Rust over fixed-size arrays, which LLVM
//! turns into vector instructions where the target has them.
#![allow(non_camel_case_types)]

use std::array::from_fn;

/// The whole 128 bits (bitwise operations).
pub(crate) type v128 = u128;
pub(crate) type i8x16 = [i8; 16];
pub(crate) type u8x16 = [u8; 16];
pub(crate) type i16x8 = [i16; 8];
pub(crate) type u16x8 = [u16; 8];
pub(crate) type i32x4 = [i32; 4];
pub(crate) type u32x4 = [u32; 4];
pub(crate) type i64x2 = [i64; 2];
pub(crate) type u64x2 = [u64; 2];
pub(crate) type f32x4 = [f32; 4];
pub(crate) type f64x2 = [f64; 2];

/// The 64 bits of memory an extending load reads.
pub(crate) type i8x8 = [i8; 8];
pub(crate) type u8x8 = [u8; 8];
pub(crate) type i16x4 = [i16; 4];
pub(crate) type u16x4 = [u16; 4];
pub(crate) type i32x2 = [i32; 2];
pub(crate) type u32x2 = [u32; 2];

/// A lane view of the value's 128 bits.
pub(crate) trait Lanes: Copy {}

macro_rules! lanes {
    ($($t:ty)*) => {$( impl Lanes for $t {} )*};
}

lanes!(i8x16 u8x16 i16x8 u16x8 i32x4 u32x4 i64x2 u64x2 f32x4 f64x2);

/// `v` seen as lanes.
#[inline(always)]
pub(crate) fn from_v128<L: Lanes>(v: v128) -> L {
    const { assert!(size_of::<L>() == 16) };
    // SAFETY: every lane view is 16 bytes of plain data, valid for any bits.
    unsafe { std::mem::transmute_copy(&v) }
}

/// The 128 bits of `l`.
#[inline(always)]
pub(crate) fn to_v128<L: Lanes>(l: L) -> v128 {
    const { assert!(size_of::<L>() == 16) };
    // SAFETY: as above.
    unsafe { std::mem::transmute_copy(&l) }
}

/// A lane of all ones when `c` holds, else all zeros (the result of a lane comparison).
pub(crate) trait Mask {
    fn mask(c: bool) -> Self;
}

macro_rules! mask {
    ($($t:ty)*) => {$(
        impl Mask for $t {
            #[inline(always)]
            fn mask(c: bool) -> $t {
                -(c as $t)
            }
        }
    )*};
}

mask!(i8 i16 i32 i64);

/// `f` applied to the lanes of `a` and `b` pairwise.
#[inline(always)]
pub(crate) fn zip<T: Copy, U, const N: usize>(
    a: [T; N],
    b: [T; N],
    f: impl Fn(T, T) -> U,
) -> [U; N] {
    from_fn(|i| f(a[i], b[i]))
}

/// `f` applied to the lanes of `a`, `b` and `c` lane by lane.
#[inline(always)]
pub(crate) fn zip3<T: Copy, U, const N: usize>(
    a: [T; N],
    b: [T; N],
    c: [T; N],
    f: impl Fn(T, T, T) -> U,
) -> [U; N] {
    from_fn(|i| f(a[i], b[i], c[i]))
}

/// The lane-wise comparison of `a` and `b` by `f`, as masks.
#[inline(always)]
pub(crate) fn cmp<T: Copy, M: Mask, const N: usize>(
    a: [T; N],
    b: [T; N],
    f: impl Fn(T, T) -> bool,
) -> [M; N] {
    from_fn(|i| M::mask(f(a[i], b[i])))
}

/// Lane `l` of `a` (`l` is in range: validation checks lane immediates).
#[inline(always)]
pub(crate) fn lane<T: Copy, const N: usize>(a: [T; N], l: usize) -> T {
    a[l % N]
}

/// `a` with lane `l` replaced by `x`.
#[inline(always)]
pub(crate) fn set<T: Copy, const N: usize>(mut a: [T; N], l: usize, x: T) -> [T; N] {
    a[l % N] = x;
    a
}

/// `f` applied to the low (or high) half of the lanes of `a`, widening them: `M` is `N / 2`.
#[inline(always)]
pub(crate) fn half<T: Copy, U, const N: usize, const M: usize>(
    a: [T; N],
    high: bool,
    f: impl Fn(T) -> U,
) -> [U; M] {
    let off = if high { M } else { 0 };
    from_fn(|i| f(a[off + i]))
}

/// `f` applied pairwise to the low (or high) halves of `a` and `b`: `M` is `N / 2`.
#[inline(always)]
pub(crate) fn half2<T: Copy, U, const N: usize, const M: usize>(
    a: [T; N],
    b: [T; N],
    high: bool,
    f: impl Fn(T, T) -> U,
) -> [U; M] {
    let off = if high { M } else { 0 };
    from_fn(|i| f(a[off + i], b[off + i]))
}

/// `f` applied to adjacent lanes of `a`, halving their number: `M` is `N / 2`.
#[inline(always)]
pub(crate) fn pairwise<T: Copy, U, const N: usize, const M: usize>(
    a: [T; N],
    f: impl Fn(T, T) -> U,
) -> [U; M] {
    from_fn(|i| f(a[2 * i], a[2 * i + 1]))
}

/// `f` applied to the lanes of `a` then those of `b`, narrowing them: `M` is `2 * N`.
#[inline(always)]
pub(crate) fn concat<T: Copy, U, const N: usize, const M: usize>(
    a: [T; N],
    b: [T; N],
    f: impl Fn(T) -> U,
) -> [U; M] {
    from_fn(|i| f(if i < N { a[i] } else { b[i - N] }))
}

/// Bit `i` of the result is the sign bit of lane `i`.
#[inline(always)]
pub(crate) fn bitmask<T: Copy + Default + PartialOrd, const N: usize>(a: [T; N]) -> i32 {
    let mut m = 0;
    for (i, x) in a.iter().enumerate() {
        m |= ((*x < T::default()) as i32) << i;
    }
    m
}

/// 1 when every lane is non-zero.
#[inline(always)]
pub(crate) fn all_true<T: Copy + Default + PartialEq, const N: usize>(a: [T; N]) -> i32 {
    a.iter().all(|x| *x != T::default()) as i32
}

/// The first `K` lanes of `a`, then zeros (conversions that fill half of their result).
#[inline(always)]
pub(crate) fn low_then_zero<T: Copy, U: Default, const N: usize, const M: usize>(
    a: [T; N],
    f: impl Fn(T) -> U,
) -> [U; M] {
    from_fn(|i| if i < N { f(a[i]) } else { U::default() })
}
