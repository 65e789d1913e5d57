//! The official WASI testsuite (WebAssembly/wasi-testsuite, the wasm32-wasip1 programs written
//! in Rust, C and AssemblyScript, prebuilt in `../shared/wasi-testsuite`): one trial per
//! program and tier (`interp`, `jit`, `auto`), named like `interp/rust/path_link` or `jit/c/fopen-with-access`, each
//! run through the `wexe` command as the suite's `specification.md` says.
//!
//! A program's JSON file (the legacy form; none uses the operation-based one) gives its `args`,
//! its `env` (the whole environment), a `root` directory to preopen as `/`, the expected
//! `exit_code` (default 0) and, when given, the exact `stdout`. `../shared` is read-only, so
//! each trial copies the program and its root into a temporary directory first, which also
//! leaves no `*.cleanup` artefacts behind. `WEXE_WASI_TESTSUITE` names another copy of the suite.
//!
//! `cargo test --test wasi_testsuite`; `cargo test --test wasi_testsuite -- rust/` a selection.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};

/// How long one program may run before its trial fails.
const LIMIT: Duration = Duration::from_secs(120);

/// What a test program's JSON file says.
#[derive(Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Spec {
    args: Vec<String>,
    env: std::collections::BTreeMap<String, String>,
    root: Option<String>,
    exit_code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

fn suite_dir() -> PathBuf {
    match std::env::var_os("WEXE_WASI_TESTSUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/wasi-testsuite"),
    }
}

/// Copies the tree `from` to `to` (files, directories, symlinks as they are), writable.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if !entry.file_name().to_string_lossy().ends_with(".cleanup") {
            std::fs::copy(&src, &dst)?;
            let mut perm = std::fs::metadata(&dst)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&dst, perm)?;
        }
    }
    Ok(())
}

fn run(tier: &str, wasm: &Path) -> Result<(), Failed> {
    let json = wasm.with_extension("json");
    let spec: Spec = match std::fs::read_to_string(&json) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))?,
        Err(_) => Spec::default(),
    };
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let program = tmp.path().join(wasm.file_name().unwrap());
    std::fs::copy(wasm, &program).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wexe"));
    cmd.args(["run", "--tier", tier]);
    if let Some(root) = &spec.root {
        let copy = tmp.path().join("root");
        copy_tree(&wasm.parent().unwrap().join(root), &copy).map_err(|e| e.to_string())?;
        cmd.arg("--dir").arg(format!("{}::/", copy.display()));
    }
    for (name, value) in &spec.env {
        cmd.arg("--env").arg(format!("{name}={value}"));
    }
    cmd.arg(&program).args(&spec.args);
    cmd.current_dir(tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = run_bounded(cmd)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(spec.exit_code) {
        problems.push(format!(
            "exit status {:?}, expected {}",
            out.status.code(),
            spec.exit_code
        ));
    }
    if let Some(want) = &spec.stdout
        && *want != stdout
    {
        problems.push(format!("stdout {stdout:?}, expected {want:?}"));
    }
    if let Some(want) = &spec.stderr
        && *want != stderr
    {
        problems.push(format!("stderr {stderr:?}, expected {want:?}"));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{}\n--- stdout:\n{stdout}--- stderr:\n{stderr}",
        problems.join("\n")
    )
    .into())
}

/// Runs `cmd`, killing it after [`LIMIT`].
fn run_bounded(mut cmd: Command) -> Result<std::process::Output, Failed> {
    let child = cmd.spawn().map_err(|e| format!("cannot start wexe: {e}"))?;
    let pid = child.id();
    let (done, wait) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = done.send(());
        out
    });
    if wait.recv_timeout(LIMIT).is_err() {
        // SAFETY: kill(2) on our own child, not yet reaped (the waiter is still waiting).
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        let _ = waiter.join();
        return Err(format!("killed after {LIMIT:?}").into());
    }
    Ok(waiter.join().unwrap().map_err(|e| e.to_string())?)
}

fn main() {
    let args = Arguments::from_args();
    let dir = suite_dir();
    let mut programs = Vec::new();
    for lang in ["assemblyscript", "c", "rust"] {
        let tests = dir.join(lang).join("wasm32-wasip1");
        let Ok(list) = std::fs::read_dir(&tests) else {
            eprintln!(
                "error: the WASI testsuite is not at {} (set WEXE_WASI_TESTSUITE)",
                tests.display()
            );
            std::process::exit(1);
        };
        for entry in list.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "wasm") {
                programs.push((lang, path));
            }
        }
    }
    programs.sort();
    let mut trials = Vec::new();
    for tier in ["interp", "jit", "auto"] {
        for (lang, wasm) in &programs {
            let stem = wasm.file_stem().unwrap().to_string_lossy();
            let wasm = wasm.clone();
            trials.push(Trial::test(format!("{tier}/{lang}/{stem}"), move || {
                run(tier, &wasm)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
