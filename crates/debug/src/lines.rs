//! Line tables: the unit's line program rebuilt for the native code, one sequence per compiled
//! function of the unit, a row wherever the source position of the native code changes.

use gimli::write::{Address, ConvertResult, ConvertUnit, LineRow};
use gimli::{Encoding, LineEncoding};

use crate::addr_map::CodeMap;
use crate::wasm_dwarf::Reader;

/// Replaces `unit`'s line program by its native form; the indices (in `map`) of the functions
/// it covers.
pub(crate) fn translate(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    encoding: Encoding,
    map: &CodeMap,
    code_start: u32,
) -> ConvertResult<Vec<usize>> {
    let Some(mut convert) =
        unit.read_line_program(Some(encoding), Some(LineEncoding::default()))?
    else {
        return Ok(Vec::new());
    };
    // The wasm rows, by module offset.
    let mut rows: Vec<(u64, LineRow)> = Vec::new();
    while let Some(seq) = convert.read_sequence()? {
        let Some(start) = seq.start else {
            continue;
        };
        for row in seq.rows {
            let at = start.saturating_add(row.address_offset) + u64::from(code_start);
            rows.push((at, row));
        }
    }
    rows.sort_by_key(|r| r.0);
    let mut covered = Vec::new();
    for (i, f) in map.funcs.iter().enumerate() {
        let (lo, hi) = (u64::from(f.body.start), u64::from(f.body.end));
        let first = rows.partition_point(|r| r.0 < lo);
        let end = rows.partition_point(|r| r.0 < hi);
        let own = &rows[first..end];
        let Some(entry) = own.first() else { continue };
        covered.push(i);
        convert.begin_sequence(Some(Address::Constant(f.address)));
        let emit = |convert: &mut gimli::write::ConvertLineProgram<'_, Reader<'_>>,
                    at: u32,
                    row: &LineRow| {
            let mut r = *row;
            r.address_offset = u64::from(at);
            r.op_index = 0;
            r.is_statement = true;
            r.basic_block = false;
            r.prologue_end = false;
            r.epilogue_begin = false;
            r.discriminator = 0;
            convert.generate_row(r);
        };
        emit(&mut convert, 0, &entry.1);
        let mut last = (entry.1.file, entry.1.line, entry.1.column);
        for &(start, _, wasm) in &f.srclocs {
            let j = own.partition_point(|r| r.0 <= u64::from(wasm));
            let row = &own[j.saturating_sub(1)].1;
            if row.line == 0 {
                continue;
            }
            let key = (row.file, row.line, row.column);
            if key != last && start > 0 {
                emit(&mut convert, start, row);
                last = key;
            }
        }
        convert.end_sequence(f.len);
    }
    let (program, files) = convert.program();
    unit.set_line_program(program, files);
    Ok(covered)
}
