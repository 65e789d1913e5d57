//! One pass over a module's bytes: wasmparser validates every payload (function bodies included)
//! while the sections are decoded into a [`ModuleInfo`].

use wasmparser::{
    BinaryReaderError, ElementItems, ElementKind, ExternalKind, KnownCustom, Name, Parser, Payload,
    TypeRef, ValidPayload, Validator, WasmFeatures,
};

use crate::const_expr::ConstExpr;
use crate::info::{
    DataKind, DataSegment, ElemItems, ElemKind, ElemSegment, Export, FuncBody, Import, ModuleInfo,
};
use crate::type_defs::decode_rec_group;
use crate::types::{
    EntityType, ExternKind, GlobalType, MemoryType, Mutability, RefType, TableType, ValType,
};

/// Why a module was refused: the byte offset and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message} (at offset {offset:#x})")]
pub struct ParseError {
    pub message: String,
    pub offset: u64,
}

impl From<BinaryReaderError> for ParseError {
    fn from(e: BinaryReaderError) -> ParseError {
        ParseError {
            message: e.message().to_string(),
            offset: e.offset(),
        }
    }
}

fn unsupported(what: &str, offset: u64) -> ParseError {
    ParseError {
        message: format!("unsupported: {what}"),
        offset,
    }
}

/// Which WebAssembly features modules are validated with: WebAssembly 2.0 always, plus each
/// feature below that is on. [`Features::default`] is what wexe runs by default; a feature
/// becomes on by default once both tiers execute it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Features {
    /// 128-bit SIMD (part of 2.0, but can be turned off).
    pub simd: bool,
    /// Several memories per module (3.0).
    pub multi_memory: bool,
    /// 64-bit memories and tables (3.0).
    pub memory64: bool,
    /// `return_call`, `return_call_indirect`, `return_call_ref` (3.0).
    pub tail_call: bool,
    /// Typed function references: `call_ref`, non-nullable references, ... (3.0).
    pub function_references: bool,
    /// Exception handling: tags, `throw`, `throw_ref`, `try_table`, `exnref` (3.0).
    pub exceptions: bool,
    /// The legacy exception form (`try`/`catch`/`delegate`/`rethrow`) older toolchains emit.
    pub legacy_exceptions: bool,
    /// Extended constant expressions (3.0).
    pub extended_const: bool,
    /// Relaxed SIMD (3.0).
    pub relaxed_simd: bool,
    /// 128-bit arithmetic helpers (`i64.add128`, ...; a proposal wasmtime ships).
    pub wide_arithmetic: bool,
    /// Memories with a page size other than 64 KiB (a proposal wasmtime ships).
    pub custom_page_sizes: bool,
}

impl Default for Features {
    /// Everything wexe runs: WebAssembly 3.0 without GC, the legacy exception form, and
    /// wasmtime's wide arithmetic and custom page sizes.
    fn default() -> Features {
        Features {
            legacy_exceptions: true,
            wide_arithmetic: true,
            custom_page_sizes: true,
            ..Features::WASM3
        }
    }
}

impl Features {
    /// Exactly WebAssembly 2.0 (SIMD included).
    pub const WASM2: Features = Features {
        simd: true,
        multi_memory: false,
        memory64: false,
        tail_call: false,
        function_references: false,
        exceptions: false,
        legacy_exceptions: false,
        extended_const: false,
        relaxed_simd: false,
        wide_arithmetic: false,
        custom_page_sizes: false,
    };

    /// The features of WebAssembly 3.0 that wexe knows (all of 3.0 but garbage collection,
    /// which it does not implement).
    pub const WASM3: Features = Features {
        multi_memory: true,
        memory64: true,
        tail_call: true,
        function_references: true,
        exceptions: true,
        extended_const: true,
        relaxed_simd: true,
        ..Features::WASM2
    };

    /// The same set in wasmparser's terms.
    pub fn to_wasmparser(self) -> WasmFeatures {
        let mut f = WasmFeatures::WASM2;
        f.set(WasmFeatures::SIMD, self.simd);
        f.set(WasmFeatures::MULTI_MEMORY, self.multi_memory);
        f.set(WasmFeatures::MEMORY64, self.memory64);
        f.set(WasmFeatures::TAIL_CALL, self.tail_call);
        f.set(WasmFeatures::FUNCTION_REFERENCES, self.function_references);
        // 3.0's type system (recursion groups, struct and array types, the `any` hierarchy)
        // comes with typed references; wasmparser gates it as part of GC. GC's instructions
        // stay refused (see `gc_refusal`).
        f.set(WasmFeatures::GC, self.function_references);
        f.set(WasmFeatures::EXCEPTIONS, self.exceptions);
        f.set(WasmFeatures::LEGACY_EXCEPTIONS, self.legacy_exceptions);
        f.set(WasmFeatures::EXTENDED_CONST, self.extended_const);
        f.set(WasmFeatures::RELAXED_SIMD, self.relaxed_simd && self.simd);
        f.set(WasmFeatures::WIDE_ARITHMETIC, self.wide_arithmetic);
        f.set(WasmFeatures::CUSTOM_PAGE_SIZES, self.custom_page_sizes);
        f
    }
}

fn val_type(
    info: &ModuleInfo,
    ty: wasmparser::ValType,
    offset: u64,
) -> Result<ValType, ParseError> {
    ValType::from_wasmparser(ty, &info.kind_of())
        .ok_or_else(|| unsupported(&format!("value type {ty}"), offset))
}

fn table_type(
    info: &ModuleInfo,
    t: &wasmparser::TableType,
    offset: u64,
) -> Result<TableType, ParseError> {
    let element = RefType::from_wasmparser(t.element_type, &info.kind_of())
        .map(ValType::Ref)
        .ok_or_else(|| unsupported("table element type", offset))?;
    if t.shared {
        return Err(unsupported("shared tables", offset));
    }
    Ok(TableType {
        element,
        minimum: t.initial,
        maximum: t.maximum,
        table64: t.table64,
    })
}

fn memory_type(m: &wasmparser::MemoryType, offset: u64) -> Result<MemoryType, ParseError> {
    if m.shared {
        return Err(unsupported("shared memories", offset));
    }
    let page_size_log2 = match m.page_size_log2 {
        None => MemoryType::DEFAULT_PAGE_SIZE_LOG2,
        Some(log2 @ (0 | 16)) => log2 as u8,
        Some(log2) => return Err(unsupported(&format!("a page size of 2^{log2}"), offset)),
    };
    Ok(MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
        memory64: m.memory64,
        page_size_log2,
    })
}

fn global_type(
    info: &ModuleInfo,
    g: &wasmparser::GlobalType,
    offset: u64,
) -> Result<GlobalType, ParseError> {
    let mutability = if g.mutable {
        Mutability::Var
    } else {
        Mutability::Const
    };
    Ok(GlobalType {
        content: val_type(info, g.content_type, offset)?,
        mutability,
    })
}

fn const_expr(info: &ModuleInfo, e: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, ParseError> {
    ConstExpr::decode(e, &info.kind_of()).map_err(|message| ParseError {
        message,
        offset: e.get_binary_reader().original_position(),
    })
}

/// Validates `bytes` with `features` and decodes it into a [`ModuleInfo`].
pub fn parse_module(bytes: &[u8], features: WasmFeatures) -> Result<ModuleInfo, ParseError> {
    parse(bytes, features, true)
}

/// Decodes `bytes` whose function bodies were validated when they were compiled (the wasm kept
/// inside a compiled module, whose machine code is trusted anyway): the module's structure is
/// validated, its function bodies are not — most of the work for a large module.
pub fn parse_compiled_module(
    bytes: &[u8],
    features: WasmFeatures,
) -> Result<ModuleInfo, ParseError> {
    parse(bytes, features, false)
}

fn parse(bytes: &[u8], features: WasmFeatures, bodies: bool) -> Result<ModuleInfo, ParseError> {
    let mut validator = Validator::new_with_features(features);
    let mut info = ModuleInfo::default();
    let mut pending = Vec::new();
    let mut parser = Parser::new(0);
    parser.set_features(features);
    let sections = || -> Result<(), ParseError> {
        for payload in parser.parse_all(bytes) {
            let payload = payload?;
            if let ValidPayload::Func(func, body) = validator.payload(&payload)? {
                let r = body.range();
                info.bodies.push(FuncBody {
                    range: r.start as usize..r.end as usize,
                });
                if bodies {
                    pending.push((func, body));
                }
            }
            decode_payload(&mut info, payload)?;
        }
        Ok(())
    };
    let structure = sections();
    // A module with an invalid function is refused with that function's error (the first by
    // position), even when a later section is invalid too, as one pass in order would.
    crate::parallel_validation::validate_bodies(pending)?;
    structure?;
    Ok(info)
}

fn decode_payload(info: &mut ModuleInfo, payload: Payload<'_>) -> Result<(), ParseError> {
    match payload {
        Payload::Version {
            encoding: wasmparser::Encoding::Component,
            range,
            ..
        } => {
            return Err(unsupported(
                "components (expected a core module)",
                range.start,
            ));
        }
        Payload::TypeSection(r) => {
            for group in r.into_iter_with_offsets() {
                let (offset, group) = group?;
                decode_rec_group(group, &mut info.types)
                    .map_err(|message| ParseError { message, offset })?;
            }
        }
        Payload::ImportSection(r) => {
            let offset = r.range().start;
            for import in r.into_imports() {
                let import = import?;
                let ty = match import.ty {
                    TypeRef::Func(t) => {
                        info.funcs.push(t);
                        info.num_imported_funcs += 1;
                        EntityType::Func(info.signature(t).clone())
                    }
                    TypeRef::Table(t) => {
                        let t = table_type(info, &t, offset)?;
                        info.tables.push(t);
                        info.num_imported_tables += 1;
                        EntityType::Table(t)
                    }
                    TypeRef::Memory(m) => {
                        let m = memory_type(&m, offset)?;
                        info.memories.push(m);
                        info.num_imported_memories += 1;
                        EntityType::Memory(m)
                    }
                    TypeRef::Global(g) => {
                        let g = global_type(info, &g, offset)?;
                        info.globals.push(g);
                        info.num_imported_globals += 1;
                        EntityType::Global(g)
                    }
                    TypeRef::Tag(t) => {
                        info.tags.push(t.func_type_idx);
                        info.num_imported_tags += 1;
                        EntityType::Tag(info.signature(t.func_type_idx).clone())
                    }
                    _ => return Err(unsupported("import kind", offset)),
                };
                info.imports.push(Import {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    ty,
                });
            }
        }
        Payload::FunctionSection(r) => {
            for t in r {
                info.funcs.push(t?);
            }
        }
        Payload::TableSection(r) => {
            let offset = r.range().start;
            for t in r {
                let t = t?;
                info.tables.push(table_type(info, &t.ty, offset)?);
                info.table_inits.push(match &t.init {
                    wasmparser::TableInit::RefNull => None,
                    wasmparser::TableInit::Expr(e) => Some(const_expr(info, e)?),
                });
            }
        }
        Payload::MemorySection(r) => {
            let offset = r.range().start;
            for m in r {
                info.memories.push(memory_type(&m?, offset)?);
            }
        }
        Payload::GlobalSection(r) => {
            let offset = r.range().start;
            for g in r {
                let g = g?;
                info.globals.push(global_type(info, &g.ty, offset)?);
                info.global_inits.push(const_expr(info, &g.init_expr)?);
            }
        }
        Payload::ExportSection(r) => {
            let offset = r.range().start;
            for e in r {
                let e = e?;
                let kind = match e.kind {
                    ExternalKind::Func => ExternKind::Func,
                    ExternalKind::Table => ExternKind::Table,
                    ExternalKind::Memory => ExternKind::Memory,
                    ExternalKind::Global => ExternKind::Global,
                    ExternalKind::Tag => ExternKind::Tag,
                    _ => return Err(unsupported("export kind", offset)),
                };
                info.exports.push(Export {
                    name: e.name.to_string(),
                    kind,
                    index: e.index,
                });
            }
        }
        Payload::TagSection(r) => {
            for t in r {
                info.tags.push(t?.func_type_idx);
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(func),
        Payload::ElementSection(r) => {
            let offset = r.range().start;
            for e in r {
                let segment = elem_segment(info, e?, offset)?;
                info.elems.push(segment);
            }
        }
        Payload::DataSection(r) => {
            for d in r {
                let d = d?;
                let kind = match d.kind {
                    wasmparser::DataKind::Passive => DataKind::Passive,
                    wasmparser::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => DataKind::Active {
                        memory: memory_index,
                        offset: const_expr(info, &offset_expr)?,
                    },
                };
                let end = d.range.end as usize;
                let start = end - d.data.len();
                info.data.push(DataSegment {
                    kind,
                    bytes: start..end,
                });
            }
        }
        Payload::CustomSection(c) => {
            if let KnownCustom::Name(names) = c.as_known() {
                // A malformed name section is ignored, as the spec asks of custom sections.
                for name in names.into_iter().flatten() {
                    match name {
                        Name::Module { name, .. } => info.name = Some(name.to_string()),
                        Name::Function(map) => {
                            for n in map.into_iter().flatten() {
                                info.func_names.insert(n.index, n.name.to_string());
                            }
                        }
                        Name::Tag(map) => {
                            for n in map.into_iter().flatten() {
                                info.tag_names.insert(n.index, n.name.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn elem_segment(
    info: &ModuleInfo,
    e: wasmparser::Element<'_>,
    offset: u64,
) -> Result<ElemSegment, ParseError> {
    let kind = match e.kind {
        ElementKind::Passive => ElemKind::Passive,
        ElementKind::Declared => ElemKind::Declared,
        ElementKind::Active {
            table_index,
            offset_expr,
        } => ElemKind::Active {
            table: table_index.unwrap_or(0),
            offset: const_expr(info, &offset_expr)?,
        },
    };
    let (ty, items) = match e.items {
        ElementItems::Functions(r) => (
            ValType::FUNCREF,
            ElemItems::Funcs(r.into_iter().collect::<Result<_, _>>()?),
        ),
        ElementItems::Expressions(rt, r) => {
            let ty = RefType::from_wasmparser(rt, &info.kind_of())
                .map(ValType::Ref)
                .ok_or_else(|| unsupported("element segment type", offset))?;
            let mut exprs = Vec::new();
            for expr in r {
                exprs.push(const_expr(info, &expr?)?);
            }
            (ty, ElemItems::Exprs(exprs))
        }
    };
    Ok(ElemSegment { kind, ty, items })
}
