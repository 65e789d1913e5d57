//! The store entities a module can import and export: [`Extern`] over [`Memory`], [`Table`] and
//! [`Global`] (and [`Func`], defined in `func.rs`).

use anyhow::{Result, anyhow, bail};
use wexe_environ::{GlobalType, MemoryType, Mutability, TableType};

use crate::ExternType;
use crate::func::Func;
use crate::store::{AsContext, AsContextMut, GlobalEntity, StoreContext, StoreContextMut};
use crate::values::Val;
use crate::vm::LinearMemory;

/// Any importable or exportable entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extern {
    Func(Func),
    Memory(Memory),
    Table(Table),
    Global(Global),
    Tag(crate::Tag),
}

impl Extern {
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }

    pub fn into_tag(self) -> Option<crate::Tag> {
        if let Extern::Tag(t) = self {
            Some(t)
        } else {
            None
        }
    }

    /// The entity's type.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty(store)),
            Extern::Memory(m) => ExternType::Memory(m.ty(store)),
            Extern::Table(t) => ExternType::Table(t.ty(store)),
            Extern::Global(g) => ExternType::Global(g.ty(store)),
            Extern::Tag(t) => ExternType::Tag(t.ty(store).ty().clone()),
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<crate::Tag> for Extern {
    fn from(t: crate::Tag) -> Extern {
        Extern::Tag(t)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

/// An error from [`Memory::read`] or [`Memory::write`]: the range is out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryAccessError;

impl std::fmt::Display for MemoryAccessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of bounds memory access")
    }
}

impl std::error::Error for MemoryAccessError {}

/// A linear memory of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Memory {
    /// A new memory of `ty.minimum` zeroed pages; counted by the store's resource limiter.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let store = store.as_context_mut().0;
        let index = crate::store::new_memory(store, ty, None)?;
        Ok(Memory {
            store_id: store.inner.id,
            index,
        })
    }

    fn get<'a>(&self, store: &'a crate::store::StoreInner) -> &'a LinearMemory {
        store.check(self.store_id);
        &store.memories[self.index as usize]
    }

    /// The memory's type (its minimum is the current size).
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let m = self.get(&store.as_context().0.inner);
        MemoryType {
            minimum: m.pages(),
            ..m.ty
        }
    }

    /// The size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.get(&store.as_context().0.inner).pages()
    }

    /// The size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.get(&store.as_context().0.inner).len()
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'static>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        self.get(&store.into().0.inner).data()
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'static>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> &'a mut [u8] {
        let inner = &mut store.into().0.inner;
        inner.check(self.store_id);
        inner.memories[self.index as usize].data_mut()
    }

    /// Copies `buf.len()` bytes from `offset` into `buf`.
    pub fn read(
        &self,
        store: impl AsContext,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<(), MemoryAccessError> {
        let data = self.get(&store.as_context().0.inner).data();
        let end = offset.checked_add(buf.len()).ok_or(MemoryAccessError)?;
        buf.copy_from_slice(data.get(offset..end).ok_or(MemoryAccessError)?);
        Ok(())
    }

    /// Copies `buf` into memory at `offset`.
    pub fn write(
        &self,
        mut store: impl AsContextMut,
        offset: usize,
        buf: &[u8],
    ) -> Result<(), MemoryAccessError> {
        let inner = &mut store.as_context_mut().0.inner;
        inner.check(self.store_id);
        let data = inner.memories[self.index as usize].data_mut();
        let end = offset.checked_add(buf.len()).ok_or(MemoryAccessError)?;
        data.get_mut(offset..end)
            .ok_or(MemoryAccessError)?
            .copy_from_slice(buf);
        Ok(())
    }

    /// Grows by `delta` pages and returns the old size in pages; an error when the memory may
    /// not grow so far or the store's resource limiter refuses.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let store = store.as_context_mut().0;
        store.inner.check(self.store_id);
        crate::store::grow_memory(store, self.index, delta)?
            .ok_or_else(|| anyhow!("failed to grow memory by {delta} pages"))
    }
}

/// A table of references of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Table {
    /// A new table of `ty.minimum` elements, each set to `init`; counted by the store's
    /// resource limiter.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let inner = &mut store.as_context_mut().0.inner;
        if !init.matches_ty(ty.element, inner) {
            bail!(
                "table initial value has type {}, expected {}",
                init.ty(),
                ty.element
            );
        }
        let cell = init.to_cells(inner)[0];
        let store = store.as_context_mut().0;
        let index = crate::store::new_table(store, ty, cell)?;
        Ok(Table {
            store_id: store.inner.id,
            index,
        })
    }

    /// The table's type (its minimum is the current size).
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        let t = &inner.tables[self.index as usize];
        TableType {
            minimum: t.elements.len() as u64,
            ..t.ty
        }
    }

    /// The number of elements.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.ty(store).minimum
    }

    /// The element at `index`, or `None` when out of bounds.
    pub fn get(&self, store: impl AsContext, index: u64) -> Option<Val> {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        let t = &inner.tables[self.index as usize];
        let cell = *t.elements.get(usize::try_from(index).ok()?)?;
        Some(Val::from_cells(t.ty.element, [cell, 0], inner))
    }

    /// Sets the element at `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, val: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        inner.check(self.store_id);
        let ty = inner.tables[self.index as usize].ty.element;
        if !val.matches_ty(ty, inner) {
            bail!("value of type {} stored in a table of {ty}", val.ty());
        }
        let cell = val.to_cells(inner)[0];
        let t = &mut inner.tables[self.index as usize];
        *usize::try_from(index)
            .ok()
            .and_then(|i| t.elements.get_mut(i))
            .ok_or_else(|| anyhow!("table index {index} out of bounds"))? = cell;
        Ok(())
    }

    /// Grows by `delta` elements set to `init`; returns the old size. An error when the table
    /// may not grow so far or the store's resource limiter refuses.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let store = store.as_context_mut().0;
        store.inner.check(self.store_id);
        let ty = store.inner.tables[self.index as usize].ty.element;
        if !init.matches_ty(ty, &store.inner) {
            bail!("value of type {} stored in a table of {ty}", init.ty());
        }
        let cell = init.to_cells(&store.inner)[0];
        crate::store::grow_table(store, self.index, delta, cell)?
            .ok_or_else(|| anyhow!("failed to grow table by {delta}"))
    }
}

/// A global variable of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Global {
    /// A new global of type `ty` holding `val`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global> {
        let inner = &mut store.as_context_mut().0.inner;
        if !val.matches_ty(ty.content, inner) {
            bail!(
                "global value has type {}, expected {}",
                val.ty(),
                ty.content
            );
        }
        let value = val.to_cells(inner);
        inner.globals.push(Box::new(GlobalEntity { ty, value }));
        Ok(Global {
            store_id: inner.id,
            index: (inner.globals.len() - 1) as u32,
        })
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        inner.globals[self.index as usize].ty
    }

    /// The current value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        let g = &inner.globals[self.index as usize];
        Val::from_cells(g.ty.content, g.value, inner)
    }

    /// Sets the value of a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        inner.check(self.store_id);
        let ty = inner.globals[self.index as usize].ty;
        if ty.mutability != Mutability::Var {
            bail!("cannot set an immutable global");
        }
        if !val.matches_ty(ty.content, inner) {
            bail!(
                "value of type {} stored in a global of {}",
                val.ty(),
                ty.content
            );
        }
        let cells = val.to_cells(inner);
        inner.globals[self.index as usize].value = cells;
        Ok(())
    }
}
