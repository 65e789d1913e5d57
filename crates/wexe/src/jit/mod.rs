//! The JIT tier: modules compiled by `wexe-cranelift` ([`code`]), the per-store state compiled
//! code reads ([`store`]), the runtime helpers it calls ([`builtins`]) and calls into compiled
//! code with traps turned into errors with backtraces ([`call`]), and the throwing of wasm
//! exceptions through compiled frames ([`unwind`], with the builtin entries of
//! [`frame_stub`]); under `Config::debug_info`, the modules' debug images registered with
//! debuggers ([`debug_image`], [`gdb_jit`]).

mod builtins;
mod cache;
mod cache_key;
mod call;
mod code;
mod debug_image;
mod frame_stub;
mod gdb_jit;
mod store;
mod unwind;

pub(crate) use cache::{
    ModuleId, TieredEntry, known_valid, lookup_tiered, module_id, remember_valid, store_tiered,
    tiered_entry,
};
pub(crate) use call::run_code;
pub(crate) use call::run_on_slots;
pub(crate) use code::fingerprint as compiled_code_key;
pub(crate) use code::{JitModule, compile_function, compile_osr, compile_trampolines, load};
pub(crate) use debug_image::{
    note_instance as note_debug_instance, register as register_debug_info,
};
pub(crate) use store::{JitStore, instantiate};

/// Whether the on-disk cache can sign and check its entries (see `cache_key`).
pub(crate) fn cache_available() -> Result<(), String> {
    cache_key::cache_key().map(|_| ()).map_err(str::to_string)
}

/// Whether Cranelift can compile for this machine.
pub(crate) fn check_host() -> Result<(), String> {
    code::compiler().map(|_| ())
}

/// Compiles a module when `engine` runs the JIT tier.
pub(crate) fn compile_for(
    engine: &crate::Engine,
    info: &wexe_environ::ModuleInfo,
    bytes: &[u8],
) -> anyhow::Result<Option<JitModule>> {
    if engine.config().tier != crate::Tier::Jit {
        return Ok(None);
    }
    cache::compile_and_store(engine.config(), info, bytes)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("compilation failed: {e}"))
}

/// Appends `jit`'s code to `/tmp/perf-PID.map` when `engine` is configured to
/// ([`crate::Config::perfmap`]): the file Linux perf reads the names of JIT code from.
pub(crate) fn write_perf_map(
    engine: &crate::Engine,
    jit: &JitModule,
    info: &wexe_environ::ModuleInfo,
) {
    use std::io::Write;
    if !engine.config().perfmap {
        return;
    }
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    // Best effort: a profiling aid must not make the program fail.
    if let Ok(mut file) = file {
        let _ = file.write_all(jit.perf_map(info).as_bytes());
    }
}

/// The code for `bytes` from the on-disk cache, when `engine` runs the JIT tier with a cache
/// that holds it (then `bytes` validated when they were compiled).
pub(crate) fn cached(engine: &crate::Engine, bytes: &[u8]) -> Option<JitModule> {
    if engine.config().tier != crate::Tier::Jit {
        return None;
    }
    cache::lookup(engine.config(), bytes)
}

/// The compiled form of a module's bytes, for `Module::serialize`.
pub(crate) fn serialize(
    config: &crate::Config,
    info: &wexe_environ::ModuleInfo,
    bytes: &[u8],
) -> anyhow::Result<Vec<u8>> {
    let err = |e: String| anyhow::anyhow!("compilation failed: {e}");
    let compiled = code::compile_raw(config, info, bytes).map_err(err)?;
    Ok(cache::encode(
        &code::fingerprint(config).map_err(err)?,
        bytes,
        &compiled,
    ))
}

/// Splits serialized bytes into the wasm bytes and the loaded code, checking that they were
/// made by this compiler for this machine.
pub(crate) fn deserialize(
    config: &crate::Config,
    bytes: &[u8],
) -> anyhow::Result<(Vec<u8>, JitModule)> {
    let (print, wasm, compiled) = cache::decode(bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let here = code::fingerprint(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    if print != here.as_bytes() {
        anyhow::bail!("the module was compiled by another wexe or for another machine");
    }
    let jm = code::load(compiled, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((wasm.to_vec(), jm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_modules_of_another_build_or_machine_are_refused() {
        let mut config = crate::Config::new();
        config.tier(crate::Tier::Jit);
        let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
        let info =
            wexe_environ::parse_module(&wasm, wexe_environ::Features::default().to_wasmparser())
                .unwrap();
        let compiled = code::compile_raw(&config, &info, &wasm).unwrap();
        let here = code::fingerprint(&config).unwrap();
        assert!(deserialize(&config, &cache::encode(&here, &wasm, &compiled)).is_ok());
        // Correctly checksummed, but made by another version or for other CPU features.
        let other = here.replace("wexe-cranelift", "wexe-cranelift-other");
        let err = deserialize(&config, &cache::encode(&other, &wasm, &compiled))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("another wexe or for another machine"),
            "{err}"
        );
    }
}
