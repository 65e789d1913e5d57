//! wexe-environ: turns WebAssembly bytes into a validated [`ModuleInfo`].
//!
//! This crate holds everything about a module that both execution tiers need and that involves no
//! execution: the value and entity types, the decoded sections (imports, exports, globals, element
//! and data segments, function bodies as byte ranges) and the names from the name section. It uses
//! wasmparser for decoding and validation and contains no `unsafe` code.
#![forbid(unsafe_code)]

mod compiler;
mod const_expr;
mod gc_refusal;
mod info;
mod parallel_validation;
mod parse;
pub mod relaxed_simd;
mod serialize;
mod type_defs;
mod types;
pub mod vmoffsets;

pub use compiler::{
    CallSiteHandlers, CompileInput, CompiledFunction, CompiledModule, Compiler, DebugSlots,
    LoopEntries, RelocKind, Relocation, TrapCode,
};
pub use const_expr::{ConstExpr, ConstOp};
pub use info::{
    DataKind, DataSegment, ElemItems, ElemKind, ElemSegment, Export, FuncBody, Import, ModuleInfo,
};
pub use parse::{Features, ParseError, parse_compiled_module, parse_module};
pub use type_defs::{CompositeType, FieldType, StorageType, TypeDef};
pub use types::{
    EntityType, ExternKind, FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType,
    TableType, TypeKind, ValType,
};
pub use wasmparser;
