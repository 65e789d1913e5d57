//! The type section as WebAssembly 3.0 writes it: recursion groups of function, struct and
//! array types. wexe runs no GC instructions, so struct and array types are only types here
//! (named by references, compared when modules link), but they take part in the
//! canonicalisation of recursion groups that decides which function types are equal.

use std::fmt;

use crate::types::{FuncType, TypeKind, ValType};

/// What a field of a struct or an array element holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageType {
    I8,
    I16,
    Val(ValType),
}

/// A struct field or array element: its storage type and whether it can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    pub storage: StorageType,
    pub mutable: bool,
}

/// The shape of a defined type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CompositeType {
    Func(FuncType),
    Struct(Vec<FieldType>),
    Array(FieldType),
}

/// One entry of the type index space: its shape, whether it is final (declared subtypes are
/// refused, so finality only matters for type equality) and its recursion group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeDef {
    pub composite: CompositeType,
    pub is_final: bool,
    /// The type index of the first type of its recursion group.
    pub rec_group_start: u32,
    /// How many types its recursion group has.
    pub rec_group_len: u32,
}

impl TypeDef {
    /// A final function type in a recursion group of its own at `index` (what a 2.0 type
    /// section holds).
    pub fn func(ty: FuncType, index: u32) -> TypeDef {
        TypeDef {
            composite: CompositeType::Func(ty),
            is_final: true,
            rec_group_start: index,
            rec_group_len: 1,
        }
    }

    /// Whether it is a function, struct or array type.
    pub fn kind(&self) -> TypeKind {
        match self.composite {
            CompositeType::Func(_) => TypeKind::Func,
            CompositeType::Struct(_) => TypeKind::Struct,
            CompositeType::Array(_) => TypeKind::Array,
        }
    }

    /// The function type, if it is one.
    pub fn as_func(&self) -> Option<&FuncType> {
        match &self.composite {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The same shape with every concrete type index replaced by `f(index)` (the recursion
    /// group position is kept).
    pub fn map_concrete(&self, f: &impl Fn(u32) -> u32) -> TypeDef {
        let field = |t: &FieldType| FieldType {
            storage: match t.storage {
                StorageType::Val(v) => StorageType::Val(v.map_concrete(f)),
                packed => packed,
            },
            mutable: t.mutable,
        };
        TypeDef {
            composite: match &self.composite {
                CompositeType::Func(t) => CompositeType::Func(t.map_concrete(f)),
                CompositeType::Struct(fields) => {
                    CompositeType::Struct(fields.iter().map(field).collect())
                }
                CompositeType::Array(t) => CompositeType::Array(field(t)),
            },
            ..self.clone()
        }
    }
}

impl fmt::Display for TypeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.composite {
            CompositeType::Func(t) => write!(f, "func {t}"),
            CompositeType::Struct(fields) => write!(f, "struct of {} fields", fields.len()),
            CompositeType::Array(_) => f.write_str("array"),
        }
    }
}

/// Why a type of the section cannot be kept: the message of a `ParseError`.
pub(crate) type Refusal = String;

/// Decodes a validated recursion group, whose first type gets index `types.len()`, onto
/// `types`. Declared subtypes (`(sub $super ...)`), which need GC's casts to mean anything,
/// and types of proposals wexe lacks are refused.
pub(crate) fn decode_rec_group(
    group: wasmparser::RecGroup,
    types: &mut Vec<TypeDef>,
) -> Result<(), Refusal> {
    use wasmparser::CompositeInnerType as W;
    let start = types.len() as u32;
    let subs: Vec<wasmparser::SubType> = group.into_types().collect();
    let mut kinds = Vec::with_capacity(subs.len());
    for sub in &subs {
        if !sub.supertype_idxs.is_empty() {
            return Err(gc_refusal("declared subtypes"));
        }
        let c = &sub.composite_type;
        if c.shared || c.descriptor_idx.is_some() || c.describes_idx.is_some() {
            return Err("unsupported: shared or descriptor types".to_string());
        }
        kinds.push(match c.inner {
            W::Func(_) => TypeKind::Func,
            W::Struct(_) => TypeKind::Struct,
            W::Array(_) => TypeKind::Array,
            W::Cont(_) => return Err("unsupported: continuation types (stack switching)".into()),
        });
    }
    let earlier: Vec<TypeKind> = types.iter().map(TypeDef::kind).collect();
    let kind_of = |i: u32| match i.checked_sub(start) {
        Some(j) => kinds[j as usize],
        None => earlier[i as usize],
    };
    let val = |t: wasmparser::ValType| {
        ValType::from_wasmparser(t, &kind_of).ok_or_else(|| format!("unsupported: value type {t}"))
    };
    let field = |t: &wasmparser::FieldType| -> Result<FieldType, Refusal> {
        Ok(FieldType {
            storage: match t.element_type {
                wasmparser::StorageType::I8 => StorageType::I8,
                wasmparser::StorageType::I16 => StorageType::I16,
                wasmparser::StorageType::Val(v) => StorageType::Val(val(v)?),
            },
            mutable: t.mutable,
        })
    };
    let len = subs.len() as u32;
    for sub in subs {
        let composite = match &sub.composite_type.inner {
            W::Func(f) => {
                let params = f.params().iter().map(|t| val(*t));
                let results = f.results().iter().map(|t| val(*t));
                CompositeType::Func(FuncType::new(
                    params.collect::<Result<Vec<_>, _>>()?,
                    results.collect::<Result<Vec<_>, _>>()?,
                ))
            }
            W::Struct(s) => {
                CompositeType::Struct(s.fields.iter().map(field).collect::<Result<_, _>>()?)
            }
            W::Array(a) => CompositeType::Array(field(&a.0)?),
            W::Cont(_) => unreachable!("refused above"),
        };
        types.push(TypeDef {
            composite,
            is_final: sub.is_final,
            rec_group_start: start,
            rec_group_len: len,
        });
    }
    Ok(())
}

/// The message refusing `what`, a part of garbage collection, which wexe does not implement.
pub(crate) fn gc_refusal(what: &str) -> Refusal {
    format!("unsupported: {what} (garbage collection, the gc proposal, is not supported yet)")
}
