//! [`MemoryPool`]: reservations of guarded linear memories kept for reuse
//! ([`crate::Config::memory_pool`]). A memory dropped with its store gives its reservation back
//! after a reset, and the next memory takes it instead of reserving 8 GiB afresh. Nothing of the
//! previous memory's contents survives the reset.
//!
//! A memory is reset in place, its pages left accessible, and the slot remembers which image it
//! now holds; the next memory of the same image takes it with no system call (one `mprotect`
//! when its size differs) and no page fault — what makes a store per request cheap.
//!
//! Where its image was mapped copy-on-write (or it had none), only the pages it made private
//! need resetting: [`super::dirty::private_pages`] lists them in one system call, and up to
//! [`KEEP_RESIDENT`] bytes of them get the image's bytes (or zeros) written back and stay
//! resident; past that, the rest are dropped with `madvise(MADV_DONTNEED)` (the mapping reads
//! the image again, anonymous pages read zeros). Pages it only read stay mapped to the image,
//! so the next instance reads them without a fault. Where the kernel cannot list private
//! pages, or the image was copied, the first [`KEEP_RESIDENT`] bytes are written back whole
//! and the rest dropped (a copied image past [`KEEP_RESIDENT`] cannot be dropped, and resets
//! cold). A slot that a memory of another image takes is reset cold: a single `mmap` replaces
//! every page it used with inaccessible, unbacked address space.

use std::sync::Mutex;

use super::MemoryImage;
use super::dirty::private_pages;

/// The most bytes of a pooled memory reset by copying and zeroing, its pages kept resident.
pub(crate) const KEEP_RESIDENT: usize = 1 << 20;

/// A free reservation: its first `accessible` bytes are read+write and hold image `image`'s
/// contents (0: no image, all zeros), `mapped` copy-on-write or copied; every byte past them is
/// inaccessible and reads as the image (or zero) once made accessible.
struct FreeSlot {
    ptr: usize,
    image: u64,
    mapped: bool,
    accessible: usize,
}

/// A reservation taken from the pool (see [`MemoryPool::take`]).
pub(crate) struct Taken {
    pub ptr: *mut u8,
    /// Whether its first bytes, as asked, are accessible and already hold the image (else the
    /// whole reservation is inaccessible and unbacked).
    pub ready: bool,
    /// When ready, whether the image is mapped copy-on-write (not copied).
    pub mapped: bool,
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
            return Some(Taken {
                ptr,
                ready: true,
                mapped: slot.mapped,
            });
        }
        // SAFETY: the pool owned this reservation; it is now the caller's.
        if unsafe { reset_cold(ptr, slot.accessible) } {
            Some(Taken {
                ptr,
                ready: false,
                mapped: false,
            })
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
            unsafe { reset_warm(ptr, accessible, image, mapped) }.then(|| FreeSlot {
                ptr: ptr as usize,
                image: image.map_or(0, MemoryImage::id),
                mapped,
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
                mapped: false,
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

/// Restores the first `accessible` bytes at `ptr` to `image` (else zeros): only its private
/// pages where the image is `mapped` (or there is none) and the kernel lists them, else every
/// page (restoring a range twice, after a scan that failed half-way, is harmless); up to
/// [`KEEP_RESIDENT`] bytes by writing them back, the rest by dropping them.
///
/// # Safety
/// `ptr..ptr + accessible` must be read+write memory the caller owns and nothing else uses; a
/// `mapped` image must be mapped copy-on-write at `ptr` (dropped pages read it again).
unsafe fn reset_warm(
    ptr: *mut u8,
    accessible: usize,
    image: Option<&MemoryImage>,
    mapped: bool,
) -> bool {
    let mut budget = KEEP_RESIDENT;
    let mut ok = true;
    let mut reset = |start: usize, end: usize| {
        // SAFETY: a range of the caller's read+write bytes.
        ok &= unsafe { reset_range(ptr, start, end, image, &mut budget) };
    };
    if (mapped || image.is_none()) && private_pages(ptr, accessible, &mut reset) {
        return ok;
    }
    reset(0, accessible);
    ok
}

/// Restores bytes `start..end` at `ptr` to `image` (else zeros): writes back as many as
/// `budget` allows (taking them from it), drops the pages of the rest.
///
/// # Safety
/// As for [`reset_warm`].
unsafe fn reset_range(
    ptr: *mut u8,
    start: usize,
    end: usize,
    image: Option<&MemoryImage>,
    budget: &mut usize,
) -> bool {
    let kept = (end - start).min(*budget);
    *budget -= kept;
    // SAFETY: the caller's read+write bytes.
    let data = unsafe { std::slice::from_raw_parts_mut(ptr.add(start), kept) };
    let bytes = image.map_or(&[][..], MemoryImage::bytes);
    let from_image = bytes.len().saturating_sub(start).min(kept);
    if from_image > 0 {
        data[..from_image].copy_from_slice(&bytes[start..start + from_image]);
    }
    data[from_image..].fill(0);
    if start + kept < end {
        // SAFETY: drops private pages of the caller's reservation; a private file mapping reads
        // its file again, an anonymous one zeros.
        let done = unsafe {
            libc::madvise(
                ptr.add(start + kept) as *mut libc::c_void,
                end - start - kept,
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
