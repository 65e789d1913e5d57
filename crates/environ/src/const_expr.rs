//! Constant expressions (global initialisers, segment offsets, element items), decoded into a
//! small list of operations that the runtime evaluates at instantiation.

use crate::types::{RefType, TypeKind, ValType};

/// One operation of a constant expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstOp {
    I32Const(i32),
    I64Const(i64),
    F32Const(u32),
    F64Const(u64),
    V128Const(u128),
    RefNull(ValType),
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A constant expression: a sequence of [`ConstOp`]s evaluated on a small stack.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstExpr {
    pub ops: Vec<ConstOp>,
}

impl ConstExpr {
    /// An expression that is a single `ref.func`.
    pub fn ref_func(index: u32) -> ConstExpr {
        ConstExpr {
            ops: vec![ConstOp::RefFunc(index)],
        }
    }

    /// Decodes a validated constant expression (`kind_of` tells what each of the module's
    /// types is).
    pub fn decode(
        expr: &wasmparser::ConstExpr<'_>,
        kind_of: &dyn Fn(u32) -> TypeKind,
    ) -> Result<ConstExpr, String> {
        use wasmparser::Operator as O;
        let mut ops = Vec::new();
        let mut reader = expr.get_operators_reader();
        while !reader.eof() {
            let op = reader.read().map_err(|e| e.to_string())?;
            ops.push(match op {
                O::I32Const { value } => ConstOp::I32Const(value),
                O::I64Const { value } => ConstOp::I64Const(value),
                O::F32Const { value } => ConstOp::F32Const(value.bits()),
                O::F64Const { value } => ConstOp::F64Const(value.bits()),
                O::V128Const { value } => ConstOp::V128Const(u128::from_le_bytes(*value.bytes())),
                O::RefNull { hty } => {
                    let ty = wasmparser::RefType::new(true, hty)
                        .and_then(|r| RefType::from_wasmparser(r, kind_of))
                        .ok_or("unsupported reference type in constant expression")?;
                    ConstOp::RefNull(ValType::Ref(ty))
                }
                O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                O::I32Add => ConstOp::I32Add,
                O::I32Sub => ConstOp::I32Sub,
                O::I32Mul => ConstOp::I32Mul,
                O::I64Add => ConstOp::I64Add,
                O::I64Sub => ConstOp::I64Sub,
                O::I64Mul => ConstOp::I64Mul,
                O::End => continue,
                // Validation leaves only GC's constant instructions (`struct.new`, `ref.i31`,
                // `any.convert_extern`, ...).
                other => {
                    let name = match other {
                        O::StructNew { .. } => "struct.new".to_string(),
                        O::StructNewDefault { .. } => "struct.new_default".to_string(),
                        O::ArrayNew { .. } => "array.new".to_string(),
                        O::ArrayNewDefault { .. } => "array.new_default".to_string(),
                        O::ArrayNewFixed { .. } => "array.new_fixed".to_string(),
                        O::RefI31 => "ref.i31".to_string(),
                        O::AnyConvertExtern => "any.convert_extern".to_string(),
                        O::ExternConvertAny => "extern.convert_any".to_string(),
                        other => format!("{other:?}"),
                    };
                    let what = format!("the instruction {name} in a constant expression");
                    return Err(crate::type_defs::gc_refusal(&what));
                }
            });
        }
        Ok(ConstExpr { ops })
    }
}
