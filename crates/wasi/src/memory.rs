//! Bounds-checked access to guest linear memory. Every pointer and length the guest passes goes
//! through here: a range past the end of memory (or one whose end overflows) is `EFAULT`,
//! never a host panic.

use crate::errno::{Errno, WasiResult};
use crate::types::size;

/// The most bytes a single read or write call moves through a host buffer at once.
pub const MAX_TRANSFER: usize = 16 << 20;

/// A view of a guest's linear memory.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// An `iovec` or `ciovec` as read from guest memory: a pointer and a length, not yet checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoVec {
    pub ptr: u32,
    pub len: u32,
}

impl<'a> GuestMemory<'a> {
    /// Wraps the bytes of a linear memory.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// The memory's size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the memory has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn range(&self, ptr: u32, len: u32) -> WasiResult<std::ops::Range<usize>> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(start..end)
    }

    /// `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    /// `len` bytes at `ptr`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    /// Copies `data` to `ptr`.
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        Ok(self
            .slice(ptr, N as u32)?
            .try_into()
            .expect("length checked"))
    }

    pub fn read_u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }
    pub fn read_u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }
    pub fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }
    pub fn read_u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> WasiResult<()> {
        self.write_bytes(ptr, &[v])
    }
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> WasiResult<()> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// A UTF-8 string of `len` bytes at `ptr` (a path): `EFAULT` out of bounds, `EILSEQ` when it
    /// is not UTF-8.
    pub fn read_str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// The `count` iovecs of the array at `ptr`. The array itself must lie in memory (`EFAULT`
    /// otherwise, however large `count` is); each buffer must too, and the total length must fit
    /// in a `u32` (`EINVAL` otherwise, as `readv` says).
    pub fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<IoVec>> {
        let bytes = count.checked_mul(size::IOVEC).ok_or(Errno::Fault)?;
        let table = self.slice(ptr, bytes)?;
        let mut out = Vec::with_capacity(count as usize);
        let mut total: u32 = 0;
        for chunk in table.chunks_exact(size::IOVEC as usize) {
            let v = IoVec {
                ptr: u32::from_le_bytes(chunk[0..4].try_into().unwrap()),
                len: u32::from_le_bytes(chunk[4..8].try_into().unwrap()),
            };
            self.range(v.ptr, v.len)?;
            total = total.checked_add(v.len).ok_or(Errno::Inval)?;
            out.push(v);
        }
        Ok(out)
    }

    /// Gathers the bytes the iovecs name (at most [`MAX_TRANSFER`]) into one buffer; borrowed
    /// from guest memory, without a copy, when a single iovec holds them all (the usual case).
    pub fn gather(&self, iovs: &[IoVec]) -> WasiResult<std::borrow::Cow<'_, [u8]>> {
        let mut nonempty = iovs.iter().filter(|v| v.len > 0);
        if let (Some(v), None) = (nonempty.next(), nonempty.next()) {
            let take = (v.len as usize).min(MAX_TRANSFER) as u32;
            return Ok(std::borrow::Cow::Borrowed(self.slice(v.ptr, take)?));
        }
        let mut out = Vec::new();
        for v in iovs {
            let room = MAX_TRANSFER - out.len();
            let take = (v.len as usize).min(room) as u32;
            out.extend_from_slice(self.slice(v.ptr, take)?);
            if out.len() == MAX_TRANSFER {
                break;
            }
        }
        Ok(std::borrow::Cow::Owned(out))
    }

    /// Scatters `data` over the iovecs in order; returns the count of bytes placed.
    pub fn scatter(&mut self, iovs: &[IoVec], mut data: &[u8]) -> WasiResult<usize> {
        let mut placed = 0;
        for v in iovs {
            if data.is_empty() {
                break;
            }
            let n = (v.len as usize).min(data.len());
            self.slice_mut(v.ptr, n as u32)?.copy_from_slice(&data[..n]);
            data = &data[n..];
            placed += n;
        }
        Ok(placed)
    }
}

/// The total length of a list of iovecs, capped at [`MAX_TRANSFER`].
pub fn transfer_len(iovs: &[IoVec]) -> usize {
    iovs.iter()
        .map(|v| v.len as usize)
        .sum::<usize>()
        .min(MAX_TRANSFER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_little_endian() {
        let mut buf = vec![0u8; 32];
        let mut m = GuestMemory::new(&mut buf);
        m.write_u32(4, 0x0102_0304).unwrap();
        m.write_u64(8, u64::MAX - 1).unwrap();
        m.write_u16(30, 0xbeef).unwrap();
        assert_eq!(m.read_u32(4), Ok(0x0102_0304));
        assert_eq!(m.read_u8(4), Ok(4));
        assert_eq!(m.read_u64(8), Ok(u64::MAX - 1));
        assert_eq!(m.read_u16(30), Ok(0xbeef));
    }

    #[test]
    fn out_of_bounds_is_efault() {
        let mut buf = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut buf);
        assert_eq!(m.read_u32(13), Err(Errno::Fault));
        assert_eq!(m.read_u32(12), Ok(0));
        assert_eq!(m.write_u64(u32::MAX, 1), Err(Errno::Fault));
        assert_eq!(m.slice(u32::MAX, u32::MAX).err(), Some(Errno::Fault));
        assert_eq!(m.slice(16, 0).map(|s| s.len()), Ok(0));
        assert_eq!(m.slice(17, 0).err(), Some(Errno::Fault));
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut buf = b"ok\xff".to_vec();
        let m = GuestMemory::new(&mut buf);
        assert_eq!(m.read_str(0, 2), Ok("ok"));
        assert_eq!(m.read_str(0, 3), Err(Errno::Ilseq));
    }

    #[test]
    fn iovecs_are_checked() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut buf);
        // two iovecs at 0: (32, 4) and (40, 8)
        m.write_u32(0, 32).unwrap();
        m.write_u32(4, 4).unwrap();
        m.write_u32(8, 40).unwrap();
        m.write_u32(12, 8).unwrap();
        let iovs = m.iovecs(0, 2).unwrap();
        assert_eq!(
            iovs,
            vec![IoVec { ptr: 32, len: 4 }, IoVec { ptr: 40, len: 8 }]
        );
        assert_eq!(transfer_len(&iovs), 12);
        // huge counts: the array runs past memory
        assert_eq!(m.iovecs(0, u32::MAX).err(), Some(Errno::Fault));
        assert_eq!(m.iovecs(0, 1 << 29).err(), Some(Errno::Fault));
        // a buffer past the end
        m.write_u32(12, 100).unwrap();
        assert_eq!(m.iovecs(0, 2).err(), Some(Errno::Fault));
        let placed = m.scatter(&iovs, b"abcdefghijklmnop").unwrap();
        assert_eq!(placed, 12);
        assert_eq!(m.slice(32, 4).unwrap(), b"abcd");
        assert_eq!(m.slice(40, 8).unwrap(), b"efghijkl");
        let gathered = m.gather(&iovs).unwrap();
        assert_eq!(&gathered[..], b"abcdefghijkl");
        assert!(
            matches!(gathered, std::borrow::Cow::Owned(_)),
            "two iovecs are copied together"
        );
        let one = &iovs[1..];
        let borrowed = m.gather(one).unwrap();
        assert_eq!(&borrowed[..], b"efghijkl");
        assert!(
            matches!(borrowed, std::borrow::Cow::Borrowed(_)),
            "one iovec is not copied"
        );
    }

    #[test]
    fn huge_iovec_length_is_efault() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut buf);
        m.write_u32(0, 16).unwrap();
        m.write_u32(4, u32::MAX).unwrap();
        assert_eq!(m.iovecs(0, 1).err(), Some(Errno::Fault));
    }
}
