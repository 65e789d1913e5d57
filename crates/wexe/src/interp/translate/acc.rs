//! Handing a value to the next instruction in the accumulator (see `exec/dispatch.rs`) rather
//! than through a frame cell.
//!
//! Every instruction is first emitted in its cell form. When the next one consumes the
//! temporary the last one produced (the temporary is popped, so nothing else reads it), and
//! both have accumulator forms, the producer is rewritten into its `...ToAcc` form and the
//! consumer is emitted in the form that reads that operand from the accumulator. Nothing
//! between them can be a jump target: binding a label clears `last_result`, which is the only
//! way a producer is found.

use super::{Entry, Translator};
use crate::interp::ops::{Instr, Slot};

impl Translator<'_> {
    /// When the stack entry at `height` is the temporary that the instruction just emitted
    /// produced, and that instruction can leave its result in the accumulator: that temporary's
    /// slot (nothing is rewritten yet).
    pub(super) fn acc_candidate(&self, height: usize) -> Option<Slot> {
        let at = self.last_result?;
        if at + 1 != self.code.len() || self.stack.get(height) != Some(&Entry::Temp) {
            return None;
        }
        let slot = self.slot_of_height(height);
        let mut producer = self.code[at];
        if producer.dst_mut().copied() != Some(slot) {
            return None;
        }
        producer.leaving_acc().map(|_| slot)
    }

    /// The candidate among the top `n` stack entries (the top one first).
    pub(super) fn acc_candidate_in_top(&self, n: usize) -> Option<Slot> {
        let len = self.stack.len();
        (1..=n.min(len)).find_map(|d| self.acc_candidate(len - d))
    }

    /// `consumer`, about to be emitted right after the producer of the temporary in `slot` (a
    /// candidate found by [`Self::acc_candidate`] before the operands were popped), in the form
    /// that reads `slot` from the accumulator, with the producer rewritten to leave it there.
    /// `consumer` itself when there is no candidate, when something was emitted since, or when
    /// it has no such form.
    pub(super) fn via_acc(&mut self, consumer: Instr, slot: Option<Slot>) -> Instr {
        let Some(slot) = slot else {
            return consumer;
        };
        let Some(at) = self.code.len().checked_sub(1) else {
            return consumer;
        };
        if self.last_result != Some(at) {
            return consumer;
        }
        match (self.code[at].leaving_acc(), consumer.reading_acc(slot)) {
            (Some(producer), Some(consumer)) => {
                self.code[at] = producer;
                consumer
            }
            _ => consumer,
        }
    }
}
