//! What a test does when something it needs is missing from the machine (a wasm32 compiler, a
//! registry, a kernel facility): outside CI it says so on stderr and passes without running that
//! part; under CI (`CI=true`), where `.ci/run` installs what the tests need, it fails, so that a
//! run that checked nothing cannot pass. Included with `#[path]` by the tests that can skip.

use std::io::Write;

/// Whether this is a CI run, where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Reports that `what` cannot run for want of a prerequisite (`why`): a failure under CI, else a
/// visible note (written past the test harness's capture).
pub fn missing(what: &str, why: &str) {
    let line = format!("SKIPPED {what}: {why}");
    assert!(
        !under_ci(),
        "{line} (CI=true: a missing prerequisite is a failure; .ci/run installs the wasm \
         toolchain with scripts/install-wasm-toolchain.sh)"
    );
    let _ = writeln!(std::io::stderr(), "{line}");
}
