//! Float lane arithmetic and the conversions between lane types. `fmin`/`fmax` have wasm's
//! `min`/`max` semantics (a NaN operand gives NaN, -0 < +0); `pmin`/`pmax` are the spec's
//! `b < a ? b : a` and `a < b ? b : a`, built from `fcmp` and `bitselect` so that NaNs and zeros
//! select the first operand. `trunc_sat_f64x2_*_zero` saturate to 64-bit lanes and narrow them
//! (saturating again, harmlessly) next to a zero vector; `convert_low` and `promote_low` read the
//! two low lanes; `demote_f64x2_zero` zeroes the two high lanes.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{self, ConstantData, InstBuilder, types};
use wasmparser::Operator;

use super::super::FuncTranslator;

impl FuncTranslator<'_> {
    fn vfcmp(&mut self, ty: ir::Type, cc: FloatCC) {
        self.vbinop(ty, |t, a, b| t.b.ins().fcmp(cc, a, b));
    }

    /// `pmin` (`max` false: `b < a ? b : a`) or `pmax` (`a < b ? b : a`) on lanes of type `ty`.
    pub(super) fn pminmax(&mut self, ty: ir::Type, max: bool) {
        self.vbinop(ty, |t, a, b| {
            let take_b = if max {
                t.b.ins().fcmp(FloatCC::LessThan, a, b)
            } else {
                t.b.ins().fcmp(FloatCC::LessThan, b, a)
            };
            let take_b = t.as_vec(take_b, ty);
            t.b.ins().bitselect(take_b, b, a)
        });
    }

    /// `i32x4.trunc_sat_f64x2_s/u_zero`.
    fn trunc_sat_zero(&mut self, signed: bool) {
        self.vunop(types::F64X2, |t, a| {
            // Cranelift lowers `snarrow`/`uunarrow` of 64-bit lanes only in this exact shape: a
            // saturating conversion next to a zero constant of the lane type (no bitcast).
            let data = ConstantData::from(&[0u8; 16][..]);
            let handle = t.b.func.dfg.constants.insert(data);
            let zero = t.b.ins().vconst(types::I64X2, handle);
            if signed {
                let x = t.b.ins().fcvt_to_sint_sat(types::I64X2, a);
                t.b.ins().snarrow(x, zero)
            } else {
                let x = t.b.ins().fcvt_to_uint_sat(types::I64X2, a);
                t.b.ins().uunarrow(x, zero)
            }
        });
    }

    /// Float lane operators and lane conversions; false if `op` is not one.
    pub(super) fn simd_float_operator(&mut self, op: &Operator<'_>) -> bool {
        use FloatCC as C;
        use Operator as O;
        use types::{F32X4, F64X2, I32X4};
        macro_rules! un {
            ($ty:expr, $m:ident) => {
                self.vunop($ty, |t, a| t.b.ins().$m(a))
            };
            ($ty:expr, $m:ident, $to:expr) => {
                self.vunop($ty, |t, a| t.b.ins().$m($to, a))
            };
        }
        macro_rules! bin {
            ($ty:expr, $m:ident) => {
                self.vbinop($ty, |t, a, b| t.b.ins().$m(a, b))
            };
        }
        match *op {
            O::F32x4Add => bin!(F32X4, fadd),
            O::F64x2Add => bin!(F64X2, fadd),
            O::F32x4Sub => bin!(F32X4, fsub),
            O::F64x2Sub => bin!(F64X2, fsub),
            O::F32x4Mul => bin!(F32X4, fmul),
            O::F64x2Mul => bin!(F64X2, fmul),
            O::F32x4Div => bin!(F32X4, fdiv),
            O::F64x2Div => bin!(F64X2, fdiv),
            O::F32x4Min => bin!(F32X4, fmin),
            O::F64x2Min => bin!(F64X2, fmin),
            O::F32x4Max => bin!(F32X4, fmax),
            O::F64x2Max => bin!(F64X2, fmax),
            O::F32x4PMin => self.pminmax(F32X4, false),
            O::F64x2PMin => self.pminmax(F64X2, false),
            O::F32x4PMax => self.pminmax(F32X4, true),
            O::F64x2PMax => self.pminmax(F64X2, true),
            O::F32x4Ceil => un!(F32X4, ceil),
            O::F64x2Ceil => un!(F64X2, ceil),
            O::F32x4Floor => un!(F32X4, floor),
            O::F64x2Floor => un!(F64X2, floor),
            O::F32x4Trunc => un!(F32X4, trunc),
            O::F64x2Trunc => un!(F64X2, trunc),
            O::F32x4Nearest => un!(F32X4, nearest),
            O::F64x2Nearest => un!(F64X2, nearest),
            O::F32x4Abs => un!(F32X4, fabs),
            O::F64x2Abs => un!(F64X2, fabs),
            O::F32x4Neg => un!(F32X4, fneg),
            O::F64x2Neg => un!(F64X2, fneg),
            O::F32x4Sqrt => un!(F32X4, sqrt),
            O::F64x2Sqrt => un!(F64X2, sqrt),
            O::F32x4Eq => self.vfcmp(F32X4, C::Equal),
            O::F64x2Eq => self.vfcmp(F64X2, C::Equal),
            O::F32x4Ne => self.vfcmp(F32X4, C::NotEqual),
            O::F64x2Ne => self.vfcmp(F64X2, C::NotEqual),
            O::F32x4Lt => self.vfcmp(F32X4, C::LessThan),
            O::F64x2Lt => self.vfcmp(F64X2, C::LessThan),
            O::F32x4Gt => self.vfcmp(F32X4, C::GreaterThan),
            O::F64x2Gt => self.vfcmp(F64X2, C::GreaterThan),
            O::F32x4Le => self.vfcmp(F32X4, C::LessThanOrEqual),
            O::F64x2Le => self.vfcmp(F64X2, C::LessThanOrEqual),
            O::F32x4Ge => self.vfcmp(F32X4, C::GreaterThanOrEqual),
            O::F64x2Ge => self.vfcmp(F64X2, C::GreaterThanOrEqual),
            O::I32x4TruncSatF32x4S => un!(F32X4, fcvt_to_sint_sat, I32X4),
            O::I32x4TruncSatF32x4U => un!(F32X4, fcvt_to_uint_sat, I32X4),
            O::I32x4TruncSatF64x2SZero => self.trunc_sat_zero(true),
            O::I32x4TruncSatF64x2UZero => self.trunc_sat_zero(false),
            O::F32x4ConvertI32x4S => un!(I32X4, fcvt_from_sint, F32X4),
            O::F32x4ConvertI32x4U => un!(I32X4, fcvt_from_uint, F32X4),
            O::F64x2ConvertLowI32x4S => self.vunop(I32X4, |t, a| {
                let w = t.b.ins().swiden_low(a);
                t.b.ins().fcvt_from_sint(F64X2, w)
            }),
            O::F64x2ConvertLowI32x4U => self.vunop(I32X4, |t, a| {
                let w = t.b.ins().uwiden_low(a);
                t.b.ins().fcvt_from_uint(F64X2, w)
            }),
            O::F32x4DemoteF64x2Zero => un!(F64X2, fvdemote),
            O::F64x2PromoteLowF32x4 => un!(F32X4, fvpromote_low),
            _ => return false,
        }
        true
    }
}
