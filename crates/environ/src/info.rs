//! [`ModuleInfo`]: everything decoded from a module's sections.

use std::collections::HashMap;
use std::ops::Range;

use crate::const_expr::ConstExpr;
use crate::type_defs::TypeDef;
use crate::types::{
    EntityType, ExternKind, FuncType, GlobalType, MemoryType, TableType, TypeKind, ValType,
};

/// An import: `(import "module" "name" (ty))`.
#[derive(Clone, Debug)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub ty: EntityType,
}

/// An export: a name for an entity of the module's index spaces.
#[derive(Clone, Debug)]
pub struct Export {
    pub name: String,
    pub kind: ExternKind,
    pub index: u32,
}

/// Where an element segment goes.
#[derive(Clone, Debug)]
pub enum ElemKind {
    Active { table: u32, offset: ConstExpr },
    Passive,
    Declared,
}

/// The items of an element segment.
#[derive(Clone, Debug)]
pub enum ElemItems {
    /// Function indices (the common case, kept compact).
    Funcs(Vec<u32>),
    /// Constant expressions producing references.
    Exprs(Vec<ConstExpr>),
}

impl ElemItems {
    pub fn len(&self) -> usize {
        match self {
            ElemItems::Funcs(f) => f.len(),
            ElemItems::Exprs(e) => e.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct ElemSegment {
    pub kind: ElemKind,
    pub ty: ValType,
    pub items: ElemItems,
}

/// Where a data segment goes.
#[derive(Clone, Debug)]
pub enum DataKind {
    Active { memory: u32, offset: ConstExpr },
    Passive,
}

/// A data segment; its bytes are a range of the module's bytes.
#[derive(Clone, Debug)]
pub struct DataSegment {
    pub kind: DataKind,
    pub bytes: Range<usize>,
}

/// A defined function's body: the byte range of its code entry within the module.
#[derive(Clone, Debug)]
pub struct FuncBody {
    pub range: Range<usize>,
}

/// A decoded and validated module.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// The module's name from the name section, if any.
    pub name: Option<String>,
    /// The defined types (function, struct and array types) by type index.
    pub types: Vec<TypeDef>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    /// The type index of every function, imported ones first.
    pub funcs: Vec<u32>,
    pub num_imported_funcs: usize,
    /// Every table, imported ones first.
    pub tables: Vec<TableType>,
    pub num_imported_tables: usize,
    /// The initialiser of each defined table (`None`: null), from the table section.
    pub table_inits: Vec<Option<ConstExpr>>,
    /// Every memory, imported ones first.
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: usize,
    /// Every global, imported ones first.
    pub globals: Vec<GlobalType>,
    pub num_imported_globals: usize,
    /// The type index of every tag (exception handling), imported ones first.
    pub tags: Vec<u32>,
    pub num_imported_tags: usize,
    /// Tag names from the name section, by tag index.
    pub tag_names: HashMap<u32, String>,
    /// Initialisers of the defined globals.
    pub global_inits: Vec<ConstExpr>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub data: Vec<DataSegment>,
    /// Bodies of the defined functions.
    pub bodies: Vec<FuncBody>,
    /// Function names from the name section, by function index.
    pub func_names: HashMap<u32, String>,
}

impl ModuleInfo {
    /// The function type at type index `index`. Validation guarantees that every type index
    /// a function, tag or call names is one of a function type.
    pub fn signature(&self, index: u32) -> &FuncType {
        match self.types[index as usize].as_func() {
            Some(f) => f,
            None => panic!("type {index} is not a function type (validation checks this)"),
        }
    }

    /// What each of the module's types is (for converting wasmparser's reference types).
    pub fn kind_of(&self) -> impl Fn(u32) -> TypeKind + '_ {
        |i| self.types[i as usize].kind()
    }

    /// The signature of function `index` (imported or defined).
    pub fn func_type(&self, index: u32) -> &FuncType {
        self.signature(self.funcs[index as usize])
    }

    /// The name of function `index` from the name section, if it has one.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names.get(&index).map(String::as_str)
    }

    /// The parameter types of tag `index` (imported or defined).
    pub fn tag_type(&self, index: u32) -> &FuncType {
        self.signature(self.tags[index as usize])
    }

    /// Replaces every concrete type index of the module's types, imports, tables, globals and
    /// element segments by `f(index)` (a `Module` maps them to engine-wide type ids).
    pub fn map_concrete_types(&mut self, f: impl Fn(u32) -> u32) {
        for t in &mut self.types {
            *t = t.map_concrete(&f);
        }
        let table = |t: &mut TableType| t.element = t.element.map_concrete(&f);
        let global = |g: &mut GlobalType| g.content = g.content.map_concrete(&f);
        for i in &mut self.imports {
            match &mut i.ty {
                EntityType::Func(t) | EntityType::Tag(t) => *t = t.map_concrete(&f),
                EntityType::Table(t) => table(t),
                EntityType::Global(g) => global(g),
                EntityType::Memory(_) => {}
            }
        }
        self.tables.iter_mut().for_each(table);
        self.globals.iter_mut().for_each(global);
        for e in &mut self.elems {
            e.ty = e.ty.map_concrete(&f);
        }
    }

    /// The type of the entity an export refers to.
    pub fn export_type(&self, export: &Export) -> EntityType {
        let i = export.index as usize;
        match export.kind {
            ExternKind::Func => EntityType::Func(self.func_type(export.index).clone()),
            ExternKind::Table => EntityType::Table(self.tables[i]),
            ExternKind::Memory => EntityType::Memory(self.memories[i]),
            ExternKind::Global => EntityType::Global(self.globals[i]),
            ExternKind::Tag => EntityType::Tag(self.tag_type(export.index).clone()),
        }
    }
}
