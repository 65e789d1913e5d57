//! `wexe validate FILE...`: checks that modules are valid for this engine; prints the cause and
//! its byte offset for each that is not, and exits with 1 if any is not.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use wexe::{Config, Engine, Module};

const EXAMPLES: &str = "\
Examples:
  wexe validate app.wasm          `app.wasm: valid`, or the error and its offset (exit status 1)
  wexe validate a.wasm b.wat      several files; text modules are checked after assembling";

/// Check that WebAssembly modules are valid
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct ValidateCommand {
    /// The modules (.wasm binaries or .wat text)
    #[arg(required = true)]
    files: Vec<PathBuf>,

    #[command(flatten)]
    features: super::features::FeatureArgs,
}

impl ValidateCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut config = Config::new();
        self.features.apply(&mut config)?;
        let engine = Engine::new(&config)?;
        let mut all_valid = true;
        for file in &self.files {
            let result = read_binary(file).and_then(|bytes| Module::validate(&engine, &bytes));
            match result {
                Ok(()) => println!("{}: valid", file.display()),
                Err(e) => {
                    all_valid = false;
                    println!("{}: invalid: {}", file.display(), super::one_line(&e));
                }
            }
        }
        Ok(if all_valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// The binary form of a `.wasm` or `.wat` file (text errors keep their `file:line:col`).
pub fn read_binary(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    let binary = wat::Parser::new()
        .parse_bytes(Some(path), &bytes)
        .map_err(|e| anyhow!("{e}"))?;
    Ok(binary.into_owned())
}
