//! The interpreter's execution loop and its value stack.

use crate::Config;

/// The value stack and call frames of a store, reused across calls.
pub(crate) struct ExecStack {}

impl ExecStack {
    pub fn new(_config: &Config) -> ExecStack {
        ExecStack {}
    }
}
