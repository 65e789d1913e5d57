//! `-W NAME[=y|n][,...]`: turning WebAssembly features on and off from the command line, with
//! wasmtime's names and spelling (`-W tail-call=n,memory64=n`), shared by `run`, `wast`,
//! `compile`, `validate` and `inspect`.

use anyhow::{Result, bail};
use clap::Args;
use wexe::Config;

/// A feature `-W` can name, and how to set it.
struct Feature {
    name: &'static str,
    set: fn(&mut Config, bool) -> &mut Config,
}

/// Every feature wexe runs, by wasmtime's name.
const FEATURES: &[Feature] = &[
    Feature {
        name: "simd",
        set: Config::wasm_simd,
    },
    Feature {
        name: "exceptions",
        set: Config::wasm_exceptions,
    },
    Feature {
        name: "legacy-exceptions",
        set: Config::wasm_legacy_exceptions,
    },
    Feature {
        name: "tail-call",
        set: Config::wasm_tail_call,
    },
    Feature {
        name: "function-references",
        set: Config::wasm_function_references,
    },
    Feature {
        name: "memory64",
        set: Config::wasm_memory64,
    },
    Feature {
        name: "multi-memory",
        set: Config::wasm_multi_memory,
    },
    Feature {
        name: "relaxed-simd",
        set: Config::wasm_relaxed_simd,
    },
    Feature {
        name: "extended-const",
        set: Config::wasm_extended_const,
    },
    Feature {
        name: "wide-arithmetic",
        set: Config::wasm_wide_arithmetic,
    },
    Feature {
        name: "custom-page-sizes",
        set: Config::wasm_custom_page_sizes,
    },
];

/// Features wasmtime knows that wexe does not run yet: naming them off is accepted (it is
/// what wexe does anyway), naming them on is an error saying so.
const NOT_YET: &[&str] = &[
    "gc",
    "threads",
    "shared-everything-threads",
    "component-model",
    "stack-switching",
    "custom-descriptors",
];

/// The `-W` option.
#[derive(Args, Clone, Debug, Default)]
pub struct FeatureArgs {
    /// WebAssembly features on or off: -W NAME[=y|n][,...] with NAME one of simd, exceptions,
    /// legacy-exceptions, tail-call, function-references, memory64, multi-memory, relaxed-simd,
    /// extended-const, wide-arithmetic, custom-page-sizes (all on by default once both tiers
    /// run them)
    #[arg(short = 'W', value_name = "NAME[=y|n],...", action = clap::ArgAction::Append)]
    wasm: Vec<String>,
}

impl FeatureArgs {
    /// Applies every `-W` setting, in order, to `config`.
    pub fn apply(&self, config: &mut Config) -> Result<()> {
        for list in &self.wasm {
            for item in list.split(',').filter(|s| !s.is_empty()) {
                let (name, on) = parse_item(item)?;
                match FEATURES.iter().find(|f| f.name == name) {
                    Some(feature) => {
                        (feature.set)(config, on);
                    }
                    None if NOT_YET.contains(&name) => {
                        if on {
                            bail!("-W {name}: the {name} proposal is not supported by wexe yet");
                        }
                    }
                    None => bail!(
                        "-W {name}: unknown WebAssembly feature (known: {})",
                        FEATURES
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
        }
        Ok(())
    }
}

/// `NAME`, `NAME=y` or `NAME=n` (also `yes`/`no`, `true`/`false`).
fn parse_item(item: &str) -> Result<(&str, bool)> {
    let (name, value) = match item.split_once('=') {
        Some((name, value)) => (name, value),
        None => (item, "y"),
    };
    let on = match value {
        "y" | "yes" | "true" => true,
        "n" | "no" | "false" => false,
        _ => bail!("-W {item}: expected {name}=y or {name}=n"),
    };
    Ok((name, on))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(args: &[&str]) -> Result<()> {
        let args = FeatureArgs {
            wasm: args.iter().map(|s| s.to_string()).collect(),
        };
        args.apply(&mut Config::new())
    }

    #[test]
    fn names_and_values_are_checked() {
        assert!(apply(&["tail-call=n,memory64=y", "simd"]).is_ok());
        assert!(apply(&["gc=n"]).is_ok());
        let err = apply(&["gc=y"]).unwrap_err().to_string();
        assert!(err.contains("not supported"), "{err}");
        let err = apply(&["tailcall=y"]).unwrap_err().to_string();
        assert!(err.contains("unknown WebAssembly feature"), "{err}");
        let err = apply(&["simd=maybe"]).unwrap_err().to_string();
        assert!(err.contains("expected simd=y or simd=n"), "{err}");
    }
}
