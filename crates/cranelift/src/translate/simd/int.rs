//! Integer lane arithmetic: add/sub/mul (wrapping), saturating add/sub, min/max, `avgr_u`,
//! abs/neg, `popcnt`, shifts (Cranelift masks a vector shift count by the lane width, as wasm
//! does), comparisons (all-ones/all-zeros lane masks), narrowing (saturating; wasm's `narrow_u`
//! reads signed input, which is Cranelift's `unarrow`), extension, `extadd_pairwise`, `extmul`,
//! `q15mulr_sat_s` and `i32x4.dot_i16x8_s`.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, Value, types};
use wasmparser::Operator;

use super::super::FuncTranslator;

#[derive(Clone, Copy)]
enum Shift {
    Left,
    RightS,
    RightU,
}

#[derive(Clone, Copy)]
enum Half {
    Low,
    High,
}

impl FuncTranslator<'_> {
    fn vicmp(&mut self, ty: ir::Type, cc: IntCC) {
        self.vbinop(ty, |t, a, b| t.b.ins().icmp(cc, a, b));
    }

    /// A shift of lanes of type `ty` by the popped `i32` count.
    fn vshift(&mut self, ty: ir::Type, kind: Shift) {
        let count = self.pop();
        let v = self.pop_vec(ty);
        let r = match kind {
            Shift::Left => self.b.ins().ishl(v, count),
            Shift::RightS => self.b.ins().sshr(v, count),
            Shift::RightU => self.b.ins().ushr(v, count),
        };
        self.push_vec(r);
    }

    /// Half of `v`'s lanes widened to twice their width.
    fn widen(&mut self, v: Value, signed: bool, half: Half) -> Value {
        match (signed, half) {
            (true, Half::Low) => self.b.ins().swiden_low(v),
            (true, Half::High) => self.b.ins().swiden_high(v),
            (false, Half::Low) => self.b.ins().uwiden_low(v),
            (false, Half::High) => self.b.ins().uwiden_high(v),
        }
    }

    /// `extend_low/high` of lanes of type `ty` (the narrow type).
    fn vextend(&mut self, ty: ir::Type, signed: bool, half: Half) {
        self.vunop(ty, |t, a| t.widen(a, signed, half));
    }

    /// `extmul_low/high` of lanes of type `ty` (the narrow type): the product of the widened
    /// lanes, which cannot overflow.
    fn vextmul(&mut self, ty: ir::Type, signed: bool, half: Half) {
        self.vbinop(ty, |t, a, b| {
            let a = t.widen(a, signed, half);
            let b = t.widen(b, signed, half);
            t.b.ins().imul(a, b)
        });
    }

    /// `extadd_pairwise` of lanes of type `ty` (the narrow type): adjacent lanes widened and
    /// summed, lanes 2i and 2i+1 into lane i.
    fn vextadd_pairwise(&mut self, ty: ir::Type, signed: bool) {
        self.vunop(ty, |t, a| {
            let lo = t.widen(a, signed, Half::Low);
            let hi = t.widen(a, signed, Half::High);
            t.b.ins().iadd_pairwise(lo, hi)
        });
    }

    /// `i32x4.dot_i16x8_s`: products of signed 16-bit lanes, adjacent ones summed (wrapping,
    /// in the one case -32768² · 2).
    fn vdot(&mut self) {
        self.vbinop(types::I16X8, |t, a, b| {
            let (al, bl) = (t.b.ins().swiden_low(a), t.b.ins().swiden_low(b));
            let (ah, bh) = (t.b.ins().swiden_high(a), t.b.ins().swiden_high(b));
            let lo = t.b.ins().imul(al, bl);
            let hi = t.b.ins().imul(ah, bh);
            t.b.ins().iadd_pairwise(lo, hi)
        });
    }

    /// Integer lane operators; false if `op` is not one.
    pub(super) fn simd_int_operator(&mut self, op: &Operator<'_>) -> bool {
        use IntCC as C;
        use Operator as O;
        use types::{I8X16, I16X8, I32X4, I64X2};
        macro_rules! un {
            ($ty:expr, $m:ident) => {
                self.vunop($ty, |t, a| t.b.ins().$m(a))
            };
        }
        macro_rules! bin {
            ($ty:expr, $m:ident) => {
                self.vbinop($ty, |t, a, b| t.b.ins().$m(a, b))
            };
        }
        match *op {
            O::I8x16Add => bin!(I8X16, iadd),
            O::I16x8Add => bin!(I16X8, iadd),
            O::I32x4Add => bin!(I32X4, iadd),
            O::I64x2Add => bin!(I64X2, iadd),
            O::I8x16Sub => bin!(I8X16, isub),
            O::I16x8Sub => bin!(I16X8, isub),
            O::I32x4Sub => bin!(I32X4, isub),
            O::I64x2Sub => bin!(I64X2, isub),
            O::I16x8Mul => bin!(I16X8, imul),
            O::I32x4Mul => bin!(I32X4, imul),
            O::I64x2Mul => bin!(I64X2, imul),
            O::I8x16AddSatS => bin!(I8X16, sadd_sat),
            O::I8x16AddSatU => bin!(I8X16, uadd_sat),
            O::I16x8AddSatS => bin!(I16X8, sadd_sat),
            O::I16x8AddSatU => bin!(I16X8, uadd_sat),
            O::I8x16SubSatS => bin!(I8X16, ssub_sat),
            O::I8x16SubSatU => bin!(I8X16, usub_sat),
            O::I16x8SubSatS => bin!(I16X8, ssub_sat),
            O::I16x8SubSatU => bin!(I16X8, usub_sat),
            O::I8x16MinS => bin!(I8X16, smin),
            O::I8x16MinU => bin!(I8X16, umin),
            O::I8x16MaxS => bin!(I8X16, smax),
            O::I8x16MaxU => bin!(I8X16, umax),
            O::I16x8MinS => bin!(I16X8, smin),
            O::I16x8MinU => bin!(I16X8, umin),
            O::I16x8MaxS => bin!(I16X8, smax),
            O::I16x8MaxU => bin!(I16X8, umax),
            O::I32x4MinS => bin!(I32X4, smin),
            O::I32x4MinU => bin!(I32X4, umin),
            O::I32x4MaxS => bin!(I32X4, smax),
            O::I32x4MaxU => bin!(I32X4, umax),
            O::I8x16AvgrU => bin!(I8X16, avg_round),
            O::I16x8AvgrU => bin!(I16X8, avg_round),
            O::I16x8Q15MulrSatS => bin!(I16X8, sqmul_round_sat),
            O::I8x16Abs => un!(I8X16, iabs),
            O::I16x8Abs => un!(I16X8, iabs),
            O::I32x4Abs => un!(I32X4, iabs),
            O::I64x2Abs => un!(I64X2, iabs),
            O::I8x16Neg => un!(I8X16, ineg),
            O::I16x8Neg => un!(I16X8, ineg),
            O::I32x4Neg => un!(I32X4, ineg),
            O::I64x2Neg => un!(I64X2, ineg),
            O::I8x16Popcnt => un!(I8X16, popcnt),
            O::I8x16Shl => self.vshift(I8X16, Shift::Left),
            O::I16x8Shl => self.vshift(I16X8, Shift::Left),
            O::I32x4Shl => self.vshift(I32X4, Shift::Left),
            O::I64x2Shl => self.vshift(I64X2, Shift::Left),
            O::I8x16ShrS => self.vshift(I8X16, Shift::RightS),
            O::I16x8ShrS => self.vshift(I16X8, Shift::RightS),
            O::I32x4ShrS => self.vshift(I32X4, Shift::RightS),
            O::I64x2ShrS => self.vshift(I64X2, Shift::RightS),
            O::I8x16ShrU => self.vshift(I8X16, Shift::RightU),
            O::I16x8ShrU => self.vshift(I16X8, Shift::RightU),
            O::I32x4ShrU => self.vshift(I32X4, Shift::RightU),
            O::I64x2ShrU => self.vshift(I64X2, Shift::RightU),
            O::I8x16Eq => self.vicmp(I8X16, C::Equal),
            O::I8x16Ne => self.vicmp(I8X16, C::NotEqual),
            O::I8x16LtS => self.vicmp(I8X16, C::SignedLessThan),
            O::I8x16LtU => self.vicmp(I8X16, C::UnsignedLessThan),
            O::I8x16GtS => self.vicmp(I8X16, C::SignedGreaterThan),
            O::I8x16GtU => self.vicmp(I8X16, C::UnsignedGreaterThan),
            O::I8x16LeS => self.vicmp(I8X16, C::SignedLessThanOrEqual),
            O::I8x16LeU => self.vicmp(I8X16, C::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.vicmp(I8X16, C::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.vicmp(I8X16, C::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.vicmp(I16X8, C::Equal),
            O::I16x8Ne => self.vicmp(I16X8, C::NotEqual),
            O::I16x8LtS => self.vicmp(I16X8, C::SignedLessThan),
            O::I16x8LtU => self.vicmp(I16X8, C::UnsignedLessThan),
            O::I16x8GtS => self.vicmp(I16X8, C::SignedGreaterThan),
            O::I16x8GtU => self.vicmp(I16X8, C::UnsignedGreaterThan),
            O::I16x8LeS => self.vicmp(I16X8, C::SignedLessThanOrEqual),
            O::I16x8LeU => self.vicmp(I16X8, C::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.vicmp(I16X8, C::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.vicmp(I16X8, C::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.vicmp(I32X4, C::Equal),
            O::I32x4Ne => self.vicmp(I32X4, C::NotEqual),
            O::I32x4LtS => self.vicmp(I32X4, C::SignedLessThan),
            O::I32x4LtU => self.vicmp(I32X4, C::UnsignedLessThan),
            O::I32x4GtS => self.vicmp(I32X4, C::SignedGreaterThan),
            O::I32x4GtU => self.vicmp(I32X4, C::UnsignedGreaterThan),
            O::I32x4LeS => self.vicmp(I32X4, C::SignedLessThanOrEqual),
            O::I32x4LeU => self.vicmp(I32X4, C::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.vicmp(I32X4, C::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.vicmp(I32X4, C::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.vicmp(I64X2, C::Equal),
            O::I64x2Ne => self.vicmp(I64X2, C::NotEqual),
            O::I64x2LtS => self.vicmp(I64X2, C::SignedLessThan),
            O::I64x2GtS => self.vicmp(I64X2, C::SignedGreaterThan),
            O::I64x2LeS => self.vicmp(I64X2, C::SignedLessThanOrEqual),
            O::I64x2GeS => self.vicmp(I64X2, C::SignedGreaterThanOrEqual),
            O::I8x16NarrowI16x8S => bin!(I16X8, snarrow),
            O::I8x16NarrowI16x8U => bin!(I16X8, unarrow),
            O::I16x8NarrowI32x4S => bin!(I32X4, snarrow),
            O::I16x8NarrowI32x4U => bin!(I32X4, unarrow),
            O::I16x8ExtendLowI8x16S => self.vextend(I8X16, true, Half::Low),
            O::I16x8ExtendHighI8x16S => self.vextend(I8X16, true, Half::High),
            O::I16x8ExtendLowI8x16U => self.vextend(I8X16, false, Half::Low),
            O::I16x8ExtendHighI8x16U => self.vextend(I8X16, false, Half::High),
            O::I32x4ExtendLowI16x8S => self.vextend(I16X8, true, Half::Low),
            O::I32x4ExtendHighI16x8S => self.vextend(I16X8, true, Half::High),
            O::I32x4ExtendLowI16x8U => self.vextend(I16X8, false, Half::Low),
            O::I32x4ExtendHighI16x8U => self.vextend(I16X8, false, Half::High),
            O::I64x2ExtendLowI32x4S => self.vextend(I32X4, true, Half::Low),
            O::I64x2ExtendHighI32x4S => self.vextend(I32X4, true, Half::High),
            O::I64x2ExtendLowI32x4U => self.vextend(I32X4, false, Half::Low),
            O::I64x2ExtendHighI32x4U => self.vextend(I32X4, false, Half::High),
            O::I16x8ExtMulLowI8x16S => self.vextmul(I8X16, true, Half::Low),
            O::I16x8ExtMulHighI8x16S => self.vextmul(I8X16, true, Half::High),
            O::I16x8ExtMulLowI8x16U => self.vextmul(I8X16, false, Half::Low),
            O::I16x8ExtMulHighI8x16U => self.vextmul(I8X16, false, Half::High),
            O::I32x4ExtMulLowI16x8S => self.vextmul(I16X8, true, Half::Low),
            O::I32x4ExtMulHighI16x8S => self.vextmul(I16X8, true, Half::High),
            O::I32x4ExtMulLowI16x8U => self.vextmul(I16X8, false, Half::Low),
            O::I32x4ExtMulHighI16x8U => self.vextmul(I16X8, false, Half::High),
            O::I64x2ExtMulLowI32x4S => self.vextmul(I32X4, true, Half::Low),
            O::I64x2ExtMulHighI32x4S => self.vextmul(I32X4, true, Half::High),
            O::I64x2ExtMulLowI32x4U => self.vextmul(I32X4, false, Half::Low),
            O::I64x2ExtMulHighI32x4U => self.vextmul(I32X4, false, Half::High),
            O::I16x8ExtAddPairwiseI8x16S => self.vextadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.vextadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.vextadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.vextadd_pairwise(I16X8, false),
            O::I32x4DotI16x8S => self.vdot(),
            _ => return false,
        }
        true
    }
}
