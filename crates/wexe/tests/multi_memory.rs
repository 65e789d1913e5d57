//! Several memories in one module (the multi-memory proposal, `Config::wasm_multi_memory`, on by
//! default): refused when turned off, executed by both tiers (more in `memories.rs`).

use wexe::{Config, Engine, Instance, Module, Store, Tier, Trap};

const TWO_MEMORIES: &str = r#"(module
  (memory $a 1)
  (memory $b 2 3)
  (func (export "put") (param i32 i32)
    (i32.store $b (local.get 0) (local.get 1)))
  (func (export "get_a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "get_b") (param i32) (result i32) (i32.load $b (local.get 0)))
  (func (export "sizes") (result i32 i32) (memory.size $a) (memory.size $b))
  (func (export "grow_b") (result i32) (memory.grow $b (i32.const 1)))
  (func (export "copy_b_to_a") (memory.copy $a $b (i32.const 0) (i32.const 0) (i32.const 8))))"#;

fn engine(tier: Tier, multi_memory: bool) -> Engine {
    let mut config = Config::new();
    config.tier(tier).wasm_multi_memory(multi_memory);
    Engine::new(&config).unwrap()
}

#[test]
fn several_memories_are_refused_unless_enabled() {
    for tier in [Tier::Interp, Tier::Jit] {
        let err = Module::new(&engine(tier, false), TWO_MEMORIES).unwrap_err();
        assert!(format!("{err:#}").contains("multiple memories"), "{err:#}");
        assert!(Module::new(&engine(tier, true), TWO_MEMORIES).is_ok());
    }
}

#[test]
fn both_tiers_address_each_memory_by_its_index() {
    for tier in [Tier::Interp, Tier::Jit] {
        each_memory_by_its_index(tier);
    }
}

fn each_memory_by_its_index(tier: Tier) {
    let engine = engine(tier, true);
    let module = Module::new(&engine, TWO_MEMORIES).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let put = instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "put")
        .unwrap();
    let get_a = instance
        .get_typed_func::<i32, i32>(&mut store, "get_a")
        .unwrap();
    let get_b = instance
        .get_typed_func::<i32, i32>(&mut store, "get_b")
        .unwrap();
    put.call(&mut store, (4, 77)).unwrap();
    assert_eq!(get_b.call(&mut store, 4).unwrap(), 77);
    assert_eq!(get_a.call(&mut store, 4).unwrap(), 0, "memory $a untouched");
    // Memory $b has two pages: an address in the second page works in $b, traps in $a.
    put.call(&mut store, (65536 + 8, 5)).unwrap();
    let trap = get_a.call(&mut store, 65536 + 8).unwrap_err();
    assert_eq!(trap.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    let sizes = instance
        .get_typed_func::<(), (i32, i32)>(&mut store, "sizes")
        .unwrap();
    assert_eq!(sizes.call(&mut store, ()).unwrap(), (1, 2));
    let grow = instance
        .get_typed_func::<(), i32>(&mut store, "grow_b")
        .unwrap();
    assert_eq!(grow.call(&mut store, ()).unwrap(), 2);
    assert_eq!(
        grow.call(&mut store, ()).unwrap(),
        -1,
        "the maximum is 3 pages"
    );
    assert_eq!(sizes.call(&mut store, ()).unwrap(), (1, 3));
    let copy = instance
        .get_typed_func::<(), ()>(&mut store, "copy_b_to_a")
        .unwrap();
    copy.call(&mut store, ()).unwrap();
    assert_eq!(get_a.call(&mut store, 4).unwrap(), 77);
}
