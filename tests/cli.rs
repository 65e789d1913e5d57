//! Tests of the `wexe` binary as users run it: output, exit statuses (0, 1 before the program
//! runs, 134 after a trap) and one-line error messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wexe-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_string()
}

fn wexe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(args)
        .output()
        .expect("the wexe binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 1 with exactly one line `wexe: error: ...` on stderr, and returns that
/// line.
fn one_line_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("wexe: error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    lines[0].to_string()
}

const ADD: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f32 f64) (result f64 f32 i64)
    local.get 2 local.get 1 local.get 0))"#;

#[test]
fn invoke_prints_results_one_per_line() {
    let dir = scratch("invoke");
    let add = write(&dir, "add.wat", ADD);
    let out = wexe(&["run", "--invoke", "add", &add, "2", "3"]);
    assert_eq!(stdout(&out), "5\n", "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));

    let out = wexe(&["run", "--invoke", "add", &add, "-7", "0x10"]);
    assert_eq!(stdout(&out), "9\n", "{}", stderr(&out));
    let out = wexe(&["run", "--invoke", "add", &add, "0x7fffffff", "1"]);
    assert_eq!(stdout(&out), "-2147483648\n", "{}", stderr(&out));

    let out = wexe(&["run", "--invoke", "mix", &add, "-1", "2.5", "-inf"]);
    assert_eq!(stdout(&out), "-inf\n2.5\n-1\n", "{}", stderr(&out));
}

/// v128 arguments as one integer or lane by lane, and v128 results as hex, in both tiers.
#[test]
fn invoke_takes_and_prints_v128_in_both_tiers() {
    let dir = scratch("invoke-v128");
    let wat = r#"(module
      (func (export "addsub") (param v128 v128) (result v128 i32)
        (i32x4.add (local.get 0) (local.get 1))
        (i32x4.extract_lane 3 (i32x4.sub (local.get 0) (local.get 1))))
      (func (export "scale") (param v128 f32) (result v128)
        (f32x4.mul (local.get 0) (f32x4.splat (local.get 1)))))"#;
    let file = write(&dir, "simd.wat", wat);
    for tier in ["interp", "jit"] {
        let out = wexe(&[
            "run",
            "--tier",
            tier,
            "--invoke",
            "addsub",
            &file,
            "i32x4:1,2,3,10",
            "i32x4:5,-2,0,4",
        ]);
        assert_eq!(
            stdout(&out),
            "0x0000000e000000030000000000000006\n6\n",
            "{tier}: {}",
            stderr(&out)
        );
        let out = wexe(&[
            "run", "--tier", tier, "--invoke", "addsub", &file, "0x1", "-1",
        ]);
        assert_eq!(
            stdout(&out),
            "0xffffffffffffffffffffffff00000000\n1\n",
            "{tier}: {}",
            stderr(&out)
        );
        let out = wexe(&[
            "run",
            "--tier",
            tier,
            "--invoke",
            "scale",
            &file,
            "f32x4:1,-2,0.5,inf",
            "2",
        ]);
        assert_eq!(
            stdout(&out),
            "0x7f8000003f800000c080000040000000\n",
            "{tier}: {}",
            stderr(&out)
        );
        let out = wexe(&[
            "run",
            "--tier",
            tier,
            "--invoke",
            "scale",
            &file,
            "i32x4:1,2",
            "2",
        ]);
        let line = one_line_error(&out);
        assert!(line.contains("must be of type v128"), "{tier}: {line}");
    }
}

#[test]
fn file_alone_means_run_and_later_flags_belong_to_the_program() {
    let dir = scratch("shorthand");
    let ok = write(
        &dir,
        "ok.wat",
        r#"(module (func (export "_start")) (func (export "other")))"#,
    );
    let out = wexe(&[&ok]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    // `--invoke` after FILE is the program's argument, so `_start` runs and nothing is printed.
    let out = wexe(&[&ok, "--invoke", "other", "-x"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = wexe(&["--tier", "interp", &ok]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let add = write(&dir, "add.wat", ADD);
    let line = one_line_error(&wexe(&[&add, "--invoke", "add", "1", "2"]));
    assert!(line.contains("no `_start`"), "{line}");
    assert!(line.contains("--invoke"), "{line}");

    // A `_start` that takes or returns values is no command's: refused before it runs, the
    // same way for `wexe run` and for binfmt runs (`wexe-binfmt FILE ARGV0`).
    let odd = write(
        &dir,
        "odd.wat",
        r#"(module (func (export "_start") (param i32) (result i32) local.get 0))"#,
    );
    let line = one_line_error(&wexe(&[&odd]));
    assert!(
        line.contains("`_start` takes (i32) and returns (i32)"),
        "{line}"
    );
    let odd_wasm = dir.join("odd.wasm");
    std::fs::write(&odd_wasm, wat::parse_file(&odd).unwrap()).unwrap();
    let link = dir.join("wexe-binfmt");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wexe"), &link).unwrap();
    let out = std::process::Command::new(&link)
        .args([odd_wasm.to_str().unwrap(), "odd"])
        .output()
        .unwrap();
    let binfmt_line = one_line_error(&out);
    assert!(
        binfmt_line.contains("`_start` takes (i32) and returns (i32)"),
        "{binfmt_line}"
    );
}

#[test]
fn errors_before_the_program_runs_exit_1_with_one_line() {
    let dir = scratch("errors");
    let missing = dir.join("missing.wasm");
    let line = one_line_error(&wexe(&[missing.to_str().unwrap()]));
    assert!(line.contains("cannot read"), "{line}");

    let truncated = write(&dir, "trunc.wasm", b"\0asm\x01\0\0");
    let line = one_line_error(&wexe(&["run", &truncated]));
    assert!(line.contains("offset"), "{line}");

    let invalid = write(
        &dir,
        "bad.wat",
        "(module (func (result i32) (i64.const 1)))",
    );
    let line = one_line_error(&wexe(&["run", &invalid]));
    assert!(line.contains("type mismatch"), "{line}");
    assert!(line.contains("offset 0x"), "{line}");

    let unparsable = write(&dir, "syntax.wat", "(module (func (i32.const 1)");
    let line = one_line_error(&wexe(&["run", &unparsable]));
    assert!(line.contains("syntax.wat:1:"), "{line}");

    let import = write(&dir, "imp.wat", r#"(module (import "env" "f" (func)))"#);
    let line = one_line_error(&wexe(&["run", &import]));
    assert!(line.contains("unknown import"), "{line}");
    assert!(line.contains("env::f"), "{line}");
}

#[test]
fn bad_invoke_arguments_and_flags_exit_1() {
    let dir = scratch("args");
    let add = write(&dir, "add.wat", ADD);
    let line = one_line_error(&wexe(&["run", "--invoke", "add", &add, "1"]));
    assert!(
        line.contains("takes 2 arguments (i32, i32), got 1"),
        "{line}"
    );
    let line = one_line_error(&wexe(&["run", "--invoke", "add", &add, "1", "x"]));
    assert!(line.contains("argument 2"), "{line}");
    let line = one_line_error(&wexe(&["run", "--invoke", "add", &add, "1", "99999999999"]));
    assert!(line.contains("i32"), "{line}");
    let line = one_line_error(&wexe(&["run", "--invoke", "nope", &add]));
    assert!(
        line.contains("`nope`") && line.contains("add, div, mix"),
        "{line}"
    );

    let line = one_line_error(&wexe(&["run", "--bogus", &add]));
    assert!(line.contains("--bogus"), "{line}");
    let line = one_line_error(&wexe(&["run", "--tier", "fast", &add]));
    assert!(line.contains("fast"), "{line}");
    let line = one_line_error(&wexe(&["wast"]));
    assert!(line.contains("FILE"), "{line}");
}

#[test]
fn an_uncaught_exception_exits_134_naming_its_tag_with_a_backtrace() {
    let dir = scratch("uncaught");
    let wat = write(
        &dir,
        "throw.wat",
        r#"(module (tag $boom (export "boom") (param i32))
             (func $f (throw $boom (i32.const 1)))
             (func (export "g") (call $f)))"#,
    );
    for tier in ["interp", "jit"] {
        let out = wexe(&["run", "--tier", tier, "--invoke", "g", &wat]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(134), "{tier}: {err}");
        assert!(
            err.starts_with("error: uncaught wasm exception (tag `boom`)\n"),
            "{tier}: {err}"
        );
        assert!(err.contains("wasm backtrace"), "{tier}: {err}");
        assert!(err.contains(" - f\n"), "{tier}: {err}");
    }
}

#[test]
fn a_trap_exits_134_with_the_trap_and_a_backtrace() {
    let dir = scratch("trap");
    let add = write(&dir, "add.wat", ADD);
    let out = wexe(&["run", "--invoke", "div", &add, "1", "0"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(134), "{err}");
    assert!(
        err.starts_with("error: wasm trap: integer divide by zero\n"),
        "{err}"
    );
    assert!(err.contains("wasm backtrace"), "{err}");
    assert_eq!(stdout(&out), "");

    let named = write(
        &dir,
        "named.wat",
        r#"(module $prog
  (func $boom (unreachable))
  (func $main (export "_start") (call $boom)))"#,
    );
    let out = wexe(&[&named]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(134), "{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert!(err.contains("prog!boom"), "{err}");
    assert!(err.contains("prog!main"), "{err}");

    // A trap in the start function, during instantiation.
    let start = write(
        &dir,
        "start.wat",
        "(module (memory 1) (func $s (drop (i32.load (i32.const 65536)))) (start $s))",
    );
    let out = wexe(&["run", &start]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(stderr(&out).contains("out of bounds memory access"));
}

#[test]
fn deep_recursion_is_a_short_call_stack_exhausted_report() {
    let dir = scratch("recursion");
    let rec = write(
        &dir,
        "rec.wat",
        r#"(module (func $f (export "_start") (call $f)))"#,
    );
    let out = wexe(&[&rec]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(134), "{err}");
    assert!(err.contains("call stack exhausted"), "{err}");
    assert!(err.lines().count() < 50, "{} lines", err.lines().count());
}

const PASSING: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
"#;

#[test]
fn wast_reports_counts_on_the_last_line() {
    let dir = scratch("wast");
    let pass = write(&dir, "pass.wast", PASSING);
    let out = wexe(&["wast", &pass]);
    assert_eq!(stdout(&out).lines().last(), Some("4 passed, 0 failed"));
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let failing = PASSING.replace("(i32.const 5))", "(i32.const 6))");
    let fail = write(&dir, "fail.wast", failing);
    let out = wexe(&["wast", "--tier", "interp", &pass, &fail]);
    let text = stdout(&out);
    assert_eq!(text.lines().last(), Some("7 passed, 1 failed"), "{text}");
    assert_eq!(out.status.code(), Some(1));
    let failure = format!("{fail}:4:");
    let line = text.lines().find(|l| l.starts_with(&failure));
    assert!(
        line.is_some_and(|l| l.contains("expected i32:6, got i32:5")),
        "{text}"
    );

    let missing = dir.join("missing.wast");
    let out = wexe(&["wast", missing.to_str().unwrap()]);
    assert_eq!(stdout(&out).lines().last(), Some("0 passed, 1 failed"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn help_has_examples_for_each_subcommand() {
    for args in [&["--help"][..], &["run", "--help"], &["wast", "--help"]] {
        let out = wexe(args);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains("Examples:"), "{args:?}");
    }
    let out = wexe(&["run", "--help"]);
    assert!(stdout(&out).contains("wexe run --invoke add add.wat 2 3"));
}

#[test]
fn fuel_and_timeout_stop_a_runaway_program() {
    let dir = tempfile::tempdir().unwrap();
    let spin = dir.path().join("spin.wat");
    std::fs::write(
        &spin,
        r#"(module (func (export "_start") (loop $l (br $l))))"#,
    )
    .unwrap();
    let spin = spin.to_str().unwrap();
    let out = wexe(&["run", "--timeout", "200ms", spin]);
    assert_eq!(out.status.code(), Some(134));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let out = wexe(&["run", "--fuel", "10000", spin]);
    assert_eq!(out.status.code(), Some(134));
    assert!(String::from_utf8_lossy(&out.stderr).contains("all fuel consumed"));
    let out = wexe(&["run", "--timeout", "soon", spin]);
    assert_eq!(out.status.code(), Some(1));
    // Enough fuel lets a terminating program finish.
    let add = dir.path().join("add.wat");
    std::fs::write(&add, r#"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#).unwrap();
    let out = wexe(&[
        "run",
        "--fuel",
        "10",
        "--invoke",
        "add",
        add.to_str().unwrap(),
        "2",
        "3",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "5\n");
}

#[test]
fn proposals_not_supported_or_turned_off_are_refused_with_one_line() {
    let dir = scratch("features");
    // 3.0's types (struct types, recursion groups, `anyref`) are accepted; GC's instructions
    // and declared subtypes are refused, naming the instruction, the proposal and the offset.
    let gc = write(&dir, "gc.wat", "(module (type (struct (field i32))))");
    assert_eq!(wexe(&["validate", &gc]).status.code(), Some(0));
    let refused = [
        (
            "struct.wat",
            r#"(module (type $s (struct (field i32)))
                 (func (export "_start") (drop (struct.new $s (i32.const 1)))))"#,
            "the instruction struct.new",
        ),
        (
            "cast.wat",
            r#"(module (func (export "_start") (param funcref)
                 (drop (ref.test (ref nofunc) (local.get 0)))))"#,
            "the instruction ref.test",
        ),
        (
            "i31.wat",
            "(module (global anyref (ref.i31 (i32.const 1))))",
            "the instruction ref.i31 in a constant expression",
        ),
        (
            "sub.wat",
            "(module (type $a (sub (func))) (type (sub $a (func))))",
            "declared subtypes",
        ),
    ];
    for (file, text, what) in refused {
        let path = write(&dir, file, text);
        let line = one_line_error(&wexe(&["run", &path]));
        let validated = wexe(&["validate", &path]);
        assert_eq!(validated.status.code(), Some(1), "{file}");
        for line in [line, stdout(&validated)] {
            assert!(
                line.contains(what)
                    && line.contains("the gc proposal, is not supported yet")
                    && line.contains("offset 0x"),
                "{file}: {line}"
            );
        }
    }
    // Without typed references (2.0), even GC's types are refused.
    let line = one_line_error(&wexe(&["run", "-W", "function-references=n", &gc]));
    assert!(
        line.contains("gc feature") && line.contains("offset 0x"),
        "{line}"
    );
    let threads = write(&dir, "threads.wat", "(module (memory 1 1 shared))");
    let line = one_line_error(&wexe(&["run", &threads]));
    assert!(
        line.contains("threads") && line.contains("offset 0x"),
        "{line}"
    );
    let line = one_line_error(&wexe(&["run", "-W", "gc=y", &gc]));
    assert!(line.contains("gc proposal is not supported"), "{line}");

    // A feature on by default, turned off: the module using it is refused, in every command.
    let simd = write(
        &dir,
        "simd.wat",
        r#"(module (func (export "_start") (drop (v128.const i64x2 0 0))))"#,
    );
    assert_eq!(wexe(&["run", &simd]).status.code(), Some(0));
    for cmd in ["run", "validate", "inspect", "compile"] {
        let out = wexe(&[cmd, "-W", "simd=n", &simd]);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_ne!(out.status.code(), Some(0), "{cmd}: {text}");
        assert!(
            text.contains("SIMD support is not enabled"),
            "{cmd}: {text}"
        );
    }
    let line = one_line_error(&wexe(&["run", "-W", "tail_call", &simd]));
    assert!(line.contains("unknown WebAssembly feature"), "{line}");
}
