//! Source locations from a module's DWARF (`.debug_*` custom sections, as clang and rustc emit
//! them for wasm): code offsets in DWARF are relative to the start of the code section's payload.

use std::collections::HashMap;
use std::fmt;

use gimli::{EndianSlice, LittleEndian, SectionId};

/// A source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if self.column > 0 {
            write!(f, ":{}", self.column)?;
        }
        Ok(())
    }
}

/// The line rows of every unit, sorted by address: (address, location, end of sequence).
pub struct LineTable {
    code_start: usize,
    rows: Vec<(u64, Option<Location>)>,
}

type Reader<'a> = EndianSlice<'a, LittleEndian>;

impl LineTable {
    /// Whether the module has a `.debug_line` section.
    pub fn has_debug_info(bytes: &[u8]) -> bool {
        wasmparser::Parser::new(0).parse_all(bytes).any(
            |p| matches!(p, Ok(wasmparser::Payload::CustomSection(c)) if c.name() == ".debug_line"),
        )
    }

    /// Reads the line programs of `bytes`; `None` when it has no code or no DWARF.
    pub fn from_module(bytes: &[u8]) -> Option<LineTable> {
        let mut sections: HashMap<String, &[u8]> = HashMap::new();
        let mut code_start = None;
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            match payload.ok()? {
                wasmparser::Payload::CodeSectionStart {
                    unchecked_range, ..
                } => code_start = Some(unchecked_range.start as usize),
                wasmparser::Payload::CustomSection(c) if c.name().starts_with(".debug_") => {
                    sections.insert(c.name().to_string(), c.data());
                }
                _ => {}
            }
        }
        if !sections.contains_key(".debug_line") {
            return None;
        }
        let load = |id: SectionId| -> Result<Reader<'_>, gimli::Error> {
            let data = sections.get(id.name()).copied().unwrap_or(&[]);
            Ok(EndianSlice::new(data, LittleEndian))
        };
        let dwarf = gimli::Dwarf::load(load).ok()?;
        let mut rows = Vec::new();
        let mut units = dwarf.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut iter = program.rows();
            while let Ok(Some((header, row))) = iter.next_row() {
                if row.end_sequence() {
                    rows.push((row.address(), None));
                    continue;
                }
                let file = row
                    .file(header)
                    .map(|f| {
                        let name = dwarf.attr_string(&unit, f.path_name()).ok();
                        let name = name
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        let dir = f
                            .directory(header)
                            .and_then(|d| dwarf.attr_string(&unit, d).ok())
                            .map(|s| s.to_string_lossy().into_owned());
                        match dir {
                            Some(d) if !name.starts_with('/') && !d.is_empty() => {
                                format!("{d}/{name}")
                            }
                            _ => name,
                        }
                    })
                    .unwrap_or_else(|| "??".to_string());
                let column = match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(c) => c.get(),
                };
                let line = row.line().map_or(0, |l| l.get());
                rows.push((row.address(), Some(Location { file, line, column })));
            }
        }
        // Stable: an end-of-sequence row sorts before a new sequence starting at the same address.
        rows.sort_by_key(|r| (r.0, r.1.is_some()));
        Some(LineTable {
            code_start: code_start?,
            rows,
        })
    }

    /// The source location of the instruction at `module_offset` (an offset in the module's bytes).
    pub fn lookup(&self, module_offset: usize) -> Option<&Location> {
        let addr = module_offset.checked_sub(self.code_start)? as u64;
        let i = self.rows.partition_point(|r| r.0 <= addr);
        self.rows.get(i.checked_sub(1)?)?.1.as_ref()
    }
}
