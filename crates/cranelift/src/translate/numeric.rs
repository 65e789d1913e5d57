//! Numeric operators: constants, integer and float arithmetic, comparisons and conversions, and
//! wide arithmetic (128-bit add/sub and 64×64→128 multiplication).
//! Cranelift's instructions already have wasm's semantics here (trapping division and
//! float-to-int conversions, IEEE `fmin`/`fmax` with NaN propagation, masked shift counts).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, Value, types};
use wasmparser::Operator;

use super::FuncTranslator;

impl FuncTranslator<'_> {
    fn unop(&mut self, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop();
        let v = f(self, a);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let (a, b) = self.pop2();
        let v = f(self, a, b);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        self.binop(|t, a, b| {
            let c = t.b.ins().icmp(cc, a, b);
            t.b.ins().uextend(types::I32, c)
        });
    }

    fn fcmp(&mut self, cc: FloatCC) {
        self.binop(|t, a, b| {
            let c = t.b.ins().fcmp(cc, a, b);
            t.b.ins().uextend(types::I32, c)
        });
    }

    fn eqz(&mut self) {
        self.unop(|t, a| {
            let c = t.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
            t.b.ins().uextend(types::I32, c)
        });
    }

    fn sext(&mut self, narrow: ir::Type, wide: ir::Type) {
        self.unop(|t, a| {
            let n = t.b.ins().ireduce(narrow, a);
            t.b.ins().sextend(wide, n)
        });
    }

    fn bitcast(&mut self, ty: ir::Type) {
        self.unop(|t, a| t.b.ins().bitcast(ty, MemFlagsData::new(), a));
    }

    /// `i64.add128` or, with `sub`, `i64.sub128`: the operands' halves joined into `I128`s, the
    /// result split again (an `add`/`adc` or `sub`/`sbb` pair on x86-64).
    fn add128(&mut self, sub: bool) {
        let v = self.popn(4);
        let a = self.b.ins().iconcat(v[0], v[1]);
        let b = self.b.ins().iconcat(v[2], v[3]);
        let r = if sub {
            self.b.ins().isub(a, b)
        } else {
            self.b.ins().iadd(a, b)
        };
        let (lo, hi) = self.b.ins().isplit(r);
        self.push(lo);
        self.push(hi);
    }

    /// `i64.mul_wide_s/u`: the low and the high half of the 128-bit product.
    fn mul_wide(&mut self, signed: bool) {
        let (a, b) = self.pop2();
        let lo = self.b.ins().imul(a, b);
        let hi = if signed {
            self.b.ins().smulhi(a, b)
        } else {
            self.b.ins().umulhi(a, b)
        };
        self.push(lo);
        self.push(hi);
    }

    /// Numeric operators; false if `op` is not one.
    pub(super) fn numeric_operator(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        use types::{F32, F64, I8, I16, I32, I64};
        macro_rules! un {
            ($m:ident) => {
                self.unop(|t, a| t.b.ins().$m(a))
            };
            ($m:ident, $ty:expr) => {
                self.unop(|t, a| t.b.ins().$m($ty, a))
            };
        }
        macro_rules! bin {
            ($m:ident) => {
                self.binop(|t, a, b| t.b.ins().$m(a, b))
            };
        }
        match *op {
            O::I32Const { value } => {
                let v = self.b.ins().iconst(I32, i64::from(value));
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.push(v);
            }
            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),
            O::I32Clz | O::I64Clz => un!(clz),
            O::I32Ctz | O::I64Ctz => un!(ctz),
            O::I32Popcnt | O::I64Popcnt => un!(popcnt),
            O::I32Add | O::I64Add => bin!(iadd),
            O::I32Sub | O::I64Sub => bin!(isub),
            O::I32Mul | O::I64Mul => bin!(imul),
            O::I32DivS | O::I64DivS => bin!(sdiv),
            O::I32DivU | O::I64DivU => bin!(udiv),
            O::I32RemS | O::I64RemS => bin!(srem),
            O::I32RemU | O::I64RemU => bin!(urem),
            O::I32And | O::I64And => bin!(band),
            O::I32Or | O::I64Or => bin!(bor),
            O::I32Xor | O::I64Xor => bin!(bxor),
            O::I32Shl | O::I64Shl => bin!(ishl),
            O::I32ShrS | O::I64ShrS => bin!(sshr),
            O::I32ShrU | O::I64ShrU => bin!(ushr),
            O::I32Rotl | O::I64Rotl => bin!(rotl),
            O::I32Rotr | O::I64Rotr => bin!(rotr),
            O::F32Abs | O::F64Abs => un!(fabs),
            O::F32Neg | O::F64Neg => un!(fneg),
            O::F32Ceil | O::F64Ceil => un!(ceil),
            O::F32Floor | O::F64Floor => un!(floor),
            O::F32Trunc | O::F64Trunc => un!(trunc),
            O::F32Nearest | O::F64Nearest => un!(nearest),
            O::F32Sqrt | O::F64Sqrt => un!(sqrt),
            O::F32Add | O::F64Add => bin!(fadd),
            O::F32Sub | O::F64Sub => bin!(fsub),
            O::F32Mul | O::F64Mul => bin!(fmul),
            O::F32Div | O::F64Div => bin!(fdiv),
            O::F32Min | O::F64Min => bin!(fmin),
            O::F32Max | O::F64Max => bin!(fmax),
            O::F32Copysign | O::F64Copysign => bin!(fcopysign),
            O::I32WrapI64 => un!(ireduce, I32),
            O::I64ExtendI32S => un!(sextend, I64),
            O::I64ExtendI32U => un!(uextend, I64),
            O::I32Extend8S => self.sext(I8, I32),
            O::I32Extend16S => self.sext(I16, I32),
            O::I64Extend8S => self.sext(I8, I64),
            O::I64Extend16S => self.sext(I16, I64),
            O::I64Extend32S => self.sext(I32, I64),
            O::I32TruncF32S | O::I32TruncF64S => un!(fcvt_to_sint, I32),
            O::I32TruncF32U | O::I32TruncF64U => un!(fcvt_to_uint, I32),
            O::I64TruncF32S | O::I64TruncF64S => un!(fcvt_to_sint, I64),
            O::I64TruncF32U | O::I64TruncF64U => un!(fcvt_to_uint, I64),
            O::I32TruncSatF32S | O::I32TruncSatF64S => un!(fcvt_to_sint_sat, I32),
            O::I32TruncSatF32U | O::I32TruncSatF64U => un!(fcvt_to_uint_sat, I32),
            O::I64TruncSatF32S | O::I64TruncSatF64S => un!(fcvt_to_sint_sat, I64),
            O::I64TruncSatF32U | O::I64TruncSatF64U => un!(fcvt_to_uint_sat, I64),
            O::F32ConvertI32S | O::F32ConvertI64S => un!(fcvt_from_sint, F32),
            O::F32ConvertI32U | O::F32ConvertI64U => un!(fcvt_from_uint, F32),
            O::F64ConvertI32S | O::F64ConvertI64S => un!(fcvt_from_sint, F64),
            O::F64ConvertI32U | O::F64ConvertI64U => un!(fcvt_from_uint, F64),
            O::F32DemoteF64 => un!(fdemote, F32),
            O::F64PromoteF32 => un!(fpromote, F64),
            O::I32ReinterpretF32 => self.bitcast(I32),
            O::I64ReinterpretF64 => self.bitcast(I64),
            O::F32ReinterpretI32 => self.bitcast(F32),
            O::F64ReinterpretI64 => self.bitcast(F64),
            O::I64Add128 => self.add128(false),
            O::I64Sub128 => self.add128(true),
            O::I64MulWideS => self.mul_wide(true),
            O::I64MulWideU => self.mul_wide(false),
            _ => return false,
        }
        true
    }
}
