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
    Ref(RefType),
}

/// What a reference points to: the function, extern and exception hierarchies of WebAssembly
/// 3.0, each with its bottom type and concrete function types, and the types of the `any`
/// hierarchy of garbage collection. wexe has no GC instructions, so the `any` hierarchy's only
/// value is null; its types exist so that modules declaring them (recursion groups with struct
/// types, `anyref` globals) validate, link and run as 3.0 specifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// No function: the bottom of the function hierarchy (`nofunc`, whose only value is null).
    NoFunc,
    /// Any host reference (`extern`).
    Extern,
    /// The bottom of the extern hierarchy (`noextern`).
    NoExtern,
    /// Any exception (`exn`, exception handling).
    Exn,
    /// The bottom of the exception hierarchy (`noexn`).
    NoExn,
    /// The top of the GC hierarchy (`any`).
    Any,
    /// References comparable with `ref.eq` (`eq`).
    Eq,
    /// Unboxed 31-bit integers (`i31`).
    I31,
    /// Any struct (`struct`).
    Struct,
    /// Any array (`array`).
    Array,
    /// The bottom of the GC hierarchy (`none`).
    None,
    /// Functions of one type. In a freshly parsed `ModuleInfo` the number is the module's type
    /// index; a `Module` rewrites it to the engine-wide type id (see
    /// `ModuleInfo::map_concrete_types`), so that types compare across modules.
    ConcreteFunc(u32),
    /// Structs of one type (numbered as [`HeapType::ConcreteFunc`]).
    ConcreteStruct(u32),
    /// Arrays of one type (numbered as [`HeapType::ConcreteFunc`]).
    ConcreteArray(u32),
}

/// What a defined type is: a function, struct or array type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeKind {
    Func,
    Struct,
    Array,
}

impl HeapType {
    /// The concrete heap type of type index (or id) `index`, of kind `kind`.
    pub fn concrete(kind: TypeKind, index: u32) -> HeapType {
        match kind {
            TypeKind::Func => HeapType::ConcreteFunc(index),
            TypeKind::Struct => HeapType::ConcreteStruct(index),
            TypeKind::Array => HeapType::ConcreteArray(index),
        }
    }

    /// The type index (or id) of a concrete heap type.
    pub fn concrete_index(self) -> Option<u32> {
        match self {
            HeapType::ConcreteFunc(i)
            | HeapType::ConcreteStruct(i)
            | HeapType::ConcreteArray(i) => Some(i),
            _ => None,
        }
    }

    /// Whether this type is in the exception hierarchy (`exn`, `noexn`).
    pub fn is_exn(self) -> bool {
        matches!(self, HeapType::Exn | HeapType::NoExn)
    }

    /// Whether this type is in the function hierarchy.
    pub fn is_func(self) -> bool {
        matches!(
            self,
            HeapType::Func | HeapType::NoFunc | HeapType::ConcreteFunc(_)
        )
    }

    /// Whether this type is in the GC (`any`) hierarchy.
    pub fn is_any(self) -> bool {
        use HeapType as H;
        matches!(
            self,
            H::Any
                | H::Eq
                | H::I31
                | H::Struct
                | H::Array
                | H::None
                | H::ConcreteStruct(_)
                | H::ConcreteArray(_)
        )
    }

    /// Whether every reference of type `self` is also one of type `other` (without declared
    /// subtypes, which wexe refuses, a concrete type is a subtype of its abstract supertypes
    /// and of itself only).
    pub fn is_subtype_of(self, other: HeapType) -> bool {
        use HeapType as H;
        match (self, other) {
            (a, b) if a == b => true,
            (H::NoFunc, b) => b.is_func(),
            (H::ConcreteFunc(_), H::Func) => true,
            (H::NoExtern, H::Extern) => true,
            (H::NoExn, H::Exn) => true,
            (H::None, b) => b.is_any(),
            (H::ConcreteStruct(_), b) => matches!(b, H::Struct | H::Eq | H::Any),
            (H::ConcreteArray(_), b) => matches!(b, H::Array | H::Eq | H::Any),
            (H::I31 | H::Struct | H::Array, b) => matches!(b, H::Eq | H::Any),
            (H::Eq, H::Any) => true,
            _ => false,
        }
    }

    /// This type with a concrete type index replaced by `f(index)`.
    pub fn map_concrete(self, f: &impl Fn(u32) -> u32) -> HeapType {
        match self {
            HeapType::ConcreteFunc(i) => HeapType::ConcreteFunc(f(i)),
            HeapType::ConcreteStruct(i) => HeapType::ConcreteStruct(f(i)),
            HeapType::ConcreteArray(i) => HeapType::ConcreteArray(f(i)),
            other => other,
        }
    }
}

/// A reference type: its heap type and whether it admits null.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`, i.e. `(ref null func)`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`, i.e. `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };

    /// `exnref`, i.e. `(ref null exn)`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };

    /// `anyref`, i.e. `(ref null any)`.
    pub const ANYREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Any,
    };

    /// Whether every value of type `self` is also one of type `other`.
    pub fn is_subtype_of(self, other: RefType) -> bool {
        (!self.nullable || other.nullable) && self.heap.is_subtype_of(other.heap)
    }

    /// Converts wasmparser's reference type; `kind_of` tells what the module's type `index`
    /// is. `None` for types wexe does not have (shared references, continuations).
    pub fn from_wasmparser(
        r: wasmparser::RefType,
        kind_of: &dyn Fn(u32) -> TypeKind,
    ) -> Option<RefType> {
        use wasmparser::AbstractHeapType as A;
        let heap = match r.heap_type() {
            wasmparser::HeapType::Abstract { shared: false, ty } => match ty {
                A::Func => HeapType::Func,
                A::NoFunc => HeapType::NoFunc,
                A::Extern => HeapType::Extern,
                A::NoExtern => HeapType::NoExtern,
                A::Exn => HeapType::Exn,
                A::NoExn => HeapType::NoExn,
                A::Any => HeapType::Any,
                A::Eq => HeapType::Eq,
                A::I31 => HeapType::I31,
                A::Struct => HeapType::Struct,
                A::Array => HeapType::Array,
                A::None => HeapType::None,
                _ => return None,
            },
            wasmparser::HeapType::Concrete(i) => {
                let i = i.as_module_index()?;
                HeapType::concrete(kind_of(i), i)
            }
            _ => return None,
        };
        Some(RefType {
            nullable: r.is_nullable(),
            heap,
        })
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let heap = match self.heap {
            HeapType::Func => "func".to_string(),
            HeapType::NoFunc => "nofunc".to_string(),
            HeapType::Extern => "extern".to_string(),
            HeapType::NoExtern => "noextern".to_string(),
            HeapType::Exn => "exn".to_string(),
            HeapType::NoExn => "noexn".to_string(),
            HeapType::Any => "any".to_string(),
            HeapType::Eq => "eq".to_string(),
            HeapType::I31 => "i31".to_string(),
            HeapType::Struct => "struct".to_string(),
            HeapType::Array => "array".to_string(),
            HeapType::None => "none".to_string(),
            HeapType::ConcreteFunc(i)
            | HeapType::ConcreteStruct(i)
            | HeapType::ConcreteArray(i) => i.to_string(),
        };
        match (self.nullable, self.heap) {
            (
                true,
                HeapType::Func
                | HeapType::Extern
                | HeapType::Exn
                | HeapType::Any
                | HeapType::Eq
                | HeapType::I31
                | HeapType::Struct
                | HeapType::Array,
            ) => write!(f, "{heap}ref"),
            (true, HeapType::None) => f.write_str("nullref"),
            (true, _) => write!(f, "(ref null {heap})"),
            (false, _) => write!(f, "(ref {heap})"),
        }
    }
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `exnref`.
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);
    /// `anyref`.
    pub const ANYREF: ValType = ValType::Ref(RefType::ANYREF);

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether every value of type `self` is also one of type `other`.
    pub fn is_subtype_of(self, other: ValType) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.is_subtype_of(b),
            (a, b) => a == b,
        }
    }

    /// Converts wasmparser's value type (`kind_of` as in [`RefType::from_wasmparser`]).
    pub fn from_wasmparser(
        ty: wasmparser::ValType,
        kind_of: &dyn Fn(u32) -> TypeKind,
    ) -> Option<ValType> {
        use wasmparser::ValType as W;
        Some(match ty {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            W::Ref(r) => ValType::Ref(RefType::from_wasmparser(r, kind_of)?),
        })
    }

    /// This type with every concrete type index replaced by `f(index)`.
    pub fn map_concrete(self, f: &impl Fn(u32) -> u32) -> ValType {
        match self {
            ValType::Ref(RefType { nullable, heap }) => ValType::Ref(RefType {
                nullable,
                heap: heap.map_concrete(f),
            }),
            other => other,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => r.fmt(f),
        }
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

    /// This signature with every concrete type index replaced by `f(index)`.
    pub fn map_concrete(&self, f: &impl Fn(u32) -> u32) -> FuncType {
        FuncType {
            params_results: self
                .params_results
                .iter()
                .map(|t| t.map_concrete(f))
                .collect(),
            num_params: self.num_params,
        }
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
            EntityType::Tag(t) => write!(f, "tag {t}"),
        }
    }
}
