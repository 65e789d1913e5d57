//! Structured control flow: `block`, `loop`, `if`/`else`, `end`, branches, `return`,
//! `unreachable`, `select`, `drop`, locals. Branch values travel as Cranelift block parameters.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, BlockCall, InstBuilder, JumpTableData, Value};
use wasmparser::{BlockType, Operator};
use wexe_environ::LoopEntries;

use super::FuncTranslator;
use crate::abi::{self, codes};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Function,
    Block,
    Loop,
    If,
    /// A `try_table`: its handlers are in the translator's handler scopes until its `end`.
    TryTable,
    /// A legacy `try`: its clauses are in the translator's handler scopes until its `end`.
    LegacyTry,
    /// A construct inside unreachable code: nothing is emitted for it.
    Dead,
}

pub(super) struct ControlFrame {
    pub(super) kind: Kind,
    /// Where `end` continues, with the results as parameters.
    pub(super) dest: ir::Block,
    /// The loop header (branch target of a loop), with the parameters as parameters.
    pub(super) header: ir::Block,
    /// For an `if`: the else block and the parameter values it starts with.
    pub(super) else_block: Option<(ir::Block, Vec<Value>)>,
    pub(super) params: usize,
    pub(super) results: usize,
    /// Operand stack height below the parameters.
    pub(super) height: usize,
    /// Whether anything branches to `dest`.
    pub(super) dest_reached: bool,
}

impl ControlFrame {
    pub(super) fn function(exit: ir::Block, results: Vec<ir::Type>) -> ControlFrame {
        ControlFrame {
            kind: Kind::Function,
            dest: exit,
            header: exit,
            else_block: None,
            params: 0,
            results: results.len(),
            height: 0,
            dest_reached: false,
        }
    }

    pub(super) fn branch_target(&self) -> (ir::Block, usize) {
        if self.kind == Kind::Loop {
            (self.header, self.params)
        } else {
            (self.dest, self.results)
        }
    }
}

pub(super) fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|&v| BlockArg::Value(v)).collect()
}

impl FuncTranslator<'_> {
    pub(super) fn block_types(&self, bt: BlockType) -> (Vec<ir::Type>, Vec<ir::Type>) {
        let conv = |t: &wexe_environ::ValType| abi::clif_type(*t);
        match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => {
                let t = wexe_environ::ValType::from_wasmparser(t, &self.info.kind_of())
                    .unwrap_or(wexe_environ::ValType::V128);
                (vec![], vec![abi::clif_type(t)])
            }
            BlockType::FuncType(i) => {
                let ft = self.info.signature(i);
                (
                    ft.params().iter().map(conv).collect(),
                    ft.results().iter().map(conv).collect(),
                )
            }
        }
    }

    pub(super) fn new_block(&mut self, tys: &[ir::Type]) -> ir::Block {
        let block = self.b.create_block();
        for &t in tys {
            self.b.append_block_param(block, t);
        }
        block
    }

    /// Jumps to the target of the frame `depth` levels out with the top of the stack, which stays.
    fn branch_args(&mut self, depth: u32) -> (ir::Block, Vec<Value>) {
        let i = self.control.len() - 1 - depth as usize;
        let (target, n) = self.control[i].branch_target();
        if self.control[i].kind != Kind::Loop {
            self.control[i].dest_reached = true;
        }
        let vals = self.stack[self.stack.len() - n..].to_vec();
        (target, vals)
    }

    /// Continues in `dest` after an `end`: its parameters become the stack's top.
    fn enter_dest(&mut self, dest: ir::Block, reached: bool) {
        self.b.switch_to_block(dest);
        self.b.seal_block(dest);
        let params = self.b.block_params(dest).to_vec();
        self.stack.extend(params);
        self.reachable = reached;
        if !reached {
            self.b.ins().trap(codes::UNREACHABLE);
        }
    }

    /// Enters a `block`-like construct (`kind`, branching to its end) of type `blockty`.
    pub(super) fn push_block(&mut self, kind: Kind, blockty: BlockType) {
        let (params, results) = self.block_types(blockty);
        let dest = self.new_block(&results);
        self.control.push(ControlFrame {
            kind,
            dest,
            header: dest,
            else_block: None,
            params: params.len(),
            results: results.len(),
            height: self.stack.len() - params.len(),
            dest_reached: false,
        });
    }

    /// Translates `unreachable`. Cranelift folds a conditional branch to a block that only traps
    /// (`(if (cond) (then unreachable))`, a `br_if` followed by `unreachable`) into a
    /// conditional trap, which keeps the branch's source location: so when the trap is all
    /// the block made for such a branch does, the branch takes the `unreachable`'s location,
    /// and the trap is reported where the interpreter reports it. (The branch itself never
    /// traps, and should the block not be folded, nothing else reports the branch's location.)
    fn trap_unreachable(&mut self) {
        if let Some(block) = self.b.current_block()
            && let Some(&brif) = self.branched_from.get(&block)
        {
            let func = &*self.b.func;
            let only_pure = func.layout.block_insts(block).all(|inst| {
                let op = func.dfg.insts[inst].opcode();
                !(op.can_trap()
                    || op.can_load()
                    || op.can_store()
                    || op.is_call()
                    || op.other_side_effects())
            });
            if only_pure {
                let here = self.b.srcloc();
                self.b.func.set_srcloc(brif, here);
            }
        }
        self.b.ins().trap(codes::UNREACHABLE);
    }

    /// Control operators; false if `op` is not one.
    pub(super) fn control_operator(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.trap_unreachable();
                self.reachable = false;
            }
            Operator::Block { blockty } => self.push_block(Kind::Block, blockty),
            Operator::Loop { blockty } => {
                let (params, results) = self.block_types(blockty);
                let ordinal = self.loops_seen as usize - 1;
                let outermost = !self.control.iter().any(|f| f.kind == Kind::Loop);
                let header = match &mut self.osr {
                    // A loop the on-stack-replacement entry can branch to: the interpreter
                    // only asks for loops entered with an empty operand stack and no
                    // parameters (and, for an entry of outermost loops, none inside another).
                    Some(o)
                        if self.stack.is_empty()
                            && params.is_empty()
                            && (outermost || o.loops == LoopEntries::Any) =>
                    {
                        o.entered[ordinal] = true;
                        o.headers[ordinal]
                    }
                    _ => self.new_block(&params),
                };
                let dest = self.new_block(&results);
                let vals = self.popn(params.len());
                self.b.ins().jump(header, &args(&vals));
                self.b.switch_to_block(header);
                self.check_progress();
                let hp = self.b.block_params(header).to_vec();
                self.stack.extend(hp);
                self.control.push(ControlFrame {
                    kind: Kind::Loop,
                    dest,
                    header,
                    else_block: None,
                    params: params.len(),
                    results: results.len(),
                    height: self.stack.len() - params.len(),
                    dest_reached: false,
                });
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_types(blockty);
                let cond = self.pop();
                let then = self.b.create_block();
                let els = self.b.create_block();
                let dest = self.new_block(&results);
                let brif = self.b.ins().brif(cond, then, &[], els, &[]);
                self.branched_from.insert(then, brif);
                self.branched_from.insert(els, brif);
                self.b.switch_to_block(then);
                self.b.seal_block(then);
                let pvals = self.stack[self.stack.len() - params.len()..].to_vec();
                self.control.push(ControlFrame {
                    kind: Kind::If,
                    dest,
                    header: dest,
                    else_block: Some((els, pvals)),
                    params: params.len(),
                    results: results.len(),
                    height: self.stack.len() - params.len(),
                    dest_reached: false,
                });
            }
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end(),
            Operator::Br { relative_depth } => {
                let (target, vals) = self.branch_args(relative_depth);
                self.b.ins().jump(target, &args(&vals));
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                let (target, vals) = self.branch_args(relative_depth);
                let next = self.b.create_block();
                let brif = self.b.ins().brif(cond, target, &args(&vals), next, &[]);
                self.branched_from.insert(next, brif);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
            }
            Operator::BrOnNull { relative_depth } => {
                let r = self.pop();
                let (target, vals) = self.branch_args(relative_depth);
                let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let next = self.b.create_block();
                self.b.ins().brif(is_null, target, &args(&vals), next, &[]);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
                self.push(r);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // The reference goes to the target with the values under it.
                let r = *self.stack.last().expect("validated");
                let (target, vals) = self.branch_args(relative_depth);
                let next = self.b.create_block();
                self.b.ins().brif(r, target, &args(&vals), next, &[]);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
                self.pop();
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop();
                let depths: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?;
                let default = targets.default();
                let mut edges: Vec<(u32, ir::Block)> = Vec::new();
                let mut calls = Vec::with_capacity(depths.len());
                for &d in depths.iter().chain(std::iter::once(&default)) {
                    let block = match edges.iter().find(|e| e.0 == d) {
                        Some(e) => e.1,
                        None => {
                            let (target, vals) = self.branch_args(d);
                            let block = if vals.is_empty() {
                                target
                            } else {
                                self.b.create_block()
                            };
                            edges.push((d, block));
                            block
                        }
                    };
                    calls.push(BlockCall::new(block, [], &mut self.b.func.dfg.value_lists));
                }
                let def = calls.pop().expect("default target");
                let jt = self.b.create_jump_table(JumpTableData::new(def, &calls));
                self.b.ins().br_table(index, jt);
                for (d, block) in edges {
                    let (target, vals) = self.branch_args(d);
                    if block != target {
                        self.b.switch_to_block(block);
                        self.b.seal_block(block);
                        self.b.ins().jump(target, &args(&vals));
                    }
                }
                self.reachable = false;
            }
            Operator::Return => {
                let n = self.control[0].results;
                let vals = self.stack[self.stack.len() - n..].to_vec();
                self.b.ins().return_(&vals);
                self.reachable = false;
            }
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let cond = self.pop();
                let (a, b) = self.pop2();
                let v = self.b.ins().select(cond, a, b);
                self.push(v);
            }
            Operator::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize].0);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize].0, v);
                self.mirror_local(local_index, v);
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.b.def_var(self.locals[local_index as usize].0, v);
                self.mirror_local(local_index, v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn translate_else(&mut self) {
        let frame = self.control.last_mut().expect("validated");
        if frame.kind == Kind::Dead {
            return;
        }
        let (els, pvals) = frame.else_block.take().expect("an if frame");
        let (dest, results, height) = (frame.dest, frame.results, frame.height);
        if self.reachable {
            frame.dest_reached = true;
            let vals = self.popn(results);
            self.b.ins().jump(dest, &args(&vals));
        }
        self.stack.truncate(height);
        self.stack.extend(pvals);
        self.b.switch_to_block(els);
        self.b.seal_block(els);
        self.reachable = true;
    }

    pub(super) fn translate_end(&mut self) {
        let mut frame = self.control.pop().expect("validated");
        if frame.kind == Kind::Dead {
            return;
        }
        if self.reachable {
            frame.dest_reached = true;
            let vals = self.popn(frame.results);
            self.b.ins().jump(frame.dest, &args(&vals));
        }
        self.stack.truncate(frame.height);
        if let Some((els, pvals)) = frame.else_block.take() {
            // An `if` without `else`: the parameters pass through as results.
            self.b.switch_to_block(els);
            self.b.seal_block(els);
            self.b.ins().jump(frame.dest, &args(&pvals));
            frame.dest_reached = true;
        }
        if frame.kind == Kind::Loop {
            self.b.seal_block(frame.header);
        }
        if frame.kind == Kind::TryTable {
            self.end_handler_scope();
        }
        if frame.kind == Kind::LegacyTry {
            self.end_legacy_scope();
        }
        self.enter_dest(frame.dest, frame.dest_reached);
        if frame.kind == Kind::Function {
            if self.reachable {
                let vals = self.popn(frame.results);
                self.b.ins().return_(&vals);
            }
            self.reachable = false;
        }
    }

    /// In unreachable code only the nesting of control operators matters.
    pub(super) fn unreachable_operator(&mut self, op: Operator<'_>) -> Result<(), String> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                if matches!(op, Operator::Try { .. }) {
                    self.tries_seen += 1;
                }
                let dummy = self.control.last().expect("inside a function").dest;
                self.control.push(ControlFrame {
                    kind: Kind::Dead,
                    dest: dummy,
                    header: dummy,
                    else_block: None,
                    params: 0,
                    results: 0,
                    height: self.stack.len(),
                    dest_reached: false,
                });
            }
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end(),
            Operator::Catch { .. } | Operator::CatchAll => self.legacy_catch(),
            Operator::Delegate { .. } => self.legacy_end(),
            _ => {}
        }
        Ok(())
    }
}
