//! [`JitStore`]: the part of a store that compiled code reads — the store context (stack limit,
//! funcref entries), memory and table definitions kept in step with the store's entities by
//! [`sync`], and one vmctx per instance, built by [`instantiate`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use anyhow::{Result, anyhow};
use wexe_environ::vmoffsets::{
    VMCTX_BUILTINS, VMCTX_INSTANCE, VMCTX_STORE, VMFUNC_SIZE, VMOffsets,
};

use crate::store::{FuncEntity, StoreInner, StoreOps};
use crate::vm::vmcontext::{VMFunc, VMFuncRef, VMMemoryDef, VMStoreContext, VMTableDef};

/// The block of memory a store's compiled code points to (`VMCTX_STORE`): the
/// [`VMStoreContext`] compiled code reads, then what builtins need to reach the running store.
#[repr(C)]
pub(super) struct VMStoreBlock {
    pub vm: VMStoreContext,
    /// The store running compiled code (set on every entry).
    pub store: Option<*mut (dyn StoreOps + 'static)>,
}

pub(crate) struct JitStore {
    pub(super) ctx: Box<VMStoreBlock>,
    funcrefs: Vec<VMFuncRef>,
    /// Boxed so that their addresses, held by vmctxs, stay put as the vectors grow.
    #[allow(clippy::vec_box)]
    mem_defs: Vec<Box<VMMemoryDef>>,
    #[allow(clippy::vec_box)]
    table_defs: Vec<Box<VMTableDef>>,
    /// One vmctx per instance (empty for instances of other tiers, and under tier-up until
    /// the instance first runs machine code).
    vmctxs: Vec<Box<[u64]>>,
    /// Under tier-up, per instance: how many of its module's functions were compiled when its
    /// vmctx entries were last pointed at their code.
    generations: Vec<u32>,
    /// A host adapter for each engine type id seen in an instantiated module.
    adapters: HashMap<u32, *const u8, BuildHasherDefault<TypeIdHasher>>,
    /// Host functions whose funcref has no adapter yet.
    unadapted: Vec<u32>,
    /// The error of a builtin or host function that made compiled code trap.
    /// (A panic is kept as a `HostPanic` error, which the entry resumes.)
    pub(super) pending: Option<anyhow::Error>,
}

// SAFETY: the raw pointers point into this store's own entities (or code kept alive by its
// instances' modules) and are only used by the thread that is calling into the store.
unsafe impl Send for JitStore {}
// SAFETY: as above; shared references never dereference them.
unsafe impl Sync for JitStore {}

impl JitStore {
    pub fn new() -> JitStore {
        JitStore {
            ctx: Box::new(VMStoreBlock {
                vm: VMStoreContext {
                    stack_limit: 0,
                    funcrefs_base: std::ptr::null(),
                    funcrefs_len: 0,
                    fuel: 0,
                    interrupt: std::ptr::null(),
                },
                store: None,
            }),
            funcrefs: Vec::new(),
            mem_defs: Vec::new(),
            table_defs: Vec::new(),
            vmctxs: Vec::new(),
            generations: Vec::new(),
            adapters: HashMap::default(),
            unadapted: Vec::new(),
            pending: None,
        }
    }

    pub(super) fn vmctx(&mut self, instance: u32) -> *mut u8 {
        self.vmctxs[instance as usize].as_mut_ptr() as *mut u8
    }

    /// The lowest stack address compiled code may use, or 0 when none is running.
    pub(crate) fn stack_limit(&self) -> usize {
        self.ctx.vm.stack_limit
    }
}

/// Hands the store's fuel and interruption flag to compiled code (before it runs).
pub(super) fn fuel_to_code(inner: &mut StoreInner) {
    inner.jit.ctx.vm.fuel = -(inner.fuel.min(i64::MAX as u64) as i64);
    inner.jit.ctx.vm.interrupt = &inner.interrupt.flag;
}

/// Takes back the fuel compiled code left (before the host looks at the store).
pub(super) fn fuel_from_code(inner: &mut StoreInner) {
    inner.fuel = (-inner.jit.ctx.vm.fuel).max(0) as u64;
}

/// Brings the definitions compiled code reads up to date with the store's entities: memory and
/// table bases and lengths, and funcref entries for new functions.
pub(super) fn sync(inner: &mut StoreInner) {
    let jit = &mut inner.jit;
    for (i, m) in inner.memories.iter_mut().enumerate() {
        if i == jit.mem_defs.len() {
            jit.mem_defs.push(Box::new(VMMemoryDef {
                base: std::ptr::null_mut(),
                len: 0,
            }));
        }
        jit.mem_defs[i].base = m.base();
        jit.mem_defs[i].len = m.len();
    }
    for (i, t) in inner.tables.iter_mut().enumerate() {
        if i == jit.table_defs.len() {
            jit.table_defs.push(Box::new(VMTableDef {
                base: std::ptr::null_mut(),
                len: 0,
            }));
        }
        jit.table_defs[i].base = t.elements.as_mut_ptr();
        jit.table_defs[i].len = t.elements.len();
    }
    let total = inner.funcs.len();
    jit.funcrefs
        .reserve(total.saturating_sub(jit.funcrefs.len()));
    let mut i = jit.funcrefs.len();
    while i < total {
        let instance = match &inner.funcs[i] {
            FuncEntity::Wasm { instance, .. } => *instance,
            FuncEntity::Host { type_id, .. } => {
                let entry = adapted(jit, i, *type_id);
                jit.funcrefs.push(entry);
                i += 1;
                continue;
            }
        };
        // A run of functions of one instance (an instance's functions are made together): its
        // vmctx and module looked up once. A failed instantiation leaves functions
        // (unreachable: nothing exports them) of an instance that never was, whose index a
        // later instance may take; they get no code.
        let vmctx = jit
            .vmctxs
            .get_mut(instance as usize)
            .filter(|v| !v.is_empty())
            .map_or(std::ptr::null_mut(), |v| v.as_mut_ptr() as *mut u8);
        let module = inner
            .instances
            .get(instance as usize)
            .map(|inst| &inst.module)
            .filter(|_| !vmctx.is_null());
        if let Some((jm, n)) = module.and_then(|m| whole_instance_compiled(m, &inner.funcs[i..])) {
            // The usual case, a new instance of a module compiled ahead: every one of its
            // functions has code; their entries are made in one pass.
            let run = inner.funcs[i..i + n].iter().enumerate();
            jit.funcrefs.extend(run.map(|(def, f)| VMFuncRef {
                type_id: u64::from(f.type_id()),
                fn_ptr: jm.func_ptr(def),
                vmctx,
            }));
            i += n;
            continue;
        }
        while let Some(FuncEntity::Wasm {
            instance: owner,
            index,
            type_id,
        }) = inner.funcs.get(i)
        {
            if *owner != instance {
                break;
            }
            let entry = match module.and_then(|m| wasm_code(m, *index as usize)) {
                Some(fn_ptr) => VMFuncRef {
                    type_id: u64::from(*type_id),
                    fn_ptr,
                    vmctx,
                },
                // Tier-up, not compiled yet (or no vmctx yet): through the host adapter,
                // which runs it in the interpreter.
                None => adapted(jit, i, *type_id),
            };
            jit.funcrefs.push(entry);
            i += 1;
        }
    }
    jit.ctx.vm.funcrefs_base = jit.funcrefs.as_ptr();
    jit.ctx.vm.funcrefs_len = jit.funcrefs.len();
}

/// When `funcs` starts with all the defined functions of an instance of `module` in order and
/// `module` was compiled ahead (so each has code): its code, and how many they are.
fn whole_instance_compiled<'m>(
    module: &'m crate::Module,
    funcs: &[FuncEntity],
) -> Option<(&'m super::code::JitModule, usize)> {
    let jm = module.inner.jit.as_ref()?;
    let imported = module.info().num_imported_funcs;
    let n = module.info().funcs.len() - imported;
    let first = match funcs.first()? {
        FuncEntity::Wasm {
            instance, index, ..
        } if *index as usize == imported => *instance,
        _ => return None,
    };
    let in_order = funcs.get(..n)?.iter().enumerate().all(|(def, f)| {
        matches!(f, FuncEntity::Wasm { instance, index, .. }
            if *instance == first && *index as usize == imported + def)
    });
    (in_order && jm.defined_count() == n).then_some((jm, n))
}

/// The machine code of function `index` of `module`, if it has some: the module's, or
/// tier-up's.
fn wasm_code(module: &crate::Module, index: usize) -> Option<*const u8> {
    let def = index.checked_sub(module.info().num_imported_funcs)?;
    match (&module.inner.jit, &module.inner.tiered) {
        (Some(jm), _) => jm.try_func_ptr(def),
        (None, Some(t)) => t.code(def),
        (None, None) => None,
    }
}

/// Hashes a type id by one multiplication: the adapter table is looked up for every function
/// of every new instance, where SipHash cost more than the rest of the lookup.
#[derive(Default)]
struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = (self.0 ^ u64::from(id)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The funcref entry of store function `i` called through the host adapter of its type: host
/// functions, and under tier-up wasm functions not compiled yet. Without an adapter yet, it is
/// given one when a module of its type is instantiated.
fn adapted(jit: &mut JitStore, i: usize, type_id: u32) -> VMFuncRef {
    let fn_ptr = jit
        .adapters
        .get(&type_id)
        .copied()
        .unwrap_or(std::ptr::null());
    if fn_ptr.is_null() {
        jit.unadapted.push(i as u32);
    }
    VMFuncRef {
        type_id: u64::from(type_id),
        fn_ptr,
        // A host function's "vmctx" is its store index, which the adapter passes on.
        vmctx: i as *mut u8,
    }
}

/// Gives the funcref entries of host functions that had no adapter one, if a module
/// instantiated since has their type. Only instantiation adds adapters, so only it calls this
/// (not `sync`, which runs around every host call).
fn adapt_host_funcs(jit: &mut JitStore) {
    let adapters = &jit.adapters;
    let funcrefs = &mut jit.funcrefs;
    jit.unadapted.retain(|&f| {
        let e = &mut funcrefs[f as usize];
        match adapters.get(&(e.type_id as u32)) {
            Some(&a) => {
                e.fn_ptr = a;
                false
            }
            None => true,
        }
    });
}

/// Under tier-up, before `instance` runs machine code: builds its vmctx the first time, and
/// points its vmctx entries and funcref entries at the code of the functions compiled since
/// the last time.
pub(super) fn prepare_tiered(inner: &mut StoreInner, instance: u32) -> Result<()> {
    let module = inner.instances[instance as usize].module.clone();
    let Some(tiered) = &module.inner.tiered else {
        return Ok(());
    };
    let i = instance as usize;
    if inner.jit.vmctxs.get(i).is_none_or(|v| v.is_empty()) {
        instantiate(inner, instance)?;
    }
    let generation = tiered.generation();
    while inner.jit.generations.len() <= i {
        inner.jit.generations.push(0);
    }
    if inner.jit.generations[i] == generation {
        return Ok(());
    }
    inner.jit.generations[i] = generation;
    let offsets = VMOffsets::new(module.info());
    let imported = module.info().num_imported_funcs;
    let jit = &mut inner.jit;
    let vmctx_ptr = jit.vmctxs[i].as_mut_ptr() as *mut u8;
    for (f, &sf) in inner.instances[i].funcs.iter().enumerate().skip(imported) {
        let Some(code) = tiered.code(f - imported) else {
            continue;
        };
        let at = offsets.func(f as u32) as usize / 8;
        jit.vmctxs[i][at] = code as u64;
        jit.vmctxs[i][at + 1] = vmctx_ptr as u64;
        let e = &mut jit.funcrefs[sf as usize];
        e.fn_ptr = code;
        e.vmctx = vmctx_ptr;
    }
    Ok(())
}

/// Builds the vmctx of a new instance (its entities already in the store); under tier-up,
/// once its module has trampolines.
pub(crate) fn instantiate(inner: &mut StoreInner, instance: u32) -> Result<()> {
    let module = inner.instances[instance as usize].module.clone();
    let tiered = module.inner.tiered.as_ref().and_then(|t| t.trampolines());
    let jm = module
        .inner
        .jit
        .as_ref()
        .or(tiered)
        .ok_or_else(|| anyhow!("the module was not compiled for the JIT"))?;
    let info = module.info();
    inner.jit.adapters.reserve(module.inner.type_ids.len());
    for (t, &id) in module.inner.type_ids.iter().enumerate() {
        if info.types[t].as_func().is_some() {
            inner.jit.adapters.entry(id).or_insert(jm.host_adapter(t));
        }
    }
    let offsets = VMOffsets::new(info);
    while inner.jit.vmctxs.len() <= instance as usize {
        inner.jit.vmctxs.push(Box::new([]));
    }
    inner.jit.vmctxs[instance as usize] = vec![0u64; offsets.size as usize / 8].into_boxed_slice();
    super::note_debug_instance(jm, inner.jit.vmctxs[instance as usize].as_ptr());
    sync(inner);
    adapt_host_funcs(&mut inner.jit);
    let inst = &inner.instances[instance as usize];
    let jit = &mut inner.jit;
    let store_ctx = &mut jit.ctx.vm as *mut VMStoreContext as u64;
    // Written in place, word by word (offsets are in bytes).
    let vmctx = &mut jit.vmctxs[instance as usize];
    let mut set = |at: u32, word: u64| vmctx[at as usize / 8] = word;
    set(VMCTX_STORE, store_ctx);
    set(VMCTX_BUILTINS, super::builtins::table() as u64);
    set(VMCTX_INSTANCE, u64::from(instance));
    for (i, &m) in inst.memories.iter().enumerate() {
        set(
            offsets.memory(i as u32),
            &mut *jit.mem_defs[m as usize] as *mut VMMemoryDef as u64,
        );
    }
    for (i, &g) in inst.globals.iter().enumerate() {
        set(
            offsets.global(i as u32),
            inner.globals[g as usize].value.as_mut_ptr() as u64,
        );
    }
    for (i, &t) in inst.tables.iter().enumerate() {
        set(
            offsets.table(i as u32),
            &mut *jit.table_defs[t as usize] as *mut VMTableDef as u64,
        );
    }
    for (t, &id) in module.inner.type_ids.iter().enumerate() {
        set(offsets.type_id(t as u32), u64::from(id));
    }
    // The function entries lie end to end, a `VMFunc` each.
    let words = VMFUNC_SIZE as usize / 8;
    let start = offsets.func(0) as usize / 8;
    let entries = vmctx[start..start + words * inst.funcs.len()].chunks_exact_mut(words);
    for ((entry, &f), &ty) in entries.zip(&inst.funcs).zip(&info.funcs) {
        let e = &jit.funcrefs[f as usize];
        let fn_ptr = if e.fn_ptr.is_null() {
            jm.host_adapter(ty as usize)
        } else {
            e.fn_ptr
        };
        let func = VMFunc {
            fn_ptr,
            vmctx: e.vmctx,
            store_index: u64::from(f),
        };
        entry.copy_from_slice(&[func.fn_ptr as u64, func.vmctx as u64, func.store_index]);
    }
    Ok(())
}
