//! **The one home of bulk memory and table operations and segment drops**, with the spec's bounds
//! checks and trap kinds: the interpreter's handlers, the JIT's builtins and instantiation (active
//! segments) all call these functions.
//!
//! Memories and tables are named by their store index, segments by their instance and index in
//! it. Addresses, indices and lengths arrive as 64-bit cells: the operations on the store's
//! entities take the low half of each operand of a 32-bit memory or table ([`operand`]), so the
//! interpreter passes its cells as they are and the JIT passes zero-extended values; `memory.fill` and `memory.copy` also have forms on a memory's bytes (`fill_bytes`,
//! `copy_bytes_*`), which the JIT's builtins use on the memory definitions compiled code hands
//! them, so that they need not reach the store unless they trap. Nothing here allocates or loops per element: copies are one `memmove`
//! (`copy_within`/`copy_from_slice`), fills one `fill`. None of these operations changes a
//! memory's or table's size or base, the functions or the fuel, so the JIT needs no `sync` after
//! them. Dropping a segment releases its storage (an element segment's cells; a data segment's
//! bytes are the module's and stay shared with it).

use std::ops::Range;

use crate::Trap;
use crate::store::StoreInner;

/// The value of an address, index or length operand held in a 64-bit cell, for a memory or
/// table indexed with `i64` (`is64`: the whole cell) or with `i32` (its low half).
#[inline]
pub(crate) fn operand(cell: u64, is64: bool) -> u64 {
    if is64 { cell } else { cell as u32 as u64 }
}

/// The range `start..start + len` when it lies within `size`, else `trap`. Operands are 64-bit
/// (a 32-bit memory's or table's are zero-extended); the sum cannot wrap around.
#[inline]
fn range(start: u64, len: u64, size: usize, trap: Trap) -> Result<Range<usize>, Trap> {
    match start.checked_add(len) {
        Some(end) if end <= size as u64 => Ok(start as usize..end as usize),
        _ => Err(trap),
    }
}

/// `memory.fill` on a memory's bytes: sets `len` bytes from `dst` to `val`.
#[inline]
pub(crate) fn fill_bytes(data: &mut [u8], dst: u64, val: u8, len: u64) -> Result<(), Trap> {
    let d = range(dst, len, data.len(), Trap::MemoryOutOfBounds)?;
    data[d].fill(val);
    Ok(())
}

/// `memory.copy` within one memory's bytes (the ranges may overlap).
#[inline]
pub(crate) fn copy_bytes_within(data: &mut [u8], dst: u64, src: u64, len: u64) -> Result<(), Trap> {
    let s = range(src, len, data.len(), Trap::MemoryOutOfBounds)?;
    let d = range(dst, len, data.len(), Trap::MemoryOutOfBounds)?;
    data.copy_within(s, d.start);
    Ok(())
}

/// `memory.copy` from one memory's bytes to another's.
#[inline]
pub(crate) fn copy_bytes_between(
    to: &mut [u8],
    from: &[u8],
    [dst, src, len]: [u64; 3],
) -> Result<(), Trap> {
    let s = range(src, len, from.len(), Trap::MemoryOutOfBounds)?;
    let d = range(dst, len, to.len(), Trap::MemoryOutOfBounds)?;
    to[d].copy_from_slice(&from[s]);
    Ok(())
}

/// `memory.fill`: sets `len` bytes of memory `mem` from `dst` to `val`.
pub(crate) fn memory_fill(
    inner: &mut StoreInner,
    mem: u32,
    dst: u64,
    val: u8,
    len: u64,
) -> Result<(), Trap> {
    let m = &mut inner.memories[mem as usize];
    let is64 = m.ty.memory64;
    fill_bytes(m.data_mut(), operand(dst, is64), val, operand(len, is64))
}

/// `memory.copy`: copies `len` bytes from `src` in memory `src_mem` to `dst` in memory
/// `dst_mem` (the ranges may overlap when the memories are the same).
pub(crate) fn memory_copy(
    inner: &mut StoreInner,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> Result<(), Trap> {
    let (dm, sm) = (dst_mem as usize, src_mem as usize);
    let (d64, s64) = (
        inner.memories[dm].ty.memory64,
        inner.memories[sm].ty.memory64,
    );
    let (dst, src, len) = (
        operand(dst, d64),
        operand(src, s64),
        operand(len, d64 && s64),
    );
    if dm == sm {
        return copy_bytes_within(inner.memories[dm].data_mut(), dst, src, len);
    }
    let [to, from] = inner
        .memories
        .get_disjoint_mut([dm, sm])
        .expect("two distinct memories");
    copy_bytes_between(to.data_mut(), from.data(), [dst, src, len])
}

/// `memory.init`: copies `len` bytes of data segment `seg` of `instance` from `src` to `dst` in
/// memory `mem`. A dropped segment is empty.
pub(crate) fn memory_init(
    inner: &mut StoreInner,
    instance: u32,
    mem: u32,
    seg: u32,
    [dst, src, len]: [u64; 3],
) -> Result<(), Trap> {
    let inst = &inner.instances[instance as usize];
    let bytes: &[u8] = if inst.data_dropped[seg as usize] {
        &[]
    } else {
        let module = &inst.module;
        &module.inner.bytes[module.info().data[seg as usize].bytes.clone()]
    };
    let oob = Trap::MemoryOutOfBounds;
    let (src, len) = (operand(src, false), operand(len, false));
    let s = range(src, len, bytes.len(), oob)?;
    let m = &mut inner.memories[mem as usize];
    let dst = operand(dst, m.ty.memory64);
    let data = m.data_mut();
    let d = range(dst, len, data.len(), oob)?;
    data[d].copy_from_slice(&bytes[s]);
    Ok(())
}

/// `data.drop`: data segment `seg` of `instance` becomes empty.
pub(crate) fn data_drop(inner: &mut StoreInner, instance: u32, seg: u32) {
    inner.instances[instance as usize].data_dropped[seg as usize] = true;
}

/// `table.get`: element `index` of table `table`.
pub(crate) fn table_get(inner: &StoreInner, table: u32, index: u64) -> Result<u64, Trap> {
    let t = &inner.tables[table as usize];
    usize::try_from(operand(index, t.ty.table64))
        .ok()
        .and_then(|i| t.elements.get(i))
        .copied()
        .ok_or(Trap::TableOutOfBounds)
}

/// `table.set`: sets element `index` of table `table` to `val`.
pub(crate) fn table_set(
    inner: &mut StoreInner,
    table: u32,
    index: u64,
    val: u64,
) -> Result<(), Trap> {
    let t = &mut inner.tables[table as usize];
    *usize::try_from(operand(index, t.ty.table64))
        .ok()
        .and_then(|i| t.elements.get_mut(i))
        .ok_or(Trap::TableOutOfBounds)? = val;
    Ok(())
}

/// `table.fill`: sets `len` elements of table `table` from `dst` to `val`.
pub(crate) fn table_fill(
    inner: &mut StoreInner,
    table: u32,
    dst: u64,
    val: u64,
    len: u64,
) -> Result<(), Trap> {
    let t = &mut inner.tables[table as usize];
    let (dst, len) = (operand(dst, t.ty.table64), operand(len, t.ty.table64));
    let elements = &mut t.elements;
    let d = range(dst, len, elements.len(), Trap::TableOutOfBounds)?;
    elements[d].fill(val);
    Ok(())
}

/// `table.copy`: copies `len` elements from `src` in table `src_table` to `dst` in table
/// `dst_table` (the ranges may overlap when the tables are the same).
pub(crate) fn table_copy(
    inner: &mut StoreInner,
    dst_table: u32,
    src_table: u32,
    [dst, src, len]: [u64; 3],
) -> Result<(), Trap> {
    let oob = Trap::TableOutOfBounds;
    let (dt, st) = (dst_table as usize, src_table as usize);
    let (d64, s64) = (inner.tables[dt].ty.table64, inner.tables[st].ty.table64);
    let (dst, src, len) = (
        operand(dst, d64),
        operand(src, s64),
        operand(len, d64 && s64),
    );
    let s = range(src, len, inner.tables[st].elements.len(), oob)?;
    let d = range(dst, len, inner.tables[dt].elements.len(), oob)?;
    if dt == st {
        inner.tables[dt].elements.copy_within(s, d.start);
    } else {
        let [to, from] = inner
            .tables
            .get_disjoint_mut([dt, st])
            .expect("two distinct tables");
        to.elements[d].copy_from_slice(&from.elements[s]);
    }
    Ok(())
}

/// `table.init`: copies `len` items of element segment `seg` of `instance` from `src` to `dst`
/// in table `table`. A dropped segment is empty.
pub(crate) fn table_init(
    inner: &mut StoreInner,
    instance: u32,
    table: u32,
    seg: u32,
    [dst, src, len]: [u64; 3],
) -> Result<(), Trap> {
    let items = &inner.instances[instance as usize].elems[seg as usize];
    let t = &mut inner.tables[table as usize];
    let dst = operand(dst, t.ty.table64);
    let (src, len) = (operand(src, false), operand(len, false));
    let elements = &mut t.elements;
    let oob = Trap::TableOutOfBounds;
    let s = range(src, len, items.len(), oob)?;
    let d = range(dst, len, elements.len(), oob)?;
    elements[d].copy_from_slice(&items[s]);
    Ok(())
}

/// `elem.drop`: element segment `seg` of `instance` becomes empty, and its cells are freed.
pub(crate) fn elem_drop(inner: &mut StoreInner, instance: u32, seg: u32) {
    inner.instances[instance as usize].elems[seg as usize] = Vec::new();
}

#[cfg(test)]
mod tests {
    use crate::{Config, Engine, Instance, Module, Store, Tier};

    /// The element segments' storage of `instance`: capacity of each segment's cells.
    fn segment_capacities(store: &Store<()>, instance: &Instance) -> Vec<usize> {
        let inst = &store.inner.instances[instance.index as usize];
        inst.elems.iter().map(Vec::capacity).collect()
    }

    /// `elem.drop` (and the implicit drop of an active segment at instantiation) frees the
    /// segment's cells in both tiers; the interpreter used to keep them (`Vec::clear`).
    #[test]
    fn dropped_element_segments_are_freed_in_both_tiers() {
        let refs = " $f".repeat(1000);
        let wat = format!(
            r#"(module
                (table 1000 funcref)
                (func $f)
                (elem $passive func{refs})
                (elem (i32.const 0) func{refs})
                (func (export "drop") elem.drop $passive)
                (func (export "init") (param i32)
                    (table.init $passive (i32.const 0) (i32.const 0) (local.get 0))))"#
        );
        for tier in [Tier::Interp, Tier::Jit] {
            let mut config = Config::new();
            config.tier(tier);
            let engine = Engine::new(&config).unwrap();
            let module = Module::new(&engine, &wat).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let [passive, active] = segment_capacities(&store, &instance)[..] else {
                panic!("two segments")
            };
            assert!(passive >= 1000, "{tier:?}");
            assert_eq!(active, 0, "{tier:?}: the active segment was dropped");
            let init = instance
                .get_typed_func::<i32, ()>(&mut store, "init")
                .unwrap();
            init.call(&mut store, 1000).unwrap();
            instance
                .get_typed_func::<(), ()>(&mut store, "drop")
                .unwrap()
                .call(&mut store, ())
                .unwrap();
            assert_eq!(segment_capacities(&store, &instance), [0, 0], "{tier:?}");
            init.call(&mut store, 0).unwrap();
            let err = init.call(&mut store, 1).unwrap_err();
            assert_eq!(
                err.downcast_ref::<crate::Trap>(),
                Some(&crate::Trap::TableOutOfBounds),
                "{tier:?}"
            );
        }
    }
}
