//! Exception handling: `throw`, `throw_ref` and `try_table`.
//!
//! A call inside a `try_table` body is a Cranelift `try_call` whose exception table lists, after
//! the function's vmctx as dynamic context, the catch clauses of every enclosing `try_table`
//! (innermost first; the runtime takes the first whose tag matches by identity in the frame's
//! instance, or a catch-all). Each clause has a handler block that receives the `exnref` in the
//! first payload register, reads the payload through the `ExnPayload` builtin and branches to
//! the clause's label. `throw` makes the exception with the `ExnNew` builtin; `throw` and
//! `throw_ref` then call the `Throw` builtin like any other call (a `try_call` inside a
//! `try_table`, so the runtime's unwinder finds this frame's handlers too), which never returns.

use cranelift_codegen::ir::{
    self, BlockArg, BlockCall, ExceptionTableData, ExceptionTableItem, ExceptionTag, InstBuilder,
    StackSlotData, StackSlotKind, Value, types,
};
use cranelift_frontend::Variable;
use wasmparser::{Catch, Operator};
use wexe_environ::vmoffsets::{Builtin, VALUE_SIZE};

use super::FuncTranslator;
use super::control::Kind;
use crate::abi::{self, codes};

/// What a call instruction calls.
pub(super) enum Callee {
    Direct(ir::FuncRef),
    Indirect(Value),
}

/// One catch clause of a `try_table` or legacy `try`.
pub(super) struct Clause {
    /// The module's tag index; `None` catches everything.
    pub(super) tag: Option<u32>,
    /// Where the exception lands, with the `exnref` as parameter.
    pub(super) handler: ir::Block,
    /// For a `try_table`'s clause: the label, relative to the frames outside the `try_table`,
    /// and whether the `exnref` goes there too (`catch_ref`, `catch_all_ref`). `None` for a
    /// legacy `catch` arm, which starts at the handler.
    branch: Option<(u32, bool)>,
}

impl Clause {
    /// A legacy `catch` (or `catch_all`, with no tag) arm starting at `handler`.
    pub(super) fn arm(tag: Option<u32>, handler: ir::Block) -> Clause {
        Clause {
            tag,
            handler,
            branch: None,
        }
    }
}

/// The handlers of one enclosing `try_table` or legacy `try`.
pub(super) struct HandlerScope {
    /// The index of its control frame.
    pub(super) frame: usize,
    pub(super) clauses: Vec<Clause>,
    /// A legacy `try ... delegate`: the control frame whose handlers its body's exceptions go
    /// to (none of the scopes in between).
    pub(super) delegate: Option<usize>,
    /// False once a legacy `try`'s arms started: its clauses no longer apply.
    pub(super) active: bool,
    /// The next legacy arm to start.
    pub(super) next_arm: usize,
    /// The variable holding the exception a legacy arm caught, for `rethrow`.
    pub(super) caught: Option<Variable>,
    /// Whether a `rethrow` names this legacy `try` (then caught exceptions are kept).
    pub(super) rethrown: bool,
}

impl FuncTranslator<'_> {
    /// Exception operators; false if `op` is not one.
    pub(super) fn exception_operator(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match op {
            Operator::Throw { tag_index } => self.throw(*tag_index),
            Operator::ThrowRef => {
                let exn = self.pop();
                self.b.ins().trapz(exn, codes::NULL_REFERENCE);
                self.throw_exnref(exn);
            }
            Operator::TryTable { try_table } => {
                let frame = self.control.len();
                let mut clauses = Vec::with_capacity(try_table.catches.len());
                for c in &try_table.catches {
                    let (tag, label, with_ref) = match *c {
                        Catch::One { tag, label } => (Some(tag), label, false),
                        Catch::OneRef { tag, label } => (Some(tag), label, true),
                        Catch::All { label } => (None, label, false),
                        Catch::AllRef { label } => (None, label, true),
                    };
                    let handler = self.new_block(&[types::I64]);
                    clauses.push(Clause {
                        tag,
                        handler,
                        branch: Some((label, with_ref)),
                    });
                }
                self.push_block(Kind::TryTable, try_table.ty);
                self.handler_scopes.push(HandlerScope {
                    frame,
                    clauses,
                    delegate: None,
                    active: true,
                    next_arm: 0,
                    caught: None,
                    rethrown: false,
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A stack slot of `n` value cells (at least one) and its address.
    pub(super) fn value_cells(&mut self, n: usize) -> Value {
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            n.max(1) as u32 * VALUE_SIZE,
            4,
        ));
        self.b.ins().stack_addr(types::I64, slot, 0)
    }

    /// `throw tag`: the payload goes to a new exception, which is thrown.
    fn throw(&mut self, tag: u32) {
        let n = self.info.tag_type(tag).params().len();
        let payload = self.popn(n);
        let cells = self.value_cells(n);
        for (i, v) in payload.into_iter().enumerate() {
            let flags = abi::cell_flags(self.b.func.dfg.value_type(v));
            self.b
                .ins()
                .store(flags, v, cells, (i as u32 * VALUE_SIZE) as i32);
        }
        let tag = self.b.ins().iconst(types::I32, i64::from(tag));
        let exn = self
            .call_builtin(Builtin::ExnNew, &[tag, cells])
            .expect("ExnNew has a result");
        self.throw_exnref(exn);
    }

    /// Throws the non-null `exn` through the `Throw` builtin, which does not return here.
    pub(super) fn throw_exnref(&mut self, exn: Value) {
        let (sig, f) = self.builtin(Builtin::Throw);
        let args = [self.vmctx, exn];
        self.call_catching(Callee::Indirect(f), sig, &args);
        self.b.ins().trap(codes::UNREACHABLE);
        self.reachable = false;
    }

    /// A call of `callee` (signature `sig`); inside a `try_table`, a `try_call` whose handlers
    /// are the enclosing clauses. Its results.
    pub(super) fn call_catching(
        &mut self,
        callee: Callee,
        sig: ir::SigRef,
        args: &[Value],
    ) -> Vec<Value> {
        let clauses = self.live_clauses();
        if clauses.is_empty() {
            let call = match callee {
                Callee::Direct(f) => self.b.ins().call(f, args),
                Callee::Indirect(p) => self.b.ins().call_indirect(sig, p, args),
            };
            return self.b.inst_results(call).to_vec();
        }
        let returns: Vec<ir::Type> = self.b.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let cont = self.new_block(&returns);
        let pool = &mut self.b.func.dfg.value_lists;
        let normal = BlockCall::new(
            cont,
            (0..returns.len() as u32).map(BlockArg::TryCallRet),
            pool,
        );
        let mut items = vec![ExceptionTableItem::Context(self.vmctx)];
        for (tag, handler) in clauses {
            let to = BlockCall::new(handler, [BlockArg::TryCallExn(0)], pool);
            items.push(match tag {
                Some(t) => ExceptionTableItem::Tag(ExceptionTag::from_u32(t), to),
                None => ExceptionTableItem::Default(to),
            });
        }
        let table = self
            .b
            .func
            .dfg
            .exception_tables
            .push(ExceptionTableData::new(sig, normal, items));
        match callee {
            Callee::Direct(f) => self.b.ins().try_call(f, args, table),
            Callee::Indirect(p) => self.b.ins().try_call_indirect(p, args, table),
        };
        self.b.switch_to_block(cont);
        self.b.seal_block(cont);
        self.b.block_params(cont).to_vec()
    }

    /// The clauses that catch what a call here throws, innermost first: those of the active
    /// scopes, where a `delegate` skips to its target's.
    fn live_clauses(&self) -> Vec<(Option<u32>, ir::Block)> {
        let mut out = Vec::new();
        let mut up_to = usize::MAX;
        for scope in self.handler_scopes.iter().rev() {
            if scope.frame > up_to || !scope.active {
                continue;
            }
            if let Some(target) = scope.delegate {
                up_to = target;
                continue;
            }
            out.extend(scope.clauses.iter().map(|c| (c.tag, c.handler)));
        }
        out
    }

    /// At a `try_table`'s `end` (its frame popped, the current block finished): the handler of
    /// each clause reads the payload (freeing the exception unless the `exnref` goes on too)
    /// and branches to the clause's label.
    pub(super) fn end_handler_scope(&mut self) {
        let scope = self.handler_scopes.pop().expect("a try_table's handlers");
        for c in scope.clauses {
            let (label, with_ref) = c.branch.expect("a try_table's clause");
            self.b.switch_to_block(c.handler);
            self.b.seal_block(c.handler);
            let exn = self.b.block_params(c.handler)[0];
            let mut vals = self.read_payload(exn, c.tag, with_ref);
            if with_ref {
                vals.push(exn);
            }
            let i = self.control.len() - 1 - label as usize;
            let (target, _) = self.control[i].branch_target();
            if self.control[i].kind != Kind::Loop {
                self.control[i].dest_reached = true;
            }
            let args: Vec<BlockArg> = vals.into_iter().map(BlockArg::Value).collect();
            self.b.ins().jump(target, &args);
        }
    }
}
