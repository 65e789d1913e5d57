//! wexe-debug: what a native debugger needs to debug JIT-compiled WebAssembly at the source
//! level, as one in-memory ELF image per module ([`build_image`]) for the GDB JIT interface.
//!
//! The image describes the module's machine code where it really lies (`.text` at the code
//! memory's address, a symbol per function) and carries the module's own DWARF (`clang -g`,
//! `rustc -g` for wasm32) translated from wasm code offsets to native addresses:
//!
//! - line tables ([`lines`]): every native code range the compiler attributed to a wasm
//!   offset gets that offset's source row;
//! - DIEs ([`units`]): functions, lexical blocks and inlined calls get the native ranges of
//!   their wasm ranges, types are copied;
//! - variable locations ([`expr`]): wasm locals (`DW_OP_WASM_location`) become the stack slots
//!   compiled code keeps them in under debug info, linear-memory addresses (`DW_OP_addr`,
//!   `DW_OP_fbreg` from the shadow-stack frame base) become memory base + offset, and
//!   variables of pointer type get a value of native pointer size (base + the guest offset), so
//!   `print *p` and `p->field` work; pointers inside data stay guest offsets, which
//!   [`memory_base`]'s variable turns into host addresses.
//!
//! Bad DWARF never fails the build: what cannot be translated is left out and reported in
//! [`Image::warnings`]. Without DWARF the image still names every function.

mod addr_map;
pub mod demangle;
mod elf;
mod expr;
mod lines;
pub mod memory_base;
mod units;
mod used_locals;
mod wasm_dwarf;

use std::ops::Range;

pub use addr_map::CodeMap;
pub use demangle::demangle;
pub use used_locals::used_locals;

/// The machine the code was compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// The DWARF number of the frame-pointer register.
    fn frame_pointer(self) -> u16 {
        match self {
            Arch::X86_64 => 6,
            Arch::Aarch64 => 29,
        }
    }

    /// The host's architecture, if it is one of ours.
    pub fn host() -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else {
            None
        }
    }
}

/// One compiled function (or trampoline) of the module, where it lies in memory.
#[derive(Clone, Debug)]
pub struct NativeFunc<'a> {
    /// The symbol name (name section, or `wasm-function[N]`).
    pub name: String,
    /// Its absolute address and length in bytes.
    pub address: u64,
    pub len: u64,
    /// For a wasm function: the byte range of its body in the module.
    pub body: Option<Range<u32>>,
    /// Code ranges `start..end` (offsets in the function) and the wasm byte offset (in the
    /// module) they come from.
    pub srclocs: &'a [(u32, u32, u32)],
    /// Frame-pointer offsets of the vmctx slot and of each local's slot.
    pub slots: Option<&'a Slots>,
}

/// Where a function compiled for debugging keeps its vmctx and wasm locals: offsets from the
/// frame pointer (`None`: a local the debugger cannot read).
#[derive(Clone, Debug, Default)]
pub struct Slots {
    pub vmctx: i32,
    pub locals: Vec<Option<i32>>,
}

/// How to reach instance state from the vmctx: the offsets (in the vmctx) of the pointers to
/// memory 0's `{base, len}` definition and to each global's value.
#[derive(Clone, Debug, Default)]
pub struct VmctxLayout {
    /// The vmctx offset of memory 0's definition pointer, and the offset of `base` in it.
    pub memory0: Option<(u32, u32)>,
    /// Per global index, the vmctx offset of the pointer to its value.
    pub globals: Vec<u32>,
    /// The address of a cell holding the vmctx of the module's last instance: where variables
    /// outside any function (C globals) find linear memory.
    pub vmctx_cell: u64,
}

/// An in-memory ELF image for the GDB JIT interface, and what could not be translated.
pub struct Image {
    pub elf: Vec<u8>,
    /// One line per problem met in the module's DWARF (not translated, the rest was).
    pub warnings: Vec<String>,
}

/// Builds the image of a module: `wasm` is the module's bytes, `code` its machine code loaded
/// at `code_address`, `funcs` every compiled function and trampoline in it.
pub fn build_image(
    arch: Arch,
    wasm: &[u8],
    code_address: u64,
    code: &[u8],
    funcs: &[NativeFunc<'_>],
    layout: &VmctxLayout,
) -> Image {
    let mut warnings = Vec::new();
    let map = CodeMap::new(funcs);
    let dwarf_sections = match wasm_dwarf::DwarfSections::from_module(wasm) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!("the module's DWARF could not be read: {e}"));
            None
        }
    };
    let debug = dwarf_sections.and_then(|sections| {
        let ctx = units::Context {
            arch,
            map: &map,
            layout,
            code_start: sections.code_start,
        };
        match units::translate(&sections, &ctx, &mut warnings) {
            Ok(out) => Some(out),
            Err(e) => {
                warnings.push(format!("the module's DWARF could not be translated: {e}"));
                None
            }
        }
    });
    let elf = elf::write(
        arch,
        code_address,
        code,
        funcs,
        debug.as_deref().unwrap_or(&[]),
    );
    Image { elf, warnings }
}

#[cfg(test)]
mod tests;
