//! The everyday subcommands end to end: `wexe validate`, `wexe inspect`, `wexe run --preload`,
//! trap reports (demangled names, DWARF lines), `wexe binfmt policy` and binfmt mode started
//! through a `wexe-binfmt` link the way the kernel starts it (no registration needed).

#[path = "common/prerequisite.rs"]
mod prerequisite;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/binfmt");

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn wexe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(args)
        .output()
        .expect("the wexe binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The binary form of a fixture `.wat`, written to `dir`.
fn assemble(dir: &Path, wat_name: &str) -> PathBuf {
    let binary = wat::parse_file(fixture(wat_name)).unwrap();
    let path = dir.join(wat_name.replace(".wat", ".wasm"));
    std::fs::write(&path, binary).unwrap();
    path
}

#[test]
fn validate_reports_valid_and_invalid_modules_with_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wasm");
    // A valid header, then a type section that claims more bytes than there are.
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x01\x05\x01\x60").unwrap();
    let out = wexe(&[
        "validate",
        &fixture("proc_exit.wasm"),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("proc_exit.wasm: valid"), "{stdout}");
    assert!(stdout.contains("bad.wasm: invalid: "), "{stdout}");
    assert!(stdout.contains("(at offset 0x"), "{stdout}");

    let out = wexe(&["validate", &fixture("trap.wat")]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn inspect_lists_imports_exports_sections_and_producers() {
    let out = wexe(&["inspect", &fixture("proc_exit.wasm")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("wasi_snapshot_preview1::proc_exit: func (i32) -> ()"),
        "{s}"
    );
    assert!(s.contains("memory: memory min 16, no max"), "{s}");
    assert!(s.contains("_start: func () -> ()"), "{s}");
    assert!(
        s.contains("import                   offset     0x14  size 36"),
        "{s}"
    );
    assert!(
        s.contains("code                     offset     0x58  size 9"),
        "{s}"
    );

    // A module with a name and a producers section (written by hand: tool `wexe-test` 1.0).
    let dir = tempfile::tempdir().unwrap();
    let mut bytes =
        wat::parse_str("(module $demo (memory 1 2) (global (mut i32) (i32.const 0)))").unwrap();
    let mut producers = vec![9u8];
    producers.extend(b"producers");
    producers.extend([1, 12]);
    producers.extend(b"processed-by");
    producers.extend([1, 9]);
    producers.extend(b"wexe-test");
    producers.extend([3]);
    producers.extend(b"1.0");
    bytes.push(0);
    bytes.push(producers.len() as u8);
    bytes.extend(producers);
    let path = dir.path().join("demo.wasm");
    std::fs::write(&path, bytes).unwrap();
    let out = wexe(&["inspect", path.to_str().unwrap()]);
    let s = text(&out.stdout);
    assert!(s.contains("name: demo"), "{s}");
    assert!(s.contains("0: memory min 1, max 2"), "{s}");
    assert!(s.contains("0: global mut i32"), "{s}");
    assert!(s.contains("custom \"producers\""), "{s}");
    assert!(s.contains("  processed-by: wexe-test 1.0"), "{s}");
}

#[test]
fn preload_links_another_modules_exports() {
    let lib = format!("math={}", fixture("math.wat"));
    let out = wexe(&[
        "run",
        "--preload",
        &lib,
        "--invoke",
        "quad",
        &fixture("uses_math.wat"),
        "5",
    ]);
    assert_eq!(text(&out.stdout), "20\n", "{}", text(&out.stderr));
    let out = wexe(&["run", "--preload", "math", &fixture("uses_math.wat")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--preload expects NAME=PATH"));
}

#[test]
fn traps_report_demangled_names_and_offsets() {
    let out = wexe(&["run", &fixture("trap.wat")]);
    assert_eq!(out.status.code(), Some(134));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0], "error: wasm trap: integer divide by zero",
        "{err}"
    );
    assert!(lines[2].ends_with(" - core::panicking::panic"), "{err}");
    assert!(lines[2].trim_start().starts_with("0: 0x"), "{err}");
    assert!(lines[3].ends_with(" - middle(int)"), "{err}");
    assert!(lines[4].ends_with(" - <wasm function 2>"), "{err}");
}

/// Compiles a C++ file with debug info when clang++ for wasm32 is here; `None` (and a visible
/// note, or under CI a failure) otherwise.
fn compile_cpp(dir: &Path, source: &str) -> Option<PathBuf> {
    let src = dir.join("div.cc");
    std::fs::write(&src, source).unwrap();
    let out = dir.join("div.wasm");
    let ok = Command::new("clang++")
        .args([
            "--target=wasm32",
            "-nostdlib",
            "-g",
            "-O0",
            "-Wl,--no-entry",
            "-o",
        ])
        .arg(&out)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        prerequisite::missing(
            "dwarf check",
            "clang++ for wasm32 missing (bash scripts/install-wasm-toolchain.sh)",
        );
    }
    ok.then_some(out)
}

/// Without its compiler the DWARF test skips with a note, except under `CI=true`, where it
/// fails: the test binary runs that one test again with no `PATH`, once each way.
#[test]
fn the_dwarf_test_fails_under_ci_when_its_compiler_is_missing() {
    let run = |ci: Option<&str>| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "trap_reports_show_source_lines_from_dwarf",
            "--nocapture",
        ])
        .env("PATH", "/nonexistent");
        match ci {
            Some(v) => cmd.env("CI", v),
            None => cmd.env_remove("CI"),
        };
        cmd.output().unwrap()
    };
    let outside = run(None);
    assert!(outside.status.success(), "{outside:?}");
    assert!(
        text(&outside.stderr).contains("SKIPPED dwarf check: clang++"),
        "{outside:?}"
    );
    let under_ci = run(Some("true"));
    assert!(!under_ci.status.success(), "{under_ci:?}");
    let err = text(&under_ci.stderr);
    assert!(
        err.contains("CI=true: a missing prerequisite is a failure"),
        "{err}"
    );
}

#[test]
fn trap_reports_show_source_lines_from_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let source = "namespace calc {\n__attribute__((noinline)) int divide(int a, int b) {\n    \
                  return a / b;\n}\n}\nextern \"C\" __attribute__((export_name(\"run\"))) int run(int x) {\n    \
                  return calc::divide(10, x) + 1;\n}\n";
    let Some(wasm) = compile_cpp(dir.path(), source) else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_wexe"))
        .args(["run", "--invoke", "run"])
        .arg(&wasm)
        .arg("0")
        .env("WEXE_BACKTRACE_DETAILS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134));
    let err = text(&out.stderr);
    assert!(err.contains(" - calc::divide(int, int)\n"), "{err}");
    assert!(err.contains("div.cc:3:"), "{err}");
    assert!(err.contains("div.cc:7:"), "{err}");
    let out = wexe(&["run", "--invoke", "run", wasm.to_str().unwrap(), "0"]);
    let err = text(&out.stderr);
    assert!(!err.contains("div.cc:"), "{err}");
    assert!(err.contains("WEXE_BACKTRACE_DETAILS=1"), "{err}");
}

/// `wexe binfmt policy` and binfmt mode with a home directory of the test's own.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(policy: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join(".config/wexe");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(conf.join("policy.toml"), policy).unwrap();
        Home { dir }
    }
    fn policy_file(&self) -> String {
        format!("{}/.config/wexe/policy.toml", self.dir.path().display())
    }
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .current_dir(self.dir.path());
        c
    }
}

#[test]
fn policy_shows_what_a_program_gets() {
    let data = tempfile::tempdir().unwrap();
    let target = fixture("proc_exit.wasm");
    let home = Home::new(&format!(
        "[defaults]\ncwd = \"ro\"\ninherit_env = [\"LANG\"]\n\n[[program]]\npath = \"{target}\"\n\
         dirs = [{{ host = \"{}\", guest = \"/data\", mode = \"rw\" }}]\nenv = {{ GREETING = \"hi\" }}\n\
         tcplisten = [\"127.0.0.1:8080\"]\nmax_memory = \"1MiB\"\nfuel = 1000\ntimeout = \"5s\"\n",
        data.path().display()
    ));
    let out = home
        .command(env!("CARGO_BIN_EXE_wexe"))
        .args(["binfmt", "policy", &target])
        .env("LANG", "C.UTF-8")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    assert!(
        s.contains(&format!("rules        {}:5", home.policy_file())),
        "{s}"
    );
    assert!(
        s.contains(&format!(". -> {} (read-only)", home.dir.path().display())),
        "{s}"
    );
    assert!(
        s.contains(&format!("/data -> {} (read-write)", data.path().display())),
        "{s}"
    );
    assert!(s.contains("  LANG=C.UTF-8\n  GREETING=hi\n"), "{s}");
    assert!(!s.contains("TERM="), "{s}");
    assert!(s.contains("listening    127.0.0.1:8080"), "{s}");
    assert!(s.contains("max memory   1048576 bytes\n"), "{s}");
    assert!(s.contains("fuel         1000\n"), "{s}");
    assert!(s.contains("timeout      5s\n"), "{s}");

    // Another program gets only the defaults.
    let out = home
        .command(env!("CARGO_BIN_EXE_wexe"))
        .args(["binfmt", "policy", &fixture("math.wat")])
        .output()
        .unwrap();
    let s = text(&out.stdout);
    assert!(s.contains("rules        none match"), "{s}");
    assert!(!s.contains("/data"), "{s}");
}

fn assert_policy_error(policy: &str, expected: &str) {
    let home = Home::new(policy);
    let out = home
        .command(env!("CARGO_BIN_EXE_wexe"))
        .args(["binfmt", "policy", &fixture("proc_exit.wasm")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let want = format!("wexe: error: {}:{expected}", home.policy_file());
    assert!(err.starts_with(&want), "{err} does not start with {want}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_policy_files_name_the_file_and_line() {
    assert_policy_error("[defaults]\ncwd = rw\n", "2: ");
    assert_policy_error(
        "\n[[program]]\npath = \"/a.wasm\"\nfules = 3\n",
        "4: unknown field `fules`",
    );
    assert_policy_error(
        "[[program]]\npath = \"/a.wasm\"\n\ndirs = [{ host = \"/no/such/dir/x\" }]\n",
        "4: granted directory /no/such/dir/x does not exist",
    );
    assert_policy_error(
        "[[program]]\nsha256 = \"abc\"\n",
        "2: sha256 must be 64 hex digits",
    );
    assert_policy_error(
        "[[program]]\npath = \"/a\"\ntimeout = \"soon\"\n",
        "3: bad duration",
    );
}

/// A `wexe-binfmt` link to the wexe binary, as `wexe binfmt install` makes.
fn binfmt_link(dir: &Path) -> PathBuf {
    let link = dir.join("wexe-binfmt");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wexe"), &link).unwrap();
    link
}

#[test]
fn binfmt_mode_gives_every_argument_to_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let link = binfmt_link(dir.path());
    let trap = assemble(dir.path(), "trap.wat");
    let home = Home::new("");
    // What the kernel runs for `./trap.wasm --help --version`.
    let out = home
        .command(link.to_str().unwrap())
        .arg(&trap)
        .args(["./trap.wasm", "--help", "--version"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("integer divide by zero"));

    let looped = assemble(dir.path(), "loop.wat");
    std::fs::write(&looped, b"\0asm\x01\0\0\0\x01").unwrap();
    let out = home
        .command(link.to_str().unwrap())
        .arg(&looped)
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("wexe: error: invalid module"),
        "{}",
        text(&out.stderr)
    );

    let out = home.command(link.to_str().unwrap()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("started by the kernel"));
}

#[test]
fn binfmt_mode_runs_nothing_under_a_bad_policy() {
    let dir = tempfile::tempdir().unwrap();
    let link = binfmt_link(dir.path());
    let trap = assemble(dir.path(), "trap.wat");
    let home = Home::new("[[program]]\npath = \"/x.wasm\"\ndirs = [{ host = \"/no/such/dir\" }]\n");
    let out = home
        .command(link.to_str().unwrap())
        .arg(&trap)
        .arg("trap.wasm")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(
        err,
        format!(
            "wexe: error: {}:3: granted directory /no/such/dir does not exist\n",
            home.policy_file()
        )
    );
}
