//! The low-level runtime structures that the execution tiers touch directly.

mod memory;

pub(crate) use memory::LinearMemory;
