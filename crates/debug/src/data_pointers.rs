//! Guest pointers inside data: a struct member of 32-bit guest pointer type (`node->next`,
//! the payload of Rust's `Option<&T>`) cannot become an 8-byte host pointer — that would change
//! the struct's layout — so its type becomes an array of the pointee, of unknown length, whose
//! data lies at *memory base + the pointer's value* (`DW_AT_data_location`, computed from the
//! member's own address). Debuggers treat such an array as a pointer to its first element:
//! `p->next->value`, `*p->next` and `p->next[1]` read the guest's memory, `print p->next` shows
//! the host address, and a null guest pointer shows as address 0.
//!
//! GDB (13) resolves such a type only for values it reads from memory by address: a struct
//! that is an array element is not, and GDB fails an internal assertion on its located member.
//! So the members of structs that arrays hold by value ([`in_arrays`]) keep their 32-bit type.

use std::collections::{HashMap, HashSet};

use gimli::UnitOffset;
use gimli::constants;
use gimli::write::{AttributeValue, ConvertUnit, Expression, UnitEntryId};

use crate::expr::ExprContext;
use crate::wasm_dwarf::Reader;

/// The located-array types made so far, by the guest pointer type they replace.
pub(crate) type Made = HashMap<UnitOffset, UnitEntryId>;

/// Gives member `id` (read as `guest_pointer`'s type) its located-array type.
pub(crate) fn retype_member(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    id: UnitEntryId,
    guest_pointer: UnitOffset,
    ectx: &ExprContext<'_>,
    made: &mut Made,
) -> Result<(), String> {
    let array = match made.get(&guest_pointer) {
        Some(&a) => a,
        None => {
            let a = located_array(unit, guest_pointer, ectx)?;
            made.insert(guest_pointer, a);
            a
        }
    };
    unit.unit
        .get_mut(id)
        .set(constants::DW_AT_type, AttributeValue::UnitRef(array));
    Ok(())
}

fn located_array(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    guest_pointer: UnitOffset,
    ectx: &ExprContext<'_>,
) -> Result<UnitEntryId, String> {
    let pointee = match unit
        .read_unit
        .entry(guest_pointer)
        .map_err(|e| e.to_string())?
        .attr_value(constants::DW_AT_type)
    {
        Some(gimli::AttributeValue::UnitRef(t)) => {
            unit.convert_unit_ref(t).map_err(|e| e.to_string())?
        }
        // `void *`: nothing to read through it.
        _ => return Err("a pointer to void inside data".into()),
    };
    let location = data_location(ectx)?;
    let root = unit.unit.root();
    let array = unit.unit.add(root, constants::DW_TAG_array_type);
    let die = unit.unit.get_mut(array);
    die.set(constants::DW_AT_type, AttributeValue::UnitRef(pointee));
    die.set(
        constants::DW_AT_data_location,
        AttributeValue::Exprloc(Expression::raw(location)),
    );
    // One dimension without bounds: of unknown length, as `T[]`.
    unit.unit.add(array, constants::DW_TAG_subrange_type);
    Ok(array)
}

/// `DW_AT_data_location`: the 32-bit guest pointer at the object's address, plus the memory
/// base; 0 for a null pointer.
fn data_location(ectx: &ExprContext<'_>) -> Result<Vec<u8>, String> {
    let mut base = Vec::new();
    ectx.memory_base(&mut base)?;
    base.push(constants::DW_OP_plus.0);
    let skip_base = i16::try_from(base.len()).map_err(|_| "a memory base too long to skip")?;
    let mut out = vec![
        constants::DW_OP_push_object_address.0,
        constants::DW_OP_deref_size.0,
        4,
        constants::DW_OP_dup.0,
        // Non-zero: add the base (jump over the `skip`).
        constants::DW_OP_bra.0,
    ];
    out.extend_from_slice(&3i16.to_le_bytes());
    out.push(constants::DW_OP_skip.0);
    out.extend_from_slice(&skip_base.to_le_bytes());
    out.extend_from_slice(&base);
    Ok(out)
}

/// The members (their offsets) of every struct, union or class that an array of the unit holds
/// by value, directly or inside another such struct; best effort on bad DWARF.
pub(crate) fn in_arrays(unit: gimli::UnitRef<'_, Reader<'_>>) -> HashSet<UnitOffset> {
    let mut type_of: HashMap<UnitOffset, (gimli::DwTag, Option<UnitOffset>)> = HashMap::new();
    let mut members: HashMap<UnitOffset, Vec<UnitOffset>> = HashMap::new();
    let mut elements = Vec::new();
    // The innermost enclosing struct-like DIE, by depth.
    let mut aggregates: Vec<(isize, UnitOffset)> = Vec::new();
    let mut entries = unit.entries();
    while let Ok(Some(entry)) = entries.next_dfs() {
        let depth = entry.depth();
        while aggregates.last().is_some_and(|a| a.0 >= depth) {
            aggregates.pop();
        }
        let ty = match entry.attr_value(constants::DW_AT_type) {
            Some(gimli::AttributeValue::UnitRef(t)) => Some(t),
            _ => None,
        };
        type_of.insert(entry.offset(), (entry.tag(), ty));
        match entry.tag() {
            constants::DW_TAG_array_type => elements.extend(ty),
            constants::DW_TAG_member => {
                if let Some(&(_, s)) = aggregates.last() {
                    members.entry(s).or_default().push(entry.offset());
                }
            }
            constants::DW_TAG_structure_type
            | constants::DW_TAG_union_type
            | constants::DW_TAG_class_type
                if entry.has_children() =>
            {
                aggregates.push((depth, entry.offset()));
            }
            _ => {}
        }
    }
    let mut excluded = HashSet::new();
    let mut seen = HashSet::new();
    let mut work = elements;
    while let Some(mut t) = work.pop() {
        // Through typedefs and qualifiers (not pointers) to the type held by value.
        for _ in 0..64 {
            match type_of.get(&t) {
                Some(&(
                    constants::DW_TAG_typedef
                    | constants::DW_TAG_const_type
                    | constants::DW_TAG_volatile_type
                    | constants::DW_TAG_restrict_type
                    | constants::DW_TAG_atomic_type
                    | constants::DW_TAG_array_type,
                    Some(next),
                )) => t = next,
                _ => break,
            }
        }
        if !seen.insert(t) {
            continue;
        }
        for &m in members.get(&t).into_iter().flatten() {
            excluded.insert(m);
            if let Some(&(_, Some(mt))) = type_of.get(&m) {
                work.push(mt);
            }
        }
    }
    excluded
}
