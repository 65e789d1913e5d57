//! Exception handling: `throw`, `throw_ref`, `try_table` and the legacy `try`/`catch`/
//! `catch_all`/`delegate`/`rethrow`, translated into `Throw`/`ThrowRef` instructions and the
//! function's handler regions ([`crate::interp::TryRegion`]), which the executor searches when
//! an exception unwinds through the function (`exec/exn.rs`).
//!
//! A region covers the instructions of a `try_table` body (or a legacy `try` body) and lists its
//! catch clauses. A caught exception's values are written by the executor to the canonical
//! slots of the clause's target block (then the `exnref` for `catch_ref`), and execution goes on
//! at the clause's landing pad: for `try_table`, a branch to the target emitted before the body;
//! for a legacy `catch`, the catch arm itself, whose values sit above a hidden cell holding the
//! exception for `rethrow`.

use wasmparser::{BlockType, Catch, TryTable};

use super::control::CtrlKind;
use super::{Entry, TResult, Translator, err, is_wide, width};
use crate::interp::ops::{Instr, Slot};
use crate::interp::{CatchClause, NO_REGION, NO_SLOT, TryRegion};

/// A region while its function is translated; its clauses are gathered as they come (a legacy
/// `try`'s arrive after its body, whose nested regions come first).
pub(super) struct RegionBuild {
    start: u32,
    end: u32,
    next: u32,
    clauses: Vec<CatchClause>,
}

impl Translator<'_> {
    /// Opens a handler region for the block just pushed.
    fn open_region(&mut self) -> u32 {
        let id = self.regions.len() as u32;
        let parent = self.open_regions.last().map_or(NO_REGION, |&(_, r)| r);
        self.regions.push(RegionBuild {
            start: self.code.len() as u32,
            end: u32::MAX,
            next: parent,
            clauses: Vec::new(),
        });
        self.open_regions.push((self.ctrl.len() - 1, id));
        self.ctrl.last_mut().expect("a block was pushed").region = Some(id);
        id
    }

    /// Ends the body of the innermost block's region, if it has one open.
    pub(super) fn close_region(&mut self) {
        let Some(c) = self.ctrl.last_mut() else {
            return;
        };
        if let Some(id) = c.region.take() {
            self.regions[id as usize].end = self.code.len() as u32;
            self.open_regions.pop();
        }
    }

    /// The function's regions, with their clauses in one array.
    pub(super) fn finish_regions(&mut self) -> (Box<[TryRegion]>, Box<[CatchClause]>) {
        let mut clauses = Vec::new();
        let regions = self
            .regions
            .drain(..)
            .map(|r| {
                let first = clauses.len() as u32;
                clauses.extend(r.clauses);
                TryRegion {
                    start: r.start,
                    end: r.end,
                    clauses: first..clauses.len() as u32,
                    next: r.next,
                }
            })
            .collect();
        (regions, clauses.into())
    }

    /// The cells of tag `tag`'s values, and whether each is a v128.
    fn tag_params(&self, tag: u32) -> TResult<Vec<bool>> {
        match self.info.tags.get(tag as usize) {
            Some(&t) => Ok(self
                .info
                .signature(t)
                .params()
                .iter()
                .map(is_wide)
                .collect()),
            None => err("tag index out of range"),
        }
    }

    pub(super) fn op_throw(&mut self, tag: u32) -> TResult {
        let params = self.tag_params(tag)?;
        let ty = wexe_environ::FuncType::new(self.info.tag_type(tag).params().to_vec(), []);
        let base = self.call_args(&ty)?;
        debug_assert!(params.len() == ty.params().len());
        self.emit(Instr::Throw { tag, base });
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn op_throw_ref(&mut self) -> TResult {
        let src = self.pop()?;
        self.emit(Instr::ThrowRef { src });
        self.set_unreachable();
        Ok(())
    }

    /// Continues at block `depth` (counted from the current block) with its values already in
    /// their canonical slots.
    fn branch_from_canonical(&mut self, depth: u32) -> TResult {
        if self.is_function_level(depth) {
            let mut src = self.slot_of_height(0);
            let mut dst: Slot = 0;
            for i in 0..self.results.len() {
                let wide = self.results.is_wide(i);
                if src != dst {
                    self.emit_copy(dst, src, wide);
                }
                src += width(wide);
                dst += width(wide);
            }
            self.emit(Instr::Return {});
            return Ok(());
        }
        let (_, _, label) = self.branch_target(depth)?;
        self.emit_branch(Instr::Br { offset: 0 }, label);
        Ok(())
    }

    pub(super) fn op_try_table(&mut self, t: TryTable) -> TResult {
        // Landing pads first (jumped over): each branches to its clause's target.
        let skip = self.new_label();
        self.emit_branch(Instr::Br { offset: 0 }, skip);
        let mut clauses = Vec::with_capacity(t.catches.len());
        for catch in &t.catches {
            let (tag, is_ref, depth) = match *catch {
                Catch::One { tag, label } => (tag, false, label),
                Catch::OneRef { tag, label } => (tag, true, label),
                Catch::All { label } => (NO_SLOT, false, label),
                Catch::AllRef { label } => (NO_SLOT, true, label),
            };
            let (height, _, _) = self.branch_target(depth)?;
            let dst = self.slot_of_height(height);
            let cells: u32 = if tag == NO_SLOT {
                0
            } else {
                self.tag_params(tag)?.into_iter().map(width).sum()
            };
            let pad = self.code.len() as u32;
            self.branch_from_canonical(depth)?;
            clauses.push(CatchClause {
                tag,
                dst,
                exn: if is_ref { dst + cells } else { NO_SLOT },
                pad,
            });
        }
        self.bind_label(skip);
        self.op_block(t.ty, CtrlKind::Block)?;
        let id = self.open_region();
        self.regions[id as usize].clauses = clauses;
        Ok(())
    }

    pub(super) fn op_try(&mut self, bt: BlockType) -> TResult {
        self.op_block(bt, CtrlKind::Try)?;
        let id = self.open_region();
        self.ctrl.last_mut().expect("just pushed").arms_region = Some(id);
        Ok(())
    }

    /// A legacy `catch` (`tag` is `Some`) or `catch_all` arm.
    pub(super) fn op_catch(&mut self, tag: Option<u32>) -> TResult {
        let Some(c) = self.ctrl.last() else {
            return err("catch outside a block");
        };
        if !matches!(c.kind, CtrlKind::Try | CtrlKind::Catch) {
            return err("catch without try");
        }
        let (height, results) = (c.height as usize, c.results.len());
        // The arms are clauses of the region of the `try` body, which ends at the first arm.
        let Some(id) = c.arms_region else {
            return err("catch arm without its try");
        };
        self.close_region();
        if self.reachable {
            self.move_values(height, results);
            let (_, _, label) = self.branch_target(0)?;
            self.emit_branch(Instr::Br { offset: 0 }, label);
        }
        self.truncate_stack(height);
        let exn = self.push_temp();
        let wides = match tag {
            Some(t) => self.tag_params(t)?,
            None => Vec::new(),
        };
        for &w in &wides {
            self.push(Entry::Temp, w);
        }
        self.regions[id as usize].clauses.push(CatchClause {
            tag: tag.unwrap_or(NO_SLOT),
            dst: exn + 1,
            exn,
            pad: self.code.len() as u32,
        });
        self.last_result = None;
        let c = self.ctrl.last_mut().expect("checked above");
        c.kind = CtrlKind::Catch;
        c.exn_slot = Some(exn);
        self.reachable = true;
        self.dead_depth = 0;
        Ok(())
    }

    /// Legacy `delegate depth`: the `try` body's exceptions go to the handlers around block
    /// `depth` (counted outside the `try`), or to the caller.
    pub(super) fn op_delegate(&mut self, depth: u32) -> TResult {
        let Some(c) = self.ctrl.last() else {
            return err("delegate outside a block");
        };
        let (Some(id), CtrlKind::Try) = (c.region, c.kind) else {
            return err("delegate without try");
        };
        self.close_region();
        // Block `depth` outside this `try` (which is the innermost block).
        let target = self.ctrl.len() as i64 - 2 - depth as i64;
        let next = self
            .open_regions
            .iter()
            .rev()
            .find(|&&(c, _)| c as i64 <= target)
            .map_or(NO_REGION, |&(_, r)| r);
        self.regions[id as usize].next = next;
        self.op_end()
    }

    /// Legacy `rethrow depth`: throws again the exception caught by the `catch` arm `depth`
    /// blocks out.
    pub(super) fn op_rethrow(&mut self, depth: u32) -> TResult {
        let Some(i) = self.ctrl.len().checked_sub(depth as usize + 1) else {
            return err("rethrow depth out of range");
        };
        let Some(src) = self.ctrl[i].exn_slot else {
            return err("rethrow outside a catch");
        };
        self.emit(Instr::ThrowRef { src });
        self.set_unreachable();
        Ok(())
    }
}
