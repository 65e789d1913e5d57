//! `wexe compile`, `.cwasm` files and the on-disk cache of `wexe run`: compiled once, reused,
//! a corrupt entry recompiled, a foreign or corrupt `.cwasm` refused; `wexe cache` commands.

use std::path::Path;
use std::process::{Command, Output};

fn wexe(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("the wexe binary runs")
}

const ADD: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))"#;

fn entries(cache: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(cache.join("wexe")) {
        Ok(list) => list.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn run_caches_compiled_code_and_recompiles_a_corrupt_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let add = tmp.path().join("add.wat");
    std::fs::write(&add, ADD).unwrap();
    let add = add.to_str().unwrap();
    // The JIT tier's cache: tier-up's (the default) keeps only hot functions.
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--tier") {
            args.extend_from_slice(&["--tier", "jit"]);
        }
        args.extend_from_slice(&["--invoke", "add", add, "40", "2"]);
        let out = wexe(&cache, &args);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "42\n",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["--no-cache"]);
    assert!(entries(&cache).is_empty(), "--no-cache writes nothing");
    run(&[]);
    let e = entries(&cache);
    assert_eq!(e.len(), 1);
    let good = std::fs::read(&e[0]).unwrap();
    run(&[]);
    assert_eq!(entries(&cache).len(), 1, "the second run reuses the entry");
    let mut bad = good.clone();
    let n = bad.len();
    bad[n / 2] ^= 0x55;
    std::fs::write(&e[0], &bad).unwrap();
    run(&[]);
    assert_eq!(
        std::fs::read(&e[0]).unwrap(),
        good,
        "a corrupt entry is recompiled and replaced"
    );
    run(&["--tier", "interp"]);

    let stats = wexe(&cache, &["cache", "stats"]);
    assert!(String::from_utf8_lossy(&stats.stdout).contains("1 entries"));
    let dir = wexe(&cache, &["cache", "dir"]);
    assert_eq!(
        String::from_utf8_lossy(&dir.stdout).trim(),
        cache.join("wexe").to_str().unwrap()
    );
    let clean = wexe(&cache, &["cache", "clean"]);
    assert!(clean.status.success());
    assert!(entries(&cache).is_empty());
}

#[test]
fn compiled_modules_run_and_bad_ones_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let add = tmp.path().join("add.wat");
    std::fs::write(&add, ADD).unwrap();
    let cwasm = tmp.path().join("add.cwasm");
    let out = wexe(&cache, &["compile", add.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cwasm_s = cwasm.to_str().unwrap();
    // Machine code runs only when the user says the file is meant to be machine code.
    let out = wexe(&cache, &["run", "--invoke", "add", cwasm_s, "1", "2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing ran");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--allow-precompiled"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = wexe(
        &cache,
        &[
            "run",
            "--allow-precompiled",
            "--invoke",
            "add",
            cwasm_s,
            "1",
            "2",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");

    let refused = |bytes: &[u8], args: &[&str]| {
        let path = tmp.path().join("bad.cwasm");
        std::fs::write(&path, bytes).unwrap();
        let mut all = vec!["run", "--allow-precompiled"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--invoke", "add", path.to_str().unwrap(), "1", "2"]);
        let out = wexe(&cache, &all);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty(), "nothing ran");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let good = std::fs::read(&cwasm).unwrap();
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 50] ^= 1;
    assert!(refused(&flipped, &[]).contains("checksum"));
    assert!(refused(&good[..good.len() - 10], &[]).contains("compile it again"));
    // Made by "another wexe": the fingerprint inside differs (same length, so it is re-signed
    // only by a real compiler; here the checksum catches it first).
    let mut other = good.clone();
    let at = other
        .windows(14)
        .position(|w| w == b"wexe-cranelift")
        .unwrap();
    other[at] = b'W';
    assert!(!refused(&other, &[]).is_empty());
    // An older format of compiled module is named as such.
    let mut older = good.clone();
    older[7] = b'1';
    assert!(refused(&older, &[]).contains("another version of wexe"));
    assert!(refused(&good, &["--tier", "interp"]).contains("JIT"));
    let out = wexe(&cache, &["compile", "/no/such/file.wasm"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn verbose_says_when_memories_fall_back_to_bounds_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let prog = tmp.path().join("mem.wat");
    std::fs::write(
        &prog,
        r#"(module (memory 1) (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))"#,
    )
    .unwrap();
    let prog = prog.to_str().unwrap();
    let out = wexe(tmp.path(), &["run", "-v", "--invoke", "peek", prog, "7"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("guard pages"));
    // Under a small address-space limit the reservation fails: explicit checks, same results,
    // and out-of-bounds accesses still trap.
    let limited = |addr: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ulimit -v 2000000; exec \"$0\" run -v --no-cache --invoke peek {prog} {addr}"
            ))
            .arg(env!("CARGO_BIN_EXE_wexe"))
            .output()
            .unwrap()
    };
    let out = limited("7");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("explicit bounds checks"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n");
    let out = limited("65536");
    assert_eq!(out.status.code(), Some(134));
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of bounds memory access"));
}

/// A module over the size from which validation is remembered (a 1.1 MiB data segment), with
/// `add` exported; `body` is the body of a second function, valid or not.
fn large_module(body: &str) -> String {
    let data = "\\00".repeat(1100 * 1024);
    format!(
        r#"(module (memory 20) (data (i32.const 0) "{data}")
            (func (export "add") (param i32 i32) (result i32)
              (i32.add (local.get 0) (local.get 1)))
            (func {body}))"#
    )
}

#[test]
fn large_modules_are_validated_once_and_the_mark_is_never_trusted_blindly() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let good = tmp.path().join("good.wat");
    std::fs::write(&good, large_module("(drop (i32.const 1))")).unwrap();
    let bad = tmp.path().join("bad.wat");
    std::fs::write(
        &bad,
        large_module("(drop (i64.add (i32.const 1) (i32.const 2)))"),
    )
    .unwrap();
    // Runs `add` of `file`; whether the bodies were taken as valid from the cache.
    let run = |file: &Path, extra: &[&str]| -> bool {
        let mut args = vec!["run", "-v"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--invoke", "add", file.to_str().unwrap(), "40", "2"]);
        let out = wexe(&cache, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n", "{stderr}");
        stderr.contains("function bodies known valid from the cache")
    };
    assert!(!run(&good, &["--tier", "interp", "--no-cache"]));
    assert!(entries(&cache).is_empty(), "--no-cache writes nothing");
    assert!(
        !run(&good, &["--tier", "auto", "-W", "simd=n"]),
        "the first run validates"
    );
    assert!(
        !run(&good, &["--tier", "interp"]),
        "other features: validated again"
    );
    let marks = entries(&cache);
    // One mark per feature set, and tier-up's entry of hot functions (none here).
    assert!((2..=3).contains(&marks.len()), "{marks:?}");
    for tier in ["interp", "auto", "interp"] {
        assert!(run(&good, &["--tier", tier]), "{tier}: the mark is used");
    }
    assert!(run(&good, &["--tier", "interp", "-W", "simd=n"]));
    // A damaged mark is not believed: the bodies are validated again and the mark rewritten.
    for mark in entries(&cache) {
        let mut bytes = std::fs::read(&mark).unwrap();
        let n = bytes.len();
        bytes[n - 40] ^= 1;
        std::fs::write(&mark, &bytes).unwrap();
    }
    assert!(!run(&good, &["--tier", "interp"]));
    assert!(run(&good, &["--tier", "interp"]));
    // An invalid module is refused every time, and never marked.
    let before = entries(&cache).len();
    for _ in 0..2 {
        let out = wexe(
            &cache,
            &["run", "--invoke", "add", bad.to_str().unwrap(), "1", "2"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("type mismatch"), "{stderr}");
    }
    assert_eq!(entries(&cache).len(), before);
}
