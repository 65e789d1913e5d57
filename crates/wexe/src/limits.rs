//! [`ResourceLimiter`]: the hook a store consults before any of its linear memories or tables is
//! created or grows, and before an instance is made; [`StoreLimits`] (built with
//! [`StoreLimitsBuilder`]) is the ready-made limiter, with per-memory and per-table limits, counts,
//! and wexe's store-wide account: one byte budget for all memories and tables of the store.
//!
//! The store calls the hook from one place (`store/grow.rs`), whichever tier runs the code and
//! whether the growth comes from `memory.grow`, `table.grow`, the host API or instantiation.

use anyhow::Result;

use crate::Trap;

/// The host bytes one table element takes: every table of both tiers is an array of 64-bit
/// reference cells (compiled code reads that same array; no per-element side structure exists).
pub const TABLE_ELEMENT_BYTES: usize = std::mem::size_of::<u64>();

/// How many instances a store may hold when the limiter does not say.
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// How many tables a store may hold when the limiter does not say.
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// How many linear memories a store may hold when the limiter does not say.
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// Decides whether a store's memories and tables may be created or grow, and how many instances,
/// tables and memories the store may hold. Installed with [`crate::Store::limiter`].
///
/// A memory or table being created is asked about as growth from 0 to its initial size; a
/// refusal (or an error) then fails the instantiation, or [`crate::Memory::new`] /
/// [`crate::Table::new`]. At run time, `Ok(false)` makes `memory.grow`/`table.grow` return -1
/// (and [`crate::Memory::grow`]/[`crate::Table::grow`] return an error); `Err` ends the running
/// call with that error — a trap with a backtrace when the error holds a [`Trap`]. Growth by
/// zero allocates nothing and is not asked about.
pub trait ResourceLimiter {
    /// Whether a linear memory may grow from `current` to `desired` bytes; `maximum` is its
    /// declared maximum in bytes, if it has one.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Called when a growth this limiter allowed failed all the same (past the memory's own
    /// maximum, or the allocation failed). `Err` ends the running call with that error.
    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        let _ = error;
        Ok(())
    }

    /// Whether a table may grow from `current` to `desired` elements; `maximum` is its declared
    /// maximum in elements, if it has one. Each element takes [`TABLE_ELEMENT_BYTES`].
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Called when a table growth this limiter allowed failed all the same.
    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        let _ = error;
        Ok(())
    }

    /// The most instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// The most tables the store may hold (defined by instances or made by the host).
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// The most linear memories the store may hold (defined by instances or made by the host).
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// A [`ResourceLimiter`] with fixed limits, made by [`StoreLimitsBuilder`]. Besides the
/// per-memory and per-table limits it keeps the store's account: the bytes that all memories
/// and tables it allowed take together (a table element counts [`TABLE_ELEMENT_BYTES`]), held
/// under [`StoreLimitsBuilder::total_bytes`]. Use one `StoreLimits` per store.
///
/// ```
/// use wexe::{Engine, Instance, Module, Store, StoreLimits, StoreLimitsBuilder};
///
/// # fn main() -> anyhow::Result<()> {
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"
///     (module (table 0 externref)
///       (func (export "grow") (result i32)
///         (table.grow (ref.null extern) (i32.const 1000000))))
/// "#)?;
/// let limits = StoreLimitsBuilder::new().total_bytes(1 << 20).build();
/// let mut store = Store::new(&engine, limits);
/// store.limiter(|limits: &mut StoreLimits| limits);
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let grow = instance.get_typed_func::<(), i32>(&mut store, "grow")?;
/// // A million elements take 8 MB: more than the store's 1 MiB.
/// assert_eq!(grow.call(&mut store, ())?, -1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    total_bytes: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
    /// Bytes allowed so far, over all memories and tables.
    used: usize,
    /// The bytes the last allowed growth added, given back if that growth fails.
    last_growth: usize,
}

impl Default for StoreLimits {
    fn default() -> StoreLimits {
        StoreLimitsBuilder::new().build()
    }
}

impl StoreLimits {
    /// The bytes of memories and tables this limiter has allowed so far (the store's account).
    pub fn bytes_used(&self) -> usize {
        self.used
    }

    /// Counts `bytes` more against the total, unless that passes it.
    fn take(&mut self, bytes: usize) -> bool {
        let new = self.used.saturating_add(bytes);
        if self.total_bytes.is_some_and(|total| new > total) {
            self.last_growth = 0;
            return false;
        }
        self.used = new;
        self.last_growth = bytes;
        true
    }

    /// Gives back what the last allowed growth took.
    fn give_back(&mut self) {
        self.used -= self.last_growth;
        self.last_growth = 0;
    }

    /// The answer to a growth request: refused growth is `Ok(false)`, or a trap when
    /// `trap_on_grow_failure` is set.
    fn answer(&self, allowed: bool, what: &str, desired: usize) -> Result<bool> {
        if allowed {
            return Ok(true);
        }
        if self.trap_on_grow_failure {
            return Err(
                anyhow::Error::new(Trap::ResourceLimitExceeded).context(format!(
                    "growing a {what} to {desired} exceeds the store's limits"
                )),
            );
        }
        Ok(false)
    }

    fn failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.give_back();
        if self.trap_on_grow_failure {
            // The trap is the root cause, so that walking the error's chain finds it.
            return Err(
                anyhow::Error::new(Trap::ResourceLimitExceeded).context(format!("{error:#}"))
            );
        }
        Ok(())
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        let allowed = self.memory_size.is_none_or(|limit| desired <= limit)
            && self.take(desired.saturating_sub(current));
        self.answer(allowed, "memory", desired)
    }

    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        let bytes = desired
            .saturating_sub(current)
            .saturating_mul(TABLE_ELEMENT_BYTES);
        let allowed = self.table_elements.is_none_or(|limit| desired <= limit) && self.take(bytes);
        self.answer(allowed, "table", desired)
    }

    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.failed(error)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// Builds a [`StoreLimits`]; every limit is off (or the default count) until set.
#[derive(Clone, Debug)]
pub struct StoreLimitsBuilder(StoreLimits);

impl Default for StoreLimitsBuilder {
    fn default() -> StoreLimitsBuilder {
        StoreLimitsBuilder::new()
    }
}

impl StoreLimitsBuilder {
    /// No byte or element limits, the default counts, refusals as -1.
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder(StoreLimits {
            memory_size: None,
            table_elements: None,
            total_bytes: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
            used: 0,
            last_growth: 0,
        })
    }

    /// The largest size in bytes any one linear memory may reach.
    pub fn memory_size(mut self, bytes: usize) -> StoreLimitsBuilder {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any one table may hold.
    pub fn table_elements(mut self, elements: usize) -> StoreLimitsBuilder {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most bytes all linear memories and tables of the store may take together, every
    /// instance's and the host's; a table element counts [`TABLE_ELEMENT_BYTES`].
    pub fn total_bytes(mut self, bytes: usize) -> StoreLimitsBuilder {
        self.0.total_bytes = Some(bytes);
        self
    }

    /// The most instances the store may hold.
    pub fn instances(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.instances = n;
        self
    }

    /// The most tables the store may hold.
    pub fn tables(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.tables = n;
        self
    }

    /// The most linear memories the store may hold.
    pub fn memories(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.memories = n;
        self
    }

    /// Whether a refused or failed growth traps ([`Trap::ResourceLimitExceeded`]) instead of
    /// making `memory.grow`/`table.grow` return -1.
    pub fn trap_on_grow_failure(mut self, trap: bool) -> StoreLimitsBuilder {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limiter.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}
