//! The interpreter tier: wasm function bodies are translated (lazily, on first call) into a
//! register-based bytecode ([`ops`]) and executed by [`exec`].

pub(crate) mod exec;

use anyhow::Result;

use crate::Trap;
use crate::module::Module;
use crate::store::{StoreInner, StoreOps, TableEntity};
use crate::values::Val;

/// A translated function body.
pub(crate) struct CompiledFunc {}

pub(crate) fn translate(_module: &Module, _def_index: usize) -> Result<CompiledFunc, String> {
    Err("the interpreter is not built yet".into())
}

/// Calls store function `func` with checked arguments.
pub(crate) fn call(
    _store: &mut dyn StoreOps,
    _func: u32,
    _params: &[Val],
    _results: &mut [Val],
) -> Result<()> {
    anyhow::bail!("the interpreter is not built yet")
}

/// Grows a table by `delta` elements set to `init`; the old size, or `None` past its maximum.
pub(crate) fn table_grow(table: &mut TableEntity, delta: u64, init: u64) -> Option<u64> {
    let old = table.elements.len() as u64;
    let new = old.checked_add(delta)?;
    if new > table.ty.maximum.unwrap_or(u32::MAX as u64) || new > 10_000_000 {
        return None;
    }
    table.elements.resize(new as usize, init);
    Some(old)
}

/// `table.init`: copies `len` items of element segment `seg` from `src` into table `table` at
/// `dst`, for instance `instance`.
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
    let src_end = (src as usize)
        .checked_add(len as usize)
        .ok_or(Trap::TableOutOfBounds)?;
    let dst_end = (dst as usize)
        .checked_add(len as usize)
        .ok_or(Trap::TableOutOfBounds)?;
    let from = items
        .get(src as usize..src_end)
        .ok_or(Trap::TableOutOfBounds)?;
    let to = t
        .elements
        .get_mut(dst as usize..dst_end)
        .ok_or(Trap::TableOutOfBounds)?;
    to.copy_from_slice(from);
    Ok(())
}
