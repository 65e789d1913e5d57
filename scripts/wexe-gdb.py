"""GDB helpers for guests run by `wexe run -g` (docs/debugging.md, "Pointers inside data").

A guest pointer that is a struct member or an array element is a 32-bit offset into linear
memory, and GDB cannot follow it by itself. Load this file (`source scripts/wexe-gdb.py`, or
`-x` on GDB's command line) for the convenience function

    $guest(PTR)

which gives the host pointer, of the same pointee type, for guest pointer PTR (or for an
integer offset, as `unsigned char *`): `print $guest(list->next)->value`,
`print *$guest(list->next)`, `print $guest($guest(list->next)->next)->value`. A pointer that is
already a host pointer (a variable of pointer type) is returned as it is.

Linear memory is found through `__wexe_memory_base`, a variable of every debug image wexe
registers: memory 0 of the module's most recent instance.
"""

import struct

import gdb

# The host's pointer size: what a pointer into linear memory must have.
_HOST_POINTER = struct.calcsize("P")


def _memory_base():
    try:
        return int(gdb.parse_and_eval("__wexe_memory_base"))
    except gdb.error as e:
        raise gdb.GdbError(
            "$guest: no wasm memory known (__wexe_memory_base: %s); is the program "
            "running under `wexe run -g` with its module compiled?" % e
        )


def _host_pointer(value):
    ty = value.type.strip_typedefs()
    if ty.code == gdb.TYPE_CODE_PTR:
        if ty.sizeof != 4:
            return value
        target = ty.target().strip_typedefs()
    elif ty.code == gdb.TYPE_CODE_INT:
        target = gdb.lookup_type("unsigned char")
    else:
        raise gdb.GdbError("$guest: %s is not a guest pointer or offset" % value.type)
    offset = int(value) & 0xFFFFFFFF
    address = _memory_base() + offset if offset else 0
    return gdb.Value(address).cast(_pointer_to(target))


def _pointer_to(target):
    """A host-sized pointer type to `target`. GDB keeps one pointer type per type, and for some
    types (`const char` of wasi-libc, say) that is the guest's 4-byte one: then the pointer is
    made to an equal variant of the type (its unqualified type, qualified again)."""
    plain = target.unqualified()
    again = plain
    if target == target.const():
        again = again.const()
    if target == target.volatile():
        again = again.volatile()
    for t in (target, again, plain):
        p = t.pointer()
        if p.sizeof == _HOST_POINTER:
            return p
    raise gdb.GdbError("$guest: GDB has no host pointer type to %s" % target)


class Guest(gdb.Function):
    """$guest(PTR): the host pointer for guest pointer (or offset) PTR."""

    def __init__(self):
        super().__init__("guest")

    def invoke(self, value):
        return _host_pointer(value)


Guest()
