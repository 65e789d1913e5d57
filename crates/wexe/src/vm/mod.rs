//! The low-level runtime structures that the execution tiers touch directly: linear memory,
//! executable code memory, the structures compiled code reads, and trap handling.

mod code;
mod dirty;
mod image;
mod memory;
mod pool;
pub(crate) mod traps;
pub(crate) mod vmcontext;

pub(crate) use code::CodeMemory;
pub(crate) use image::MemoryImage;
pub use memory::MemoryInit;
pub(crate) use memory::{GUARDED_RESERVATION, LinearMemory, MemorySource};
pub(crate) use pool::MemoryPool;
