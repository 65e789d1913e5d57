//! Native code from untrusted files: a compiled module (`wexe compile`'s machine code) under a
//! `.wasm` name, and forged entries in the on-disk cache of compiled code — written by the
//! host, and by a guest that was granted the home directory. Machine code must run only from a
//! file the user named as such, and a cache entry only when wexe can prove it wrote it.

use std::path::{Path, PathBuf};

use crate::both_tiers;
use crate::harness::{World, c_program, wat_program};

/// The victim: `f` returns 1.
const HONEST: &str = r#"(module (func (export "f") (result i32) i32.const 1))"#;
/// The attacker's code: `f` returns 666 (think: shellcode with the user's rights).
const EVIL: &str = r#"(module (func (export "f") (result i32) i32.const 666))"#;

both_tiers!(a_compiled_module_named_wasm_is_not_run, |tier| {
    let mut w = World::new();
    let evil = wat_program("evil", w.root(), EVIL);
    let out = w.path("evil.cwasm");
    w.wexe(&[
        "compile",
        evil.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
    .assert_status(0);
    // The forged "app.wasm" is machine code.
    let app = w.granted().join("app.wasm");
    std::fs::rename(&out, &app).unwrap();
    w.seal();
    let app = app.to_str().unwrap();
    let run = w.wexe(&["run", "--tier", tier, "--invoke", "f", app]);
    run.assert_status(1).assert_stderr("--allow-precompiled");
    assert_eq!(run.stdout, "", "the machine code ran");
    // Through binfmt (`./app.wasm`) it is not even WebAssembly.
    let run = crate::binfmt::run_binfmt(&w, &[app, "app"]);
    run.assert_status(1).assert_stderr("invalid module");
    assert_eq!(run.stdout, "");
    // Asked for explicitly, it runs (the JIT tier only).
    let run = w.wexe(&[
        "run",
        "--tier",
        tier,
        "--allow-precompiled",
        "--invoke",
        "f",
        app,
    ]);
    if tier == "jit" {
        run.assert_status(0);
        assert_eq!(run.stdout, "666\n");
    } else {
        run.assert_status(1).assert_stderr("JIT");
    }
    w.assert_untouched();
});

/// The cache's entries, newest last.
fn cache_entries(w: &World) -> Vec<PathBuf> {
    let dir = w.home().join(".cache/wexe");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "wexe"));
    v.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    v
}

/// Runs `module`'s `f` with the cache on and returns the cache entry that appeared.
fn cached_entry(w: &World, module: &Path) -> PathBuf {
    let before = cache_entries(w);
    let run = w.wexe(&[
        "run",
        "--tier",
        "jit",
        "--invoke",
        "f",
        module.to_str().unwrap(),
    ]);
    run.assert_status(0);
    let after = cache_entries(w);
    let new: Vec<_> = after.iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(new.len(), 1, "one new cache entry: {after:?}");
    new[0].clone()
}

/// `victim`'s cache entry forged from `evil_entry`: the evil code with the victim's wasm bytes
/// in it, so that the lookup's comparisons match, and the CRC-32 of the old unkeyed format
/// recomputed when the file ends in one (anyone can compute it); a keyed tag is kept as it
/// was, since the attacker cannot compute it.
fn forge(evil_entry: &[u8], evil_wasm: &[u8], victim_wasm: &[u8]) -> Vec<u8> {
    let at = evil_entry
        .windows(evil_wasm.len())
        .position(|w| w == evil_wasm)
        .expect("the wasm bytes are in the entry");
    let mut out = evil_entry[..at - 8].to_vec();
    out.extend_from_slice(&(victim_wasm.len() as u64).to_le_bytes());
    out.extend_from_slice(victim_wasm);
    out.extend_from_slice(&evil_entry[at + evil_wasm.len()..]);
    let n = evil_entry.len();
    let crc = |b: &[u8]| crc32fast::hash(b).to_le_bytes();
    if evil_entry[n - 4..] == crc(&evil_entry[..n - 4]) {
        let m = out.len();
        let fixed = crc(&out[..m - 4]);
        out[m - 4..].copy_from_slice(&fixed);
    }
    out
}

/// The scene of a cache forgery: the honest module, the path of its cache entry, and the
/// forged contents for that entry (the evil module's code).
struct Forgery {
    honest: PathBuf,
    victim_entry: PathBuf,
    forged: Vec<u8>,
}

fn prepare_forgery(w: &World) -> Forgery {
    let honest = wat_program("honest", w.root(), HONEST);
    let evil = wat_program("evil", w.root(), EVIL);
    let victim_entry = cached_entry(w, &honest);
    let evil_entry = cached_entry(w, &evil);
    let forged = forge(
        &std::fs::read(&evil_entry).unwrap(),
        &std::fs::read(&evil).unwrap(),
        &std::fs::read(&honest).unwrap(),
    );
    Forgery {
        honest,
        victim_entry,
        forged,
    }
}

/// Runs the honest module in the JIT (the tier that reads the cache): its own code must run.
fn assert_honest_code_runs(w: &World, f: &Forgery) {
    let honest = f.honest.to_str().unwrap();
    let run = w.wexe(&["run", "--tier", "jit", "--invoke", "f", honest]);
    run.assert_status(0);
    assert_eq!(run.stdout, "1\n", "the forged entry ran");
    w.assert_untouched();
}

#[test]
fn a_forged_cache_entry_is_never_run() {
    let mut w = World::new();
    let f = prepare_forgery(&w);
    std::fs::write(&f.victim_entry, &f.forged).unwrap();
    w.seal();
    assert_honest_code_runs(&w, &f);
}

// The guest runs in each tier; its victim in the JIT, the tier that reads the cache.
both_tiers!(
    a_guest_granted_the_home_cannot_plant_code_in_the_cache,
    |tier| {
        let mut w = World::new();
        let f = prepare_forgery(&w);
        let copy = c_program("copy_file", w.root());
        // The guest brings its forgery along and is granted the home directory (as `./prog.wasm`
        // run from the home is by binfmt's default policy).
        std::fs::write(w.home().join("forged.bin"), &f.forged).unwrap();
        let target = format!(
            "/home/.cache/wexe/{}",
            f.victim_entry.file_name().unwrap().to_str().unwrap()
        );
        let home = format!("{}::/home", w.home().display());
        let copy = copy.to_str().unwrap();
        let run = w.wexe(&[
            "run",
            "--tier",
            tier,
            "--dir",
            &home,
            copy,
            "/home/forged.bin",
            &target,
        ]);
        run.assert_status(0);
        let planted = std::fs::read(&f.victim_entry).unwrap();
        assert_eq!(planted, f.forged, "the guest wrote it");
        w.seal();
        assert_honest_code_runs(&w, &f);
    }
);
