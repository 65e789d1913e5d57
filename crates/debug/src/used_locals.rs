//! Which wasm locals the module's DWARF refers to, per function: only those need a stack slot
//! the debugger can read (in `-O0` C most variables live in linear memory and a function's DWARF
//! names one local, its frame base), so compiled code keeps the others in registers.

use std::collections::BTreeSet;
use std::ops::Range;

use gimli::{AttributeValue, Operation, constants};

use crate::wasm_dwarf::{DwarfSections, Reader};

/// Per function (the bodies' module byte ranges, in order), the sorted indices of the locals
/// its DWARF names; all empty when the module has no readable DWARF.
pub fn used_locals(wasm: &[u8], bodies: &[Range<u32>]) -> Vec<Vec<u32>> {
    let mut used: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); bodies.len()];
    if let Ok(Some(sections)) = DwarfSections::from_module(wasm) {
        // Bad DWARF: what was read before the error counts.
        let _ = scan(&sections, bodies, &mut used);
    }
    used.into_iter().map(|s| s.into_iter().collect()).collect()
}

fn scan(
    sections: &DwarfSections<'_>,
    bodies: &[Range<u32>],
    used: &mut [BTreeSet<u32>],
) -> gimli::Result<()> {
    let dwarf = sections.load()?;
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let encoding = unit.encoding();
        let mut entries = unit.entries();
        // The function of the innermost enclosing subprogram, by depth.
        let mut scopes: Vec<(isize, Option<usize>)> = Vec::new();
        while let Some(entry) = entries.next_dfs()? {
            let depth = entry.depth();
            while scopes.last().is_some_and(|s| s.0 >= depth) {
                scopes.pop();
            }
            let mut func = scopes.last().and_then(|s| s.1);
            if entry.tag() == constants::DW_TAG_subprogram {
                func = None;
                if let Ok(mut ranges) = dwarf.die_ranges(&unit, entry)
                    && let Ok(Some(r)) = ranges.next()
                    && r.begin < u64::from(u32::MAX)
                {
                    let at = (r.begin as u32).saturating_add(sections.code_start);
                    let i = bodies.partition_point(|b| b.start <= at);
                    func = i.checked_sub(1).filter(|&i| at < bodies[i].end);
                }
            }
            if let Some(f) = func {
                for name in [constants::DW_AT_location, constants::DW_AT_frame_base] {
                    match entry.attr_value(name) {
                        Some(AttributeValue::Exprloc(e)) => {
                            locals_of(e.0, encoding, &mut used[f]);
                        }
                        Some(AttributeValue::LocationListsRef(offset)) => {
                            let Ok(mut locs) = dwarf.locations(&unit, offset) else {
                                continue;
                            };
                            while let Ok(Some(l)) = locs.next() {
                                locals_of(l.data.0, encoding, &mut used[f]);
                            }
                        }
                        _ => {}
                    }
                }
            }
            if entry.has_children() {
                scopes.push((depth, func));
            }
        }
    }
    Ok(())
}

fn locals_of(mut expr: Reader<'_>, encoding: gimli::Encoding, out: &mut BTreeSet<u32>) {
    while !expr.is_empty() {
        match Operation::parse(&mut expr, encoding) {
            Ok(Operation::WasmLocal { index }) => {
                out.insert(index);
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}
