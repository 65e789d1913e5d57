//! Typed function references through the embedding API, in both tiers: concrete reference
//! types are compared across modules by engine type id (import matching), values the host
//! stores in typed globals and tables are checked against the concrete type and nullability,
//! and a table's initialiser expression fills it.

use wexe::{Config, Engine, Func, Global, Instance, Linker, Module, Store, Tier, Val};

const TIERS: [Tier; 2] = [Tier::Interp, Tier::Jit];

/// Exports `apply`, whose parameter is a reference to a `(func (result i32))`, with that type at
/// index 1 (the `pad` types shift it).
const PROVIDER: &str = r#"(module
  (type $pad (func (param f64)))
  (type $get (func (result i32)))
  (func (export "apply") (param (ref $get)) (result i32)
    (call_ref $get (local.get 0)))
  (func $seven (export "seven") (type $get) (i32.const 7))
  (func $other (export "other") (param i64) (result i32) (i32.const 0))
  (global (export "g") (mut (ref null $get)) (ref.null $get))
  (global (export "fixed") (ref $get) (ref.func $seven))
  (table (export "tab") 1 (ref null $get))
  (table (export "strict") 2 (ref $get) (ref.func $seven)))"#;

fn engine(tier: Tier) -> Engine {
    let mut config = Config::new();
    config.tier(tier);
    Engine::new(&config).unwrap()
}

#[test]
fn concrete_reference_types_match_across_modules_by_structure() {
    // The same types at other indices: links. `(ref $get)` of another `$get`: refused.
    let same = r#"(module
  (type $get (func (result i32)))
  (type $apply (func (param (ref $get)) (result i32)))
  (import "p" "apply" (func $apply (type $apply)))
  (import "p" "fixed" (global $fixed (ref $get)))
  (import "p" "fixed" (global $loose (ref null func)))
  (func (export "run") (result i32) (call $apply (global.get $fixed))))"#;
    let other = r#"(module
  (type $get (func (result i64)))
  (import "p" "apply" (func (param (ref $get)) (result i32))))"#;
    let mutable_subtype = r#"(module
  (import "p" "g" (global (mut (ref null func)))))"#;
    for tier in TIERS {
        let engine = engine(tier);
        let mut store = Store::new(&engine, ());
        let provider = Module::new(&engine, PROVIDER).unwrap();
        let provider = Instance::new(&mut store, &provider, &[]).unwrap();
        let mut linker = Linker::new(&engine);
        linker.instance(&mut store, "p", provider).unwrap();
        let user = Module::new(&engine, same).unwrap();
        let user = linker.instantiate(&mut store, &user).unwrap();
        let run = user.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), 7, "{tier:?}");
        for wat in [other, mutable_subtype] {
            let m = Module::new(&engine, wat).unwrap();
            let err = linker.instantiate(&mut store, &m).unwrap_err();
            assert!(
                format!("{err:#}").contains("incompatible import type"),
                "{tier:?}: {err:#}"
            );
        }
    }
}

#[test]
fn the_host_stores_only_references_of_the_right_type() {
    for tier in TIERS {
        let engine = engine(tier);
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, PROVIDER).unwrap();
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let seven = instance.get_func(&mut store, "seven").unwrap();
        let other = instance.get_func(&mut store, "other").unwrap();
        let g: Global = instance.get_global(&mut store, "g").unwrap();
        g.set(&mut store, Val::FuncRef(Some(seven))).unwrap();
        g.set(&mut store, Val::FuncRef(None)).unwrap();
        assert!(
            g.set(&mut store, Val::FuncRef(Some(other))).is_err(),
            "{tier:?}"
        );
        assert!(g.set(&mut store, Val::ExternRef(None)).is_err(), "{tier:?}");
        // A host function of the same type is a `(ref $get)`.
        let host = Func::wrap(&mut store, || 3i32);
        g.set(&mut store, Val::FuncRef(Some(host))).unwrap();
        let tab = instance.get_table(&mut store, "tab").unwrap();
        tab.set(&mut store, 0, Val::FuncRef(Some(host))).unwrap();
        assert!(tab.set(&mut store, 0, Val::FuncRef(Some(other))).is_err());
        // A non-nullable table starts filled by its initialiser, and never holds null.
        let strict = instance.get_table(&mut store, "strict").unwrap();
        for i in 0..2 {
            let Some(Val::FuncRef(Some(f))) = strict.get(&store, i) else {
                panic!("{tier:?}: element {i} is not a function");
            };
            let mut out = [Val::I32(0)];
            f.call(&mut store, &[], &mut out).unwrap();
            assert_eq!(out[0].i32(), Some(7), "{tier:?}");
        }
        assert!(strict.grow(&mut store, 1, Val::FuncRef(None)).is_err());
        assert!(strict.set(&mut store, 0, Val::FuncRef(None)).is_err());
        assert_eq!(
            strict
                .grow(&mut store, 1, Val::FuncRef(Some(host)))
                .unwrap(),
            2
        );
        // `apply` takes a non-nullable reference: null is refused before the call.
        let apply = instance.get_func(&mut store, "apply").unwrap();
        let mut out = [Val::I32(0)];
        apply
            .call(&mut store, &[Val::FuncRef(Some(host))], &mut out)
            .unwrap();
        assert_eq!(out[0].i32(), Some(3), "{tier:?}");
        let err = apply
            .call(&mut store, &[Val::FuncRef(None)], &mut out)
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("argument 0"),
            "{tier:?}: {err:#}"
        );
    }
}

/// WebAssembly 3.0's type system without GC: a function type in a recursion group with a struct
/// type is another type than the same function type alone, at link time and in `call_indirect`,
/// and the `any` hierarchy's only value, null, crosses the API as `Val::AnyRef(None)`.
#[test]
fn recursion_groups_and_the_any_hierarchy_through_the_api() {
    let provider = r#"(module
  (rec (type $f (func (result i32))) (type (struct (field (ref $f)))))
  (func (export "in_group") (type $f) (i32.const 1))
  (func (export "alone") (result i32) (i32.const 2))
  (func (export "id") (param anyref) (result anyref) (local.get 0))
  (global (export "s") (mut structref) (ref.null none)))"#;
    let wants_group = r#"(module
  (rec (type $f (func (result i32))) (type (struct (field (ref $f)))))
  (import "p" "in_group" (func (type $f))))"#;
    let wants_alone = r#"(module
  (rec (type $f (func (result i32))) (type (struct (field (ref $f)))))
  (import "p" "alone" (func (type $f))))"#;
    for tier in TIERS {
        let engine = engine(tier);
        let mut store = Store::new(&engine, ());
        let m = Module::new(&engine, provider).unwrap();
        let p = Instance::new(&mut store, &m, &[]).unwrap();
        let mut linker = Linker::new(&engine);
        linker.instance(&mut store, "p", p).unwrap();
        let ok = Module::new(&engine, wants_group).unwrap();
        linker.instantiate(&mut store, &ok).unwrap();
        let refused = Module::new(&engine, wants_alone).unwrap();
        let err = linker.instantiate(&mut store, &refused).unwrap_err();
        assert!(
            format!("{err:#}").contains("incompatible import type"),
            "{tier:?}: {err:#}"
        );

        let id = p.get_func(&mut store, "id").unwrap();
        let mut out = [Val::I32(0)];
        id.call(&mut store, &[Val::AnyRef(None)], &mut out).unwrap();
        assert!(
            matches!(out[0], Val::AnyRef(None)),
            "{tier:?}: {:?}",
            out[0]
        );
        // An externref null is not an anyref.
        let err = id
            .call(&mut store, &[Val::ExternRef(None)], &mut out)
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("expected anyref"),
            "{tier:?}: {err:#}"
        );
        let s = p.get_global(&mut store, "s").unwrap();
        assert!(matches!(s.get(&mut store), Val::AnyRef(None)), "{tier:?}");
        s.set(&mut store, Val::AnyRef(None)).unwrap();
        assert!(s.set(&mut store, Val::FuncRef(None)).is_err(), "{tier:?}");
    }
}
