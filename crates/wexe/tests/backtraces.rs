//! One backtrace policy for both tiers: a trap deep in a recursion lists the same frames —
//! the innermost and outermost ones, the rest counted as omitted — in the interpreter and in
//! the JIT.

use wexe::{Config, Engine, Instance, Module, Store, Tier, Trap, WasmBacktrace};

const DEEP: &str = r#"(module
  (func $down (export "down") (param i32)
    (if (i32.eqz (local.get 0)) (then unreachable))
    (call $down (i32.sub (local.get 0) (i32.const 1)))))"#;

/// The backtrace of a trap `depth` calls deep, in `tier`: (function index, offset) per frame
/// and the omitted count.
fn backtrace(tier: Tier, depth: i32) -> (Vec<(u32, Option<usize>)>, usize) {
    let mut config = Config::new();
    config.tier(tier);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, DEEP).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let down = instance
        .get_typed_func::<i32, ()>(&mut store, "down")
        .unwrap();
    let err = down.call(&mut store, depth).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
    let bt = err.downcast_ref::<WasmBacktrace>().unwrap();
    let frames = bt
        .frames
        .iter()
        .map(|f| (f.func_index, f.module_offset))
        .collect();
    (frames, bt.omitted)
}

#[test]
fn both_tiers_list_the_same_frames_of_a_deep_trap() {
    for depth in [3, 100, 127, 128, 129, 1000] {
        let (mut interp, mut jit) = (backtrace(Tier::Interp, depth), backtrace(Tier::Jit, depth));
        // The trapping frame's offset may differ: Cranelift folds `if ... unreachable` into a
        // conditional trap that carries the `if`'s offset. Every caller frame must agree.
        assert_eq!(interp.0[0].0, jit.0[0].0, "depth {depth}");
        interp.0[0].1 = None;
        jit.0[0].1 = None;
        assert_eq!(interp, jit, "depth {depth}");
        let (frames, omitted) = interp;
        // `depth` recursive calls below the first: depth + 1 frames in all.
        assert_eq!(frames.len() + omitted, depth as usize + 1, "depth {depth}");
        assert!(frames.len() <= 1 + 128, "depth {depth}: {}", frames.len());
    }
}
