//! The `wexe` binary with `--tier jit`: results, trap reports with backtraces and exit status
//! 134, deep recursion, and `wexe wast` scripts.

use std::path::PathBuf;
use std::process::{Command, Output};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wexe-cli-jit-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wexe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(args)
        .output()
        .expect("the wexe binary runs")
}

const DEMO: &str = r#"(module $demo
  (func $divide (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $main (export "main") (param i32) (result i32) (call $divide (i32.const 100) (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32) (i32.add (i32.const 1) (call $rec (local.get 0)))))"#;

#[test]
fn run_in_the_jit_prints_results_and_reports_traps() {
    let dir = scratch("run");
    let file = dir.join("demo.wat");
    std::fs::write(&file, DEMO).unwrap();
    let file = file.to_str().unwrap();
    let out = wexe(&["run", "--tier", "jit", "--invoke", "main", file, "7"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "14");
    assert_eq!(out.status.code(), Some(0));

    let out = wexe(&["run", "--tier", "jit", "--invoke", "main", file, "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "{err}");
    assert!(err.contains("integer divide by zero"), "{err}");
    assert!(
        err.contains("demo!divide") && err.contains("demo!main"),
        "{err}"
    );

    let out = wexe(&["run", "--tier", "jit", "--invoke", "rec", file, "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "{err}");
    assert!(err.contains("call stack exhausted"), "{err}");
    assert!(err.contains("demo!rec"), "{err}");
}

#[test]
fn wast_scripts_run_in_the_jit() {
    let dir = scratch("wast");
    let file = dir.join("t.wast");
    std::fs::write(
        &file,
        r#"(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))
           (assert_return (invoke "f" (i32.const 5)) (i32.const 15))
           (assert_trap (module (func $s unreachable) (start $s)) "unreachable")"#,
    )
    .unwrap();
    let out = wexe(&["wast", "--tier", "jit", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

/// `--profile perfmap` writes /tmp/perf-PID.map naming each compiled function (what `perf
/// report` reads); the interpreter has no code to name, so it is refused there.
#[test]
fn profile_perfmap_names_the_compiled_functions() {
    let dir = scratch("perfmap");
    let file = dir.join("demo.wat");
    std::fs::write(&file, DEMO).unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "run",
        "--tier",
        "jit",
        "--no-cache",
        "--profile",
        "perfmap",
        "--invoke",
        "main",
        file,
        "5",
    ];
    let child = Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let map = format!("/tmp/perf-{}.map", child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "20\n");
    let text = std::fs::read_to_string(&map).expect("the map was written");
    let _ = std::fs::remove_file(&map);
    let names: Vec<&str> = text
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let start = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let size = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            assert!(start > 0 && size > 0, "{l}");
            parts.next().unwrap()
        })
        .collect();
    for f in ["divide", "main", "rec"] {
        assert!(names.contains(&f), "{f} in {text}");
    }
    let out = wexe(&["run", "--tier", "interp", "--profile", "perfmap", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JIT tier"));
}
