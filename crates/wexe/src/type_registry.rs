//! The engine's function type registry: one id per distinct function type across every module
//! of the engine, so that signature checks (`call_indirect`, imports, typed references) are one
//! comparison.
//!
//! A type that refers to other types (`(ref $t)`) is made comparable across modules by
//! naming what it refers to by engine id, not by the module's type index: types are
//! registered in order, and an earlier type is already an engine id. A reference of a type to
//! itself (allowed: each type is its own recursion group) is written as a recursion-group
//! marker, so that `(type $g (func (param (ref $g))))` gets one id in every module, the
//! iso-recursive canonicalisation WebAssembly 3.0 specifies.

use std::collections::HashMap;

use wexe_environ::FuncType;

/// Engine ids stay below this; ids at or above it in a registry key mean "the type itself".
const SELF_MARKER: u32 = 1 << 31;

/// Gives every distinct function type an id.
#[derive(Default)]
pub(crate) struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    next: u32,
}

impl TypeRegistry {
    /// The id of `key`, registering it when new. Ids never reach `SELF_MARKER`: 2^31 distinct
    /// types held at once would take hundreds of gigabytes of keys (wasmparser allows a module
    /// a million types).
    fn id_of(&mut self, key: FuncType) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.next;
        self.next += 1;
        self.ids.insert(key, id);
        id
    }

    /// The id of a function type whose references name engine ids (a host function's type).
    pub(crate) fn type_id(&mut self, ty: &FuncType) -> u32 {
        self.id_of(ty.clone())
    }

    /// The ids of a module's types, in type index order (references name the module's type
    /// indices, each an earlier type or the type itself).
    pub(crate) fn module_type_ids(&mut self, types: &[FuncType]) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            let i = i as u32;
            // Earlier types are engine ids by now; the type itself (and, in a recursion group
            // of several types, which the parser refuses without GC, later ones) are markers
            // relative to it.
            let key = ty.map_concrete(&|j| match ids.get(j as usize) {
                Some(&id) => id,
                None => SELF_MARKER + (j - i),
            });
            let id = self.id_of(key);
            // The same type written with its own id is the same type (a host may name it so).
            let own = ty.map_concrete(&|j| ids.get(j as usize).copied().unwrap_or(id));
            self.ids.entry(own).or_insert(id);
            ids.push(id);
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wexe_environ::{HeapType, RefType, ValType};

    fn reference(i: u32) -> ValType {
        ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Concrete(i),
        })
    }

    #[test]
    fn types_referring_to_types_get_one_id_across_modules() {
        let mut reg = TypeRegistry::default();
        let a = FuncType::new([ValType::I32], []);
        let b = FuncType::new([ValType::I64], []);
        // Module 1: (type $a) (type (func (param (ref $a)))); module 2 the other way round.
        let m1 = reg.module_type_ids(&[a.clone(), FuncType::new([reference(0)], [])]);
        let m2 = reg.module_type_ids(&[b.clone(), a.clone(), FuncType::new([reference(1)], [])]);
        assert_eq!(m1[0], m2[1]);
        assert_eq!(m1[1], m2[2]);
        // (ref $b) is another type than (ref $a).
        let m3 = reg.module_type_ids(&[b, FuncType::new([reference(0)], [])]);
        assert_ne!(m3[1], m1[1]);
        // A self-referring type is the same in every module, whatever its index.
        let g = |i| FuncType::new([reference(i)], [reference(i)]);
        let m4 = reg.module_type_ids(&[g(0)]);
        let m5 = reg.module_type_ids(&[a, g(1)]);
        assert_eq!(m4[0], m5[1]);
        assert_ne!(m4[0], m1[1]);
    }
}
