//! Stack slots for source-level debugging (`CompileInput::debug_info`): the function's vmctx and
//! a copy of each wasm local the module's DWARF names live in explicit stack slots at fixed
//! offsets from the frame pointer, so the native DWARF the runtime writes can describe a wasm local as "the frame
//! pointer plus N" and linear memory as "vmctx → memory definition → base".
//!
//! The SSA variables stay the source of truth for the code (reads do not go through memory):
//! each `local.set`/`local.tee` also stores the new value into the local's slot. The cost is one
//! store per write of such a local and the frame space, only under `-g`.

use cranelift_codegen::ir::{self, InstBuilder, StackSlotData, StackSlotKind, Value};
use cranelift_codegen::{Final, MachBufferFinalized};
use wexe_environ::DebugSlots;

use super::FuncTranslator;

/// The slots of one function while it is translated.
pub(crate) struct DebugSlotsIr {
    vmctx: ir::StackSlot,
    locals: Vec<Option<ir::StackSlot>>,
}

impl DebugSlotsIr {
    /// The frame-pointer offsets of the slots in the compiled code; `None` when Cranelift did
    /// not report the frame layout.
    pub(crate) fn resolve(&self, buf: &MachBufferFinalized<Final>) -> Option<DebugSlots> {
        let layout = buf.frame_layout()?;
        let fp = i64::from(layout.frame_to_fp_offset);
        let at = |slot: ir::StackSlot| {
            i32::try_from(i64::from(layout.stackslots[slot].offset) - fp).ok()
        };
        Some(DebugSlots {
            vmctx: at(self.vmctx)?,
            locals: self.locals.iter().map(|s| s.and_then(at)).collect(),
        })
    }
}

impl FuncTranslator<'_> {
    /// Creates the slots and stores the vmctx and the initial value of each local of `used`
    /// (sorted; called at the end of the prologue, when `debug_info` is on).
    pub(super) fn create_debug_slots(&mut self, used: &[u32]) {
        let vmctx = self.new_slot(8);
        self.b
            .ins()
            .stack_store(ir::types::I64, self.vmctx, vmctx, 0);
        let mut locals = Vec::with_capacity(self.locals.len());
        for i in 0..self.locals.len() {
            if used.binary_search(&(i as u32)).is_err() {
                locals.push(None);
                continue;
            }
            let (var, ty) = self.locals[i];
            let slot = self.new_slot(ty.bytes());
            let v = self.b.use_var(var);
            self.b.ins().stack_store(ir::types::I64, v, slot, 0);
            locals.push(Some(slot));
        }
        self.debug_slots = Some(DebugSlotsIr { vmctx, locals });
    }

    fn new_slot(&mut self, bytes: u32) -> ir::StackSlot {
        let align_shift = bytes.max(1).trailing_zeros().min(4) as u8;
        self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            bytes,
            align_shift,
        ))
    }

    /// Mirrors a write of local `index` into its debug slot (nothing without `debug_info`).
    pub(super) fn mirror_local(&mut self, index: u32, v: Value) {
        if let Some(slots) = &self.debug_slots
            && let Some(slot) = slots.locals[index as usize]
        {
            self.b.ins().stack_store(ir::types::I64, v, slot, 0);
        }
    }
}
