//! Signatures and types shared by the translator and the trampolines: how wasm values map to
//! Cranelift types, the wasm function ABI, builtin signatures, and our trap codes.

use cranelift_codegen::ir::{
    self, AbiParam, ArgumentPurpose, MemFlagsData, Signature, TrapCode, types,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use wexe_environ::vmoffsets::Builtin;
use wexe_environ::{FuncType, ValType};

/// The Cranelift type of a wasm value (references are 64-bit cells; v128 is carried as `I8X16`,
/// the one vector type of values in signatures, locals, block parameters and globals: SIMD
/// operators bitcast it to the lane type they need).
pub(crate) fn clif_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 | ValType::Ref(_) => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
    }
}

/// Flags of an access to a runtime value cell of type `ty` (a global's value, a slot of a
/// trampoline's value array): never trapping, aligned for scalars, but a vector is only known to
/// be 8-byte aligned (the cells are `[u64; 2]`), and the `aligned` flag would let Cranelift fold
/// it into an SSE operand that needs 16.
pub(crate) fn cell_flags(ty: ir::Type) -> MemFlagsData {
    if ty.is_vector() {
        MemFlagsData::new().with_notrap()
    } else {
        MemFlagsData::trusted()
    }
}

/// The native signature of a compiled wasm function: `(callee_vmctx, caller_vmctx, params...)
/// -> results`, in Cranelift's `tail` calling convention (the only one with `return_call`; the
/// callee pops its stack arguments, so a tail call to a function with more of them than the
/// caller's is possible). Host code enters through the array entry trampoline, and wasm
/// reaches the host through the host adapter and builtins, in the platform's convention.
pub(crate) fn wasm_signature(_isa: &dyn TargetIsa, ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    for &p in ty.params() {
        sig.params.push(AbiParam::new(clif_type(p)));
    }
    for &r in ty.results() {
        sig.returns.push(AbiParam::new(clif_type(r)));
    }
    sig
}

/// The native signature of a builtin (see [`Builtin`]). Addresses, indices and lengths are
/// 64-bit (a 32-bit memory's or table's are zero-extended by the caller); the growth builtins
/// return a 64-bit size, the others a 32-bit "trapped" flag.
pub(crate) fn builtin_signature(isa: &dyn TargetIsa, b: Builtin) -> Signature {
    use types::{I32, I64};
    let (params, ret): (&[ir::Type], Option<ir::Type>) = match b {
        Builtin::MemoryGrow => (&[I64, I32, I64], Some(I64)),
        Builtin::MemoryFill => (&[I64, I64, I64, I32, I64], Some(I32)),
        Builtin::MemoryCopy => (&[I64, I64, I64, I64, I64, I64], Some(I32)),
        Builtin::MemoryInit | Builtin::TableCopy | Builtin::TableInit => {
            (&[I64, I32, I32, I64, I64, I64], Some(I32))
        }
        Builtin::DataDrop | Builtin::ElemDrop => (&[I64, I32], None),
        Builtin::TableGrow => (&[I64, I32, I64, I64], Some(I64)),
        Builtin::TableFill => (&[I64, I32, I64, I64, I64], Some(I32)),
        Builtin::HostCall => (&[I64, I64, I64], Some(I32)),
        Builtin::ExnNew => (&[I64, I32, I64], Some(I64)),
        Builtin::ExnPayload => (&[I64, I64, I64, I32], None),
        Builtin::Throw => (&[I64, I64], None),
    };
    // `Throw` is called with `try_call` like wasm functions, so it takes their convention:
    // every register is clobbered on the exceptional edge, none needs restoring.
    let conv = if b == Builtin::Throw {
        CallConv::Tail
    } else {
        isa.default_call_conv()
    };
    let mut sig = Signature::new(conv);
    sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    sig.returns.extend(ret.map(AbiParam::new));
    sig
}

/// Our trap codes beyond Cranelift's reserved ones.
pub(crate) mod codes {
    use super::TrapCode;
    const fn user(n: u8) -> TrapCode {
        match TrapCode::user(n) {
            Some(c) => c,
            None => panic!("invalid user trap code"),
        }
    }
    pub const TABLE_OUT_OF_BOUNDS: TrapCode = user(1);
    pub const INDIRECT_CALL_TO_NULL: TrapCode = user(2);
    pub const BAD_SIGNATURE: TrapCode = user(3);
    pub const UNDEFINED_ELEMENT: TrapCode = user(4);
    pub const UNREACHABLE: TrapCode = user(5);
    pub const LIBCALL: TrapCode = user(6);
    pub const UNSUPPORTED: TrapCode = user(7);
    pub const OUT_OF_FUEL: TrapCode = user(8);
    pub const INTERRUPT: TrapCode = user(9);
    pub const NULL_REFERENCE: TrapCode = user(10);
}

/// Our trap code for one of Cranelift's: every code our translation emits has its own; any
/// other is an internal error (never a plausible-looking `unreachable`).
pub(crate) fn trap_from_cranelift(code: TrapCode) -> Result<wexe_environ::TrapCode, String> {
    use wexe_environ::TrapCode as T;
    Ok(match code {
        TrapCode::STACK_OVERFLOW => T::StackOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => T::MemoryOutOfBounds,
        TrapCode::INTEGER_OVERFLOW => T::IntegerOverflow,
        TrapCode::INTEGER_DIVISION_BY_ZERO => T::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => T::BadConversionToInteger,
        codes::TABLE_OUT_OF_BOUNDS => T::TableOutOfBounds,
        codes::INDIRECT_CALL_TO_NULL => T::IndirectCallToNull,
        codes::BAD_SIGNATURE => T::BadSignature,
        codes::UNDEFINED_ELEMENT => T::UndefinedElement,
        codes::LIBCALL => T::Libcall,
        codes::UNSUPPORTED => T::Unsupported,
        codes::OUT_OF_FUEL => T::OutOfFuel,
        codes::INTERRUPT => T::Interrupt,
        codes::NULL_REFERENCE => T::NullReference,
        codes::UNREACHABLE => T::Unreachable,
        other => {
            return Err(format!(
                "internal error: Cranelift emitted trap code {other}, which wexe does not know"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trap_code_we_emit_has_its_own_and_others_are_internal_errors() {
        let emitted = [
            TrapCode::STACK_OVERFLOW,
            TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapCode::INTEGER_OVERFLOW,
            TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapCode::BAD_CONVERSION_TO_INTEGER,
            codes::TABLE_OUT_OF_BOUNDS,
            codes::INDIRECT_CALL_TO_NULL,
            codes::BAD_SIGNATURE,
            codes::UNDEFINED_ELEMENT,
            codes::UNREACHABLE,
            codes::LIBCALL,
            codes::UNSUPPORTED,
            codes::OUT_OF_FUEL,
            codes::INTERRUPT,
            codes::NULL_REFERENCE,
        ];
        let ours: Vec<_> = emitted
            .iter()
            .map(|&c| trap_from_cranelift(c).unwrap())
            .collect();
        for (i, a) in ours.iter().enumerate() {
            assert!(!ours[i + 1..].contains(a), "two codes become {a:?}");
        }
        // A code nobody gave a meaning (a user code past ours, or one of Cranelift's we never
        // emit) does not become `unreachable`.
        for other in [TrapCode::unwrap_user(200)]
            .into_iter()
            .chain(TrapCode::non_user_traps().iter().copied())
            .filter(|c| !emitted.contains(c))
        {
            let err = trap_from_cranelift(other).unwrap_err();
            assert!(err.starts_with("internal error:"), "{err}");
        }
    }
}
