//! The bodies of the `wasi_snapshot_preview1` (and `wasi_unstable`) functions, one Rust
//! function per WASI function, over a [`WasiCtx`] and a [`GuestMemory`]. Each returns the errno
//! for the guest; none panics on guest input. `proc_exit` is not here: it ends the call and is
//! handled by the linker glue.
//!
//! Pointers and lengths are `u32`, as the guest passes them; 64-bit values are `u64`.

mod args;
mod clock;
mod fd;
mod fdstat;
mod path;
mod poll;
mod readdir;
mod sock;

pub use args::{args_get, args_sizes_get, environ_get, environ_sizes_get};
pub use clock::{clock_res_get, clock_time_get, proc_raise, random_get, sched_yield};
pub use fd::{
    fd_advise, fd_allocate, fd_close, fd_datasync, fd_pread, fd_pwrite, fd_read, fd_renumber,
    fd_seek, fd_sync, fd_tell, fd_write,
};
pub use fdstat::{
    fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_filestat_get,
    fd_filestat_set_size, fd_filestat_set_times, fd_prestat_dir_name, fd_prestat_get,
};
pub use path::{
    path_create_directory, path_filestat_get, path_filestat_set_times, path_link, path_open,
    path_readlink, path_remove_directory, path_rename, path_symlink, path_unlink_file,
};
pub use poll::poll_oneoff;
pub use readdir::fd_readdir;
pub use sock::{sock_accept, sock_recv, sock_send, sock_shutdown};

pub use crate::ctx::WasiCtx;
pub use crate::memory::GuestMemory;
