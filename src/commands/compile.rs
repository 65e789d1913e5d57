//! `wexe compile`: compiles a module ahead of time into a `.cwasm` file of machine code for this
//! machine, which `wexe run --allow-precompiled` then loads without compiling. A `.cwasm` is refused by another wexe
//! version, on a machine with other CPU features, or when it is corrupt (checksum).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use wexe::{Engine, Module};

use super::TierArg;

const EXAMPLES: &str = "\\
Examples:
  wexe compile app.wasm               writes app.cwasm
  wexe compile app.wasm -o /opt/app.cwasm
  wexe run --allow-precompiled app.cwasm   runs it without compiling";

/// Compile a module ahead of time to machine code (a .cwasm file)
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct CompileCommand {
    /// The module (.wasm or .wat)
    file: PathBuf,

    /// Where to write the compiled module (default: FILE with the extension .cwasm)
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    #[command(flatten)]
    features: super::features::FeatureArgs,
}

impl CompileCommand {
    pub fn execute(self) -> Result<ExitCode> {
        // Loaded by an interpreter engine, which only validates (its translation is lazy):
        // `serialize` then compiles once, with the JIT's settings, which are the same.
        let mut config = TierArg::Interp.config();
        self.features.apply(&mut config)?;
        let engine = Engine::new(&config)?;
        let module = Module::from_file(&engine, &self.file)?;
        let bytes = module.serialize()?;
        let out = self
            .output
            .unwrap_or_else(|| self.file.with_extension("cwasm"));
        std::fs::write(&out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
        Ok(ExitCode::SUCCESS)
    }
}
