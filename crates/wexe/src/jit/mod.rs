//! The JIT tier: modules compiled by `wexe-cranelift` ([`code`]), the per-store state compiled
//! code reads ([`store`]), the runtime helpers it calls ([`builtins`]) and calls into compiled
//! code with traps turned into errors with backtraces ([`call`]).

mod builtins;
mod call;
mod code;
mod store;

pub(crate) use call::call;
pub(crate) use code::{JitModule, compile};
pub(crate) use store::{JitStore, instantiate};

/// Whether Cranelift can compile for this machine.
pub(crate) fn check_host() -> Result<(), String> {
    code::compiler().map(|_| ())
}

/// Compiles a module when `engine` runs the JIT tier.
pub(crate) fn compile_for(
    engine: &crate::Engine,
    info: &wexe_environ::ModuleInfo,
    bytes: &[u8],
    type_ids: &[u32],
) -> anyhow::Result<Option<JitModule>> {
    if engine.config().tier != crate::Tier::Jit {
        return Ok(None);
    }
    compile(info, bytes, type_ids)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("compilation failed: {e}"))
}
