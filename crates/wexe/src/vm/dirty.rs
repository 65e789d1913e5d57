//! Which pages of a pooled memory hold something of their own: Linux's `PAGEMAP_SCAN` ioctl on
//! `/proc/self/pagemap` (Linux 6.7 and later) lists, in one system call, the pages of a range
//! that are private — written since the range was mapped (a copy-on-write copy of an image
//! page, or an anonymous page that is not the shared zero page), resident or swapped out.
//! Every other page of a pooled memory reads what a fresh memory would: the memory image's
//! file page, the zero page, or nothing yet. So resetting the private pages resets the memory,
//! and a memory that wrote little costs little to reset whatever its size (see
//! [`super::pool`]).
//!
//! Where the ioctl or `/proc` is missing, [`private_pages`] says so and the pool resets by
//! copying, as before.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// `struct pm_scan_arg` of `<linux/fs.h>`.
#[repr(C)]
struct ScanArg {
    size: u64,
    flags: u64,
    start: u64,
    end: u64,
    walk_end: u64,
    vec: u64,
    vec_len: u64,
    max_pages: u64,
    category_inverted: u64,
    category_mask: u64,
    category_anyof_mask: u64,
    return_mask: u64,
}

/// `struct page_region` of `<linux/fs.h>`: pages `start..end` share `categories`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct PageRegion {
    start: u64,
    end: u64,
    categories: u64,
}

/// `PAGEMAP_SCAN`: `_IOWR('f', 16, struct pm_scan_arg)`.
const PAGEMAP_SCAN: libc::c_ulong =
    (3 << 30) | ((size_of::<ScanArg>() as libc::c_ulong) << 16) | (0x66 << 8) | 16;
const PAGE_IS_FILE: u64 = 1 << 2;
const PAGE_IS_PRESENT: u64 = 1 << 3;
const PAGE_IS_SWAPPED: u64 = 1 << 4;
const PAGE_IS_PFNZERO: u64 = 1 << 5;

/// Regions asked for per system call.
const REGIONS: usize = 32;

/// Set once the kernel refuses the ioctl, so that later resets do not ask again.
static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// `/proc/self/pagemap`, opened once (`None` where it cannot be).
fn pagemap() -> Option<&'static OwnedFd> {
    static FD: OnceLock<Option<OwnedFd>> = OnceLock::new();
    FD.get_or_init(|| {
        std::fs::File::open("/proc/self/pagemap")
            .ok()
            .map(OwnedFd::from)
    })
    .as_ref()
}

/// Calls `each` with every range (offsets from `start`, page aligned) of the `len` bytes at
/// `start` whose pages are private: written since mapped, resident or swapped. False when the
/// kernel cannot tell (possibly after some ranges, if it fails half-way), and the caller must
/// reset every page.
///
/// `start` and `len` must be multiples of the host page size; the range must be mapped.
pub(crate) fn private_pages(
    start: *const u8,
    len: usize,
    mut each: impl FnMut(usize, usize),
) -> bool {
    if UNSUPPORTED.load(Ordering::Relaxed) {
        return false;
    }
    let Some(fd) = pagemap() else {
        UNSUPPORTED.store(true, Ordering::Relaxed);
        return false;
    };
    let base = start as u64;
    let end = base + len as u64;
    let mut regions = [PageRegion::default(); REGIONS];
    let mut from = base;
    while from < end {
        let mut arg = ScanArg {
            size: size_of::<ScanArg>() as u64,
            flags: 0,
            start: from,
            end,
            walk_end: 0,
            vec: regions.as_mut_ptr() as u64,
            vec_len: REGIONS as u64,
            max_pages: 0,
            // Present or swapped, and neither a file page nor the zero page.
            category_inverted: PAGE_IS_FILE | PAGE_IS_PFNZERO,
            category_mask: PAGE_IS_FILE | PAGE_IS_PFNZERO,
            category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            return_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        };
        // SAFETY: `arg` is a valid pm_scan_arg whose `vec` points at `REGIONS` writable
        // regions; the kernel only reads our page tables.
        let n = unsafe { libc::ioctl(fd.as_raw_fd(), PAGEMAP_SCAN, &mut arg as *mut ScanArg) };
        if n < 0 {
            UNSUPPORTED.store(true, Ordering::Relaxed);
            return false;
        }
        for r in &regions[..(n as usize).min(REGIONS)] {
            let (s, e) = (r.start.max(base), r.end.min(end));
            if s < e {
                each((s - base) as usize, (e - base) as usize);
            }
        }
        if arg.walk_end <= from {
            UNSUPPORTED.store(true, Ordering::Relaxed);
            return false;
        }
        from = arg.walk_end;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    /// The kernel's version as (major, minor).
    fn kernel() -> (u32, u32) {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        let mut parts = release
            .trim()
            .split(['.', '-'])
            .map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// Pages read, written, and never touched, in a private file mapping followed by anonymous
    /// memory (as a pooled memory with an image is): only the written ones are listed.
    #[test]
    fn lists_exactly_the_written_pages() {
        let image = crate::vm::MemoryImage::new(vec![7u8; 8 * PAGE]);
        let len = 16 * PAGE;
        // A reservation as a pooled memory's, read+write throughout.
        let ptr = crate::vm::memory::reserve(len).expect("a reservation");
        assert!(crate::vm::memory::commit(ptr, 0, len));
        // SAFETY: over the start of our mapping.
        assert!(unsafe { image.map_at(ptr) });
        let at = |page: usize| unsafe { ptr.add(page * PAGE) };
        // SAFETY: every page is in our read+write mapping.
        unsafe {
            for read in [0, 1, 5, 9, 12] {
                assert_eq!(
                    std::ptr::read_volatile(at(read)),
                    if read < 8 { 7 } else { 0 }
                );
            }
            for written in [2, 6, 7, 13, 15] {
                std::ptr::write_volatile(at(written).add(100), 1);
            }
        }
        let mut seen = Vec::new();
        let supported = private_pages(ptr, len, |s, e| seen.push((s / PAGE, e / PAGE)));
        // SAFETY: our mapping, no longer used.
        unsafe { libc::munmap(ptr as *mut libc::c_void, len) };
        if kernel() < (6, 7) {
            assert!(
                !supported && seen.is_empty(),
                "PAGEMAP_SCAN came with Linux 6.7"
            );
            return;
        }
        assert!(supported, "Linux {:?} has PAGEMAP_SCAN", kernel());
        assert_eq!(seen, [(2, 3), (6, 8), (13, 14), (15, 16)]);
    }
}
