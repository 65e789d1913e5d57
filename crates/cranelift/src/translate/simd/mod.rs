//! 128-bit fixed-width SIMD, lowered to Cranelift vector types and instructions.
//!
//! A wasm `v128` is always an `I8X16` on the operand stack, in locals, block parameters,
//! signatures and globals ([`crate::abi::clif_type`]); an operator bitcasts its operands to the
//! lane type it works on (`I16X8`, `F32X4`, ...) and its vector result back to `I8X16`. The
//! bitcasts are little-endian, as wasm's lane order is, and cost nothing in machine code.
//! Lane access, shuffles and bitwise operators are in [`lanes`], integer lane arithmetic in
//! [`int`], float lane arithmetic and conversions in [`float`], loads and stores in [`memory`],
//! the relaxed operators that are not a 2.0 one in [`relaxed`].

mod float;
mod int;
mod lanes;
mod memory;
mod relaxed;

use cranelift_codegen::ir::{self, ConstantData, InstBuilder, MemFlagsData, Value, types};
use wasmparser::Operator;

use super::FuncTranslator;

/// Flags of the bitcasts between vector types: lanes are numbered little-endian, as in wasm.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(ir::Endianness::Little)
}

impl FuncTranslator<'_> {
    /// SIMD operators; false if `op` is not one. A relaxed operator whose result is a 2.0
    /// operator's (`wexe_environ::relaxed_simd::equivalent`) is translated as that one.
    pub(super) fn simd_operator(&mut self, op: &Operator<'_>) -> bool {
        if let Some(op) = wexe_environ::relaxed_simd::equivalent(op) {
            return self.simd_operator(&op);
        }
        self.simd_memory_operator(op)
            || self.simd_lane_operator(op)
            || self.simd_int_operator(op)
            || self.simd_float_operator(op)
            || self.simd_relaxed_operator(op)
    }

    /// A `v128` constant (as `I8X16`).
    pub(super) fn v128_const(&mut self, bytes: &[u8; 16]) -> Value {
        let data = ConstantData::from(&bytes[..]);
        let handle = self.b.func.dfg.constants.insert(data);
        self.b.ins().vconst(types::I8X16, handle)
    }

    /// Vector `v` as a vector of type `ty`.
    fn as_vec(&mut self, v: Value, ty: ir::Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().bitcast(ty, lane_order(), v)
        }
    }

    /// Pops a `v128` as a vector of type `ty`.
    fn pop_vec(&mut self, ty: ir::Type) -> Value {
        let v = self.pop();
        self.as_vec(v, ty)
    }

    /// Pops two `v128`s (the first operand first) as vectors of type `ty`.
    fn pop2_vec(&mut self, ty: ir::Type) -> (Value, Value) {
        let (a, b) = self.pop2();
        (self.as_vec(a, ty), self.as_vec(b, ty))
    }

    /// Pushes vector `v` as a `v128`.
    fn push_vec(&mut self, v: Value) {
        let v = self.as_vec(v, types::I8X16);
        self.push(v);
    }

    /// A unary operator on lanes of type `ty`.
    fn vunop(&mut self, ty: ir::Type, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop_vec(ty);
        let v = f(self, a);
        self.push_vec(v);
    }

    /// A binary operator on lanes of type `ty`.
    fn vbinop(&mut self, ty: ir::Type, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let (a, b) = self.pop2_vec(ty);
        let v = f(self, a, b);
        self.push_vec(v);
    }
}
