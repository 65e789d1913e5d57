//! Calls (direct, through imports, `call_indirect`, `call_ref`, and their tail-call forms),
//! globals, tables and references.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, ExtFuncData, ExternalName, InstBuilder, MemFlagsData, UserExternalName, Value, types,
};
use wasmparser::Operator;
use wexe_environ::vmoffsets::{
    Builtin, FUNCREF_FN_PTR, FUNCREF_SIZE, FUNCREF_TYPE_ID, FUNCREF_VMCTX, STORE_FUNCREFS_BASE,
    TABLEDEF_BASE, TABLEDEF_LEN, VMCTX_STORE, VMFUNC_FN_PTR, VMFUNC_STORE_INDEX, VMFUNC_VMCTX,
};

use super::FuncTranslator;
use super::exn::Callee;
use crate::abi::{self, codes};

impl FuncTranslator<'_> {
    fn signature(&mut self, type_index: u32) -> ir::SigRef {
        if let Some(&s) = self.sigs.get(&type_index) {
            return s;
        }
        let sig = abi::wasm_signature(self.isa, self.info.signature(type_index));
        let s = self.b.import_signature(sig);
        self.sigs.insert(type_index, s);
        s
    }

    fn direct_func(&mut self, def: u32, type_index: u32) -> ir::FuncRef {
        if let Some(&f) = self.funcs.get(&def) {
            return f;
        }
        let signature = self.signature(type_index);
        let name = self
            .b
            .func
            .declare_imported_user_function(UserExternalName::new(0, def));
        let f = self.b.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.funcs.insert(def, f);
        f
    }

    /// Calls `fn_ptr` of signature `type_index` with `args`, as a tail call when `tail`.
    fn call_pointer(&mut self, type_index: u32, fn_ptr: Value, args: &[Value], tail: bool) {
        let sig = self.signature(type_index);
        if tail {
            self.b.ins().return_call_indirect(sig, fn_ptr, args);
            self.reachable = false;
        } else {
            let results = self.call_catching(Callee::Indirect(fn_ptr), sig, args);
            self.stack.extend(results);
        }
    }

    /// `call`, or with `tail` `return_call`.
    fn call(&mut self, index: u32, tail: bool) {
        let type_index = self.info.funcs[index as usize];
        let n = self.info.signature(type_index).params().len();
        let mut args = vec![self.vmctx, self.vmctx];
        args.extend(self.popn(n));
        let num_imported = self.info.num_imported_funcs as u32;
        let to_itself = self.self_def.is_some_and(|d| d + num_imported == index);
        if self.input.calls_through_vmctx && !to_itself {
            // Tier-up points the entry at the callee's code once it is compiled: not a
            // read-only load, so a long-running loop sees the change.
            let at = self.offsets.func(index);
            let flags = MemFlagsData::trusted();
            let fn_ptr =
                self.b
                    .ins()
                    .load(types::I64, flags, self.vmctx, (at + VMFUNC_FN_PTR) as i32);
            args[0] = self
                .b
                .ins()
                .load(types::I64, flags, self.vmctx, (at + VMFUNC_VMCTX) as i32);
            self.call_pointer(type_index, fn_ptr, &args, tail);
        } else if index < num_imported {
            let at = self.offsets.func(index);
            let fn_ptr = self.load_ro(self.vmctx, at + VMFUNC_FN_PTR);
            args[0] = self.load_ro(self.vmctx, at + VMFUNC_VMCTX);
            self.call_pointer(type_index, fn_ptr, &args, tail);
        } else {
            let f = self.direct_func(index - num_imported, type_index);
            if tail {
                self.b.ins().return_call(f, &args);
                self.reachable = false;
            } else {
                let sig = self.signature(type_index);
                let results = self.call_catching(Callee::Direct(f), sig, &args);
                self.stack.extend(results);
            }
        }
    }

    /// The table's definition, and the index checked against its length (trapping with `code`).
    fn table_slot(&mut self, table: u32, index: Value, code: ir::TrapCode) -> Value {
        let def = self.load_ro(self.vmctx, self.offsets.table(table));
        let flags = MemFlagsData::trusted();
        let len = self
            .b
            .ins()
            .load(types::I64, flags, def, TABLEDEF_LEN as i32);
        let index = self.index_operand(index);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.b.ins().trapnz(oob, code);
        let base = self
            .b
            .ins()
            .load(types::I64, flags, def, TABLEDEF_BASE as i32);
        let off = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, off)
    }

    /// The `(fn_ptr, vmctx)` of the store function a non-null reference `cell` names; with
    /// `check`, trapping unless it is of type `type_index`.
    fn funcref_target(&mut self, cell: Value, type_index: u32, check: bool) -> (Value, Value) {
        let flags = MemFlagsData::trusted();
        let store = self.load_ro(self.vmctx, VMCTX_STORE);
        let funcrefs = self
            .b
            .ins()
            .load(types::I64, flags, store, STORE_FUNCREFS_BASE as i32);
        let i = self.b.ins().iadd_imm_s(cell, -1);
        let off = self.b.ins().imul_imm_s(i, i64::from(FUNCREF_SIZE));
        let entry = self.b.ins().iadd(funcrefs, off);
        if check {
            let ty = self
                .b
                .ins()
                .load(types::I64, flags, entry, FUNCREF_TYPE_ID as i32);
            let want = self.load_ro(self.vmctx, self.offsets.type_id(type_index));
            let bad = self.b.ins().icmp(IntCC::NotEqual, ty, want);
            self.b.ins().trapnz(bad, codes::BAD_SIGNATURE);
        }
        let fn_ptr = self
            .b
            .ins()
            .load(types::I64, flags, entry, FUNCREF_FN_PTR as i32);
        let callee = self
            .b
            .ins()
            .load(types::I64, flags, entry, FUNCREF_VMCTX as i32);
        (fn_ptr, callee)
    }

    /// `call_indirect`, or with `tail` `return_call_indirect`.
    fn call_indirect(&mut self, type_index: u32, table: u32, tail: bool) {
        let index = self.pop();
        let n = self.info.signature(type_index).params().len();
        let params = self.popn(n);
        let slot = self.table_slot(table, index, codes::UNDEFINED_ELEMENT);
        let flags = MemFlagsData::trusted();
        let cell = self.b.ins().load(types::I64, flags, slot, 0);
        self.b.ins().trapz(cell, codes::INDIRECT_CALL_TO_NULL);
        let (fn_ptr, callee) = self.funcref_target(cell, type_index, true);
        let mut args = vec![callee, self.vmctx];
        args.extend(params);
        self.call_pointer(type_index, fn_ptr, &args, tail);
    }

    /// `call_ref`, or with `tail` `return_call_ref` (validation proved the type).
    fn call_ref(&mut self, type_index: u32, tail: bool) {
        let cell = self.pop();
        let n = self.info.signature(type_index).params().len();
        let params = self.popn(n);
        self.b.ins().trapz(cell, codes::NULL_REFERENCE);
        let (fn_ptr, callee) = self.funcref_target(cell, type_index, false);
        let mut args = vec![callee, self.vmctx];
        args.extend(params);
        self.call_pointer(type_index, fn_ptr, &args, tail);
    }

    /// Pops `n` operands, each an address, index or length made 64-bit.
    pub(super) fn index_operands(&mut self, n: usize) -> Vec<Value> {
        let v = self.popn(n);
        v.into_iter().map(|v| self.index_operand(v)).collect()
    }

    fn i32const(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    /// Calls, globals, tables and references; false if `op` is not one.
    pub(super) fn entity_operator(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        let flags = MemFlagsData::trusted();
        match *op {
            O::Call { function_index } => self.call(function_index, false),
            O::ReturnCall { function_index } => self.call(function_index, true),
            O::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, false),
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, true),
            O::CallRef { type_index } => self.call_ref(type_index, false),
            O::ReturnCallRef { type_index } => self.call_ref(type_index, true),
            O::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                self.b.ins().trapz(r, codes::NULL_REFERENCE);
            }
            O::GlobalGet { global_index } => {
                let ty = self.info.globals[global_index as usize].content;
                let ptr = self.load_ro(self.vmctx, self.offsets.global(global_index));
                let ty = abi::clif_type(ty);
                let v = self.b.ins().load(ty, abi::cell_flags(ty), ptr, 0);
                self.push(v);
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let ptr = self.load_ro(self.vmctx, self.offsets.global(global_index));
                let ty = self.b.func.dfg.value_type(v);
                self.b.ins().store(abi::cell_flags(ty), v, ptr, 0);
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            O::RefIsNull => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
                let v = self.b.ins().uextend(types::I32, c);
                self.push(v);
            }
            O::RefFunc { function_index } => {
                let at = self.offsets.func(function_index) + VMFUNC_STORE_INDEX;
                let s = self.load_ro(self.vmctx, at);
                let v = self.b.ins().iadd_imm_s(s, 1);
                self.push(v);
            }
            O::TableGet { table } => {
                let index = self.pop();
                let slot = self.table_slot(table, index, codes::TABLE_OUT_OF_BOUNDS);
                let v = self.b.ins().load(types::I64, flags, slot, 0);
                self.push(v);
            }
            O::TableSet { table } => {
                let (index, v) = self.pop2();
                let slot = self.table_slot(table, index, codes::TABLE_OUT_OF_BOUNDS);
                self.b.ins().store(flags, v, slot, 0);
            }
            O::TableSize { table } => {
                let def = self.load_ro(self.vmctx, self.offsets.table(table));
                let len = self
                    .b
                    .ins()
                    .load(types::I64, flags, def, TABLEDEF_LEN as i32);
                let is64 = self.info.tables[table as usize].table64;
                let v = self.index_result(len, is64);
                self.push(v);
            }
            O::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.index_operand(delta);
                let t = self.i32const(table);
                let is64 = self.info.tables[table as usize].table64;
                let r = self.call_grow_builtin(Builtin::TableGrow, &[t, init, delta], is64);
                self.push(r);
            }
            O::TableFill { table } => {
                let mut v = self.popn(3);
                v[0] = self.index_operand(v[0]);
                v[2] = self.index_operand(v[2]);
                let t = self.i32const(table);
                self.call_trapping_builtin(Builtin::TableFill, &[t, v[0], v[1], v[2]]);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let v = self.index_operands(3);
                let d = self.i32const(dst_table);
                let s = self.i32const(src_table);
                self.call_trapping_builtin(Builtin::TableCopy, &[d, s, v[0], v[1], v[2]]);
            }
            O::TableInit { elem_index, table } => {
                let v = self.index_operands(3);
                let t = self.i32const(table);
                let s = self.i32const(elem_index);
                self.call_trapping_builtin(Builtin::TableInit, &[t, s, v[0], v[1], v[2]]);
            }
            O::ElemDrop { elem_index } => {
                let s = self.i32const(elem_index);
                self.call_builtin(Builtin::ElemDrop, &[s]);
            }
            _ => return false,
        }
        true
    }
}
