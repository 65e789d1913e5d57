//! The one place where a store's linear memories and tables are created and grow. Both tiers'
//! `memory.grow`/`table.grow` (interpreter handlers, JIT builtins), the host API
//! ([`crate::Memory::new`], [`crate::Memory::grow`], [`crate::Table::new`],
//! [`crate::Table::grow`]) and instantiation call these functions, which consult the store's
//! [`ResourceLimiter`] (when one is installed with [`Store::limiter`]) before allocating and tell
//! it when an allowed growth failed, so that its account stays true.
//!
//! A growth refused by the limiter is `Ok(None)` (`memory.grow`/`table.grow` give -1); an error
//! from the limiter is `Err`, which ends the running call.

use anyhow::{Result, anyhow, bail};
use wexe_environ::{MemoryType, TableType};

use super::{Store, StoreInner, StoreOps, TableEntity};
use crate::limits::{ResourceLimiter, TABLE_ELEMENT_BYTES};
use crate::vm::{LinearMemory, MemoryImage, MemorySource};

/// The most elements any table may hold, whatever its type allows: a table's elements are one
/// host array (of [`TABLE_ELEMENT_BYTES`] each), so this bounds what one table costs without a
/// limiter (80 MB). Keeps every table size below the JIT's "grow trapped" result
/// (`wexe_environ::vmoffsets::GROW_TRAPPED`).
pub(crate) const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

// The account counts a table element as one reference cell.
const _: () = assert!(TABLE_ELEMENT_BYTES == size_of::<u64>());
const _: () = assert!(MAX_TABLE_ELEMENTS < wexe_environ::vmoffsets::GROW_TRAPPED);

/// What a store's limiter closure is: it lends the limiter out of the host data.
pub(crate) type LimiterFn<T> =
    Box<dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static>;

impl<T: 'static> Store<T> {
    /// Installs the store's resource limiter: `limiter` lends it from the host data whenever a
    /// memory or table is created or grows, and when an instance is made, in both tiers and for
    /// the host API alike (see [`ResourceLimiter`]). Without one, memories and tables are
    /// bounded only by their types, [`crate::Config::max_memory_size`] and 10 million elements
    /// per table.
    pub fn limiter(
        &mut self,
        limiter: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static,
    ) {
        self.limiter = Some(Box::new(limiter));
    }

    /// The store's entities and its limiter, borrowed together.
    pub(crate) fn limited_parts(&mut self) -> (&mut StoreInner, Option<&mut dyn ResourceLimiter>) {
        let limiter = match &mut self.limiter {
            Some(f) => Some(f(&mut self.data)),
            None => None,
        };
        (&mut self.inner, limiter)
    }
}

/// The bytes of `pages` pages of a memory of type `ty` (saturating).
fn bytes(ty: &MemoryType, pages: u64) -> usize {
    let b = pages
        .checked_shl(ty.page_size_log2.into())
        .filter(|b| b >> ty.page_size_log2 == pages);
    usize::try_from(b.unwrap_or(u64::MAX)).unwrap_or(usize::MAX)
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Fails unless the store may hold `instances`, `tables` and `memories` more entities.
pub(crate) fn check_counts(
    store: &mut dyn StoreOps,
    instances: usize,
    tables: usize,
    memories: usize,
) -> Result<()> {
    let (inner, Some(limiter)) = store.limited() else {
        return Ok(());
    };
    let counts = [
        (
            "instances",
            inner.instances.len(),
            instances,
            limiter.instances(),
        ),
        ("tables", inner.tables.len(), tables, limiter.tables()),
        (
            "memories",
            inner.memories.len(),
            memories,
            limiter.memories(),
        ),
    ];
    for (what, have, more, limit) in counts {
        if more > 0 && have.saturating_add(more) > limit {
            bail!("the store's resource limiter allows at most {limit} {what} ({have} exist)");
        }
    }
    Ok(())
}

/// Creates a linear memory of `ty.minimum` pages, zeroed but for `image` (a pre-instantiated
/// module's initial contents, see `crate::pre`); its store index.
pub(crate) fn new_memory(
    store: &mut dyn StoreOps,
    ty: MemoryType,
    image: Option<&MemoryImage>,
) -> Result<u32> {
    check_counts(store, 0, 0, 1)?;
    let (inner, mut limiter) = store.limited();
    let size = bytes(&ty, ty.minimum);
    if let Some(l) = limiter.as_deref_mut()
        && !l.memory_growing(0, size, ty.maximum.map(|m| bytes(&ty, m)))?
    {
        bail!(
            "a memory of {} pages ({size} bytes) exceeds the store's resource limits",
            ty.minimum
        );
    }
    let limit = inner.engine.config().max_memory_size;
    let pool = inner.engine.inner.memory_pool.as_ref();
    let Some(mem) = LinearMemory::new(ty, limit, MemorySource { image, pool }) else {
        let message = format!("cannot allocate a memory of {} pages", ty.minimum);
        if let Some(l) = limiter {
            l.memory_grow_failed(anyhow!("{message}"))?;
        }
        bail!("{message}");
    };
    inner.memories.push(mem);
    Ok((inner.memories.len() - 1) as u32)
}

/// Grows memory `memory` (a store index) by `delta` pages: the old size in pages, or `None`
/// when refused or impossible.
pub(crate) fn grow_memory(
    store: &mut dyn StoreOps,
    memory: u32,
    delta: u64,
) -> Result<Option<u64>> {
    let (inner, mut limiter) = store.limited();
    let mem = &mut inner.memories[memory as usize];
    let old = mem.pages();
    if delta == 0 {
        return Ok(Some(old));
    }
    if let Some(l) = limiter.as_deref_mut() {
        let ty = mem.ty;
        let desired = bytes(&ty, old.saturating_add(delta));
        let maximum = ty.maximum.map(|m| bytes(&ty, m));
        if !l.memory_growing(bytes(&ty, old), desired, maximum)? {
            return Ok(None);
        }
    }
    let grown = mem.grow(delta);
    if grown.is_none()
        && let Some(l) = limiter
    {
        l.memory_grow_failed(anyhow!("a memory of {old} pages cannot grow by {delta}"))?;
    }
    Ok(grown)
}

/// A table's elements: `n` copies of `init`, allocated fallibly and exactly (so that the
/// account is the host's real cost); `None` past [`MAX_TABLE_ELEMENTS`].
fn elements(n: u64, init: u64) -> Option<Vec<u64>> {
    if n > MAX_TABLE_ELEMENTS {
        return None;
    }
    let n = usize::try_from(n).ok()?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, init);
    Some(v)
}

/// Creates a table of type `ty` with `ty.minimum` elements set to `init`; its store index.
pub(crate) fn new_table(store: &mut dyn StoreOps, ty: TableType, init: u64) -> Result<u32> {
    check_counts(store, 0, 1, 0)?;
    let (inner, mut limiter) = store.limited();
    if let Some(l) = limiter.as_deref_mut() {
        let max = ty.maximum.map(to_usize);
        if !l.table_growing(0, to_usize(ty.minimum), max)? {
            bail!(
                "a table of {} elements exceeds the store's resource limits",
                ty.minimum
            );
        }
    }
    let Some(elements) = elements(ty.minimum, init) else {
        let message = format!(
            "cannot allocate a table of {} elements (a table holds at most {MAX_TABLE_ELEMENTS})",
            ty.minimum
        );
        if let Some(l) = limiter {
            l.table_grow_failed(anyhow!("{message}"))?;
        }
        bail!("{message}");
    };
    inner.tables.push(TableEntity { ty, elements });
    Ok((inner.tables.len() - 1) as u32)
}

/// Grows table `table` (a store index) by `delta` elements set to `init`: the old size, or
/// `None` when refused or impossible (past its maximum or [`MAX_TABLE_ELEMENTS`]).
pub(crate) fn grow_table(
    store: &mut dyn StoreOps,
    table: u32,
    delta: u64,
    init: u64,
) -> Result<Option<u64>> {
    let (inner, mut limiter) = store.limited();
    let t = &mut inner.tables[table as usize];
    let old = t.elements.len() as u64;
    if delta == 0 {
        return Ok(Some(old));
    }
    if let Some(l) = limiter.as_deref_mut() {
        let desired = to_usize(old.saturating_add(delta));
        if !l.table_growing(to_usize(old), desired, t.ty.maximum.map(to_usize))? {
            return Ok(None);
        }
    }
    let grown = grow_elements(t, delta, init);
    if grown.is_none()
        && let Some(l) = limiter
    {
        l.table_grow_failed(anyhow!("a table of {old} elements cannot grow by {delta}"))?;
    }
    Ok(grown)
}

fn grow_elements(t: &mut TableEntity, delta: u64, init: u64) -> Option<u64> {
    let old = t.elements.len() as u64;
    let new = old.checked_add(delta)?;
    let by_index = if t.ty.table64 {
        u64::MAX
    } else {
        u32::MAX.into()
    };
    if new > t.ty.maximum.unwrap_or(by_index) || new > MAX_TABLE_ELEMENTS {
        return None;
    }
    t.elements.try_reserve_exact(delta as usize).ok()?;
    t.elements.resize(new as usize, init);
    Some(old)
}
