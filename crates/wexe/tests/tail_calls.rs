//! Tail calls in both tiers: a million-deep mutual recursion through `return_call`,
//! `return_call_indirect` and `return_call_ref` finishes in constant stack space (and the same
//! recursion through `call` exhausts the stack, so the test can fail); a tail call into a host
//! function returns its results to the caller's caller; `return_call_indirect` checks the
//! callee's type; a backtrace after tail calls lists the frames that are still there.

use wexe::{Config, Engine, Func, Instance, Linker, Module, Store, Tier, Trap, WasmBacktrace};

const TIERS: [Tier; 2] = [Tier::Interp, Tier::Jit];

/// `$even`/`$odd` calling each other with the operator `CALL` (and its extra immediates);
/// `even N` is 1 when N is even.
fn even_odd(call_even: &str, call_odd: &str) -> String {
    format!(
        r#"(module
  (type $t (func (param i64) (result i32)))
  (table $tab funcref (elem $even $odd))
  (elem declare func $even $odd)
  (func $even (export "even") (type $t)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else {call_odd})))
  (func $odd (type $t)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else {call_even}))))"#
    )
}

fn operands(callee: &str, index: i32) -> [String; 3] {
    let arg = "(i64.sub (local.get 0) (i64.const 1))";
    [
        format!("(return_call {callee} {arg})"),
        format!("(return_call_indirect $tab (type $t) {arg} (i32.const {index}))"),
        format!("(return_call_ref $t {arg} (ref.func {callee}))"),
    ]
}

/// An engine whose stack holds far fewer than [`DEEP`] frames (the defaults hold a million
/// small interpreter frames), so only a recursion in constant space gets that deep.
fn engine(tier: Tier) -> Engine {
    let mut config = Config::new();
    config
        .tier(tier)
        .max_call_depth(100_000)
        .max_wasm_stack(1 << 20);
    Engine::new(&config).unwrap()
}

fn run_even(tier: Tier, wat: &str, n: i64) -> anyhow::Result<i32> {
    let engine = engine(tier);
    let module = Module::new(&engine, wat)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let even = instance.get_typed_func::<i64, i32>(&mut store, "even")?;
    even.call(&mut store, n)
}

const DEEP: i64 = 1_000_000;

#[test]
fn a_million_deep_mutual_tail_recursion_finishes_in_both_tiers() {
    let evens = operands("$even", 0);
    let odds = operands("$odd", 1);
    for tier in TIERS {
        for (e, o) in evens.iter().zip(&odds) {
            let wat = even_odd(e, o);
            assert_eq!(run_even(tier, &wat, DEEP).unwrap(), 1, "{tier:?}: {e}");
            assert_eq!(run_even(tier, &wat, DEEP + 1).unwrap(), 0, "{tier:?}: {e}");
        }
    }
}

#[test]
fn the_same_recursion_through_call_exhausts_the_stack() {
    let arg = "(i64.sub (local.get 0) (i64.const 1))";
    let wat = even_odd(
        &format!("(call $even {arg})"),
        &format!("(call $odd {arg})"),
    );
    for tier in TIERS {
        let err = run_even(tier, &wat, DEEP).unwrap_err();
        assert_eq!(
            err.downcast_ref::<Trap>(),
            Some(&Trap::StackOverflow),
            "{tier:?}: {err:#}"
        );
        // Shallow enough, it returns: the recursion itself is right.
        assert_eq!(run_even(tier, &wat, 1000).unwrap(), 1, "{tier:?}");
    }
}

#[test]
fn a_tail_call_into_a_host_function_returns_to_the_callers_caller() {
    let wat = r#"(module
  (type $h (func (param i32 i64) (result i64 i32)))
  (import "host" "swap" (func $swap (type $h)))
  (table funcref (elem $swap))
  (elem declare func $swap)
  (func $direct (param i32 i64) (result i64 i32)
    (return_call $swap (local.get 0) (local.get 1)))
  (func $indirect (param i32 i64) (result i64 i32)
    (return_call_indirect (type $h) (local.get 0) (local.get 1) (i32.const 0)))
  (func $by_ref (param i32 i64) (result i64 i32)
    (return_call_ref $h (local.get 0) (local.get 1) (ref.func $swap)))
  ;; Many host tail calls in a row: constant stack too.
  (func $loop (export "loop") (param i32) (result i32)
    (local i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get 0)))
        (call $direct (local.get 0) (i64.const 1))
        (local.set 1)
        (drop)
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $again)))
    (local.get 1))
  (func (export "all") (param i32 i64) (result i64 i32 i64 i32 i64 i32)
    (call $direct (local.get 0) (local.get 1))
    (call $indirect (local.get 0) (local.get 1))
    (call $by_ref (local.get 0) (local.get 1))))"#;
    for tier in TIERS {
        let engine = engine(tier);
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, 0u32);
        let mut linker = Linker::new(&engine);
        let swap = Func::wrap(
            &mut store,
            |mut caller: wexe::Caller<'_, u32>, a: i32, b: i64| {
                *caller.data_mut() += 1;
                (b * 2, a + 1)
            },
        );
        linker.define(&mut store, "host", "swap", swap).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let all = instance
            .get_typed_func::<(i32, i64), (i64, i32, i64, i32, i64, i32)>(&mut store, "all")
            .unwrap();
        assert_eq!(
            all.call(&mut store, (5, 7)).unwrap(),
            (14, 6, 14, 6, 14, 6),
            "{tier:?}"
        );
        assert_eq!(*store.data(), 3, "{tier:?}");
        let looped = instance
            .get_typed_func::<i32, i32>(&mut store, "loop")
            .unwrap();
        assert_eq!(looped.call(&mut store, 100_000).unwrap(), 2, "{tier:?}");
        assert_eq!(*store.data(), 100_003, "{tier:?}");
    }
}

#[test]
fn return_call_indirect_to_a_function_of_another_type_traps() {
    let wat = r#"(module
  (type $want (func (param i32) (result i32)))
  (func $other (param i64) (result i32) (i32.const 0))
  (table funcref (elem $other))
  (func (export "f") (param i32) (result i32)
    (return_call_indirect (type $want) (local.get 0) (i32.const 0)))
  (func (export "null") (param i32) (result i32)
    (return_call_ref $want (local.get 0) (ref.null $want))))"#;
    for tier in TIERS {
        let engine = engine(tier);
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        for (name, trap) in [
            ("f", Trap::IndirectCallTypeMismatch),
            ("null", Trap::NullReference),
        ] {
            let f = instance
                .get_typed_func::<i32, i32>(&mut store, name)
                .unwrap();
            let err = f.call(&mut store, 1).unwrap_err();
            assert_eq!(err.downcast_ref::<Trap>(), Some(&trap), "{tier:?} {name}");
        }
    }
}

#[test]
fn a_backtrace_after_tail_calls_lists_the_frames_still_there() {
    // entry calls $a, which tail-calls $b, which tail-calls $c through a table; $c traps.
    // $a and $b have left: the frames are $c and entry, in both tiers.
    let wat = r#"(module
  (type $t (func (param i32)))
  (table funcref (elem $c))
  (func $entry (export "entry") (param i32)
    (call $a (local.get 0))
    (nop))
  (func $a (param i32) (return_call $b (local.get 0)))
  (func $b (param i32) (return_call_indirect (type $t) (local.get 0) (i32.const 0)))
  (func $c (param i32) (unreachable)))"#;
    for tier in TIERS {
        let engine = engine(tier);
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let entry = instance
            .get_typed_func::<i32, ()>(&mut store, "entry")
            .unwrap();
        let err = entry.call(&mut store, 1).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
        let bt = err.downcast_ref::<WasmBacktrace>().unwrap();
        let frames: Vec<_> = bt.frames.iter().map(|f| f.func_index).collect();
        assert_eq!(frames, [3, 0], "{tier:?}");
        assert_eq!(bt.omitted, 0);
    }
}
