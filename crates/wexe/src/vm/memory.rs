//! [`LinearMemory`]: a WebAssembly linear memory, a byte buffer that grows in 64 KiB pages up to
//! the smaller of its declared maximum and the engine's memory limit.

use wexe_environ::MemoryType;

/// The size of a WebAssembly page.
pub(crate) const WASM_PAGE_SIZE: u64 = 65536;

/// A linear memory. Its bytes live in one heap allocation; growing may move it, so the tiers
/// re-read [`LinearMemory::base`] after anything that can grow memory.
pub(crate) struct LinearMemory {
    pub ty: MemoryType,
    bytes: Vec<u8>,
    /// The most pages this memory may reach.
    max_pages: u64,
}

impl LinearMemory {
    /// Whether memories are reserved with guard regions, so that compiled code may omit bounds
    /// checks.
    pub fn guarded() -> bool {
        false
    }

    /// A memory of `ty.minimum` zeroed pages; `None` when that exceeds `limit_bytes` or cannot
    /// be allocated.
    pub fn new(ty: MemoryType, limit_bytes: u64) -> Option<LinearMemory> {
        let spec_max = 65536;
        let limit_pages = limit_bytes / WASM_PAGE_SIZE;
        let max_pages = ty
            .maximum
            .unwrap_or(spec_max)
            .min(spec_max)
            .min(limit_pages);
        if ty.minimum > max_pages {
            return None;
        }
        let len = usize::try_from(ty.minimum * WASM_PAGE_SIZE).ok()?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).ok()?;
        bytes.resize(len, 0);
        Some(LinearMemory {
            ty,
            bytes,
            max_pages,
        })
    }

    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.bytes.len() as u64 / WASM_PAGE_SIZE
    }

    /// Grows by `delta` pages; the old size in pages, or `None` when it may not or cannot grow.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_len = usize::try_from(new * WASM_PAGE_SIZE).ok()?;
        self.bytes
            .try_reserve_exact(new_len - self.bytes.len())
            .ok()?;
        self.bytes.resize(new_len, 0);
        Some(old)
    }

    pub fn data(&self) -> &[u8] {
        &self.bytes
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The base address, for the execution tiers' fast path.
    pub fn base(&mut self) -> *mut u8 {
        self.bytes.as_mut_ptr()
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}
