//! Differential testing of the two tiers: wasm-smith modules from fixed seeds run in the
//! interpreter and in the JIT, and every observable outcome must agree — instantiation (success,
//! trap kind or error), each exported function's results (floats compared by bits, any NaN
//! equal to any NaN) or trap kind, with zero arguments and with drawn ones, and at the end the
//! exported memories and globals; an uncaught exception by its tag and payload. SIMD and
//! exception handling are on in the generator, and the test checks that modules use them.

#[path = "common/smith_driver.rs"]
#[allow(dead_code)]
mod smith_driver;

#[path = "common/diff_driver.rs"]
mod diff_driver;

use arbitrary::Unstructured;
use wexe::Tier;

/// How many seeds to try; `WEXE_DIFF_SEEDS=N cargo test --test differential` runs more, and
/// `WEXE_DIFF_DUMP=DIR` writes the modules that differ to `DIR/diff-SEED.wasm`.
const SEEDS: u64 = 300;
/// Loop iterations plus calls each instance may run before it traps.
const FUEL: u32 = 10_000;

/// The bytes for a seed (another stream than `tests/smith.rs`).
fn seed_bytes(seed: u64) -> Vec<u8> {
    smith_driver::seed_bytes(seed, 0xd1b5_4a32_d192_ed03, 0xd1ff, 4096, 977, 12288)
}

/// Agreeing is not enough: a module both tiers reject (here: a shared memory, which these
/// engines refuse without threads) or a call failing with an error other than a trap in both is
/// reported.
#[test]
fn failures_both_tiers_share_are_reported() {
    let interp = diff_driver::engine(Tier::Interp);
    let jit = diff_driver::engine(Tier::Jit);
    let shared_memory = wat::parse_str("(module (memory 1 1 shared))").unwrap();
    let found = diff_driver::compare(&interp, &jit, &shared_memory);
    assert!(
        found.as_deref().is_some_and(|f| f.contains("invalid")),
        "{found:?}"
    );
}

#[test]
fn interpreter_and_jit_agree_on_smith_modules() {
    agree(Tier::Jit, None, SEEDS);
}

/// Tier-up (every function interpreted once, then compiled) against the interpreter.
#[test]
fn interpreter_and_tier_up_agree_on_smith_modules() {
    agree(Tier::Auto, None, SEEDS);
}

/// Tier-up with each function's tier drawn at random (about half compiled once found hot, the
/// others interpreted for good), so that calls cross between the tiers everywhere, against the
/// interpreter.
#[test]
fn interpreter_and_tiers_drawn_per_function_agree_on_smith_modules() {
    agree(Tier::Auto, Some(0x7135_d4a3), SEEDS);
}

/// Runs `seeds` seeds (or `WEXE_DIFF_SEEDS`) in the interpreter and in `tier` (under tier-up
/// with `draw`, each function's tier drawn from that seed).
fn agree(tier: Tier, draw: Option<u64>, seeds: u64) {
    let seeds = std::env::var("WEXE_DIFF_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(seeds);
    // Deep recursion must end the same way in both tiers: give machine code a deep native stack.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let interp = diff_driver::engine(Tier::Interp);
            let jit = diff_driver::drawn_engine(tier, draw);
            let mut uses = smith_driver::FeatureUse::new();
            let mut compared = 0;
            let mut differ = Vec::new();
            for seed in 0..seeds {
                let data = seed_bytes(seed);
                let Ok(bytes) = diff_driver::generate(&mut Unstructured::new(&data), FUEL) else {
                    continue;
                };
                compared += 1;
                uses.count(&bytes);
                if let Some(first) = diff_driver::compare(&interp, &jit, &bytes) {
                    if let Ok(dir) = std::env::var("WEXE_DIFF_DUMP") {
                        let _ = std::fs::write(format!("{dir}/diff-{seed}.wasm"), &bytes);
                    }
                    differ.push(format!("seed {seed}: {first}"));
                }
            }
            (compared, uses, differ)
        })
        .unwrap();
    let (compared, uses, differ) = handle.join().unwrap();
    eprintln!("{compared} modules compared, using: {uses}");
    assert!(compared > seeds / 2, "too few seeds made a module");
    smith_driver::assert_share(&uses, compared);
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
