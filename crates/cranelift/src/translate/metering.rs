//! Progress checks at function entries and loop headers, when the engine asks for them, with the
//! interpreter's semantics: first the store's interruption flag (set from another thread by an
//! `InterruptHandle`; traps with "interrupted"), then one unit of fuel (traps with "all fuel
//! consumed" when none is left).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, types};
use wexe_environ::vmoffsets::{STORE_FUEL, STORE_INTERRUPT, VMCTX_STORE};

use super::FuncTranslator;
use crate::abi::codes;

impl FuncTranslator<'_> {
    /// Emits the checks of a function entry or loop header.
    pub(super) fn check_progress(&mut self) {
        let (interrupt, fuel) = (self.input.interruptible, self.input.consume_fuel);
        if !interrupt && !fuel {
            return;
        }
        let flags = MemFlagsData::trusted();
        let store = self.load_ro(self.vmctx, VMCTX_STORE);
        if interrupt {
            let flag = self.load_ro(store, STORE_INTERRUPT);
            // Atomic, so that it is read anew every time (another thread sets it).
            let set = self.b.ins().atomic_load(types::I8, flags, flag);
            self.b.ins().trapnz(set, codes::INTERRUPT);
        }
        if fuel {
            let used = self
                .b
                .ins()
                .load(types::I64, flags, store, STORE_FUEL as i32);
            let empty = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, used, 0);
            self.b.ins().trapnz(empty, codes::OUT_OF_FUEL);
            let used = self.b.ins().iadd_imm_s(used, 1);
            self.b.ins().store(flags, used, store, STORE_FUEL as i32);
        }
    }
}
