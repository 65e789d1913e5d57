//! Fuel and epoch checks, when the engine asks for them. Fuel: every operator costs one unit;
//! the count of a straight-line run is added to the store's fuel counter (minus the fuel left)
//! before the run branches, calls or ends, and the code traps once the counter is above zero.
//! Epochs: function entries and loop headers trap once the engine's epoch counter reaches the
//! store's deadline.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, types};
use wasmparser::Operator;
use wexe_environ::vmoffsets::{STORE_EPOCH_DEADLINE, STORE_EPOCH_PTR, STORE_FUEL, VMCTX_STORE};

use super::FuncTranslator;
use crate::abi::codes;

impl FuncTranslator<'_> {
    /// Counts `op` and, before one that leaves the straight line, charges what was counted.
    pub(super) fn meter(&mut self, op: &Operator<'_>) {
        if !self.input.consume_fuel {
            return;
        }
        self.fuel_pending += 1;
        let leaves = matches!(
            op,
            Operator::Br { .. }
                | Operator::BrIf { .. }
                | Operator::BrTable { .. }
                | Operator::Return
                | Operator::If { .. }
                | Operator::Else
                | Operator::End
                | Operator::Loop { .. }
                | Operator::Call { .. }
                | Operator::CallIndirect { .. }
        );
        if leaves {
            self.charge_fuel();
        }
    }

    fn charge_fuel(&mut self) {
        let n = std::mem::take(&mut self.fuel_pending);
        if n == 0 {
            return;
        }
        let flags = MemFlagsData::trusted();
        let store = self.load_ro(self.vmctx, VMCTX_STORE);
        let fuel = self
            .b
            .ins()
            .load(types::I64, flags, store, STORE_FUEL as i32);
        let fuel = self.b.ins().iadd_imm_s(fuel, n);
        self.b.ins().store(flags, fuel, store, STORE_FUEL as i32);
        let out = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, fuel, 0);
        self.b.ins().trapnz(out, codes::OUT_OF_FUEL);
    }

    /// Traps when the engine's epoch has reached the store's deadline.
    pub(super) fn check_epoch(&mut self) {
        if !self.input.epoch_interruption {
            return;
        }
        let flags = MemFlagsData::trusted();
        let store = self.load_ro(self.vmctx, VMCTX_STORE);
        let counter = self.load_ro(store, STORE_EPOCH_PTR);
        // Atomic, so that it is read anew every time (other threads advance it).
        let now = self.b.ins().atomic_load(types::I64, flags, counter);
        let deadline = self
            .b
            .ins()
            .load(types::I64, flags, store, STORE_EPOCH_DEADLINE as i32);
        let late = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, now, deadline);
        self.b.ins().trapnz(late, codes::INTERRUPT);
    }
}
