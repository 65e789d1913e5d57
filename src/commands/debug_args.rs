//! `-g` and `-D NAME[=y|n][,...]` (wasmtime's spelling): source-level debugging of the guest
//! with a native debugger (see docs/debugging.md).

use anyhow::{Result, bail};
use clap::Args;
use wexe::Config;

/// The debugging options of `wexe run`.
#[derive(Args, Clone, Debug, Default)]
pub struct DebugArgs {
    /// Make the guest debuggable at the source level with GDB or LLDB (the same as
    /// -D debug-info): its DWARF is translated for the machine code (JIT tier)
    #[arg(short = 'g')]
    debug_info: bool,

    /// Debugging options: -D debug-info[=y|n]
    #[arg(short = 'D', value_name = "NAME[=y|n],...", action = clap::ArgAction::Append)]
    debug: Vec<String>,
}

impl DebugArgs {
    /// Whether debug info is asked for (an error for an unknown option).
    pub fn debug_info(&self) -> Result<bool> {
        let mut on = self.debug_info;
        for list in &self.debug {
            for item in list.split(',').filter(|s| !s.is_empty()) {
                let (name, value) = item.split_once('=').unwrap_or((item, "y"));
                if name != "debug-info" {
                    bail!("-D {name}: unknown debugging option (known: debug-info)");
                }
                on = match value {
                    "y" | "yes" | "true" => true,
                    "n" | "no" | "false" => false,
                    _ => bail!("-D {item}: expected {name}=y or {name}=n"),
                };
            }
        }
        Ok(on)
    }

    /// Applies the options to `config`; source debugging needs machine code: the JIT tier, or
    /// tier-up (which then compiles every function before it runs, as the JIT does).
    pub fn apply(&self, config: &mut Config, jit: bool) -> Result<()> {
        if self.debug_info()? {
            if !jit {
                bail!(
                    "-g (source-level debugging) needs the JIT tier: the interpreter runs no \
                     machine code a debugger could show (use --tier jit)"
                );
            }
            config.debug_info(true);
        }
        Ok(())
    }
}
