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
}

impl ValType {
    /// Whether this is a reference type (`funcref` or `externref`).
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
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

/// The type of a linear memory: its limits in pages, whether it is addressed with 64-bit
/// indices (memory64), and its page size (64 KiB, or 1 byte with custom page sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    pub minimum: u64,
    pub maximum: Option<u64>,
    /// Addressed with `i64` indices (memory64).
    pub memory64: bool,
    /// The page size is `1 << page_size_log2` bytes: 16 (64 KiB) unless custom.
    pub page_size_log2: u8,
}

impl MemoryType {
    /// The page size of WebAssembly 1.0 memories, as a power of two: 64 KiB.
    pub const DEFAULT_PAGE_SIZE_LOG2: u8 = 16;

    /// A 32-bit memory of 64 KiB pages.
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(u64::from),
            memory64: false,
            page_size_log2: Self::DEFAULT_PAGE_SIZE_LOG2,
        }
    }

    /// A 64-bit memory (memory64) of 64 KiB pages.
    pub fn new64(minimum: u64, maximum: Option<u64>) -> MemoryType {
        MemoryType {
            minimum,
            maximum,
            memory64: true,
            page_size_log2: Self::DEFAULT_PAGE_SIZE_LOG2,
        }
    }

    /// The same memory with pages of `1 << log2` bytes (custom page sizes: 0 or 16).
    pub fn with_page_size_log2(self, log2: u8) -> MemoryType {
        MemoryType {
            page_size_log2: log2,
            ..self
        }
    }

    /// Whether it is addressed with 64-bit indices.
    pub fn is_64(&self) -> bool {
        self.memory64
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }

    /// Whether compiled code must check accesses to such a memory explicitly even where the
    /// runtime reserves guard regions: a 64-bit index can reach past any reservation, and a
    /// byte-sized page ends a memory inside a host page, where no fault would catch an access
    /// past its end. Both the compiler and the runtime's memory layout follow this.
    pub fn needs_bounds_checks(&self) -> bool {
        self.memory64 || self.page_size_log2 != Self::DEFAULT_PAGE_SIZE_LOG2
    }

    /// The most pages a memory of this index type and page size can have: its whole byte
    /// range must be addressable (2^32 bytes for 32-bit memories, 2^64 for 64-bit ones).
    pub fn max_pages_by_index(&self) -> u64 {
        let addr_bits = if self.memory64 { 64 } else { 32 };
        let pages_log2 = addr_bits - u32::from(self.page_size_log2);
        if pages_log2 >= 64 {
            u64::MAX
        } else {
            1 << pages_log2
        }
    }
}

/// The element type and limits of a table, and whether it is indexed with `i64` (table64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    pub element: ValType,
    pub minimum: u64,
    pub maximum: Option<u64>,
    /// Indexed with `i64` (table64, part of memory64).
    pub table64: bool,
}

impl TableType {
    /// A table indexed with `i32`.
    pub fn new(element: ValType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            minimum: minimum.into(),
            maximum: maximum.map(u64::from),
            table64: false,
        }
    }

    /// A table indexed with `i64` (table64).
    pub fn new64(element: ValType, minimum: u64, maximum: Option<u64>) -> TableType {
        TableType {
            element,
            minimum,
            maximum,
            table64: true,
        }
    }

    /// Whether it is indexed with 64-bit indices.
    pub fn is_64(&self) -> bool {
        self.table64
    }
}

/// What kind of entity an import or export refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "func",
            ExternKind::Table => "table",
            ExternKind::Memory => "memory",
            ExternKind::Global => "global",
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
}

impl EntityType {
    pub fn kind(&self) -> ExternKind {
        match self {
            EntityType::Func(_) => ExternKind::Func,
            EntityType::Table(_) => ExternKind::Table,
            EntityType::Memory(_) => ExternKind::Memory,
            EntityType::Global(_) => ExternKind::Global,
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityType::Func(t) => write!(f, "func {t}"),
            EntityType::Table(t) => {
                let idx = if t.table64 { "i64 " } else { "" };
                write!(f, "table {idx}{} {:?} {}", t.minimum, t.maximum, t.element)
            }
            EntityType::Memory(t) => {
                let idx = if t.memory64 { "i64 " } else { "" };
                write!(f, "memory {idx}{} {:?}", t.minimum, t.maximum)?;
                if t.page_size_log2 != MemoryType::DEFAULT_PAGE_SIZE_LOG2 {
                    write!(f, " (pagesize {})", t.page_size())?;
                }
                Ok(())
            }
            EntityType::Global(t) => {
                let m = if t.mutability == Mutability::Var {
                    "mut "
                } else {
                    ""
                };
                write!(f, "global {m}{}", t.content)
            }
        }
    }
}
