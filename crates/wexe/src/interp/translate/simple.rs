//! The operators whose bytecode is one generated instruction: numeric operators, loads and
//! stores (scalar and SIMD), expanded from the op list in `ops.rs`; and the shapes of the
//! translations (unary, binary, load, store, bulk, wide arithmetic). A SIMD operation's result
//! is a v128 when its type is 16 bytes.

use wasmparser::Operator;

use super::{Entry, TResult, Translator, err};
use crate::interp::ops::{Instr, Slot, for_each_op};
use crate::interp::simd::lanes::*;

macro_rules! translate_simple {
    (()
        unary { $($un:ident: $ui:ident -> $uo:ident = $uf:expr;)* }
        unary_trap { $($ut:ident: $uti:ident -> $uto:ident = $utf:expr;)* }
        binary { $($bn:ident $(($bi:ident))?: $ba:ident, $bb:ident -> $bo:ident = $bf:expr;)* }
        binary_trap { $($bt:ident: $bta:ident, $btb:ident -> $bto:ident = $btf:expr;)* }
        branch_cmp { $($bc:ident($bcmp:ident, $bneg:ident): $bct:ident = $bcf:expr;)* }
        load { $($ld:ident($lda:ident): $lm:ident => $lo:ident;)* }
        store { $($st:ident($sta:ident): $si:ident => $sm:ident;)* }
        produce { $($pr:ident { $($pf:ident: $pt:ty),* };)* }
        special { $($sp:ident { $($sf:ident: $stt:ty),* };)* }
        simd_unary { $($vu:ident: $vui:ident -> $vuo:ident = $vuf:expr;)* }
        simd_binary { $($vb:ident: $vba:ident, $vbb:ident -> $vbo:ident = $vbf:expr;)* }
        simd_ternary { $($vt:ident: $vta:ident, $vtb:ident, $vtc:ident -> $vto:ident = $vtf:expr;)* }
        simd_load { $($vl:ident: $vlm:ident -> $vlo:ident = $vlf:expr;)* }
        simd_extract { $($vx:ident: $vxi:ident -> $vxo:ident = $vxf:expr;)* }
        simd_replace { $($vr:ident: $vri:ident, $vrx:ident = $vrf:expr;)* }
        simd_load_lane { $($vll:ident: $vllt:ident;)* }
        simd_store_lane { $($vsl:ident: $vslt:ident;)* }
        simd_special { $($vs:ident { $($vsf:ident: $vst:ty),* };)* }
    ) => {
        impl Translator<'_> {
            /// Translates an operator listed in the op list; `false` for any other operator.
            pub(super) fn translate_simple(&mut self, op: &Operator<'_>) -> TResult<bool> {
                match op {
                    $(Operator::$un => self.unary(|dst, src| Instr::$un { dst, src })?,)*
                    $(Operator::$ut => self.unary(|dst, src| Instr::$ut { dst, src })?,)*
                    $(Operator::$bn => self.binary(|dst, lhs, rhs| Instr::$bn { dst, lhs, rhs })?,)*
                    $(Operator::$bt => self.binary(|dst, lhs, rhs| Instr::$bt { dst, lhs, rhs })?,)*
                    $(Operator::$ld { memarg } => {
                        self.load(memarg, |dst, addr, offset| Instr::$ld { dst, addr, offset })?
                    })*
                    $(Operator::$st { memarg } => {
                        self.store(memarg, |addr, value, offset| Instr::$st { addr, value, offset })?
                    })*
                    $(Operator::$vu => {
                        self.unary_to(size_of::<$vuo>() == 16, |dst, src| Instr::$vu { dst, src })?
                    })*
                    $(Operator::$vb => self.binary_to(size_of::<$vbo>() == 16, |dst, lhs, rhs| {
                        Instr::$vb { dst, lhs, rhs }
                    })?,)*
                    $(Operator::$vt => {
                        let third = self.pop()?;
                        self.three_operands(|dst, lhs, rhs| Instr::$vt { dst, lhs, rhs }, third)?
                    })*
                    $(Operator::$vl { memarg } => {
                        self.load_v128(memarg, |dst, addr, offset| Instr::$vl { dst, addr, offset })?
                    })*
                    $(Operator::$vx { lane } => self.unary_to(size_of::<$vxo>() == 16, |dst, src| {
                        Instr::$vx { lane: *lane, dst, src }
                    })?,)*
                    $(Operator::$vr { lane } => self.binary_to(true, |dst, src, value| {
                        Instr::$vr { lane: *lane, dst, src, value }
                    })?,)*
                    $(Operator::$vll { memarg, lane } => self.load_lane(memarg, |dst, src, addr| {
                        Instr::$vll { lane: *lane, dst, src, addr }
                    })?,)*
                    $(Operator::$vsl { memarg, lane } => self.store(memarg, |addr, value, offset| {
                        Instr::$vsl { lane: *lane, addr, value, offset }
                    })?,)*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }
    };
}

for_each_op!(translate_simple!());

/// The shapes of the generated translations.
impl Translator<'_> {
    pub(super) fn unary(&mut self, make: impl FnOnce(Slot, Slot) -> Instr) -> TResult {
        let src = self.pop()?;
        let dst = self.push_temp();
        self.emit_result(make(dst, src));
        Ok(())
    }

    pub(super) fn binary(&mut self, make: impl FnOnce(Slot, Slot, Slot) -> Instr) -> TResult {
        let rhs_const = match self.stack.last() {
            Some(&Entry::Const(s)) => Some(self.consts[(s - self.num_local_cells) as usize]),
            _ => None,
        };
        let rhs = self.pop()?;
        let lhs = self.pop()?;
        let dst = self.push_temp();
        let mut instr = make(dst, lhs, rhs);
        // A constant right operand that fits in 32 bits (sign-extended) goes in the instruction.
        if let Some(bits) = rhs_const
            && (bits >> 32 == 0 && !Self::is_64bit_op(&instr) || bits as i64 == bits as i32 as i64)
            && let Some(with_imm) = instr.with_imm_rhs(bits as u32)
        {
            instr = with_imm;
        }
        self.emit_result(instr);
        Ok(())
    }

    /// Whether a binary operation works on 64-bit integers (its immediate is sign-extended).
    pub(super) fn is_64bit_op(instr: &Instr) -> bool {
        instr.name().starts_with("I64")
    }

    pub(super) fn load(
        &mut self,
        memarg: &wasmparser::MemArg,
        make: impl FnOnce(Slot, Slot, u32) -> Instr,
    ) -> TResult {
        let sum = self.address_sum(0);
        let addr = self.pop()?;
        let (addr, offset, other) = self.memory_operand(memarg, addr)?;
        let dst = self.push_temp();
        let instr = self.fuse_address_sum(make(dst, addr, offset), sum, other);
        self.emit_result(instr);
        self.end_memory_access(other);
        Ok(())
    }

    pub(super) fn store(
        &mut self,
        memarg: &wasmparser::MemArg,
        make: impl FnOnce(Slot, Slot, u32) -> Instr,
    ) -> TResult {
        let sum = self.address_sum(1);
        let value = self.pop()?;
        let addr = self.pop()?;
        let (addr, offset, other) = self.memory_operand(memarg, addr)?;
        let instr = self.fuse_address_sum(make(addr, value, offset), sum, other);
        self.emit(instr);
        self.end_memory_access(other);
        Ok(())
    }

    /// When the instruction just emitted is an `I32AddImm` whose result is the temporary at
    /// `depth` below the top of the stack (0 for a load's address; 1 for a store's, under a
    /// value that is a local or a constant, so that no instruction came between): the add's
    /// operand and immediate.
    fn address_sum(&self, depth: usize) -> Option<(Slot, u32)> {
        let at = self.last_result?;
        let height = self.stack.len().checked_sub(1 + depth)?;
        if at + 1 != self.code.len()
            || self.stack[height] != Entry::Temp
            || (depth == 1 && self.stack.last() == Some(&Entry::Temp))
        {
            return None;
        }
        match self.code[at] {
            Instr::I32AddImm { dst, lhs, imm } if dst == self.slot_of_height(height) => {
                Some((lhs, imm))
            }
            _ => None,
        }
    }

    /// `access` (a scalar load or store) with the add [`Self::address_sum`] found fused into
    /// it, when it is an access of memory 0 with no offset: the add, the last instruction, is
    /// dropped. Otherwise `access` itself.
    fn fuse_address_sum(&mut self, access: Instr, sum: Option<(Slot, u32)>, other: bool) -> Instr {
        if let Some((base, imm)) = sum
            && !other
            && let Some(fused) = access.at_address_sum(base, imm)
        {
            self.code.pop();
            self.offsets.pop();
            self.last_result = None;
            return fused;
        }
        access
    }

    /// A wide-arithmetic operation: its two results (the low, then the high half of a 128-bit
    /// value) are consecutive temporaries; with `halves` it has four operands (two 128-bit
    /// values as halves, the second one's in an `Ext`), else two.
    pub(super) fn wide(
        &mut self,
        make: impl FnOnce(Slot, Slot, Slot) -> Instr,
        halves: bool,
    ) -> TResult {
        let second = if halves {
            let hi = self.pop()?;
            Some((self.pop()?, hi))
        } else {
            None
        };
        let rhs = self.pop()?;
        let lhs = self.pop()?;
        let dst = self.push_temp();
        self.push_temp();
        self.emit(make(dst, lhs, rhs));
        if let Some((a, b)) = second {
            self.emit(Instr::Ext { a, b });
        }
        Ok(())
    }

    /// The address slot and static offset an access at `addr` is emitted with. Accesses to
    /// memory 0 of 32-bit memories with an offset below 2^32 use the handlers' memory registers
    /// directly. Any other (another memory, a 64-bit one, a larger offset) is preceded by a
    /// `MemoryAt`, which checks the effective address against the memory's size and points the
    /// registers at it, so the access itself is made at address 0 (the zero constant) with no
    /// offset; `true` then, and [`Self::end_memory_access`] puts memory 0 back after it.
    pub(super) fn memory_operand(
        &mut self,
        memarg: &wasmparser::MemArg,
        addr: Slot,
    ) -> TResult<(Slot, u32, bool)> {
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            return Err(super::Abort::Unsupported);
        };
        let Some(ty) = self.info.memories.get(mem as usize) else {
            return err("memory index out of range");
        };
        if mem == 0
            && !ty.memory64
            && let Ok(offset) = u32::try_from(memarg.offset)
        {
            return Ok((addr, offset, false));
        }
        self.emit(Instr::MemoryAt {
            addr,
            mem,
            index64: ty.memory64,
        });
        self.emit(Instr::Ext {
            a: memarg.offset as u32,
            b: (memarg.offset >> 32) as u32,
        });
        Ok((self.zero_slot(), 0, true))
    }

    /// After an access that [`Self::memory_operand`] redirected (`other`): memory 0 again.
    pub(super) fn end_memory_access(&mut self, other: bool) {
        if other {
            self.emit(Instr::MemoryRestore {});
        }
    }

    /// The constant slot holding zero (every frame has one).
    fn zero_slot(&self) -> Slot {
        // Zero is the smallest constant, and always collected.
        self.num_local_cells
    }

    /// Pops three operands and emits a bulk operation followed by its extra operands.
    pub(super) fn bulk(
        &mut self,
        make: impl FnOnce(Slot, Slot, Slot) -> Instr,
        ext: Option<(u32, u32)>,
    ) -> TResult {
        let len = self.pop()?;
        let src = self.pop()?;
        let dst = self.pop()?;
        self.emit(make(dst, src, len));
        if let Some((a, b)) = ext {
            self.emit(Instr::Ext { a, b });
        }
        Ok(())
    }
}
