//! stub
pub mod builder;
pub mod ctx;
pub mod errno;
pub mod handle;
pub mod memory;
pub mod stdio;
pub mod table;
pub mod types;
