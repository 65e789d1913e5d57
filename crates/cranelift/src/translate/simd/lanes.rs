//! Whole-vector and lane operators: `v128.const`, `splat`, `extract_lane`, `replace_lane`,
//! `i8x16.shuffle` (an immediate byte mask over both operands), `i8x16.swizzle` (out-of-range
//! indices give 0, as Cranelift's `swizzle` does), the bitwise operators, `any_true`,
//! `all_true` and `bitmask` (`vhigh_bits`: bit i is the top bit of lane i).

use cranelift_codegen::ir::{self, ConstantData, InstBuilder, Value, types};
use wasmparser::Operator;

use super::super::FuncTranslator;

/// How an extracted lane narrower than 32 bits becomes an `i32`.
#[derive(Clone, Copy)]
enum Ext {
    Signed,
    Unsigned,
    /// The lane is already a full wasm scalar.
    None,
}

impl FuncTranslator<'_> {
    /// `splat` of the popped scalar over lanes of type `ty` (an `i32` is narrowed for 8- and
    /// 16-bit lanes).
    fn splat(&mut self, ty: ir::Type) {
        let mut x = self.pop();
        if ty.lane_bits() < 32 {
            x = self.b.ins().ireduce(ty.lane_type(), x);
        }
        let v = self.b.ins().splat(ty, x);
        self.push_vec(v);
    }

    fn extract_lane(&mut self, ty: ir::Type, lane: u8, ext: Ext) {
        let v = self.pop_vec(ty);
        let x = self.b.ins().extractlane(v, lane);
        let x = match ext {
            Ext::Signed => self.b.ins().sextend(types::I32, x),
            Ext::Unsigned => self.b.ins().uextend(types::I32, x),
            Ext::None => x,
        };
        self.push(x);
    }

    fn replace_lane(&mut self, ty: ir::Type, lane: u8) {
        let mut x = self.pop();
        let v = self.pop_vec(ty);
        if ty.lane_bits() < 32 {
            x = self.b.ins().ireduce(ty.lane_type(), x);
        }
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_vec(r);
    }

    fn shuffle(&mut self, lanes: &[u8; 16]) {
        let (a, b) = self.pop2_vec(types::I8X16);
        let mask = self
            .b
            .func
            .dfg
            .immediates
            .push(ConstantData::from(&lanes[..]));
        let v = self.b.ins().shuffle(a, b, mask);
        self.push_vec(v);
    }

    /// Pushes an `i32` boolean computed from the popped vector of type `ty`.
    fn v_test(&mut self, ty: ir::Type, f: impl FnOnce(&mut Self, Value) -> Value) {
        let v = self.pop_vec(ty);
        let t = f(self, v);
        let t = self.b.ins().uextend(types::I32, t);
        self.push(t);
    }

    fn bitmask(&mut self, ty: ir::Type) {
        let v = self.pop_vec(ty);
        let m = self.b.ins().vhigh_bits(types::I32, v);
        self.push(m);
    }

    /// Lane and bitwise operators; false if `op` is not one.
    pub(super) fn simd_lane_operator(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        use types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};
        match *op {
            O::V128Const { value } => {
                let v = self.v128_const(value.bytes());
                self.push(v);
            }
            O::I8x16Splat => self.splat(I8X16),
            O::I16x8Splat => self.splat(I16X8),
            O::I32x4Splat => self.splat(I32X4),
            O::I64x2Splat => self.splat(I64X2),
            O::F32x4Splat => self.splat(F32X4),
            O::F64x2Splat => self.splat(F64X2),
            O::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Ext::Signed),
            O::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Ext::Unsigned),
            O::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Ext::Signed),
            O::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Ext::Unsigned),
            O::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, Ext::None),
            O::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, Ext::None),
            O::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, Ext::None),
            O::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, Ext::None),
            O::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane),
            O::I8x16Shuffle { ref lanes } => self.shuffle(lanes),
            O::I8x16Swizzle => self.vbinop(I8X16, |t, a, s| t.b.ins().swizzle(a, s)),
            O::V128Not => self.vunop(I8X16, |t, a| t.b.ins().bnot(a)),
            O::V128And => self.vbinop(I8X16, |t, a, b| t.b.ins().band(a, b)),
            O::V128Or => self.vbinop(I8X16, |t, a, b| t.b.ins().bor(a, b)),
            O::V128Xor => self.vbinop(I8X16, |t, a, b| t.b.ins().bxor(a, b)),
            // wasm: a & ~b.
            O::V128AndNot => self.vbinop(I8X16, |t, a, b| t.b.ins().band_not(a, b)),
            // wasm: (a & c) | (b & ~c), with the mask `c` on top.
            O::V128Bitselect => {
                let c = self.pop_vec(I8X16);
                let (a, b) = self.pop2_vec(I8X16);
                let v = self.b.ins().bitselect(c, a, b);
                self.push_vec(v);
            }
            O::V128AnyTrue => self.v_test(I8X16, |t, v| t.b.ins().vany_true(v)),
            O::I8x16AllTrue => self.v_test(I8X16, |t, v| t.b.ins().vall_true(v)),
            O::I16x8AllTrue => self.v_test(I16X8, |t, v| t.b.ins().vall_true(v)),
            O::I32x4AllTrue => self.v_test(I32X4, |t, v| t.b.ins().vall_true(v)),
            O::I64x2AllTrue => self.v_test(I64X2, |t, v| t.b.ins().vall_true(v)),
            O::I8x16Bitmask => self.bitmask(I8X16),
            O::I16x8Bitmask => self.bitmask(I16X8),
            O::I32x4Bitmask => self.bitmask(I32X4),
            O::I64x2Bitmask => self.bitmask(I64X2),
            _ => return false,
        }
        true
    }
}
