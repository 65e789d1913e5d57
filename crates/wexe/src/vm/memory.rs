//! [`LinearMemory`]: a WebAssembly linear memory, a byte buffer that grows in 64 KiB pages up to
//! the smaller of its declared maximum and the engine's memory limit.
//!
//! Where the process may reserve address space, a memory is one reservation of 8 GiB plus a
//! guard region ([`RESERVATION`]), inaccessible except for its current pages: every address a
//! 32-bit wasm access can form (index + offset + size) lies inside it, so compiled code needs no
//! bounds checks (an access past the end faults and the trap handler reports it), and the base
//! never moves. Where the reservation is refused (for example under `ulimit -v`), memories are
//! heap buffers that may move when they grow, and compiled code checks every access.

use std::sync::OnceLock;

use wexe_environ::MemoryType;

/// The size of a WebAssembly page.
pub(crate) const WASM_PAGE_SIZE: u64 = 65536;

/// Address space reserved per memory: 4 GiB of indices, 4 GiB of static offsets, and a page
/// for the access size.
const RESERVATION: usize = (8 << 30) + (64 << 10);

enum Storage {
    /// A reservation of [`RESERVATION`] bytes; the first `len` are read+write.
    Mapped {
        ptr: *mut u8,
        len: usize,
    },
    Heap(Vec<u8>),
}

/// A linear memory. With a heap buffer growing may move it, so the tiers re-read
/// [`LinearMemory::base`] after anything that can grow memory.
pub(crate) struct LinearMemory {
    pub ty: MemoryType,
    storage: Storage,
    /// The most pages this memory may reach.
    max_pages: u64,
}

// SAFETY: the mapping is owned by this value alone, like the Vec of the heap variant.
unsafe impl Send for LinearMemory {}
// SAFETY: shared references only read.
unsafe impl Sync for LinearMemory {}

fn reserve() -> Option<*mut u8> {
    // SAFETY: a fresh inaccessible anonymous mapping; checked for failure.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            RESERVATION,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    (ptr != libc::MAP_FAILED).then_some(ptr as *mut u8)
}

/// Makes bytes `from..to` of a reservation read+write.
fn commit(ptr: *mut u8, from: usize, to: usize) -> bool {
    if from == to {
        return true;
    }
    // SAFETY: `from..to` lies within the reservation starting at `ptr` (to <= 4 GiB), and page
    // aligned since both are multiples of the wasm page size.
    unsafe {
        libc::mprotect(
            ptr.add(from) as *mut libc::c_void,
            to - from,
            libc::PROT_READ | libc::PROT_WRITE,
        ) == 0
    }
}

impl LinearMemory {
    /// Whether memories are reserved with guard regions, so that compiled code may omit bounds
    /// checks. Decided once per process by trying a reservation.
    pub fn guarded() -> bool {
        static GUARDED: OnceLock<bool> = OnceLock::new();
        *GUARDED.get_or_init(|| match reserve() {
            Some(ptr) => {
                // SAFETY: unmapping the probe reservation just made.
                unsafe { libc::munmap(ptr as *mut libc::c_void, RESERVATION) };
                true
            }
            None => false,
        })
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
        let storage = if Self::guarded() {
            // Compiled code relies on the guard region: no heap fallback here.
            let ptr = reserve()?;
            if !commit(ptr, 0, len) {
                // SAFETY: unmapping the reservation just made, which nothing else knows of.
                unsafe { libc::munmap(ptr as *mut libc::c_void, RESERVATION) };
                return None;
            }
            Storage::Mapped { ptr, len }
        } else {
            let mut bytes = Vec::new();
            bytes.try_reserve_exact(len).ok()?;
            bytes.resize(len, 0);
            Storage::Heap(bytes)
        };
        Some(LinearMemory {
            ty,
            storage,
            max_pages,
        })
    }

    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.len() as u64 / WASM_PAGE_SIZE
    }

    /// Grows by `delta` pages; the old size in pages, or `None` when it may not or cannot grow.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_len = usize::try_from(new * WASM_PAGE_SIZE).ok()?;
        match &mut self.storage {
            Storage::Mapped { ptr, len } => {
                if !commit(*ptr, *len, new_len) {
                    return None;
                }
                *len = new_len;
            }
            Storage::Heap(bytes) => {
                bytes.try_reserve_exact(new_len - bytes.len()).ok()?;
                bytes.resize(new_len, 0);
            }
        }
        Some(old)
    }

    pub fn data(&self) -> &[u8] {
        match &self.storage {
            // SAFETY: the first `len` bytes of the reservation are committed and ours.
            Storage::Mapped { ptr, len } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
            Storage::Heap(bytes) => bytes,
        }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        match &mut self.storage {
            // SAFETY: as in `data`, and `&mut self` makes the access exclusive.
            Storage::Mapped { ptr, len } => unsafe { std::slice::from_raw_parts_mut(*ptr, *len) },
            Storage::Heap(bytes) => bytes,
        }
    }

    /// The base address, for the execution tiers' fast path.
    pub fn base(&mut self) -> *mut u8 {
        match &mut self.storage {
            Storage::Mapped { ptr, .. } => *ptr,
            Storage::Heap(bytes) => bytes.as_mut_ptr(),
        }
    }

    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Mapped { len, .. } => *len,
            Storage::Heap(bytes) => bytes.len(),
        }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if let Storage::Mapped { ptr, .. } = self.storage {
            // SAFETY: unmapping our own reservation; nothing refers to it any more.
            unsafe { libc::munmap(ptr as *mut libc::c_void, RESERVATION) };
        }
    }
}
