//! The glue to wexe: [`add_to_linker`] defines every function of `wasi_snapshot_preview1` and
//! of `wasi_unstable` in a [`Linker`], each a thin wrapper that finds the guest's memory and
//! the [`WasiCtx`] in the store data and calls the body in [`crate::preview1`].

use anyhow::Result;
use wexe::{Caller, Linker, Trap};

use crate::ctx::{I32Exit, WasiCtx};
use crate::errno::WasiResult;
use crate::memory::GuestMemory;
use crate::preview1 as p;
use crate::types::Abi;

/// Runs a WASI body with the context and the caller's exported `memory` (a module without one
/// gets an empty memory: every pointer is then `EFAULT`). The context is moved out of the store
/// data for the call, which lets the body hold it and the memory at once.
///
/// The body gets the store's [`wexe::InterruptWaiter`] in the context: a call that ends while
/// the store is interrupted (typically a wait that the interruption cut short) ends with
/// [`Trap::Interrupt`] instead of its errno.
fn call<T: 'static>(
    caller: &mut Caller<'_, T>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    body: impl FnOnce(&mut WasiCtx, &mut GuestMemory) -> WasiResult<()>,
) -> Result<i32> {
    // Found once per instance, when it was made: no name lookup per call.
    let memory = caller.exported_memory();
    let mut ctx = std::mem::take(get(caller.data_mut()));
    ctx.waiter = caller.interrupt_waiter();
    let result = {
        let bytes: &mut [u8] = match memory {
            Some(m) => m.data_mut(&mut *caller),
            None => &mut [],
        };
        body(&mut ctx, &mut GuestMemory::new(bytes))
    };
    let interrupted = ctx.waiter.take().is_some_and(|w| w.is_interrupted());
    let stdio_closed = std::mem::take(&mut ctx.stdio_closed);
    *get(caller.data_mut()) = ctx;
    if interrupted {
        return Err(Trap::Interrupt.into());
    }
    if stdio_closed {
        return Err(crate::BrokenPipe.into());
    }
    Ok(match result {
        Ok(()) => 0,
        Err(e) => i32::from(e as u16),
    })
}

/// Defines one WASI function: `name(params) => body`, where the body sees `ctx` and `mem`.
macro_rules! define {
    ($linker:ident, $module:ident, $get:ident, $name:literal, |$ctx:ident, $mem:ident $(, $p:ident : $t:ty)*| $body:expr) => {
        $linker.func_wrap(
            $module,
            $name,
            move |mut caller: Caller<'_, T>, $($p: $t),*| -> Result<i32> {
                call(&mut caller, $get, |$ctx, $mem| $body)
            },
        )?;
    };
}

/// Defines all of `wasi_snapshot_preview1` and `wasi_unstable` in `linker`. `get` finds the
/// [`WasiCtx`] inside the store's data: `|state: &mut MyState| &mut state.wasi`, or
/// `|ctx: &mut WasiCtx| ctx` when the context is the whole data.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> Result<()> {
    add_module(linker, "wasi_snapshot_preview1", Abi::Preview1, get)?;
    add_module(linker, "wasi_unstable", Abi::Unstable, get)
}

#[rustfmt::skip]
fn add_module<T: 'static>(
    l: &mut Linker<T>,
    m: &'static str,
    abi: Abi,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> Result<()> {
    define!(l, m, get, "args_get", |c, mem, a: i32, b: i32| p::args_get(c, mem, a as u32, b as u32));
    define!(l, m, get, "args_sizes_get", |c, mem, a: i32, b: i32| p::args_sizes_get(c, mem, a as u32, b as u32));
    define!(l, m, get, "environ_get", |c, mem, a: i32, b: i32| p::environ_get(c, mem, a as u32, b as u32));
    define!(l, m, get, "environ_sizes_get", |c, mem, a: i32, b: i32| p::environ_sizes_get(c, mem, a as u32, b as u32));
    define!(l, m, get, "clock_res_get", |c, mem, id: i32, r: i32| p::clock_res_get(c, mem, id as u32, r as u32));
    define!(l, m, get, "clock_time_get", |c, mem, id: i32, pr: i64, r: i32| p::clock_time_get(c, mem, id as u32, pr as u64, r as u32));
    define!(l, m, get, "fd_advise", |c, mem, fd: i32, o: i64, n: i64, a: i32| p::fd_advise(c, mem, fd as u32, o as u64, n as u64, a as u32));
    define!(l, m, get, "fd_allocate", |c, mem, fd: i32, o: i64, n: i64| p::fd_allocate(c, mem, fd as u32, o as u64, n as u64));
    define!(l, m, get, "fd_close", |c, mem, fd: i32| p::fd_close(c, mem, fd as u32));
    define!(l, m, get, "fd_datasync", |c, mem, fd: i32| p::fd_datasync(c, mem, fd as u32));
    define!(l, m, get, "fd_fdstat_get", |c, mem, fd: i32, b: i32| p::fd_fdstat_get(c, mem, fd as u32, b as u32));
    define!(l, m, get, "fd_fdstat_set_flags", |c, mem, fd: i32, f: i32| p::fd_fdstat_set_flags(c, mem, fd as u32, f as u32));
    define!(l, m, get, "fd_fdstat_set_rights", |c, mem, fd: i32, b: i64, i: i64| p::fd_fdstat_set_rights(c, mem, fd as u32, b as u64, i as u64));
    define!(l, m, get, "fd_filestat_get", |c, mem, fd: i32, b: i32| p::fd_filestat_get(c, mem, abi, fd as u32, b as u32));
    define!(l, m, get, "fd_filestat_set_size", |c, mem, fd: i32, s: i64| p::fd_filestat_set_size(c, mem, fd as u32, s as u64));
    define!(l, m, get, "fd_filestat_set_times", |c, mem, fd: i32, a: i64, t: i64, f: i32| p::fd_filestat_set_times(c, mem, fd as u32, a as u64, t as u64, f as u32));
    define!(l, m, get, "fd_pread", |c, mem, fd: i32, v: i32, n: i32, o: i64, r: i32| p::fd_pread(c, mem, fd as u32, v as u32, n as u32, o as u64, r as u32));
    define!(l, m, get, "fd_prestat_get", |c, mem, fd: i32, b: i32| p::fd_prestat_get(c, mem, fd as u32, b as u32));
    define!(l, m, get, "fd_prestat_dir_name", |c, mem, fd: i32, b: i32, n: i32| p::fd_prestat_dir_name(c, mem, fd as u32, b as u32, n as u32));
    define!(l, m, get, "fd_pwrite", |c, mem, fd: i32, v: i32, n: i32, o: i64, r: i32| p::fd_pwrite(c, mem, fd as u32, v as u32, n as u32, o as u64, r as u32));
    define!(l, m, get, "fd_read", |c, mem, fd: i32, v: i32, n: i32, r: i32| p::fd_read(c, mem, fd as u32, v as u32, n as u32, r as u32));
    define!(l, m, get, "fd_readdir", |c, mem, fd: i32, b: i32, n: i32, k: i64, r: i32| p::fd_readdir(c, mem, fd as u32, b as u32, n as u32, k as u64, r as u32));
    define!(l, m, get, "fd_renumber", |c, mem, fd: i32, to: i32| p::fd_renumber(c, mem, fd as u32, to as u32));
    define!(l, m, get, "fd_seek", |c, mem, fd: i32, o: i64, w: i32, r: i32| p::fd_seek(c, mem, abi, fd as u32, o, w as u32, r as u32));
    define!(l, m, get, "fd_sync", |c, mem, fd: i32| p::fd_sync(c, mem, fd as u32));
    define!(l, m, get, "fd_tell", |c, mem, fd: i32, r: i32| p::fd_tell(c, mem, fd as u32, r as u32));
    define!(l, m, get, "fd_write", |c, mem, fd: i32, v: i32, n: i32, r: i32| p::fd_write(c, mem, fd as u32, v as u32, n as u32, r as u32));
    define!(l, m, get, "path_create_directory", |c, mem, fd: i32, s: i32, n: i32| p::path_create_directory(c, mem, fd as u32, s as u32, n as u32));
    define!(l, m, get, "path_filestat_get", |c, mem, fd: i32, f: i32, s: i32, n: i32, b: i32| p::path_filestat_get(c, mem, abi, fd as u32, f as u32, s as u32, n as u32, b as u32));
    define!(l, m, get, "path_filestat_set_times", |c, mem, fd: i32, f: i32, s: i32, n: i32, a: i64, t: i64, x: i32| p::path_filestat_set_times(c, mem, fd as u32, f as u32, s as u32, n as u32, a as u64, t as u64, x as u32));
    define!(l, m, get, "path_link", |c, mem, ofd: i32, f: i32, os: i32, on: i32, nfd: i32, ns: i32, nn: i32| p::path_link(c, mem, ofd as u32, f as u32, os as u32, on as u32, nfd as u32, ns as u32, nn as u32));
    define!(l, m, get, "path_open", |c, mem, fd: i32, df: i32, s: i32, n: i32, of: i32, rb: i64, ri: i64, ff: i32, r: i32| p::path_open(c, mem, fd as u32, df as u32, s as u32, n as u32, of as u32, rb as u64, ri as u64, ff as u32, r as u32));
    define!(l, m, get, "path_readlink", |c, mem, fd: i32, s: i32, n: i32, b: i32, bl: i32, r: i32| p::path_readlink(c, mem, fd as u32, s as u32, n as u32, b as u32, bl as u32, r as u32));
    define!(l, m, get, "path_remove_directory", |c, mem, fd: i32, s: i32, n: i32| p::path_remove_directory(c, mem, fd as u32, s as u32, n as u32));
    define!(l, m, get, "path_rename", |c, mem, fd: i32, os: i32, on: i32, nfd: i32, ns: i32, nn: i32| p::path_rename(c, mem, fd as u32, os as u32, on as u32, nfd as u32, ns as u32, nn as u32));
    define!(l, m, get, "path_symlink", |c, mem, os: i32, on: i32, fd: i32, ns: i32, nn: i32| p::path_symlink(c, mem, os as u32, on as u32, fd as u32, ns as u32, nn as u32));
    define!(l, m, get, "path_unlink_file", |c, mem, fd: i32, s: i32, n: i32| p::path_unlink_file(c, mem, fd as u32, s as u32, n as u32));
    define!(l, m, get, "poll_oneoff", |c, mem, i: i32, o: i32, n: i32, r: i32| p::poll_oneoff(c, mem, abi, i as u32, o as u32, n as u32, r as u32));
    define!(l, m, get, "proc_raise", |c, mem, s: i32| p::proc_raise(c, mem, s as u32));
    define!(l, m, get, "sched_yield", |c, mem| p::sched_yield(c, mem));
    define!(l, m, get, "random_get", |c, mem, b: i32, n: i32| p::random_get(c, mem, b as u32, n as u32));
    define!(l, m, get, "sock_accept", |c, mem, fd: i32, f: i32, r: i32| p::sock_accept(c, mem, fd as u32, f as u32, r as u32));
    define!(l, m, get, "sock_recv", |c, mem, fd: i32, v: i32, n: i32, f: i32, r: i32, rf: i32| p::sock_recv(c, mem, fd as u32, v as u32, n as u32, f as u32, r as u32, rf as u32));
    define!(l, m, get, "sock_send", |c, mem, fd: i32, v: i32, n: i32, f: i32, r: i32| p::sock_send(c, mem, fd as u32, v as u32, n as u32, f as u32, r as u32));
    define!(l, m, get, "sock_shutdown", |c, mem, fd: i32, h: i32| p::sock_shutdown(c, mem, fd as u32, h as u32));
    l.func_wrap(m, "proc_exit", |_caller: Caller<'_, T>, status: i32| -> Result<()> {
        Err(I32Exit(status).into())
    })?;
    Ok(())
}

/// The names of the functions [`add_to_linker`] defines in each module.
pub const FUNCTIONS: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];
