//! Linear memory: loads and stores (with an explicit bounds check, or none when the runtime
//! reserves 4 GiB plus a guard region per memory so that out-of-bounds accesses fault), and
//! `memory.size`/`grow`/`fill`/`copy`/`init`, `data.drop` (the last ones through builtins).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, TrapCode, Value, types};
use wasmparser::{MemArg, MemArgTarget, Operator};
use wexe_environ::vmoffsets::{Builtin, MEMDEF_BASE, MEMDEF_LEN};

use super::FuncTranslator;

impl FuncTranslator<'_> {
    /// The native address of an access of `size` bytes at the popped index, checked, and the
    /// flags to access it with. A memory gets explicit checks when the runtime has no guard
    /// regions, and always when it is 64-bit or has byte-sized pages (its reservation does not
    /// cover every address an access can form, or its end is not at a host page boundary).
    pub(super) fn heap_addr(&mut self, memarg: &MemArg, size: u64) -> (Value, i32, MemFlagsData) {
        let index = self.pop();
        let index = self.index_operand(index);
        let mem = match memarg.target {
            MemArgTarget::Memory(m) => m,
            MemArgTarget::Array(_) => 0,
        };
        let ty = self.info.memories[mem as usize];
        let def = self.load_ro(self.vmctx, self.offsets.memory(mem));
        let checks = self.input.bounds_checks || ty.needs_bounds_checks();
        let base_flags = if checks {
            MemFlagsData::trusted()
        } else {
            MemFlagsData::trusted().with_readonly().with_can_move()
        };
        let base = self
            .b
            .ins()
            .load(types::I64, base_flags, def, MEMDEF_BASE as i32);
        let flags = if checks {
            let len =
                self.b
                    .ins()
                    .load(types::I64, MemFlagsData::trusted(), def, MEMDEF_LEN as i32);
            // index + offset + size, with no wrap-around: a static part past 2^64 can never
            // be in bounds, and a sum that overflows traps.
            match memarg.offset.checked_add(size) {
                Some(reach) => {
                    let reach = self.b.ins().iconst(types::I64, reach as i64);
                    let end =
                        self.b
                            .ins()
                            .uadd_overflow_trap(index, reach, TrapCode::HEAP_OUT_OF_BOUNDS);
                    let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
                    self.b.ins().trapnz(oob, TrapCode::HEAP_OUT_OF_BOUNDS);
                }
                None => {
                    // Always out of bounds; a conditional trap keeps the block going.
                    let yes = self.b.ins().iconst(types::I8, 1);
                    self.b.ins().trapnz(yes, TrapCode::HEAP_OUT_OF_BOUNDS);
                }
            }
            // Checked, so it cannot trap; but wasm addresses need not be aligned.
            MemFlagsData::new().with_notrap()
        } else {
            MemFlagsData::new().with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
        };
        let mut addr = self.b.ins().iadd(base, index);
        let offset = match i32::try_from(memarg.offset) {
            Ok(o) => o,
            Err(_) => {
                addr = self.b.ins().iadd_imm_s(addr, memarg.offset as i64);
                0
            }
        };
        (addr, offset, flags.with_endianness(ir::Endianness::Little))
    }

    /// Pushes the value `f` makes of the address of a checked access of `size` bytes.
    pub(super) fn load(
        &mut self,
        memarg: &MemArg,
        size: u64,
        f: impl FnOnce(&mut Self, MemFlagsData, Value, i32) -> Value,
    ) {
        let (addr, off, flags) = self.heap_addr(memarg, size);
        let v = f(self, flags, addr, off);
        self.push(v);
    }

    fn store(&mut self, memarg: &MemArg, size: u64, narrow: Option<ir::Type>) {
        let mut v = self.pop();
        if let Some(n) = narrow {
            v = self.b.ins().ireduce(n, v);
        }
        let (addr, off, flags) = self.heap_addr(memarg, size);
        self.b.ins().store(flags, v, addr, off);
    }

    /// Memory operators; false if `op` is not one.
    pub(super) fn memory_operator(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        use types::{F32, F64, I8, I16, I32, I64};
        macro_rules! ld {
            ($m:expr, $size:expr, $ty:expr) => {
                self.load($m, $size, |t, fl, a, o| t.b.ins().load($ty, fl, a, o))
            };
            ($m:expr, $size:expr, $ins:ident, $ty:expr) => {
                self.load($m, $size, |t, fl, a, o| t.b.ins().$ins($ty, fl, a, o))
            };
        }
        match op {
            O::I32Load { memarg } => ld!(memarg, 4, I32),
            O::I64Load { memarg } => ld!(memarg, 8, I64),
            O::F32Load { memarg } => ld!(memarg, 4, F32),
            O::F64Load { memarg } => ld!(memarg, 8, F64),
            O::I32Load8S { memarg } => ld!(memarg, 1, sload8, I32),
            O::I32Load8U { memarg } => ld!(memarg, 1, uload8, I32),
            O::I32Load16S { memarg } => ld!(memarg, 2, sload16, I32),
            O::I32Load16U { memarg } => ld!(memarg, 2, uload16, I32),
            O::I64Load8S { memarg } => ld!(memarg, 1, sload8, I64),
            O::I64Load8U { memarg } => ld!(memarg, 1, uload8, I64),
            O::I64Load16S { memarg } => ld!(memarg, 2, sload16, I64),
            O::I64Load16U { memarg } => ld!(memarg, 2, uload16, I64),
            O::I64Load32S { memarg } => {
                self.load(memarg, 4, |t, fl, a, o| t.b.ins().sload32(fl, a, o))
            }
            O::I64Load32U { memarg } => {
                self.load(memarg, 4, |t, fl, a, o| t.b.ins().uload32(fl, a, o))
            }
            O::I32Store { memarg } | O::F32Store { memarg } => self.store(memarg, 4, None),
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(memarg, 8, None),
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(memarg, 1, Some(I8)),
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(memarg, 2, Some(I16)),
            O::I64Store32 { memarg } => self.store(memarg, 4, Some(I32)),
            O::MemorySize { mem } => {
                let ty = self.info.memories[*mem as usize];
                let def = self.load_ro(self.vmctx, self.offsets.memory(*mem));
                let len = self
                    .b
                    .ins()
                    .load(I64, MemFlagsData::trusted(), def, MEMDEF_LEN as i32);
                let pages = self.b.ins().ushr_imm_u(len, i64::from(ty.page_size_log2));
                let v = self.index_result(pages, ty.memory64);
                self.push(v);
            }
            O::MemoryGrow { mem } => {
                let delta = self.pop();
                let delta = self.index_operand(delta);
                let m = self.b.ins().iconst(I32, i64::from(*mem));
                let is64 = self.info.memories[*mem as usize].memory64;
                let r = self.call_grow_builtin(Builtin::MemoryGrow, &[m, delta], is64);
                self.push(r);
            }
            O::MemoryFill { mem } => {
                let mut vals = self.popn(3);
                vals[0] = self.index_operand(vals[0]);
                vals[2] = self.index_operand(vals[2]);
                let m = self.load_ro(self.vmctx, self.offsets.memory(*mem));
                self.call_trapping_builtin(Builtin::MemoryFill, &[m, vals[0], vals[1], vals[2]]);
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let vals = self.index_operands(3);
                let d = self.load_ro(self.vmctx, self.offsets.memory(*dst_mem));
                let s = self.load_ro(self.vmctx, self.offsets.memory(*src_mem));
                self.call_trapping_builtin(Builtin::MemoryCopy, &[d, s, vals[0], vals[1], vals[2]]);
            }
            O::MemoryInit { data_index, mem } => {
                let vals = self.index_operands(3);
                let m = self.b.ins().iconst(I32, i64::from(*mem));
                let s = self.b.ins().iconst(I32, i64::from(*data_index));
                self.call_trapping_builtin(Builtin::MemoryInit, &[m, s, vals[0], vals[1], vals[2]]);
            }
            O::DataDrop { data_index } => {
                let s = self.b.ins().iconst(I32, i64::from(*data_index));
                self.call_builtin(Builtin::DataDrop, &[s]);
            }
            _ => {
                let _ = (F32, F64);
                return false;
            }
        }
        true
    }
}
