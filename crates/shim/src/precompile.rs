//! runwasi's precompilation hook, backed by wexe's compiled-module format.
//!
//! The first time an image with `application/wasm` layers runs, runwasi hands the layers to
//! [`WexeCompiler::compile`]; what it returns (wexe's `Module::serialize`: a checksummed body of
//! the wasm bytes and their machine code for this machine) is stored in containerd's content
//! store, labelled with the shim's name and [`WexeCompiler::cache_key`]. Later containers of the
//! image get the stored bytes with `precompiled: true` and [`load`] maps them without compiling.
//! The key holds the shim's version and the engine's compiled-code key (compiler version, CPU
//! features, settings), so a new wexe or another machine compiles again instead of loading code
//! it cannot run.
//!
//! The content store is containerd's own (written by containerd for this shim, not by images),
//! which is what makes loading machine code from it acceptable; `Module::deserialize` still
//! checks the format, the checksum and the key before any code is mapped.

use anyhow::{Context, Result};
use containerd_shim_wasm::sandbox::context::{WasmBinaryType, WasmLayer};
use containerd_shim_wasm::shim::Compiler;
use wexe::{Config, Engine, Module, Tier};

/// The engine settings every container runs with: wexe's defaults — tier-up (the program starts
/// in the interpreter at once and its hot functions are compiled by Cranelift on background
/// threads; a precompiled layer runs its machine code only), every default wasm feature, and no
/// on-disk cache (the container's files are its own; compiled code lives in containerd's
/// content store instead).
pub fn engine_config() -> Config {
    Config::new()
}

/// Compiles wasm layers for runwasi's content-store cache.
pub struct WexeCompiler;

impl Compiler for WexeCompiler {
    fn cache_key(&self) -> impl std::hash::Hash {
        let engine_key = Engine::new(&engine_config())
            .and_then(|e| e.compiled_code_key())
            .unwrap_or_else(|e| format!("no JIT here: {e}"));
        format!(
            "containerd-shim-wexe {} {engine_key}",
            env!("CARGO_PKG_VERSION")
        )
    }

    async fn compile(&self, layers: &[WasmLayer]) -> Result<Vec<Option<Vec<u8>>>> {
        // An interpreter engine only validates (it translates lazily); `serialize` then
        // compiles every function once with the JIT's settings, which are the same.
        let engine = Engine::new(engine_config().tier(Tier::Interp))?;
        Ok(layers
            .iter()
            .map(|layer| compile_layer(&engine, layer))
            .collect())
    }
}

/// The machine code of one layer, or `None` when it is not a module wexe can compile (a
/// component, another kind of file, a module that does not validate): it is then run, or
/// refused with its error, from its wasm bytes when the container starts.
fn compile_layer(engine: &Engine, layer: &WasmLayer) -> Option<Vec<u8>> {
    if layer.precompiled
        || !matches!(
            WasmBinaryType::from_bytes(&layer.layer),
            Some(WasmBinaryType::Module)
        )
    {
        return None;
    }
    let digest = layer.config.digest();
    match Module::from_binary(engine, &layer.layer).and_then(|m| m.serialize()) {
        Ok(bytes) => {
            log::info!(
                "wexe: compiled layer {digest} ({} bytes of wasm)",
                layer.layer.len()
            );
            Some(bytes)
        }
        Err(e) => {
            log::warn!("wexe: layer {digest} not precompiled: {e:#}");
            None
        }
    }
}

/// The module of a layer runwasi read from the image: its wasm bytes, or, when `precompiled`,
/// the machine code [`WexeCompiler::compile`] made for it.
pub fn load(engine: &Engine, layer: &WasmLayer) -> Result<Module> {
    let digest = layer.config.digest();
    if layer.precompiled {
        // SAFETY: the bytes come from containerd's content store, where runwasi keeps what
        // `WexeCompiler::compile` (`Module::serialize`) returned under this shim's name and
        // cache key; `deserialize` checks the format, checksum and compiled-code key.
        return unsafe { Module::deserialize(engine, &layer.layer) }
            .with_context(|| format!("cannot load the precompiled layer {digest}"));
    }
    Module::new(engine, &layer.layer).with_context(|| format!("invalid module in layer {digest}"))
}
