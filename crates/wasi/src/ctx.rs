//! [`WasiCtx`]: everything one guest can see — its arguments, its environment and its
//! descriptor table — and the errors a call into the guest can end with besides traps:
//! [`I32Exit`] (`proc_exit`) and [`BrokenPipe`] (its standard output closed by its reader).

use crate::builder::WasiCtxBuilder;
use crate::strings::StringList;
use crate::table::FdTable;

/// The WASI state of one guest. Build it with [`WasiCtxBuilder`] and keep it in the store's
/// data; [`crate::add_to_linker`] reaches it through a projection from that data.
#[derive(Debug, Default)]
pub struct WasiCtx {
    /// Command-line arguments, the program name first.
    pub(crate) args: StringList,
    /// Environment entries as `NAME=VALUE`.
    pub(crate) env: StringList,
    /// The guest's file descriptors.
    pub(crate) table: FdTable,
    /// During a call: what blocking waits are interrupted through (none when nothing can
    /// interrupt the store).
    pub(crate) waiter: Option<wexe::InterruptWaiter>,
    /// Set when a write to the inherited stdout or stderr found it closed by its reader.
    pub(crate) stdio_closed: bool,
}

impl WasiCtx {
    /// A builder for a new context.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// The descriptor table.
    pub fn table(&self) -> &FdTable {
        &self.table
    }

    /// The descriptor table, mutably (to add descriptors after building).
    pub fn table_mut(&mut self) -> &mut FdTable {
        &mut self.table
    }
}

/// The error a call into the guest ends with when the guest calls `proc_exit(status)`.
/// Downcast the call's error to find it:
///
/// ```
/// # let err: anyhow::Error = wexe_wasi::I32Exit(3).into();
/// let status = match err.downcast_ref::<wexe_wasi::I32Exit>() {
///     Some(exit) => exit.0,
///     None => 134, // a trap or another failure
/// };
/// assert_eq!(status, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl std::fmt::Display for I32Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

/// The error a call into the guest ends with when the guest writes to the host's stdout or
/// stderr (inherited) and its reader has closed it — `prog | head -1` once `head` is done. A
/// native program is ended by `SIGPIPE` there; a WASI program cannot catch signals, so the call
/// ends, and the host decides (`wexe run` ends the same way a native program would). The write
/// itself failed with `EPIPE`, so nothing was lost that the reader wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokenPipe;

impl std::fmt::Display for BrokenPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reader of the program's standard output or error closed it")
    }
}

impl std::error::Error for BrokenPipe {}
