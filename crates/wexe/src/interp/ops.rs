//! The interpreter's operations, defined once.
//!
//! [`for_each_op!`] holds the single list of every bytecode operation with its operands and, for
//! the numeric and memory operations, its semantics; the SIMD part of the list is in
//! `simd/ops.rs`. It is expanded into the [`Instr`] enum and its disassembler (here), into the
//! mapping from wasm operators (`translate/simple.rs`), into the executor's handlers
//! (`exec/handlers.rs`, `exec/simd.rs`) and into the pairing of each instruction with its handler
//! (`exec/dispatch.rs`).
//! Numeric operations carry the name of the wasm operator they implement.
//!
//! Operands are frame slots ([`Slot`]): every value lives in 64-bit cells of the current frame
//! (locals first, then constants, then the operand stack's temporaries; one cell, or two for a
//! v128), so an operation names where its inputs are and where its result goes — a register
//! machine, not a stack machine.

/// An index into the current frame's cells.
pub(crate) type Slot = u32;

/// Whether a handler leaves a result of this type in the accumulator as well as in its cell
/// (integers do; floats stay in their cells, which saves moving them to an integer register).
pub(crate) trait AccResult {
    const IN_ACC: bool;
}

macro_rules! acc_result {
    ($($t:ty: $in_acc:expr),*) => {$(
        impl AccResult for $t {
            const IN_ACC: bool = $in_acc;
        }
    )*};
}

acc_result!(i32: true, u32: true, i64: true, u64: true, f32: false, f64: false);

/// Invokes `$cb! { (args) groups... }` with the full list of operations.
///
/// Groups: `unary`/`binary` (pure; a binary operation may name a companion taking its right
/// operand as an immediate), `unary_trap`/`binary_trap` (may trap, the function returns
/// `Result`), `branch_cmp` (an integer comparison fused with the conditional branch it feeds:
/// the comparison it replaces and the fused operation of the opposite condition),
/// `load`/`store` (memory type and value type), `produce` (hand-written operations
/// whose first field `dst` receives a result) and `special` (hand-written, everything else).
/// The SIMD groups follow (`simd/ops.rs`, which this macro goes through).
macro_rules! for_each_op {
    ($cb:ident ! ( $($args:tt)* )) => {
        $crate::interp::simd::ops::for_each_simd_op! { $cb ! ( $($args)* )
        unary {
            I32Eqz: i32 -> i32 = |a| (a == 0) as i32;
            I64Eqz: i64 -> i32 = |a| (a == 0) as i32;
            I32Clz: i32 -> i32 = |a| a.leading_zeros() as i32;
            I32Ctz: i32 -> i32 = |a| a.trailing_zeros() as i32;
            I32Popcnt: i32 -> i32 = |a| a.count_ones() as i32;
            I64Clz: i64 -> i64 = |a| a.leading_zeros() as i64;
            I64Ctz: i64 -> i64 = |a| a.trailing_zeros() as i64;
            I64Popcnt: i64 -> i64 = |a| a.count_ones() as i64;
            F32Abs: u32 -> u32 = |a| a & 0x7fff_ffff;
            F32Neg: u32 -> u32 = |a| a ^ 0x8000_0000;
            F32Ceil: f32 -> f32 = |a| $crate::interp::semantics::quiet(a, a.ceil());
            F32Floor: f32 -> f32 = |a| $crate::interp::semantics::quiet(a, a.floor());
            F32Trunc: f32 -> f32 = |a| $crate::interp::semantics::quiet(a, a.trunc());
            F32Nearest: f32 -> f32 = |a| $crate::interp::semantics::quiet(a, a.round_ties_even());
            F32Sqrt: f32 -> f32 = |a| a.sqrt();
            F64Abs: u64 -> u64 = |a| a & 0x7fff_ffff_ffff_ffff;
            F64Neg: u64 -> u64 = |a| a ^ 0x8000_0000_0000_0000;
            F64Ceil: f64 -> f64 = |a| $crate::interp::semantics::quiet(a, a.ceil());
            F64Floor: f64 -> f64 = |a| $crate::interp::semantics::quiet(a, a.floor());
            F64Trunc: f64 -> f64 = |a| $crate::interp::semantics::quiet(a, a.trunc());
            F64Nearest: f64 -> f64 = |a| $crate::interp::semantics::quiet(a, a.round_ties_even());
            F64Sqrt: f64 -> f64 = |a| a.sqrt();
            I32WrapI64: i64 -> i32 = |a| a as i32;
            I64ExtendI32S: i32 -> i64 = |a| a as i64;
            I64ExtendI32U: i32 -> i64 = |a| a as u32 as i64;
            F32ConvertI32S: i32 -> f32 = |a| a as f32;
            F32ConvertI32U: i32 -> f32 = |a| a as u32 as f32;
            F32ConvertI64S: i64 -> f32 = |a| a as f32;
            F32ConvertI64U: i64 -> f32 = |a| a as u64 as f32;
            F64ConvertI32S: i32 -> f64 = |a| a as f64;
            F64ConvertI32U: i32 -> f64 = |a| a as u32 as f64;
            F64ConvertI64S: i64 -> f64 = |a| a as f64;
            F64ConvertI64U: i64 -> f64 = |a| a as u64 as f64;
            F32DemoteF64: f64 -> f32 = |a| a as f32;
            F64PromoteF32: f32 -> f64 = |a| a as f64;
            I32Extend8S: i32 -> i32 = |a| a as i8 as i32;
            I32Extend16S: i32 -> i32 = |a| a as i16 as i32;
            I64Extend8S: i64 -> i64 = |a| a as i8 as i64;
            I64Extend16S: i64 -> i64 = |a| a as i16 as i64;
            I64Extend32S: i64 -> i64 = |a| a as i32 as i64;
            I32TruncSatF32S: f32 -> i32 = |a| a as i32;
            I32TruncSatF32U: f32 -> i32 = |a| a as u32 as i32;
            I32TruncSatF64S: f64 -> i32 = |a| a as i32;
            I32TruncSatF64U: f64 -> i32 = |a| a as u32 as i32;
            I64TruncSatF32S: f32 -> i64 = |a| a as i64;
            I64TruncSatF32U: f32 -> i64 = |a| a as u64 as i64;
            I64TruncSatF64S: f64 -> i64 = |a| a as i64;
            I64TruncSatF64U: f64 -> i64 = |a| a as u64 as i64;
            RefIsNull: u64 -> i32 = |a| (a == 0) as i32;
        }
        unary_trap {
            I32TruncF32S: f32 -> i32 = |a| $crate::interp::semantics::trunc_i32(a as f64);
            I32TruncF32U: f32 -> i32 = |a| $crate::interp::semantics::trunc_u32(a as f64);
            I32TruncF64S: f64 -> i32 = $crate::interp::semantics::trunc_i32;
            I32TruncF64U: f64 -> i32 = $crate::interp::semantics::trunc_u32;
            I64TruncF32S: f32 -> i64 = |a| $crate::interp::semantics::trunc_i64(a as f64);
            I64TruncF32U: f32 -> i64 = |a| $crate::interp::semantics::trunc_u64(a as f64);
            I64TruncF64S: f64 -> i64 = $crate::interp::semantics::trunc_i64;
            I64TruncF64U: f64 -> i64 = $crate::interp::semantics::trunc_u64;
        }
        binary {
            I32Add(I32AddImm): i32, i32 -> i32 = |a, b| a.wrapping_add(b);
            I32Sub(I32SubImm): i32, i32 -> i32 = |a, b| a.wrapping_sub(b);
            I32Mul(I32MulImm): i32, i32 -> i32 = |a, b| a.wrapping_mul(b);
            I32And(I32AndImm): i32, i32 -> i32 = |a, b| a & b;
            I32Or(I32OrImm): i32, i32 -> i32 = |a, b| a | b;
            I32Xor(I32XorImm): i32, i32 -> i32 = |a, b| a ^ b;
            I32Shl(I32ShlImm): i32, i32 -> i32 = |a, b| a.wrapping_shl(b as u32);
            I32ShrS(I32ShrSImm): i32, i32 -> i32 = |a, b| a.wrapping_shr(b as u32);
            I32ShrU(I32ShrUImm): u32, u32 -> u32 = |a, b| a.wrapping_shr(b);
            I32Rotl(I32RotlImm): u32, u32 -> u32 = |a, b| a.rotate_left(b % 32);
            I32Rotr(I32RotrImm): u32, u32 -> u32 = |a, b| a.rotate_right(b % 32);
            I32Eq: i32, i32 -> i32 = |a, b| (a == b) as i32;
            I32Ne: i32, i32 -> i32 = |a, b| (a != b) as i32;
            I32LtS: i32, i32 -> i32 = |a, b| (a < b) as i32;
            I32LtU: u32, u32 -> i32 = |a, b| (a < b) as i32;
            I32GtS: i32, i32 -> i32 = |a, b| (a > b) as i32;
            I32GtU: u32, u32 -> i32 = |a, b| (a > b) as i32;
            I32LeS: i32, i32 -> i32 = |a, b| (a <= b) as i32;
            I32LeU: u32, u32 -> i32 = |a, b| (a <= b) as i32;
            I32GeS: i32, i32 -> i32 = |a, b| (a >= b) as i32;
            I32GeU: u32, u32 -> i32 = |a, b| (a >= b) as i32;
            I64Add(I64AddImm): i64, i64 -> i64 = |a, b| a.wrapping_add(b);
            I64Sub(I64SubImm): i64, i64 -> i64 = |a, b| a.wrapping_sub(b);
            I64Mul(I64MulImm): i64, i64 -> i64 = |a, b| a.wrapping_mul(b);
            I64And(I64AndImm): i64, i64 -> i64 = |a, b| a & b;
            I64Or(I64OrImm): i64, i64 -> i64 = |a, b| a | b;
            I64Xor(I64XorImm): i64, i64 -> i64 = |a, b| a ^ b;
            I64Shl(I64ShlImm): i64, i64 -> i64 = |a, b| a.wrapping_shl(b as u32);
            I64ShrS(I64ShrSImm): i64, i64 -> i64 = |a, b| a.wrapping_shr(b as u32);
            I64ShrU(I64ShrUImm): u64, u64 -> u64 = |a, b| a.wrapping_shr(b as u32);
            I64Rotl(I64RotlImm): u64, u64 -> u64 = |a, b| a.rotate_left((b % 64) as u32);
            I64Rotr(I64RotrImm): u64, u64 -> u64 = |a, b| a.rotate_right((b % 64) as u32);
            I64Eq: i64, i64 -> i32 = |a, b| (a == b) as i32;
            I64Ne: i64, i64 -> i32 = |a, b| (a != b) as i32;
            I64LtS: i64, i64 -> i32 = |a, b| (a < b) as i32;
            I64LtU: u64, u64 -> i32 = |a, b| (a < b) as i32;
            I64GtS: i64, i64 -> i32 = |a, b| (a > b) as i32;
            I64GtU: u64, u64 -> i32 = |a, b| (a > b) as i32;
            I64LeS: i64, i64 -> i32 = |a, b| (a <= b) as i32;
            I64LeU: u64, u64 -> i32 = |a, b| (a <= b) as i32;
            I64GeS: i64, i64 -> i32 = |a, b| (a >= b) as i32;
            I64GeU: u64, u64 -> i32 = |a, b| (a >= b) as i32;
            F32Add: f32, f32 -> f32 = |a, b| a + b;
            F32Sub: f32, f32 -> f32 = |a, b| a - b;
            F32Mul: f32, f32 -> f32 = |a, b| a * b;
            F32Div: f32, f32 -> f32 = |a, b| a / b;
            F32Min: f32, f32 -> f32 = $crate::interp::semantics::min_f32;
            F32Max: f32, f32 -> f32 = $crate::interp::semantics::max_f32;
            F32Copysign: u32, u32 -> u32 = |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000);
            F32Eq: f32, f32 -> i32 = |a, b| (a == b) as i32;
            F32Ne: f32, f32 -> i32 = |a, b| (a != b) as i32;
            F32Lt: f32, f32 -> i32 = |a, b| (a < b) as i32;
            F32Gt: f32, f32 -> i32 = |a, b| (a > b) as i32;
            F32Le: f32, f32 -> i32 = |a, b| (a <= b) as i32;
            F32Ge: f32, f32 -> i32 = |a, b| (a >= b) as i32;
            F64Add: f64, f64 -> f64 = |a, b| a + b;
            F64Sub: f64, f64 -> f64 = |a, b| a - b;
            F64Mul: f64, f64 -> f64 = |a, b| a * b;
            F64Div: f64, f64 -> f64 = |a, b| a / b;
            F64Min: f64, f64 -> f64 = $crate::interp::semantics::min_f64;
            F64Max: f64, f64 -> f64 = $crate::interp::semantics::max_f64;
            F64Copysign: u64, u64 -> u64 = |a, b| (a & !(1 << 63)) | (b & (1 << 63));
            F64Eq: f64, f64 -> i32 = |a, b| (a == b) as i32;
            F64Ne: f64, f64 -> i32 = |a, b| (a != b) as i32;
            F64Lt: f64, f64 -> i32 = |a, b| (a < b) as i32;
            F64Gt: f64, f64 -> i32 = |a, b| (a > b) as i32;
            F64Le: f64, f64 -> i32 = |a, b| (a <= b) as i32;
            F64Ge: f64, f64 -> i32 = |a, b| (a >= b) as i32;
        }
        binary_trap {
            I32DivS: i32, i32 -> i32 = $crate::interp::semantics::div_s32;
            I32DivU: u32, u32 -> u32 = $crate::interp::semantics::div_u32;
            I32RemS: i32, i32 -> i32 = $crate::interp::semantics::rem_s32;
            I32RemU: u32, u32 -> u32 = $crate::interp::semantics::rem_u32;
            I64DivS: i64, i64 -> i64 = $crate::interp::semantics::div_s64;
            I64DivU: u64, u64 -> u64 = $crate::interp::semantics::div_u64;
            I64RemS: i64, i64 -> i64 = $crate::interp::semantics::rem_s64;
            I64RemU: u64, u64 -> u64 = $crate::interp::semantics::rem_u64;
        }
        branch_cmp {
            BrIfI32Eq(I32Eq, BrIfI32Ne): i32 = |a, b| a == b;
            BrIfI32Ne(I32Ne, BrIfI32Eq): i32 = |a, b| a != b;
            BrIfI32LtS(I32LtS, BrIfI32GeS): i32 = |a, b| a < b;
            BrIfI32LtU(I32LtU, BrIfI32GeU): u32 = |a, b| a < b;
            BrIfI32GtS(I32GtS, BrIfI32LeS): i32 = |a, b| a > b;
            BrIfI32GtU(I32GtU, BrIfI32LeU): u32 = |a, b| a > b;
            BrIfI32LeS(I32LeS, BrIfI32GtS): i32 = |a, b| a <= b;
            BrIfI32LeU(I32LeU, BrIfI32GtU): u32 = |a, b| a <= b;
            BrIfI32GeS(I32GeS, BrIfI32LtS): i32 = |a, b| a >= b;
            BrIfI32GeU(I32GeU, BrIfI32LtU): u32 = |a, b| a >= b;
            BrIfI64Eq(I64Eq, BrIfI64Ne): i64 = |a, b| a == b;
            BrIfI64Ne(I64Ne, BrIfI64Eq): i64 = |a, b| a != b;
            BrIfI64LtS(I64LtS, BrIfI64GeS): i64 = |a, b| a < b;
            BrIfI64LtU(I64LtU, BrIfI64GeU): u64 = |a, b| a < b;
            BrIfI64GtS(I64GtS, BrIfI64LeS): i64 = |a, b| a > b;
            BrIfI64GtU(I64GtU, BrIfI64LeU): u64 = |a, b| a > b;
            BrIfI64LeS(I64LeS, BrIfI64GtS): i64 = |a, b| a <= b;
            BrIfI64LeU(I64LeU, BrIfI64GtU): u64 = |a, b| a <= b;
            BrIfI64GeS(I64GeS, BrIfI64LtS): i64 = |a, b| a >= b;
            BrIfI64GeU(I64GeU, BrIfI64LtU): u64 = |a, b| a >= b;
        }
        load {
            I32Load(I32LoadAddImm): i32 => i32;
            I64Load(I64LoadAddImm): i64 => i64;
            F32Load(F32LoadAddImm): u32 => u32;
            F64Load(F64LoadAddImm): u64 => u64;
            I32Load8S(I32Load8SAddImm): i8 => i32;
            I32Load8U(I32Load8UAddImm): u8 => i32;
            I32Load16S(I32Load16SAddImm): i16 => i32;
            I32Load16U(I32Load16UAddImm): u16 => i32;
            I64Load8S(I64Load8SAddImm): i8 => i64;
            I64Load8U(I64Load8UAddImm): u8 => i64;
            I64Load16S(I64Load16SAddImm): i16 => i64;
            I64Load16U(I64Load16UAddImm): u16 => i64;
            I64Load32S(I64Load32SAddImm): i32 => i64;
            I64Load32U(I64Load32UAddImm): u32 => i64;
        }
        store {
            I32Store(I32StoreAddImm): i32 => i32;
            I64Store(I64StoreAddImm): i64 => i64;
            F32Store(F32StoreAddImm): u32 => u32;
            F64Store(F64StoreAddImm): u64 => u64;
            I32Store8(I32Store8AddImm): i32 => u8;
            I32Store16(I32Store16AddImm): i32 => u16;
            I64Store8(I64Store8AddImm): i64 => u8;
            I64Store16(I64Store16AddImm): i64 => u16;
            I64Store32(I64Store32AddImm): i64 => u32;
        }
        produce {
            GlobalGet { dst: Slot, global: u32 };
            MemorySize { dst: Slot, mem: u32 };
            MemoryGrow { dst: Slot, delta: Slot, mem: u32 };
            TableGet { dst: Slot, index: Slot, table: u32 };
            TableSize { dst: Slot, table: u32 };
            RefFunc { dst: Slot, func: u32 };
        }
        special {
            // Copies one cell.
            Copy { dst: Slot, src: Slot };
            // Jumps by `offset` instructions, relative to this one.
            Br { offset: i32 };
            BrIfNez { cond: Slot, offset: i32 };
            BrIfEqz { cond: Slot, offset: i32 };
            // The same on the accumulator (see `exec/dispatch.rs`).
            BrIfNezAcc { offset: i32 };
            BrIfEqzAcc { offset: i32 };
            // Jumps to the `min(index, len)`-th of the `len + 1` `Br` that follow.
            BrTable { index: Slot, len: u32 };
            Unreachable {};
            // Results are already in cells 0.. of the frame.
            Return {};
            // Moves one result to cell 0, then returns.
            ReturnOne { src: Slot };
            // Arguments in cells `base..`; results land there too.
            Call { func: u32, base: Slot };
            // Throws a new exception of tag `tag` carrying the values in cells `base..`.
            Throw { tag: u32, base: Slot };
            // Throws the exception `src` refers to again (traps on null).
            ThrowRef { src: Slot };
            CallIndirect { index: Slot, base: Slot, site: u32 };
            // Calls the function the reference in `callee` names (trapping on null).
            CallRef { callee: Slot, base: Slot };
            // Tail calls: the callee takes the current function's frame (its arguments are moved
            // from cells `base..` to cell 0) and returns to the current function's caller.
            ReturnCall { func: u32, base: Slot };
            ReturnCallIndirect { index: Slot, base: Slot, site: u32 };
            ReturnCallRef { callee: Slot, base: Slot };
            // Traps when the reference in `src` is null.
            RefAsNonNull { src: Slot };
            // `dst` holds the first operand; replaced by `alt` when `cond` is zero.
            Select { dst: Slot, alt: Slot, cond: Slot };
            GlobalSet { src: Slot, global: u32 };
            // Points the memory registers at the effective address (the value in `addr`, 32 or
            // 64 bits wide, plus the offset in the `Ext { a: low half, b: high half }` that
            // follows) of memory `mem`, after checking that it is within the memory: the access
            // that follows is made at address 0 with no offset, then `MemoryRestore`.
            MemoryAt { addr: Slot, mem: u32, index64: bool };
            // Points the memory registers at memory 0 again.
            MemoryRestore {};
            // Followed by `Ext { a: dst_mem, b: src_mem }`.
            MemoryCopy { dst: Slot, src: Slot, len: Slot };
            // Followed by `Ext { a: mem }`.
            MemoryFill { dst: Slot, value: Slot, len: Slot };
            // Followed by `Ext { a: segment, b: mem }`.
            MemoryInit { dst: Slot, src: Slot, len: Slot };
            DataDrop { seg: u32 };
            TableSet { index: Slot, value: Slot, table: u32 };
            // Followed by `Ext { a: table }`.
            TableGrow { dst: Slot, init: Slot, delta: Slot };
            // Followed by `Ext { a: table }`.
            TableFill { dst: Slot, value: Slot, len: Slot };
            // Followed by `Ext { a: dst_table, b: src_table }`.
            TableCopy { dst: Slot, src: Slot, len: Slot };
            // Followed by `Ext { a: table, b: segment }`.
            TableInit { dst: Slot, src: Slot, len: Slot };
            ElemDrop { seg: u32 };
            // At function entries and loop headers when fuel or interruption is on: consumes one
            // unit of fuel and checks for an interruption.
            Check {};
            // At function entries and loop headers under tier-up: counts the function's heat
            // and, once it is hot, asks for its machine code and runs it: at the entry, the
            // function's; at a loop entered with an empty operand stack, the loop's
            // on-stack-replacement entry (`osr` is the loop's ordinal among the body's loops,
            // else `NO_SLOT`).
            TierCount { osr: u32 };
            // `TierCount` at the header of an outermost loop entered with an empty operand
            // stack: also enters the on-stack-replacement entry of the outermost loops as soon
            // as it is compiled (inner loops that got hot wait for it here: entered through
            // an inner header, a loop nest is no longer one Cranelift optimises as such).
            TierCountOuter { osr: u32 };
            // Wide arithmetic: the 128-bit sum or difference of `lo`/`hi` and the halves in the
            // `Ext { a: low, b: high }` that follows; the low half of the result goes to `dst`,
            // the high half to `dst + 1`.
            I64Add128 { dst: Slot, lo: Slot, hi: Slot };
            I64Sub128 { dst: Slot, lo: Slot, hi: Slot };
            // The 128-bit product of two i64s (signed or unsigned), in `dst` and `dst + 1`.
            I64MulWideS { dst: Slot, lhs: Slot, rhs: Slot };
            I64MulWideU { dst: Slot, lhs: Slot, rhs: Slot };
            // Extra operands of the operation before it; never executed.
            Ext { a: u32, b: u32 };
            // The function uses an operator this tier cannot execute yet.
            Unsupported {};
        }
        }
    };
}

pub(crate) use for_each_op;

macro_rules! define_instr {
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
        paste::paste! {
        /// One bytecode instruction (16 bytes). `repr(u16)`: the tag comes first. The executor
        /// finds an instruction's handler by its variant's name (`exec::handler_of`), never by
        /// the tag's value.
        #[derive(Clone, Copy, Debug, PartialEq)]
        #[repr(u16)]
        pub(crate) enum Instr {
            $($un { dst: Slot, src: Slot },)*
            $($ut { dst: Slot, src: Slot },)*
            $($bn { dst: Slot, lhs: Slot, rhs: Slot },)*
            $($($bi { dst: Slot, lhs: Slot, imm: u32 },)?)*
            $($bt { dst: Slot, lhs: Slot, rhs: Slot },)*
            $($bc { lhs: Slot, rhs: Slot, offset: i32 },)*
            $($ld { dst: Slot, addr: Slot, offset: u32 },)*
            // The load at the 32-bit sum (wrapping) of the value in `addr` and `imm`: an
            // `I32AddImm` feeding a load with no offset.
            $($lda { dst: Slot, addr: Slot, imm: u32 },)*
            $($st { addr: Slot, value: Slot, offset: u32 },)*
            // The store at the 32-bit sum (wrapping) of the value in `addr` and `imm`.
            $($sta { addr: Slot, value: Slot, imm: u32 },)*
            $($pr { $($pf: $pt),* },)*
            $($sp { $($sf: $stt),* },)*
            $($vu { dst: Slot, src: Slot },)*
            $($vb { dst: Slot, lhs: Slot, rhs: Slot },)*
            // Followed by `Ext { a: third operand }`.
            $($vt { dst: Slot, lhs: Slot, rhs: Slot },)*
            $($vl { dst: Slot, addr: Slot, offset: u32 },)*
            // The lane index goes in the bytes after the tag, to keep `Instr` at 16 bytes.
            $($vx { lane: u8, dst: Slot, src: Slot },)*
            $($vr { lane: u8, dst: Slot, src: Slot, value: Slot },)*
            // Followed by `Ext { a: offset }`.
            $($vll { lane: u8, dst: Slot, src: Slot, addr: Slot },)*
            $($vsl { lane: u8, addr: Slot, value: Slot, offset: u32 },)*
            $($vs { $($vsf: $vst),* },)*
            // The accumulator forms (see `exec/dispatch.rs`): `...ToAcc` leaves its result in
            // the accumulator instead of a cell; `...AccL`/`...AccR` (binary operations, compare
            // and branch) take their left or right operand from it; a load's `...Acc` takes its
            // address from it, a store's its value (`...AccAddr`: its address); `...Acc` of an
            // operation with an immediate takes its other operand from it.
            $($(
                [<$bn ToAcc>] { lhs: Slot, rhs: Slot },
                [<$bn AccL>] { dst: Slot, rhs: Slot },
                [<$bn AccR>] { dst: Slot, lhs: Slot },
                [<$bn AccLToAcc>] { rhs: Slot },
                [<$bn AccRToAcc>] { lhs: Slot },
                [<$bi ToAcc>] { lhs: Slot, imm: u32 },
                [<$bi Acc>] { dst: Slot, imm: u32 },
                [<$bi AccToAcc>] { imm: u32 },
            )?)*
            $(
                [<$bc AccL>] { rhs: Slot, offset: i32 },
                [<$bc AccR>] { lhs: Slot, offset: i32 },
            )*
            $(
                [<$ld ToAcc>] { addr: Slot, offset: u32 },
                [<$ld Acc>] { dst: Slot, offset: u32 },
                [<$ld AccToAcc>] { offset: u32 },
                [<$lda ToAcc>] { addr: Slot, imm: u32 },
            )*
            $(
                [<$st Acc>] { addr: Slot, offset: u32 },
                [<$st AccAddr>] { value: Slot, offset: u32 },
                [<$sta Acc>] { addr: Slot, imm: u32 },
            )*
        }
        }

        paste::paste! {
        impl Instr {
            /// For a comparison whose result only feeds a conditional branch: the fused
            /// compare-and-branch that jumps when the comparison is true (or, with `negate`,
            /// false). Its offset is 0 until patched.
            pub(crate) fn fused_branch(&self, negate: bool) -> Option<Instr> {
                match *self {
                    $(Instr::$bcmp { lhs, rhs, .. } => Some(if negate {
                        Instr::$bneg { lhs, rhs, offset: 0 }
                    } else {
                        Instr::$bc { lhs, rhs, offset: 0 }
                    }),)*
                    _ => None,
                }
            }

            /// This binary operation with the constant `imm` as its right operand, when the
            /// operation has such a form (integer arithmetic and bitwise operations; 64-bit ones
            /// take a sign-extended 32-bit constant).
            pub(crate) fn with_imm_rhs(&self, imm: u32) -> Option<Instr> {
                match *self {
                    $($(Instr::$bn { dst, lhs, .. } => Some(Instr::$bi { dst, lhs, imm }),)?)*
                    _ => None,
                }
            }

            /// This load or store of memory 0 with no offset made at the 32-bit sum of the
            /// value in `addr` and `imm` instead (an `I32AddImm` fused into it).
            pub(crate) fn at_address_sum(&self, addr: Slot, imm: u32) -> Option<Instr> {
                match *self {
                    $(Instr::$ld { dst, offset: 0, .. } => Some(Instr::$lda { dst, addr, imm }),)*
                    $(Instr::$st { value, offset: 0, .. } => Some(Instr::$sta { addr, value, imm }),)*
                    _ => None,
                }
            }

            /// The jump offset of a branch instruction.
            pub(crate) fn branch_offset_mut(&mut self) -> Option<&mut i32> {
                match self {
                    Instr::Br { offset } | Instr::BrIfNez { offset, .. } | Instr::BrIfEqz { offset, .. } => {
                        Some(offset)
                    }
                    $(Instr::$bc { offset, .. } => Some(offset),)*
                    Instr::BrIfNezAcc { offset } | Instr::BrIfEqzAcc { offset } => Some(offset),
                    $(Instr::[<$bc AccL>] { offset, .. } | Instr::[<$bc AccR>] { offset, .. } => {
                        Some(offset)
                    })*
                    _ => None,
                }
            }

            /// The result slot of an instruction that writes exactly one result and nothing
            /// else, so that the translator may redirect it (for example into a local).
            pub(crate) fn dst_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $(Instr::$un { dst, .. } => Some(dst),)*
                    $(Instr::$ut { dst, .. } => Some(dst),)*
                    $(Instr::$bn { dst, .. } => Some(dst),)*
                    $($(Instr::$bi { dst, .. } => Some(dst),)?)*
                    $(Instr::$bt { dst, .. } => Some(dst),)*
                    $(Instr::$ld { dst, .. } => Some(dst),)*
                    $(Instr::$lda { dst, .. } => Some(dst),)*
                    $(Instr::$pr { dst, .. } => Some(dst),)*
                    $(Instr::$vu { dst, .. } => Some(dst),)*
                    $(Instr::$vb { dst, .. } => Some(dst),)*
                    $(Instr::$vl { dst, .. } => Some(dst),)*
                    $(Instr::$vx { dst, .. } => Some(dst),)*
                    $(Instr::$vr { dst, .. } => Some(dst),)*
                    $($(
                        Instr::[<$bn AccL>] { dst, .. }
                        | Instr::[<$bn AccR>] { dst, .. }
                        | Instr::[<$bi Acc>] { dst, .. } => Some(dst),
                    )?)*
                    $(Instr::[<$ld Acc>] { dst, .. } => Some(dst),)*
                    _ => None,
                }
            }

            /// The cell whose value this instruction also leaves in the accumulator, if any:
            /// the integer results of binary operations and scalar loads, in every form that
            /// has a `dst`.
            pub(crate) fn acc_result(&self) -> Option<Slot> {
                match *self {
                    $(Instr::$bn { dst, .. } if <$bo as AccResult>::IN_ACC => Some(dst),)*
                    $($(
                        Instr::$bi { dst, .. }
                        | Instr::[<$bn AccL>] { dst, .. }
                        | Instr::[<$bn AccR>] { dst, .. }
                        | Instr::[<$bi Acc>] { dst, .. } => Some(dst),
                    )?)*
                    $(
                        Instr::$ld { dst, .. } | Instr::$lda { dst, .. } | Instr::[<$ld Acc>] { dst, .. }
                            if <$lo as AccResult>::IN_ACC => Some(dst),
                    )*
                    _ => None,
                }
            }

            /// This instruction with its result left in the accumulator instead of its `dst`,
            /// when it has such a form (the integer operations that have an immediate form, and
            /// scalar loads of memory 0).
            pub(crate) fn leaving_acc(&self) -> Option<Instr> {
                match *self {
                    $($(
                        Instr::$bn { lhs, rhs, .. } => Some(Instr::[<$bn ToAcc>] { lhs, rhs }),
                        Instr::[<$bn AccL>] { rhs, .. } => Some(Instr::[<$bn AccLToAcc>] { rhs }),
                        Instr::[<$bn AccR>] { lhs, .. } => Some(Instr::[<$bn AccRToAcc>] { lhs }),
                        Instr::$bi { lhs, imm, .. } => Some(Instr::[<$bi ToAcc>] { lhs, imm }),
                        Instr::[<$bi Acc>] { imm, .. } => Some(Instr::[<$bi AccToAcc>] { imm }),
                    )?)*
                    $(
                        Instr::$ld { addr, offset, .. } => Some(Instr::[<$ld ToAcc>] { addr, offset }),
                        Instr::[<$ld Acc>] { offset, .. } => Some(Instr::[<$ld AccToAcc>] { offset }),
                        Instr::$lda { addr, imm, .. } => Some(Instr::[<$lda ToAcc>] { addr, imm }),
                    )*
                    _ => None,
                }
            }

            /// This instruction with its operand in cell `slot` read from the accumulator
            /// instead, when it has such a form.
            pub(crate) fn reading_acc(&self, slot: Slot) -> Option<Instr> {
                match *self {
                    $($(
                        Instr::$bn { dst, lhs, rhs } if lhs == slot && rhs != slot => {
                            Some(Instr::[<$bn AccL>] { dst, rhs })
                        }
                        Instr::$bn { dst, lhs, rhs } if rhs == slot && lhs != slot => {
                            Some(Instr::[<$bn AccR>] { dst, lhs })
                        }
                        Instr::$bi { dst, lhs, imm } if lhs == slot => Some(Instr::[<$bi Acc>] { dst, imm }),
                    )?)*
                    $(
                        Instr::$bc { lhs, rhs, offset } if lhs == slot && rhs != slot => {
                            Some(Instr::[<$bc AccL>] { rhs, offset })
                        }
                        Instr::$bc { lhs, rhs, offset } if rhs == slot && lhs != slot => {
                            Some(Instr::[<$bc AccR>] { lhs, offset })
                        }
                    )*
                    $(Instr::$ld { dst, addr, offset } if addr == slot => Some(Instr::[<$ld Acc>] { dst, offset }),)*
                    $(
                        Instr::$st { addr, value, offset } if value == slot && addr != slot => {
                            Some(Instr::[<$st Acc>] { addr, offset })
                        }
                        Instr::$st { addr, value, offset } if addr == slot && value != slot => {
                            Some(Instr::[<$st AccAddr>] { value, offset })
                        }
                        Instr::$sta { addr, value, imm } if value == slot && addr != slot => {
                            Some(Instr::[<$sta Acc>] { addr, imm })
                        }
                    )*
                    Instr::BrIfNez { cond, offset } if cond == slot => Some(Instr::BrIfNezAcc { offset }),
                    Instr::BrIfEqz { cond, offset } if cond == slot => Some(Instr::BrIfEqzAcc { offset }),
                    _ => None,
                }
            }

            /// The operation's name, as the disassembler prints it.
            pub(crate) fn name(&self) -> &'static str {
                match self {
                    $(Instr::$un { .. } => stringify!($un),)*
                    $(Instr::$ut { .. } => stringify!($ut),)*
                    $(Instr::$bn { .. } => stringify!($bn),)*
                    $($(Instr::$bi { .. } => stringify!($bi),)?)*
                    $(Instr::$bt { .. } => stringify!($bt),)*
                    $(Instr::$bc { .. } => stringify!($bc),)*
                    $(Instr::$ld { .. } => stringify!($ld),)*
                    $(Instr::$lda { .. } => stringify!($lda),)*
                    $(Instr::$st { .. } => stringify!($st),)*
                    $(Instr::$sta { .. } => stringify!($sta),)*
                    $(Instr::$pr { .. } => stringify!($pr),)*
                    $(Instr::$sp { .. } => stringify!($sp),)*
                    $(Instr::$vu { .. } => stringify!($vu),)*
                    $(Instr::$vb { .. } => stringify!($vb),)*
                    $(Instr::$vt { .. } => stringify!($vt),)*
                    $(Instr::$vl { .. } => stringify!($vl),)*
                    $(Instr::$vx { .. } => stringify!($vx),)*
                    $(Instr::$vr { .. } => stringify!($vr),)*
                    $(Instr::$vll { .. } => stringify!($vll),)*
                    $(Instr::$vsl { .. } => stringify!($vsl),)*
                    $(Instr::$vs { .. } => stringify!($vs),)*
                    $($(
                        Instr::[<$bn ToAcc>] { .. } => stringify!([<$bn ToAcc>]),
                        Instr::[<$bn AccL>] { .. } => stringify!([<$bn AccL>]),
                        Instr::[<$bn AccR>] { .. } => stringify!([<$bn AccR>]),
                        Instr::[<$bn AccLToAcc>] { .. } => stringify!([<$bn AccLToAcc>]),
                        Instr::[<$bn AccRToAcc>] { .. } => stringify!([<$bn AccRToAcc>]),
                        Instr::[<$bi ToAcc>] { .. } => stringify!([<$bi ToAcc>]),
                        Instr::[<$bi Acc>] { .. } => stringify!([<$bi Acc>]),
                        Instr::[<$bi AccToAcc>] { .. } => stringify!([<$bi AccToAcc>]),
                    )?)*
                    $(
                        Instr::[<$bc AccL>] { .. } => stringify!([<$bc AccL>]),
                        Instr::[<$bc AccR>] { .. } => stringify!([<$bc AccR>]),
                    )*
                    $(
                        Instr::[<$ld ToAcc>] { .. } => stringify!([<$ld ToAcc>]),
                        Instr::[<$ld Acc>] { .. } => stringify!([<$ld Acc>]),
                        Instr::[<$ld AccToAcc>] { .. } => stringify!([<$ld AccToAcc>]),
                        Instr::[<$lda ToAcc>] { .. } => stringify!([<$lda ToAcc>]),
                    )*
                    $(
                        Instr::[<$st Acc>] { .. } => stringify!([<$st Acc>]),
                        Instr::[<$st AccAddr>] { .. } => stringify!([<$st AccAddr>]),
                        Instr::[<$sta Acc>] { .. } => stringify!([<$sta Acc>]),
                    )*
                }
            }
        }
        }
    };
}

for_each_op!(define_instr!());

const _: () = assert!(std::mem::size_of::<Instr>() == 16);

impl Instr {
    /// Sets the jump offset of a branch instruction.
    pub(crate) fn set_branch_offset(&mut self, to: i32) {
        match self.branch_offset_mut() {
            Some(offset) => *offset = to,
            None => unreachable!("not a branch: {self:?}"),
        }
    }
}

/// A readable listing of translated code, one instruction a line.
pub(crate) fn disassemble(code: &[Instr]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (pc, instr) in code.iter().enumerate() {
        let text = format!("{instr:?}");
        let operands = text.strip_prefix(instr.name()).unwrap_or("").trim();
        let _ = writeln!(out, "{pc:5}: {:<18} {operands}", instr.name());
    }
    out
}
