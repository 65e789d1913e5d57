//! Bulk memory and table operations, and table access, with the spec's bounds checks. Shared by
//! the dispatch loop and by instantiation (active segments).

use crate::Trap;
use crate::store::StoreInner;

/// The range `start..start + len` when it lies within `size`.
fn range(start: u32, len: u32, size: usize) -> Result<std::ops::Range<usize>, Trap> {
    let end = start as u64 + len as u64;
    if end > size as u64 {
        return Err(Trap::MemoryOutOfBounds);
    }
    Ok(start as usize..end as usize)
}

fn table_range(start: u32, len: u32, size: usize) -> Result<std::ops::Range<usize>, Trap> {
    range(start, len, size).map_err(|_| Trap::TableOutOfBounds)
}

pub(super) fn memory_copy(
    inner: &mut StoreInner,
    mem: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> Result<(), Trap> {
    let data = inner.memories[mem as usize].data_mut();
    let s = range(src, len, data.len())?;
    let d = range(dst, len, data.len())?;
    data.copy_within(s, d.start);
    Ok(())
}

pub(super) fn memory_fill(
    inner: &mut StoreInner,
    mem: u32,
    dst: u32,
    val: u8,
    len: u32,
) -> Result<(), Trap> {
    let data = inner.memories[mem as usize].data_mut();
    let d = range(dst, len, data.len())?;
    data[d].fill(val);
    Ok(())
}

pub(super) fn memory_init(
    inner: &mut StoreInner,
    instance: u32,
    mem: u32,
    seg: u32,
    [dst, src, len]: [u32; 3],
) -> Result<(), Trap> {
    let inst = &inner.instances[instance as usize];
    let module = inst.module.clone();
    let bytes: &[u8] = if inst.data_dropped[seg as usize] {
        &[]
    } else {
        &module.inner.bytes[module.info().data[seg as usize].bytes.clone()]
    };
    let s = range(src, len, bytes.len())?;
    let data = inner.memories[mem as usize].data_mut();
    let d = range(dst, len, data.len())?;
    data[d].copy_from_slice(&bytes[s]);
    Ok(())
}

pub(super) fn table_get(inner: &StoreInner, table: u32, index: u32) -> Result<u64, Trap> {
    let t = &inner.tables[table as usize];
    t.elements
        .get(index as usize)
        .copied()
        .ok_or(Trap::TableOutOfBounds)
}

pub(super) fn table_set(
    inner: &mut StoreInner,
    table: u32,
    index: u32,
    val: u64,
) -> Result<(), Trap> {
    let t = &mut inner.tables[table as usize];
    *t.elements
        .get_mut(index as usize)
        .ok_or(Trap::TableOutOfBounds)? = val;
    Ok(())
}

pub(super) fn table_fill(
    inner: &mut StoreInner,
    table: u32,
    dst: u32,
    val: u64,
    len: u32,
) -> Result<(), Trap> {
    let t = &mut inner.tables[table as usize];
    let d = table_range(dst, len, t.elements.len())?;
    t.elements[d].fill(val);
    Ok(())
}

pub(super) fn table_copy(
    inner: &mut StoreInner,
    dst_table: u32,
    src_table: u32,
    [dst, src, len]: [u32; 3],
) -> Result<(), Trap> {
    let s = table_range(src, len, inner.tables[src_table as usize].elements.len())?;
    let d = table_range(dst, len, inner.tables[dst_table as usize].elements.len())?;
    if dst_table == src_table {
        inner.tables[dst_table as usize]
            .elements
            .copy_within(s, d.start);
    } else {
        let items = inner.tables[src_table as usize].elements[s].to_vec();
        inner.tables[dst_table as usize].elements[d].copy_from_slice(&items);
    }
    Ok(())
}

/// `table.init`: copies `len` items of element segment `seg` from `src` into the instance's
/// table `table` at `dst`.
pub(crate) fn table_init(
    inner: &mut StoreInner,
    instance: u32,
    table: u32,
    seg: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> Result<(), Trap> {
    let inst = &inner.instances[instance as usize];
    let items = &inst.elems[seg as usize];
    let t = &mut inner.tables[inst.tables[table as usize] as usize];
    let s = table_range(src, len, items.len())?;
    let d = table_range(dst, len, t.elements.len())?;
    t.elements[d].copy_from_slice(&items[s]);
    Ok(())
}
