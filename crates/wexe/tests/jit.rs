//! The JIT tier through the public API: results, traps with backtraces, stack exhaustion, host
//! calls in both directions, memories and tables shared with the host, many results.

use wexe::{
    Caller, Config, Engine, Extern, Func, FuncType, Linker, Module, Store, Table, TableType, Tier,
    Trap, Val, ValType, WasmBacktrace,
};

fn engine() -> Engine {
    let mut config = Config::new();
    config.tier(Tier::Jit);
    Engine::new(&config).expect("the JIT is available on this machine")
}

fn instance(store: &mut Store<Vec<i32>>, wat: &str) -> wexe::Instance {
    let module = Module::new(store.engine(), wat).unwrap();
    let mut linker = Linker::new(store.engine());
    linker
        .func_wrap("host", "log", |mut c: Caller<'_, Vec<i32>>, x: i32| {
            c.data_mut().push(x)
        })
        .unwrap();
    linker
        .func_wrap("host", "fail", |_: i32| -> anyhow::Result<i32> {
            anyhow::bail!("the host says no")
        })
        .unwrap();
    linker.instantiate(&mut *store, &module).unwrap()
}

#[test]
fn computes_like_the_interpreter() {
    let wat = r#"(module
      (func $fib (export "fib") (param i64) (result i64)
        (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
          (then (local.get 0))
          (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                         (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
      (func (export "mix") (param f64 i32) (result f64)
        (f64.add (local.get 0) (f64.convert_i32_s (local.get 1)))))"#;
    for tier in [Tier::Interp, Tier::Jit] {
        let mut config = Config::new();
        config.tier(tier);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let fib = inst.get_typed_func::<i64, i64>(&mut store, "fib").unwrap();
        assert_eq!(fib.call(&mut store, 20).unwrap(), 6765, "{tier:?}");
        let mix = inst
            .get_typed_func::<(f64, i32), f64>(&mut store, "mix")
            .unwrap();
        assert_eq!(mix.call(&mut store, (0.5, -3)).unwrap(), -2.5, "{tier:?}");
    }
}

#[test]
fn traps_carry_their_kind_and_a_named_backtrace() {
    let mut store = Store::new(&engine(), Vec::new());
    let inst = instance(
        &mut store,
        r#"(module
          (memory 1)
          (func $divide (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func $outer (export "div") (param i32 i32) (result i32)
            (i32.add (i32.const 1) (call $divide (local.get 0) (local.get 1))))
          (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
          (func (export "boom") unreachable))"#,
    );
    let div = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "div")
        .unwrap();
    assert_eq!(div.call(&mut store, (7, 2)).unwrap(), 4);
    let err = div.call(&mut store, (1, 0)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::IntegerDivisionByZero)
    );
    let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
    let names: Vec<_> = bt.frames.iter().map(|f| f.func_name.as_deref()).collect();
    assert_eq!(names, [Some("divide"), Some("outer")]);
    assert!(bt.frames.iter().all(|f| f.module_offset.is_some()));
    let err = div.call(&mut store, (i32::MIN, -1)).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::IntegerOverflow));

    let load = inst.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    assert_eq!(load.call(&mut store, 65532).unwrap(), 0);
    let err = load.call(&mut store, 65533).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    let err = load.call(&mut store, -1).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));

    let trunc = inst
        .get_typed_func::<f32, i32>(&mut store, "trunc")
        .unwrap();
    let err = trunc.call(&mut store, f32::NAN).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::BadConversionToInteger)
    );
    let boom = inst.get_typed_func::<(), ()>(&mut store, "boom").unwrap();
    let err = boom.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
    // The store still works after all those traps.
    assert_eq!(div.call(&mut store, (9, 3)).unwrap(), 4);
}

#[test]
fn deep_recursion_traps_as_stack_exhaustion() {
    let mut store = Store::new(&engine(), Vec::new());
    let inst = instance(
        &mut store,
        r#"(module
          (func $down (export "down") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let down = inst.get_typed_func::<i32, i32>(&mut store, "down").unwrap();
    assert_eq!(down.call(&mut store, 1000).unwrap(), 1000);
    let err = down.call(&mut store, i32::MAX).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow));
    let bt = err.downcast_ref::<WasmBacktrace>().unwrap();
    assert!(bt.omitted > 0, "a deep stack is summarised");
    assert_eq!(down.call(&mut store, 10).unwrap(), 10);
}

#[test]
fn host_functions_are_called_and_their_errors_come_back() {
    let mut store = Store::new(&engine(), Vec::new());
    let inst = instance(
        &mut store,
        r#"(module
          (import "host" "log" (func $log (param i32)))
          (import "host" "fail" (func $fail (param i32) (result i32)))
          (func (export "run") (call $log (i32.const 7)) (call $log (i32.const 8)))
          (func (export "fail") (result i32) (call $fail (i32.const 1))))"#,
    );
    inst.get_typed_func::<(), ()>(&mut store, "run")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    assert_eq!(store.data(), &[7, 8]);
    let fail = inst.get_typed_func::<(), i32>(&mut store, "fail").unwrap();
    let err = fail.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("the host says no"), "{err:#}");
}

#[test]
fn host_panics_propagate_through_compiled_code() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module (import "h" "p" (func $p)) (func (export "run") (call $p)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("h", "p", || -> () { panic!("host panic") })
        .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let run = inst.get_typed_func::<(), ()>(&mut store, "run").unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.call(&mut store, ())));
    assert!(r.is_err());
}

#[test]
fn host_and_wasm_call_each_other_recursively() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
          (import "h" "again" (func $again (param i32) (result i32)))
          (func (export "count") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 100))
              (else (i32.add (i32.const 1) (call $again (i32.sub (local.get 0) (i32.const 1))))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, None::<Func>);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("h", "again", |mut c: Caller<'_, Option<Func>>, n: i32| {
            let f = c.data().unwrap();
            let mut out = [Val::I32(0)];
            f.call(&mut c, &[Val::I32(n)], &mut out).unwrap();
            out[0].i32().unwrap()
        })
        .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let count = inst.get_func(&mut store, "count").unwrap();
    *store.data_mut() = Some(count);
    let typed = count.typed::<i32, i32>(&store).unwrap();
    assert_eq!(typed.call(&mut store, 5).unwrap(), 105);
}

#[test]
fn memory_and_tables_are_shared_with_the_host() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
          (memory (export "mem") 1 4)
          (table (export "tab") 2 funcref)
          (type $t (func (param i32) (result i32)))
          (func (export "grow") (result i32) (memory.grow (i32.const 1)))
          (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "call") (param i32 i32) (result i32)
            (call_indirect (type $t) (local.get 1) (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let mem = inst.get_memory(&mut store, "mem").unwrap();
    let grow = inst.get_typed_func::<(), i32>(&mut store, "grow").unwrap();
    let peek = inst.get_typed_func::<i32, i32>(&mut store, "peek").unwrap();
    let poke = inst
        .get_typed_func::<(i32, i32), ()>(&mut store, "poke")
        .unwrap();
    assert_eq!(grow.call(&mut store, ()).unwrap(), 1);
    assert_eq!(mem.size(&store), 2);
    mem.data_mut(&mut store)[70000] = 42;
    assert_eq!(peek.call(&mut store, 70000).unwrap(), 42);
    poke.call(&mut store, (131071, 9)).unwrap();
    assert_eq!(mem.data(&store)[131071], 9);
    mem.grow(&mut store, 1).unwrap();
    poke.call(&mut store, (196607, 5)).unwrap();
    assert_eq!(mem.data(&store)[196607], 5);

    let tab: Table = inst.get_table(&mut store, "tab").unwrap();
    let double = Func::wrap(&mut store, |x: i32| x * 2);
    tab.set(&mut store, 1, Val::FuncRef(Some(double))).unwrap();
    let call = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "call")
        .unwrap();
    assert_eq!(call.call(&mut store, (1, 21)).unwrap(), 42);
    let err = call.call(&mut store, (0, 1)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::UninitializedElement)
    );
    let err = call.call(&mut store, (2, 1)).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::UndefinedElement));
    let wrong = Func::wrap(&mut store, |x: i64| x);
    tab.set(&mut store, 0, Val::FuncRef(Some(wrong))).unwrap();
    let err = call.call(&mut store, (0, 1)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::IndirectCallTypeMismatch)
    );
    tab.grow(&mut store, 1, Val::FuncRef(Some(double))).unwrap();
    assert_eq!(call.call(&mut store, (2, 4)).unwrap(), 8);
    let other = Table::new(
        &mut store,
        TableType::new(ValType::FUNCREF, 1, None),
        Val::FuncRef(None),
    )
    .unwrap();
    assert!(other.get(&store, 0).is_some());
}

#[test]
fn many_results_round_trip() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
          (func $many (param i64) (result i64 i32 f64 i64 i32 f32 i64 i64 i32)
            (local.get 0) (i32.const 1) (f64.const 2.5) (i64.const 3) (i32.const 4)
            (f32.const 5.5) (i64.const 6) (i64.const 7) (i32.const 8))
          (func (export "sum") (param i64) (result i64)
            (local i64 i32 f64 i64 i32 f32 i64 i64 i32)
            (call $many (local.get 0))
            (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop))
          (export "many" (func $many)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let many = inst.get_func(&mut store, "many").unwrap();
    let ty = many.ty(&store);
    let mut out: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    many.call(&mut store, &[Val::I64(-9)], &mut out).unwrap();
    assert_eq!(out[0].i64(), Some(-9));
    assert_eq!(out[2].f64(), Some(2.5));
    assert_eq!(out[5].f32(), Some(5.5));
    assert_eq!(out[8].i32(), Some(8));
    let sum = inst.get_typed_func::<i64, i64>(&mut store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, 11).unwrap(), 11);
    let _ = (FuncType::new([], []), Extern::Func(many));
}

const ADDER: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))"#;

fn call_add(engine: &Engine, module: &Module) -> i32 {
    let mut store = Store::new(engine, ());
    let inst = Linker::new(engine).instantiate(&mut store, module).unwrap();
    let add = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    add.call(&mut store, (40, 2)).unwrap()
}

#[test]
fn serialized_modules_load_without_compiling() {
    let engine = engine();
    let bytes = Module::new(&engine, ADDER).unwrap().serialize().unwrap();
    // SAFETY: the bytes were serialized just above by this build.
    let module = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
    assert_eq!(call_add(&engine, &module), 42);
    let mut corrupt = bytes.clone();
    corrupt.truncate(bytes.len() - 3);
    // SAFETY: truncated bytes are refused before any code is loaded.
    assert!(unsafe { Module::deserialize(&engine, &corrupt) }.is_err());
    // SAFETY: as above; the interpreter refuses compiled modules, tier-up runs them.
    let mut interp = Config::new();
    interp.tier(Tier::Interp);
    let interp = Engine::new(&interp).unwrap();
    assert!(unsafe { Module::deserialize(&interp, &bytes) }.is_err());
    let mut auto = Config::new();
    auto.tier(Tier::Auto);
    let auto = Engine::new(&auto).unwrap();
    // SAFETY: as above.
    let module = unsafe { Module::deserialize(&auto, &bytes) }.unwrap();
    assert_eq!(call_add(&auto, &module), 42);
    // A flipped bit anywhere (here in the machine code near the end) fails the checksum.
    let mut flipped = bytes.clone();
    let at = bytes.len() - 40;
    flipped[at] ^= 0x10;
    // SAFETY: corrupt bytes are refused before any code is loaded.
    let err = unsafe { Module::deserialize(&engine, &flipped) }
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum"), "{err}");
    // SAFETY: bytes that are not a compiled module are refused.
    assert!(unsafe { Module::deserialize(&engine, b"\0asm\x01\0\0\0") }.is_err());
}

#[test]
fn the_cache_keeps_compiled_modules_between_engines() {
    let dir = std::env::temp_dir().join(format!("wexe-jit-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = Config::new();
    config.tier(Tier::Jit).cache_dir(Some(dir.clone()));
    let first = Engine::new(&config).unwrap();
    assert_eq!(call_add(&first, &Module::new(&first, ADDER).unwrap()), 42);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "one cache entry");
    let second = Engine::new(&config).unwrap();
    assert_eq!(call_add(&second, &Module::new(&second, ADDER).unwrap()), 42);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // A corrupt entry (one byte of its code flipped) or a truncated one is recompiled, not run,
    // and replaced by a good one.
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let good = std::fs::read(&entry).unwrap();
    for bad in [
        {
            let mut b = good.clone();
            let n = b.len();
            b[n - 40] ^= 0xff;
            b
        },
        good[..good.len() / 2].to_vec(),
    ] {
        std::fs::write(&entry, &bad).unwrap();
        let third = Engine::new(&config).unwrap();
        assert_eq!(call_add(&third, &Module::new(&third, ADDER).unwrap()), 42);
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            good,
            "the entry was rewritten"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_instantiation_leaves_the_store_usable() {
    let mut config = Config::new();
    config.tier(Tier::Jit).max_memory_size(1 << 20);
    let engine = Engine::new(&config).unwrap();
    let mut store = Store::new(&engine, ());
    // Its function enters the store before its memory, larger than the limit, fails to be made.
    let bad = r#"(module (func) (func) (func (export "f")) (memory 100))"#;
    let bad = Module::new(&engine, bad).unwrap();
    assert!(Linker::new(&engine).instantiate(&mut store, &bad).is_err());
    let good = Module::new(&engine, ADDER).unwrap();
    let inst = Linker::new(&engine).instantiate(&mut store, &good).unwrap();
    let add = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (1, 2)).unwrap(), 3);
}

const SPIN: &str = r#"(module
  (func (export "count") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "forever") (loop (br 0))))"#;

#[test]
fn fuel_bounds_calls_and_loop_iterations() {
    let mut config = Config::new();
    config.tier(Tier::Jit).consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let count = inst
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    // One unit for the call and one per loop iteration (1001 of them: the last one exits), as
    // in the interpreter.
    for tier_engine in [engine.clone(), {
        let mut c = Config::new();
        c.consume_fuel(true);
        Engine::new(&c).unwrap()
    }] {
        let module = Module::new(&tier_engine, SPIN).unwrap();
        let mut s = Store::new(&tier_engine, ());
        let i = Linker::new(&tier_engine)
            .instantiate(&mut s, &module)
            .unwrap();
        let f = i.get_typed_func::<i32, i32>(&mut s, "count").unwrap();
        s.set_fuel(1002).unwrap();
        assert_eq!(f.call(&mut s, 1000).unwrap(), 1000);
        assert_eq!(s.get_fuel().unwrap(), 0);
        s.set_fuel(1001).unwrap();
        let err = f.call(&mut s, 1000).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
        assert_eq!(s.get_fuel().unwrap(), 0);
    }
    let forever = inst
        .get_typed_func::<(), ()>(&mut store, "forever")
        .unwrap();
    store.set_fuel(10_000).unwrap();
    let err = forever.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
    store.set_fuel(5).unwrap();
    assert_eq!(count.call(&mut store, 3).unwrap(), 3);
    assert_eq!(store.get_fuel().unwrap(), 0);
    let mut plain = Store::new(&self::engine(), ());
    assert!(plain.set_fuel(1).is_err());
}

#[test]
fn fuel_is_shared_with_nested_calls() {
    let mut config = Config::new();
    config.tier(Tier::Jit).consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let wat = r#"(module (import "h" "again" (func $again))
        (func (export "run") (call $again))
        (func (export "count") (param i32) (result i32) (local i32)
          (block (loop
            (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br 0)))
          (local.get 1)))"#;
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, None::<Func>);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "h",
            "again",
            |mut c: Caller<'_, Option<Func>>| -> anyhow::Result<()> {
                let f = c.data().unwrap();
                let mut out = [Val::I32(0)];
                f.call(&mut c, &[Val::I32(10)], &mut out)
            },
        )
        .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = inst.get_func(&mut store, "count");
    let run = inst.get_typed_func::<(), ()>(&mut store, "run").unwrap();
    // One unit for `run`, one for `count` and eleven for its loop.
    store.set_fuel(13).unwrap();
    run.call(&mut store, ()).unwrap();
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(12).unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
}

#[test]
fn interrupt_handles_stop_running_code() {
    let mut config = Config::new();
    config.tier(Tier::Jit).interruptible(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let count = inst
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
    let handle = store.interrupt_handle().unwrap();
    let ticker = {
        let handle = handle.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            handle.interrupt();
        })
    };
    let forever = inst
        .get_typed_func::<(), ()>(&mut store, "forever")
        .unwrap();
    let err = forever.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    ticker.join().unwrap();
    handle.reset();
    assert_eq!(count.call(&mut store, 10).unwrap(), 10);
}
