//! Translation of one function body from wasm operators to Cranelift IR.
//!
//! [`FuncTranslator`] keeps the wasm operand stack as a stack of SSA values, locals as frontend
//! variables and the control stack of blocks, loops and ifs ([`control`]). Numeric operators are
//! in [`numeric`], 128-bit SIMD in [`simd`], memory access in [`memory`], calls, globals, tables
//! and references in [`entities`]. Every instruction carries its operator's wasm byte offset as source location,
//! so the runtime can map return addresses and trap sites back to the module.

mod control;
mod debug_slots;
mod entities;
mod exn;
mod legacy;
mod memory;
mod metering;
mod numeric;
mod simd;

use std::collections::HashMap;

use cranelift_codegen::ir::{
    self, GlobalValueData, InstBuilder, MemFlagsData, SourceLoc, UserFuncName, Value, types,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use wasmparser::{BinaryReader, FunctionBody, Operator};
use wexe_environ::vmoffsets::{Builtin, STORE_STACK_LIMIT, VMCTX_BUILTINS, VMCTX_STORE, VMOffsets};
use wexe_environ::{CompileInput, LoopEntries, ModuleInfo};

use crate::abi::{self, codes};
use control::ControlFrame;
pub(crate) use debug_slots::DebugSlotsIr;

/// A global value for the store's stack limit, read through the function's vmctx.
fn stack_limit(func: &mut ir::Function) -> ir::GlobalValue {
    let flags = func
        .dfg
        .mem_flags
        .insert(MemFlagsData::trusted().with_readonly())
        .expect("few memflags");
    let vmctx = func.create_global_value(GlobalValueData::VMContext);
    let store = func.create_global_value(GlobalValueData::Load {
        base: vmctx,
        offset: (VMCTX_STORE as i32).into(),
        global_type: types::I64,
        flags,
    });
    let flags = func
        .dfg
        .mem_flags
        .insert(MemFlagsData::trusted())
        .expect("few memflags");
    func.create_global_value(GlobalValueData::Load {
        base: store,
        offset: (STORE_STACK_LIMIT as i32).into(),
        global_type: types::I64,
        flags,
    })
}

/// Translates defined function `def` of the module into `func` (with `osr`, its
/// on-stack-replacement entry for those loops); with `debug_info`, the stack slots a debugger
/// reads its locals from.
pub(crate) fn translate_function(
    isa: &dyn TargetIsa,
    input: &CompileInput<'_>,
    def: u32,
    osr: Option<LoopEntries>,
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
) -> Result<Option<DebugSlotsIr>, String> {
    let info = input.info;
    let index = info.num_imported_funcs as u32 + def;
    let fty = info.func_type(index).clone();
    func.signature = match osr {
        Some(_) => abi::wasm_signature(isa, &osr_type(&fty)),
        None => abi::wasm_signature(isa, &fty),
    };
    func.name = UserFuncName::user(0, def);
    func.stack_limit = Some(stack_limit(func));
    let range = info.bodies[def as usize].range.clone();
    let body = FunctionBody::new(BinaryReader::new(
        &input.bytes[range.clone()],
        range.start as u64,
    ));
    let mut t = FuncTranslator {
        b: FunctionBuilder::new(func, fctx),
        isa,
        input,
        info,
        offsets: VMOffsets::new(info),
        vmctx: Value::from_u32(0),
        locals: Vec::new(),
        stack: Vec::new(),
        control: Vec::new(),
        reachable: true,
        sigs: HashMap::new(),
        funcs: HashMap::new(),
        builtins: HashMap::new(),
        handler_scopes: Vec::new(),
        body: body.clone(),
        try_shapes: None,
        tries_seen: 0,
        branched_from: HashMap::new(),
        osr: None,
        self_def: osr.is_none().then_some(def),
        loops_seen: 0,
        debug_slots: None,
        debug_locals: input
            .debug_info
            .map(|used| used.get(def as usize).cloned().unwrap_or_default()),
    };
    t.prologue(&fty, &body, osr).map_err(|e| e.to_string())?;
    let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset().map_err(|e| e.to_string())?;
        t.b.set_srcloc(SourceLoc::new(offset as u32));
        if matches!(op, Operator::Loop { .. }) {
            t.loops_seen += 1;
        }
        t.operator(op)?;
    }
    if let Some(o) = t.osr.take() {
        // The headers of loops that cannot be entered (values on the stack, or unreachable
        // code): the interpreter never asks for them.
        for (header, entered) in o.headers.into_iter().zip(o.entered) {
            if !entered {
                t.b.switch_to_block(header);
                t.b.seal_block(header);
                t.b.ins().trap(abi::codes::UNREACHABLE);
            }
        }
    }
    t.b.finalize(isa.frontend_config());
    Ok(t.debug_slots)
}

/// The wasm type of the on-stack-replacement entry of a function of type `fty`: an `i64`, the
/// address of the interpreter's frame (its locals in packed 64-bit cells, a v128 in two), an
/// `i32`, the ordinal of the loop to enter among the body's `loop` operators; and the
/// function's results.
pub(crate) fn osr_type(fty: &wexe_environ::FuncType) -> wexe_environ::FuncType {
    use wexe_environ::ValType;
    wexe_environ::FuncType::new([ValType::I64, ValType::I32], fty.results().iter().copied())
}

/// The on-stack-replacement entry being translated: a header block for every loop of the body
/// (by ordinal), made before the body is read so that the entry can branch to each, and
/// whether the loop was one that can be entered.
pub(crate) struct OsrEntry {
    pub headers: Vec<ir::Block>,
    pub entered: Vec<bool>,
    pub loops: LoopEntries,
}

pub(crate) struct FuncTranslator<'a> {
    b: FunctionBuilder<'a>,
    isa: &'a dyn TargetIsa,
    input: &'a CompileInput<'a>,
    info: &'a ModuleInfo,
    offsets: VMOffsets,
    vmctx: Value,
    locals: Vec<(Variable, ir::Type)>,
    stack: Vec<Value>,
    control: Vec<ControlFrame>,
    /// Whether the code being translated can run (false after `br`, `return`, ...).
    reachable: bool,
    sigs: HashMap<u32, ir::SigRef>,
    funcs: HashMap<u32, ir::FuncRef>,
    builtins: HashMap<u32, ir::SigRef>,
    /// The catch clauses of the enclosing `try_table`s, outermost first.
    handler_scopes: Vec<exn::HandlerScope>,
    /// The body being translated.
    body: FunctionBody<'a>,
    /// The shape of each legacy `try` of the body (read at the first one), and how many of them
    /// were entered.
    try_shapes: Option<Vec<legacy::TryShape>>,
    tries_seen: usize,
    /// The conditional branch (`brif`) each block made for an `if` arm or a `br_if`'s
    /// fall-through is the only successor of (see `trap_unreachable`).
    branched_from: HashMap<ir::Block, ir::Inst>,
    /// When translating an on-stack-replacement entry: its loop.
    osr: Option<OsrEntry>,
    /// The defined function being translated, unless it is an on-stack-replacement entry:
    /// its calls to itself are PC-relative even when other calls go through the vmctx.
    self_def: Option<u32>,
    /// How many `loop` operators were read so far.
    loops_seen: u32,
    /// Under `debug_info`, the slots holding the vmctx and a copy of each local.
    debug_slots: Option<DebugSlotsIr>,
    /// Under `debug_info`, the locals to keep in slots (sorted).
    debug_locals: Option<Vec<u32>>,
}

impl FuncTranslator<'_> {
    fn prologue(
        &mut self,
        fty: &wexe_environ::FuncType,
        body: &FunctionBody<'_>,
        osr: Option<LoopEntries>,
    ) -> wasmparser::Result<()> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params = self.b.block_params(entry).to_vec();
        self.vmctx = params[0];
        let mut types: Vec<ir::Type> = fty.params().iter().map(|&t| abi::clif_type(t)).collect();
        for local in body.get_locals_reader()? {
            let (count, ty) = local?;
            let vt = wexe_environ::ValType::from_wasmparser(ty, &self.info.kind_of())
                .unwrap_or(wexe_environ::ValType::V128);
            types.extend(std::iter::repeat_n(abi::clif_type(vt), count as usize));
        }
        for &ty in &types {
            let var = self.b.declare_var(ty);
            self.locals.push((var, ty));
        }
        let num_params = if let Some(loops_entered) = osr {
            // The entry from the interpreter (a non-null frame address) loads every local from
            // its cells and branches to the header of the loop asked for; the function's own
            // start, where the address is null, is only there so that the body translates as
            // it always does.
            let mut loops = 0;
            let mut reader = body.get_operators_reader()?;
            while !reader.eof() {
                if matches!(reader.read()?, Operator::Loop { .. }) {
                    loops += 1;
                }
            }
            let (load, start) = (self.b.create_block(), self.b.create_block());
            let headers: Vec<ir::Block> = (0..loops).map(|_| self.b.create_block()).collect();
            self.b.ins().brif(params[2], load, &[], start, &[]);
            self.b.seal_block(load);
            self.b.seal_block(start);
            self.b.switch_to_block(load);
            let mut offset = 0;
            for &(var, ty) in &self.locals {
                let v = self
                    .b
                    .ins()
                    .load(ty, abi::cell_flags(ty), params[2], offset);
                self.b.def_var(var, v);
                offset += if ty == types::I8X16 { 16 } else { 8 };
            }
            let bad = self.b.create_block();
            let targets: Vec<ir::BlockCall> = headers
                .iter()
                .map(|&h| self.b.func.dfg.block_call(h, &[]))
                .collect();
            let default = self.b.func.dfg.block_call(bad, &[]);
            let table = self
                .b
                .func
                .dfg
                .jump_tables
                .push(ir::JumpTableData::new(default, &targets));
            self.b.ins().br_table(params[3], table);
            self.b.seal_block(bad);
            self.b.switch_to_block(bad);
            self.b.ins().trap(abi::codes::UNREACHABLE);
            self.b.switch_to_block(start);
            self.osr = Some(OsrEntry {
                entered: vec![false; headers.len()],
                headers,
                loops: loops_entered,
            });
            0
        } else {
            for (&(var, _), &v) in self.locals.iter().zip(&params[2..]) {
                self.b.def_var(var, v);
            }
            fty.params().len()
        };
        for i in num_params..self.locals.len() {
            let (var, ty) = self.locals[i];
            let zero = self.zero(ty);
            self.b.def_var(var, zero);
        }
        let results: Vec<ir::Type> = fty.results().iter().map(|&t| abi::clif_type(t)).collect();
        let exit = self.b.create_block();
        for &r in &results {
            self.b.append_block_param(exit, r);
        }
        self.control.push(ControlFrame::function(exit, results));
        if let Some(used) = self.debug_locals.take() {
            self.create_debug_slots(&used);
        }
        self.check_progress();
        Ok(())
    }

    /// The zero value of a type.
    fn zero(&mut self, ty: ir::Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            types::I8X16 => self.v128_const(&[0; 16]),
            ty => self.b.ins().iconst(ty, 0),
        }
    }

    fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack not empty")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn popn(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// A load of a pointer-sized field that never changes while the code runs.
    fn load_ro(&mut self, base: Value, offset: u32) -> Value {
        let flags = MemFlagsData::trusted().with_readonly().with_can_move();
        self.b.ins().load(types::I64, flags, base, offset as i32)
    }

    /// The address of builtin `b`, and its signature.
    fn builtin(&mut self, builtin: Builtin) -> (ir::SigRef, Value) {
        let sig = match self.builtins.get(&(builtin as u32)) {
            Some(&s) => s,
            None => {
                let s = self
                    .b
                    .import_signature(abi::builtin_signature(self.isa, builtin));
                self.builtins.insert(builtin as u32, s);
                s
            }
        };
        let table = self.load_ro(self.vmctx, VMCTX_BUILTINS);
        let f = self.load_ro(table, builtin as u32 * 8);
        (sig, f)
    }

    /// Calls a builtin; its result, if it has one.
    fn call_builtin(&mut self, builtin: Builtin, args: &[Value]) -> Option<Value> {
        let (sig, f) = self.builtin(builtin);
        let mut all = vec![self.vmctx];
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, f, &all);
        self.b.inst_results(call).first().copied()
    }

    /// Calls a growth builtin (`MemoryGrow`, `TableGrow`): its result (old size or -1), after
    /// trapping when it is `GROW_TRAPPED`; an `i64` for a 64-bit memory or table (`is64`), else
    /// an `i32`.
    fn call_grow_builtin(&mut self, builtin: Builtin, args: &[Value], is64: bool) -> Value {
        let r = self.call_builtin(builtin, args).expect("has a result");
        let trapped = self
            .b
            .ins()
            .iconst(ir::types::I64, wexe_environ::vmoffsets::GROW_TRAPPED as i64);
        let failed = self.b.ins().icmp(ir::condcodes::IntCC::Equal, r, trapped);
        self.b.ins().trapnz(failed, codes::LIBCALL);
        self.index_result(r, is64)
    }

    /// An address, index or length operand as the 64-bit value builtins and bounds checks take:
    /// an `i32` (of a 32-bit memory or table) zero-extended, an `i64` as it is.
    fn index_operand(&mut self, v: Value) -> Value {
        if self.b.func.dfg.value_type(v) == ir::types::I32 {
            self.b.ins().uextend(ir::types::I64, v)
        } else {
            v
        }
    }

    /// A 64-bit size or index as the result of an operator on a memory or table indexed with
    /// `i64` (`is64`) or with `i32`.
    fn index_result(&mut self, v: Value, is64: bool) -> Value {
        if is64 {
            v
        } else {
            self.b.ins().ireduce(ir::types::I32, v)
        }
    }

    /// Calls a builtin that returns non-zero when it trapped, and traps then.
    fn call_trapping_builtin(&mut self, builtin: Builtin, args: &[Value]) {
        let failed = self.call_builtin(builtin, args).expect("has a result");
        self.b.ins().trapnz(failed, codes::LIBCALL);
    }

    /// Translates one operator.
    fn operator(&mut self, op: Operator<'_>) -> Result<(), String> {
        if !self.reachable {
            return self.unreachable_operator(op);
        }
        if self.control_operator(&op)? {
            return Ok(());
        }
        if self.numeric_operator(&op) {
            return Ok(());
        }
        if self.memory_operator(&op) {
            return Ok(());
        }
        if self.entity_operator(&op) {
            return Ok(());
        }
        if self.simd_operator(&op) {
            return Ok(());
        }
        if self.exception_operator(&op)? || self.legacy_operator(&op)? {
            return Ok(());
        }
        // Anything else validation let through that we do not translate.
        self.b.ins().trap(codes::UNSUPPORTED);
        self.reachable = false;
        Ok(())
    }
}
