//! The legacy exception form: `try` with `catch`/`catch_all` arms or `delegate`, and `rethrow`.
//!
//! A `try` body's calls get the `try`'s catch clauses as handlers, like a `try_table`'s; each
//! clause's handler block is the start of its arm, which receives the payload on the operand
//! stack and keeps the `exnref` in a variable for `rethrow` (the object is then marked
//! referenced, as in the interpreter; a `try` no `rethrow` names frees it once the payload is
//! read, so that catching in a loop reuses one object). Once the first arm starts, the `try`'s clauses no longer apply. A
//! `try ... delegate l` sends exceptions of its body to the handlers of label `l`, skipping
//! those in between. The clauses and the delegation are only known at the arms and the end,
//! after the body's calls, so [`scan_tries`] reads them from the body first (at its first
//! `try`).

use cranelift_codegen::ir::{self, InstBuilder, types};
use wasmparser::{BlockType, FunctionBody, Operator};
use wexe_environ::vmoffsets::{Builtin, VALUE_SIZE};

use super::FuncTranslator;
use super::control::Kind;
use super::exn::{Clause, HandlerScope};
use crate::abi;

/// What a `try` of the body ends with: its catch clauses (tag, `None` for `catch_all`) in
/// order, or the label its `delegate` names; and whether a `rethrow` in its arms names it.
#[derive(Default)]
pub(super) struct TryShape {
    catches: Vec<Option<u32>>,
    delegate: Option<u32>,
    rethrown: bool,
}

/// The shape of every `try` of the body, in the order they start.
pub(super) fn scan_tries(body: &FunctionBody<'_>) -> Result<Vec<TryShape>, String> {
    let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
    let mut shapes = Vec::new();
    // Per open construct: the index of its shape if it is a `try`.
    let mut open: Vec<Option<usize>> = Vec::new();
    while !reader.eof() {
        match reader.read().map_err(|e| e.to_string())? {
            Operator::Try { .. } => {
                open.push(Some(shapes.len()));
                shapes.push(TryShape::default());
            }
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => open.push(None),
            Operator::Catch { tag_index } => {
                if let Some(&Some(i)) = open.last() {
                    shapes[i].catches.push(Some(tag_index));
                }
            }
            Operator::CatchAll => {
                if let Some(&Some(i)) = open.last() {
                    shapes[i].catches.push(None);
                }
            }
            Operator::Delegate { relative_depth } => {
                if let Some(Some(i)) = open.pop() {
                    shapes[i].delegate = Some(relative_depth);
                }
            }
            Operator::Rethrow { relative_depth } => {
                let at = open.len().checked_sub(1 + relative_depth as usize);
                if let Some(Some(i)) = at.map(|at| open[at]) {
                    shapes[i].rethrown = true;
                }
            }
            Operator::End => {
                open.pop();
            }
            _ => {}
        }
    }
    Ok(shapes)
}

impl FuncTranslator<'_> {
    /// Legacy exception operators in reachable code; false if `op` is not one.
    pub(super) fn legacy_operator(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match *op {
            Operator::Try { blockty } => self.legacy_try(blockty)?,
            Operator::Catch { .. } | Operator::CatchAll => self.legacy_catch(),
            Operator::Delegate { .. } => self.legacy_end(),
            Operator::Rethrow { relative_depth } => {
                let i = self.control.len() - 1 - relative_depth as usize;
                let var = self
                    .handler_scopes
                    .iter()
                    .find(|s| s.frame == i)
                    .and_then(|s| s.caught)
                    .expect("validated: rethrow inside a catch arm");
                let exn = self.b.use_var(var);
                self.throw_exnref(exn);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The next `try`'s shape, as [`scan_tries`] finds it (at the first `try` translated, so
    /// that bodies without one are read once).
    fn next_try_shape(&mut self) -> Result<TryShape, String> {
        let i = self.tries_seen;
        self.tries_seen += 1;
        if self.try_shapes.is_none() {
            self.try_shapes = Some(scan_tries(&self.body)?);
        }
        self.try_shapes
            .as_mut()
            .and_then(|shapes| shapes.get_mut(i))
            .map(std::mem::take)
            .ok_or_else(|| "internal error: a try the first pass did not see".to_string())
    }

    fn legacy_try(&mut self, blockty: BlockType) -> Result<(), String> {
        let shape = self.next_try_shape()?;
        let outer = self.control.len();
        self.push_block(Kind::LegacyTry, blockty);
        let clauses = shape
            .catches
            .iter()
            .map(|&tag| Clause::arm(tag, self.new_block(&[types::I64])))
            .collect();
        self.handler_scopes.push(HandlerScope {
            frame: outer,
            clauses,
            delegate: shape.delegate.map(|d| outer - 1 - d as usize),
            active: true,
            next_arm: 0,
            caught: None,
            rethrown: shape.rethrown,
        });
        Ok(())
    }

    /// `catch`/`catch_all` (reachable or not): the previous part of the `try` ends, the next
    /// arm starts at its handler with the payload on the stack.
    pub(super) fn legacy_catch(&mut self) {
        let frame = self.control.last_mut().expect("validated");
        if frame.kind != Kind::LegacyTry {
            return; // in a construct inside unreachable code
        }
        let (dest, results, height) = (frame.dest, frame.results, frame.height);
        if self.reachable {
            frame.dest_reached = true;
            let vals = self.popn(results);
            self.b.ins().jump(dest, &super::control::args(&vals));
        }
        self.stack.truncate(height);
        let scope = self.handler_scopes.last_mut().expect("the try's scope");
        scope.active = false;
        let clause = &scope.clauses[scope.next_arm];
        scope.next_arm += 1;
        let (tag, handler, keep) = (clause.tag, clause.handler, scope.rethrown);
        let var = match scope.caught {
            Some(v) => v,
            None => {
                let v = self.b.declare_var(types::I64);
                self.handler_scopes.last_mut().expect("as above").caught = Some(v);
                v
            }
        };
        self.b.switch_to_block(handler);
        self.b.seal_block(handler);
        self.reachable = true;
        let exn = self.b.block_params(handler)[0];
        self.b.def_var(var, exn);
        let vals = self.read_payload(exn, tag, keep);
        self.stack.extend(vals);
    }

    /// `delegate`, or the `end` of a `try`, reachable or not: the `try`'s scope ends.
    pub(super) fn legacy_end(&mut self) {
        if self.control.last().map(|f| f.kind) == Some(Kind::LegacyTry) {
            self.translate_end();
        } else {
            // A `delegate` ending a `try` inside unreachable code.
            self.control.pop();
        }
    }

    /// At a `try`'s end (its frame popped): its scope goes.
    pub(super) fn end_legacy_scope(&mut self) {
        self.handler_scopes.pop().expect("a try's scope");
    }

    /// Reads the payload of `exn` for a clause of `tag` (nothing for a catch-all) through the
    /// `ExnPayload` builtin, which frees the object unless `keep`.
    pub(super) fn read_payload(
        &mut self,
        exn: ir::Value,
        tag: Option<u32>,
        keep: bool,
    ) -> Vec<ir::Value> {
        let tys: Vec<ir::Type> = match tag {
            Some(t) => self
                .info
                .tag_type(t)
                .params()
                .iter()
                .map(|&p| abi::clif_type(p))
                .collect(),
            None => Vec::new(),
        };
        let cells = if tys.is_empty() {
            self.b.ins().iconst(types::I64, 0)
        } else {
            self.value_cells(tys.len())
        };
        let keep = self.b.ins().iconst(types::I32, i64::from(keep));
        self.call_builtin(Builtin::ExnPayload, &[exn, cells, keep]);
        tys.into_iter()
            .enumerate()
            .map(|(i, ty)| {
                let off = (i as u32 * VALUE_SIZE) as i32;
                self.b.ins().load(ty, abi::cell_flags(ty), cells, off)
            })
            .collect()
    }
}
