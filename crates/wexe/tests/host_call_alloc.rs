//! A call from wasm to a host function allocates nothing, in either tier: this test binary
//! counts the heap allocations its (single) test makes, and a thousand more host calls in one
//! call into wasm must not add any.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use wexe::{Config, Engine, Linker, Module, Store, Tier};

/// The system allocator, counting allocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn host_calls_allocate_nothing_in_either_tier() {
    let wat = r#"(module
        (import "host" "add" (func $add (param i32 i64 f64) (result i32)))
        (func (export "run") (param $n i32) (result i32)
          (local $acc i32)
          (block $done
            (loop $next
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $acc (call $add (local.get $acc) (i64.const 2) (f64.const 0.5)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $next)))
          (local.get $acc)))"#;
    for tier in [Tier::Interp, Tier::Jit] {
        let mut config = Config::new();
        config.tier(tier);
        let engine = Engine::new(&config).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("host", "add", |a: i32, b: i64, c: f64| {
                a + b as i32 + c as i32
            })
            .unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        // The first call translates (interpreter) and sets up the stacks.
        assert_eq!(run.call(&mut store, 1).unwrap(), 2, "{tier:?}");
        let allocations_of = |store: &mut Store<()>, n: i32| {
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            assert_eq!(run.call(&mut *store, n).unwrap(), 2 * n, "{tier:?}");
            ALLOCATIONS.load(Ordering::Relaxed) - before
        };
        let few = allocations_of(&mut store, 10);
        let many = allocations_of(&mut store, 1010);
        assert_eq!(
            many, few,
            "{tier:?}: allocations for 10 and 1010 host calls"
        );
    }
}
