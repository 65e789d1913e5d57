//! Differential fuzzing: a wasm-smith module (SIMD included) runs in the interpreter and in the
//! JIT, and every observable outcome must agree (see `tests/common/diff_driver.rs`).
#![no_main]

#[path = "../../tests/common/smith_driver.rs"]
#[allow(dead_code)]
mod smith_driver;

#[path = "../../tests/common/diff_driver.rs"]
mod diff_driver;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wexe::{Engine, Tier};

fuzz_target!(|data: &[u8]| {
    static ENGINES: OnceLock<(Engine, Engine)> = OnceLock::new();
    let (interp, jit) = ENGINES.get_or_init(|| {
        (
            diff_driver::engine(Tier::Interp),
            diff_driver::engine(Tier::Jit),
        )
    });
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(bytes) = diff_driver::generate(&mut u, 10_000) else {
        return;
    };
    if let Some(diff) = diff_driver::compare(interp, jit, &bytes) {
        panic!("the tiers disagree: {diff}");
    }
});
