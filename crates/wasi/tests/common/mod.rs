//! Helpers for calling the preview1 bodies directly, with a Vec as guest memory.
#![allow(dead_code)]

use wexe_wasi::Errno;
use wexe_wasi::WasiCtx;
use wexe_wasi::memory::GuestMemory;
use wexe_wasi::preview1 as p;
use wexe_wasi::types::{lookupflags, rights};

/// Scratch addresses in the test memory.
pub const PATH: u32 = 0x100;
pub const PATH2: u32 = 0x400;
pub const OUT: u32 = 0x800;
pub const IOV: u32 = 0x900;
pub const BUF: u32 = 0x1000;
pub const MEM_SIZE: usize = 1 << 16;

pub fn memory() -> Vec<u8> {
    vec![0u8; MEM_SIZE]
}

/// Writes `s` at `at`; returns (ptr, len).
pub fn put(m: &mut GuestMemory, at: u32, s: &str) -> (u32, u32) {
    m.write_bytes(at, s.as_bytes()).unwrap();
    (at, s.len() as u32)
}

/// Writes one iovec at IOV pointing at `ptr`/`len`.
pub fn iov(m: &mut GuestMemory, ptr: u32, len: u32) -> u32 {
    m.write_u32(IOV, ptr).unwrap();
    m.write_u32(IOV + 4, len).unwrap();
    IOV
}

pub fn open(
    ctx: &mut WasiCtx,
    m: &mut GuestMemory,
    dir: u32,
    path: &str,
    oflags: u16,
    base: u64,
    fdflags: u16,
) -> Result<u32, Errno> {
    let (ptr, len) = put(m, PATH, path);
    p::path_open(
        ctx,
        m,
        dir,
        lookupflags::SYMLINK_FOLLOW,
        ptr,
        len,
        oflags.into(),
        base,
        rights::ALL,
        fdflags.into(),
        OUT,
    )?;
    Ok(m.read_u32(OUT).unwrap())
}

pub fn write(ctx: &mut WasiCtx, m: &mut GuestMemory, fd: u32, data: &str) -> Result<u32, Errno> {
    m.write_bytes(BUF, data.as_bytes()).unwrap();
    let v = iov(m, BUF, data.len() as u32);
    p::fd_write(ctx, m, fd, v, 1, OUT)?;
    Ok(m.read_u32(OUT).unwrap())
}

pub fn read(ctx: &mut WasiCtx, m: &mut GuestMemory, fd: u32, max: u32) -> Result<Vec<u8>, Errno> {
    let v = iov(m, BUF, max);
    p::fd_read(ctx, m, fd, v, 1, OUT)?;
    let n = m.read_u32(OUT).unwrap();
    Ok(m.slice(BUF, n).unwrap().to_vec())
}

pub fn stat(
    ctx: &mut WasiCtx,
    m: &mut GuestMemory,
    dir: u32,
    path: &str,
    follow: bool,
) -> Result<(u8, u64, u64), Errno> {
    let (ptr, len) = put(m, PATH, path);
    let flags = if follow {
        lookupflags::SYMLINK_FOLLOW
    } else {
        0
    };
    p::path_filestat_get(
        ctx,
        m,
        wexe_wasi::types::Abi::Preview1,
        dir,
        flags,
        ptr,
        len,
        OUT,
    )?;
    // (filetype, nlink, size)
    Ok((
        m.read_u8(OUT + 16).unwrap(),
        m.read_u64(OUT + 24).unwrap(),
        m.read_u64(OUT + 32).unwrap(),
    ))
}

pub mod run;
