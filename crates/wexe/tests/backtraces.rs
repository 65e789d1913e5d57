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
    let err = down_error(tier, DEEP, depth);
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
    frames_of(&err)
}

/// The error of export `down` of `wat` called with `depth` in `tier`, with import `host.fail`
/// (when the module has it) raising an integer-overflow trap.
fn down_error(tier: Tier, wat: &str, depth: i32) -> anyhow::Error {
    let mut config = Config::new();
    config.tier(tier);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = wexe::Linker::new(&engine);
    linker
        .func_wrap("host", "fail", || -> anyhow::Result<()> {
            Err(Trap::IntegerOverflow.into())
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let down = instance
        .get_typed_func::<i32, ()>(&mut store, "down")
        .unwrap();
    down.call(&mut store, depth).unwrap_err()
}

/// The (function index, offset) of each frame of `err`'s backtrace, and the omitted count.
fn frames_of(err: &anyhow::Error) -> (Vec<(u32, Option<usize>)>, usize) {
    let bt = err
        .downcast_ref::<WasmBacktrace>()
        .unwrap_or_else(|| panic!("no backtrace: {err:?}"));
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
        let (interp, jit) = (backtrace(Tier::Interp, depth), backtrace(Tier::Jit, depth));
        // Every frame agrees, the trapping one too (Cranelift folds the `if ... unreachable`
        // into a conditional trap, which must still report the `unreachable`'s offset).
        assert_eq!(interp, jit, "depth {depth}");
        let (frames, omitted) = interp;
        // `depth` recursive calls below the first: depth + 1 frames in all.
        assert_eq!(frames.len() + omitted, depth as usize + 1, "depth {depth}");
        assert!(frames.len() <= 1 + 128, "depth {depth}: {}", frames.len());
    }
}

/// The offset each tier reports for the trap of `func` (no parameters) in `wat`.
fn trap_offsets(wat: &str) -> Vec<Option<usize>> {
    [Tier::Interp, Tier::Jit]
        .into_iter()
        .map(|tier| {
            let mut config = Config::new();
            config.tier(tier);
            let engine = Engine::new(&config).unwrap();
            let module = Module::new(&engine, wat).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let f = instance.get_typed_func::<i32, ()>(&mut store, "f").unwrap();
            let err = f.call(&mut store, 1).unwrap_err();
            assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
            err.downcast_ref::<WasmBacktrace>().unwrap().frames[0].module_offset
        })
        .collect()
}

/// The offset of the (one) `unreachable` instruction in the binary of `wat`.
fn unreachable_offset(wat: &str) -> usize {
    let bytes = wat::parse_str(wat).unwrap();
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let (op, offset) = ops.read_with_offset().unwrap();
                if matches!(op, wasmparser::Operator::Unreachable) {
                    found.push(offset);
                }
            }
        }
    }
    assert_eq!(found.len(), 1, "{wat}");
    found[0] as usize
}

#[test]
fn a_folded_conditional_unreachable_traps_at_the_unreachable_in_both_tiers() {
    for body in [
        // `if` whose `then` only traps.
        "(if (local.get 0) (then unreachable))",
        // ... after pure operations.
        "(if (local.get 0) (then (drop (i32.const 7)) unreachable))",
        // `else` that only traps.
        "(if (i32.eqz (local.get 0)) (then) (else unreachable))",
        // `br_if` falling through to a trap.
        "(block (br_if 0 (i32.eqz (local.get 0))) unreachable)",
    ] {
        let wat = format!(r#"(module (func (export "f") (param i32) {body}))"#);
        let expected = unreachable_offset(&wat);
        assert_eq!(
            trap_offsets(&wat),
            [Some(expected), Some(expected)],
            "{body}"
        );
    }
}

/// The frames of a trap a host function raises `depth` calls deep, in `tier` (called with
/// `return_call` when `tail`): (function index, offset) per frame and the omitted count.
fn host_trap_backtrace(tier: Tier, depth: i32, tail: bool) -> (Vec<(u32, Option<usize>)>, usize) {
    let fail = if tail {
        "(return_call $fail)"
    } else {
        "(call $fail) (return)"
    };
    let wat = format!(
        r#"(module
      (import "host" "fail" (func $fail))
      (func $down (export "down") (param i32)
        (if (i32.eqz (local.get 0)) (then {fail}))
        (call $down (i32.sub (local.get 0) (i32.const 1)))))"#
    );
    let err = down_error(tier, &wat, depth);
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::IntegerOverflow));
    frames_of(&err)
}

/// A trap raised by a host function (which leaves compiled code through its builtin, without a
/// signal) lists the wasm frames below the host call, the same in both tiers: the call of the
/// host function, then each recursive call; a tail call to the host function leaves no frame of
/// its own, only the recursive calls below it.
#[test]
fn both_tiers_list_the_wasm_frames_below_a_host_trap() {
    for depth in [0, 5, 300] {
        let interp = host_trap_backtrace(Tier::Interp, depth, false);
        assert_eq!(interp, host_trap_backtrace(Tier::Jit, depth, false));
        let (frames, omitted) = interp;
        assert_eq!(frames.len() + omitted, depth as usize + 1, "depth {depth}");
        assert!(frames.iter().all(|&(f, _)| f == 1), "{frames:?}");
        let (host_call, recursion) = (frames[0].1, frames.get(1).map(|f| f.1));
        assert!(host_call.is_some(), "{frames:?}");
        assert_ne!(Some(host_call), recursion, "{frames:?}");
        assert!(
            frames[1..].iter().all(|f| Some(f.1) == recursion),
            "{frames:?}"
        );
        let interp = host_trap_backtrace(Tier::Interp, depth, true);
        assert_eq!(interp, host_trap_backtrace(Tier::Jit, depth, true));
        let (frames, omitted) = interp;
        assert_eq!(frames.len() + omitted, depth as usize, "depth {depth}");
        assert!(frames.iter().all(|&(f, _)| f == 1), "{frames:?}");
    }
}
