//! `args_get`, `args_sizes_get`, `environ_get`, `environ_sizes_get`: NUL-terminated strings in a
//! guest buffer and a table of pointers to them.

use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;
use crate::strings::StringList;

/// Writes the strings, NUL-terminated, into `buf` in one piece, and the address of each into
/// the table at `ptrs`.
fn write_strings(mem: &mut GuestMemory, list: &StringList, ptrs: u32, buf: u32) -> WasiResult<()> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::TooBig)?;
    let table_len = count.checked_mul(4).ok_or(Errno::Fault)?;
    mem.slice(ptrs, table_len)?;
    let packed = list.packed();
    let total = u32::try_from(packed.len()).map_err(|_| Errno::Fault)?;
    mem.slice(buf, total)?;
    buf.checked_add(total).ok_or(Errno::Fault)?;
    mem.write_bytes(buf, packed)?;
    for (i, offset) in list.offsets().enumerate() {
        mem.write_u32(ptrs + 4 * i as u32, buf + offset)?;
    }
    Ok(())
}

/// Writes the count of strings to `count_ptr` and their total size with NULs to `size_ptr`.
fn write_sizes(
    mem: &mut GuestMemory,
    list: &StringList,
    count_ptr: u32,
    size_ptr: u32,
) -> WasiResult<()> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::TooBig)?;
    let total = u32::try_from(list.packed().len()).map_err(|_| Errno::TooBig)?;
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
