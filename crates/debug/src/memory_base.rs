//! The image's one synthetic variable, `__wexe_memory_base`: the host address of linear memory
//! 0 of the module's last instance, as an 8-byte unsigned integer. A guest pointer inside data
//! (a struct member, an array element) stays a 32-bit offset, for which DWARF has no type that
//! GDB 13 and LLDB 14 follow; with this variable the debugger's user, or the `$guest()` function
//! of `scripts/wexe-gdb.py`, turns such an offset into a host pointer.

use gimli::constants;
use gimli::write::{AttributeValue, ConvertUnit, Expression};

use crate::expr::ExprContext;
use crate::wasm_dwarf::Reader;

/// The variable's name.
pub const NAME: &str = "__wexe_memory_base";

/// Adds the variable (and its base type) to `unit`'s root; nothing when the module has no
/// memory.
pub(crate) fn add(unit: &mut ConvertUnit<'_, Reader<'_>>, ectx: &ExprContext<'_>) {
    let mut location = Vec::new();
    if ectx.memory_base(&mut location).is_err() {
        return;
    }
    location.push(constants::DW_OP_stack_value.0);
    let root = unit.unit.root();
    let ty = unit.unit.add(root, constants::DW_TAG_base_type);
    let die = unit.unit.get_mut(ty);
    die.set(
        constants::DW_AT_name,
        AttributeValue::String(b"unsigned long".to_vec()),
    );
    die.set(
        constants::DW_AT_encoding,
        AttributeValue::Encoding(constants::DW_ATE_unsigned),
    );
    die.set(constants::DW_AT_byte_size, AttributeValue::Data1(8));
    let var = unit.unit.add(root, constants::DW_TAG_variable);
    let die = unit.unit.get_mut(var);
    die.set(
        constants::DW_AT_name,
        AttributeValue::String(NAME.as_bytes().to_vec()),
    );
    die.set(constants::DW_AT_type, AttributeValue::UnitRef(ty));
    die.set(constants::DW_AT_external, AttributeValue::Flag(true));
    die.set(
        constants::DW_AT_location,
        AttributeValue::Exprloc(Expression::raw(location)),
    );
}
