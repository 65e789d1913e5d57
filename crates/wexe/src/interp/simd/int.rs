//! Integer lane semantics that are more than one Rust operation. Everything here is inlined
//! into its handler: a call taking or returning a vector through the stack would keep the
//! handler from ending in a tail jump.

use std::array::from_fn;

#[cfg(test)]
use super::lanes::{from_v128, to_v128};
use super::lanes::{i8x16, i16x8, i32x4, pairwise, u8x16, u32x4, zip};

/// `i8x16.swizzle`: lane `i` is `a[s[i]]`, or 0 when the index is out of range.
#[inline(always)]
pub(crate) fn swizzle(a: u8x16, s: u8x16) -> u8x16 {
    gather(s, |j| a.get(j as usize).copied().unwrap_or(0))
}

/// `i8x16.shuffle`: lane `i` is lane `m[i]` of the 32 lanes of `a` then `b`.
#[inline(always)]
pub(crate) fn shuffle(a: u8x16, b: u8x16, m: u8x16) -> u8x16 {
    gather(m, |j| {
        let j = (j & 31) as usize;
        if j < 16 { a[j] } else { b[j - 16] }
    })
}

/// A shuffle of whole 32-bit lanes: lane `i` is lane `lanes.to_le_bytes()[i]` (below 8) of the
/// 8 lanes of `a` then `b`.
#[inline(always)]
pub(crate) fn shuffle32(a: u32x4, b: u32x4, lanes: u32) -> u8x16 {
    let pick = |i: u32| {
        let j = ((lanes >> (8 * i)) & 7) as usize;
        (if j < 4 { a[j] } else { b[j - 4] }) as u64
    };
    join(pick(0) | pick(1) << 32, pick(2) | pick(3) << 32)
}

/// The lanes argument of [`shuffle32`] for an `i8x16.shuffle` mask that moves whole 32-bit
/// lanes, if it does.
pub(crate) fn lanes32(mask: [u8; 16]) -> Option<u32> {
    let mut lanes = [0u8; 4];
    for (i, lane) in lanes.iter_mut().enumerate() {
        let first = mask[4 * i];
        let whole = first.is_multiple_of(4) && (1..4).all(|k| mask[4 * i + k] == first + k as u8);
        if !whole || first >= 32 {
            return None;
        }
        *lane = first / 4;
    }
    Some(u32::from_le_bytes(lanes))
}

/// The 16 bytes `pick(index[i])`, assembled in registers: writing them one by one into the
/// result cells would make the next instruction's 16-byte read of those cells wait for 16 byte
/// stores to retire (a failed store-to-load forwarding, which costs more than the shuffle).
#[inline(always)]
fn gather(index: u8x16, pick: impl Fn(u8) -> u8) -> u8x16 {
    let (mut lo, mut hi) = (0u64, 0u64);
    for i in 0..8 {
        lo |= (pick(index[i]) as u64) << (8 * i);
        hi |= (pick(index[i + 8]) as u64) << (8 * i);
    }
    join(lo, hi)
}

/// The 16 bytes of `lo` then `hi`, as one vector value (on x86-64 built in an SSE register, so
/// that it is written with one 16-byte store).
#[inline(always)]
fn join(lo: u64, hi: u64) -> u8x16 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::_mm_set_epi64x;
        // SAFETY: SSE2 is part of the x86-64 baseline; both types are 16 bytes of plain data.
        unsafe { std::mem::transmute(_mm_set_epi64x(hi as i64, lo as i64)) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&lo.to_le_bytes());
        out[8..].copy_from_slice(&hi.to_le_bytes());
        out
    }
}

/// `i16x8.q15mulr_sat_s`: the rounding, saturating Q15 product.
#[inline(always)]
pub(crate) fn q15mulr(a: i16x8, b: i16x8) -> i16x8 {
    from_fn(|i| {
        let p = (a[i] as i32 * b[i] as i32 + 0x4000) >> 15;
        p.clamp(i16::MIN as i32, i16::MAX as i32) as i16
    })
}

/// `i32x4.dot_i16x8_s`: sums of the products of adjacent signed lanes.
#[inline(always)]
pub(crate) fn dot(a: i16x8, b: i16x8) -> i32x4 {
    from_fn(|i| {
        let lo = a[2 * i] as i32 * b[2 * i] as i32;
        let hi = a[2 * i + 1] as i32 * b[2 * i + 1] as i32;
        lo.wrapping_add(hi)
    })
}

/// `i16x8.relaxed_dot_i8x16_i7x16_s` as wexe defines it: both operands signed, the sum of each
/// pair of products wrapping to 16 bits (only `(-128)² · 2` does).
#[inline(always)]
pub(crate) fn dot_i8(a: i8x16, b: i8x16) -> i16x8 {
    pairwise(zip(a, b, |x, y| x as i16 * y as i16), i16::wrapping_add)
}

/// `i32x4.relaxed_dot_i8x16_i7x16_add_s` as wexe defines it: lanes `2i` and `2i + 1` of
/// [`dot_i8`], sign-extended and summed, plus lane `i` of `c` (wrapping).
#[inline(always)]
pub(crate) fn dot_i8_add(a: i8x16, b: i8x16, c: i32x4) -> i32x4 {
    let sums: i32x4 = pairwise(dot_i8(a, b), |x, y| x as i32 + y as i32);
    zip(sums, c, i32::wrapping_add)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The 32-bit-lane shuffle agrees with the byte shuffle on the masks it takes, and only
    /// masks that move whole aligned lanes are given to it.
    #[test]
    fn whole_lane_shuffles_match_the_byte_shuffle() {
        let a: u8x16 = std::array::from_fn(|i| i as u8 * 7 + 1);
        let b: u8x16 = std::array::from_fn(|i| 200 - i as u8 * 3);
        let lanes_of =
            |l: [u8; 4]| -> u8x16 { std::array::from_fn(|i| l[i / 4] * 4 + i as u8 % 4) };
        for l in [[0, 0, 0, 0], [3, 2, 1, 0], [7, 4, 1, 6], [5, 5, 2, 7]] {
            let mask = lanes_of(l);
            let packed = lanes32(mask).expect("whole lanes");
            assert_eq!(packed.to_le_bytes(), l);
            let (a32, b32): (u32x4, u32x4) = (from_v128(to_v128(a)), from_v128(to_v128(b)));
            assert_eq!(shuffle32(a32, b32, packed), shuffle(a, b, mask), "{l:?}");
        }
        let mut mask = lanes_of([1, 2, 3, 4]);
        mask[5] = 3; // lane 1 now takes bytes 8, 3, 10, 11
        assert_eq!(lanes32(mask), None);
        let unaligned: u8x16 = std::array::from_fn(|i| i as u8 + 1);
        assert_eq!(lanes32(unaligned), None);
    }
}
