//! Translation of one function body from wasm operators into register bytecode.
//!
//! The translator keeps a compile-time model of the operand stack (`stack.rs`). Each entry is
//! either a temporary living in its canonical slot (`temps_base` plus the cells below it), or
//! an alias of a local or a constant slot: `local.get` and `*.const` emit nothing, and the operation that consumes them
//! reads the local or constant directly. A result that is immediately stored by `local.set` or
//! `local.tee` is written straight into the local by redirecting the producing instruction.
//! Aliases are materialised into their canonical slots when a local they alias is overwritten,
//! when control flow merges (block entry, branches, block ends) and before calls.
//!
//! A v128 value takes two consecutive cells wherever it lives (locals, constants, temporaries),
//! so slots are cell offsets: local `i` is at the sum of the widths of the locals before it, and
//! a stack entry's canonical slot is `temps_base` plus the widths of the entries below it. The
//! stack's `shape` records each entry's cell offset and width. A function without v128 values
//! has every width 1, and translates exactly as if widths did not exist.

mod acc;
mod control;
mod exn;
mod simd;
mod simple;
mod stack;

use wasmparser::{BinaryReader, FunctionBody, Operator};
use wexe_environ::{ModuleInfo, ValType};

use super::BytecodeFunc;
use super::ops::{Instr, Slot};
use crate::module::Module;

use control::Ctrl;

/// Where a value on the compile-time operand stack lives.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    /// In the canonical slot for its stack height.
    Temp,
    /// In local `n` (an alias created by `local.get`).
    Local(u32),
    /// In the constant slot `n`.
    Const(Slot),
}

/// Why a body could not be translated into bytecode that runs.
enum Abort {
    /// The body needs an operator this tier does not execute yet (SIMD).
    Unsupported,
    /// Malformed input that validation should have refused.
    Error(String),
}

/// The cells a value takes: two for a v128 (`wide`), else one.
fn width(wide: bool) -> u32 {
    1 + wide as u32
}

/// Whether a value of type `t` takes two cells.
fn is_wide(t: &ValType) -> bool {
    *t == ValType::V128
}

type TResult<T = ()> = Result<T, Abort>;

fn err<T>(msg: impl Into<String>) -> TResult<T> {
    Err(Abort::Error(msg.into()))
}

struct Translator<'a> {
    info: &'a ModuleInfo,
    type_ids: &'a [u32],
    code: Vec<Instr>,
    /// The wasm byte offset of each instruction in `code`.
    offsets: Vec<u32>,
    /// The byte offset of the operator being translated.
    offset: u32,
    num_locals: u32,
    /// The slot (first cell) of each local, and whether it is a v128.
    local_slots: Vec<Slot>,
    local_wide: Vec<bool>,
    /// The cells the locals take (`num_locals` without v128 locals).
    num_local_cells: u32,
    /// The distinct scalar constants, sorted: constant `consts[i]` is in slot
    /// `num_local_cells + i` (found by binary search, which no choice of constants can slow
    /// down the way colliding keys slow a hash table).
    consts: Vec<u64>,
    /// The distinct v128 constants (and shuffle masks), sorted, in two cells each after the
    /// scalar constants.
    v128s: Vec<u128>,
    temps_base: Slot,
    /// The most cells the operand stack's temporaries take.
    max_cells: u32,
    stack: Vec<Entry>,
    /// For each stack entry: its cell offset from `temps_base`, and whether it is a v128.
    shape: Vec<(u32, bool)>,
    /// How many stack entries alias each local.
    aliases: Vec<u32>,
    ctrl: Vec<Ctrl>,
    labels: Vec<control::Label>,
    sites: Vec<super::IndirectSite>,
    /// Handler regions by id, in the order they open (`exn.rs`).
    regions: Vec<exn::RegionBuild>,
    /// The regions whose bodies are open: the index of their block in `ctrl`, and their id.
    open_regions: Vec<(usize, u32)>,
    /// The last instruction, when it wrote the top-of-stack temporary and may be redirected.
    last_result: Option<usize>,
    /// The last instruction (where it is in `code`) when it leaves the value of a cell in the
    /// accumulator too, and that cell (`acc.rs`).
    last_def: Option<(usize, Slot)>,
    /// A comparison (where it is in `code`, and the instruction) with an operand the
    /// instruction before it left in the accumulator, which a branch the comparison is fused
    /// into can read from there.
    cmp_from_acc: Option<(usize, Instr, acc::AccOperand)>,
    /// Nesting depth of blocks skipped after an unconditional branch (0: reachable).
    dead_depth: u32,
    reachable: bool,
    /// The function's results.
    results: control::Widths,
    /// Whether function entries and loop headers get a `Check` (fuel, interruption).
    checks: bool,
    /// Whether function entries and loop headers get a `TierCount` (tier-up).
    tier_up: bool,
    /// How many `loop` operators were read so far (tier-up names loops by ordinal).
    loops_seen: u32,
    /// Whether a `TierCountOuter` was emitted.
    has_outer_entry: bool,
}

/// Translates defined function `def_index` of `module`.
pub(crate) fn translate(module: &Module, def_index: usize) -> Result<BytecodeFunc, String> {
    let inner = &module.inner;
    let info = &inner.info;
    let func_index = (info.num_imported_funcs + def_index) as u32;
    let ty = info.func_type(func_index).clone();
    let range = info.bodies[def_index].range.clone();
    let body = FunctionBody::new(BinaryReader::new(
        &inner.bytes[range.clone()],
        range.start as u64,
    ));
    let unsupported = || BytecodeFunc::unsupported(func_index, &ty);
    let mut local_types: Vec<ValType> = ty.params().to_vec();
    let locals = body.get_locals_reader().map_err(|e| e.to_string())?;
    for local in locals {
        let (count, t) = local.map_err(|e| e.to_string())?;
        let t = ValType::from_wasmparser(t, &info.kind_of()).ok_or("unsupported local type")?;
        if local_types.len() + count as usize > 1_000_000 {
            return Err("function has too many locals".into());
        }
        local_types.extend(std::iter::repeat_n(t, count as usize));
    }
    let num_locals = local_types.len() as u32;
    let local_wide: Vec<bool> = local_types.iter().map(is_wide).collect();
    let mut local_slots = Vec::with_capacity(local_wide.len());
    let mut num_local_cells = 0;
    for &w in &local_wide {
        local_slots.push(num_local_cells);
        num_local_cells += width(w);
    }
    let param_cells: u32 = ty.params().iter().map(|t| width(is_wide(t))).sum();
    let result_cells: u32 = ty.results().iter().map(|t| width(is_wide(t))).sum();
    let (consts, v128s) = collect_consts(&body).map_err(|e| e.to_string())?;
    let v128_cells = 2 * v128s.len() as u32;
    let mut t = Translator {
        info,
        type_ids: &inner.type_ids,
        code: Vec::new(),
        offsets: Vec::new(),
        offset: range.start as u32,
        num_locals,
        local_slots,
        local_wide,
        num_local_cells,
        temps_base: num_local_cells + consts.len() as u32 + v128_cells,
        consts,
        v128s,
        max_cells: 0,
        stack: Vec::new(),
        shape: Vec::new(),
        aliases: vec![0; num_locals as usize],
        ctrl: Vec::new(),
        labels: Vec::new(),
        sites: Vec::new(),
        regions: Vec::new(),
        open_regions: Vec::new(),
        last_result: None,
        last_def: None,
        cmp_from_acc: None,
        dead_depth: 0,
        reachable: true,
        results: control::Widths::of(ty.results()),
        checks: module.engine().config().checks_progress(),
        tier_up: module.inner.tiered.is_some(),
        loops_seen: 0,
        has_outer_entry: false,
    };
    match t.translate_body(&body) {
        Ok(()) => {}
        Err(Abort::Unsupported) => return Ok(unsupported()),
        Err(Abort::Error(e)) => return Err(e),
    }
    let frame_size = (t.temps_base + t.max_cells).max(result_cells);
    let (regions, clauses) = t.finish_regions();
    Ok(BytecodeFunc {
        func_index,
        num_params: param_cells,
        frame_size,
        frame_init: std::iter::repeat_n(0, (num_local_cells - param_cells) as usize)
            .chain(t.consts)
            .chain(t.v128s.iter().flat_map(|v| [*v as u64, (*v >> 64) as u64]))
            .collect(),
        code: t.code.iter().map(|i| super::Threaded::new(*i)).collect(),
        offsets: t.offsets.into(),
        sites: t.sites.into(),
        regions,
        clauses,
        heat: std::sync::atomic::AtomicU32::new(crate::tier::initial_heat(module, def_index)),
        loops_hot: std::sync::atomic::AtomicBool::new(false),
        outer_entry_ready: std::sync::atomic::AtomicBool::new(false),
        has_outer_entry: t.has_outer_entry,
        inner_waits: std::sync::atomic::AtomicU32::new(0),
    })
}

/// The distinct scalar constants of a body (zero among them, for null references) and its
/// distinct v128 constants and shuffle masks, each sorted.
fn collect_consts(body: &FunctionBody<'_>) -> wasmparser::Result<(Vec<u64>, Vec<u128>)> {
    let mut consts = vec![0];
    let mut v128s = Vec::new();
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        match ops.read()? {
            Operator::I32Const { value } => consts.push(value as u32 as u64),
            Operator::I64Const { value } => consts.push(value as u64),
            Operator::F32Const { value } => consts.push(value.bits() as u64),
            Operator::F64Const { value } => consts.push(value.bits()),
            Operator::V128Const { value } => v128s.push(u128::from_le_bytes(*value.bytes())),
            // A whole-lane shuffle carries its lanes in the instruction, not in a constant.
            Operator::I8x16Shuffle { lanes }
                if crate::interp::simd::int::lanes32(lanes).is_none() =>
            {
                v128s.push(u128::from_le_bytes(lanes))
            }
            _ => {}
        }
    }
    consts.sort_unstable();
    consts.dedup();
    v128s.sort_unstable();
    v128s.dedup();
    Ok((consts, v128s))
}

impl<'a> Translator<'a> {
    fn translate_body(&mut self, body: &FunctionBody<'_>) -> TResult {
        self.push_ctrl(
            control::CtrlKind::Block,
            control::Widths::default(),
            self.results.clone(),
        );
        if self.tier_up {
            self.emit(Instr::TierCount {
                osr: crate::interp::NO_SLOT,
            });
        }
        if self.checks {
            self.emit(Instr::Check {});
        }
        let mut ops = body
            .get_operators_reader()
            .map_err(|e| Abort::Error(e.to_string()))?;
        while !ops.eof() {
            let (op, offset) = ops
                .read_with_offset()
                .map_err(|e| Abort::Error(e.to_string()))?;
            self.offset = offset as u32;
            if matches!(op, Operator::Loop { .. }) {
                self.loops_seen += 1;
            }
            if !self.reachable {
                self.skip_dead(&op)?;
                continue;
            }
            self.translate_op(op)?;
        }
        if !self.ctrl.is_empty() {
            return err("function body does not end");
        }
        Ok(())
    }

    /// Handles an operator in unreachable code: only nesting and the end of the dead region
    /// matter.
    fn skip_dead(&mut self, op: &Operator<'_>) -> TResult {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                self.dead_depth += 1;
            }
            Operator::Else if self.dead_depth == 0 => self.op_else()?,
            Operator::Catch { tag_index } if self.dead_depth == 0 => {
                self.op_catch(Some(*tag_index))?
            }
            Operator::CatchAll if self.dead_depth == 0 => self.op_catch(None)?,
            Operator::Delegate { relative_depth } if self.dead_depth == 0 => {
                self.op_delegate(*relative_depth)?
            }
            Operator::Delegate { .. } => self.dead_depth -= 1,
            Operator::End if self.dead_depth == 0 => self.op_end()?,
            Operator::End => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    fn emit(&mut self, instr: Instr) -> usize {
        self.code.push(instr);
        self.offsets.push(self.offset);
        let at = self.code.len() - 1;
        self.last_result = None;
        self.last_def = instr.acc_result().map(|cell| (at, cell));
        at
    }

    /// Forgets what the last instruction produced: it was removed or rewritten, or control
    /// may arrive here from elsewhere.
    fn forget_last(&mut self) {
        self.last_result = None;
        self.last_def = None;
    }

    /// Emits an instruction whose `dst` is the temporary just pushed.
    fn emit_result(&mut self, instr: Instr) {
        let at = self.emit(instr);
        self.last_result = Some(at);
    }

    fn global_type(&self, g: u32) -> TResult<ValType> {
        match self.info.globals.get(g as usize) {
            Some(t) => Ok(t.content),
            None => err("global index out of range"),
        }
    }

    fn translate_op(&mut self, op: Operator<'_>) -> TResult {
        if self.translate_simple(&op)? {
            return Ok(());
        }
        use Operator as O;
        match op {
            O::Nop => {}
            O::Drop => {
                self.pop()?;
            }
            O::I32Const { value } => self.push_const(value as u32 as u64)?,
            O::I64Const { value } => self.push_const(value as u64)?,
            O::F32Const { value } => self.push_const(value.bits() as u64)?,
            O::F64Const { value } => self.push_const(value.bits())?,
            O::RefNull { .. } => self.push_const(0)?,
            // Reinterpretation changes no bits: the cell already holds them.
            O::I32ReinterpretF32
            | O::F32ReinterpretI32
            | O::I64ReinterpretF64
            | O::F64ReinterpretI64 => {}
            O::LocalGet { local_index } => {
                if local_index >= self.num_locals {
                    return err("local index out of range");
                }
                self.push_local(local_index);
            }
            O::LocalSet { local_index } => self.local_set(local_index, false)?,
            O::LocalTee { local_index } => self.local_set(local_index, true)?,
            O::GlobalGet { global_index } if self.global_type(global_index)? == ValType::V128 => {
                let dst = self.push_temp_of(true);
                self.emit(Instr::GlobalGetV128 {
                    dst,
                    global: global_index,
                });
            }
            O::GlobalGet { global_index } => {
                let dst = self.push_temp();
                self.emit_result(Instr::GlobalGet {
                    dst,
                    global: global_index,
                });
            }
            O::GlobalSet { global_index } if self.global_type(global_index)? == ValType::V128 => {
                let src = self.pop()?;
                self.emit(Instr::GlobalSetV128 {
                    src,
                    global: global_index,
                });
            }
            O::GlobalSet { global_index } => {
                let src = self.pop()?;
                self.emit(Instr::GlobalSet {
                    src,
                    global: global_index,
                });
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => self.select()?,
            O::MemorySize { mem } => {
                let dst = self.push_temp();
                self.emit_result(Instr::MemorySize { dst, mem });
            }
            O::MemoryGrow { mem } => {
                let delta = self.pop()?;
                let dst = self.push_temp();
                self.emit_result(Instr::MemoryGrow { dst, delta, mem });
            }
            O::MemoryCopy { dst_mem, src_mem } => self.bulk(
                |dst, src, len| Instr::MemoryCopy { dst, src, len },
                Some((dst_mem, src_mem)),
            )?,
            O::MemoryFill { mem } => self.bulk(
                |dst, value, len| Instr::MemoryFill { dst, value, len },
                Some((mem, 0)),
            )?,
            O::MemoryInit { data_index, mem } => self.bulk(
                |dst, src, len| Instr::MemoryInit { dst, src, len },
                Some((data_index, mem)),
            )?,
            O::DataDrop { data_index } => {
                self.emit(Instr::DataDrop { seg: data_index });
            }
            O::TableGet { table } => {
                let index = self.pop()?;
                let dst = self.push_temp();
                self.emit_result(Instr::TableGet { dst, index, table });
            }
            O::TableSet { table } => {
                let value = self.pop()?;
                let index = self.pop()?;
                self.emit(Instr::TableSet {
                    index,
                    value,
                    table,
                });
            }
            O::TableSize { table } => {
                let dst = self.push_temp();
                self.emit_result(Instr::TableSize { dst, table });
            }
            O::TableGrow { table } => {
                let delta = self.pop()?;
                let init = self.pop()?;
                let dst = self.push_temp();
                self.emit(Instr::TableGrow { dst, init, delta });
                self.emit(Instr::Ext { a: table, b: 0 });
            }
            O::TableFill { table } => self.bulk(
                |dst, value, len| Instr::TableFill { dst, value, len },
                Some((table, 0)),
            )?,
            O::TableCopy {
                dst_table,
                src_table,
            } => self.bulk(
                |dst, src, len| Instr::TableCopy { dst, src, len },
                Some((dst_table, src_table)),
            )?,
            O::TableInit { elem_index, table } => self.bulk(
                |dst, src, len| Instr::TableInit { dst, src, len },
                Some((table, elem_index)),
            )?,
            O::ElemDrop { elem_index } => {
                self.emit(Instr::ElemDrop { seg: elem_index });
            }
            O::RefFunc { function_index } => {
                let dst = self.push_temp();
                self.emit_result(Instr::RefFunc {
                    dst,
                    func: function_index,
                });
            }
            O::Unreachable => {
                self.emit(Instr::Unreachable {});
                self.set_unreachable();
            }
            O::Block { blockty } => self.op_block(blockty, control::CtrlKind::Block)?,
            O::Loop { blockty } => self.op_block(blockty, control::CtrlKind::Loop)?,
            O::If { blockty } => self.op_if(blockty)?,
            O::Else => self.op_else()?,
            O::End => self.op_end()?,
            O::Br { relative_depth } => {
                self.branch(relative_depth)?;
                self.set_unreachable();
            }
            O::BrIf { relative_depth } => self.op_br_if(relative_depth)?,
            O::BrTable { targets } => self.op_br_table(&targets)?,
            O::Return => {
                self.op_return()?;
                self.set_unreachable();
            }
            O::Call { function_index } => self.op_call(function_index)?,
            O::Throw { tag_index } => self.op_throw(tag_index)?,
            O::ThrowRef => self.op_throw_ref()?,
            O::TryTable { try_table } => self.op_try_table(try_table)?,
            O::Try { blockty } => self.op_try(blockty)?,
            O::Catch { tag_index } => self.op_catch(Some(tag_index))?,
            O::CatchAll => self.op_catch(None)?,
            O::Delegate { relative_depth } => self.op_delegate(relative_depth)?,
            O::Rethrow { relative_depth } => self.op_rethrow(relative_depth)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => self.op_call_indirect(type_index, table_index, false)?,
            O::I64Add128 => self.wide(|dst, lo, hi| Instr::I64Add128 { dst, lo, hi }, true)?,
            O::I64Sub128 => self.wide(|dst, lo, hi| Instr::I64Sub128 { dst, lo, hi }, true)?,
            O::I64MulWideS => {
                self.wide(|dst, lhs, rhs| Instr::I64MulWideS { dst, lhs, rhs }, false)?
            }
            O::I64MulWideU => {
                self.wide(|dst, lhs, rhs| Instr::I64MulWideU { dst, lhs, rhs }, false)?
            }
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.op_call_indirect(type_index, table_index, true)?,
            O::ReturnCall { function_index } => self.op_return_call(function_index)?,
            O::CallRef { type_index } => self.op_call_ref(type_index, false)?,
            O::ReturnCallRef { type_index } => self.op_call_ref(type_index, true)?,
            O::BrOnNull { relative_depth } => self.op_br_on_null(relative_depth)?,
            O::BrOnNonNull { relative_depth } => self.op_br_on_non_null(relative_depth)?,
            O::RefAsNonNull => {
                let src = self.entry_slot(
                    self.stack
                        .len()
                        .checked_sub(1)
                        .ok_or(Abort::Error("operand stack underflow".into()))?,
                );
                self.emit(Instr::RefAsNonNull { src });
            }
            op => self.translate_simd(op)?,
        }
        Ok(())
    }

    fn select(&mut self) -> TResult {
        let cond = self.pop()?;
        let alt = self.pop()?;
        let h = self.stack.len() - 1;
        self.materialize(h);
        let wide = self.is_wide_at(h);
        let dst = self.pop()?;
        self.push(Entry::Temp, wide);
        if wide {
            self.emit(Instr::SelectV128 { dst, alt, cond });
        } else {
            self.emit(Instr::Select { dst, alt, cond });
        }
        Ok(())
    }
}
