//! The two trampolines built per type index: the array entry (host → wasm: parameters read from
//! and results written to an array of 16-byte values) and the host adapter (wasm → host: the
//! values are spilled to a stack array and handed to the `HostCall` builtin, whose thrown
//! exceptions the adapter throws on through the `Throw` builtin; any other failure, an exit
//! included, the builtin ends itself, so the adapter raises no signal).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, UserFuncName, types,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wexe_environ::vmoffsets::{Builtin, HOST_CALL_THREW, VALUE_SIZE, VMCTX_BUILTINS};
use wexe_environ::{FuncType, ModuleInfo};

use crate::abi::{self, codes};

/// `(vmctx, fn_ptr, values)`: calls `fn_ptr(vmctx, vmctx, values...)`, a function of type
/// `fty`, and stores its results.
pub(crate) fn array_entry(
    isa: &dyn TargetIsa,
    fty: &FuncType,
    ty: u32,
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
) {
    let mut sig = ir::Signature::new(isa.default_call_conv());
    sig.params.extend([ir::AbiParam::new(types::I64); 3]);
    func.signature = sig;
    func.name = UserFuncName::user(1, ty);
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let [vmctx, fn_ptr, values] = b.block_params(entry).try_into().expect("three params");
    let mut args = vec![vmctx, vmctx];
    for (i, &p) in fty.params().iter().enumerate() {
        let off = (i as u32 * VALUE_SIZE) as i32;
        let ty = abi::clif_type(p);
        args.push(b.ins().load(ty, abi::cell_flags(ty), values, off));
    }
    let wasm_sig = b.import_signature(abi::wasm_signature(isa, fty));
    let call = b.ins().call_indirect(wasm_sig, fn_ptr, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        let flags = abi::cell_flags(b.func.dfg.value_type(r));
        b.ins()
            .store(flags, r, values, (i as u32 * VALUE_SIZE) as i32);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
}

/// A function of the wasm signature of type `ty` that calls the host function whose store index
/// is its `callee_vmctx` argument.
pub(crate) fn host_adapter(
    isa: &dyn TargetIsa,
    info: &ModuleInfo,
    ty: u32,
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
) {
    let fty = info.signature(ty);
    func.signature = abi::wasm_signature(isa, fty);
    func.name = UserFuncName::user(2, ty);
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let params = b.block_params(entry).to_vec();
    let (func_index, caller) = (params[0], params[1]);
    let n = fty.params().len().max(fty.results().len()).max(1) as u32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        n * VALUE_SIZE,
        4,
    ));
    let flags = MemFlagsData::trusted();
    for (i, &p) in params[2..].iter().enumerate() {
        b.ins()
            .stack_store(types::I64, p, slot, (i as u32 * VALUE_SIZE) as i32);
    }
    let values = b.ins().stack_addr(types::I64, slot, 0);
    let ro = MemFlagsData::trusted().with_readonly();
    let builtins = b.ins().load(types::I64, ro, caller, VMCTX_BUILTINS as i32);
    let off = Builtin::HostCall as i32 * 8;
    let callee = b.ins().load(types::I64, ro, builtins, off);
    let sig = b.import_signature(abi::builtin_signature(isa, Builtin::HostCall));
    let call = b
        .ins()
        .call_indirect(sig, callee, &[caller, func_index, values]);
    let failed = b.inst_results(call)[0];
    // The host function threw: the exception goes on from here, to the caller's handlers.
    let threw = b.create_block();
    let checked = b.create_block();
    let is_throw = b
        .ins()
        .icmp_imm_u(IntCC::Equal, failed, i64::from(HOST_CALL_THREW));
    b.ins().brif(is_throw, threw, &[], checked, &[]);
    b.switch_to_block(threw);
    b.seal_block(threw);
    let exn = b.ins().load(types::I64, flags, values, 0);
    let throw = b
        .ins()
        .load(types::I64, ro, builtins, Builtin::Throw as i32 * 8);
    let throw_sig = b.import_signature(abi::builtin_signature(isa, Builtin::Throw));
    b.ins().call_indirect(throw_sig, throw, &[caller, exn]);
    b.ins().trap(codes::UNREACHABLE);
    // Any other failure never returns here: the builtin ends the activation without a signal.
    b.switch_to_block(checked);
    b.seal_block(checked);
    let mut results = Vec::new();
    for (i, &r) in fty.results().iter().enumerate() {
        let off = (i as u32 * VALUE_SIZE) as i32;
        results.push(b.ins().load(abi::clif_type(r), flags, values, off));
    }
    b.ins().return_(&results);
    b.finalize(isa.frontend_config());
}
