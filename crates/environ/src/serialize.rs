//! A plain binary encoding of [`CompiledModule`], for the on-disk cache and `.cwasm` files:
//! little-endian `u32` counts and fields, `i64` addends, code as length-prefixed bytes.

use crate::compiler::{CompiledFunction, CompiledModule, RelocKind, Relocation, TrapCode};

const TRAPS: [TrapCode; 14] = [
    TrapCode::StackOverflow,
    TrapCode::MemoryOutOfBounds,
    TrapCode::TableOutOfBounds,
    TrapCode::IndirectCallToNull,
    TrapCode::BadSignature,
    TrapCode::UndefinedElement,
    TrapCode::IntegerOverflow,
    TrapCode::IntegerDivisionByZero,
    TrapCode::BadConversionToInteger,
    TrapCode::Unreachable,
    TrapCode::OutOfFuel,
    TrapCode::Libcall,
    TrapCode::Unsupported,
    TrapCode::Interrupt,
];
const RELOCS: [RelocKind; 3] = [RelocKind::X86PcRel4, RelocKind::Abs8, RelocKind::Arm64Call];

fn put(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn index_of<T: PartialEq>(all: &[T], x: &T) -> u32 {
    all.iter().position(|y| y == x).expect("listed") as u32
}

fn put_func(out: &mut Vec<u8>, f: &CompiledFunction) {
    put(out, f.code.len() as u32);
    out.extend_from_slice(&f.code);
    put(out, f.relocs.len() as u32);
    for r in &f.relocs {
        put(out, r.offset);
        put(out, index_of(&RELOCS, &r.kind));
        put(out, r.target);
        out.extend_from_slice(&r.addend.to_le_bytes());
    }
    put(out, f.traps.len() as u32);
    for (off, code) in &f.traps {
        put(out, *off);
        put(out, index_of(&TRAPS, code));
    }
    put(out, f.srclocs.len() as u32);
    for &(a, b, c) in &f.srclocs {
        put(out, a);
        put(out, b);
        put(out, c);
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err("truncated compiled module".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().unwrap()))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.bytes(8)?.try_into().unwrap()))
    }
    fn pick<T: Copy>(&mut self, all: &[T]) -> Result<T, String> {
        let i = self.u32()? as usize;
        all.get(i)
            .copied()
            .ok_or_else(|| "bad tag in compiled module".into())
    }
    fn func(&mut self) -> Result<CompiledFunction, String> {
        let n = self.u32()? as usize;
        let code = self.bytes(n)?.to_vec();
        let mut relocs = Vec::new();
        for _ in 0..self.u32()? {
            relocs.push(Relocation {
                offset: self.u32()?,
                kind: self.pick(&RELOCS)?,
                target: self.u32()?,
                addend: self.i64()?,
            });
        }
        let mut traps = Vec::new();
        for _ in 0..self.u32()? {
            traps.push((self.u32()?, self.pick(&TRAPS)?));
        }
        let mut srclocs = Vec::new();
        for _ in 0..self.u32()? {
            srclocs.push((self.u32()?, self.u32()?, self.u32()?));
        }
        Ok(CompiledFunction {
            code,
            relocs,
            traps,
            srclocs,
        })
    }
    fn funcs(&mut self) -> Result<Vec<CompiledFunction>, String> {
        (0..self.u32()?).map(|_| self.func()).collect()
    }
}

impl CompiledModule {
    /// The encoded form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for list in [&self.funcs, &self.array_entries, &self.host_adapters] {
            put(&mut out, list.len() as u32);
            for f in list {
                put_func(&mut out, f);
            }
        }
        out
    }

    /// Decodes [`CompiledModule::to_bytes`]'s output.
    pub fn from_bytes(bytes: &[u8]) -> Result<CompiledModule, String> {
        let mut r = Reader(bytes);
        let m = CompiledModule {
            funcs: r.funcs()?,
            array_entries: r.funcs()?,
            host_adapters: r.funcs()?,
        };
        if !r.0.is_empty() {
            return Err("trailing bytes after compiled module".into());
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_modules_round_trip() {
        let f = CompiledFunction {
            code: vec![1, 2, 3],
            relocs: vec![Relocation {
                offset: 1,
                kind: RelocKind::Abs8,
                target: 2,
                addend: -4,
            }],
            traps: vec![(2, TrapCode::Libcall)],
            srclocs: vec![(0, 3, 77)],
        };
        let m = CompiledModule {
            funcs: vec![f.clone(), f.clone()],
            array_entries: vec![f],
            host_adapters: vec![],
        };
        let back = CompiledModule::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.funcs.len(), 2);
        assert_eq!(back.funcs[1].relocs[0].addend, -4);
        assert_eq!(back.array_entries[0].traps, [(2, TrapCode::Libcall)]);
        assert_eq!(back.array_entries[0].srclocs, [(0, 3, 77)]);
        assert!(CompiledModule::from_bytes(&m.to_bytes()[..5]).is_err());
    }
}
