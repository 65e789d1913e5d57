//! [`CodeMap`]: from wasm code offsets to the native code compiled from them.

use std::ops::Range;

use crate::{NativeFunc, Slots};

/// A compiled wasm function as the translation needs it.
pub(crate) struct MappedFunc {
    pub address: u64,
    pub len: u64,
    /// Its body's byte range in the module.
    pub body: Range<u32>,
    /// `(native start, native end, wasm offset)`, sorted by native start.
    pub srclocs: Vec<(u32, u32, u32)>,
    pub slots: Option<Slots>,
}

/// The module's compiled wasm functions, sorted by where their bodies lie in the module.
pub struct CodeMap {
    pub(crate) funcs: Vec<MappedFunc>,
}

impl CodeMap {
    pub fn new(funcs: &[NativeFunc<'_>]) -> CodeMap {
        let mut mapped: Vec<MappedFunc> = funcs
            .iter()
            .filter_map(|f| {
                let mut srclocs = f.srclocs.to_vec();
                srclocs.sort_by_key(|s| s.0);
                Some(MappedFunc {
                    address: f.address,
                    len: f.len,
                    body: f.body.clone()?,
                    srclocs,
                    slots: f.slots.cloned(),
                })
            })
            .collect();
        mapped.sort_by_key(|f| f.body.start);
        CodeMap { funcs: mapped }
    }

    /// The function whose body contains module offset `at`.
    pub fn func_at(&self, at: u32) -> Option<usize> {
        let i = self
            .funcs
            .partition_point(|f| f.body.start <= at)
            .checked_sub(1)?;
        (at < self.funcs[i].body.end).then_some(i)
    }

    /// The native address ranges compiled from the wasm bytes `range` (module offsets) of
    /// the function containing its start, merged and sorted.
    pub fn native_ranges(&self, range: Range<u32>) -> Vec<Range<u64>> {
        let Some(i) = self.func_at(range.start) else {
            return Vec::new();
        };
        let f = &self.funcs[i];
        let mut out: Vec<Range<u64>> = Vec::new();
        for &(start, end, wasm) in &f.srclocs {
            if !range.contains(&wasm) || start >= end {
                continue;
            }
            let r = f.address + u64::from(start)..f.address + u64::from(end);
            match out.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => out.push(r),
            }
        }
        // A range covering the body's start also covers the prologue (no wasm offset).
        if range.start <= f.body.start
            && let Some(first) = out.first_mut()
            && first.start > f.address
        {
            first.start = f.address;
        }
        out
    }
}
