//! The embedding API end to end: modules, linking, host functions, typed and dynamic calls,
//! memories, tables, globals, extern references, traps and their backtraces, and limits.

use wexe::{
    Caller, Config, Engine, ExternRef, Func, FuncType, Global, GlobalType, Instance, Linker,
    Memory, MemoryType, Module, Mutability, Store, Table, TableType, Tier, Trap, Val, ValType,
    WasmBacktrace,
};

fn instantiate(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

fn trap_of(err: &anyhow::Error) -> Trap {
    *err.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a trap: {err:?}"))
}

const RECURSION: &str = r#"
    (module
      (func $down (export "down") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 0))
          (else (i64.add (i64.const 1) (call $down (i64.sub (local.get 0) (i64.const 1)))))))
      (func $forever (export "forever") (call $forever)))
"#;

#[test]
fn unbounded_recursion_traps_with_stack_exhausted() {
    let (mut store, instance) = instantiate(RECURSION);
    let f = instance
        .get_typed_func::<(), ()>(&mut store, "forever")
        .unwrap();
    let err = f.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_of(&err), Trap::StackOverflow);
    assert_eq!(Trap::StackOverflow.message(), "call stack exhausted");
    // The store stays usable after the trap.
    let down = instance
        .get_typed_func::<i64, i64>(&mut store, "down")
        .unwrap();
    assert_eq!(down.call(&mut store, 10).unwrap(), 10);
}

#[test]
fn a_million_calls_deep_on_a_default_thread() {
    // Spawned threads get the default 2 MiB native stack; the interpreter's wasm frames do not
    // use it. (Machine code's frames do: under the JIT and tier-up, whose hot functions are
    // compiled, recursion this deep needs a larger thread stack, as in wasmtime.)
    let result = std::thread::spawn(|| {
        let mut config = Config::new();
        config.tier(Tier::Interp);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, RECURSION).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let down = instance
            .get_typed_func::<i64, i64>(&mut store, "down")
            .unwrap();
        down.call(&mut store, 1_000_000).unwrap()
    })
    .join()
    .expect("no host stack overflow");
    assert_eq!(result, 1_000_000);
}

#[test]
fn call_depth_limit_is_configurable() {
    let mut config = Config::new();
    config.max_call_depth(1000);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, RECURSION).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let down = instance
        .get_typed_func::<i64, i64>(&mut store, "down")
        .unwrap();
    assert_eq!(down.call(&mut store, 900).unwrap(), 900);
    assert_eq!(
        trap_of(&down.call(&mut store, 1100).unwrap_err()),
        Trap::StackOverflow
    );
}

#[test]
fn traps_carry_their_kind_and_a_named_backtrace() {
    let (mut store, instance) = instantiate(
        r#"(module $calc
             (func $divide (export "divide") (param i32 i32) (result i32)
               (i32.div_s (local.get 0) (local.get 1)))
             (func $outer (export "outer") (param i32) (result i32)
               (call $divide (i32.const 1) (local.get 0))))"#,
    );
    let outer = instance
        .get_typed_func::<i32, i32>(&mut store, "outer")
        .unwrap();
    assert_eq!(outer.call(&mut store, 1).unwrap(), 1);
    let err = outer.call(&mut store, 0).unwrap_err();
    assert_eq!(trap_of(&err), Trap::IntegerDivisionByZero);
    let bt = err
        .downcast_ref::<WasmBacktrace>()
        .expect("backtrace attached");
    let names: Vec<_> = bt
        .frames
        .iter()
        .map(|f| f.func_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["divide", "outer"]);
    let text = format!("{err:?}");
    assert!(text.contains("calc!divide"), "{text}");
    assert!(text.contains("integer divide by zero"), "{text}");
    assert!(bt.frames[0].module_offset.is_some());
}

#[test]
fn every_trap_kind() {
    let (mut store, instance) = instantiate(
        r#"(module
             (type $t (func))
             (table 2 funcref)
             (elem (i32.const 1) $f)
             (memory 1)
             (func $f (param i32))
             (func (export "unreachable") unreachable)
             (func (export "oob") (drop (i32.load (i32.const 65535))))
             (func (export "overflow") (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))))
             (func (export "nan") (drop (i32.trunc_f32_s (f32.const nan))))
             (func (export "undefined") (call_indirect (type $t) (i32.const 5)))
             (func (export "null") (call_indirect (type $t) (i32.const 0)))
             (func (export "mismatch") (call_indirect (type $t) (i32.const 1))))"#,
    );
    for (name, want) in [
        ("unreachable", Trap::Unreachable),
        ("oob", Trap::MemoryOutOfBounds),
        ("overflow", Trap::IntegerOverflow),
        ("nan", Trap::BadConversionToInteger),
        ("undefined", Trap::UndefinedElement),
        ("null", Trap::UninitializedElement),
        ("mismatch", Trap::IndirectCallTypeMismatch),
    ] {
        let f = instance.get_func(&mut store, name).unwrap();
        let err = f.call(&mut store, &[], &mut []).unwrap_err();
        assert_eq!(trap_of(&err), want, "{name}");
    }
}

#[test]
fn host_errors_propagate_unchanged_and_host_can_reenter() {
    #[derive(Debug)]
    struct Exit(i32);
    impl std::fmt::Display for Exit {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "exit {}", self.0)
        }
    }
    impl std::error::Error for Exit {}

    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "exit" (func $exit (param i32)))
             (import "host" "twice" (func $twice (param i32) (result i32)))
             (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
             (func (export "run") (param i32) (result i32)
               (if (i32.eqz (local.get 0)) (then (call $exit (i32.const 7))))
               (call $twice (local.get 0))))"#,
    )
    .unwrap();
    let mut linker = Linker::<Option<Func>>::new(&engine);
    linker
        .func_wrap("host", "exit", |code: i32| -> anyhow::Result<()> {
            Err(Exit(code).into())
        })
        .unwrap();
    linker
        .func_wrap(
            "host",
            "twice",
            |mut caller: Caller<'_, Option<Func>>, x: i32| -> anyhow::Result<i32> {
                // Calls back into the guest's `inc` twice.
                let inc = caller.data().expect("set after instantiation");
                let mut r = [Val::I32(0)];
                inc.call(&mut caller, &[Val::I32(x)], &mut r)?;
                inc.call(&mut caller, &[r[0]], &mut r)?;
                Ok(r[0].i32().unwrap())
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, None);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = instance.get_func(&mut store, "inc");
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, 40).unwrap(), 42);
    let err = run.call(&mut store, 0).unwrap_err();
    assert_eq!(err.downcast_ref::<Exit>().map(|e| e.0), Some(7));
}

#[test]
fn memory_api_and_growth_limits() {
    let mut config = Config::new();
    config.max_memory_size(4 * 65536);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (memory (export "mem") 1 10)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let mem = instance.get_memory(&mut store, "mem").unwrap();
    mem.write(&mut store, 100, b"wexe").unwrap();
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    assert_eq!(load.call(&mut store, 101).unwrap(), b'e' as i32);
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(mem.size(&store), 3);
    // The engine's limit (4 pages) is below the declared maximum (10).
    assert_eq!(grow.call(&mut store, 2).unwrap(), -1);
    assert_eq!(mem.grow(&mut store, 1).unwrap(), 3);
    assert!(mem.grow(&mut store, 1).is_err());
    let mut buf = [0; 4];
    assert!(mem.read(&store, 4 * 65536 - 2, &mut buf).is_err());
    mem.read(&store, 100, &mut buf).unwrap();
    assert_eq!(&buf, b"wexe");
    assert_eq!(mem.data(&store).len(), 4 * 65536);
}

#[test]
fn host_defined_entities_are_importable() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mem = Memory::new(&mut store, MemoryType::new(1, Some(2))).unwrap();
    let glob = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Var),
        Val::I32(5),
    )
    .unwrap();
    let table = Table::new(
        &mut store,
        TableType::new(ValType::FUNCREF, 2, None),
        Val::FuncRef(None),
    )
    .unwrap();
    let double = Func::wrap(&mut store, |x: i32| x * 2);
    table
        .set(&mut store, 1, Val::FuncRef(Some(double)))
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "mem" (memory 1))
             (import "env" "g" (global $g (mut i32)))
             (import "env" "t" (table 2 funcref))
             (type $unary (func (param i32) (result i32)))
             (func (export "run") (result i32)
               (i32.store (i32.const 8) (i32.const 99))
               (global.set $g (i32.add (global.get $g) (i32.const 1)))
               (call_indirect (type $unary) (global.get $g) (i32.const 1))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "mem", mem).unwrap();
    linker.define(&store, "env", "g", glob).unwrap();
    linker.define(&store, "env", "t", table).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 12);
    assert_eq!(glob.get(&store).i32(), Some(6));
    assert_eq!(&mem.data(&store)[8..12], &99i32.to_le_bytes());
    assert!(matches!(table.get(&store, 0), Some(Val::FuncRef(None))));
    assert!(table.get(&store, 2).is_none());
}

#[test]
fn externrefs_round_trip_through_wasm() {
    let (mut store, instance) = instantiate(
        r#"(module (table $t (export "t") 4 externref)
             (func (export "keep") (param externref) (table.set $t (i32.const 2) (local.get 0)))
             (func (export "fetch") (result externref) (table.get $t (i32.const 2))))"#,
    );
    let r = ExternRef::new(&mut store, String::from("host value"));
    let keep = instance.get_func(&mut store, "keep").unwrap();
    keep.call(&mut store, &[Val::ExternRef(Some(r))], &mut [])
        .unwrap();
    let mut out = [Val::ExternRef(None)];
    instance
        .get_func(&mut store, "fetch")
        .unwrap()
        .call(&mut store, &[], &mut out)
        .unwrap();
    let Val::ExternRef(Some(back)) = out[0] else {
        panic!("expected a reference")
    };
    assert_eq!(
        back.data(&store).downcast_ref::<String>().unwrap(),
        "host value"
    );
}

#[test]
fn multi_value_and_dynamic_calls_check_types() {
    let (mut store, instance) = instantiate(
        r#"(module (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0)))"#,
    );
    let swap = instance
        .get_typed_func::<(i64, f64), (f64, i64)>(&mut store, "swap")
        .unwrap();
    assert_eq!(swap.call(&mut store, (3, 1.5)).unwrap(), (1.5, 3));
    assert!(
        instance
            .get_typed_func::<(i32, f64), (f64, i64)>(&mut store, "swap")
            .is_err()
    );
    let f = instance.get_func(&mut store, "swap").unwrap();
    assert_eq!(
        f.ty(&store),
        FuncType::new([ValType::I64, ValType::F64], [ValType::F64, ValType::I64])
    );
    let mut out = [Val::I32(0), Val::I32(0)];
    assert!(
        f.call(&mut store, &[Val::I32(1), Val::F64(0)], &mut out)
            .is_err()
    );
    assert!(f.call(&mut store, &[Val::I64(1)], &mut out).is_err());
    f.call(
        &mut store,
        &[Val::I64(1), Val::F64(2f64.to_bits())],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0].f64(), Some(2.0));
}

#[test]
fn linking_errors_are_clear() {
    let engine = Engine::default();
    let module = Module::new(&engine, r#"(module (import "env" "f" (func (param i32))))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let err = linker
        .instantiate(&mut store, &module)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown import") && err.contains("env::f"),
        "{err}"
    );
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "f", |_: i64| {}).unwrap();
    let err = linker
        .instantiate(&mut store, &module)
        .unwrap_err()
        .to_string();
    assert!(err.contains("incompatible import type"), "{err}");
    assert!(
        linker.func_wrap("env", "f", |_: i32| {}).is_err(),
        "no silent shadowing"
    );
}

#[test]
fn bad_modules_are_errors_with_offsets() {
    let engine = Engine::default();
    for bytes in [
        &b"\0asm\x01\0\0\0\x01\x05"[..],
        b"\0asm\x02\0\0\0",
        b"garbage",
        b"\0asm\x01\0\0\0\x0a\x04\x01\x02\0\x0b",
    ] {
        let err = Module::new(&engine, bytes).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    let err = Module::new(&engine, b"\0asm\x01\0\0\0\x01\x05")
        .unwrap_err()
        .to_string();
    assert!(err.contains("offset"), "{err}");
    let memory_export =
        Module::new(&engine, "(module (memory 1) (export \"m\" (memory 0)))").unwrap();
    assert_eq!(memory_export.exports().next().unwrap().name(), "m");
}

#[test]
fn foreign_store_imports_and_text_errors_are_errors_not_panics() {
    let engine = Engine::default();
    let mut other = Store::new(&engine, ());
    let foreign = Func::wrap(&mut other, |x: i32| x);
    let module = Module::new(
        &engine,
        r#"(module (import "m" "f" (func (param i32) (result i32))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let err = Instance::new(&mut store, &module, &[foreign.into()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("another store"), "{err}");

    let dir = std::env::temp_dir().join(format!("wexe-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.wat");
    std::fs::write(&path, "(module\n  (func (result i32) (i32.const)))").unwrap();
    let err = format!("{:#}", Module::from_file(&engine, &path).unwrap_err());
    assert!(err.contains("broken.wat:2:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

const SPIN: &str = r#"
    (module
      (func (export "count") (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1))
      (func (export "forever") (loop $l (br $l))))
"#;

#[test]
fn fuel_bounds_execution_deterministically() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    // One unit for the call and one per loop iteration.
    store.set_fuel(101).unwrap();
    assert_eq!(count.call(&mut store, 100).unwrap(), 100);
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(50).unwrap();
    assert_eq!(
        trap_of(&count.call(&mut store, 100).unwrap_err()),
        Trap::OutOfFuel
    );
    let forever = instance
        .get_typed_func::<(), ()>(&mut store, "forever")
        .unwrap();
    store.set_fuel(1000).unwrap();
    assert_eq!(
        trap_of(&forever.call(&mut store, ()).unwrap_err()),
        Trap::OutOfFuel
    );
    // Without fuel enabled the API says so.
    let (store, _) = instantiate(SPIN);
    assert!(store.get_fuel().is_err());
}

#[test]
fn an_infinite_loop_is_interrupted_from_another_thread() {
    let mut config = Config::new();
    config.interruptible(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let handle = store.interrupt_handle().unwrap();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        handle.interrupt();
    });
    let forever = instance
        .get_typed_func::<(), ()>(&mut store, "forever")
        .unwrap();
    assert_eq!(
        trap_of(&forever.call(&mut store, ()).unwrap_err()),
        Trap::Interrupt
    );
    timer.join().unwrap();
    store.interrupt_handle().unwrap().reset();
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 10).unwrap(), 10);
}

/// `V128` through typed calls and a wrapped host function, in both tiers.
#[test]
fn v128_values_cross_typed_calls_and_host_functions_in_both_tiers() {
    for tier in [wexe::Tier::Interp, wexe::Tier::Jit] {
        let mut config = Config::new();
        config.tier(tier);
        let engine = Engine::new(&config).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("host", "mul16", |a: wexe::V128, b: wexe::V128| {
                let (a, b) = (a.to_i16x8(), b.to_i16x8());
                wexe::V128::from_i16x8(std::array::from_fn(|i| a[i].wrapping_mul(b[i])))
            })
            .unwrap();
        let wat = r#"(module
          (import "host" "mul16" (func $mul16 (param v128 v128) (result v128)))
          (func (export "f") (param v128 f64) (result v128 f64)
            (call $mul16 (local.get 0) (i16x8.splat (i32.const 3)))
            (f64x2.extract_lane 1 (f64x2.splat (local.get 1)))))"#;
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let f = instance
            .get_typed_func::<(wexe::V128, f64), (wexe::V128, f64)>(&mut store, "f")
            .unwrap();
        let input = wexe::V128::from_i16x8([1, -2, 3, 4, 5, 6, 7, i16::MAX]);
        let (v, x) = f.call(&mut store, (input, 2.5)).unwrap();
        assert_eq!(v.to_i16x8(), [3, -6, 9, 12, 15, 18, 21, 32765], "{tier:?}");
        assert_eq!(x, 2.5, "{tier:?}");
    }
}

/// `Caller::exported_memory` is the calling instance's export named `memory` when it is a
/// memory (found at instantiation), in both tiers; `None` otherwise.
#[test]
fn callers_see_the_exported_memory() {
    for tier in [Tier::Interp, Tier::Jit] {
        let mut config = Config::new();
        config.tier(tier);
        let engine = Engine::new(&config).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("host", "peek", |caller: Caller<'_, ()>, at: i32| -> i32 {
                match caller.exported_memory() {
                    Some(m) => m.data(&caller)[at as usize] as i32,
                    None => -1,
                }
            })
            .unwrap();
        let peek = |body: &str| {
            let wat = format!(
                r#"(module (import "host" "peek" (func $peek (param i32) (result i32)))
                     {body}
                     (func (export "run") (result i32) (call $peek (i32.const 3))))"#
            );
            let module = Module::new(&engine, wat).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let run = instance
                .get_typed_func::<(), i32>(&mut store, "run")
                .unwrap();
            run.call(&mut store, ()).unwrap()
        };
        let with = r#"(memory (export "memory") 1) (data (i32.const 0) "abcd")"#;
        assert_eq!(peek(with), 'd' as i32, "{tier:?}");
        let elsewhere = r#"(memory (export "mem") 1) (data (i32.const 0) "abcd")"#;
        assert_eq!(peek(elsewhere), -1, "{tier:?}");
        let not_a_memory = r#"(global (export "memory") i32 (i32.const 0))"#;
        assert_eq!(peek(not_a_memory), -1, "{tier:?}");
    }
}
