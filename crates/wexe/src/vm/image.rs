//! [`MemoryImage`]: the initial contents of a linear memory (its active data segments applied
//! once), kept in a memfd so that each new instance maps it copy-on-write instead of copying the
//! segments: a new memory costs one `mmap`, and only the pages an instance writes are copied.
//! Where memfds are unavailable the image is kept as bytes and copied (the same contents).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

/// The host page size images are padded to (a divisor of the 64 KiB wasm page).
const HOST_PAGE: usize = 4096;

/// The first `len` bytes of a memory as its active data segments leave them (the rest is zero).
pub(crate) struct MemoryImage {
    /// Unique in the process (never 0), so that a pooled memory knows which image it holds.
    id: u64,
    /// `bytes.len()` rounded up to [`HOST_PAGE`]: what is mapped.
    len: usize,
    /// The image in a memfd, mapped privately (copy-on-write) into each memory.
    fd: Option<OwnedFd>,
    /// The image's bytes, for memories that are heap buffers or when there is no memfd.
    bytes: Vec<u8>,
}

impl MemoryImage {
    /// An image of `bytes` (the memory's first bytes; the caller ends them at the last byte a
    /// segment writes).
    pub fn new(bytes: Vec<u8>) -> MemoryImage {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let len = bytes.len().next_multiple_of(HOST_PAGE);
        MemoryImage {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            len,
            fd: memfd_with(&bytes, len),
            bytes,
        }
    }

    /// This image's identity: no other image in the process has it, and none has 0.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The image's bytes (the memory's first bytes; past them it is zero).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes the image covers (a multiple of the host page size).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Maps the image over the first [`Self::len`] bytes of the reservation at `ptr`, private
    /// and read+write; false when that failed (the range is then unchanged or inaccessible, and
    /// the caller copies with [`Self::copy_into`] after committing it).
    ///
    /// # Safety
    /// `ptr..ptr + len()` must lie in a reservation owned by the caller that nothing else uses.
    pub unsafe fn map_at(&self, ptr: *mut u8) -> bool {
        let Some(fd) = &self.fd else { return false };
        // SAFETY: replaces part of the caller's own reservation (MAP_FIXED) with a private
        // mapping of our memfd, which is at least `len` bytes long.
        let got = unsafe {
            libc::mmap(
                ptr as *mut libc::c_void,
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                fd.as_raw_fd(),
                0,
            )
        };
        got == ptr as *mut libc::c_void
    }

    /// Copies the image into the start of `data` (which is at least as long as the bytes).
    pub fn copy_into(&self, data: &mut [u8]) {
        data[..self.bytes.len()].copy_from_slice(&self.bytes);
    }
}

/// A memfd of `len` bytes starting with `bytes`, sealed against any change (the pool's reset
/// trusts that a page still mapped from it holds the image); `None` where memfds cannot be
/// made.
fn memfd_with(bytes: &[u8], len: usize) -> Option<OwnedFd> {
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: a plain system call with a NUL-terminated name.
    let raw = unsafe { libc::memfd_create(c"wexe-memory-image".as_ptr(), flags) };
    if raw < 0 {
        return None;
    }
    // SAFETY: `raw` is a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let file = std::fs::File::from(fd);
    file.set_len(len as u64).ok()?;
    std::os::unix::fs::FileExt::write_all_at(&file, bytes, 0).ok()?;
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: a plain system call on our own descriptor.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return None;
    }
    Some(OwnedFd::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool's reset trusts that a page still mapped from an image's memfd is the image:
    /// the memfd refuses every change.
    #[test]
    fn the_image_memfd_is_sealed() {
        let image = MemoryImage::new(vec![5u8; 10_000]);
        let fd = image.fd.as_ref().expect("a memfd on Linux");
        // SAFETY: plain system calls on our own descriptor.
        let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
        let all = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
        assert_eq!(seals & all, all);
        let file = std::fs::File::from(fd.try_clone().unwrap());
        let write = std::os::unix::fs::FileExt::write_at(&file, b"x", 0);
        assert_eq!(write.unwrap_err().raw_os_error(), Some(libc::EPERM));
        assert!(file.set_len(0).is_err(), "shrinking is refused");
        assert!(file.set_len(1 << 20).is_err(), "growing is refused");
    }
}
