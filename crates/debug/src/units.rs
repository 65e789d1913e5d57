//! Translation of the module's `.debug_info` units: every DIE is copied with gimli's converter,
//! except what names wasm code or wasm storage, which is rewritten for the native code — pc
//! ranges (through [`CodeMap`]), line programs ([`crate::lines`]) and variable locations
//! ([`crate::expr`]). Variables of 32-bit guest pointer type get an 8-byte pointer type and a
//! location computing the host address they point to. The first unit also gets the image's
//! `__wexe_memory_base` ([`crate::memory_base`]).

use std::collections::HashMap;
use std::ops::Range;

use gimli::write::{
    self, Address, AttributeValue, ConvertUnit, ConvertUnitEntry, EndianVec, Expression, Location,
    LocationList, RangeList, Sections, UnitEntryId,
};
use gimli::{Encoding, LittleEndian, UnitOffset, constants};

use crate::addr_map::CodeMap;
use crate::expr::ExprContext;
use crate::wasm_dwarf::{DwarfSections, Reader};
use crate::{Arch, VmctxLayout};

pub(crate) struct Context<'a> {
    pub arch: Arch,
    pub map: &'a CodeMap,
    pub layout: &'a VmctxLayout,
    pub code_start: u32,
}

/// The debugging sections of the image, by name.
pub(crate) type Output = Vec<(&'static str, Vec<u8>)>;

/// Counts what could not be translated, for one warning per kind.
#[derive(Default)]
struct Skipped {
    kinds: HashMap<String, usize>,
}

impl Skipped {
    fn note(&mut self, what: impl Into<String>) {
        *self.kinds.entry(what.into()).or_default() += 1;
    }
}

/// The function scope a DIE is in.
#[derive(Clone, Default)]
struct Scope {
    depth: isize,
    func: Option<usize>,
    frame_base: Option<Vec<u8>>,
    /// Inside a function without code.
    dead: bool,
}

pub(crate) fn translate(
    sections: &DwarfSections<'_>,
    ctx: &Context<'_>,
    warnings: &mut Vec<String>,
) -> Result<Output, String> {
    let read = sections.load().map_err(|e| e.to_string())?;
    let mut dwarf = write::Dwarf::new();
    let mut skipped = Skipped::default();
    {
        let mut convert = dwarf.convert(&read).map_err(|e| e.to_string())?;
        let mut with_base = false;
        while let Some((mut unit, root)) = convert.read_unit().map_err(|e| e.to_string())? {
            match translate_unit(&mut unit, root, ctx, &mut skipped) {
                Ok(()) if !with_base => {
                    // One `__wexe_memory_base` per image, in its first unit.
                    crate::memory_base::add(&mut unit, &expr_context(ctx, &Scope::default()));
                    with_base = true;
                }
                Ok(()) => {}
                Err(e) => {
                    skipped.note(format!("a compilation unit ({e})"));
                    unit.skip();
                }
            }
        }
    }
    let mut kinds: Vec<_> = skipped.kinds.into_iter().collect();
    kinds.sort();
    for (what, n) in kinds {
        warnings.push(format!("debug info: {n} × {what} not translated"));
    }
    let mut out = Sections::new(EndianVec::new(LittleEndian));
    dwarf.write(&mut out).map_err(|e| e.to_string())?;
    let mut list = Vec::new();
    out.for_each(|id, data| {
        if !data.slice().is_empty() {
            list.push((id.name(), data.slice().to_vec()));
        }
        Ok::<(), gimli::write::Error>(())
    })
    .map_err(|e| e.to_string())?;
    Ok(list)
}

fn translate_unit<'a, 'r>(
    unit: &mut ConvertUnit<'a, Reader<'r>>,
    root: ConvertUnitEntry<'a, Reader<'r>>,
    ctx: &Context<'_>,
    skipped: &mut Skipped,
) -> Result<(), String> {
    let encoding = Encoding {
        address_size: 8,
        ..unit.read_unit.encoding()
    };
    unit.unit.set_encoding(encoding);
    let mut covered = match crate::lines::translate(unit, encoding, ctx.map, ctx.code_start) {
        Ok(c) => c,
        Err(e) => {
            skipped.note(format!("a line program ({e})"));
            Vec::new()
        }
    };
    let no_address = |_: u64| None;
    let root_id = unit.unit.root();
    copy_attributes(unit, root_id, &root, skipped, &no_address);
    let mut native_pointers: HashMap<UnitOffset, UnitEntryId> = HashMap::new();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut entry = root;
    while let Some(id) = unit.read_entry(&mut entry).map_err(|e| e.to_string())? {
        let Some(id) = id else { continue };
        let id = unit.add_entry(Some(id), &entry);
        while scopes.last().is_some_and(|s| s.depth >= entry.depth) {
            scopes.pop();
        }
        copy_attributes(unit, id, &entry, skipped, &no_address);
        if guest_pointer_size(&entry) {
            keep_guest_pointer(unit, id, &entry);
        }
        let wasm_ranges = pc_ranges(unit, &entry, ctx);
        let mut scope = scopes.last().cloned().unwrap_or_default();
        scope.depth = entry.depth;
        if entry.tag == constants::DW_TAG_subprogram {
            scope.func = wasm_ranges.first().and_then(|r| ctx.map.func_at(r.start));
            scope.frame_base = None;
            // A function the linker dropped (tombstone address) or one that is not
            // compiled: its variables have nowhere to be.
            scope.dead = scope.func.is_none();
            if let Some(f) = scope.func {
                let f = &ctx.map.funcs[f];
                let die = unit.unit.get_mut(id);
                die.set(
                    constants::DW_AT_low_pc,
                    AttributeValue::Address(Address::Constant(f.address)),
                );
                die.set(constants::DW_AT_high_pc, AttributeValue::Udata(f.len));
                covered.push(scope.func.unwrap_or_default());
                scope.frame_base = frame_base(unit, &entry, ctx, &scope, skipped);
            }
        } else if !wasm_ranges.is_empty() {
            let native: Vec<Range<u64>> = wasm_ranges
                .iter()
                .flat_map(|r| ctx.map.native_ranges(r.clone()))
                .collect();
            if !native.is_empty() {
                let list = unit.unit.ranges.add(range_list(&native));
                unit.unit
                    .get_mut(id)
                    .set(constants::DW_AT_ranges, AttributeValue::RangeListRef(list));
            }
        }
        if matches!(
            entry.tag,
            constants::DW_TAG_variable | constants::DW_TAG_formal_parameter
        ) {
            variable_location(unit, id, &entry, ctx, &scope, &mut native_pointers, skipped);
        }
        if entry.has_children {
            scopes.push(scope);
        }
    }
    covered.sort_unstable();
    covered.dedup();
    let funcs: Vec<Range<u64>> = covered
        .iter()
        .map(|&i| {
            let f = &ctx.map.funcs[i];
            f.address..f.address + f.len
        })
        .collect();
    let root = unit.unit.get_mut(root_id);
    root.delete(constants::DW_AT_high_pc);
    root.set(
        constants::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(0)),
    );
    let list = unit.unit.ranges.add(range_list(&funcs));
    unit.unit
        .get_mut(root_id)
        .set(constants::DW_AT_ranges, AttributeValue::RangeListRef(list));
    Ok(())
}

fn range_list(ranges: &[Range<u64>]) -> RangeList {
    RangeList(
        ranges
            .iter()
            .map(|r| write::Range::StartLength {
                begin: Address::Constant(r.start),
                length: r.end - r.start,
            })
            .collect(),
    )
}

/// Copies the attributes that do not name wasm code or storage.
fn copy_attributes<'a, 'r>(
    unit: &mut ConvertUnit<'a, Reader<'r>>,
    id: UnitEntryId,
    entry: &ConvertUnitEntry<'a, Reader<'r>>,
    skipped: &mut Skipped,
    no_address: &dyn Fn(u64) -> Option<Address>,
) {
    for attr in &entry.attrs {
        match attr.name() {
            constants::DW_AT_low_pc
            | constants::DW_AT_high_pc
            | constants::DW_AT_ranges
            | constants::DW_AT_location
            | constants::DW_AT_frame_base
            | constants::DW_AT_entry_pc
            | constants::DW_AT_GNU_locviews
            | constants::DW_AT_call_return_pc
            | constants::DW_AT_call_pc => continue,
            _ => {}
        }
        match unit.convert_attribute_value(entry.read_unit, attr, no_address) {
            Ok(v) => unit.unit.get_mut(id).set(attr.name(), v),
            Err(_) => skipped.note(format!("attribute {}", attr.name())),
        }
    }
}

/// The wasm code ranges of a DIE, as module offsets.
fn pc_ranges<'a, 'r>(
    unit: &ConvertUnit<'a, Reader<'r>>,
    entry: &ConvertUnitEntry<'a, Reader<'r>>,
    ctx: &Context<'_>,
) -> Vec<Range<u32>> {
    let mut out = Vec::new();
    let Ok(mut iter) = unit.read_unit.die_ranges(entry) else {
        return out;
    };
    while let Ok(Some(r)) = iter.next() {
        // Dead code (functions the linker dropped) is marked with tombstone addresses.
        if r.begin >= r.end || r.end > u64::from(u32::MAX) {
            continue;
        }
        let cs = ctx.code_start;
        out.push(r.begin as u32 + cs..(r.end as u32).saturating_add(cs));
    }
    out
}

fn expr_context<'c>(ctx: &'c Context<'_>, scope: &'c Scope) -> ExprContext<'c> {
    ExprContext {
        fp: ctx.arch.frame_pointer(),
        slots: scope.func.and_then(|f| ctx.map.funcs[f].slots.as_ref()),
        layout: ctx.layout,
        frame_base: scope.frame_base.as_deref(),
    }
}

fn frame_base<'a, 'r>(
    unit: &ConvertUnit<'a, Reader<'r>>,
    entry: &ConvertUnitEntry<'a, Reader<'r>>,
    ctx: &Context<'_>,
    scope: &Scope,
    skipped: &mut Skipped,
) -> Option<Vec<u8>> {
    let gimli::AttributeValue::Exprloc(expr) = entry.attr_value(constants::DW_AT_frame_base)?
    else {
        skipped.note("a frame base that is not an expression");
        return None;
    };
    let encoding = unit.read_unit.encoding();
    match expr_context(ctx, scope).frame_base_value(expr.0.slice(), encoding) {
        Ok(v) => Some(v),
        Err(e) => {
            skipped.note(e);
            None
        }
    }
}

/// Sets a variable's native location (and its pointer type for a guest pointer).
fn variable_location<'a, 'r>(
    unit: &mut ConvertUnit<'a, Reader<'r>>,
    id: UnitEntryId,
    entry: &ConvertUnitEntry<'a, Reader<'r>>,
    ctx: &Context<'_>,
    scope: &Scope,
    native_pointers: &mut HashMap<UnitOffset, UnitEntryId>,
    skipped: &mut Skipped,
) {
    let Some(location) = entry.attr_value(constants::DW_AT_location) else {
        return;
    };
    if scope.dead {
        return;
    }
    let encoding = unit.read_unit.encoding();
    let ectx = expr_context(ctx, scope);
    let pointer = pointer_type(unit, entry);
    let translate = |expr: &[u8]| -> Result<(Vec<u8>, bool), String> {
        let t = ectx.translate(expr, encoding)?;
        match pointer {
            Some(_) if t.is_memory => Ok((ectx.pointer_value(&t.bytes)?, true)),
            _ => Ok((t.bytes, false)),
        }
    };
    let mut as_pointer = false;
    let value = match location {
        gimli::AttributeValue::Exprloc(expr) => match translate(expr.0.slice()) {
            Ok((bytes, p)) => {
                as_pointer = p;
                AttributeValue::Exprloc(Expression::raw(bytes))
            }
            Err(e) => {
                skipped.note(e);
                return;
            }
        },
        gimli::AttributeValue::LocationListsRef(offset) => {
            let Ok(mut iter) = unit.read_unit.locations(offset) else {
                skipped.note("a location list");
                return;
            };
            let mut list = Vec::new();
            while let Ok(Some(e)) = iter.next() {
                let cs = u64::from(ctx.code_start);
                if e.range.begin >= e.range.end || e.range.end + cs > u64::from(u32::MAX) {
                    continue;
                }
                let wasm = (e.range.begin + cs) as u32..(e.range.end + cs) as u32;
                let (bytes, p) = match translate(e.data.0.slice()) {
                    Ok(t) => t,
                    Err(why) => {
                        skipped.note(format!("a location list entry: {why}"));
                        continue;
                    }
                };
                as_pointer |= p;
                for r in ctx.map.native_ranges(wasm) {
                    list.push(Location::StartLength {
                        begin: Address::Constant(r.start),
                        length: r.end - r.start,
                        data: Expression::raw(bytes.clone()),
                    });
                }
            }
            if list.is_empty() {
                return;
            }
            AttributeValue::LocationListRef(unit.unit.locations.add(LocationList(list)))
        }
        _ => {
            skipped.note("a location of an unexpected form");
            return;
        }
    };
    unit.unit.get_mut(id).set(constants::DW_AT_location, value);
    if let (true, Some(target)) = (as_pointer, pointer) {
        let native = native_pointer(unit, target, native_pointers);
        unit.unit
            .get_mut(id)
            .set(constants::DW_AT_type, AttributeValue::UnitRef(native));
    }
}

/// Whether `entry` is a pointer type of the guest's size (4 bytes, or the unit's address size).
fn guest_pointer_size(entry: &ConvertUnitEntry<'_, Reader<'_>>) -> bool {
    matches!(
        entry.tag,
        constants::DW_TAG_pointer_type
            | constants::DW_TAG_reference_type
            | constants::DW_TAG_rvalue_reference_type
    ) && entry
        .attr_value(constants::DW_AT_byte_size)
        .is_none_or(|v| v.udata_value() == Some(4))
}

/// A guest pointer type that stays one (where it is not rewritten to a host pointer): its size
/// is set, as the unit's address size is now the host's, and it points to a typedef of its
/// target — GDB keeps one pointer type per target type, which host pointers to the same target
/// (8 bytes) would otherwise share.
fn keep_guest_pointer(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    id: UnitEntryId,
    entry: &ConvertUnitEntry<'_, Reader<'_>>,
) {
    unit.unit
        .get_mut(id)
        .set(constants::DW_AT_byte_size, AttributeValue::Data1(4));
    let Some(gimli::AttributeValue::UnitRef(target)) = entry.attr_value(constants::DW_AT_type)
    else {
        return;
    };
    let Ok(converted) = unit.convert_unit_ref(target) else {
        return;
    };
    let name = converted_name(unit, target);
    let root = unit.unit.root();
    let alias = unit.unit.add(root, constants::DW_TAG_typedef);
    let die = unit.unit.get_mut(alias);
    die.set(constants::DW_AT_type, AttributeValue::UnitRef(converted));
    if let Some(name) = name {
        die.set(constants::DW_AT_name, name);
    }
    unit.unit
        .get_mut(id)
        .set(constants::DW_AT_type, AttributeValue::UnitRef(alias));
}

/// The name of the input entry at `offset`, converted for the output unit, if it has one.
fn converted_name(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    offset: UnitOffset,
) -> Option<AttributeValue> {
    let die = unit.read_unit.entry(offset).ok()?;
    let name = die.attr(constants::DW_AT_name)?;
    unit.convert_attribute_value(unit.read_unit, name, &|_| None)
        .ok()
}

/// If the variable's type is a 32-bit guest pointer: that pointer type's offset.
fn pointer_type<'a, 'r>(
    unit: &ConvertUnit<'a, Reader<'r>>,
    entry: &ConvertUnitEntry<'a, Reader<'r>>,
) -> Option<UnitOffset> {
    let gimli::AttributeValue::UnitRef(ty) = entry.attr_value(constants::DW_AT_type)? else {
        return None;
    };
    let die = unit.read_unit.entry(ty).ok()?;
    if die.tag() != constants::DW_TAG_pointer_type {
        return None;
    }
    match die.attr_value(constants::DW_AT_byte_size) {
        None => Some(ty),
        Some(v) if v.udata_value() == Some(4) => Some(ty),
        Some(_) => None,
    }
}

/// An 8-byte pointer type to what guest pointer type `guest` points to (made once per type).
fn native_pointer<'a, 'r>(
    unit: &mut ConvertUnit<'a, Reader<'r>>,
    guest: UnitOffset,
    made: &mut HashMap<UnitOffset, UnitEntryId>,
) -> UnitEntryId {
    if let Some(&id) = made.get(&guest) {
        return id;
    }
    let guest_die = unit.read_unit.entry(guest).ok();
    let target = guest_die
        .as_ref()
        .and_then(|d| match d.attr_value(constants::DW_AT_type) {
            Some(gimli::AttributeValue::UnitRef(t)) => unit.convert_unit_ref(t).ok(),
            _ => None,
        });
    // The guest type's name, if it has one (rustc names `&T`, `*mut T`; clang none).
    let name = converted_name(unit, guest);
    let root = unit.unit.root();
    let id = unit.unit.add(root, constants::DW_TAG_pointer_type);
    let die = unit.unit.get_mut(id);
    die.set(constants::DW_AT_byte_size, AttributeValue::Data1(8));
    if let Some(t) = target {
        die.set(constants::DW_AT_type, AttributeValue::UnitRef(t));
    }
    if let Some(name) = name {
        die.set(constants::DW_AT_name, name);
    }
    made.insert(guest, id);
    id
}
