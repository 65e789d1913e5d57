//! wexe: a WebAssembly runtime library.
//!
//! The API has the shape Rust users know from wasmtime: an [`Engine`] holds settings, a
//! [`Module`] is validated code, a [`Store`] owns instances and host data, a [`Linker`] resolves
//! imports, and [`Func`], [`TypedFunc`], [`Memory`], [`Table`] and [`Global`] are handles into a
//! store. Traps come back as errors that hold a [`Trap`] and a [`WasmBacktrace`].
//!
//! ```
//! use wexe::{Caller, Engine, Linker, Module, Store};
//!
//! # fn main() -> anyhow::Result<()> {
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "log" (func $log (param i32)))
//!       (func (export "sum") (param i32 i32) (result i32)
//!         (call $log (local.get 0))
//!         (i32.add (local.get 0) (local.get 1))))
//! "#)?;
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "log", |mut caller: Caller<'_, Vec<i32>>, x: i32| {
//!     caller.data_mut().push(x);
//! })?;
//! let mut store = Store::new(&engine, Vec::new());
//! let instance = linker.instantiate(&mut store, &module)?;
//! let sum = instance.get_typed_func::<(i32, i32), i32>(&mut store, "sum")?;
//! assert_eq!(sum.call(&mut store, (5, 4))?, 9);
//! assert_eq!(store.data(), &[5]);
//! # Ok(())
//! # }
//! ```
//!
//! A host and a guest sharing one memory:
//!
//! ```
//! use wexe::{Caller, Engine, Extern, Linker, Module, Store};
//!
//! # fn main() -> anyhow::Result<()> {
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "shout" (func $shout (param i32 i32)))
//!       (memory (export "memory") 1)
//!       (data (i32.const 16) "hello")
//!       (func (export "run") (call $shout (i32.const 16) (i32.const 5))))
//! "#)?;
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "shout", |mut caller: Caller<'_, ()>, ptr: i32, len: i32| {
//!     let Some(Extern::Memory(mem)) = caller.get_export("memory") else {
//!         anyhow::bail!("no memory exported");
//!     };
//!     let bytes = &mut mem.data_mut(&mut caller)[ptr as usize..(ptr + len) as usize];
//!     bytes.make_ascii_uppercase();
//!     Ok(())
//! })?;
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &module)?;
//! instance.get_typed_func::<(), ()>(&mut store, "run")?.call(&mut store, ())?;
//! let memory = instance.get_memory(&mut store, "memory").unwrap();
//! assert_eq!(&memory.data(&store)[16..21], b"HELLO");
//! # Ok(())
//! # }
//! ```

mod config;
mod exn;
mod externals;
mod func;
mod instance;
mod interp;
mod jit;
mod limits;
mod linker;
mod module;
mod pre;
mod store;
mod tier;
mod trap;
mod type_registry;
mod typed;
mod v128;
mod values;
mod vm;

pub use anyhow::{Error, Result};
pub use config::{Config, Engine, Tier};
pub use exn::{ExnRef, Tag, TagType};
pub use externals::{Extern, Global, Memory, MemoryAccessError, Table};
pub use func::{Caller, Func, IntoFunc};
pub use instance::Instance;
pub use limits::{
    DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT, ResourceLimiter,
    StoreLimits, StoreLimitsBuilder, TABLE_ELEMENT_BYTES,
};
pub use linker::Linker;
pub use module::{ExportType, ImportType, Module};
pub use pre::InstancePre;
pub use store::{
    AsContext, AsContextMut, InterruptHandle, InterruptWaiter, Store, StoreContext,
    StoreContextMut, ThrownException,
};
pub use trap::{FrameInfo, Trap, WasmBacktrace};
pub use typed::{TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use v128::V128;
pub use values::{AnyRef, ExternRef, Val};
pub use wexe_environ::{
    EntityType as ExternType, Features, FuncType, GlobalType, HeapType, MemoryType, Mutability,
    RefType, TableType, ValType,
};
