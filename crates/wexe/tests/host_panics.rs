//! A host function that panics while wasm calls it, the panic caught by the embedder with
//! `catch_unwind` around the call: afterwards the store must work as if the panicking calls had
//! never happened — ordinary calls, the usual recursion depth, the usual host → wasm → host
//! nesting depth and the fuel count — in both tiers, for a host function called directly by
//! wasm and one called by wasm that a host function called (wasm → host → wasm → host).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use wexe::{Caller, Config, Engine, Func, Instance, Linker, Module, Store, Tier, Trap, Val};

/// How many caught panics each scenario goes through.
const PANICS: usize = 1000;

const GUEST: &str = r#"
    (module
      (import "host" "boom" (func $boom))
      (import "host" "fail" (func $fail))
      (import "host" "reenter" (func $reenter))
      (import "host" "nest" (func $nest_host (param i32) (result i32)))
      (import "host" "nest_boom" (func $nest_boom_host (param i32 i32)))
      (global $depth (mut i32) (i32.const 0))
      ;; wasm → host that panics (or fails with an error).
      (func (export "call_boom") (call $boom))
      (func (export "call_fail") (call $fail))
      ;; wasm → host → wasm (`call_boom`) → host that panics.
      (func (export "call_reenter") (call $reenter))
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      ;; Recurses until the stack is exhausted, counting its depth in a global.
      (func $deep (export "deep")
        (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
        (call $deep))
      (func (export "depth") (result i32) (global.get $depth))
      (func (export "reset") (global.set $depth (i32.const 0)))
      ;; `nest(n)`: wasm → host → wasm → ... n host calls deep; returns n.
      (func (export "nest") (param i32) (result i32) (call $nest_host (local.get 0)))
      ;; `nest_boom(n, id)`: wasm → host → wasm → ... n host calls deep, the last of which
      ;; panics with payload `HostPanic(id)`.
      (func (export "nest_boom") (param i32 i32)
        (call $nest_boom_host (local.get 0) (local.get 1))))
"#;

/// The payload of the test's panics: which panic it is.
struct HostPanic(u32);

/// Keeps the default panic message for every panic but the test's own thousands.
fn quiet_host_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<HostPanic>() {
                default(info);
            }
        }));
    });
}

/// The guest's functions the host functions call back.
#[derive(Default)]
struct Exports {
    call_boom: Option<Func>,
    nest: Option<Func>,
    nest_boom: Option<Func>,
    /// The id of the next panic of `boom`.
    next_id: u32,
}

fn setup(tier: Tier, fuel: bool) -> (Store<Exports>, Instance) {
    quiet_host_panics();
    let mut config = Config::new();
    config.tier(tier).consume_fuel(fuel);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, GUEST).unwrap();
    let mut linker = Linker::<Exports>::new(&engine);
    linker
        .func_wrap(
            "host",
            "boom",
            |mut caller: Caller<'_, Exports>| -> anyhow::Result<()> {
                let id = caller.data().next_id;
                caller.data_mut().next_id += 1;
                std::panic::panic_any(HostPanic(id))
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "host",
            "nest_boom",
            |mut caller: Caller<'_, Exports>, n: i32, id: i32| -> anyhow::Result<()> {
                if n == 0 {
                    std::panic::panic_any(HostPanic(id as u32));
                }
                let f = caller.data().nest_boom.expect("set after instantiation");
                f.call(&mut caller, &[Val::I32(n - 1), Val::I32(id)], &mut [])
            },
        )
        .unwrap();
    linker
        .func_wrap("host", "fail", || -> anyhow::Result<()> {
            anyhow::bail!("the host function failed")
        })
        .unwrap();
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Exports>| -> anyhow::Result<()> {
                let f = caller.data().call_boom.expect("set after instantiation");
                f.call(&mut caller, &[], &mut [])
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "host",
            "nest",
            |mut caller: Caller<'_, Exports>, n: i32| -> anyhow::Result<i32> {
                if n == 0 {
                    return Ok(0);
                }
                let f = caller.data().nest.expect("set after instantiation");
                let mut r = [Val::I32(0)];
                f.call(&mut caller, &[Val::I32(n - 1)], &mut r)?;
                Ok(r[0].i32().unwrap() + 1)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, Exports::default());
    if fuel {
        store.set_fuel(u64::MAX / 2).unwrap();
    }
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let call_boom = instance.get_func(&mut store, "call_boom");
    let nest = instance.get_func(&mut store, "nest");
    let nest_boom = instance.get_func(&mut store, "nest_boom");
    *store.data_mut() = Exports {
        call_boom,
        nest,
        nest_boom,
        next_id: 0,
    };
    (store, instance)
}

/// The id of the test's panic that `call` ended in, caught here.
fn caught_panic<R: std::fmt::Debug>(call: impl FnOnce() -> R) -> u32 {
    match catch_unwind(AssertUnwindSafe(call)) {
        Err(payload) => match payload.downcast::<HostPanic>() {
            Ok(p) => p.0,
            Err(_) => panic!("another panic"),
        },
        Ok(r) => panic!("the call did not panic but returned {r:?}"),
    }
}

/// Calls export `name` (no parameters, no results) `PANICS` times, each call ending in the host
/// function's panic, caught here with its original payload.
fn panic_repeatedly(store: &mut Store<Exports>, instance: &Instance, name: &str) {
    let f = instance
        .get_typed_func::<(), ()>(&mut *store, name)
        .unwrap();
    for _ in 0..PANICS {
        let id = store.data().next_id;
        assert_eq!(caught_panic(|| f.call(&mut *store, ())), id, "{name}");
    }
}

/// How deep `deep` recurses before the call stack is exhausted.
fn recursion_depth(store: &mut Store<Exports>, instance: &Instance) -> i32 {
    let reset = instance
        .get_typed_func::<(), ()>(&mut *store, "reset")
        .unwrap();
    let deep = instance
        .get_typed_func::<(), ()>(&mut *store, "deep")
        .unwrap();
    let depth = instance
        .get_typed_func::<(), i32>(&mut *store, "depth")
        .unwrap();
    reset.call(&mut *store, ()).unwrap();
    let err = deep.call(&mut *store, ()).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::StackOverflow),
        "{err:?}"
    );
    depth.call(&mut *store, ()).unwrap()
}

/// The deepest host → wasm → host nesting that `nest` reaches without exhausting the stack.
fn nesting_depth(store: &mut Store<Exports>, instance: &Instance) -> i32 {
    let nest = instance
        .get_typed_func::<i32, i32>(&mut *store, "nest")
        .unwrap();
    for n in 0..1000 {
        match nest.call(&mut *store, n) {
            Ok(r) => assert_eq!(r, n),
            Err(err) => {
                assert_eq!(
                    err.downcast_ref::<Trap>(),
                    Some(&Trap::StackOverflow),
                    "{err:?}"
                );
                assert!(n > 10, "nesting {n} exhausted the stack");
                return n - 1;
            }
        }
    }
    panic!("nesting 1000 deep did not exhaust the stack");
}

fn panics_leave_the_store_as_it_was(tier: Tier) {
    let (mut store, instance) = setup(tier, false);
    let usual_depth = recursion_depth(&mut store, &instance);
    let usual_nesting = nesting_depth(&mut store, &instance);

    panic_repeatedly(&mut store, &instance, "call_boom");
    panic_repeatedly(&mut store, &instance, "call_reenter");

    let add = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 5);
    assert_eq!(recursion_depth(&mut store, &instance), usual_depth);
    assert_eq!(nesting_depth(&mut store, &instance), usual_nesting);
}

/// A panic at the end of a chain of `n` host → wasm → host nestings reaches the embedder with
/// its payload, through every entry and host call of the chain, and leaves the store usable.
fn nested_panics_keep_their_payload(tier: Tier) {
    let (mut store, instance) = setup(tier, false);
    let usual_nesting = nesting_depth(&mut store, &instance);
    let nest_boom = instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "nest_boom")
        .unwrap();
    for n in [0, 1, 2, 5, 20, usual_nesting - 1] {
        for id in [7, 1000 + n as u32] {
            let caught = caught_panic(|| nest_boom.call(&mut store, (n, id as i32)));
            assert_eq!(caught, id, "{tier:?}: nesting {n}");
        }
    }
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 5);
    assert_eq!(nesting_depth(&mut store, &instance), usual_nesting);
    // Errors still come back as errors, not panics.
    let fail = instance
        .get_typed_func::<(), ()>(&mut store, "call_fail")
        .unwrap();
    let err = fail.call(&mut store, ()).unwrap_err();
    assert_eq!(err.to_string(), "the host function failed");
}

#[test]
fn interp_nested_panics_keep_their_payload() {
    nested_panics_keep_their_payload(Tier::Interp);
}

#[test]
fn jit_nested_panics_keep_their_payload() {
    nested_panics_keep_their_payload(Tier::Jit);
}

#[test]
fn interp_store_is_unchanged_by_caught_host_panics() {
    panics_leave_the_store_as_it_was(Tier::Interp);
}

#[test]
fn jit_store_is_unchanged_by_caught_host_panics() {
    panics_leave_the_store_as_it_was(Tier::Jit);
}

/// A panicking host call uses the fuel of the same call failing with an error: one unit per
/// function entered, handed back from compiled code however the call ended.
fn panics_use_the_fuel_of_errors(tier: Tier) {
    let (mut store, instance) = setup(tier, true);
    let start = store.get_fuel().unwrap();
    let fail = instance
        .get_typed_func::<(), ()>(&mut store, "call_fail")
        .unwrap();
    assert!(fail.call(&mut store, ()).is_err());
    let per_error = start - store.get_fuel().unwrap();
    assert_eq!(per_error, 1, "one function entered");

    let before = store.get_fuel().unwrap();
    panic_repeatedly(&mut store, &instance, "call_boom");
    assert_eq!(
        before - store.get_fuel().unwrap(),
        per_error * PANICS as u64
    );

    // call_reenter, then call_boom: two functions entered per call.
    let before = store.get_fuel().unwrap();
    panic_repeatedly(&mut store, &instance, "call_reenter");
    assert_eq!(before - store.get_fuel().unwrap(), 2 * PANICS as u64);

    // Fuel still runs out where it should.
    store.set_fuel(10).unwrap();
    let err = instance
        .get_typed_func::<(), ()>(&mut store, "deep")
        .unwrap()
        .call(&mut store, ())
        .unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::OutOfFuel),
        "{err:?}"
    );
}

#[test]
fn interp_fuel_is_counted_through_caught_host_panics() {
    panics_use_the_fuel_of_errors(Tier::Interp);
}

#[test]
fn jit_fuel_is_counted_through_caught_host_panics() {
    panics_use_the_fuel_of_errors(Tier::Jit);
}

/// A resource limiter that panics: host code too, whose panic reaches the embedder the same way.
struct PanickyLimiter;

impl wexe::ResourceLimiter for PanickyLimiter {
    /// Allows the first page (instantiation), panics at every growth past it.
    fn memory_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> anyhow::Result<bool> {
        if desired > 1 << 16 {
            std::panic::panic_any(HostPanic(desired as u32));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> anyhow::Result<bool> {
        Ok(true)
    }
}

/// `memory.grow` asks a limiter that panics: the panic reaches the embedder with its payload
/// (the JIT must not unwind through compiled frames, the interpreter does not either), and the
/// store still runs code.
fn limiter_panics_reach_the_embedder(tier: Tier) {
    quiet_host_panics();
    let mut config = Config::new();
    config.tier(tier);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (memory 1)
             (func (export "grow") (result i32) (memory.grow (i32.const 1)))
             (func (export "size") (result i32) (memory.size)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, PanickyLimiter);
    store.limiter(|l| l as &mut dyn wexe::ResourceLimiter);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let grow = instance
        .get_typed_func::<(), i32>(&mut store, "grow")
        .unwrap();
    let size = instance
        .get_typed_func::<(), i32>(&mut store, "size")
        .unwrap();
    for _ in 0..100 {
        assert_eq!(
            caught_panic(|| grow.call(&mut store, ())),
            2 << 16,
            "{tier:?}"
        );
    }
    assert_eq!(size.call(&mut store, ()).unwrap(), 1, "{tier:?}");
}

#[test]
fn interp_limiter_panics_reach_the_embedder() {
    limiter_panics_reach_the_embedder(Tier::Interp);
}

#[test]
fn jit_limiter_panics_reach_the_embedder() {
    limiter_panics_reach_the_embedder(Tier::Jit);
}
