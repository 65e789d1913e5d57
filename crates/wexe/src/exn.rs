//! The embedding API of exception handling, in wasmtime's shape: [`TagType`], [`Tag`] (a
//! store's exception tag, importable and exportable), [`ExnRef`] (a reference to an exception
//! object), and on the store [`Store::throw`] and [`Store::take_pending_exception`]. The
//! objects and the throw machinery are the store's (`store/exn.rs`).

use anyhow::{Result, bail};
use wexe_environ::FuncType;

use crate::func::Caller;
use crate::store::{AsContext, AsContextMut, Store, StoreInner, TagEntity, ThrownException};
use crate::values::Val;

/// The type of a tag: the parameter types of its exceptions (a function type without results).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TagType {
    ty: FuncType,
}

impl TagType {
    /// The tag type whose exceptions carry values of `ty`'s parameter types; `ty` must have no
    /// results (checked by [`Tag::new`]).
    pub fn new(ty: FuncType) -> TagType {
        TagType { ty }
    }

    /// The function type of the tag (its parameters are the payload's types).
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }
}

/// An exception tag of a store: defined by an instance or by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Tag {
    /// A new tag of type `ty`, distinct from every other tag.
    pub fn new(mut store: impl AsContextMut, ty: &TagType) -> Result<Tag> {
        if !ty.ty.results().is_empty() {
            bail!("a tag type has no results, found {}", ty.ty);
        }
        let inner = &mut store.as_context_mut().0.inner;
        let name = format!("host tag {}", inner.tags.len());
        let type_id = inner.engine.type_id(&ty.ty);
        Ok(new_tag(inner, ty.ty.clone(), type_id, name))
    }

    /// The tag's type.
    pub fn ty(&self, store: impl AsContext) -> TagType {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        TagType::new(inner.tags[self.index as usize].ty.clone())
    }
}

pub(crate) fn new_tag(inner: &mut StoreInner, ty: FuncType, type_id: u32, name: String) -> Tag {
    inner.tags.push(TagEntity { ty, type_id, name });
    Tag {
        store_id: inner.id,
        index: (inner.tags.len() - 1) as u32,
    }
}

/// A reference to an exception object: a tag and the values it carries. Wasm code gets one with
/// `catch_ref`/`catch_all_ref`, the host with [`ExnRef::new`] or
/// [`Store::take_pending_exception`]; it stays valid as long as its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExnRef {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl ExnRef {
    /// A new exception of `tag` carrying `fields`, which must match the tag's parameter types.
    pub fn new(mut store: impl AsContextMut, tag: &Tag, fields: &[Val]) -> Result<ExnRef> {
        let inner = &mut store.as_context_mut().0.inner;
        inner.check(tag.store_id);
        let ty = inner.tags[tag.index as usize].ty.clone();
        if fields.len() != ty.params().len() {
            bail!(
                "the tag carries {} values, got {}",
                ty.params().len(),
                fields.len()
            );
        }
        let mut cells = Vec::with_capacity(fields.len());
        for (i, (v, &t)) in fields.iter().zip(ty.params()).enumerate() {
            if v.ty() != t {
                bail!("field {i}: expected {t}, got {}", v.ty());
            }
            let c = v.to_cells(inner);
            cells.extend_from_slice(&c[..crate::interp::exec::cell_width(t)]);
        }
        let index = inner.exns.alloc(tag.index, &cells);
        inner.exns.reference(index);
        Ok(ExnRef {
            store_id: inner.id,
            index,
        })
    }

    /// The exception's tag.
    pub fn tag(&self, store: impl AsContext) -> Tag {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        Tag {
            store_id: inner.id,
            index: inner.exns.get(self.index).tag,
        }
    }

    /// The values the exception carries.
    pub fn fields(&self, store: impl AsContext) -> Vec<Val> {
        let inner = &store.as_context().0.inner;
        inner.check(self.store_id);
        let exn = inner.exns.get(self.index);
        let ty = &inner.tags[exn.tag as usize].ty;
        let mut at = 0;
        let mut out = Vec::with_capacity(ty.params().len());
        for &t in ty.params() {
            let w = crate::interp::exec::cell_width(t);
            let mut cells = [0; 2];
            cells[..w].copy_from_slice(&exn.payload[at..at + w]);
            out.push(Val::from_cells(t, cells, inner));
            at += w;
        }
        out
    }

    /// Field `i` of the exception.
    pub fn field(&self, store: impl AsContext, i: usize) -> Result<Val> {
        let fields = self.fields(store);
        let n = fields.len();
        match fields.into_iter().nth(i) {
            Some(v) => Ok(v),
            None => bail!("field {i} of an exception with {n} fields"),
        }
    }
}

impl<T: 'static> Store<T> {
    /// Throws `exception`: returns the [`ThrownException`] error that a host function returns to
    /// throw it into its wasm caller (where `try_table` may catch it); from outside any call,
    /// the exception just becomes the pending one.
    pub fn throw<R>(&mut self, exception: ExnRef) -> Result<R, ThrownException> {
        throw(&mut self.inner, exception)
    }

    /// The exception the last call ended with ([`ThrownException`]), taking it out of the store.
    pub fn take_pending_exception(&mut self) -> Option<ExnRef> {
        take_pending(&mut self.inner)
    }
}

impl<T: 'static> Caller<'_, T> {
    /// [`Store::throw`] from a host function: `return caller.throw(exn)?` throws into the caller.
    pub fn throw<R>(&mut self, exception: ExnRef) -> Result<R, ThrownException> {
        throw(&mut self.store.inner, exception)
    }

    /// [`Store::take_pending_exception`] from a host function.
    pub fn take_pending_exception(&mut self) -> Option<ExnRef> {
        take_pending(&mut self.store.inner)
    }
}

fn throw<R>(inner: &mut StoreInner, exception: ExnRef) -> Result<R, ThrownException> {
    inner.check(exception.store_id);
    let tag = inner.exns.get(exception.index).tag;
    inner.exns.pending = Some(exception.index);
    Err(ThrownException {
        tag_name: inner.tags[tag as usize].name.clone(),
    })
}

fn take_pending(inner: &mut StoreInner) -> Option<ExnRef> {
    let index = inner.exns.pending.take()?;
    inner.exns.reference(index);
    Some(ExnRef {
        store_id: inner.id,
        index,
    })
}
