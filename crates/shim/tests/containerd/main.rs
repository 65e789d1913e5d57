//! The shim against a real containerd (`cargo test -p containerd-shim-wexe --test containerd`).
//!
//! One containerd of the test's own serves every check (its root, state, socket and log under a
//! temporary directory; stopped when the checks are done), with `containerd-shim-wexe-v1` on its
//! `PATH`. Images are OCI archives written here (nothing is downloaded) around `probe.wasm`,
//! compiled from tests/programs/probe.c, imported with `ctr image import` and run with
//! `ctr run --rm --runtime io.containerd.wexe.v1`; the binfmt checks run the same program in a
//! plain runc container through a static `wexe-binfmt`. Where the machine cannot run containerd
//! (tools missing, not root, no cgroups) the test says so and passes, but fails under `CI=true`
//! (`tests/common/prerequisite.rs`); scripts/install-containerd.sh installs the tools.

#[path = "../../../../tests/common/prerequisite.rs"]
mod prerequisite;

mod binfmt_checks;
mod daemon;
mod image;
mod shim_checks;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use daemon::Containerd;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What every check gets: the containerd and the test program.
pub struct Fixture {
    pub containerd: Containerd,
    pub probe: Vec<u8>,
}

type Check = fn(&Fixture) -> Result<(), Failed>;

const CHECKS: &[(&str, Check)] = &[
    (
        "output_arguments_environment_and_exit_status",
        shim_checks::output_arguments_environment_and_exit_status,
    ),
    (
        "the_root_filesystem_is_slash_and_nothing_else",
        shim_checks::the_root_filesystem_is_slash_and_nothing_else,
    ),
    (
        "task_kill_stops_a_long_running_program",
        shim_checks::task_kill_stops_a_long_running_program,
    ),
    (
        "twenty_containers_in_parallel",
        shim_checks::twenty_containers_in_parallel,
    ),
    (
        "bad_images_fail_clearly_and_the_next_container_runs",
        shim_checks::bad_images_fail_clearly_and_the_next_container_runs,
    ),
    (
        "the_memory_limit_bounds_wasm_memory",
        shim_checks::the_memory_limit_bounds_wasm_memory,
    ),
    (
        "wasm_layer_images_run_and_are_compiled_once",
        shim_checks::wasm_layer_images_run_and_are_compiled_once,
    ),
    (
        "runc_runs_a_wasm_entrypoint_through_static_binfmt",
        binfmt_checks::runc_runs_a_wasm_entrypoint_through_static_binfmt,
    ),
];

/// Compiles tests/programs/probe.c for wasm32-wasi (clang from
/// scripts/install-wasm-toolchain.sh).
pub fn compile_probe(out: &Path) -> Result<Vec<u8>, String> {
    let status = Command::new("clang")
        .args(["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o"])
        .arg(out)
        .arg(format!("{ROOT}/tests/programs/probe.c"))
        .status()
        .map_err(|e| format!("clang: {e}"))?;
    if !status.success() {
        return Err("clang for wasm32-wasi failed (bash scripts/install-wasm-toolchain.sh)".into());
    }
    std::fs::read(out).map_err(|e| e.to_string())
}

fn set_up() -> Result<Fixture, String> {
    daemon::tools_present()?;
    let shim = PathBuf::from(env!("CARGO_BIN_EXE_containerd-shim-wexe-v1"));
    let containerd = Containerd::start(&shim)?;
    let probe = compile_probe(&containerd.dir().join("probe.wasm"))?;
    shim_checks::import_images(&containerd, &probe);
    Ok(Fixture { containerd, probe })
}

/// A failed check's message with the end of containerd's log (the shims' messages are there),
/// so that a failure seen once, under load, says what containerd and the shim saw.
fn with_log_tail(failed: Failed, containerd: &Containerd) -> Failed {
    let log = containerd.log();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    let message = failed.message().unwrap_or("failed");
    format!("{message}\n--- the last lines of containerd's log\n{tail}").into()
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let fixture = if args.list {
        None
    } else {
        match set_up() {
            Ok(f) => Some(Arc::new(f)),
            Err(why) => {
                prerequisite::missing("containerd tests", &why);
                return ExitCode::SUCCESS;
            }
        }
    };
    let trials = CHECKS
        .iter()
        .map(|&(name, check)| {
            let fixture = fixture.clone();
            Trial::test(name, move || {
                let f = fixture.as_ref().expect("set up");
                check(f).map_err(|e| with_log_tail(e, &f.containerd))
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(fixture); // stops containerd
    if conclusion.has_failed() {
        ExitCode::from(101)
    } else {
        ExitCode::SUCCESS
    }
}
