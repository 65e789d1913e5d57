//! [`Instance`]: instantiation (import checks, entity creation, segment initialisation, the start
//! function) and access to an instance's exports.

use anyhow::{Result, anyhow, bail};
use wexe_environ::{
    ConstExpr, ConstOp, DataKind, ElemItems, ElemKind, EntityType, ExternKind, MemoryType,
    Mutability, TableType,
};

use crate::externals::{Extern, Global, Memory, Table};
use crate::func::Func;
use crate::module::Module;
use crate::pre::MemoryImages;
use crate::store::{
    AsContextMut, FuncEntity, GlobalEntity, InstanceEntity, StoreInner, StoreOps, bulk,
};
use crate::typed::{TypedFunc, WasmParams, WasmResults};

/// An instantiated module in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

fn limits_match(min: u64, max: Option<u64>, want_min: u64, want_max: Option<u64>) -> bool {
    min >= want_min
        && match want_max {
            None => true,
            Some(wm) => max.is_some_and(|m| m <= wm),
        }
}

/// Whether an entity of type `have` may satisfy an import of type `want` other than a function
/// or tag (those are matched by engine type id, by the caller). Reference types name engine type
/// ids here, so they compare across modules; an immutable global may be of a subtype.
fn import_matches(have: &EntityType, want: &EntityType) -> bool {
    match (have, want) {
        (EntityType::Global(a), EntityType::Global(b)) => match b.mutability {
            Mutability::Const => {
                a.mutability == Mutability::Const && a.content.is_subtype_of(b.content)
            }
            Mutability::Var => a == b,
        },
        (EntityType::Memory(a), EntityType::Memory(b)) => {
            a.memory64 == b.memory64
                && a.page_size_log2 == b.page_size_log2
                && limits_match(a.minimum, a.maximum, b.minimum, b.maximum)
        }
        (EntityType::Table(a), EntityType::Table(b)) => {
            a.element == b.element
                && a.table64 == b.table64
                && limits_match(a.minimum, a.maximum, b.minimum, b.maximum)
        }
        _ => false,
    }
}

impl Instance {
    /// Instantiates `module` with `imports` given in the order of the module's imports, then runs
    /// its start function.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        instantiate_with(store.as_context_mut().0, module, imports, None)
    }

    /// The export called `name`.
    pub fn get_export(&self, mut store: impl AsContextMut, name: &str) -> Option<Extern> {
        let inner = &store.as_context_mut().0.inner;
        inner.check(self.store_id);
        let inst = &inner.instances[self.index as usize];
        let e = inst.module.info().exports.iter().find(|e| e.name == name)?;
        Some(export_extern(inner, self.index, e.kind, e.index))
    }

    /// Every export with its name, in the module's order.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let inner = &store.as_context_mut().0.inner;
        inner.check(self.store_id);
        let module = inner.instances[self.index as usize].module.clone();
        let exports = module.info().exports.iter();
        exports
            .map(|e| {
                (
                    e.name.clone(),
                    export_extern(inner, self.index, e.kind, e.index),
                )
            })
            .collect()
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function `name` with a static signature.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let f = self
            .get_func(&mut store, name)
            .ok_or_else(|| anyhow!("the instance has no exported function `{name}`"))?;
        f.typed(&store)
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// The exported tag `name`.
    pub fn get_tag(&self, store: impl AsContextMut, name: &str) -> Option<crate::Tag> {
        self.get_export(store, name)?.into_tag()
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }
}

fn export_extern(inner: &StoreInner, instance: u32, kind: ExternKind, index: u32) -> Extern {
    let inst = &inner.instances[instance as usize];
    let i = index as usize;
    let store_id = inner.id;
    match kind {
        ExternKind::Func => Extern::Func(Func {
            store_id,
            index: inst.funcs[i],
        }),
        ExternKind::Table => Extern::Table(Table {
            store_id,
            index: inst.tables[i],
        }),
        ExternKind::Memory => Extern::Memory(Memory {
            store_id,
            index: inst.memories[i],
        }),
        ExternKind::Global => Extern::Global(Global {
            store_id,
            index: inst.globals[i],
        }),
        ExternKind::Tag => Extern::Tag(crate::Tag {
            store_id,
            index: inst.tags[i],
        }),
    }
}

/// The type of a store entity, for import matching.
fn extern_type(inner: &StoreInner, ext: &Extern) -> EntityType {
    match ext {
        Extern::Func(f) => EntityType::Func(inner.func_type(f.index).clone()),
        Extern::Global(g) => EntityType::Global(inner.globals[g.index as usize].ty),
        Extern::Tag(t) => EntityType::Tag(inner.tags[t.index as usize].ty.clone()),
        Extern::Memory(m) => {
            let mem = &inner.memories[m.index as usize];
            EntityType::Memory(MemoryType {
                minimum: mem.pages(),
                ..mem.ty
            })
        }
        Extern::Table(t) => {
            let tab = &inner.tables[t.index as usize];
            EntityType::Table(TableType {
                minimum: tab.elements.len() as u64,
                ..tab.ty
            })
        }
    }
}

fn store_id_of(ext: &Extern) -> u64 {
    match ext {
        Extern::Func(f) => f.store_id,
        Extern::Global(g) => g.store_id,
        Extern::Memory(m) => m.store_id,
        Extern::Table(t) => t.store_id,
        Extern::Tag(t) => t.store_id,
    }
}

/// **The one instantiation**, for [`Instance::new`] (and so [`crate::Linker::instantiate`]) and
/// [`crate::InstancePre::instantiate`]: entities, the JIT's vmctx, segments, start function.
/// With `images` (a pre-instantiated module's), a defined memory that has an image starts with
/// it, and the active data segments it holds are not copied again but only dropped.
pub(crate) fn instantiate_with(
    store: &mut dyn StoreOps,
    module: &Module,
    imports: &[Extern],
    images: Option<&MemoryImages>,
) -> Result<Instance> {
    let index = instantiate(store, module, imports, images)?;
    if module.inner.jit.is_some() {
        crate::jit::instantiate(store.inner(), index)?;
    }
    initialize(store, index, images)?;
    Ok(Instance {
        store_id: store.inner().id,
        index,
    })
}

/// Creates the instance's entities and checks its imports; runs no code and writes no segment
/// (but those of `images`). The store's resource limiter is asked about the instance, and its
/// memories and tables.
fn instantiate(
    store: &mut dyn StoreOps,
    module: &Module,
    imports: &[Extern],
    images: Option<&MemoryImages>,
) -> Result<u32> {
    let inner = store.inner();
    if !crate::Engine::same(&inner.engine, module.engine()) {
        bail!("the module was compiled for another engine than the store's");
    }
    let info = module.info();
    let tables = &info.tables[info.num_imported_tables..];
    let memories = &info.memories[info.num_imported_memories..];
    crate::store::check_counts(store, 1, tables.len(), memories.len())?;
    let inner = store.inner();
    if imports.len() != info.imports.len() {
        bail!(
            "expected {} imports, got {}",
            info.imports.len(),
            imports.len()
        );
    }
    let index = inner.instances.len() as u32;
    let mut inst = InstanceEntity {
        module: module.clone(),
        funcs: Vec::with_capacity(info.funcs.len()),
        tables: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        tags: Vec::new(),
        global_values: Default::default(),
        exported_memory: None,
        elems: Vec::new(),
        data_dropped: vec![false; info.data.len()],
    };
    let mut imported_funcs = info.funcs.iter();
    let mut imported_tags = info.tags.iter();
    for (imp, ext) in info.imports.iter().zip(imports) {
        if store_id_of(ext) != inner.id {
            bail!(
                "import `{}::{}` belongs to another store",
                imp.module,
                imp.name
            );
        }
        let have = extern_type(inner, ext);
        let matches = match (&imp.ty, ext) {
            (EntityType::Func(_), ext) => {
                let want = imported_funcs
                    .next()
                    .map(|&t| module.inner.type_ids[t as usize]);
                matches!(ext, Extern::Func(f) if Some(inner.funcs[f.index as usize].type_id()) == want)
            }
            (EntityType::Tag(_), ext) => {
                let want = imported_tags
                    .next()
                    .map(|&t| module.inner.type_ids[t as usize]);
                matches!(ext, Extern::Tag(t) if Some(inner.tags[t.index as usize].type_id) == want)
            }
            _ => import_matches(&have, &imp.ty),
        };
        if !matches {
            bail!(
                "incompatible import type for `{}::{}`: expected {}, found {}",
                imp.module,
                imp.name,
                imp.ty,
                have
            );
        }
        match ext {
            Extern::Func(f) => inst.funcs.push(f.index),
            Extern::Table(t) => inst.tables.push(t.index),
            Extern::Memory(m) => inst.memories.push(m.index),
            Extern::Global(g) => inst.globals.push(g.index),
            Extern::Tag(t) => inst.tags.push(t.index),
        }
    }
    for tag in info.num_imported_tags..info.tags.len() {
        let ty = info.tag_type(tag as u32).clone();
        let type_id = module.inner.type_ids[info.tags[tag] as usize];
        let name = tag_name(module, tag as u32);
        inst.tags
            .push(crate::exn::new_tag(inner, ty, type_id, name).index);
    }
    // The defined functions, in one pass each over exact-size iterators (SQLite has 2,000).
    let first = inner.funcs.len() as u32;
    let type_ids = &module.inner.type_ids[..];
    let defined = info.funcs.iter().enumerate().skip(info.num_imported_funcs);
    inner
        .funcs
        .extend(defined.map(|(func_index, &ty)| FuncEntity::Wasm {
            instance: index,
            index: func_index as u32,
            type_id: type_ids[ty as usize],
        }));
    inst.funcs.extend(first..inner.funcs.len() as u32);
    for (ty, init) in tables.iter().zip(&info.table_inits) {
        // Table initialisers may read imported globals only (the global section comes later).
        let init = init
            .as_ref()
            .map_or(0, |e| eval_const(store.inner(), &inst, e)[0]);
        inst.tables.push(crate::store::new_table(store, *ty, init)?);
    }
    for (i, ty) in memories.iter().enumerate() {
        let image = images.and_then(|m| m.get(i));
        inst.memories
            .push(crate::store::new_memory(store, *ty, image)?);
    }
    let inner = store.inner();
    for (ty, init) in info.globals[info.num_imported_globals..]
        .iter()
        .zip(&info.global_inits)
    {
        let value = eval_const(inner, &inst, init);
        inner
            .globals
            .push(Box::new(GlobalEntity { ty: *ty, value }));
        inst.globals.push((inner.globals.len() - 1) as u32);
    }
    inst.exported_memory = info
        .exports
        .iter()
        .find(|e| e.name == "memory" && e.kind == ExternKind::Memory)
        .map(|e| inst.memories[e.index as usize]);
    inst.global_values.0 = inst
        .globals
        .iter()
        .map(|&g| inner.globals[g as usize].value.as_mut_ptr())
        .collect();
    for seg in &info.elems {
        let cells = match &seg.items {
            ElemItems::Funcs(funcs) => funcs
                .iter()
                .map(|&f| inst.funcs[f as usize] as u64 + 1)
                .collect(),
            ElemItems::Exprs(exprs) => exprs
                .iter()
                .map(|e| eval_const(inner, &inst, e)[0])
                .collect(),
        };
        inst.elems.push(cells);
    }
    inner.instances.push(inst);
    Ok(index)
}

/// A defined tag's name for messages: the first export's name, else the name section's, else
/// its index, after the module's name when it has one.
fn tag_name(module: &Module, tag: u32) -> String {
    let info = module.info();
    let export = info
        .exports
        .iter()
        .find(|e| e.kind == ExternKind::Tag && e.index == tag);
    let name = match (export, info.tag_names.get(&tag)) {
        (Some(e), _) => e.name.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => format!("tag {tag}"),
    };
    match module.name() {
        Some(m) => format!("{m}::{name}"),
        None => name,
    }
}

/// Evaluates a validated constant expression in the context of a (partly built) instance.
fn eval_const(inner: &StoreInner, inst: &InstanceEntity, expr: &ConstExpr) -> [u64; 2] {
    let global = |g: u32| Some(inner.globals[inst.globals[g as usize] as usize].value);
    let func = |f: u32| Some(inst.funcs[f as usize] as u64 + 1);
    eval_ops(expr, global, func).unwrap_or_default()
}

/// **The one evaluator of constant expressions**: `expr`'s value, `global` and `func` giving
/// the value of a `global.get` and the cell of a `ref.func`; `None` when one of them does.
pub(crate) fn eval_ops(
    expr: &ConstExpr,
    global: impl Fn(u32) -> Option<[u64; 2]>,
    func: impl Fn(u32) -> Option<u64>,
) -> Option<[u64; 2]> {
    let mut stack: Vec<[u64; 2]> = Vec::with_capacity(2);
    for op in &expr.ops {
        let v = match *op {
            ConstOp::I32Const(v) => [v as u32 as u64, 0],
            ConstOp::I64Const(v) => [v as u64, 0],
            ConstOp::F32Const(v) => [v as u64, 0],
            ConstOp::F64Const(v) => [v, 0],
            ConstOp::V128Const(v) => [v as u64, (v >> 64) as u64],
            ConstOp::RefNull(_) => [0, 0],
            ConstOp::RefFunc(f) => [func(f)?, 0],
            ConstOp::GlobalGet(g) => global(g)?,
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let b = stack.pop().unwrap_or_default()[0] as u32;
                let a = stack.pop().unwrap_or_default()[0] as u32;
                let r = match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                };
                [r as u64, 0]
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let b = stack.pop().unwrap_or_default()[0];
                let a = stack.pop().unwrap_or_default()[0];
                let r = match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                };
                [r, 0]
            }
        };
        stack.push(v);
    }
    Some(stack.pop().unwrap_or_default())
}

/// Applies the active segments (but the data segments `images` already hold) and runs the start
/// function.
fn initialize(
    store: &mut dyn StoreOps,
    instance: u32,
    images: Option<&MemoryImages>,
) -> Result<()> {
    let inner = store.inner();
    let module = inner.instances[instance as usize].module.clone();
    let info = module.info();
    for (i, seg) in info.elems.iter().enumerate() {
        match &seg.kind {
            ElemKind::Active { table, offset } => {
                let inst = &inner.instances[instance as usize];
                let offset = eval_const(inner, inst, offset)[0];
                let (t, n) = (inst.tables[*table as usize], seg.items.len() as u64);
                bulk::table_init(inner, instance, t, i as u32, [offset, 0, n])
                    .map_err(anyhow::Error::from)?;
                bulk::elem_drop(inner, instance, i as u32);
            }
            ElemKind::Declared => bulk::elem_drop(inner, instance, i as u32),
            ElemKind::Passive => {}
        }
    }
    for (i, seg) in info.data.iter().enumerate() {
        if let DataKind::Active { memory, offset } = &seg.kind {
            let defined = (*memory as usize).checked_sub(info.num_imported_memories);
            if images.is_some_and(|m| defined.is_some_and(|d| m.get(d).is_some())) {
                bulk::data_drop(inner, instance, i as u32);
                continue;
            }
            let inst = &inner.instances[instance as usize];
            let offset = eval_const(inner, inst, offset)[0];
            let (m, n) = (inst.memories[*memory as usize], seg.bytes.len() as u64);
            bulk::memory_init(inner, instance, m, i as u32, [offset, 0, n])
                .map_err(anyhow::Error::from)?;
            bulk::data_drop(inner, instance, i as u32);
        }
    }
    if let Some(start) = info.start {
        let func = inner.instances[instance as usize].funcs[start as usize];
        crate::store::call_func(store, func, &[], &mut [])?;
    }
    Ok(())
}
