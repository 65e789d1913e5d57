//! `wexe inspect FILE`: what a module is made of — its name, imports and exports with their types,
//! memories, tables, globals, every section with its offset and size, and the producers section
//! (the languages and tools that made it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use wasmparser::{KnownCustom, Parser, Payload};
use wexe::{Config, Engine, ExternType, MemoryType, Module, TableType};

use super::validate::read_binary;

const EXAMPLES: &str = "\
Examples:
  wexe inspect app.wasm       imports, exports, memories, tables, globals, sections, producers
  wexe inspect app.wat        text modules are assembled first";

/// Show what a WebAssembly module imports, exports and contains
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct InspectCommand {
    /// The module (.wasm binary or .wat text)
    file: PathBuf,

    #[command(flatten)]
    features: super::features::FeatureArgs,
}

impl InspectCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let bytes = read_binary(&self.file)
            .with_context(|| format!("invalid module {}", self.file.display()))?;
        let mut config = Config::new();
        self.features.apply(&mut config)?;
        let engine = Engine::new(&config)?;
        let module = Module::from_binary(&engine, &bytes)
            .with_context(|| format!("invalid module {}", self.file.display()))?;
        print!("{}", describe(&module, &bytes));
        Ok(ExitCode::SUCCESS)
    }
}

fn limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) => format!("min {min}, max {max}"),
        None => format!("min {min}, no max"),
    }
}

fn memory(m: &MemoryType) -> String {
    format!("memory {} (pages of 64 KiB)", limits(m.minimum, m.maximum))
}

fn table(t: &TableType) -> String {
    format!("table {} {}", t.element, limits(t.minimum, t.maximum))
}

fn extern_type(t: &ExternType) -> String {
    match t {
        ExternType::Memory(m) => memory(m),
        ExternType::Table(t) => table(t),
        other => other.to_string(),
    }
}

/// The whole report.
pub fn describe(module: &Module, bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    let info = module.info();
    line(format!("name: {}", module.name().unwrap_or("(none)")));
    line(format!("imports ({}):", module.imports().len()));
    for i in module.imports() {
        line(format!(
            "  {}::{}: {}",
            i.module(),
            i.name(),
            extern_type(&i.ty())
        ));
    }
    line(format!("exports ({}):", module.exports().len()));
    for e in module.exports() {
        line(format!("  {}: {}", e.name(), extern_type(&e.ty())));
    }
    let defined = |total: usize, imported: usize| format!("{} ({imported} imported)", total);
    line(format!(
        "functions: {}",
        defined(info.funcs.len(), info.num_imported_funcs)
    ));
    line(format!(
        "memories: {}",
        defined(info.memories.len(), info.num_imported_memories)
    ));
    for (i, m) in info.memories.iter().enumerate() {
        line(format!("  {i}: {}", memory(m)));
    }
    line(format!(
        "tables: {}",
        defined(info.tables.len(), info.num_imported_tables)
    ));
    for (i, t) in info.tables.iter().enumerate() {
        line(format!("  {i}: {}", table(t)));
    }
    line(format!(
        "globals: {}",
        defined(info.globals.len(), info.num_imported_globals)
    ));
    for (i, g) in info.globals.iter().enumerate() {
        line(format!("  {i}: {}", ExternType::Global(*g)));
    }
    if let Some(start) = info.start {
        line(format!("start function: {start}"));
    }
    line("sections:".to_string());
    let mut producers = Vec::new();
    for payload in Parser::new(0).parse_all(bytes).flatten() {
        if let Payload::CustomSection(c) = &payload
            && let KnownCustom::Producers(reader) = c.as_known()
        {
            for field in reader.into_iter().flatten() {
                let values: Vec<String> = field
                    .values
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        if v.version.is_empty() {
                            v.name.to_string()
                        } else {
                            format!("{} {}", v.name, v.version)
                        }
                    })
                    .collect();
                producers.push(format!("  {}: {}", field.name, values.join(", ")));
            }
        }
        if let Some((id, range)) = payload.as_section() {
            let name = match &payload {
                Payload::CustomSection(c) => format!("custom \"{}\"", c.name()),
                _ => section_name(id).to_string(),
            };
            line(format!(
                "  {name:<24} offset {:#8x}  size {}",
                range.start,
                range.end - range.start
            ));
        }
    }
    line(format!(
        "producers:{}",
        if producers.is_empty() { " (none)" } else { "" }
    ));
    for p in producers {
        line(p);
    }
    out
}

fn section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => "unknown",
    }
}
