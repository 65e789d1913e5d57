//! A call from the host into wasm allocates nothing once the store is set up, in either tier:
//! this test binary counts the heap allocations of the calling thread, and 10,000 calls of a
//! typed function (and of the same function through the dynamic `Func::call`, whose signature
//! needs no heap) must not make any.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wexe::{Config, Engine, Linker, Module, Store, Tier, Val};

/// The system allocator, counting the allocations of each thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down has no count to keep.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CALLS: i32 = 10_000;

const GUEST: &str = r#"(module
    (import "host" "twice" (func $twice (param i32) (result i32)))
    (memory (export "memory") 1)
    (table 1 funcref)
    (global $calls (mut i32) (i32.const 0))
    (func (export "add") (param i32 i64) (result i32)
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (i32.add (local.get 0) (i32.wrap_i64 (local.get 1))))
    (func (export "via_host") (param i32) (result i32)
      (call $twice (local.get 0)))
    (func (export "vector") (param v128 f64) (result v128 f64)
      (local.get 0) (local.get 1)))"#;

fn setup(tier: Tier) -> (Store<()>, wexe::Instance) {
    let mut config = Config::new();
    config.tier(tier);
    let engine = Engine::new(&config).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "twice", |x: i32| x.wrapping_mul(2))
        .unwrap();
    let module = Module::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// The allocations `CALLS` runs of `body` make, after one run to set things up.
fn allocations_of(mut body: impl FnMut(i32)) -> u64 {
    body(-1);
    let before = allocations();
    for i in 0..CALLS {
        body(i);
    }
    allocations() - before
}

fn typed_calls_allocate_nothing(tier: Tier) {
    let (mut store, instance) = setup(tier);
    let add = instance
        .get_typed_func::<(i32, i64), i32>(&mut store, "add")
        .unwrap();
    let n = allocations_of(|i| assert_eq!(add.call(&mut store, (i, 5)).unwrap(), i + 5));
    assert_eq!(n, 0, "{tier:?}: typed calls of `add`");

    let via_host = instance
        .get_typed_func::<i32, i32>(&mut store, "via_host")
        .unwrap();
    let n = allocations_of(|i| assert_eq!(via_host.call(&mut store, i).unwrap(), 2 * i));
    assert_eq!(n, 0, "{tier:?}: typed calls of `via_host` (wasm → host)");

    let vector = instance
        .get_typed_func::<(u128, f64), (u128, f64)>(&mut store, "vector")
        .unwrap();
    let n = allocations_of(|i| {
        let v = (i as u128) << 70 | 3;
        assert_eq!(vector.call(&mut store, (v, 0.5)).unwrap(), (v, 0.5));
    });
    assert_eq!(n, 0, "{tier:?}: typed calls of `vector`");
}

fn dynamic_calls_allocate_nothing(tier: Tier) {
    let (mut store, instance) = setup(tier);
    let add = instance.get_func(&mut store, "add").unwrap();
    let mut results = [Val::I32(0)];
    let n = allocations_of(|i| {
        add.call(&mut store, &[Val::I32(i), Val::I64(5)], &mut results)
            .unwrap();
        assert_eq!(results[0].i32(), Some(i + 5));
    });
    assert_eq!(n, 0, "{tier:?}: dynamic calls of `add`");
}

#[test]
fn interp_typed_calls_allocate_nothing() {
    typed_calls_allocate_nothing(Tier::Interp);
}

#[test]
fn jit_typed_calls_allocate_nothing() {
    typed_calls_allocate_nothing(Tier::Jit);
}

#[test]
fn interp_dynamic_calls_allocate_nothing() {
    dynamic_calls_allocate_nothing(Tier::Interp);
}

#[test]
fn jit_dynamic_calls_allocate_nothing() {
    dynamic_calls_allocate_nothing(Tier::Jit);
}
