//! `args_get`, `args_sizes_get`, `environ_get`, `environ_sizes_get`: NUL-terminated strings in a
//! guest buffer and a table of pointers to them.

use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;

/// Writes each string NUL-terminated into `buf` and its address into the table at `ptrs`.
fn write_strings(mem: &mut GuestMemory, list: &[Vec<u8>], ptrs: u32, buf: u32) -> WasiResult<()> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::TooBig)?;
    let table_len = count.checked_mul(4).ok_or(Errno::Fault)?;
    mem.slice(ptrs, table_len)?;
    let total: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.slice(buf, u32::try_from(total).map_err(|_| Errno::Fault)?)?;
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs + 4 * i as u32, at)?;
        mem.write_bytes(at, s)?;
        mem.write_u8(at + s.len() as u32, 0)?;
        at += s.len() as u32 + 1;
    }
    Ok(())
}

/// Writes the count of strings to `count_ptr` and their total size with NULs to `size_ptr`.
fn write_sizes(
    mem: &mut GuestMemory,
    list: &[Vec<u8>],
    count_ptr: u32,
    size_ptr: u32,
) -> WasiResult<()> {
    let total: usize = list.iter().map(|s| s.len() + 1).sum();
    let count = u32::try_from(list.len()).map_err(|_| Errno::TooBig)?;
    let total = u32::try_from(total).map_err(|_| Errno::TooBig)?;
    mem.slice(count_ptr, 4)?;
    mem.slice(size_ptr, 4)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, total)
}

pub fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    argv: u32,
    argv_buf: u32,
) -> WasiResult<()> {
    write_strings(mem, &ctx.args, argv, argv_buf)
}

pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    argc: u32,
    buf_size: u32,
) -> WasiResult<()> {
    write_sizes(mem, &ctx.args, argc, buf_size)
}

pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    environ: u32,
    buf: u32,
) -> WasiResult<()> {
    write_strings(mem, &ctx.env, environ, buf)
}

pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    count: u32,
    buf_size: u32,
) -> WasiResult<()> {
    write_sizes(mem, &ctx.env, count, buf_size)
}
