//! Unit tests: the image's ELF structure, expression translation, the code map.

use gimli::{Encoding, Format};

use crate::expr::ExprContext;
use crate::{Arch, CodeMap, NativeFunc, Slots, VmctxLayout, build_image};

const WASM32: Encoding = Encoding {
    address_size: 4,
    format: Format::Dwarf32,
    version: 4,
};

fn layout() -> VmctxLayout {
    VmctxLayout {
        memory0: Some((32, 0)),
        globals: vec![40, 48],
        vmctx_cell: 0x1000,
    }
}

#[test]
fn a_module_without_dwarf_gets_an_elf_image_naming_its_functions() {
    let wasm = wat::parse_str("(module (func $f) (func $g))").unwrap();
    let code = [0xc3u8; 32];
    let funcs = [
        NativeFunc {
            name: "f".into(),
            address: 0x10000,
            len: 16,
            body: Some(20..22),
            srclocs: &[],
            slots: None,
        },
        NativeFunc {
            name: "g".into(),
            address: 0x10010,
            len: 16,
            body: Some(23..25),
            srclocs: &[],
            slots: None,
        },
    ];
    let image = build_image(Arch::X86_64, &wasm, 0x10000, &code, &funcs, &layout());
    assert!(image.warnings.is_empty(), "{:?}", image.warnings);
    let elf = &image.elf;
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([elf[16], elf[17]]), 1, "ET_REL");
    assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 62, "x86-64");
    let shoff = u64::from_le_bytes(elf[40..48].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes([elf[60], elf[61]]) as usize;
    assert_eq!(shnum, 5, "null, .text, .symtab, .strtab, .shstrtab");
    // .text: at its load address, with the code.
    let text = &elf[shoff + 64..shoff + 128];
    assert_eq!(
        u64::from_le_bytes(text[16..24].try_into().unwrap()),
        0x10000
    );
    assert_eq!(u64::from_le_bytes(text[32..40].try_into().unwrap()), 32);
    let strtab = &elf[shoff + 3 * 64..shoff + 4 * 64];
    let at = u64::from_le_bytes(strtab[24..32].try_into().unwrap()) as usize;
    assert_eq!(&elf[at..at + 5], b"\0f\0g\0");
}

#[test]
fn locals_are_frame_slots_and_memory_is_reached_through_the_vmctx() {
    let slots = Slots {
        vmctx: -8,
        locals: vec![Some(-16), None],
    };
    let layout = layout();
    let ctx = ExprContext {
        fp: 6,
        slots: Some(&slots),
        layout: &layout,
        frame_base: None,
    };
    // DW_OP_WASM_location 0 0: local 0 is at rbp-16.
    let t = ctx.translate(&[0xed, 0x00, 0x00], WASM32).unwrap();
    assert_eq!(t.bytes, [0x76, 0x70]);
    assert!(t.is_memory);
    // Local 1 has no slot.
    assert!(ctx.translate(&[0xed, 0x00, 0x01], WASM32).is_err());
    // The operand stack cannot be shown.
    assert!(ctx.translate(&[0xed, 0x02, 0x00], WASM32).is_err());
    // DW_OP_addr 0x400: [[[rbp-8] + 32]] + 0x400.
    let t = ctx
        .translate(&[0x03, 0x00, 0x04, 0x00, 0x00], WASM32)
        .unwrap();
    assert_eq!(
        t.bytes,
        [0x76, 0x78, 0x06, 0x23, 32, 0x06, 0x06, 0x23, 0x80, 0x08]
    );
    // A pointer's value: the 32-bit offset plus the memory base, as a value.
    let p = ctx.pointer_value(&[0x76, 0x70]).unwrap();
    assert_eq!(p[..4], [0x76, 0x70, 0x94, 4]);
    assert_eq!(p.last(), Some(&0x9f));
    // A frame base in a local, then DW_OP_fbreg 12.
    let base = ctx
        .frame_base_value(&[0xed, 0x00, 0x00, 0x9f], WASM32)
        .unwrap();
    assert_eq!(base, [0x76, 0x70, 0x94, 4]);
    let with_base = ExprContext {
        frame_base: Some(&base),
        ..ctx
    };
    let t = with_base.translate(&[0x91, 12], WASM32).unwrap();
    assert!(t.bytes.starts_with(&base));
    assert!(t.is_memory);
    // Branches are not translated.
    assert!(ctx.translate(&[0x2f, 0, 0], WASM32).is_err());
    // Garbage does not panic.
    for bytes in [&[0xed][..], &[0x03, 1], &[0xff, 0xff, 0xff]] {
        let _ = ctx.translate(bytes, WASM32);
    }
}

#[test]
fn outside_functions_memory_is_reached_through_the_vmctx_cell_as_a_constant() {
    let layout = layout();
    let ctx = ExprContext {
        fp: 6,
        slots: None,
        layout: &layout,
        frame_base: None,
    };
    let mut base = Vec::new();
    ctx.memory_base(&mut base).unwrap();
    // DW_OP_const8u 0x1000 (LLDB resolves a DW_OP_addr operand in the image's sections, and
    // the cell is in the heap), deref, + 32, deref, deref.
    let mut want = vec![0x0e];
    want.extend_from_slice(&0x1000u64.to_le_bytes());
    want.extend_from_slice(&[0x06, 0x23, 32, 0x06, 0x06]);
    assert_eq!(base, want);
    // Without a memory there is no base.
    let no_memory = VmctxLayout {
        memory0: None,
        ..layout.clone()
    };
    let ctx = ExprContext {
        layout: &no_memory,
        ..ctx
    };
    assert!(ctx.memory_base(&mut Vec::new()).is_err());
}

#[test]
fn wasm_ranges_map_to_merged_native_ranges() {
    let srclocs = [(4, 8, 100), (8, 12, 101), (12, 20, 130), (20, 24, 102)];
    let funcs = [NativeFunc {
        name: "f".into(),
        address: 0x1000,
        len: 32,
        body: Some(90..140),
        srclocs: &srclocs,
        slots: None,
    }];
    let map = CodeMap::new(&funcs);
    assert_eq!(map.func_at(90), Some(0));
    assert_eq!(map.func_at(140), None);
    assert_eq!(
        map.native_ranges(100..110),
        [0x1004..0x100c, 0x1014..0x1018]
    );
    // From the body's start: the prologue is included.
    assert_eq!(map.native_ranges(90..102)[0].start, 0x1000);
    assert!(map.native_ranges(0..10).is_empty());
}
