//! Tests of the script runner's own logic: counting, failure locations, linking, instantiation
//! traps, `get`, and the `assert_*` rules. Those marked as needing the interpreter call into wasm.

use wexe_wast::{Report, WastRunner};

fn run(text: &str) -> Report {
    let runner = WastRunner::new(&wexe::Config::new()).unwrap();
    runner.run_script("t.wast", text)
}

#[test]
fn counts_one_per_directive_and_locates_failures() {
    let report = run(r#"
(module (global (export "g") i32 (i32.const 7)))
(assert_return (get "g") (i32.const 7))
(assert_return (get "g") (i32.const 8))
  (assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
"#);
    assert_eq!((report.passed, report.failed), (2, 2), "{report:?}");
    let lines: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(
        lines[0].starts_with("t.wast:4:2: result 0: expected i32:8, got i32:7"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("t.wast:5:4: the module is valid"),
        "{lines:?}"
    );
}

#[test]
fn script_that_does_not_parse_is_one_failure() {
    let report = run("(module)\n(assert_return (invoke \"f\"");
    assert_eq!((report.passed, report.failed), (0, 1));
    assert!(report.failures[0].reason.contains("cannot parse"));
}

#[test]
fn spectest_and_registered_instances_resolve_imports() {
    let report = run(r#"
(module $A (global (export "g") i64 (i64.const 42)))
(register "a" $A)
(module $B
  (import "a" "g" (global i64))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "memory" (memory 1))
  (import "spectest" "table" (table 10 funcref))
  (import "spectest" "print_i32" (func (param i32)))
  (global (export "copy") i64 (global.get 0))
  (global (export "sixes") i32 (global.get 1)))
(assert_return (get $B "copy") (i64.const 42))
(assert_return (get "sixes") (i32.const 666))
(assert_return (get $A "g") (i64.const 42))
(assert_unlinkable (module (import "a" "missing" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "global_i32" (global i64))) "incompatible import type")
(assert_unlinkable (module (import "a" "g" (global i64))) "should link, so this fails")
"#);
    assert_eq!((report.passed, report.failed), (8, 1), "{report:?}");
    assert_eq!(report.failures[0].line, 17);
}

#[test]
fn float_results_compare_bits_and_nan_patterns() {
    let report = run(r#"
(module
  (global (export "nan") f32 (f32.const nan))
  (global (export "qnan1") f64 (f64.const nan:0x8000000000001))
  (global (export "neg0") f64 (f64.const -0)))
(assert_return (get "nan") (f32.const nan:canonical))
(assert_return (get "nan") (f32.const nan:arithmetic))
(assert_return (get "qnan1") (f64.const nan:arithmetic))
(assert_return (get "qnan1") (f64.const nan:canonical))
(assert_return (get "neg0") (f64.const -0))
(assert_return (get "neg0") (f64.const 0))
(assert_return (get "neg0") (either (f64.const 1) (f64.const -0)))
"#);
    let failed: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(failed, vec![9, 11], "{report:?}");
}

#[test]
fn reference_and_v128_results() {
    let report = run(r#"
(module
  (global (export "nf") funcref (ref.null func))
  (global (export "ne") externref (ref.null extern))
  (global (export "v") v128 (v128.const i32x4 1 2 3 -1)))
(assert_return (get "nf") (ref.null func))
(assert_return (get "ne") (ref.null extern))
(assert_return (get "nf") (ref.null))
(assert_return (get "nf") (ref.null extern))
(assert_return (get "v") (v128.const i32x4 1 2 3 -1))
(assert_return (get "v") (v128.const i64x2 0x200000001 0xffffffff00000003))
(assert_return (get "v") (v128.const i32x4 1 2 3 4))
"#);
    let failed: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(failed, vec![9, 12], "{report:?}");
}

#[test]
fn instantiation_traps_and_invalid_modules() {
    let report = run(r#"
(assert_trap
  (module (memory 1) (data (i32.const 65536) "x"))
  "out of bounds memory access")
(assert_trap (module (memory 1)) "out of bounds memory access")
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_invalid (module (memory 2 1)) "size minimum must not be greater than maximum")
(assert_malformed (module binary "\00asm\01\00\00\00") "this module is fine")
"#);
    let failed: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(failed, vec![5, 9], "{report:?}");
    assert!(
        report.failures[0].reason.contains("returned normally"),
        "{report:?}"
    );
}

#[test]
fn actions_on_a_failed_module_do_not_reach_an_older_one() {
    let report = run(r#"
(module (global (export "g") i32 (i32.const 1)))
(module (import "nowhere" "x" (func)))
(assert_return (get "g") (i32.const 1))
"#);
    assert_eq!((report.passed, report.failed), (1, 2), "{report:?}");
    assert!(
        report.failures[1]
            .reason
            .contains("no module is instantiated")
    );
}

/// Needs the interpreter.
#[test]
fn invoke_traps_and_exhaustion() {
    let report = run(r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $loop (export "loop") (call $loop))
  (func (export "id") (param externref) (result externref) (local.get 0)))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2))
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")
"#);
    let failed: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(failed, vec![11, 12], "{report:?}");
}
