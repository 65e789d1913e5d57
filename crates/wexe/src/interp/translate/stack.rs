//! The compile-time operand stack: where each entry's value is (a temporary in its canonical
//! slot, or an alias of a local or a constant), how wide it is, and the moves that materialise
//! aliases; `local.set`/`local.tee`, which may redirect the instruction that produced the value.

use super::{Entry, TResult, Translator, err, width};
use crate::interp::ops::{Instr, Slot};

impl Translator<'_> {
    /// The cells the whole operand stack takes.
    pub(super) fn top_cells(&self) -> u32 {
        self.shape.last().map_or(0, |&(at, wide)| at + width(wide))
    }

    /// The canonical slot of the entry at `height` (or of the next one pushed, at the top).
    pub(super) fn slot_of_height(&self, height: usize) -> Slot {
        let at = match self.shape.get(height) {
            Some(&(at, _)) => at,
            None => self.top_cells(),
        };
        self.temps_base + at
    }

    pub(super) fn entry_slot(&self, height: usize) -> Slot {
        match self.stack[height] {
            Entry::Temp => self.slot_of_height(height),
            Entry::Local(n) => self.local_slots[n as usize],
            Entry::Const(s) => s,
        }
    }

    /// Whether the entry at `height` is a v128.
    pub(super) fn is_wide_at(&self, height: usize) -> bool {
        self.shape[height].1
    }

    /// Pushes an entry holding a value of width `wide`.
    pub(super) fn push(&mut self, e: Entry, wide: bool) {
        if let Entry::Local(n) = e {
            self.aliases[n as usize] += 1;
        }
        let at = self.top_cells();
        self.stack.push(e);
        self.shape.push((at, wide));
        self.max_cells = self.max_cells.max(at + width(wide));
    }

    pub(super) fn push_local(&mut self, n: u32) {
        self.push(Entry::Local(n), self.local_wide[n as usize]);
    }

    /// Pops the top entry (no underflow check).
    pub(super) fn pop_entry(&mut self) -> Option<Entry> {
        self.shape.pop();
        let e = self.stack.pop();
        if let Some(Entry::Local(n)) = e {
            self.aliases[n as usize] -= 1;
        }
        e
    }

    /// Pushes a scalar temporary and returns its slot.
    pub(super) fn push_temp(&mut self) -> Slot {
        self.push_temp_of(false)
    }

    /// Pushes a temporary of width `wide` and returns its slot.
    pub(super) fn push_temp_of(&mut self, wide: bool) -> Slot {
        self.push(Entry::Temp, wide);
        self.slot_of_height(self.stack.len() - 1)
    }

    pub(super) fn push_const(&mut self, bits: u64) -> TResult {
        let slot = self.const_slot(bits)?;
        self.push(Entry::Const(slot), false);
        Ok(())
    }

    /// The slot of a scalar constant (collected before translation).
    pub(super) fn const_slot(&self, bits: u64) -> TResult<Slot> {
        match self.consts.binary_search(&bits) {
            Ok(i) => Ok(self.num_local_cells + i as u32),
            Err(_) => err("constant not collected"),
        }
    }

    /// Pops the top entry and returns the slot its value is in.
    pub(super) fn pop(&mut self) -> TResult<Slot> {
        if self.stack.len() <= self.ctrl.last().map_or(0, |c| c.height as usize) {
            return err("operand stack underflow");
        }
        let slot = self.entry_slot(self.stack.len() - 1);
        self.pop_entry();
        Ok(slot)
    }

    /// Emits a copy of a value of width `wide`.
    pub(super) fn emit_copy(&mut self, dst: Slot, src: Slot, wide: bool) {
        if wide {
            self.emit(Instr::CopyV128 { dst, src });
        } else {
            self.emit(Instr::Copy { dst, src });
        }
    }

    /// Moves the entry at `height` into its canonical slot.
    pub(super) fn materialize(&mut self, height: usize) {
        let e = self.stack[height];
        if e == Entry::Temp {
            return;
        }
        let src = self.entry_slot(height);
        let dst = self.slot_of_height(height);
        if let Entry::Local(n) = e {
            self.aliases[n as usize] -= 1;
        }
        self.stack[height] = Entry::Temp;
        self.emit_copy(dst, src, self.is_wide_at(height));
    }

    /// Materialises every entry from `from` to the top.
    pub(super) fn materialize_from(&mut self, from: usize) {
        for h in from..self.stack.len() {
            self.materialize(h);
        }
    }

    /// Materialises every alias of local `n` (before `n` is overwritten).
    pub(super) fn materialize_local(&mut self, n: u32) {
        if self.aliases[n as usize] == 0 {
            return;
        }
        for h in 0..self.stack.len() {
            if self.stack[h] == Entry::Local(n) {
                self.materialize(h);
            }
        }
    }

    /// Materialises every alias of any local (at control-flow boundaries).
    pub(super) fn materialize_all_locals(&mut self) {
        for h in 0..self.stack.len() {
            if matches!(self.stack[h], Entry::Local(_)) {
                self.materialize(h);
            }
        }
    }

    /// If the last instruction produced the top temporary, redirects it to `dst` and pops it.
    pub(super) fn try_redirect_top(&mut self, dst: Slot) -> bool {
        let Some(at) = self.last_result else {
            return false;
        };
        if at + 1 != self.code.len() || self.stack.last() != Some(&Entry::Temp) {
            return false;
        }
        let top = self.slot_of_height(self.stack.len() - 1);
        match self.code[at].dst_mut() {
            Some(d) if *d == top => *d = dst,
            _ => return false,
        }
        self.pop_entry();
        self.last_result = None;
        true
    }

    pub(super) fn local_set(&mut self, n: u32, tee: bool) -> TResult {
        if n >= self.num_locals {
            return err("local index out of range");
        }
        if self.stack.last() == Some(&Entry::Local(n)) {
            if !tee {
                self.pop()?;
            }
            return Ok(());
        }
        // The top value itself is not an alias of `n`, so it survives the materialisation.
        self.materialize_local(n);
        let slot = self.local_slots[n as usize];
        if self.try_redirect_top(slot) {
            if tee {
                self.push_local(n);
            }
            return Ok(());
        }
        let src = self.pop()?;
        self.emit_copy(slot, src, self.local_wide[n as usize]);
        if tee {
            self.push_local(n);
        }
        Ok(())
    }
}
