//! [`CodeMemory`]: machine code in memory of our own, mapped read+write while it is filled and
//! relocated, then read+execute (never both writable and executable). Its range is registered
//! with the trap handler for as long as it lives.

use super::traps;

pub(crate) struct CodeMemory {
    ptr: *mut u8,
    len: usize,
    slot: Option<usize>,
}

// SAFETY: the mapping is immutable (read+execute) once published; it is owned by one value.
unsafe impl Send for CodeMemory {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for CodeMemory {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

impl CodeMemory {
    /// Maps `image`, lets `patch` fix it up at its final address, then makes it executable.
    pub fn new(
        image: &[u8],
        patch: impl FnOnce(*mut u8, &mut [u8]) -> Result<(), String>,
    ) -> Result<CodeMemory, String> {
        let page = page_size();
        let len = image.len().max(1).div_ceil(page) * page;
        // SAFETY: a fresh anonymous private mapping; checked for failure.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err("cannot map memory for compiled code".into());
        }
        let mut mem = CodeMemory {
            ptr: ptr as *mut u8,
            len,
            slot: None,
        };
        // SAFETY: the mapping is `len >= image.len()` bytes, writable, and ours alone.
        let bytes = unsafe { std::slice::from_raw_parts_mut(mem.ptr, len) };
        bytes[..image.len()].copy_from_slice(image);
        patch(mem.ptr, bytes)?;
        // SAFETY: the range is our mapping; after this it is no longer written.
        let rc = unsafe { libc::mprotect(ptr, len, libc::PROT_READ | libc::PROT_EXEC) };
        if rc != 0 {
            return Err("cannot make compiled code executable".into());
        }
        let start = mem.ptr as usize;
        mem.slot = traps::register(start, start + len);
        if mem.slot.is_none() {
            return Err("too many compiled modules alive".into());
        }
        Ok(mem)
    }

    pub fn base(&self) -> *const u8 {
        self.ptr
    }

    /// The code's bytes (the memory is readable).
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` is mapped readable for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Whether `pc` lies in this code.
    pub fn contains(&self, pc: usize) -> bool {
        pc >= self.ptr as usize && pc < self.ptr as usize + self.len
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            traps::unregister(slot);
        }
        // SAFETY: unmapping our own mapping; no code runs in it any more (its module is gone).
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}
