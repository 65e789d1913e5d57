//! SIMD loads and stores: `v128.load`/`store`, the extending loads (`load8x8_s` ...), the splat
//! and zero-extending loads, and single-lane loads and stores. All go through the scalar
//! operators' address computation ([`FuncTranslator::heap_addr`]), so they are bounds-checked the
//! same way: by the guard region, or explicitly for the whole access width.

use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, Value, types};
use wasmparser::{MemArg, Operator};

use super::super::FuncTranslator;

impl FuncTranslator<'_> {
    /// Pushes the vector `f` makes of the address of a checked access of `size` bytes.
    fn vload(
        &mut self,
        memarg: &MemArg,
        size: u64,
        f: impl FnOnce(&mut Self, MemFlagsData, Value, i32) -> Value,
    ) {
        self.load(memarg, size, |t, flags, addr, off| {
            let v = f(t, flags, addr, off);
            t.as_vec(v, types::I8X16)
        });
    }

    /// A load of a scalar of type `lane`, splatted over a vector of type `ty`.
    fn load_splat(&mut self, memarg: &MemArg, ty: ir::Type) {
        let lane = ty.lane_type();
        self.vload(memarg, u64::from(lane.bytes()), |t, fl, a, o| {
            let x = t.b.ins().load(lane, fl, a, o);
            t.b.ins().splat(ty, x)
        });
    }

    /// A load of a scalar into lane 0 of a vector of type `ty`, the other lanes zero.
    fn load_zero(&mut self, memarg: &MemArg, ty: ir::Type) {
        let lane = ty.lane_type();
        self.vload(memarg, u64::from(lane.bytes()), |t, fl, a, o| {
            let x = t.b.ins().load(lane, fl, a, o);
            t.b.ins().scalar_to_vector(ty, x)
        });
    }

    /// A load of a scalar into lane `lane` of the popped vector (of type `ty`).
    fn load_lane(&mut self, memarg: &MemArg, ty: ir::Type, lane: u8) {
        let v = self.pop_vec(ty);
        let lt = ty.lane_type();
        self.vload(memarg, u64::from(lt.bytes()), |t, fl, a, o| {
            let x = t.b.ins().load(lt, fl, a, o);
            t.b.ins().insertlane(v, x, lane)
        });
    }

    /// A store of lane `lane` of the popped vector (of type `ty`).
    fn store_lane(&mut self, memarg: &MemArg, ty: ir::Type, lane: u8) {
        let v = self.pop_vec(ty);
        let (addr, off, flags) = self.heap_addr(memarg, u64::from(ty.lane_type().bytes()));
        let x = self.b.ins().extractlane(v, lane);
        self.b.ins().store(flags, x, addr, off);
    }

    /// SIMD memory operators; false if `op` is not one.
    pub(super) fn simd_memory_operator(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        use types::{I8X16, I16X8, I32X4, I64X2};
        macro_rules! ext {
            ($m:expr, $ins:ident) => {
                self.vload($m, 8, |t, fl, a, o| t.b.ins().$ins(fl, a, o))
            };
        }
        match op {
            O::V128Load { memarg } => {
                self.vload(memarg, 16, |t, fl, a, o| t.b.ins().load(I8X16, fl, a, o))
            }
            O::V128Store { memarg } => {
                let v = self.pop_vec(I8X16);
                let (addr, off, flags) = self.heap_addr(memarg, 16);
                self.b.ins().store(flags, v, addr, off);
            }
            O::V128Load8x8S { memarg } => ext!(memarg, sload8x8),
            O::V128Load8x8U { memarg } => ext!(memarg, uload8x8),
            O::V128Load16x4S { memarg } => ext!(memarg, sload16x4),
            O::V128Load16x4U { memarg } => ext!(memarg, uload16x4),
            O::V128Load32x2S { memarg } => ext!(memarg, sload32x2),
            O::V128Load32x2U { memarg } => ext!(memarg, uload32x2),
            O::V128Load8Splat { memarg } => self.load_splat(memarg, I8X16),
            O::V128Load16Splat { memarg } => self.load_splat(memarg, I16X8),
            O::V128Load32Splat { memarg } => self.load_splat(memarg, I32X4),
            O::V128Load64Splat { memarg } => self.load_splat(memarg, I64X2),
            O::V128Load32Zero { memarg } => self.load_zero(memarg, I32X4),
            O::V128Load64Zero { memarg } => self.load_zero(memarg, I64X2),
            O::V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8X16, *lane),
            O::V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16X8, *lane),
            O::V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32X4, *lane),
            O::V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64X2, *lane),
            O::V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8X16, *lane),
            O::V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16X8, *lane),
            O::V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32X4, *lane),
            O::V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64X2, *lane),
            _ => return false,
        }
        true
    }
}
