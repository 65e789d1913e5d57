//! Fuzz target `execute`: a wasm-smith module (WebAssembly 2.0 and the 3.0 features, made to terminate
//! by a fuel counter) instantiated with dummy imports, every export called with zero arguments.
//! wexe must accept the module and must not panic, and nothing but traps may go wrong.

#![no_main]

#[path = "../../tests/common/smith_driver.rs"]
#[allow(dead_code)]
mod smith_driver;

use std::sync::OnceLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

/// Loop iterations plus calls each instance may run before it traps.
const FUEL: u32 = 10_000;

fuzz_target!(|data: &[u8]| {
    static ENGINE: OnceLock<wexe::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(smith_driver::engine);
    let Ok(bytes) = smith_driver::generate(&mut Unstructured::new(data), FUEL) else {
        return;
    };
    let mut stats = smith_driver::Stats::default();
    if let Err(e) = smith_driver::run_module(engine, &bytes, &mut stats) {
        panic!("wexe rejected a module wasm-smith made valid: {e:#}");
    }
    assert_eq!(stats.instantiate_errors + stats.errors, 0, "{stats}");
});
