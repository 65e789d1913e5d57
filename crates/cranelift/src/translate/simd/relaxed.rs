//! The relaxed SIMD operators that are not a 2.0 operator (those are translated as that one, in
//! `simd/mod.rs`), with the results `wexe_environ::relaxed_simd` fixes for both tiers:
//! `relaxed_min`/`max` as x86's `minps`/`maxps` (`a < b ? a : b`, `a > b ? a : b`: the
//! `fcmp` + `bitselect` shape Cranelift lowers to that one instruction), `relaxed_madd`/`nmadd`
//! as a multiplication then an addition with a NaN result made canonical, and the dot products
//! with both byte operands signed.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{self, InstBuilder, Value, types};
use wasmparser::Operator;

use super::super::FuncTranslator;

impl FuncTranslator<'_> {
    /// `relaxed_min` (`a < b ? a : b`) or `relaxed_max` (`a > b ? a : b`) on lanes of type `ty`:
    /// `pmin`/`pmax` with the operands swapped.
    fn relaxed_minmax(&mut self, ty: ir::Type, max: bool) {
        let (a, b) = self.pop2();
        self.push(b);
        self.push(a);
        self.pminmax(ty, max);
    }

    /// `relaxed_madd` (`a * b + c`) or, with `negate`, `relaxed_nmadd` (`(-a) * b + c`) on lanes
    /// of type `ty`: two roundings, and the canonical NaN for a NaN result.
    fn relaxed_madd(&mut self, ty: ir::Type, negate: bool) {
        let c = self.pop_vec(ty);
        let (a, b) = self.pop2_vec(ty);
        let a = if negate { self.b.ins().fneg(a) } else { a };
        let product = self.b.ins().fmul(a, b);
        let r = self.b.ins().fadd(product, c);
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, r, r);
        let is_nan = self.as_vec(is_nan, ty);
        let canonical: [u8; 16] = if ty == types::F32X4 {
            (0x7fc0_0000u128 * 0x0000_0001_0000_0001_0000_0001_0000_0001).to_le_bytes()
        } else {
            (0x7ff8_0000_0000_0000u128 * 0x0000_0000_0000_0001_0000_0000_0000_0001).to_le_bytes()
        };
        let canonical = self.v128_const(&canonical);
        let canonical = self.as_vec(canonical, ty);
        let v = self.b.ins().bitselect(is_nan, canonical, r);
        self.push_vec(v);
    }

    /// The 16-bit dot product of signed bytes `a` and `b` (`I8X16`): adjacent products summed,
    /// wrapping.
    fn dot_i8(&mut self, a: Value, b: Value) -> Value {
        let (al, bl) = (self.b.ins().swiden_low(a), self.b.ins().swiden_low(b));
        let (ah, bh) = (self.b.ins().swiden_high(a), self.b.ins().swiden_high(b));
        let lo = self.b.ins().imul(al, bl);
        let hi = self.b.ins().imul(ah, bh);
        self.b.ins().iadd_pairwise(lo, hi)
    }

    /// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: the 16-bit dot product's adjacent lanes
    /// sign-extended and summed, plus `c`.
    fn dot_i8_add(&mut self) {
        let c = self.pop_vec(types::I32X4);
        let (a, b) = self.pop2_vec(types::I8X16);
        let d = self.dot_i8(a, b);
        let lo = self.b.ins().swiden_low(d);
        let hi = self.b.ins().swiden_high(d);
        let sums = self.b.ins().iadd_pairwise(lo, hi);
        let v = self.b.ins().iadd(sums, c);
        self.push_vec(v);
    }

    /// The relaxed operators above; false if `op` is not one.
    pub(super) fn simd_relaxed_operator(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        use types::{F32X4, F64X2, I8X16};
        match *op {
            O::F32x4RelaxedMin => self.relaxed_minmax(F32X4, false),
            O::F64x2RelaxedMin => self.relaxed_minmax(F64X2, false),
            O::F32x4RelaxedMax => self.relaxed_minmax(F32X4, true),
            O::F64x2RelaxedMax => self.relaxed_minmax(F64X2, true),
            O::F32x4RelaxedMadd => self.relaxed_madd(F32X4, false),
            O::F64x2RelaxedMadd => self.relaxed_madd(F64X2, false),
            O::F32x4RelaxedNmadd => self.relaxed_madd(F32X4, true),
            O::F64x2RelaxedNmadd => self.relaxed_madd(F64X2, true),
            O::I16x8RelaxedDotI8x16I7x16S => self.vbinop(I8X16, |t, a, b| t.dot_i8(a, b)),
            O::I32x4RelaxedDotI8x16I7x16AddS => self.dot_i8_add(),
            _ => return false,
        }
        true
    }
}
