//! The engine's type registry: one id per distinct defined type across every module of the
//! engine, so that signature checks (`call_indirect`, imports, typed references) are one
//! comparison.
//!
//! WebAssembly 3.0 compares types iso-recursively: two types are equal when their recursion
//! groups are equal and they sit at the same position in them. A group is made comparable
//! across modules by naming what its types refer to outside the group by engine id (types are
//! registered in order, so an earlier group's types have ids already) and what they refer to
//! inside the group by position, written as a marker at or above [`IN_GROUP`]. Each distinct
//! group gets consecutive ids, one per type.

use std::collections::HashMap;

use wexe_environ::{CompositeType, FuncType, TypeDef};

/// Engine ids stay below this; ids at or above it in a registry key mean "the type at position
/// `id - IN_GROUP` of this group".
const IN_GROUP: u32 = 1 << 31;

/// A recursion group in canonical form: each type's shape and finality.
type GroupKey = Vec<(CompositeType, bool)>;

/// Gives every distinct type an id.
#[derive(Default)]
pub(crate) struct TypeRegistry {
    /// Each registered group and the id of its first type.
    groups: HashMap<GroupKey, u32>,
    next: u32,
}

impl TypeRegistry {
    /// The id of the first type of group `key`, registering the group when new. Ids never reach
    /// `IN_GROUP`: 2^31 distinct types held at once would take hundreds of gigabytes of keys
    /// (wasmparser allows a module a million types).
    fn group_id(&mut self, key: GroupKey) -> u32 {
        if let Some(&id) = self.groups.get(&key) {
            return id;
        }
        let id = self.next;
        self.next += key.len() as u32;
        self.groups.insert(key, id);
        id
    }

    /// The id of a host function type (a final type in a group of its own; the types it
    /// refers to are named by engine id).
    pub(crate) fn type_id(&mut self, ty: &FuncType) -> u32 {
        self.group_id(vec![(CompositeType::Func(ty.clone()), true)])
    }

    /// The ids of a module's types, in type index order (references name the module's type
    /// indices: an earlier group's type, or one of the same group).
    pub(crate) fn module_type_ids(&mut self, types: &[TypeDef]) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::with_capacity(types.len());
        while ids.len() < types.len() {
            let first = &types[ids.len()];
            let start = first.rec_group_start as usize;
            let group = &types[start..start + first.rec_group_len as usize];
            let key = group
                .iter()
                .map(|t| {
                    let t = t.map_concrete(&|j| match ids.get(j as usize) {
                        Some(&id) => id,
                        None => IN_GROUP + (j - start as u32),
                    });
                    (t.composite, t.is_final)
                })
                .collect::<GroupKey>();
            let base = self.group_id(key);
            ids.extend(base..base + group.len() as u32);
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
            heap: HeapType::ConcreteFunc(i),
        })
    }

    /// A module's types, each in a group of its own.
    fn singletons(types: &[FuncType]) -> Vec<TypeDef> {
        let each = types.iter().enumerate();
        each.map(|(i, t)| TypeDef::func(t.clone(), i as u32))
            .collect()
    }

    /// One recursion group of `types` starting at type index `start`.
    fn group(types: &[FuncType], start: u32) -> Vec<TypeDef> {
        let each = types.iter().map(|t| TypeDef {
            rec_group_start: start,
            rec_group_len: types.len() as u32,
            ..TypeDef::func(t.clone(), start)
        });
        each.collect()
    }

    #[test]
    fn types_referring_to_types_get_one_id_across_modules() {
        let mut reg = TypeRegistry::default();
        let a = FuncType::new([ValType::I32], []);
        let b = FuncType::new([ValType::I64], []);
        // Module 1: (type $a) (type (func (param (ref $a)))); module 2 the other way round.
        let m1 = reg.module_type_ids(&singletons(&[a.clone(), FuncType::new([reference(0)], [])]));
        let m2 = reg.module_type_ids(&singletons(&[
            b.clone(),
            a.clone(),
            FuncType::new([reference(1)], []),
        ]));
        assert_eq!(m1[0], m2[1]);
        assert_eq!(m1[1], m2[2]);
        // (ref $b) is another type than (ref $a).
        let m3 = reg.module_type_ids(&singletons(&[b, FuncType::new([reference(0)], [])]));
        assert_ne!(m3[1], m1[1]);
        // A self-referring type is the same in every module, whatever its index.
        let g = |i| FuncType::new([reference(i)], [reference(i)]);
        let m4 = reg.module_type_ids(&singletons(&[g(0)]));
        let m5 = reg.module_type_ids(&singletons(&[a.clone(), g(1)]));
        assert_eq!(m4[0], m5[1]);
        assert_ne!(m4[0], m1[1]);
        // A host type is a group of its own: the same as a module's singleton of that shape.
        assert_eq!(reg.type_id(&a), m1[0]);
    }

    #[test]
    fn a_type_in_a_larger_group_is_another_type() {
        let mut reg = TypeRegistry::default();
        let f = FuncType::new([], []);
        let alone = reg.module_type_ids(&singletons(std::slice::from_ref(&f)));
        // (rec (type $f1 (func)) (type (func))): $f1 is not the singleton (func), and the
        // two types of the group are not each other.
        let pair = reg.module_type_ids(&group(&[f.clone(), f.clone()], 0));
        assert_ne!(pair[0], alone[0]);
        assert_ne!(pair[0], pair[1]);
        // The same group in another module, after other types, gets the same ids.
        let mut later = singletons(&[FuncType::new([ValType::F32], [])]);
        later.extend(group(&[f.clone(), f], 1));
        assert_eq!(reg.module_type_ids(&later)[1..], pair[..]);
        // Isomorphic mutually recursive groups are equal.
        let (t0, t1) = (
            FuncType::new([reference(1)], []),
            FuncType::new([reference(0)], []),
        );
        let m1 = reg.module_type_ids(&group(&[t0, t1], 0));
        let (t2, t3) = (
            FuncType::new([reference(3)], []),
            FuncType::new([reference(2)], []),
        );
        let i32_param = FuncType::new([ValType::I32], []);
        let mut m2_types = singletons(&[i32_param.clone(), i32_param]);
        m2_types.extend(group(&[t2, t3], 2));
        assert_eq!(reg.module_type_ids(&m2_types)[2..], m1[..]);
    }
}
