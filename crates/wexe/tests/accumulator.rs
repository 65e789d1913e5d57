//! The interpreter's accumulator: a value handed from the instruction that computes it to the
//! one right after that consumes it, without a frame cell (`interp/translate/acc.rs`). The
//! bytecode must use the accumulator forms where they apply, and every result and trap must be
//! the JIT's, for operands of every sign and at the edges of the memory.

use wexe::{Config, Engine, Instance, Module, Store, Tier, Val};

const MODULE: &str = r#"
    (module
      (memory (export "mem") 1)
      ;; A chain: every result but the last goes to the next instruction.
      (func (export "chain") (param i32 i32 i32) (result i32)
        (i32.rotl
          (i32.xor
            (i32.add (i32.mul (local.get 0) (i32.const 3)) (local.get 1))
            (i32.shr_s (local.get 2) (i32.const 2)))
          (local.get 1)))
      ;; The accumulator as the right operand of operations that do not commute.
      (func (export "right") (param i32 i32) (result i32)
        (i32.sub (local.get 0) (i32.mul (local.get 1) (local.get 1)))
        (i32.shl (local.get 0) (i32.and (local.get 1) (i32.const 31)))
        (i32.xor))
      (func (export "wide") (param i64 i64) (result i64)
        (i64.shr_s
          (i64.sub (local.get 1) (i64.mul (local.get 0) (i64.const -7)))
          (i64.and (local.get 0) (i64.const 63))))
      ;; Comparisons fused into branches, taking an operand from the accumulator.
      (func (export "branches") (param i32 i32) (result i32)
        (local i32)
        (if (i32.lt_u (i32.load (local.get 0)) (local.get 1))
          (then (local.set 2 (i32.const 1))))
        (if (i32.gt_s (local.get 1) (i32.add (local.get 0) (i32.const -5)))
          (then (local.set 2 (i32.add (local.get 2) (i32.const 10)))))
        (if (i32.and (local.get 1) (i32.const 4))
          (then (local.set 2 (i32.add (local.get 2) (i32.const 100)))))
        (block
          (br_if 0 (i32.or (local.get 0) (local.get 1)))
          (local.set 2 (i32.add (local.get 2) (i32.const 1000))))
        (local.get 2))
      ;; Addresses and stored values from the accumulator; an address that wraps traps.
      (func (export "memory") (param i32 i32) (result i32)
        (i32.store offset=4 (local.get 0) (i32.mul (local.get 1) (i32.const 5)))
        (i32.store (i32.add (local.get 0) (local.get 1)) (local.get 1))
        (i32.load8_u (i32.sub (local.get 0) (i32.const 4)))
        (i32.load offset=4 (local.get 0))
        (i32.add))
      (func (export "load64") (param i32) (result i64)
        (i64.add (i64.load (i32.shl (local.get 0) (i32.const 3))) (i64.const 1)))
      ;; A value that reaches its consumer through a label is not handed over.
      (func (export "label") (param i32 i32) (result i32)
        (block (result i32)
          (i32.add (local.get 0) (i32.const 1))
          (br_if 0 (local.get 1))
          (drop)
          (i32.const 5))
        (i32.mul (i32.const 3)))
      (func (export "count") (param i32) (result i32)
        (local i32)
        (loop
          (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 31)) (local.get 0)))
          (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 1))
      ;; A local the last instruction wrote is read from the accumulator, and still written.
      (func (export "locals") (param i32 i32) (result i32)
        (local.set 1 (i32.mul (local.get 0) (local.get 1)))
        (i32.sub (local.get 0) (local.get 1))
        (i32.add (local.get 1))))
"#;

fn instance(tier: Tier) -> (Store<()>, Instance, Module) {
    let engine = Engine::new(Config::new().tier(tier)).unwrap();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance, module)
}

/// Every call's results or trap, as text.
fn outcomes(tier: Tier) -> Vec<String> {
    let (mut store, instance, _) = instance(tier);
    let ints = [
        0,
        1,
        2,
        3,
        7,
        -1,
        -8,
        31,
        32,
        65532,
        65533,
        i32::MIN,
        i32::MAX,
    ];
    let mut calls: Vec<(&str, Vec<Val>)> = Vec::new();
    for &a in &ints {
        calls.push(("load64", vec![Val::I32(a)]));
        if (1..1000).contains(&a) {
            calls.push(("count", vec![Val::I32(a)]));
        }
        for &b in &ints {
            calls.push(("chain", vec![Val::I32(a), Val::I32(b), Val::I32(a ^ b)]));
            calls.push(("right", vec![Val::I32(a), Val::I32(b)]));
            calls.push(("branches", vec![Val::I32(a), Val::I32(b)]));
            calls.push(("memory", vec![Val::I32(a), Val::I32(b)]));
            calls.push(("label", vec![Val::I32(a), Val::I32(b)]));
            calls.push(("locals", vec![Val::I32(a), Val::I32(b)]));
            let (a64, b64) = (i64::from(a) << 20 | 0x5a5, i64::from(b) * -3);
            calls.push(("wide", vec![Val::I64(a64), Val::I64(b64)]));
        }
    }
    calls
        .into_iter()
        .map(|(name, args)| {
            let f = instance.get_func(&mut store, name).unwrap();
            let mut results = vec![Val::I32(0); f.ty(&store).results().len()];
            let outcome = match f.call(&mut store, &args, &mut results) {
                Ok(()) => format!("{results:?}"),
                Err(e) => format!("trap: {e}"),
            };
            format!("{name}{args:?} -> {outcome}")
        })
        .collect()
}

#[test]
fn results_and_traps_are_the_jits() {
    let interp = outcomes(Tier::Interp);
    let jit = outcomes(Tier::Jit);
    assert_eq!(interp.len(), jit.len());
    for (i, j) in interp.iter().zip(&jit) {
        assert_eq!(i, j);
    }
    // The edges are really reached: wrapped and out-of-bounds addresses trap.
    let memory: Vec<_> = interp.iter().filter(|o| o.starts_with("memory")).collect();
    assert!(memory.iter().any(|o| o.contains("trap")), "{memory:#?}");
    assert!(memory.iter().any(|o| !o.contains("trap")), "{memory:#?}");
}

#[test]
fn the_bytecode_uses_the_accumulator_forms() {
    let (_, _, module) = instance(Tier::Interp);
    let code = |f: u32| module.disassemble(f).unwrap();
    let names = |f: u32| -> Vec<String> {
        code(f)
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
            .collect()
    };
    let chain = names(0);
    assert!(chain.contains(&"I32MulImmToAcc".to_string()), "{}", code(0));
    assert!(chain.contains(&"I32AddAccL".to_string()), "{}", code(0));
    assert!(
        chain.contains(&"I32XorAccRToAcc".to_string()),
        "{}",
        code(0)
    );
    assert!(chain.contains(&"I32RotlAccL".to_string()), "{}", code(0));
    let right = names(1);
    assert!(right.contains(&"I32SubAccR".to_string()), "{}", code(1));
    let branches = names(3);
    assert!(
        branches.contains(&"I32LoadToAcc".to_string()),
        "{}",
        code(3)
    );
    assert!(
        branches.contains(&"BrIfI32GeUAccL".to_string()),
        "{}",
        code(3)
    );
    assert!(
        branches
            .iter()
            .any(|n| n.starts_with("BrIfI32") && n.ends_with("AccR")),
        "{}",
        code(3)
    );
    assert!(branches.contains(&"BrIfEqzAcc".to_string()), "{}", code(3));
    assert!(branches.contains(&"BrIfNezAcc".to_string()), "{}", code(3));
    let memory = names(4);
    assert!(memory.contains(&"I32StoreAcc".to_string()), "{}", code(4));
    assert!(
        memory.contains(&"I32StoreAccAddr".to_string()),
        "{}",
        code(4)
    );
    assert!(memory.contains(&"I32Load8UAcc".to_string()), "{}", code(4));
    assert!(names(7).contains(&"BrIfNezAcc".to_string()), "{}", code(7));
    let locals = names(8);
    assert!(locals.contains(&"I32Mul".to_string()), "{}", code(8));
    assert!(
        locals.iter().any(|n| n.starts_with("I32SubAccR")),
        "{}",
        code(8)
    );
    let label = names(6);
    assert!(!label.iter().any(|n| n.contains("Acc")), "{}", code(6));
}
