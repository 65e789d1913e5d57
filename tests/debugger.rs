//! Source-level debugging of guests with a real debugger: C programs compiled with
//! `clang --target=wasm32-wasi -g -O0` run under `gdb -batch` as `wexe run -g`, and the tests
//! assert on what GDB prints — breakpoints by function and by file:line, backtraces with source
//! lines, next/step/finish, variables (integers, floats, arrays, structs, `*p`, `p->field`), a
//! watchpoint on a global, a trap stopping at its source line, a guest's `exit` without a
//! signal, an inlined function of a `-O1` guest as a frame of its own; Rust guests (a WASI testsuite program found by Rust path), guest pointers inside data
//! shown as 4-byte offsets and followed with scripts/wexe-gdb.py's `$guest()` (in LLDB by hand
//! through `__wexe_memory_base`), LLDB on C. Also: `-g` with the interpreter
//! is refused, a module without DWARF still has function names, bad DWARF is skipped with one
//! warning. gdb and clang for wasm32-wasi come from scripts/install-wasm-toolchain.sh; when they
//! are missing the tests say so and pass, except under `CI=true`, where they fail.

#[path = "common/prerequisite.rs"]
mod prerequisite;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WEXE: &str = env!("CARGO_BIN_EXE_wexe");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether gdb runs here (a visible note, under CI a failure, when not).
fn have_gdb() -> bool {
    let ok = Command::new("gdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        prerequisite::missing(
            "debugger tests",
            "gdb missing (scripts/install-wasm-toolchain.sh)",
        );
    }
    ok
}

/// Compiles tests/debugger/NAME.c into `dir` with `flags`; `None` (noted) without clang.
fn compile(dir: &Path, name: &str, flags: &[&str]) -> Option<PathBuf> {
    let out = dir.join(format!("{name}.wasm"));
    let ok = Command::new("clang")
        .args(["--target=wasm32-wasi", "--sysroot=/usr"])
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(format!("{ROOT}/tests/debugger/{name}.c"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        prerequisite::missing(
            name,
            "clang for wasm32-wasi missing (bash scripts/install-wasm-toolchain.sh)",
        );
    }
    ok.then_some(out)
}

/// Runs `wexe run -g WASM` under `gdb -batch` with `commands`; GDB's output (stdout + stderr).
fn gdb(wasm: &Path, commands: &[&str]) -> String {
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch", "-ex", "set breakpoint pending on"]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    cmd.args(["--args", WEXE, "run", "-g", "--no-cache"])
        .arg(wasm);
    let out: Output = cmd.output().expect("gdb runs");
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn assert_has(out: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(out.contains(w), "GDB output lacks {w:?}:\n{out}");
    }
}

fn setup(name: &str, flags: &[&str]) -> Option<(tempfile::TempDir, PathBuf)> {
    if !have_gdb() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let wasm = compile(dir.path(), name, flags)?;
    Some((dir, wasm))
}

#[test]
fn break_on_a_function_shows_the_backtrace_and_every_kind_of_variable() {
    let Some((_dir, wasm)) = setup("points", &["-g", "-O0"]) else {
        return;
    };
    let out = gdb(
        &wasm,
        &[
            "break area",
            "run",
            "bt",
            "print p",
            "print *p",
            "print p->y",
            "print counter",
            "print scale",
            "up",
            "info locals",
            "print arr",
            "print arr[2]",
            "print pt.x",
            "print f",
            "down",
            "finish",
        ],
    );
    assert_has(
        &out,
        &[
            "Breakpoint 1, area (p=0x",
            "points.c:21",
            "#0  area (p=0x",
            // The wasm caller with its line, then host frames of wexe below it.
            "in main () at ",
            "points.c:31",
            "= {x = 3, y = 7}",
            "$3 = 7",
            "$4 = 0",
            "$5 = 2.5",
            "arr = {1, 2, 3, 4}",
            "pt = {x = 3, y = 7}",
            "f = 1.5",
            "s = 10",
            "$7 = 3",
            "$9 = 1.5",
            "Value returned is $10 = 21",
        ],
    );
    assert!(
        out.contains("wexe::") || out.contains("run_on_slots"),
        "no host frames below the wasm ones:\n{out}"
    );
}

#[test]
fn break_on_a_line_then_next_step_and_finish() {
    let Some((_dir, wasm)) = setup("points", &["-g", "-O0"]) else {
        return;
    };
    let out = gdb(
        &wasm,
        &[
            "break points.c:30",
            "run",
            "next",
            "step",
            "bt 2",
            "next",
            "print p->x",
            "finish",
            "next",
            "info locals",
        ],
    );
    assert_has(
        &out,
        &[
            "Breakpoint 1, main () at ",
            "30\t    int s = sum(arr, 4);",
            "31\t    int a = area(&pt);",
            "area (p=0x",
            "#1  0x",
            "21\t    int a = p->x * p->y;",
            "22\t    counter++;",
            "$1 = 3",
            "Value returned is $2 = 21",
            "32\t    printf",
            "a = 21",
        ],
    );
}

#[test]
fn a_watchpoint_on_a_global_stops_where_it_changes() {
    let Some((_dir, wasm)) = setup("points", &["-g", "-O0"]) else {
        return;
    };
    let out = gdb(
        &wasm,
        &[
            "break sum",
            "run",
            "watch counter",
            "continue",
            "bt 1",
            "delete",
            "continue",
        ],
    );
    assert_has(
        &out,
        &[
            "watchpoint 2: counter",
            "Old value = 0",
            "New value = 1",
            "#0  area (p=0x",
            "10 21 1.5 2.5",
        ],
    );
}

#[test]
fn a_trap_stops_in_the_debugger_at_the_faulting_line() {
    let Some((_dir, wasm)) = setup("trap", &["-g", "-O0"]) else {
        return;
    };
    let out = gdb(&wasm, &["run", "bt 2", "info args"]);
    assert_has(
        &out,
        &[
            "received signal SIG",
            "divide (a=10, b=0) at ",
            "trap.c:5",
            "5\t    int q = a / b;",
            "#1  0x",
            "trap.c:11",
        ],
    );
}

/// A guest's `exit` (WASI's `proc_exit`, a host call that ends the program) leaves compiled code
/// without a signal: GDB, with no `handle SIGILL` setting, sees the process exit with the code.
#[test]
fn an_exit_runs_to_its_code_without_a_signal() {
    let Some((_dir, wasm)) = setup("exits", &["-g", "-O0"]) else {
        return;
    };
    let out = gdb(&wasm, &["break leave_with", "run", "bt 2", "continue"]);
    assert_has(
        &out,
        &[
            "Breakpoint 1, leave_with (code=3) at ",
            "#1  0x",
            "exits.c:12",
            "exiting with 3",
            "exited with code 03]",
        ],
    );
    assert!(!out.contains("received signal"), "{out}");
}

/// At -O1, a breakpoint on an inlined function stops in it, `bt` shows it as a frame of its
/// own inlined into its caller (no address of its own), and `finish` steps out to the caller's
/// line. (Its parameters are `<optimized out>`: they live on the wasm operand stack.)
#[test]
fn an_inlined_function_of_an_optimised_guest_is_a_frame_of_its_own() {
    let Some((_dir, wasm)) = setup("inlined", &["-g", "-O1"]) else {
        return;
    };
    let out = gdb(
        &wasm,
        &["break scale", "run", "bt 3", "info frame", "finish"],
    );
    assert_has(
        &out,
        &[
            "hit Breakpoint 1, scale (",
            "inlined.c:6\n",
            "#1  sum_scaled (",
            "inlined.c:13\n",
            "#2  0x",
            "__main_argc_argv (argc=1, ",
            "inlined into frame 1",
            "13\t        total += scale(values[i], factor);",
        ],
    );
}

#[test]
fn without_dwarf_functions_are_still_named() {
    let Some((_dir, wasm)) = setup("points", &["-O0"]) else {
        return;
    };
    let out = gdb(&wasm, &["break area", "run", "bt 2"]);
    assert_has(&out, &["Breakpoint 1, 0x", " in area ()", "#1  0x"]);
}

/// A guest pointer inside data (a struct member, an array element) is not rewritten (see
/// docs/debugging.md): it shows the guest's 32-bit offset, read as 4 bytes, and
/// scripts/wexe-gdb.py's `$guest()` follows it through the image's `__wexe_memory_base`.
#[test]
fn pointers_inside_data_show_their_guest_offsets_and_guest_follows_them() {
    let Some((_dir, wasm)) = setup("linked", &["-g", "-O0"]) else {
        return;
    };
    let source = format!("source {ROOT}/scripts/wexe-gdb.py");
    let out = gdb(
        &wasm,
        &[
            &source,
            "break total",
            "run",
            "print *list",
            "print list->next",
            "print table",
            "print table[1].size",
            "print $guest(list->next)->value",
            "print *$guest(list->next)",
            "print $guest($guest(list->next)->next)->value",
            "print $guest(table[1].name)",
            "print $guest(list)->value",
            "print $guest(list->value)",
            "print $guest(1.5)",
        ],
    );
    assert_has(
        &out,
        &[
            "Breakpoint 1, total (list=0x",
            "$1 = {value = 30, next = 0x",
            "$2 = (node *) 0x",
            "$3 = {{name = 0x",
            ", size = 1}, {name = 0x",
            "$4 = 2",
            "$5 = 20\n",
            "$6 = {value = 20, next = 0x",
            "$7 = 10\n",
            "$8 = 0x",
            " \"two\"\n",
            // A host pointer variable is followed as it is.
            "$9 = 30\n",
            // An integer offset: a byte pointer into linear memory.
            "$10 = (unsigned char *) 0x",
            "$guest: double is not a guest pointer or offset",
        ],
    );
    // Four bytes, not eight: no neighbouring field in the high half.
    let at = out.find("$2 = (node *) 0x").unwrap() + "$2 = (node *) 0x".len();
    let digits = out[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .count();
    assert!((1..=8).contains(&digits), "{out}");
}

/// The WASI testsuite's Rust programs carry DWARF for Rust's standard library (line tables
/// only: no variables) but none for their own crate: their functions are found by Rust path
/// through the symbols, the library's frames show their source lines.
#[test]
fn a_rust_program_without_dwarf_for_its_crate_is_found_by_rust_path() {
    if !have_gdb() {
        return;
    }
    let suite = match std::env::var_os("WEXE_WASI_TESTSUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(ROOT).join("../shared/wasi-testsuite"),
    };
    let wasm = suite.join("rust/wasm32-wasip1/clock_time_get.wasm");
    if !wasm.exists() {
        prerequisite::missing("Rust debugger test", "the WASI testsuite is missing");
        return;
    }
    let out = gdb(&wasm, &["break clock_time_get::main", "run", "bt 20"]);
    assert_has(
        &out,
        &[
            "hit Breakpoint 1, 0x",
            " in clock_time_get::main ()",
            "#0  0x",
            // Symbols without DWARF, by path without crate hashes...
            " in std::rt::lang_start::<()>::{closure#0} ()",
            // ...then frames of the library's DWARF, inlined ones too, with their lines.
            "std::rt::lang_start_internal () at library/std/src/rt.rs:",
            " in _start () at wasisdk://",
            " in wexe trampoline ()",
        ],
    );
}

/// Runs `wexe run -g WASM` under `lldb -b` with `commands`; its output, or `None` (noted)
/// without lldb.
fn lldb(wasm: &Path, commands: &[&str]) -> Option<String> {
    let ok = Command::new("lldb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        prerequisite::missing(
            "lldb test",
            "lldb missing (scripts/install-wasm-toolchain.sh)",
        );
        return None;
    }
    let mut cmd = Command::new("lldb");
    cmd.args(["--no-lldbinit", "-b"]);
    cmd.args(["-o", "settings set plugin.jit-loader.gdb.enable on"]);
    for c in commands {
        cmd.args(["-o", c]);
    }
    cmd.args(["--", WEXE, "run", "-g", "--no-cache"]).arg(wasm);
    let out = cmd.output().expect("lldb runs");
    Some(format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

#[test]
fn lldb_reads_the_same_images() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = compile(dir.path(), "points", &["-g", "-O0"]) else {
        return;
    };
    let Some(out) = lldb(
        &wasm,
        &[
            "breakpoint set -n area",
            "run",
            "bt 3",
            "frame variable",
            "p *p",
            "p p->y",
        ],
    ) else {
        return;
    };
    assert_has(
        &out,
        &[
            "stop reason = breakpoint 1.1",
            "`area(p=0x",
            "points.c:21",
            "`main at points.c:31",
            "(int) a = ",
            "(point) $0 = (x = 3, y = 7)",
            "(int) $1 = 7",
        ],
    );
}

/// In LLDB, a guest pointer inside data is followed by hand through the image's
/// `__wexe_memory_base`, and a C global is found: both are reached through an address LLDB
/// must read from the process, not resolve in the image.
#[test]
fn lldb_follows_a_pointer_inside_data_through_the_memory_base() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = compile(dir.path(), "linked", &["-g", "-O0"]) else {
        return;
    };
    let follow = "(__typeof__(list))(__wexe_memory_base + *(unsigned *)&list->next)";
    let Some(out) = lldb(
        &wasm,
        &[
            "breakpoint set -n total",
            "run",
            "p *list",
            &format!("p *{follow}"),
            &format!("p ({follow})->value"),
            // A C global, found through the module's vmctx cell.
            "target variable table",
        ],
    ) else {
        return;
    };
    assert_has(
        &out,
        &[
            "`total(list=0x",
            "value = 30",
            "(node) $1 = {",
            "value = 20",
            "(int) $2 = 20",
            "(entry[2]) table = {",
            "size = 2",
        ],
    );
}

#[test]
fn debug_info_needs_the_jit_tier() {
    let out = Command::new(WEXE)
        .args(["run", "-g", "--tier", "interp", "x.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("-g (source-level debugging) needs the JIT tier"),
        "{}",
        text(&out.stderr)
    );
    let bad = Command::new(WEXE)
        .args(["run", "-D", "debug-stuff", "x.wasm"])
        .output()
        .unwrap();
    assert!(text(&bad.stderr).contains("unknown debugging option"));
    let mut config = wexe::Config::new();
    config.tier(wexe::Tier::Interp).debug_info(true);
    let err = wexe::Engine::new(&config).expect_err("refused");
    assert!(err.to_string().contains("needs the JIT tier"), "{err}");
}

/// A module whose DWARF sections are garbage or cut short still runs under `-g`; `--verbose`
/// says, in one warning, what was not translated.
#[test]
fn bad_dwarf_never_stops_a_program() {
    let dir = tempfile::tempdir().unwrap();
    let module = |sections: &[(&str, &[u8])]| {
        let mut wat = String::from(
            "(module (func (export \"_start\") (local i32) (local.set 0 (i32.const 1)))",
        );
        for (name, data) in sections {
            let bytes: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
            wat.push_str(&format!(" (@custom \"{name}\" \"{bytes}\")"));
        }
        wat.push(')');
        wat::parse_str(&wat).unwrap()
    };
    // A unit header that promises more than there is, and a line program of noise.
    let cases: [&[(&str, &[u8])]; 3] = [
        &[(".debug_info", &[0x40, 0, 0, 0, 4, 0, 0, 0, 0, 0, 4, 1])],
        &[(".debug_info", &[0xff; 7]), (".debug_line", &[0x13; 40])],
        &[(".debug_info", &[]), (".debug_abbrev", &[1, 2, 3])],
    ];
    for (i, sections) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.wasm"));
        std::fs::write(&path, module(sections)).unwrap();
        let out = Command::new(WEXE)
            .args(["run", "-g", "-v", "--no-cache"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "case {i}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        let warnings = stderr.lines().filter(|l| l.contains("warning")).count();
        assert!(warnings <= 1, "case {i}: more than one warning:\n{stderr}");
        if i < 2 {
            assert_eq!(warnings, 1, "case {i}: no warning:\n{stderr}");
        }
    }
}

/// The DWARF of a real program with bytes flipped here and there, section by section: the
/// module still loads (in-process, so a panic in the translation fails the test) and runs.
#[test]
fn corrupted_dwarf_of_a_real_program_is_translated_as_far_as_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = compile(dir.path(), "points", &["-g", "-O0"]) else {
        return;
    };
    let bytes = std::fs::read(&wasm).unwrap();
    let mut sections = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let Ok(wasmparser::Payload::CustomSection(c)) = payload
            && c.name().starts_with(".debug_")
        {
            let start = c.data_offset() as usize;
            sections.push(start..start + c.data().len());
        }
    }
    assert!(sections.len() >= 4, "clang -g wrote no DWARF");
    let mut config = wexe::Config::new();
    config.tier(wexe::Tier::Jit).debug_info(true);
    let engine = wexe::Engine::new(&config).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut warned = 0;
    for range in &sections {
        for round in 0..6 {
            let mut bad = bytes.clone();
            for _ in 0..(1 + round * 3) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = range.start + (seed as usize) % range.len().max(1);
                bad[at] ^= (seed >> 32) as u8 | 1;
            }
            let module = wexe::Module::new(&engine, &bad).expect("the module loads");
            warned += usize::from(!module.debug_info_warnings().is_empty());
        }
    }
    assert!(warned > 0, "no corruption was noticed");
}
