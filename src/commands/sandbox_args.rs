//! The options that say what a program is granted and how far it may go — `--dir`,
//! `--dir-ro`, `--env`, `--fuel`, `--timeout` and the memory and table limits — shared by
//! `wexe run` (for its one run) and `wexe serve` (for each request).

use std::ffi::OsString;

use anyhow::Result;
use clap::Args;

use super::policy::{DirGrant, Grants, Limits};

/// The grant and limit options.
#[derive(Args)]
pub struct SandboxArgs {
    /// Preopen the host directory HOST for the program, as GUEST (default: HOST); repeatable
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,

    /// Like --dir, but the program may only read the directory
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    pub dirs_ro: Vec<String>,

    /// Set the environment variable NAME to VALUE for the program, or pass the host's NAME on;
    /// repeatable. The program sees no other variables.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub envs: Vec<OsString>,

    /// Give the program N units of fuel (one is used per function call and loop iteration);
    /// running out traps
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,

    /// Interrupt the program (a trap) after DURATION, such as 500ms, 2s or 1m
    #[arg(long, value_name = "DURATION", value_parser = super::limits::parse_timeout)]
    pub timeout: Option<std::time::Duration>,

    /// The most bytes the program may allocate for linear memories and tables together, over
    /// all its instances (`--preload`ed ones included); a table element counts 8 bytes
    #[arg(long, value_name = "BYTES")]
    pub max_memory_size: Option<u64>,

    /// The most elements any one table may hold
    #[arg(long, value_name = "N")]
    pub max_table_elements: Option<u64>,

    /// The most instances the program may create (the module and its preloads)
    #[arg(long, value_name = "N")]
    pub max_instances: Option<u64>,

    /// The most tables the program may create
    #[arg(long, value_name = "N")]
    pub max_tables: Option<u64>,

    /// The most linear memories the program may create
    #[arg(long, value_name = "N")]
    pub max_memories: Option<u64>,

    /// Trap when a memory or table may not grow (past a limit above), instead of making
    /// `memory.grow`/`table.grow` return -1
    #[arg(long)]
    pub trap_on_grow_failure: bool,
}

impl SandboxArgs {
    /// What the options grant: directories, variables (as their bytes), limits.
    pub fn grants(&self) -> Result<Grants> {
        let mut g = Grants::default();
        for d in &self.dirs {
            g.dirs.push(DirGrant::parse(d, false)?);
        }
        for d in &self.dirs_ro {
            g.dirs.push(DirGrant::parse(d, true)?);
        }
        for spec in &self.envs {
            match wexe_wasi::parse_env_spec(spec)? {
                (name, Some(value)) => g.set_env(name, value),
                (name, None) => {
                    if let Some(value) = std::env::var_os(name) {
                        g.set_env(name, value);
                    }
                }
            }
        }
        g.limits = Limits {
            max_memory: self.max_memory_size,
            max_table_elements: self.max_table_elements,
            max_instances: self.max_instances,
            max_tables: self.max_tables,
            max_memories: self.max_memories,
            trap_on_grow_failure: self.trap_on_grow_failure,
            fuel: self.fuel,
            timeout: self.timeout,
        };
        Ok(g)
    }
}
