//! A compact binary encoding of [`CompiledModule`], for the on-disk cache and `.cwasm` files:
//! LEB128 numbers (zigzag for signed ones), code as length-prefixed bytes, and trap sites and
//! source ranges as differences from the previous entry.

use crate::compiler::{
    CallSiteHandlers, CompiledFunction, CompiledModule, DebugSlots, RelocKind, Relocation, TrapCode,
};

const RELOCS: [RelocKind; 3] = [RelocKind::X86PcRel4, RelocKind::Abs8, RelocKind::Arm64Call];

/// Appends `v` as an unsigned LEB128 number.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-encoded (small magnitudes of either sign stay short).
fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn index_of<T: PartialEq>(all: &[T], x: &T) -> u64 {
    all.iter().position(|y| y == x).expect("listed") as u64
}

/// One function. Trap sites and source ranges (most of the metadata) are sorted by code offset,
/// so each is stored as the difference from the one before: one or two bytes instead of 12.
fn put_func(out: &mut Vec<u8>, f: &CompiledFunction) {
    put(out, f.code.len() as u64);
    out.extend_from_slice(&f.code);
    put(out, f.relocs.len() as u64);
    for r in &f.relocs {
        put(out, r.offset.into());
        put(out, index_of(&RELOCS, &r.kind));
        put(out, r.target.into());
        put_signed(out, r.addend);
    }
    put(out, f.traps.len() as u64);
    let mut at = 0u32;
    for &(off, code) in &f.traps {
        put(out, off.wrapping_sub(at).into());
        put(out, index_of(&TrapCode::ALL, &code));
        at = off;
    }
    put(out, f.srclocs.len() as u64);
    let (mut start_at, mut wasm_at) = (0u32, 0u32);
    for &(start, end, wasm) in &f.srclocs {
        put(out, start.wrapping_sub(start_at).into());
        put(out, end.wrapping_sub(start).into());
        put_signed(out, i64::from(wasm) - i64::from(wasm_at));
        (start_at, wasm_at) = (start, wasm);
    }
    put(out, f.handlers.len() as u64);
    let mut at = 0u32;
    for site in &f.handlers {
        put(out, site.ret_addr.wrapping_sub(at).into());
        put(out, site.frame_offset.into());
        put(out, site.vmctx_sp_offset.into());
        put(out, site.handlers.len() as u64);
        for &(tag, handler) in &site.handlers {
            put(out, tag.map_or(0, |t| u64::from(t) + 1));
            put(out, handler.into());
        }
        at = site.ret_addr;
    }
    // Debug slots: 0 when absent, else 1 + the number of locals, the vmctx slot, then each
    // local's slot (0 for none, else 1 + its zigzag offset).
    match &f.debug_slots {
        None => put(out, 0),
        Some(slots) => {
            put(out, slots.locals.len() as u64 + 1);
            put_signed(out, slots.vmctx.into());
            for local in &slots.locals {
                match local {
                    None => put(out, 0),
                    Some(off) => put(
                        out,
                        ((i64::from(*off) << 1) ^ (i64::from(*off) >> 63)) as u64 + 1,
                    ),
                }
            }
        }
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
    fn var(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let [b, rest @ ..] = self.0 else {
                return Err("truncated compiled module".into());
            };
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("bad number in compiled module".into())
    }
    fn u32(&mut self) -> Result<u32, String> {
        u32::try_from(self.var()?).map_err(|_| "bad number in compiled module".into())
    }
    fn signed(&mut self) -> Result<i64, String> {
        let v = self.var()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }
    /// A count of items that each take at least one byte (so a corrupt count cannot make us
    /// reserve more than the input could hold).
    fn count(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n > self.0.len() {
            return Err("truncated compiled module".into());
        }
        Ok(n)
    }
    fn pick<T: Copy>(&mut self, all: &[T]) -> Result<T, String> {
        let i = self.var()?;
        usize::try_from(i)
            .ok()
            .and_then(|i| all.get(i).copied())
            .ok_or_else(|| "bad tag in compiled module".into())
    }
    fn func(&mut self) -> Result<CompiledFunction, String> {
        let n = self.count()?;
        let code = self.bytes(n)?.to_vec();
        let n = self.count()?;
        let mut relocs = Vec::with_capacity(n);
        for _ in 0..n {
            relocs.push(Relocation {
                offset: self.u32()?,
                kind: self.pick(&RELOCS)?,
                target: self.u32()?,
                addend: self.signed()?,
            });
        }
        let n = self.count()?;
        let mut traps = Vec::with_capacity(n);
        let mut at = 0u32;
        for _ in 0..n {
            at = at.wrapping_add(self.u32()?);
            traps.push((at, self.pick(&TrapCode::ALL)?));
        }
        let n = self.count()?;
        let mut srclocs = Vec::with_capacity(n);
        let (mut start, mut wasm) = (0u32, 0u32);
        for _ in 0..n {
            start = start.wrapping_add(self.u32()?);
            let end = start.wrapping_add(self.u32()?);
            wasm = (i64::from(wasm) + self.signed()?) as u32;
            srclocs.push((start, end, wasm));
        }
        let n = self.count()?;
        let mut handlers = Vec::with_capacity(n);
        let mut at = 0u32;
        for _ in 0..n {
            at = at.wrapping_add(self.u32()?);
            let mut site = CallSiteHandlers {
                ret_addr: at,
                frame_offset: self.u32()?,
                vmctx_sp_offset: self.u32()?,
                handlers: Vec::new(),
            };
            for _ in 0..self.count()? {
                let tag = self.u32()?.checked_sub(1);
                site.handlers.push((tag, self.u32()?));
            }
            handlers.push(site);
        }
        let debug_slots = match self.count()? {
            0 => None,
            n => {
                let vmctx = i32::try_from(self.signed()?).map_err(|_| "bad debug slot")?;
                let mut locals = Vec::with_capacity(n - 1);
                for _ in 1..n {
                    locals.push(match self.var()? {
                        0 => None,
                        v => {
                            let v = v - 1;
                            let off = ((v >> 1) as i64) ^ -((v & 1) as i64);
                            Some(i32::try_from(off).map_err(|_| "bad debug slot")?)
                        }
                    });
                }
                Some(DebugSlots { vmctx, locals })
            }
        };
        Ok(CompiledFunction {
            code,
            relocs,
            traps,
            srclocs,
            handlers,
            debug_slots,
        })
    }
    fn funcs(&mut self) -> Result<Vec<CompiledFunction>, String> {
        (0..self.count()?).map(|_| self.func()).collect()
    }
}

impl CompiledModule {
    /// The encoded form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for list in [&self.funcs, &self.array_entries, &self.host_adapters] {
            put(&mut out, list.len() as u64);
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

    fn f_traps() -> Vec<(u32, TrapCode)> {
        vec![(2, TrapCode::Libcall), (300, TrapCode::Interrupt)]
    }

    fn f_srclocs() -> Vec<(u32, u32, u32)> {
        vec![(0, 3, 77), (3, 9, 70), (9, 200_000, u32::MAX), (9, 9, 0)]
    }

    fn f_handlers() -> Vec<CallSiteHandlers> {
        let site = |ret_addr, handlers| CallSiteHandlers {
            ret_addr,
            frame_offset: 48,
            vmctx_sp_offset: 8,
            handlers,
        };
        vec![
            site(10, vec![(Some(0), 40), (None, 60)]),
            site(30, vec![(Some(7), 90)]),
        ]
    }

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
            traps: f_traps(),
            srclocs: f_srclocs(),
            handlers: f_handlers(),
            debug_slots: Some(DebugSlots {
                vmctx: -8,
                locals: vec![Some(-16), None, Some(24)],
            }),
        };
        let m = CompiledModule {
            funcs: vec![f.clone(), f.clone()],
            array_entries: vec![f],
            host_adapters: vec![],
        };
        let back = CompiledModule::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.funcs.len(), 2);
        assert_eq!(back.funcs[1].relocs[0].addend, -4);
        assert_eq!(back.array_entries[0].traps, f_traps());
        assert_eq!(back.array_entries[0].srclocs, f_srclocs());
        assert_eq!(back.funcs[1].handlers, f_handlers());
        assert_eq!(back.funcs[0].code, [1, 2, 3]);
        assert_eq!(back.funcs[0].debug_slots, m.funcs[0].debug_slots);
        let bytes = m.to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                CompiledModule::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        // A count larger than the input is refused, not allocated.
        assert!(CompiledModule::from_bytes(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }
}
