//! The low-level runtime structures that the execution tiers touch directly: linear memory,
//! executable code memory, the structures compiled code reads, and trap handling.

mod code;
mod memory;
pub(crate) mod traps;
pub(crate) mod vmcontext;

pub(crate) use code::CodeMemory;
pub(crate) use memory::LinearMemory;
