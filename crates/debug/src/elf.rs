//! The in-memory ELF image: a relocatable object whose `.text` section already has its load
//! address (`sh_addr`), as LLVM's JIT registers code with GDB and LLDB, with a symbol per
//! function and the translated DWARF sections.

use crate::{Arch, NativeFunc};

const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;

struct Section {
    name: u32,
    kind: u32,
    flags: u64,
    addr: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

/// A string table being built.
struct Strings(Vec<u8>);

impl Strings {
    fn add(&mut self, s: &str) -> u32 {
        let at = self.0.len() as u32;
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
        at
    }
}

/// The image of code loaded at `code_address` (its bytes `code`), its functions and DWARF.
pub(crate) fn write(
    arch: Arch,
    code_address: u64,
    code: &[u8],
    funcs: &[NativeFunc<'_>],
    debug: &[(&'static str, Vec<u8>)],
) -> Vec<u8> {
    let mut names = Strings(vec![0]);
    let mut strtab = Strings(vec![0]);
    let mut symtab = vec![0u8; 24];
    for f in funcs {
        let name = strtab.add(&f.name);
        symtab.extend_from_slice(&name.to_le_bytes());
        symtab.push(0x12); // STB_GLOBAL, STT_FUNC
        symtab.push(0); // default visibility
        symtab.extend_from_slice(&1u16.to_le_bytes()); // .text
        symtab.extend_from_slice(&f.address.wrapping_sub(code_address).to_le_bytes());
        symtab.extend_from_slice(&f.len.to_le_bytes());
    }
    let mut sections = vec![
        Section {
            name: names.add(".text"),
            kind: SHT_PROGBITS,
            flags: SHF_ALLOC | SHF_EXECINSTR,
            addr: code_address,
            data: code.to_vec(),
            link: 0,
            info: 0,
            align: 16,
            entsize: 0,
        },
        Section {
            name: names.add(".symtab"),
            kind: SHT_SYMTAB,
            flags: 0,
            addr: 0,
            data: symtab,
            link: 3,
            info: 1,
            align: 8,
            entsize: 24,
        },
        Section {
            name: names.add(".strtab"),
            kind: SHT_STRTAB,
            flags: 0,
            addr: 0,
            data: strtab.0,
            link: 0,
            info: 0,
            align: 1,
            entsize: 0,
        },
    ];
    for (name, data) in debug {
        sections.push(Section {
            name: names.add(name),
            kind: SHT_PROGBITS,
            flags: 0,
            addr: 0,
            data: data.clone(),
            link: 0,
            info: 0,
            align: 1,
            entsize: 0,
        });
    }
    let shstrndx = sections.len() as u16 + 1;
    sections.push(Section {
        name: names.add(".shstrtab"),
        kind: SHT_STRTAB,
        flags: 0,
        addr: 0,
        data: Vec::new(),
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    let last = sections.len() - 1;
    sections[last].data = names.0;

    // Header, then section contents, then the section header table.
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::with_capacity(sections.len());
    for s in &sections {
        while !(out.len() as u64).is_multiple_of(s.align.max(1)) {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(&s.data);
    }
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    out.extend_from_slice(&[0u8; 64]); // the null section
    for (s, &offset) in sections.iter().zip(&offsets) {
        out.extend_from_slice(&s.name.to_le_bytes());
        out.extend_from_slice(&s.kind.to_le_bytes());
        out.extend_from_slice(&s.flags.to_le_bytes());
        out.extend_from_slice(&s.addr.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        out.extend_from_slice(&s.link.to_le_bytes());
        out.extend_from_slice(&s.info.to_le_bytes());
        out.extend_from_slice(&s.align.to_le_bytes());
        out.extend_from_slice(&s.entsize.to_le_bytes());
    }
    let machine: u16 = match arch {
        Arch::X86_64 => 62,
        Arch::Aarch64 => 183,
    };
    let h = &mut out[..64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 2; // 64-bit
    h[5] = 1; // little-endian
    h[6] = 1; // version
    h[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h[40..48].copy_from_slice(&shoff.to_le_bytes());
    h[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    h[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    h[60..62].copy_from_slice(&(sections.len() as u16 + 1).to_le_bytes());
    h[62..64].copy_from_slice(&shstrndx.to_le_bytes());
    out
}
