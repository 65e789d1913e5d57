//! Runs a few hundred wasm-smith modules, generated from fixed seeds so every run sees the same
//! ones, through validation, instantiation and calls of every export in the interpreter. Traps
//! are fine; a panic, wexe rejecting a module wasm-smith made valid, an error other than a trap,
//! no call returning, or an operator the interpreter cannot execute is a failure. (Results are
//! checked against the JIT's by `tests/differential.rs`.)

#[path = "common/smith_driver.rs"]
mod smith_driver;

use std::panic::{AssertUnwindSafe, catch_unwind};

use arbitrary::Unstructured;
use smith_driver::Stats;

/// How many seeds to try; `WEXE_SMITH_SEEDS=N cargo test --test smith` runs more.
const SEEDS: u64 = 500;
/// Loop iterations plus calls each instance may run before it traps.
const FUEL: u32 = 10_000;

/// The bytes for a seed.
fn seed_bytes(seed: u64) -> Vec<u8> {
    smith_driver::seed_bytes(seed, 0x9e37_79b9_7f4a_7c15, 0x5eed, 2048, 1031, 14336)
}

#[test]
fn smith_modules_validate_instantiate_and_run_without_panics() {
    let seeds = std::env::var("WEXE_SMITH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS);
    let engine = smith_driver::engine();
    let mut uses = smith_driver::FeatureUse::new();
    let mut stats = Stats::default();
    let mut generated = 0;
    let mut rejected = Vec::new();
    let mut panicked = Vec::new();
    for seed in 0..seeds {
        let data = seed_bytes(seed);
        let Ok(bytes) = smith_driver::generate(&mut Unstructured::new(&data), FUEL) else {
            continue; // not enough bytes for this configuration
        };
        generated += 1;
        uses.count(&bytes);
        match catch_unwind(AssertUnwindSafe(|| {
            smith_driver::run_module(&engine, &bytes, &mut stats)
        })) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => rejected.push(format!("seed {seed}: {e:#}")),
            Err(_) => panicked.push(seed),
        }
    }
    eprintln!("{generated} of {seeds} seeds made a module (using: {uses}); {stats}");

    assert!(panicked.is_empty(), "wexe panicked on seeds {panicked:?}");
    assert!(
        rejected.is_empty(),
        "wexe rejected valid modules:\n{}",
        rejected.join("\n")
    );
    assert!(generated >= seeds * 9 / 10, "too few seeds made a module");
    smith_driver::assert_share(&uses, generated);
    assert_eq!(stats.valid, generated);
    assert_eq!(
        stats.instantiated + stats.instantiate_traps + stats.instantiate_errors,
        stats.valid
    );
    assert_eq!(stats.returned + stats.traps + stats.errors, stats.calls);
    assert!(stats.calls > 0, "no module exported a function");
    // Dummy imports match their types and arguments are well typed, so nothing but traps may go
    // wrong.
    assert_eq!(stats.instantiate_errors, 0, "{stats}");
    assert_eq!(stats.errors, 0, "{stats}");
    assert!(stats.returned > 0, "no call returned: {stats}");
    // Every operator of WebAssembly 2.0, SIMD included, executes.
    let unsupported = wexe::Trap::Unsupported.message();
    assert!(!stats.trap_kinds.contains_key(unsupported), "{stats}");
}

/// The dummy imports satisfy a module importing one entity of each kind, and its exports get
/// called.
#[test]
fn dummy_imports_satisfy_every_kind_of_import() {
    let engine = smith_driver::engine();
    let wat = r#"
        (module
          (import "env" "f" (func (param i32 f64) (result i64 funcref)))
          (import "env" "mem" (memory 1 2))
          (import "env" "tab" (table 3 externref))
          (import "env" "g" (global (mut f32)))
          (func (export "call_f") (result i64)
            (drop (call 0 (i32.const 1) (f64.const 2)))
          )
          (func (export "size") (result i32) (memory.size))
          (func (export "trap") unreachable))
    "#;
    let bytes = wat::parse_str(wat).unwrap();

    let mut stats = Stats::default();
    smith_driver::run_module(&engine, &bytes, &mut stats).unwrap();
    assert_eq!(stats.valid, 1);
    assert_eq!(stats.instantiated, 1, "{stats}");
    assert_eq!(stats.calls, 3);
    assert_eq!(
        (stats.returned, stats.traps, stats.errors),
        (2, 1, 0),
        "{stats}"
    );
    assert_eq!(stats.trap_kinds.get("unreachable"), Some(&1), "{stats}");
}
