//! Translation of the SIMD operators that are not one generated instruction (`v128.const`,
//! `i8x16.shuffle`, `v128.bitselect`, `v128.store`, the relaxed operators that are a 2.0 one), and the helpers of the generated SIMD
//! translations (`simple.rs`), which say whether their result is a v128.

use wasmparser::{MemArg, Operator};

use super::{Abort, Entry, TResult, Translator, err};
use crate::interp::ops::{Instr, Slot};

impl Translator<'_> {
    /// Translates a SIMD operator that the op list does not map; any other operator is one this
    /// tier cannot execute.
    pub(super) fn translate_simd(&mut self, op: Operator<'_>) -> TResult {
        use Operator as O;
        // A relaxed operator whose result is a 2.0 operator's is translated as that one.
        if let Some(op) = wexe_environ::relaxed_simd::equivalent(&op) {
            if self.translate_simple(&op)? {
                return Ok(());
            }
            return self.translate_simd(op);
        }
        match op {
            O::V128Const { value } => {
                let slot = self.v128_slot(u128::from_le_bytes(*value.bytes()))?;
                self.push(Entry::Const(slot), true);
            }
            O::I8x16Shuffle { lanes } => {
                if let Some(lanes) = crate::interp::simd::int::lanes32(lanes) {
                    let make = |dst, lhs, rhs| Instr::I32x4Shuffle { dst, lhs, rhs };
                    return self.three_operands(make, lanes);
                }
                let mask = self.v128_slot(u128::from_le_bytes(lanes))?;
                self.three_operands(|dst, lhs, rhs| Instr::I8x16Shuffle { dst, lhs, rhs }, mask)?;
            }
            O::V128Bitselect => {
                let mask = self.pop()?;
                self.three_operands(|dst, lhs, rhs| Instr::V128Bitselect { dst, lhs, rhs }, mask)?;
            }
            O::V128Store { memarg } => {
                self.store(&memarg, |addr, value, offset| Instr::V128Store {
                    addr,
                    value,
                    offset,
                })?;
            }
            _ => return Err(Abort::Unsupported),
        }
        Ok(())
    }

    /// The slot of a v128 constant (collected before translation).
    fn v128_slot(&self, v: u128) -> TResult<Slot> {
        match self.v128s.binary_search(&v) {
            Ok(i) => Ok(self.num_local_cells + self.consts.len() as u32 + 2 * i as u32),
            Err(_) => err("constant not collected"),
        }
    }

    /// Pops two v128 operands and emits an operation with a third operand in an `Ext`.
    pub(super) fn three_operands(
        &mut self,
        make: impl FnOnce(Slot, Slot, Slot) -> Instr,
        a: Slot,
    ) -> TResult {
        let rhs = self.pop()?;
        let lhs = self.pop()?;
        let dst = self.push_temp_of(true);
        self.emit(make(dst, lhs, rhs));
        self.emit(Instr::Ext { a, b: 0 });
        Ok(())
    }

    /// A one-operand operation whose result is a v128 when `wide`.
    pub(super) fn unary_to(
        &mut self,
        wide: bool,
        make: impl FnOnce(Slot, Slot) -> Instr,
    ) -> TResult {
        let src = self.pop()?;
        let dst = self.push_temp_of(wide);
        self.emit_result(make(dst, src));
        Ok(())
    }

    /// A two-operand operation whose result is a v128 when `wide`.
    pub(super) fn binary_to(
        &mut self,
        wide: bool,
        make: impl FnOnce(Slot, Slot, Slot) -> Instr,
    ) -> TResult {
        let rhs = self.pop()?;
        let lhs = self.pop()?;
        let dst = self.push_temp_of(wide);
        self.emit_result(make(dst, lhs, rhs));
        Ok(())
    }

    /// A load producing a v128.
    pub(super) fn load_v128(
        &mut self,
        memarg: &MemArg,
        make: impl FnOnce(Slot, Slot, u32) -> Instr,
    ) -> TResult {
        let addr = self.pop()?;
        let (addr, offset, other) = self.memory_operand(memarg, addr)?;
        let dst = self.push_temp_of(true);
        self.emit_result(make(dst, addr, offset));
        self.end_memory_access(other);
        Ok(())
    }

    /// `v128.loadN_lane`: the vector and the address are popped, the offset goes in an `Ext`.
    pub(super) fn load_lane(
        &mut self,
        memarg: &MemArg,
        make: impl FnOnce(Slot, Slot, Slot) -> Instr,
    ) -> TResult {
        let src = self.pop()?;
        let addr = self.pop()?;
        let (addr, offset, other) = self.memory_operand(memarg, addr)?;
        let dst = self.push_temp_of(true);
        self.emit(make(dst, src, addr));
        self.emit(Instr::Ext { a: offset, b: 0 });
        self.end_memory_access(other);
        Ok(())
    }
}
