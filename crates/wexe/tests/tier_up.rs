//! Tier-up (`Tier::Auto`): functions start interpreted and move to machine code once hot; calls
//! cross between the tiers both ways, a long loop moves by on-stack replacement, and traps,
//! backtraces, exceptions, tail calls, fuel and interruption behave as in either tier alone.

use std::time::Duration;

use wexe::{Config, Engine, Instance, Module, Store, Tier, Trap, TypedFunc, WasmBacktrace};

/// An engine of tier-up that compiles a function on the thread that finds it hot, once it has
/// seen `threshold` calls plus loop iterations.
fn engine(threshold: u32, tweak: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    config
        .tier(Tier::Auto)
        .tier_up_threshold(threshold)
        .tier_up_threads(0);
    tweak(&mut config);
    Engine::new(&config).unwrap()
}

fn instance(engine: &Engine, wat: &str) -> (Store<()>, Instance, Module) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance, module)
}

/// How many functions of `module` have machine code, and how many loop (on-stack-replacement)
/// entries.
fn compiled(module: &Module) -> (usize, usize) {
    let (functions, loops, failure) = module.tier_up_status().expect("a module of tier-up");
    assert_eq!(failure, None);
    (functions, loops)
}

const FIB: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $sum (export "sum") (param i32) (result i64) (local i64)
    (loop $l
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))"#;

#[test]
fn hot_functions_move_to_machine_code_and_compute_the_same() {
    let (mut store, instance, module) = instance(&engine(100, |_| {}), FIB);
    let fib: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "fib").unwrap();
    assert_eq!(fib.call(&mut store, 5).unwrap(), 5);
    assert_eq!(
        compiled(&module),
        (0, 0),
        "15 calls are not hot at a threshold of 100"
    );
    assert_eq!(fib.call(&mut store, 25).unwrap(), 75025);
    assert_eq!(compiled(&module), (1, 0));
    assert_eq!(fib.call(&mut store, 30).unwrap(), 832040);
}

#[test]
fn a_long_loop_moves_to_machine_code_while_it_runs() {
    let (mut store, instance, module) = instance(&engine(1000, |_| {}), FIB);
    let sum: TypedFunc<i32, i64> = instance.get_typed_func(&mut store, "sum").unwrap();
    // One call: only on-stack replacement at the loop can move it.
    assert_eq!(sum.call(&mut store, 100_000).unwrap(), 5_000_050_000);
    // Hot once: the function is compiled for the next calls; hot again in the same
    // activation: its loop entry, which the call goes on in.
    assert_eq!(compiled(&module), (1, 1));
    // Ten iterations do not make a new store's run hot, but the code is the module's.
    let mut store2 = Store::new(module.engine(), ());
    let instance2 = Instance::new(&mut store2, &module, &[]).unwrap();
    let sum2: TypedFunc<i32, i64> = instance2.get_typed_func(&mut store2, "sum").unwrap();
    assert_eq!(sum2.call(&mut store2, 10).unwrap(), 55);
}

#[test]
fn on_stack_replacement_keeps_every_kind_of_local() {
    let wat = r#"(module
      (func (export "mix") (param i32) (result i64)
        (local f32 f64 v128 i64)
        (local.set 1 (f32.const 1.5))
        (local.set 2 (f64.const 0.25))
        (local.set 3 (v128.const i32x4 1 2 3 4))
        (loop $l
          (local.set 4 (i64.add (local.get 4)
            (i64.add (i64.trunc_f32_s (local.get 1))
              (i64.add (i64.trunc_f64_s (f64.mul (local.get 2) (f64.const 4)))
                (i64.extend_i32_s (i32x4.extract_lane 3 (local.get 3)))))))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 4)))"#;
    let (mut store, instance, module) = instance(&engine(50, |_| {}), wat);
    let mix: TypedFunc<i32, i64> = instance.get_typed_func(&mut store, "mix").unwrap();
    // Each iteration adds 1 + 1 + 4.
    assert_eq!(mix.call(&mut store, 1000).unwrap(), 6000);
    assert_eq!(compiled(&module), (1, 1));
}

#[test]
fn calls_cross_between_the_tiers_both_ways() {
    // `hot` is compiled early; it calls `cold` (still interpreted) through its vmctx entry,
    // and `cold` calls `leaf` through a table.
    let wat = r#"(module
      (type $t (func (param i32) (result i32)))
      (table 1 funcref)
      (elem (i32.const 0) $leaf)
      (func $leaf (type $t) (i32.mul (local.get 0) (i32.const 3)))
      (func $cold (param i32) (result i32)
        (i32.add (call_indirect (type $t) (local.get 0) (i32.const 0)) (i32.const 1)))
      (func $hot (export "hot") (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (call $cold (local.get 0))))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 1)))"#;
    let (mut store, instance, module) = instance(&engine(20, |_| {}), wat);
    let hot: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "hot").unwrap();
    // sum of 3k + 1 for k = 1..=n.
    let expect = |n: i32| (1..=n).map(|k| 3 * k + 1).sum::<i32>();
    assert_eq!(hot.call(&mut store, 10).unwrap(), expect(10));
    assert_eq!(hot.call(&mut store, 2000).unwrap(), expect(2000));
    let (functions, loops) = compiled(&module);
    assert!(
        functions >= 2 && loops == 1,
        "cold, leaf and hot's loop: {functions}, {loops}"
    );
    assert_eq!(hot.call(&mut store, 2000).unwrap(), expect(2000));
}

#[test]
fn a_trap_in_machine_code_has_the_frames_of_both_tiers() {
    let wat = r#"(module
      (func $boom (param i32) (result i32)
        (if (i32.eq (local.get 0) (i32.const 500)) (then unreachable))
        (local.get 0))
      (func $middle (param i32) (result i32) (call $boom (local.get 0)))
      (func (export "run") (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (call $middle (local.get 0)))
          (br_if $l (local.tee 0 (i32.add (local.get 0) (i32.const 1)))))
        (local.get 1)))"#;
    // `boom` is hot after 10 calls, `middle` too; `run`'s loop after 100 iterations.
    for threshold in [10, 100_000] {
        let (mut store, instance, _module) = instance(&engine(threshold, |_| {}), wat);
        let run: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "run").unwrap();
        let err = run.call(&mut store, 0).unwrap_err();
        assert_eq!(
            err.downcast_ref::<Trap>(),
            Some(&Trap::Unreachable),
            "{err:?}"
        );
        let bt = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
        let funcs: Vec<u32> = bt.frames.iter().map(|f| f.func_index).collect();
        assert_eq!(funcs, [0, 1, 2], "threshold {threshold}: {bt}");
    }
}

#[test]
fn exceptions_cross_between_the_tiers() {
    let wat = r#"(module
      (tag $e (param i32))
      (func $throw (param i32) (result i32)
        (if (i32.eq (local.get 0) (i32.const 300)) (then (throw $e (local.get 0))))
        (local.get 0))
      (func (export "run") (param i32) (result i32) (local i32)
        (block $caught (result i32)
          (try_table (catch $e $caught)
            (loop $l
              (local.set 1 (call $throw (local.get 0)))
              (br_if $l (local.tee 0 (i32.add (local.get 0) (i32.const 1))))))
          (i32.const -1))))"#;
    let (mut store, instance, module) = instance(&engine(10, |_| {}), wat);
    let run: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 0).unwrap(), 300);
    assert!(compiled(&module).1 == 1, "the loop's entry");
    assert_eq!(run.call(&mut store, 0).unwrap(), 300);
}

#[test]
fn a_million_tail_calls_run_in_constant_space_across_tiers() {
    let wat = r#"(module
      (func $even (export "even") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
          (else (return_call $odd (i32.sub (local.get 0) (i32.const 1))))))
      (func $odd (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (return_call $even (i32.sub (local.get 0) (i32.const 1)))))))"#;
    let (mut store, instance, module) = instance(&engine(1000, |_| {}), wat);
    let even: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "even").unwrap();
    assert_eq!(even.call(&mut store, 1_000_000).unwrap(), 1);
    assert_eq!(even.call(&mut store, 1_000_001).unwrap(), 0);
    assert_eq!(compiled(&module), (2, 0));
}

#[test]
fn fuel_runs_out_the_same_whatever_the_tier() {
    let wat = r#"(module
      (func (export "spin") (param i32)
        (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))"#;
    // One unit per loop iteration plus one for the entry, in every tier.
    let mut used = Vec::new();
    for tier in [Tier::Interp, Tier::Jit, Tier::Auto] {
        let mut config = Config::new();
        config
            .tier(tier)
            .consume_fuel(true)
            .tier_up_threshold(100)
            .tier_up_threads(0);
        let engine = Engine::new(&config).unwrap();
        let (mut store, instance, _) = instance(&engine, wat);
        store.set_fuel(10_000).unwrap();
        let spin: TypedFunc<i32, ()> = instance.get_typed_func(&mut store, "spin").unwrap();
        spin.call(&mut store, 5000).unwrap();
        used.push(10_000 - store.get_fuel().unwrap());
        let err = spin.call(&mut store, 1_000_000).unwrap_err();
        assert_eq!(
            err.downcast_ref::<Trap>(),
            Some(&Trap::OutOfFuel),
            "{tier:?}"
        );
    }
    assert!(
        used.iter().all(|&u| u == used[0]),
        "fuel used per tier: {used:?}"
    );
}

#[test]
fn a_loop_moved_to_machine_code_is_interrupted() {
    let wat = r#"(module (func (export "forever") (loop $l (br $l))))"#;
    let mut config = Config::new();
    config
        .tier(Tier::Auto)
        .interruptible(true)
        .tier_up_threshold(1000);
    let engine = Engine::new(&config).unwrap();
    let (mut store, instance, module) = instance(&engine, wat);
    let handle = store.interrupt_handle().unwrap();
    let forever: TypedFunc<(), ()> = instance.get_typed_func(&mut store, "forever").unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        handle.interrupt();
    });
    let err = forever.call(&mut store, ()).unwrap_err();
    t.join().unwrap();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::Interrupt),
        "{err:?}"
    );
    // With background compilation (the default) the loop's entry was ready long before the
    // interruption, unless this machine has one core (then nothing is compiled).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores > 1 {
        assert_eq!(compiled(&module).1, 1);
    } else {
        assert_eq!(compiled(&module), (0, 0));
    }
}

#[test]
fn the_cache_learns_the_hot_functions_for_the_next_run() {
    let dir = std::env::temp_dir().join(format!("wexe-tier-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let engine = engine(100, |c| {
        c.cache_dir(Some(dir.clone()));
    });
    let wasm = wat::parse_str(FIB).unwrap();
    {
        let (mut store, instance, module) = instance(&engine, FIB);
        assert_eq!(compiled(&module), (0, 0));
        let fib: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "fib").unwrap();
        assert_eq!(fib.call(&mut store, 20).unwrap(), 6765);
        assert_eq!(compiled(&module), (1, 0));
    }
    // The module was dropped: its hot function is on disk, sealed.
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let module = Module::new(&engine, &wasm).unwrap();
    assert_eq!(compiled(&module), (1, 0), "compiled before the first call");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let fib: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "fib").unwrap();
    assert_eq!(fib.call(&mut store, 20).unwrap(), 6765);
    // A damaged entry is not run: the function is interpreted and compiled again.
    drop((fib, instance, store, module));
    let mut bytes = std::fs::read(&entries[0]).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&entries[0], &bytes).unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    assert_eq!(compiled(&module), (0, 0));
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let fib: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "fib").unwrap();
    assert_eq!(fib.call(&mut store, 20).unwrap(), 6765);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recursion_alternating_between_the_tiers_ends_in_a_trap_not_a_crash() {
    // `$a` is small and compiled after 50 calls; `$b`'s body is padded with a megabyte of
    // `nop`s, so its starting heat (which grows with its size) keeps it interpreted for the
    // first 25,000 calls or so. Every level of the recursion below then crosses between the
    // tiers, each crossing on the native stack, and unbounded recursion must end in the
    // stack-exhaustion trap (not a crash), on this test thread's small stack too.
    let padding = "nop ".repeat(1 << 20);
    let wat = format!(
        r#"(module
          (func $a (export "a") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (i32.add (call $b (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
          (func $b (param i32) (result i32)
            {padding}
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (i32.add (call $a (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))"#
    );
    let (mut store, instance, module) = instance(&engine(50, |_| {}), &wat);
    let a: TypedFunc<i32, i32> = instance.get_typed_func(&mut store, "a").unwrap();
    for _ in 0..30 {
        assert_eq!(a.call(&mut store, 2).unwrap(), 2);
    }
    assert_eq!(compiled(&module).0, 1, "only $a is compiled");
    // Each crossing takes about a kilobyte of native stack in a debug build: 500 levels fit
    // in the test thread's 2 MiB with room to spare, and 1,000 did not.
    let depth = 500;
    assert_eq!(a.call(&mut store, depth).unwrap(), depth, "before");
    let err = a.call(&mut store, i32::MAX).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::StackOverflow),
        "{err:?}"
    );
    // The store is still usable, and the recursion within bounds still computes.
    assert_eq!(a.call(&mut store, depth).unwrap(), depth, "after");
}

/// `nest(n, m)`: the sum of `i * j` over `i < n`, `j < m`, in a loop nest whose inner loop
/// gets hot first.
const NEST: &str = r#"(module
  (func (export "nest") (param $n i32) (param $m i32) (result i64)
    (local $i i32) (local $j i32) (local $s i64)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $s (i64.add (local.get $s)
          (i64.mul (i64.extend_i32_u (local.get $i)) (i64.extend_i32_u (local.get $j)))))
        (br_if $inner (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                                (local.get $m))))
      (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
    (local.get $s)))"#;

#[test]
fn a_hot_inner_loop_moves_at_its_outermost_loop_unless_that_never_comes_round() {
    let sum = |n: u64, m: u64| (n * (n - 1) / 2) * (m * (m - 1) / 2);
    // The inner loop is hot within the outer loop's first iteration; the move waits for the
    // outer loop's header, entered by the entry of outermost loops only.
    let (mut store, inst, module) = instance(&engine(100, |_| {}), NEST);
    let nest: TypedFunc<(i32, i32), i64> = inst.get_typed_func(&mut store, "nest").unwrap();
    assert_eq!(
        nest.call(&mut store, (300, 300)).unwrap(),
        sum(300, 300) as i64
    );
    assert_eq!(compiled(&module), (1, 1));
    assert_eq!(module.tier_up_outermost_entries(), Some(1));
    // One outer iteration of two million inner ones: past its patience (102,400 iterations at
    // a threshold of 100), the inner loop takes the entry of any loop.
    let (mut store, inst, module) = instance(&engine(100, |_| {}), NEST);
    let nest: TypedFunc<(i32, i32), i64> = inst.get_typed_func(&mut store, "nest").unwrap();
    assert_eq!(
        nest.call(&mut store, (2, 2_000_000)).unwrap(),
        sum(2, 2_000_000) as i64
    );
    assert_eq!(compiled(&module), (1, 2), "both entries");
    assert_eq!(module.tier_up_outermost_entries(), Some(1));
}

/// `Config::tier_up_draw` (the differential test's mode): of 32 functions, each called in a
/// chain and each with a long loop, some are compiled and the others stay interpreted, loops
/// included; the results are those of the interpreter.
#[test]
fn drawn_tiers_split_the_functions_and_compute_the_same() {
    // $f0 calls $f1 ... calls $f31; each adds its loop's sum to what its callee returns.
    let mut wat = String::from("(module\n");
    for i in 0..32 {
        let callee = if i < 31 {
            format!("(call $f{} (local.get 0))", i + 1)
        } else {
            "(i64.const 0)".into()
        };
        wat.push_str(&format!(
            r#"  (func $f{i} (param i32) (result i64) (local i32 i64)
    (local.set 1 (local.get 0))
    (loop $l
      (local.set 2 (i64.add (local.get 2) (i64.extend_i32_u (i32.add (local.get 1) (i32.const {i})))))
      (br_if $l (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))
    (i64.add (local.get 2) {callee}))
"#
        ));
    }
    wat.push_str("  (export \"f0\" (func $f0)))");
    let expected: i64 = (0..32i64)
        .map(|i| (1..=2000i64).map(|k| k + i).sum::<i64>())
        .sum();
    let drawn = engine(10, |c| {
        c.tier_up_draw(Some(0x7135_d4a3));
    });
    let (mut store, inst, module) = instance(&drawn, &wat);
    let f0: TypedFunc<i32, i64> = inst.get_typed_func(&mut store, "f0").unwrap();
    for _ in 0..20 {
        assert_eq!(f0.call(&mut store, 2000).unwrap(), expected);
    }
    let (functions, loops) = compiled(&module);
    assert!(
        functions > 0 && functions < 32,
        "{functions} functions compiled"
    );
    // Every function's loop was hot; only those drawn for machine code got a loop entry.
    assert!(
        loops <= functions,
        "{loops} loop entries, {functions} functions"
    );
    // Without the draw, every function is compiled.
    let (mut store, inst, module) = instance(&engine(10, |_| {}), &wat);
    let f0: TypedFunc<i32, i64> = inst.get_typed_func(&mut store, "f0").unwrap();
    assert_eq!(f0.call(&mut store, 2000).unwrap(), expected);
    assert_eq!(f0.call(&mut store, 2000).unwrap(), expected);
    assert_eq!(compiled(&module).0, 32);
}
