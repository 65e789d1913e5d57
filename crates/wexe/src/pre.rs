//! [`InstancePre`]: a module whose imports are resolved and whose memories' initial contents are
//! computed once ([`crate::Linker::instantiate_pre`]), so that making an instance of it — in any
//! number of stores, one after another or at once — does only what must be per instance.
//!
//! What is shared: the compiled code or bytecode (the [`Module`]), the linker's definitions, and
//! one [`MemoryImage`] per defined memory whose active data segments all have constant offsets
//! within its initial size. Each instance maps the image copy-on-write (a memfd mapped private),
//! so the segments are never copied and only the pages it writes become its own; with
//! [`crate::Config::memory_pool`], the reservations themselves are reused. Tables, globals and
//! everything else are made per instance by the one instantiation (`instance::instantiate_with`),
//! so an instance starts exactly as [`crate::Instance::new`] would make it, and nothing one
//! instance does is seen by another.

use std::sync::Arc;

use anyhow::Result;
use wexe_environ::{DataKind, ModuleInfo};

use crate::instance::{Instance, eval_ops, instantiate_with};
use crate::linker::Definition;
use crate::module::Module;
use crate::store::AsContextMut;
use crate::vm::MemoryImage;
use crate::{Extern, Func};

/// The initial contents of a module's defined memories, by defined memory index; `None` for a
/// memory whose segments must be applied at instantiation (offsets read from imported globals,
/// a segment out of bounds, or no segments at all).
pub(crate) struct MemoryImages(Vec<Option<Arc<MemoryImage>>>);

impl MemoryImages {
    /// The image of defined memory `defined`, if it has one.
    pub fn get(&self, defined: usize) -> Option<&Arc<MemoryImage>> {
        self.0.get(defined)?.as_ref()
    }

    /// Computes the images of `module`'s defined memories.
    pub fn of(module: &Module) -> MemoryImages {
        let info = module.info();
        let defined = info.num_imported_memories..info.memories.len();
        MemoryImages(defined.map(|m| image_of(module, info, m)).collect())
    }
}

/// Memory `memory`'s image: its active segments applied in order to zeros, up to the last byte
/// they write.
fn image_of(module: &Module, info: &ModuleInfo, memory: usize) -> Option<Arc<MemoryImage>> {
    let ty = info.memories[memory];
    // Byte-sized pages may end a memory inside a host page, which an image could not map.
    if ty.page_size_log2 != 16 {
        return None;
    }
    let size = usize::try_from(ty.minimum.checked_shl(16)?).ok()?;
    let mut bytes = Vec::new();
    for seg in &info.data {
        let DataKind::Active { memory: m, offset } = &seg.kind else {
            continue;
        };
        if *m as usize != memory {
            continue;
        }
        let offset = eval_ops(offset, |_| None, |_| None)?[0];
        let offset = if ty.memory64 {
            offset
        } else {
            offset as u32 as u64
        };
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(seg.bytes.len())?;
        if end > size {
            return None;
        }
        if end > bytes.len() {
            bytes.resize(end, 0);
        }
        bytes[start..end].copy_from_slice(&module.inner.bytes[seg.bytes.clone()]);
    }
    (!bytes.is_empty()).then(|| Arc::new(MemoryImage::new(bytes)))
}

/// A module ready to be instantiated quickly in stores of data type `T`: made by
/// [`crate::Linker::instantiate_pre`]; cheap to clone, and shareable between threads.
pub struct InstancePre<T> {
    module: Module,
    /// The imports, each host function with its engine type id (registered once here, not in
    /// every instantiation: a registry look-up hashes the type under the engine's lock).
    imports: Arc<[(Definition<T>, u32)]>,
    images: Arc<MemoryImages>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            module: self.module.clone(),
            imports: self.imports.clone(),
            images: self.images.clone(),
        }
    }
}

impl<T: 'static> InstancePre<T> {
    pub(crate) fn new(module: &Module, imports: Vec<Definition<T>>) -> InstancePre<T> {
        InstancePre {
            module: module.clone(),
            imports: imports
                .into_iter()
                .map(|d| {
                    let id = match &d {
                        Definition::Host(ty, _) => module.engine().type_id(ty),
                        Definition::Extern(_) => 0,
                    };
                    (d, id)
                })
                .collect(),
            images: Arc::new(MemoryImages::of(module)),
        }
    }

    /// The module this instantiates.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// A new instance in `store`, with its start function run: the same instance
    /// [`crate::Linker::instantiate`] would make, sooner. An import the linker defined as an
    /// entity of a store may only be used with that store.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let store = store.as_context_mut().0;
        // Room for the host functions and the module's own at once.
        let funcs = self.imports.len() + self.module.info().funcs.len();
        store.inner.funcs.reserve(funcs);
        let imports: Vec<_> = self
            .imports
            .iter()
            .map(|(d, type_id)| match d {
                Definition::Host(ty, f) => Extern::Func(Func::from_host_registered(
                    store,
                    ty.clone(),
                    *type_id,
                    f.clone(),
                )),
                Definition::Extern(e) => *e,
            })
            .collect();
        instantiate_with(store, &self.module, &imports, Some(&self.images))
    }
}
