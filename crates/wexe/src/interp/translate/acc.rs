//! Handing a value to the next instruction in the accumulator (see `exec/dispatch.rs`) rather
//! than through a frame cell.
//!
//! The handlers of integer operations and loads leave their result in the accumulator as well
//! as in their cell (`Instr::acc_result`), and the translator remembers which cell the last
//! instruction wrote (`last_def`). When the next instruction reads that cell — a temporary the
//! last one produced, or a local it was redirected into — and has a form that reads the operand
//! from the accumulator, it is emitted in that form. When the cell is a temporary, popped by
//! the consumer so that nothing else reads it, the producer is also rewritten into its
//! `...ToAcc` form, which does not write the cell at all.
//!
//! Nothing between the two can be a place control arrives at from elsewhere: binding a label,
//! a catch pad and every rewrite of emitted code forget `last_def`, and calls return with
//! anything in the accumulator but are not producers.

use super::{Entry, Translator};
use crate::interp::ops::{Instr, Slot};

/// An operand the last instruction left in the accumulator.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct AccOperand {
    /// The cell the operand is read from in the cell form.
    pub slot: Slot,
    /// Whether that cell is a temporary the consumer pops (so the producer need not write it).
    pub temp: bool,
}

impl Translator<'_> {
    /// When the stack entry at `height` is in the cell the instruction just emitted wrote and
    /// also left in the accumulator: that operand (nothing is rewritten yet).
    fn acc_operand(&self, height: usize) -> Option<AccOperand> {
        let (at, cell) = self.last_def?;
        let entry = *self.stack.get(height)?;
        if at + 1 != self.code.len() || !matches!(entry, Entry::Temp | Entry::Local(_)) {
            return None;
        }
        let slot = self.entry_slot(height);
        (slot == cell).then_some(AccOperand {
            slot,
            temp: entry == Entry::Temp,
        })
    }

    /// The operand in the accumulator among the top `n` stack entries, the top one first.
    pub(super) fn acc_operand_in_top(&self, n: usize) -> Option<AccOperand> {
        let len = self.stack.len();
        (1..=n.min(len)).find_map(|d| self.acc_operand(len - d))
    }

    /// Rewrites the instruction at `at`, the producer of `operand`, into its form that leaves
    /// its result in the accumulator only, when the operand is a temporary and such a form
    /// exists.
    pub(super) fn drop_acc_store(&mut self, at: usize, operand: AccOperand) {
        if operand.temp
            && let Some(producer) = self.code[at].leaving_acc()
        {
            self.code[at] = producer;
        }
    }

    /// `consumer`, about to be emitted right after the producer of `operand` (found by
    /// [`Self::acc_operand_in_top`] before the operands were popped), in the form that reads
    /// the operand from the accumulator. `consumer` itself when there is no such operand, when
    /// something was emitted since, or when it has no such form.
    pub(super) fn via_acc(&mut self, consumer: Instr, operand: Option<AccOperand>) -> Instr {
        let (Some(operand), Some(at)) = (operand, self.code.len().checked_sub(1)) else {
            return consumer;
        };
        if self.last_def.map(|(i, _)| i) != Some(at) {
            return consumer;
        }
        match consumer.reading_acc(operand.slot) {
            Some(reading) => {
                self.drop_acc_store(at, operand);
                reading
            }
            None => consumer,
        }
    }
}
