//! [`MemoryPool`]: reservations of guarded linear memories kept for reuse
//! ([`crate::Config::memory_pool`]). A memory dropped with its store gives its reservation back
//! after a reset, and the next memory takes it instead of reserving 8 GiB afresh. Nothing of the
//! previous memory's contents survives the reset.
//!
//! A small memory (at most [`KEEP_RESIDENT`] bytes accessible) is reset in place: its image's
//! bytes are copied back and the rest zeroed, its pages stay resident and accessible, and the
//! slot remembers which image it now holds. The next memory of the same image and size takes it
//! with no system call and no page fault — what makes a store per request cheap. Past
//! [`KEEP_RESIDENT`], the rest is dropped with `madvise(MADV_DONTNEED)` (the image's own
//! copy-on-write mapping reads its contents again, anonymous pages read zeros). A slot whose
//! memory had no mapped image where it would need one, or that a memory of another image takes,
//! is reset cold: a single `mmap` replaces every page it used with inaccessible, unbacked
//! address space.

use std::sync::Mutex;

use super::MemoryImage;

/// The most bytes of a pooled memory reset by copying and zeroing, its pages kept resident.
pub(crate) const KEEP_RESIDENT: usize = 1 << 20;

/// A free reservation: its first `accessible` bytes are read+write and hold image `image`'s
/// contents (0: no image, all zeros); every byte past them is inaccessible and reads as the
/// image (or zero) once made accessible.
struct FreeSlot {
    ptr: usize,
    image: u64,
    accessible: usize,
}

/// A reservation taken from the pool (see [`MemoryPool::take`]).
pub(crate) struct Taken {
    pub ptr: *mut u8,
    /// Whether its first bytes, as asked, are accessible and already hold the image (else the
    /// whole reservation is inaccessible and unbacked).
    pub ready: bool,
}

/// Free reservations of `size` bytes each, at most `max` of them.
pub(crate) struct MemoryPool {
    size: usize,
    max: usize,
    free: Mutex<Vec<FreeSlot>>,
}

impl MemoryPool {
    pub fn new(size: usize, max: usize) -> MemoryPool {
        MemoryPool {
            size,
            max,
            free: Mutex::new(Vec::new()),
        }
    }

    /// The size of the reservations this pool keeps.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A reservation for a memory of image `image` (0: none) whose first `accessible` bytes
    /// must be read+write: one that already holds that image when the pool has one (adjusted to
    /// `accessible` with at most one `mprotect`), else a cold one; `None` when the pool is empty.
    pub fn take(&self, image: u64, accessible: usize) -> Option<Taken> {
        let mut free = self.lock();
        let warm = free.iter().rposition(|s| s.image == image);
        let slot = match warm {
            Some(i) => free.swap_remove(i),
            None => free.pop()?,
        };
        drop(free);
        let ptr = slot.ptr as *mut u8;
        if warm.is_some() && resize_access(ptr, slot.accessible, accessible) {
            return Some(Taken { ptr, ready: true });
        }
        // SAFETY: the pool owned this reservation; it is now the caller's.
        if unsafe { reset_cold(ptr, slot.accessible) } {
            Some(Taken { ptr, ready: false })
        } else {
            // SAFETY: as above; the reservation could not be reset, so nobody gets it.
            unsafe { libc::munmap(ptr as *mut libc::c_void, self.size) };
            None
        }
    }

    /// Takes back the reservation at `ptr`, whose first `accessible` bytes were read+write and
    /// which started from `image` (`mapped`: mapped copy-on-write at its start, not copied):
    /// true when kept (reset), false when the caller must unmap it (the pool is full or the
    /// reset failed).
    ///
    /// # Safety
    /// `ptr` must be a reservation of [`Self::size`] bytes that the caller owns and no longer
    /// uses.
    pub unsafe fn give_back(
        &self,
        ptr: *mut u8,
        accessible: usize,
        image: Option<&MemoryImage>,
        mapped: bool,
    ) -> bool {
        if self.lock().len() >= self.max {
            return false;
        }
        let image_len = image.map_or(0, |i| i.bytes().len());
        // Past KEEP_RESIDENT, pages are dropped: right only where the image is mapped (its
        // mapping reads the image again) or where there is no image to read.
        let droppable = mapped || image_len <= KEEP_RESIDENT;
        let slot = if droppable {
            // SAFETY: the caller's reservation, read+write up to `accessible`.
            unsafe { reset_warm(ptr, accessible, image) }.then(|| FreeSlot {
                ptr: ptr as usize,
                image: image.map_or(0, MemoryImage::id),
                accessible,
            })
        } else {
            None
        };
        // SAFETY: as above.
        let slot = match slot {
            Some(s) => s,
            None if unsafe { reset_cold(ptr, accessible) } => FreeSlot {
                ptr: ptr as usize,
                image: u64::MAX,
                accessible: 0,
            },
            None => return false,
        };
        let mut free = self.lock();
        if free.len() >= self.max {
            return false;
        }
        free.push(slot);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FreeSlot>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Restores the first `accessible` bytes at `ptr` to `image` (else zeros): copies and zeroes up
/// to [`KEEP_RESIDENT`], drops the pages past it.
///
/// # Safety
/// `ptr..ptr + accessible` must be read+write memory the caller owns and nothing else uses.
unsafe fn reset_warm(ptr: *mut u8, accessible: usize, image: Option<&MemoryImage>) -> bool {
    let resident = accessible.min(KEEP_RESIDENT);
    // SAFETY: the caller's read+write bytes.
    let data = unsafe { std::slice::from_raw_parts_mut(ptr, resident) };
    let copied = match image {
        Some(i) => {
            let n = i.bytes().len().min(resident);
            data[..n].copy_from_slice(&i.bytes()[..n]);
            n
        }
        None => 0,
    };
    data[copied..].fill(0);
    if accessible > resident {
        // SAFETY: drops private pages of the caller's reservation; a private file mapping reads
        // its file again, an anonymous one zeros.
        let done = unsafe {
            libc::madvise(
                ptr.add(resident) as *mut libc::c_void,
                accessible - resident,
                libc::MADV_DONTNEED,
            )
        };
        return done == 0;
    }
    true
}

/// Replaces the first `used` bytes at `ptr` with fresh inaccessible anonymous pages.
///
/// # Safety
/// `ptr..ptr + used` must lie in a reservation the caller owns and nothing else uses.
unsafe fn reset_cold(ptr: *mut u8, used: usize) -> bool {
    if used == 0 {
        return true;
    }
    // SAFETY: replaces part of the caller's reservation, dropping what was there.
    let got = unsafe {
        libc::mmap(
            ptr as *mut libc::c_void,
            used,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    got == ptr as *mut libc::c_void
}

/// Makes exactly the first `to` bytes of a reset reservation accessible, `from` being so now.
fn resize_access(ptr: *mut u8, from: usize, to: usize) -> bool {
    let (start, len, prot) = match from.cmp(&to) {
        std::cmp::Ordering::Equal => return true,
        std::cmp::Ordering::Less => (from, to - from, libc::PROT_READ | libc::PROT_WRITE),
        std::cmp::Ordering::Greater => (to, from - to, libc::PROT_NONE),
    };
    // SAFETY: a range of the reservation at `ptr`, page aligned (both sizes are multiples of
    // the commit granularity); its contents are already reset.
    unsafe { libc::mprotect(ptr.add(start) as *mut libc::c_void, len, prot) == 0 }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        let free = self.free.get_mut().unwrap_or_else(|e| e.into_inner());
        for s in free.iter() {
            // SAFETY: the pool owns its free reservations and nothing uses them.
            unsafe { libc::munmap(s.ptr as *mut libc::c_void, self.size) };
        }
    }
}
