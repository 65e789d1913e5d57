//! Structured control flow (blocks, loops, ifs, branches, returns) and calls.
//!
//! Every block has a label; its values are passed in the canonical slots of the block's base
//! height, so a branch copies its values there and jumps. Forward jumps are patched when the
//! label is bound. Blocks, branches, returns and calls know the width of each value they move
//! (a v128 takes two cells).

use wasmparser::{BlockType, BrTable};
use wexe_environ::{FuncType, TypeDef, ValType};

use super::{Abort, Entry, TResult, Translator, err, is_wide, width};
use crate::interp::IndirectSite;
use crate::interp::ops::{Instr, Slot};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum CtrlKind {
    Block,
    Loop,
    If,
    Else,
    /// The body of a legacy `try` (a block whose body is a handler region).
    Try,
    /// A legacy `catch`/`catch_all` arm of a `try`.
    Catch,
}

/// An open block.
pub(super) struct Ctrl {
    pub kind: CtrlKind,
    /// Stack height below the block's parameters.
    pub height: u32,
    pub params: Widths,
    pub results: Widths,
    /// Where branches to this block go (the loop head, or the block's end).
    label: usize,
    /// For `if`: where the else arm starts, and the parameter entries to restore there.
    else_label: usize,
    saved_params: Vec<(Entry, bool)>,
    /// The handler region (`try_table` or legacy `try` body) this block opened, while open.
    pub region: Option<u32>,
    /// In a legacy `catch` arm: the cell holding the caught exception, for `rethrow`.
    pub exn_slot: Option<Slot>,
    /// For a legacy `try`: the region its `catch` arms are clauses of.
    pub arms_region: Option<u32>,
}

/// The values of a block or function signature: how many, and which are v128s. `wide` is
/// empty when none is, so scalar code allocates nothing for it.
#[derive(Clone, Default)]
pub(super) struct Widths {
    len: usize,
    wide: Vec<bool>,
}

impl Widths {
    pub fn of(types: &[ValType]) -> Widths {
        Widths {
            len: types.len(),
            wide: if types.iter().any(is_wide) {
                types.iter().map(is_wide).collect()
            } else {
                Vec::new()
            },
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether value `i` is a v128.
    pub fn is_wide(&self, i: usize) -> bool {
        self.wide.get(i).copied().unwrap_or(false)
    }
}

/// A branch condition as it was computed.
#[derive(Clone, Copy)]
enum Cond {
    /// The value in a slot is non-zero.
    NonZero(Slot),
    /// The value in a slot is zero (a fused `i32.eqz`).
    Zero(Slot),
    /// A fusable integer comparison (the instruction that would have computed it) is true;
    /// with a slot, the operand in that slot comes in the accumulator.
    Compare(Instr, Option<Slot>),
    /// The value in the accumulator is non-zero.
    NonZeroAcc,
}

/// A jump target; `uses` are branch instructions waiting for its position.
pub(super) struct Label {
    pos: Option<usize>,
    uses: Vec<usize>,
    used: bool,
}

impl<'a> Translator<'a> {
    pub(super) fn new_label(&mut self) -> usize {
        self.labels.push(Label {
            pos: None,
            uses: Vec::new(),
            used: false,
        });
        self.labels.len() - 1
    }

    pub(super) fn bind_label(&mut self, l: usize) {
        let pos = self.code.len();
        let label = &mut self.labels[l];
        label.pos = Some(pos);
        for u in std::mem::take(&mut label.uses) {
            self.code[u].set_branch_offset((pos - u) as i32);
        }
        self.forget_last();
    }

    /// Emits a branch instruction towards label `l`.
    pub(super) fn emit_branch(&mut self, instr: Instr, l: usize) {
        let at = self.emit(instr);
        let label = &mut self.labels[l];
        label.used = true;
        match label.pos {
            Some(pos) => self.code[at].set_branch_offset(pos as i32 - at as i32),
            None => label.uses.push(at),
        }
    }

    pub(super) fn push_ctrl(&mut self, kind: CtrlKind, params: Widths, results: Widths) {
        let label = self.new_label();
        let height = (self.stack.len() - params.len()) as u32;
        let saved_params = Vec::new();
        self.ctrl.push(Ctrl {
            kind,
            height,
            params,
            results,
            label,
            else_label: usize::MAX,
            saved_params,
            region: None,
            exn_slot: None,
            arms_region: None,
        });
    }

    pub(super) fn set_unreachable(&mut self) {
        self.reachable = false;
        self.dead_depth = 0;
    }

    pub(super) fn block_type(&self, bt: BlockType) -> TResult<(Widths, Widths)> {
        Ok(match bt {
            BlockType::Empty => (Widths::default(), Widths::default()),
            BlockType::Type(t) => {
                let t =
                    ValType::from_wasmparser(t, &self.info.kind_of()).ok_or(Abort::Unsupported)?;
                (Widths::default(), Widths::of(&[t]))
            }
            BlockType::FuncType(i) => {
                let ty = self.signature_at(i)?;
                (Widths::of(ty.params()), Widths::of(ty.results()))
            }
        })
    }

    pub(super) fn op_block(&mut self, bt: BlockType, kind: CtrlKind) -> TResult {
        let (params, results) = self.block_type(bt)?;
        self.materialize_all_locals();
        // A loop entered with nothing on the operand stack can be entered from machine code
        // with the frame's locals only (tier-up's on-stack replacement).
        let osr = if kind == CtrlKind::Loop && self.stack.is_empty() && params.len() == 0 {
            self.loops_seen - 1
        } else {
            crate::interp::NO_SLOT
        };
        let outermost =
            osr != crate::interp::NO_SLOT && !self.ctrl.iter().any(|c| c.kind == CtrlKind::Loop);
        if kind == CtrlKind::Loop {
            // The loop head is a merge point: its parameters must be in canonical slots.
            self.materialize_from(self.stack.len() - params.len());
        }
        self.push_ctrl(kind, params, results);
        if kind == CtrlKind::Loop {
            let l = self.ctrl.last().map(|c| c.label).unwrap_or_default();
            self.bind_label(l);
            if self.tier_up && outermost {
                self.has_outer_entry = true;
                self.emit(Instr::TierCountOuter { osr });
            } else if self.tier_up {
                self.emit(Instr::TierCount { osr });
            }
            if self.checks {
                self.emit(Instr::Check {});
            }
        }
        Ok(())
    }

    /// Pops a branch condition. When it was computed by the instruction just emitted — an
    /// `i32.eqz` or an integer comparison — that instruction is dropped and fused into the branch.
    fn pop_cond(&mut self) -> TResult<Cond> {
        if let Some(at) = self.last_result
            && at + 1 == self.code.len()
            && self.stack.last() == Some(&Entry::Temp)
            && self.code[at].dst_mut().copied() == Some(self.slot_of_height(self.stack.len() - 1))
        {
            let cmp = self.code[at];
            let fused = match cmp {
                Instr::I32Eqz { src, .. } => Some(Cond::Zero(src)),
                _ => cmp.fused_branch(false).map(|_| {
                    // Its operand from the instruction before it can come in the accumulator.
                    let acc = match self.cmp_from_acc.take() {
                        Some((i, c, operand)) if i == at && c == cmp && at > 0 => {
                            self.drop_acc_store(at - 1, operand);
                            Some(operand.slot)
                        }
                        _ => None,
                    };
                    Cond::Compare(cmp, acc)
                }),
            };
            if let Some(cond) = fused {
                self.code.pop();
                self.offsets.pop();
                self.pop_entry();
                self.forget_last();
                return Ok(cond);
            }
        }
        if let Some(operand) = self.acc_operand_in_top(1) {
            self.drop_acc_store(self.code.len() - 1, operand);
            self.pop()?;
            self.forget_last();
            return Ok(Cond::NonZeroAcc);
        }
        Ok(Cond::NonZero(self.pop()?))
    }

    /// The instruction that jumps when `cond` is `when`.
    fn cond_jump(cond: Cond, when: bool) -> Instr {
        match (cond, when) {
            (Cond::NonZero(cond), true) | (Cond::Zero(cond), false) => {
                Instr::BrIfNez { cond, offset: 0 }
            }
            (Cond::NonZero(cond), false) | (Cond::Zero(cond), true) => {
                Instr::BrIfEqz { cond, offset: 0 }
            }
            (Cond::Compare(cmp, acc), when) => {
                let branch = cmp.fused_branch(!when).expect("a fusable comparison");
                match acc {
                    Some(slot) => branch
                        .reading_acc(slot)
                        .expect("a branch reading the accumulator"),
                    None => branch,
                }
            }
            (Cond::NonZeroAcc, true) => Instr::BrIfNezAcc { offset: 0 },
            (Cond::NonZeroAcc, false) => Instr::BrIfEqzAcc { offset: 0 },
        }
    }

    pub(super) fn op_if(&mut self, bt: BlockType) -> TResult {
        let (params, results) = self.block_type(bt)?;
        let cond = self.pop_cond()?;
        self.materialize_all_locals();
        let else_label = self.new_label();
        self.emit_branch(Self::cond_jump(cond, false), else_label);
        let height = self.stack.len() - params.len();
        self.push_ctrl(CtrlKind::If, params, results);
        let saved = (height..self.stack.len())
            .map(|h| (self.stack[h], self.is_wide_at(h)))
            .collect();
        let c = self.ctrl.last_mut().expect("just pushed");
        c.else_label = else_label;
        c.saved_params = saved;
        Ok(())
    }

    /// Copies the top `n` values into the canonical slots starting at `height`.
    pub(super) fn move_values(&mut self, height: usize, n: usize) {
        let top = self.stack.len();
        let mut dst = self.slot_of_height(height);
        for h in top - n..top {
            let (src, wide) = (self.entry_slot(h), self.is_wide_at(h));
            if src != dst {
                self.emit_copy(dst, src, wide);
            }
            dst += width(wide);
        }
    }

    pub(super) fn truncate_stack(&mut self, height: usize) {
        while self.stack.len() > height {
            self.pop_entry();
        }
    }

    pub(super) fn op_else(&mut self) -> TResult {
        let Some(c) = self.ctrl.last() else {
            return err("else outside a block");
        };
        if c.kind != CtrlKind::If {
            return err("else without if");
        }
        let (height, results, label, else_label) =
            (c.height as usize, c.results.len(), c.label, c.else_label);
        if self.reachable {
            self.move_values(height, results);
            self.emit_branch(Instr::Br { offset: 0 }, label);
        }
        self.bind_label(else_label);
        self.truncate_stack(height);
        let c = self.ctrl.last_mut().expect("checked above");
        c.kind = CtrlKind::Else;
        for (e, wide) in std::mem::take(&mut c.saved_params) {
            self.push(e, wide);
        }
        self.reachable = true;
        self.dead_depth = 0;
        Ok(())
    }

    pub(super) fn op_end(&mut self) -> TResult {
        let Some(c) = self.ctrl.last() else {
            return err("end outside a block");
        };
        if c.kind == CtrlKind::If {
            // An `if` without `else`: the missing else arm passes its parameters through.
            self.op_else()?;
        }
        self.close_region();
        let c = self.ctrl.last_mut().expect("checked above");
        let (kind, height, results, label) = (
            c.kind,
            c.height as usize,
            std::mem::take(&mut c.results),
            c.label,
        );
        let mut reachable = self.reachable;
        if self.reachable {
            self.move_values(height, results.len());
        }
        if kind != CtrlKind::Loop {
            self.bind_label(label);
            reachable |= self.labels[label].used;
        }
        self.ctrl.pop();
        self.truncate_stack(height);
        for i in 0..results.len() {
            self.push(Entry::Temp, results.is_wide(i));
        }
        if self.ctrl.is_empty() {
            if reachable {
                self.op_return()?;
            }
            return Ok(());
        }
        self.reachable = reachable;
        self.dead_depth = 0;
        Ok(())
    }

    /// The base height and arity of a branch to the block `depth` levels out.
    pub(super) fn branch_target(&self, depth: u32) -> TResult<(usize, usize, usize)> {
        let Some(i) = self.ctrl.len().checked_sub(depth as usize + 1) else {
            return err("branch depth out of range");
        };
        let c = &self.ctrl[i];
        let arity = if c.kind == CtrlKind::Loop {
            c.params.len()
        } else {
            c.results.len()
        };
        Ok((c.height as usize, arity, c.label))
    }

    pub(super) fn is_function_level(&self, depth: u32) -> bool {
        depth as usize + 1 == self.ctrl.len()
    }

    /// Whether branching to a block needs copies of its values.
    fn branch_needs_copies(&self, height: usize, arity: usize) -> bool {
        let top = self.stack.len();
        let mut dst = self.slot_of_height(height);
        (top - arity..top).any(|h| {
            let differs = self.entry_slot(h) != dst;
            dst += width(self.is_wide_at(h));
            differs
        })
    }

    /// An unconditional branch `depth` levels out.
    pub(super) fn branch(&mut self, depth: u32) -> TResult {
        if self.is_function_level(depth) {
            return self.op_return();
        }
        let (height, arity, label) = self.branch_target(depth)?;
        self.move_values(height, arity);
        self.emit_branch(Instr::Br { offset: 0 }, label);
        Ok(())
    }

    pub(super) fn op_br_if(&mut self, depth: u32) -> TResult {
        let cond = self.pop_cond()?;
        self.branch_if(cond, depth)
    }

    /// A branch `depth` levels out taken when `cond` holds.
    fn branch_if(&mut self, cond: Cond, depth: u32) -> TResult {
        let (height, arity, label) = self.branch_target(depth)?;
        if !self.is_function_level(depth) && !self.branch_needs_copies(height, arity) {
            self.emit_branch(Self::cond_jump(cond, true), label);
            return Ok(());
        }
        let skip = self.new_label();
        self.emit_branch(Self::cond_jump(cond, false), skip);
        self.branch(depth)?;
        self.bind_label(skip);
        Ok(())
    }

    /// `br_on_null`: branches (the reference dropped) when the reference on top is null, else
    /// leaves it there. A null reference is the cell 0.
    pub(super) fn op_br_on_null(&mut self, depth: u32) -> TResult {
        let top = self.stack.len();
        let entry = *self
            .stack
            .last()
            .ok_or(Abort::Error("operand stack underflow".into()))?;
        let wide = self.is_wide_at(top - 1);
        let r = self.pop()?;
        self.branch_if(Cond::Zero(r), depth)?;
        // The branch writes only below the reference's height, so its entry is still valid.
        self.push(entry, wide);
        Ok(())
    }

    /// `br_on_non_null`: branches with the reference when it is not null, else drops it.
    pub(super) fn op_br_on_non_null(&mut self, depth: u32) -> TResult {
        let Some(top) = self.stack.len().checked_sub(1) else {
            return err("operand stack underflow");
        };
        let r = self.entry_slot(top);
        self.branch_if(Cond::NonZero(r), depth)?;
        self.pop()?;
        Ok(())
    }

    pub(super) fn op_br_table(&mut self, targets: &BrTable<'_>) -> TResult {
        let index = self.pop()?;
        let mut depths = Vec::with_capacity(targets.len() as usize + 1);
        for t in targets.targets() {
            depths.push(t.map_err(|e| Abort::Error(e.to_string()))?);
        }
        depths.push(targets.default());
        self.emit(Instr::BrTable {
            index,
            len: depths.len() as u32 - 1,
        });
        let mut stubs = Vec::new();
        for &depth in &depths {
            let (height, arity, label) = self.branch_target(depth)?;
            if self.is_function_level(depth) || self.branch_needs_copies(height, arity) {
                stubs.push((self.emit(Instr::Br { offset: 0 }), depth));
            } else {
                self.emit_branch(Instr::Br { offset: 0 }, label);
            }
        }
        for (entry, depth) in stubs {
            let here = self.code.len();
            self.code[entry].set_branch_offset((here - entry) as i32);
            self.branch(depth)?;
        }
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn op_return(&mut self) -> TResult {
        let n = self.results.len();
        let top = self.stack.len();
        if top < n {
            return err("operand stack underflow at return");
        }
        match n {
            0 => {
                self.emit(Instr::Return {});
            }
            1 if !self.results.is_wide(0) => {
                let src = self.entry_slot(top - 1);
                self.emit(Instr::ReturnOne { src });
            }
            1 => {
                // One v128: the two-cell copy reads its source before writing.
                let src = self.entry_slot(top - 1);
                if src != 0 {
                    self.emit(Instr::CopyV128 { dst: 0, src });
                }
                self.emit(Instr::Return {});
            }
            _ => {
                // Stage the values in their canonical slots (above every local and constant),
                // then move them down. The compile-time stack is left alone: a return may be
                // one path of a conditional branch.
                for h in top - n..top {
                    let (src, dst) = (self.entry_slot(h), self.slot_of_height(h));
                    if src != dst {
                        self.emit_copy(dst, src, self.is_wide_at(h));
                    }
                }
                let mut dst: Slot = 0;
                for h in top - n..top {
                    let (src, wide) = (self.slot_of_height(h), self.is_wide_at(h));
                    if src != dst {
                        self.emit_copy(dst, src, wide);
                    }
                    dst += width(wide);
                }
                self.emit(Instr::Return {});
            }
        }
        Ok(())
    }

    /// Puts the top `n` values (a call's arguments) in canonical slots and returns the first.
    pub(super) fn call_args(&mut self, ty: &FuncType) -> TResult<Slot> {
        let n = ty.params().len();
        if self.stack.len() < n {
            return err("operand stack underflow at call");
        }
        let first = self.stack.len() - n;
        self.materialize_from(first);
        self.truncate_stack(first);
        Ok(self.slot_of_height(first))
    }

    pub(super) fn op_call(&mut self, func: u32) -> TResult {
        let Some(&ty_index) = self.info.funcs.get(func as usize) else {
            return err("function index out of range");
        };
        let ty = self.info.signature(ty_index);
        let base = self.call_args(ty)?;
        self.emit(Instr::Call { func, base });
        for t in ty.results() {
            self.push(Entry::Temp, is_wide(t));
        }
        Ok(())
    }

    /// `return_call`: the callee replaces this function.
    pub(super) fn op_return_call(&mut self, func: u32) -> TResult {
        let Some(&ty_index) = self.info.funcs.get(func as usize) else {
            return err("function index out of range");
        };
        let base = self.call_args(self.info.signature(ty_index))?;
        self.emit(Instr::ReturnCall { func, base });
        self.set_unreachable();
        Ok(())
    }

    /// The function type at `type_index` (validation makes it one).
    fn signature_at(&self, type_index: u32) -> TResult<&'a FuncType> {
        let ty = self.info.types.get(type_index as usize);
        match ty.and_then(TypeDef::as_func) {
            Some(ty) => Ok(ty),
            None => err("type index out of range"),
        }
    }

    fn indirect_site(&mut self, type_index: u32, table: u32) -> TResult<(&'a FuncType, u32)> {
        let ty = self.signature_at(type_index)?;
        let site = self.sites.len() as u32;
        self.sites.push(IndirectSite {
            type_id: self.type_ids[type_index as usize],
            table,
        });
        Ok((ty, site))
    }

    /// `call_indirect`, or with `tail` `return_call_indirect`.
    pub(super) fn op_call_indirect(&mut self, type_index: u32, table: u32, tail: bool) -> TResult {
        let (ty, site) = self.indirect_site(type_index, table)?;
        let index = self.pop()?;
        let base = self.call_args(ty)?;
        if tail {
            self.emit(Instr::ReturnCallIndirect { index, base, site });
            self.set_unreachable();
            return Ok(());
        }
        self.emit(Instr::CallIndirect { index, base, site });
        for t in ty.results() {
            self.push(Entry::Temp, is_wide(t));
        }
        Ok(())
    }

    /// `call_ref`, or with `tail` `return_call_ref`.
    pub(super) fn op_call_ref(&mut self, type_index: u32, tail: bool) -> TResult {
        let ty = self.signature_at(type_index)?;
        let callee = self.pop()?;
        let base = self.call_args(ty)?;
        if tail {
            self.emit(Instr::ReturnCallRef { callee, base });
            self.set_unreachable();
            return Ok(());
        }
        self.emit(Instr::CallRef { callee, base });
        for t in ty.results() {
            self.push(Entry::Temp, is_wide(t));
        }
        Ok(())
    }
}
