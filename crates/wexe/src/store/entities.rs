//! The entities a store owns, addressed by index from the public handles.

use wexe_environ::{GlobalType, TableType};

use crate::module::Module;

/// A function: defined by a wasm instance, or by the host (`host` indexes the store's host
/// functions and [`crate::store::StoreInner::host_types`]). Plain indices, so that an instance
/// of thousands of functions makes and drops them cheaply; the signature is
/// [`crate::store::StoreInner::func_type`].
#[derive(Clone, Copy)]
pub(crate) enum FuncEntity {
    Wasm {
        instance: u32,
        index: u32,
        type_id: u32,
    },
    Host {
        host: u32,
        type_id: u32,
    },
}

impl FuncEntity {
    pub fn type_id(&self) -> u32 {
        match self {
            FuncEntity::Wasm { type_id, .. } | FuncEntity::Host { type_id, .. } => *type_id,
        }
    }
}

/// A global's type and value. A value is stored as its raw bits: two 64-bit cells so that a
/// v128 fits; scalar values use the first.
pub(crate) struct GlobalEntity {
    pub ty: GlobalType,
    pub value: [u64; 2],
}

/// A table: its type and elements as raw reference cells (0 is null).
pub(crate) struct TableEntity {
    pub ty: TableType,
    pub elements: Vec<u64>,
}

/// An instantiated module: its index spaces mapped to store entities, and its segment state.
pub(crate) struct InstanceEntity {
    pub module: Module,
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
    /// Store tag indices of its tags.
    pub tags: Vec<u32>,
    /// The store index of the memory exported as `memory`, if any (`Caller::exported_memory`).
    pub exported_memory: Option<u32>,
    /// Where each of `globals` keeps its value (the interpreter reads globals through these).
    pub global_values: GlobalValues,
    /// Element segments as reference cells; emptied by `elem.drop` and after active init.
    pub elems: Vec<Vec<u64>>,
    /// Whether each data segment was dropped (by `data.drop` or after active init).
    pub data_dropped: Vec<bool>,
}

/// Pointers to the values of an instance's globals, in its global index space.
#[derive(Default)]
pub(crate) struct GlobalValues(pub Vec<*mut u64>);

// SAFETY: the pointers point into the store's boxed `GlobalEntity`s, which never move and live
// as long as the store; they are only dereferenced by the thread calling into the store.
unsafe impl Send for GlobalValues {}
// SAFETY: as above; shared references never dereference them.
unsafe impl Sync for GlobalValues {}
