//! Accesses at `x + C`: the interpreter fuses an `i32.add` of a constant into the load or store
//! with no offset that it feeds (`I32LoadAddImm`, ...). The sum wraps at 32 bits, an access past
//! the end traps, and results agree with the JIT's, whatever the access's width.

use wexe::{Config, Engine, Instance, Module, Store, Tier, Trap, Val};

const MODULE: &str = r#"
    (module
      (memory (export "mem") 1)
      (func (export "load") (param i32) (result i32)
        (i32.load (i32.add (local.get 0) (i32.const 8))))
      (func (export "load8_s") (param i32) (result i64)
        (i64.load8_s (i32.add (local.get 0) (i32.const 8))))
      (func (export "load_offset") (param i32) (result i32)
        (i32.load offset=4 (i32.add (local.get 0) (i32.const 8))))
      (func (export "store") (param i32 i32)
        (i32.store (i32.add (local.get 0) (i32.const 8)) (local.get 1)))
      (func (export "store16") (param i32 i64)
        (i64.store16 (i32.add (local.get 0) (i32.const 8)) (local.get 1)))
      (func (export "store_const") (param i32)
        (i32.store (i32.add (local.get 0) (i32.const 8)) (i32.const 77)))
      (func (export "tee") (param i32) (result i32)
        (local i32)
        (i32.load (local.tee 1 (i32.add (local.get 0) (i32.const 8))))
        (i32.add (local.get 1)))
      (func (export "get") (param i32) (result i32) (i32.load (local.get 0))))
"#;

struct Run {
    store: Store<()>,
    instance: Instance,
}

impl Run {
    fn new(tier: Tier) -> Run {
        let engine = Engine::new(Config::new().tier(tier)).unwrap();
        let module = Module::new(&engine, MODULE).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        Run { store, instance }
    }

    fn call(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let f = self.instance.get_func(&mut self.store, name).unwrap();
        let mut results = vec![Val::I32(0); f.ty(&self.store).results().len()];
        match f.call(&mut self.store, args, &mut results) {
            Ok(()) => Ok(results),
            Err(e) => Err(*e.downcast_ref::<Trap>().expect("a trap")),
        }
    }
}

/// What one tier gives for a sequence of calls covering wrap-around, the last bytes of the
/// memory, one past them, and accesses that are not fused.
fn outcomes(tier: Tier) -> Vec<String> {
    let mut r = Run::new(tier);
    let end = 65536u32;
    let calls: Vec<(&str, Vec<Val>)> = vec![
        ("store", vec![Val::I32(100), Val::I32(0x1234_5678)]),
        ("load", vec![Val::I32(100)]),
        ("get", vec![Val::I32(108)]),
        // 0xFFFF_FFFC + 8 wraps to 4.
        ("store", vec![Val::I32(-4), Val::I32(-2)]),
        ("get", vec![Val::I32(4)]),
        ("load", vec![Val::I32(-4)]),
        ("load8_s", vec![Val::I32(-4)]),
        ("load_offset", vec![Val::I32(-4)]),
        ("store16", vec![Val::I32(-8), Val::I64(0x1_ABCD)]),
        ("get", vec![Val::I32(0)]),
        ("store_const", vec![Val::I32(200)]),
        ("get", vec![Val::I32(208)]),
        ("tee", vec![Val::I32(100)]),
        // The last word of the memory, then one byte past the end.
        ("store", vec![Val::I32((end - 12) as i32), Val::I32(9)]),
        ("load", vec![Val::I32((end - 12) as i32)]),
        ("load", vec![Val::I32((end - 11) as i32)]),
        ("store", vec![Val::I32((end - 11) as i32), Val::I32(9)]),
        ("load8_s", vec![Val::I32((end - 8) as i32)]),
        ("store16", vec![Val::I32((end - 9) as i32), Val::I64(1)]),
        ("load_offset", vec![Val::I32((end - 15) as i32)]),
    ];
    calls
        .into_iter()
        .map(|(name, args)| format!("{name}{args:?} = {:?}", r.call(name, &args)))
        .collect()
}

#[test]
fn fused_address_sums_agree_with_the_jit() {
    let interp = outcomes(Tier::Interp);
    assert_eq!(interp, outcomes(Tier::Jit));
    // Spot checks of the interpreter's own answers.
    assert!(interp[1].ends_with("Ok([I32(305419896)])"), "{}", interp[1]);
    assert!(interp[4].ends_with("Ok([I32(-2)])"), "{}", interp[4]);
    assert!(
        interp[15].ends_with("Err(MemoryOutOfBounds)"),
        "{}",
        interp[15]
    );
    assert!(
        interp[16].ends_with("Err(MemoryOutOfBounds)"),
        "{}",
        interp[16]
    );
}
