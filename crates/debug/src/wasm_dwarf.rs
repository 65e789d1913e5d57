//! The DWARF of a wasm module: its `.debug_*` custom sections, and where the code section's
//! payload starts (DWARF addresses are offsets from there).

use std::collections::HashMap;

use gimli::{EndianSlice, LittleEndian, SectionId};

pub(crate) type Reader<'a> = EndianSlice<'a, LittleEndian>;

pub(crate) struct DwarfSections<'a> {
    sections: HashMap<&'a str, &'a [u8]>,
    /// The module offset DWARF code addresses are relative to.
    pub code_start: u32,
}

impl<'a> DwarfSections<'a> {
    /// The sections of `wasm`; `None` when it has no code or no `.debug_info`.
    pub fn from_module(wasm: &'a [u8]) -> Result<Option<DwarfSections<'a>>, String> {
        let mut sections = HashMap::new();
        let mut code_start = None;
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                wasmparser::Payload::CodeSectionStart {
                    unchecked_range, ..
                } => {
                    code_start = Some(unchecked_range.start as u32);
                }
                wasmparser::Payload::CustomSection(c) if c.name().starts_with(".debug_") => {
                    sections.insert(c.name(), c.data());
                }
                _ => {}
            }
        }
        let Some(code_start) = code_start else {
            return Ok(None);
        };
        if !sections.contains_key(".debug_info") {
            return Ok(None);
        }
        Ok(Some(DwarfSections {
            sections,
            code_start,
        }))
    }

    /// The sections for gimli's reader (absent ones empty).
    pub fn load(&self) -> gimli::Result<gimli::Dwarf<Reader<'a>>> {
        gimli::Dwarf::load(|id: SectionId| -> gimli::Result<Reader<'a>> {
            let data = self.sections.get(id.name()).copied().unwrap_or(&[]);
            Ok(EndianSlice::new(data, LittleEndian))
        })
    }
}
