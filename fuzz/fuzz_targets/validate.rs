//! Fuzz target `validate`: arbitrary bytes through `Module::validate` and `Module::new`, which
//! must agree; a valid module without imports is then instantiated. Modules with a start
//! function are not instantiated, since nothing bounds how long it runs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wexe::{Engine, Instance, Module, Store};

fuzz_target!(|data: &[u8]| {
    let engine = Engine::default();
    let validated = Module::validate(&engine, data);
    let module = Module::new(&engine, data);
    // `Module::new` also accepts the text format; the two agree on binary input.
    if data.starts_with(b"\0asm") {
        assert_eq!(
            validated.is_ok(),
            module.is_ok(),
            "Module::validate and Module::new disagree: {validated:?} vs {:?}",
            module.as_ref().err()
        );
    }
    let Ok(module) = module else { return };
    if module.imports().len() != 0 || module.info().start.is_some() {
        return;
    }
    let mut store = Store::new(&engine, ());
    let _ = Instance::new(&mut store, &module, &[]);
});
