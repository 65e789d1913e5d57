//! The fixed-width SIMD operations of the op list ([`crate::interp::ops::for_each_op`]), with
//! their lane semantics. `for_each_op!` passes its scalar groups here, and this macro appends
//! the SIMD groups before invoking the callback, so every expansion of the op list sees both.
//!
//! Value types are the lane views of `lanes.rs` (`v128` for bitwise operations); the executor
//! reads and writes them as two cells. Groups:
//! `simd_unary`/`simd_binary` (pure, like `unary`/`binary`), `simd_ternary` (pure, the third
//! operand's slot in the `Ext` that follows), `simd_load` (the memory shape read
//! and the vector it becomes), `simd_extract`/`simd_replace` (a lane immediate `l`),
//! `simd_load_lane`/`simd_store_lane` (the lane's integer type), and `simd_special`
//! (hand-written in `exec/simd.rs`).

macro_rules! for_each_simd_op {
    ($cb:ident ! ( $($args:tt)* ) $($scalar:tt)*) => {
        $cb! { ($($args)*) $($scalar)*
        simd_unary {
            I8x16Splat: i32 -> i8x16 = |x| [x as i8; 16];
            I16x8Splat: i32 -> i16x8 = |x| [x as i16; 8];
            I32x4Splat: i32 -> i32x4 = |x| [x; 4];
            I64x2Splat: i64 -> i64x2 = |x| [x; 2];
            F32x4Splat: u32 -> u32x4 = |x| [x; 4];
            F64x2Splat: u64 -> u64x2 = |x| [x; 2];
            V128Not: v128 -> v128 = |a| !a;
            V128AnyTrue: v128 -> i32 = |a| (a != 0) as i32;
            I8x16Abs: i8x16 -> i8x16 = |a| a.map(i8::wrapping_abs);
            I8x16Neg: i8x16 -> i8x16 = |a| a.map(i8::wrapping_neg);
            I8x16Popcnt: u8x16 -> u8x16 = |a| a.map(|x| x.count_ones() as u8);
            I8x16AllTrue: i8x16 -> i32 = all_true;
            I8x16Bitmask: i8x16 -> i32 = bitmask;
            I16x8Abs: i16x8 -> i16x8 = |a| a.map(i16::wrapping_abs);
            I16x8Neg: i16x8 -> i16x8 = |a| a.map(i16::wrapping_neg);
            I16x8AllTrue: i16x8 -> i32 = all_true;
            I16x8Bitmask: i16x8 -> i32 = bitmask;
            I32x4Abs: i32x4 -> i32x4 = |a| a.map(i32::wrapping_abs);
            I32x4Neg: i32x4 -> i32x4 = |a| a.map(i32::wrapping_neg);
            I32x4AllTrue: i32x4 -> i32 = all_true;
            I32x4Bitmask: i32x4 -> i32 = bitmask;
            I64x2Abs: i64x2 -> i64x2 = |a| a.map(i64::wrapping_abs);
            I64x2Neg: i64x2 -> i64x2 = |a| a.map(i64::wrapping_neg);
            I64x2AllTrue: i64x2 -> i32 = all_true;
            I64x2Bitmask: i64x2 -> i32 = bitmask;
            I16x8ExtendLowI8x16S: i8x16 -> i16x8 = |a| half(a, false, i16::from);
            I16x8ExtendHighI8x16S: i8x16 -> i16x8 = |a| half(a, true, i16::from);
            I16x8ExtendLowI8x16U: u8x16 -> u16x8 = |a| half(a, false, u16::from);
            I16x8ExtendHighI8x16U: u8x16 -> u16x8 = |a| half(a, true, u16::from);
            I32x4ExtendLowI16x8S: i16x8 -> i32x4 = |a| half(a, false, i32::from);
            I32x4ExtendHighI16x8S: i16x8 -> i32x4 = |a| half(a, true, i32::from);
            I32x4ExtendLowI16x8U: u16x8 -> u32x4 = |a| half(a, false, u32::from);
            I32x4ExtendHighI16x8U: u16x8 -> u32x4 = |a| half(a, true, u32::from);
            I64x2ExtendLowI32x4S: i32x4 -> i64x2 = |a| half(a, false, i64::from);
            I64x2ExtendHighI32x4S: i32x4 -> i64x2 = |a| half(a, true, i64::from);
            I64x2ExtendLowI32x4U: u32x4 -> u64x2 = |a| half(a, false, u64::from);
            I64x2ExtendHighI32x4U: u32x4 -> u64x2 = |a| half(a, true, u64::from);
            I16x8ExtAddPairwiseI8x16S: i8x16 -> i16x8 = |a| pairwise(a, |x, y| x as i16 + y as i16);
            I16x8ExtAddPairwiseI8x16U: u8x16 -> u16x8 = |a| pairwise(a, |x, y| x as u16 + y as u16);
            I32x4ExtAddPairwiseI16x8S: i16x8 -> i32x4 = |a| pairwise(a, |x, y| x as i32 + y as i32);
            I32x4ExtAddPairwiseI16x8U: u16x8 -> u32x4 = |a| pairwise(a, |x, y| x as u32 + y as u32);
            F32x4Abs: u32x4 -> u32x4 = |a| a.map(|x| x & 0x7fff_ffff);
            F32x4Neg: u32x4 -> u32x4 = |a| a.map(|x| x ^ 0x8000_0000);
            F32x4Sqrt: f32x4 -> f32x4 = |a| a.map(f32::sqrt);
            F32x4Ceil: v128 -> v128 = ceil_f32x4;
            F32x4Floor: v128 -> v128 = floor_f32x4;
            F32x4Trunc: v128 -> v128 = trunc_f32x4;
            F32x4Nearest: v128 -> v128 = nearest_f32x4;
            F64x2Abs: u64x2 -> u64x2 = |a| a.map(|x| x & 0x7fff_ffff_ffff_ffff);
            F64x2Neg: u64x2 -> u64x2 = |a| a.map(|x| x ^ 0x8000_0000_0000_0000);
            F64x2Sqrt: f64x2 -> f64x2 = |a| a.map(f64::sqrt);
            F64x2Ceil: v128 -> v128 = ceil_f64x2;
            F64x2Floor: v128 -> v128 = floor_f64x2;
            F64x2Trunc: v128 -> v128 = trunc_f64x2;
            F64x2Nearest: v128 -> v128 = nearest_f64x2;
            // Float-to-integer conversions saturate (Rust's `as`), NaN becomes 0.
            I32x4TruncSatF32x4S: f32x4 -> i32x4 = |a| a.map(|x| x as i32);
            I32x4TruncSatF32x4U: f32x4 -> u32x4 = |a| a.map(|x| x as u32);
            I32x4TruncSatF64x2SZero: f64x2 -> i32x4 = |a| low_then_zero(a, |x| x as i32);
            I32x4TruncSatF64x2UZero: f64x2 -> u32x4 = |a| low_then_zero(a, |x| x as u32);
            F32x4ConvertI32x4S: i32x4 -> f32x4 = |a| a.map(|x| x as f32);
            F32x4ConvertI32x4U: u32x4 -> f32x4 = |a| a.map(|x| x as f32);
            F64x2ConvertLowI32x4S: i32x4 -> f64x2 = |a| half(a, false, f64::from);
            F64x2ConvertLowI32x4U: u32x4 -> f64x2 = |a| half(a, false, f64::from);
            F32x4DemoteF64x2Zero: f64x2 -> f32x4 = |a| low_then_zero(a, |x| x as f32);
            F64x2PromoteLowF32x4: f32x4 -> f64x2 = |a| half(a, false, f64::from);
        }
        simd_binary {
            V128And: v128, v128 -> v128 = |a, b| a & b;
            V128AndNot: v128, v128 -> v128 = |a, b| a & !b;
            V128Or: v128, v128 -> v128 = |a, b| a | b;
            V128Xor: v128, v128 -> v128 = |a, b| a ^ b;
            I8x16Swizzle: u8x16, u8x16 -> u8x16 = swizzle;
            // Shift counts are taken modulo the lane width (`wrapping_shl`/`wrapping_shr`).
            I8x16Shl: i8x16, u32 -> i8x16 = |a, n| a.map(|x| x.wrapping_shl(n));
            I8x16ShrS: i8x16, u32 -> i8x16 = |a, n| a.map(|x| x.wrapping_shr(n));
            I8x16ShrU: u8x16, u32 -> u8x16 = |a, n| a.map(|x| x.wrapping_shr(n));
            I16x8Shl: i16x8, u32 -> i16x8 = |a, n| a.map(|x| x.wrapping_shl(n));
            I16x8ShrS: i16x8, u32 -> i16x8 = |a, n| a.map(|x| x.wrapping_shr(n));
            I16x8ShrU: u16x8, u32 -> u16x8 = |a, n| a.map(|x| x.wrapping_shr(n));
            I32x4Shl: i32x4, u32 -> i32x4 = |a, n| a.map(|x| x.wrapping_shl(n));
            I32x4ShrS: i32x4, u32 -> i32x4 = |a, n| a.map(|x| x.wrapping_shr(n));
            I32x4ShrU: u32x4, u32 -> u32x4 = |a, n| a.map(|x| x.wrapping_shr(n));
            I64x2Shl: i64x2, u32 -> i64x2 = |a, n| a.map(|x| x.wrapping_shl(n));
            I64x2ShrS: i64x2, u32 -> i64x2 = |a, n| a.map(|x| x.wrapping_shr(n));
            I64x2ShrU: u64x2, u32 -> u64x2 = |a, n| a.map(|x| x.wrapping_shr(n));
            I8x16Add: i8x16, i8x16 -> i8x16 = |a, b| zip(a, b, i8::wrapping_add);
            I8x16Sub: i8x16, i8x16 -> i8x16 = |a, b| zip(a, b, i8::wrapping_sub);
            I8x16AddSatS: i8x16, i8x16 -> i8x16 = |a, b| zip(a, b, i8::saturating_add);
            I8x16AddSatU: u8x16, u8x16 -> u8x16 = |a, b| zip(a, b, u8::saturating_add);
            I8x16SubSatS: i8x16, i8x16 -> i8x16 = |a, b| zip(a, b, i8::saturating_sub);
            I8x16SubSatU: u8x16, u8x16 -> u8x16 = |a, b| zip(a, b, u8::saturating_sub);
            I8x16MinS: i8x16, i8x16 -> i8x16 = |a, b| zip(a, b, Ord::min);
            I8x16MinU: u8x16, u8x16 -> u8x16 = |a, b| zip(a, b, Ord::min);
            I8x16MaxS: i8x16, i8x16 -> i8x16 = |a, b| zip(a, b, Ord::max);
            I8x16MaxU: u8x16, u8x16 -> u8x16 = |a, b| zip(a, b, Ord::max);
            I8x16AvgrU: u8x16, u8x16 -> u8x16 = |a, b| zip(a, b, avgr8);
            I16x8Add: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, i16::wrapping_add);
            I16x8Sub: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, i16::wrapping_sub);
            I16x8Mul: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, i16::wrapping_mul);
            I16x8AddSatS: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, i16::saturating_add);
            I16x8AddSatU: u16x8, u16x8 -> u16x8 = |a, b| zip(a, b, u16::saturating_add);
            I16x8SubSatS: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, i16::saturating_sub);
            I16x8SubSatU: u16x8, u16x8 -> u16x8 = |a, b| zip(a, b, u16::saturating_sub);
            I16x8MinS: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, Ord::min);
            I16x8MinU: u16x8, u16x8 -> u16x8 = |a, b| zip(a, b, Ord::min);
            I16x8MaxS: i16x8, i16x8 -> i16x8 = |a, b| zip(a, b, Ord::max);
            I16x8MaxU: u16x8, u16x8 -> u16x8 = |a, b| zip(a, b, Ord::max);
            I16x8AvgrU: u16x8, u16x8 -> u16x8 = |a, b| zip(a, b, avgr16);
            I16x8Q15MulrSatS: i16x8, i16x8 -> i16x8 = q15mulr;
            I32x4Add: i32x4, i32x4 -> i32x4 = |a, b| zip(a, b, i32::wrapping_add);
            I32x4Sub: i32x4, i32x4 -> i32x4 = |a, b| zip(a, b, i32::wrapping_sub);
            I32x4Mul: i32x4, i32x4 -> i32x4 = |a, b| zip(a, b, i32::wrapping_mul);
            I32x4MinS: i32x4, i32x4 -> i32x4 = |a, b| zip(a, b, Ord::min);
            I32x4MinU: u32x4, u32x4 -> u32x4 = |a, b| zip(a, b, Ord::min);
            I32x4MaxS: i32x4, i32x4 -> i32x4 = |a, b| zip(a, b, Ord::max);
            I32x4MaxU: u32x4, u32x4 -> u32x4 = |a, b| zip(a, b, Ord::max);
            I32x4DotI16x8S: i16x8, i16x8 -> i32x4 = dot;
            I64x2Add: i64x2, i64x2 -> i64x2 = |a, b| zip(a, b, i64::wrapping_add);
            I64x2Sub: i64x2, i64x2 -> i64x2 = |a, b| zip(a, b, i64::wrapping_sub);
            I64x2Mul: i64x2, i64x2 -> i64x2 = |a, b| zip(a, b, i64::wrapping_mul);
            I8x16NarrowI16x8S: i16x8, i16x8 -> i8x16 = |a, b| concat(a, b, |x| x.clamp(-0x80, 0x7f) as i8);
            I8x16NarrowI16x8U: i16x8, i16x8 -> u8x16 = |a, b| concat(a, b, |x| x.clamp(0, 0xff) as u8);
            I16x8NarrowI32x4S: i32x4, i32x4 -> i16x8 = |a, b| concat(a, b, |x| x.clamp(-0x8000, 0x7fff) as i16);
            I16x8NarrowI32x4U: i32x4, i32x4 -> u16x8 = |a, b| concat(a, b, |x| x.clamp(0, 0xffff) as u16);
            I16x8ExtMulLowI8x16S: i8x16, i8x16 -> i16x8 = |a, b| half2(a, b, false, |x, y| x as i16 * y as i16);
            I16x8ExtMulHighI8x16S: i8x16, i8x16 -> i16x8 = |a, b| half2(a, b, true, |x, y| x as i16 * y as i16);
            I16x8ExtMulLowI8x16U: u8x16, u8x16 -> u16x8 = |a, b| half2(a, b, false, |x, y| x as u16 * y as u16);
            I16x8ExtMulHighI8x16U: u8x16, u8x16 -> u16x8 = |a, b| half2(a, b, true, |x, y| x as u16 * y as u16);
            I32x4ExtMulLowI16x8S: i16x8, i16x8 -> i32x4 = |a, b| half2(a, b, false, |x, y| x as i32 * y as i32);
            I32x4ExtMulHighI16x8S: i16x8, i16x8 -> i32x4 = |a, b| half2(a, b, true, |x, y| x as i32 * y as i32);
            I32x4ExtMulLowI16x8U: u16x8, u16x8 -> u32x4 = |a, b| half2(a, b, false, |x, y| x as u32 * y as u32);
            I32x4ExtMulHighI16x8U: u16x8, u16x8 -> u32x4 = |a, b| half2(a, b, true, |x, y| x as u32 * y as u32);
            I64x2ExtMulLowI32x4S: i32x4, i32x4 -> i64x2 = |a, b| half2(a, b, false, |x, y| x as i64 * y as i64);
            I64x2ExtMulHighI32x4S: i32x4, i32x4 -> i64x2 = |a, b| half2(a, b, true, |x, y| x as i64 * y as i64);
            I64x2ExtMulLowI32x4U: u32x4, u32x4 -> u64x2 = |a, b| half2(a, b, false, |x, y| x as u64 * y as u64);
            I64x2ExtMulHighI32x4U: u32x4, u32x4 -> u64x2 = |a, b| half2(a, b, true, |x, y| x as u64 * y as u64);
            I8x16Eq: i8x16, i8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x == y);
            I8x16Ne: i8x16, i8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x != y);
            I8x16LtS: i8x16, i8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x < y);
            I8x16LtU: u8x16, u8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x < y);
            I8x16GtS: i8x16, i8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x > y);
            I8x16GtU: u8x16, u8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x > y);
            I8x16LeS: i8x16, i8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x <= y);
            I8x16LeU: u8x16, u8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x <= y);
            I8x16GeS: i8x16, i8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x >= y);
            I8x16GeU: u8x16, u8x16 -> i8x16 = |a, b| cmp(a, b, |x, y| x >= y);
            I16x8Eq: i16x8, i16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x == y);
            I16x8Ne: i16x8, i16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x != y);
            I16x8LtS: i16x8, i16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x < y);
            I16x8LtU: u16x8, u16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x < y);
            I16x8GtS: i16x8, i16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x > y);
            I16x8GtU: u16x8, u16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x > y);
            I16x8LeS: i16x8, i16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x <= y);
            I16x8LeU: u16x8, u16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x <= y);
            I16x8GeS: i16x8, i16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x >= y);
            I16x8GeU: u16x8, u16x8 -> i16x8 = |a, b| cmp(a, b, |x, y| x >= y);
            I32x4Eq: i32x4, i32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x == y);
            I32x4Ne: i32x4, i32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x != y);
            I32x4LtS: i32x4, i32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x < y);
            I32x4LtU: u32x4, u32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x < y);
            I32x4GtS: i32x4, i32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x > y);
            I32x4GtU: u32x4, u32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x > y);
            I32x4LeS: i32x4, i32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x <= y);
            I32x4LeU: u32x4, u32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x <= y);
            I32x4GeS: i32x4, i32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x >= y);
            I32x4GeU: u32x4, u32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x >= y);
            I64x2Eq: i64x2, i64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x == y);
            I64x2Ne: i64x2, i64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x != y);
            I64x2LtS: i64x2, i64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x < y);
            I64x2GtS: i64x2, i64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x > y);
            I64x2LeS: i64x2, i64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x <= y);
            I64x2GeS: i64x2, i64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x >= y);
            F32x4Eq: f32x4, f32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x == y);
            F32x4Ne: f32x4, f32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x != y);
            F32x4Lt: f32x4, f32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x < y);
            F32x4Gt: f32x4, f32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x > y);
            F32x4Le: f32x4, f32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x <= y);
            F32x4Ge: f32x4, f32x4 -> i32x4 = |a, b| cmp(a, b, |x, y| x >= y);
            F64x2Eq: f64x2, f64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x == y);
            F64x2Ne: f64x2, f64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x != y);
            F64x2Lt: f64x2, f64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x < y);
            F64x2Gt: f64x2, f64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x > y);
            F64x2Le: f64x2, f64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x <= y);
            F64x2Ge: f64x2, f64x2 -> i64x2 = |a, b| cmp(a, b, |x, y| x >= y);
            F32x4Add: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, |x, y| x + y);
            F32x4Sub: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, |x, y| x - y);
            F32x4Mul: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, |x, y| x * y);
            F32x4Div: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, |x, y| x / y);
            F32x4Min: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, min_f32);
            F32x4Max: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, max_f32);
            F32x4PMin: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, pmin);
            F32x4PMax: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, pmax);
            F64x2Add: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, |x, y| x + y);
            F64x2Sub: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, |x, y| x - y);
            F64x2Mul: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, |x, y| x * y);
            F64x2Div: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, |x, y| x / y);
            F64x2Min: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, min_f64);
            F64x2Max: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, max_f64);
            F64x2PMin: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, pmin);
            F64x2PMax: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, pmax);
            // Relaxed SIMD, with the results `wexe_environ::relaxed_simd` fixes: x86's `minps`
            // and `maxps` (`a < b ? a : b`, `a > b ? a : b`), the dot product of signed bytes.
            F32x4RelaxedMin: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, |x, y| pmin(y, x));
            F32x4RelaxedMax: f32x4, f32x4 -> f32x4 = |a, b| zip(a, b, |x, y| pmax(y, x));
            F64x2RelaxedMin: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, |x, y| pmin(y, x));
            F64x2RelaxedMax: f64x2, f64x2 -> f64x2 = |a, b| zip(a, b, |x, y| pmax(y, x));
            I16x8RelaxedDotI8x16I7x16S: i8x16, i8x16 -> i16x8 = dot_i8;
        }
        simd_ternary {
            // Relaxed SIMD: `a * b + c` and `(-a) * b + c` with two roundings, a NaN result
            // canonical; the dot product of signed bytes, its pairs summed, plus `c`.
            F32x4RelaxedMadd: f32x4, f32x4, f32x4 -> f32x4 = |a, b, c| zip3(a, b, c, madd_f32);
            F32x4RelaxedNmadd: f32x4, f32x4, f32x4 -> f32x4 = |a, b, c| zip3(a, b, c, |x, y, z| madd_f32(-x, y, z));
            F64x2RelaxedMadd: f64x2, f64x2, f64x2 -> f64x2 = |a, b, c| zip3(a, b, c, madd_f64);
            F64x2RelaxedNmadd: f64x2, f64x2, f64x2 -> f64x2 = |a, b, c| zip3(a, b, c, |x, y, z| madd_f64(-x, y, z));
            I32x4RelaxedDotI8x16I7x16AddS: i8x16, i8x16, i32x4 -> i32x4 = dot_i8_add;
        }
        simd_load {
            V128Load: v128 -> v128 = |a| a;
            V128Load8x8S: i8x8 -> i16x8 = |a| a.map(i16::from);
            V128Load8x8U: u8x8 -> u16x8 = |a| a.map(u16::from);
            V128Load16x4S: i16x4 -> i32x4 = |a| a.map(i32::from);
            V128Load16x4U: u16x4 -> u32x4 = |a| a.map(u32::from);
            V128Load32x2S: i32x2 -> i64x2 = |a| a.map(i64::from);
            V128Load32x2U: u32x2 -> u64x2 = |a| a.map(u64::from);
            V128Load8Splat: u8 -> u8x16 = |x| [x; 16];
            V128Load16Splat: u16 -> u16x8 = |x| [x; 8];
            V128Load32Splat: u32 -> u32x4 = |x| [x; 4];
            V128Load64Splat: u64 -> u64x2 = |x| [x; 2];
            V128Load32Zero: u32 -> u32x4 = |x| [x, 0, 0, 0];
            V128Load64Zero: u64 -> u64x2 = |x| [x, 0];
        }
        simd_extract {
            I8x16ExtractLaneS: i8x16 -> i32 = |a, l| lane(a, l) as i32;
            I8x16ExtractLaneU: u8x16 -> i32 = |a, l| lane(a, l) as i32;
            I16x8ExtractLaneS: i16x8 -> i32 = |a, l| lane(a, l) as i32;
            I16x8ExtractLaneU: u16x8 -> i32 = |a, l| lane(a, l) as i32;
            I32x4ExtractLane: i32x4 -> i32 = lane;
            I64x2ExtractLane: i64x2 -> i64 = lane;
            F32x4ExtractLane: u32x4 -> u32 = lane;
            F64x2ExtractLane: u64x2 -> u64 = lane;
        }
        simd_replace {
            I8x16ReplaceLane: i8x16, i32 = |a, l, x| set(a, l, x as i8);
            I16x8ReplaceLane: i16x8, i32 = |a, l, x| set(a, l, x as i16);
            I32x4ReplaceLane: i32x4, i32 = set;
            I64x2ReplaceLane: i64x2, i64 = set;
            F32x4ReplaceLane: u32x4, u32 = set;
            F64x2ReplaceLane: u64x2, u64 = set;
        }
        simd_load_lane {
            V128Load8Lane: u8;
            V128Load16Lane: u16;
            V128Load32Lane: u32;
            V128Load64Lane: u64;
        }
        simd_store_lane {
            V128Store8Lane: u8;
            V128Store16Lane: u16;
            V128Store32Lane: u32;
            V128Store64Lane: u64;
        }
        simd_special {
            // Copies a v128 (two cells).
            CopyV128 { dst: Slot, src: Slot };
            // `dst` holds the first operand; replaced by `alt` when `cond` is zero.
            SelectV128 { dst: Slot, alt: Slot, cond: Slot };
            GlobalGetV128 { dst: Slot, global: u32 };
            GlobalSetV128 { src: Slot, global: u32 };
            V128Store { addr: Slot, value: Slot, offset: u32 };
            // Followed by `Ext { a: mask }`, the slot of the 16 lane indices (a constant).
            I8x16Shuffle { dst: Slot, lhs: Slot, rhs: Slot };
            // A shuffle that moves whole 32-bit lanes (the common case); followed by
            // `Ext { a: lanes }`, byte `i` of `lanes` the lane (0..8 of `lhs` then `rhs`) of `i`.
            I32x4Shuffle { dst: Slot, lhs: Slot, rhs: Slot };
            // Followed by `Ext { a: mask }`: bits of `lhs` where `mask` is set, else of `rhs`.
            V128Bitselect { dst: Slot, lhs: Slot, rhs: Slot };
        }
        }
    };
}

pub(crate) use for_each_simd_op;
