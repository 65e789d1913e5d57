//! [`MemoryPool`]: reservations of guarded linear memories kept for reuse
//! ([`crate::Config::memory_pool`]). A memory dropped with its store gives its reservation back
//! after one reset — a single `mmap` that replaces every page it used with inaccessible,
//! unbacked address space (its image mapping included) — and the next memory takes it instead
//! of reserving 8 GiB afresh. Nothing of the previous memory's contents survives the reset.

use std::sync::Mutex;

/// Free reservations of `size` bytes each, at most `max` of them.
pub(crate) struct MemoryPool {
    size: usize,
    max: usize,
    free: Mutex<Vec<usize>>,
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

    /// A reset reservation of [`Self::size`] bytes, if the pool has one.
    pub fn take(&self) -> Option<*mut u8> {
        self.lock().pop().map(|p| p as *mut u8)
    }

    /// Takes back the reservation at `ptr`, whose first `used` bytes were mapped: true when
    /// kept (reset), false when the caller must unmap it (the pool is full or the reset failed).
    ///
    /// # Safety
    /// `ptr` must be a reservation of [`Self::size`] bytes that the caller owns and no longer
    /// uses.
    pub unsafe fn give_back(&self, ptr: *mut u8, used: usize) -> bool {
        if self.lock().len() >= self.max {
            return false;
        }
        if used > 0 {
            // SAFETY: replaces the used part of the caller's reservation with fresh
            // inaccessible anonymous pages, dropping what was there.
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
            if got != ptr as *mut libc::c_void {
                return false;
            }
        }
        let mut free = self.lock();
        if free.len() >= self.max {
            return false;
        }
        free.push(ptr as usize);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<usize>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        let free = self.free.get_mut().unwrap_or_else(|e| e.into_inner());
        for &p in free.iter() {
            // SAFETY: the pool owns its free reservations and nothing uses them.
            unsafe { libc::munmap(p as *mut libc::c_void, self.size) };
        }
    }
}
