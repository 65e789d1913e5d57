//! [`LinearMemory`]: a WebAssembly linear memory, a byte buffer that grows in pages (64 KiB, or
//! 1 byte with custom page sizes) up to the smallest of its declared maximum, what its index type
//! can address and the engine's memory limit.
//!
//! Where the process may reserve address space, a memory is one reservation, inaccessible
//! except for its current pages, whose base never moves. A 32-bit memory of 64 KiB pages
//! reserves 8 GiB plus a guard region ([`GUARDED_RESERVATION`]): every address a 32-bit wasm
//! access can form (index + offset + size) lies inside it, so compiled code needs no bounds
//! checks (an access past the end faults and the trap handler reports it). Other memories
//! (64-bit ones, byte-sized pages: `MemoryType::needs_bounds_checks`) reserve just their maximum size, and
//! compiled code checks their accesses explicitly. Where the reservation is refused (for
//! example under `ulimit -v`), memories are heap buffers that may move when they grow, and
//! compiled code checks every access.

use std::sync::{Arc, OnceLock};

use wexe_environ::MemoryType;

use super::{MemoryImage, MemoryPool};

/// Address space reserved per guarded memory: 4 GiB of indices, 4 GiB of static offsets, and a
/// page for the access size.
pub(crate) const GUARDED_RESERVATION: usize = (8 << 30) + (64 << 10);

/// The granularity of commits in a reservation (a multiple of the host's page size).
const COMMIT_ALIGN: usize = 64 << 10;

enum Storage {
    /// A reservation of `reserved` bytes; the first `committed` are read+write and the first
    /// `len` are the memory.
    Mapped {
        ptr: *mut u8,
        len: usize,
        committed: usize,
        reserved: usize,
        /// Where the reservation goes back to when the memory is dropped (else unmapped).
        pool: Option<Arc<MemoryPool>>,
        /// The image the memory started from, for the pool's reset.
        image: Option<Arc<MemoryImage>>,
        /// Whether that image is mapped copy-on-write at `ptr` (else copied, or none).
        image_mapped: bool,
    },
    Heap(Vec<u8>),
}

/// Where a new memory's reservation and first contents come from (see [`LinearMemory::new`]).
#[derive(Clone, Copy, Default)]
pub(crate) struct MemorySource<'a> {
    /// The memory's initial contents (else zeros).
    pub image: Option<&'a Arc<MemoryImage>>,
    /// Reservations to reuse, for guarded memories.
    pub pool: Option<&'a Arc<MemoryPool>>,
}

/// A linear memory. With a heap buffer growing may move it, so the tiers re-read
/// [`LinearMemory::base`] after anything that can grow memory.
pub(crate) struct LinearMemory {
    pub ty: MemoryType,
    storage: Storage,
    /// How its first contents were made.
    pub init: MemoryInit,
    /// The most pages this memory may reach.
    max_pages: u64,
}

/// How a linear memory's first contents were made ([`crate::Memory::init`]): what shows
/// whether a pre-instantiated module's memory image was really mapped, not copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryInit {
    /// Zeroed pages, no image (segments, if any, were then written by instantiation).
    Zeroed,
    /// The image mapped copy-on-write (a memfd mapped private): nothing copied.
    ImageMapped,
    /// The image's bytes copied (no memfd, a heap memory, or the mapping failed).
    ImageCopied,
    /// A pooled reservation that a dropped memory of the same image left reset in place
    /// ([`crate::Config::memory_pool`]): nothing mapped, copied or faulted in at creation.
    PoolReused,
}

// SAFETY: the mapping is owned by this value alone, like the Vec of the heap variant.
unsafe impl Send for LinearMemory {}
// SAFETY: shared references only read.
unsafe impl Sync for LinearMemory {}

/// A fresh reservation of `size` bytes, inaccessible and unbacked.
pub(super) fn reserve(size: usize) -> Option<*mut u8> {
    // SAFETY: a fresh inaccessible anonymous mapping; checked for failure.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    (ptr != libc::MAP_FAILED).then_some(ptr as *mut u8)
}

/// Makes bytes `from..to` of a reservation read+write.
pub(super) fn commit(ptr: *mut u8, from: usize, to: usize) -> bool {
    if from == to {
        return true;
    }
    // SAFETY: `from..to` lies within the reservation starting at `ptr`, and both are
    // multiples of `COMMIT_ALIGN` (or the reservation's end, itself page aligned).
    unsafe {
        libc::mprotect(
            ptr.add(from) as *mut libc::c_void,
            to - from,
            libc::PROT_READ | libc::PROT_WRITE,
        ) == 0
    }
}

/// `n` rounded up to the commit granularity.
fn round_up(n: usize) -> Option<usize> {
    n.checked_next_multiple_of(COMMIT_ALIGN)
}

impl LinearMemory {
    /// Whether memories are reserved with guard regions, so that compiled code may omit bounds
    /// checks. Decided once per process by trying a reservation.
    pub fn guarded() -> bool {
        static GUARDED: OnceLock<bool> = OnceLock::new();
        *GUARDED.get_or_init(|| match reserve(GUARDED_RESERVATION) {
            Some(ptr) => {
                // SAFETY: unmapping the probe reservation just made.
                unsafe { libc::munmap(ptr as *mut libc::c_void, GUARDED_RESERVATION) };
                true
            }
            None => false,
        })
    }

    /// A memory of `ty.minimum` pages, zeroed but for `from.image`; `None` when that exceeds
    /// `limit_bytes` or cannot be allocated.
    pub fn new(ty: MemoryType, limit_bytes: u64, from: MemorySource) -> Option<LinearMemory> {
        let limit_pages = limit_bytes >> ty.page_size_log2;
        let by_index = ty.max_pages_by_index();
        let max_pages = ty
            .maximum
            .unwrap_or(by_index)
            .min(by_index)
            .min(limit_pages);
        if ty.minimum > max_pages {
            return None;
        }
        let len = usize::try_from(ty.minimum << ty.page_size_log2).ok()?;
        let storage = if Self::guarded() {
            let (reserved, pool) = if ty.needs_bounds_checks() {
                let size = round_up(usize::try_from(max_pages << ty.page_size_log2).ok()?)?;
                (size, None)
            } else {
                let pool = from.pool.filter(|p| p.size() == GUARDED_RESERVATION);
                (GUARDED_RESERVATION, pool)
            };
            Self::mapped(len, reserved, from.image, pool)
        } else {
            None
        };
        let (storage, init) = match storage {
            Some(s) => s,
            // Compiled code relies on the guard region of a guarded memory: no heap fallback.
            None if Self::guarded() && !ty.needs_bounds_checks() => return None,
            None => {
                let mut bytes = Vec::new();
                bytes.try_reserve_exact(len).ok()?;
                bytes.resize(len, 0);
                let init = match from.image {
                    Some(image) => {
                        image.copy_into(&mut bytes);
                        MemoryInit::ImageCopied
                    }
                    None => MemoryInit::Zeroed,
                };
                (Storage::Heap(bytes), init)
            }
        };
        Some(LinearMemory {
            ty,
            storage,
            init,
            max_pages,
        })
    }

    /// A reservation of `reserved` bytes (from `pool` when it has one) with its first `len`
    /// committed, starting with `image`; and how that was done.
    fn mapped(
        len: usize,
        reserved: usize,
        image: Option<&Arc<MemoryImage>>,
        pool: Option<&Arc<MemoryPool>>,
    ) -> Option<(Storage, MemoryInit)> {
        if reserved == 0 {
            let init = match image {
                Some(_) => MemoryInit::ImageCopied,
                None => MemoryInit::Zeroed,
            };
            return Some((Storage::Heap(Vec::new()), init));
        }
        let committed = round_up(len)?.min(reserved);
        let image = image.filter(|i| i.len() <= committed);
        let taken = pool.and_then(|p| p.take(image.map_or(0, |i| i.id()), committed));
        let (ptr, ready, image_mapped) = match taken {
            Some(t) => (t.ptr, t.ready, t.mapped),
            None => (reserve(reserved)?, false, false),
        };
        let mut storage = Storage::Mapped {
            ptr,
            len,
            committed: if ready { committed } else { 0 },
            reserved,
            pool: pool.cloned(),
            image: image.cloned(),
            image_mapped,
        };
        if ready {
            return Some((storage, MemoryInit::PoolReused));
        }
        // From here on, dropping `storage` gives the reservation back (or unmaps it).
        // SAFETY: the image's range lies in our reservation, which nothing else uses.
        let mapped = match image {
            Some(i) if unsafe { i.map_at(ptr) } => i.len(),
            _ => 0,
        };
        if let Storage::Mapped {
            committed: c,
            image_mapped: m,
            ..
        } = &mut storage
        {
            *c = mapped;
            *m = mapped > 0;
        }
        if !commit(ptr, mapped, committed) {
            return None;
        }
        if let Storage::Mapped { committed: c, .. } = &mut storage {
            *c = committed;
        }
        let init = match image {
            Some(_) if mapped > 0 => MemoryInit::ImageMapped,
            Some(i) => {
                // SAFETY: the first `committed` bytes are read+write and ours.
                i.copy_into(unsafe { std::slice::from_raw_parts_mut(ptr, committed) });
                MemoryInit::ImageCopied
            }
            None => MemoryInit::Zeroed,
        };
        Some((storage, init))
    }

    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.len() as u64 >> self.ty.page_size_log2
    }

    /// Grows by `delta` pages; the old size in pages, or `None` when it may not or cannot grow.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_len = usize::try_from(new.checked_shl(self.ty.page_size_log2.into())?).ok()?;
        match &mut self.storage {
            Storage::Mapped {
                ptr,
                len,
                committed,
                reserved,
                ..
            } => {
                if new_len > *reserved {
                    return None;
                }
                let to = round_up(new_len)?.min(*reserved);
                if to > *committed {
                    if !commit(*ptr, *committed, to) {
                        return None;
                    }
                    *committed = to;
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
            Storage::Mapped { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
            Storage::Heap(bytes) => bytes,
        }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        match &mut self.storage {
            // SAFETY: as in `data`, and `&mut self` makes the access exclusive.
            Storage::Mapped { ptr, len, .. } => unsafe {
                std::slice::from_raw_parts_mut(*ptr, *len)
            },
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
        if let Storage::Mapped {
            ptr,
            committed,
            reserved,
            ref pool,
            ref image,
            image_mapped,
            ..
        } = self.storage
        {
            // SAFETY: our own reservation, which nothing refers to any more: kept by the pool
            // after its reset, or unmapped.
            let kept = pool.as_ref().is_some_and(|p| unsafe {
                p.give_back(ptr, committed, image.as_deref(), image_mapped)
            });
            if !kept {
                // SAFETY: as above.
                unsafe { libc::munmap(ptr as *mut libc::c_void, reserved) };
            }
        }
    }
}
