//! Compiling C guest programs from `tests/programs/` with clang for wasm32-wasi, and running
//! them under wexe with a given context.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use wexe::{Engine, Linker, Module, Store};
use wexe_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

/// The workspace root: the nearest folder above the test's package with the project scripts
/// (this file is also included by the root package's tests).
fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|d| d.join("scripts/install-wasm-toolchain.sh").exists())
        .expect("the workspace root")
        .to_path_buf()
}

/// Installs clang, lld and wasi-libc through the project script when they are missing.
fn toolchain() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let status = Command::new("bash")
            .arg(root().join("scripts/install-wasm-toolchain.sh"))
            .status()
            .expect("run scripts/install-wasm-toolchain.sh");
        assert!(status.success(), "installing the wasm toolchain failed");
    });
}

/// Compiles `tests/programs/NAME.c` (once per test process) and returns the wasm bytes.
pub fn compile(name: &str) -> Vec<u8> {
    toolchain();
    let src = root().join("tests/programs").join(format!("{name}.c"));
    // Unique per call: tests compile the same program concurrently.
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}-{n}.wasm", std::process::id()));
    let output = Command::new("clang")
        .args([
            "--target=wasm32-wasi",
            "--sysroot=/usr",
            "-O2",
            "-Wall",
            "-Werror",
            "-o",
        ])
        .arg(&out)
        .arg(&src)
        .output()
        .expect("run clang");
    assert!(
        output.status.success(),
        "clang failed on {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

/// How a run ended.
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the program `name` with the capabilities `configure` grants (stdout and stderr are
/// captured here). The status is the `proc_exit` code, 0 when `_start` returns.
pub fn run(name: &str, configure: impl FnOnce(&mut WasiCtxBuilder)) -> Outcome {
    run_wasm(&compile(name), configure)
}

pub fn run_wasm(wasm: &[u8], configure: impl FnOnce(&mut WasiCtxBuilder)) -> Outcome {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).expect("module compiles");
    let mut b = WasiCtxBuilder::new();
    let stdout = b.capture_stdout();
    let stderr = b.capture_stderr();
    configure(&mut b);
    let ctx = b.build().expect("context builds");
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    wexe_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    let mut store = Store::new(&engine, ctx);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("_start");
    let status = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => panic!(
                "{name} trapped: {e:?}\nstdout:\n{}\nstderr:\n{}",
                stdout.contents_string(),
                stderr.contents_string(),
                name = "program"
            ),
        },
    };
    Outcome {
        status,
        stdout: stdout.contents_string(),
        stderr: stderr.contents_string(),
    }
}

/// Asserts a run exited 0, showing its output otherwise.
pub fn assert_ok(o: &Outcome) {
    assert_eq!(
        o.status, 0,
        "exit status {}\nstdout:\n{}\nstderr:\n{}",
        o.status, o.stdout, o.stderr
    );
}

/// Runs `wasm` with the host's stdin, stdout and stderr and the given arguments; returns the
/// exit status.
pub fn run_inherited(wasm: &[u8], args: &[&str]) -> i32 {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).expect("module compiles");
    let ctx = WasiCtxBuilder::new()
        .inherit_stdio()
        .args(args.iter().copied())
        .build()
        .unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    wexe_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    let mut store = Store::new(&engine, ctx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => e.downcast_ref::<I32Exit>().map(|x| x.0).unwrap_or(134),
    }
}
