//! `--preload NAME=PATH`: instantiates another module first and defines its exports under the
//! import module name NAME, so the main module can import from it (as wasmtime's flag does).
//! Preloads live in the program's store, so the memory and table limits (`limits.rs`) count
//! them together with the main module.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wexe::{Engine, Linker, Module, Store};

use super::validate::read_binary;

/// Splits `NAME=PATH`.
pub fn parse(spec: &str) -> Result<(&str, &Path)> {
    match spec.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok((name, Path::new(path))),
        _ => bail!("--preload expects NAME=PATH, got `{spec}`"),
    }
}

/// Instantiates every preload, in order, with the imports `linker` already has (earlier
/// preloads and WASI included), and defines its exports under its name.
pub fn apply<T: 'static>(
    engine: &Engine,
    linker: &mut Linker<T>,
    store: &mut Store<T>,
    specs: &[String],
) -> Result<()> {
    for spec in specs {
        let (name, path) = parse(spec)?;
        let bytes =
            read_binary(path).with_context(|| format!("invalid module {}", path.display()))?;
        let module = Module::from_binary(engine, &bytes)
            .with_context(|| format!("invalid module {}", path.display()))?;
        linker
            .module(&mut *store, name, &module)
            .with_context(|| format!("cannot preload `{name}` from {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn specs_are_split() {
        let (n, p) = super::parse("math=lib/math.wasm").unwrap();
        assert_eq!((n, p.to_str().unwrap()), ("math", "lib/math.wasm"));
        assert!(super::parse("nomath").is_err());
        assert!(super::parse("=x.wasm").is_err());
    }
}
