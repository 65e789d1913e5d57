//! Value and entity types as the runtime sees them, independent of wasmparser's representation.

use std::fmt;
use std::sync::Arc;

/// The type of a WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
    /// A reference to an exception (exception handling, 3.0): nullable `exnref`.
    ExnRef,
}

impl ValType {
    /// Whether this is a reference type (`funcref`, `externref` or `exnref`).
    pub fn is_ref(self) -> bool {
        matches!(
            self,
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef
        )
    }

    /// Converts wasmparser's value type; `None` for types outside WebAssembly 2.0.
    pub fn from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
        use wasmparser::ValType as W;
        Some(match ty {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            W::Ref(r) => Self::from_ref_type(r)?,
        })
    }

    /// Converts wasmparser's reference type; `None` for types outside WebAssembly 2.0.
    pub fn from_ref_type(r: wasmparser::RefType) -> Option<ValType> {
        if r == wasmparser::RefType::FUNCREF {
            Some(ValType::FuncRef)
        } else if r == wasmparser::RefType::EXTERNREF {
            Some(ValType::ExternRef)
        } else if r == wasmparser::RefType::EXNREF {
            Some(ValType::ExnRef)
        } else {
            None
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::ExnRef => "exnref",
        })
    }
}

/// A function signature: parameter and result types.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    params_results: Arc<[ValType]>,
    num_params: usize,
}

impl FuncType {
    /// Makes a signature from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        let mut all: Vec<ValType> = params.into_iter().collect();
        let num_params = all.len();
        all.extend(results);
        FuncType {
            params_results: all.into(),
            num_params,
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params_results[..self.num_params]
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.params_results[self.num_params..]
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |tys: &[ValType]| {
            tys.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(self.params()), list(self.results()))
    }
}

/// Whether a global can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutability {
    Const,
    Var,
}

/// The type of a global: its value type and mutability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    pub content: ValType,
    pub mutability: Mutability,
}

impl GlobalType {
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutability,
        }
    }
}

/// The limits of a linear memory, in 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    pub minimum: u64,
    pub maximum: Option<u64>,
}

impl MemoryType {
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(u64::from),
        }
    }
}

/// The element type and limits of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    pub element: ValType,
    pub minimum: u64,
    pub maximum: Option<u64>,
}

impl TableType {
    pub fn new(element: ValType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            minimum: minimum.into(),
            maximum: maximum.map(u64::from),
        }
    }
}

/// What kind of entity an import or export refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "func",
            ExternKind::Table => "table",
            ExternKind::Memory => "memory",
            ExternKind::Global => "global",
            ExternKind::Tag => "tag",
        })
    }
}

/// The full type of an imported or exported entity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntityType {
    Func(FuncType),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    /// An exception tag: the types of the values an exception with it carries (its results
    /// are empty).
    Tag(FuncType),
}

impl EntityType {
    pub fn kind(&self) -> ExternKind {
        match self {
            EntityType::Func(_) => ExternKind::Func,
            EntityType::Table(_) => ExternKind::Table,
            EntityType::Memory(_) => ExternKind::Memory,
            EntityType::Global(_) => ExternKind::Global,
            EntityType::Tag(_) => ExternKind::Tag,
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityType::Func(t) => write!(f, "func {t}"),
            EntityType::Table(t) => write!(f, "table {} {:?} {}", t.minimum, t.maximum, t.element),
            EntityType::Memory(t) => write!(f, "memory {} {:?}", t.minimum, t.maximum),
            EntityType::Global(t) => {
                let m = if t.mutability == Mutability::Var {
                    "mut "
                } else {
                    ""
                };
                write!(f, "global {m}{}", t.content)
            }
            EntityType::Tag(t) => write!(f, "tag {t}"),
        }
    }
}
