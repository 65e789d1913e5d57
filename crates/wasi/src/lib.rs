//! wexe-wasi: WASI preview1 for wexe. Programs compiled for `wasm32-wasi` run as native
//! programs do, and see only what the host grants them.
//!
//! - [`WasiCtxBuilder`] grants capabilities: arguments, environment variables, stdio
//!   (inherited, from bytes, captured in memory), preopened directories (read-write or
//!   read-only) and listening TCP sockets. Nothing is granted by default.
//! - [`add_to_linker`] defines all 46 functions of `wasi_snapshot_preview1`, and the same
//!   under `wasi_unstable` (with that ABI's `whence`, `filestat` and subscription layouts).
//! - `proc_exit(n)` ends the call with the error [`I32Exit`]`(n)`; a write to an inherited
//!   stdout or stderr whose reader closed it ends the call with [`BrokenPipe`].
//! - Calls that wait (`poll_oneoff`, reads of stdin, pipes and sockets, writes to a full pipe
//!   or socket, `sock_accept`) wait through [`blocking`]: when the store is interrupted
//!   ([`wexe::InterruptHandle::interrupt`], `wexe run --timeout`), they end with the trap
//!   [`wexe::Trap::Interrupt`], as interrupted wasm code does.
//!
//! File system access goes through cap-std: no path resolves outside its preopened directory,
//! whatever `..`, absolute paths, symlinks or hard links it uses. Guest pointers are checked
//! ([`memory`]): bad ones give `EFAULT`, never a host crash.
//!
//! A host that runs a WASI program and reads what it printed:
//!
//! ```
//! use wexe::{Engine, Linker, Module, Store};
//! use wexe_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};
//!
//! # fn main() -> anyhow::Result<()> {
//! let engine = Engine::default();
//! // Any wasm32-wasi program will do (`Module::from_file(&engine, "hello.wasm")`); this one
//! // writes "hello\n" to stdout and exits with status 3.
//! let module = Module::new(&engine, r#"(module
//!     (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (data (i32.const 8) "\10\00\00\00\06\00\00\00hello\n")
//!     (func (export "_start")
//!         (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 32)))
//!         (call $exit (i32.const 3))))"#)?;
//!
//! let mut builder = WasiCtxBuilder::new();
//! builder.args(["hello", "world"]).env("GREETING", "hi");
//! let stdout = builder.capture_stdout();
//! let ctx = builder.build()?;
//!
//! let mut linker: Linker<WasiCtx> = Linker::new(&engine);
//! wexe_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
//! let mut store = Store::new(&engine, ctx);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
//! let status = match start.call(&mut store, ()) {
//!     Ok(()) => 0,
//!     Err(e) => match e.downcast_ref::<I32Exit>() {
//!         Some(exit) => exit.0,
//!         None => return Err(e), // a trap: `wexe run` exits 134
//!     },
//! };
//! assert_eq!(status, 3);
//! assert_eq!(stdout.contents_string(), "hello\n");
//! # Ok(())
//! # }
//! ```

pub mod blocking;
pub mod builder;
pub mod ctx;
pub mod errno;
pub mod handle;
pub mod linker;
pub mod memory;
pub mod preview1;
pub mod stdio;
pub mod strings;
pub mod table;
pub mod types;

pub use builder::{WasiCtxBuilder, parse_dir_spec, parse_env_spec};
/// The capability-based file system `WasiCtxBuilder::preopen_opened` takes directories from.
pub use cap_std;
pub use ctx::{BrokenPipe, I32Exit, WasiCtx};
pub use errno::Errno;
pub use linker::{FUNCTIONS, add_to_linker};
pub use stdio::{Input, MemoryOutput, Output};
pub use strings::StringList;
