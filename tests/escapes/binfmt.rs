//! Programs started through binfmt_misc (`./app.wasm`) get grants by their policy's rules
//! (docs/binfmt.md): a program must never get the grants of another path. Attacks: a path that
//! cannot be resolved (longer than `PATH_MAX` once its symlinks are followed) that reads as if
//! it were under a granted directory, and a symlink swapped between reading the program and
//! matching its path. wexe is started as `wexe-binfmt FILE ARGV0 ARGS...`, as the kernel does;
//! binfmt runs have no tier option, and these attacks end before any code runs, so they run
//! once.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::harness::{Run, SECRET, World, c_program, command_in, wat_program};

/// Runs `wexe-binfmt ARGS...` (a link of that name to the test's `wexe`) in the world's root.
pub fn run_binfmt(w: &World, args: &[&str]) -> Run {
    let bin = w.path("bin");
    let link = bin.join("wexe-binfmt");
    if !link.exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wexe"), &link).unwrap();
    }
    command_in(w, w.root(), &link, args)
}

/// The user's policy: programs under `trusted/` get `outside/` as `/secret`.
fn trusting_policy(w: &World) {
    let dir = w.home().join(".config/wexe");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("policy.toml"),
        format!(
            "[[program]]\npath = \"{}/\"\ndirs = [{{ host = \"{}\", guest = \"/secret\" }}]\n",
            w.path("trusted").display(),
            w.outside().display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(w.path("trusted")).unwrap();
    std::fs::create_dir_all(w.path("elsewhere")).unwrap();
}

/// Makes `levels` nested directories named `name` under `dir` (by descriptors, since their
/// paths outgrow `PATH_MAX`) and a symlink `link -> target` in the deepest one.
fn nest(dir: &Path, name: &str, levels: usize, link: (&str, &str)) {
    let c = |s: &str| CString::new(s).unwrap();
    let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
    // SAFETY: plain system calls on descriptors this function owns and closes.
    unsafe {
        let mut fd = libc::open(path.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
        assert!(fd >= 0);
        for _ in 0..levels {
            let r = libc::mkdirat(fd, c(name).as_ptr(), 0o755);
            assert!(r == 0 || *libc::__errno_location() == libc::EEXIST);
            let next = libc::openat(fd, c(name).as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        assert_eq!(
            libc::symlinkat(c(link.1).as_ptr(), fd, c(link.0).as_ptr()),
            0
        );
        libc::close(fd);
    }
}

#[test]
fn an_unresolvable_path_matches_no_rule() {
    let mut w = World::new();
    trusting_policy(&w);
    c_program("cat_file", &w.path("elsewhere"));
    // trusted/a -> deep/Y^13, and there b -> Y^12: trusted/a/b is 25 levels of 200-byte names
    // deep (over 5,000 bytes, more than PATH_MAX), and 26 `..` climb back to the root.
    let y = "Y".repeat(200);
    let deep = w.path("deep");
    std::fs::create_dir(&deep).unwrap();
    let chain = |n: usize| vec![y.as_str(); n].join("/");
    nest(&deep, &y, 13, ("b", &chain(12)));
    nest(&deep, &y, 25, ("end", "."));
    std::os::unix::fs::symlink(format!("../deep/{}", chain(13)), w.path("trusted/a")).unwrap();
    let raw = format!(
        "{}/trusted/a/b/{}elsewhere/cat_file.wasm",
        w.root().display(),
        "../".repeat(26)
    );
    assert!(
        std::fs::canonicalize(&raw).is_err(),
        "realpath must fail here"
    );
    assert!(std::fs::File::open(&raw).is_ok(), "open must work");
    w.seal();
    let run = run_binfmt(&w, &[&raw, "app", "/secret/secret.txt"]);
    assert!(!run.stdout.contains(SECRET), "the secret leaked: {run:#?}");
    run.assert_status(3);
    assert_eq!(run.stdout, "cannot open /secret/secret.txt\n");
    w.assert_untouched();
}

/// A program that prints `trusted` and reads nothing.
const TRUSTED: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "trusted\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn a_symlink_swapped_during_the_check_gets_no_other_grants() {
    let mut w = World::new();
    trusting_policy(&w);
    // The evil program reads the file it is given; the trusted one does not.
    c_program("cat_file", &w.path("elsewhere"));
    wat_program("good", &w.path("trusted"), TRUSTED);
    let link = w.path("link.wasm");
    let tmp: PathBuf = w.path("link.tmp");
    std::os::unix::fs::symlink("trusted/good.wasm", &link).unwrap();
    w.may_change("link.wasm");
    w.may_change("link.tmp");
    w.seal();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for target in ["trusted/good.wasm", "elsewhere/cat_file.wasm"] {
                    let _ = std::fs::remove_file(&tmp);
                    std::os::unix::fs::symlink(target, &tmp).unwrap();
                    std::fs::rename(&tmp, &link).unwrap();
                }
            }
        });
        race(&w, &link, 300);
        stop.store(true, Ordering::Relaxed);
    });
    w.assert_untouched();
}

/// Runs `link` through binfmt `runs` times while something flips it between the trusted and
/// the evil program: the evil program must never read the secret, and both must have run.
fn race(w: &World, link: &Path, runs: usize) {
    let (mut leaks, mut evil_runs, mut trusted_runs) = (0, 0, 0);
    for _ in 0..runs {
        let run = run_binfmt(w, &[link.to_str().unwrap(), "app", "/secret/secret.txt"]);
        if run.stdout.contains(SECRET) {
            leaks += 1;
        } else if run.stdout == "trusted\n" {
            trusted_runs += 1;
        } else if run.stdout == "cannot open /secret/secret.txt\n" {
            evil_runs += 1;
        }
    }
    assert_eq!(
        leaks, 0,
        "the evil program got the trusted program's grants ({leaks} of {runs} runs; \
         {evil_runs} evil runs refused, {trusted_runs} trusted runs)"
    );
    assert!(
        evil_runs > 0 && trusted_runs > 0,
        "the swap raced: {evil_runs} / {trusted_runs}"
    );
}

// The same race, run by a guest in each tier: it was granted only `granted/`, and flips a
// symlink there with WASI calls while the host runs it through binfmt.
crate::both_tiers!(a_guest_flipping_a_symlink_gets_no_other_grants, |tier| {
    let mut w = World::new();
    trusting_policy(&w);
    c_program("cat_file", &w.path("elsewhere"));
    wat_program("good", &w.path("trusted"), TRUSTED);
    let flip = c_program("flip_link", w.root());
    let link = w.granted().join("link.wasm");
    std::os::unix::fs::symlink("../trusted/good.wasm", &link).unwrap();
    w.seal();
    let granted = format!("{}::/g", w.granted().display());
    let guest = std::process::Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args([
            "run",
            "--tier",
            tier,
            "--dir",
            &granted,
            flip.to_str().unwrap(),
        ])
        .args([
            "/g/link.wasm",
            "../trusted/good.wasm",
            "../elsewhere/cat_file.wasm",
        ])
        .arg("/g/stop")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    race(&w, &link, 150);
    std::fs::write(w.granted().join("stop"), "").unwrap();
    let out = guest.wait_with_output().unwrap();
    assert!(out.status.success(), "the guest failed: {out:?}");
    w.assert_untouched();
});
