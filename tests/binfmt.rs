//! `wexe binfmt` against the real kernel: registers wexe with binfmt_misc under a name of its own
//! (`wexe-test-PID`), runs `.wasm` files directly (`./app.wasm`), and unregisters — always, through
//! a guard. Everything that touches the kernel's global state is in this one test function, so
//! nothing here runs concurrently. Where the kernel or the sandbox refuses (not root, no
//! binfmt_misc, no permission to mount or register) it says so on stderr and passes, except under
//! `CI=true`, where it fails (`tests/common/prerequisite.rs`).
//!
//! The WASI parts (argv, environment, files, `proc_exit`) need `hello.wasm`, compiled from
//! tests/binfmt/hello.c with clang for wasm32-wasi (installed by
//! scripts/install-wasm-toolchain.sh).

#[path = "common/prerequisite.rs"]
mod prerequisite;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn note(msg: &str) {
    // Not through the test harness's capture: skips must be visible.
    let _ = writeln!(std::io::stderr(), "binfmt test: {msg}");
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

/// Unregisters the test's entry when dropped, whatever happened.
struct Registration {
    name: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let out = wexe(&["binfmt", "uninstall", "--name", &self.name]);
        if !out.status.success() {
            note(&format!(
                "could not unregister {}: {}",
                self.name,
                text(&out.stderr)
            ));
        }
        assert!(
            !Path::new("/proc/sys/fs/binfmt_misc")
                .join(&self.name)
                .exists()
        );
    }
}

/// Writes an executable file.
fn executable(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs `path` as `argv0 args...` from `cwd` with a home directory of the test's own.
fn run(path: &Path, argv0: &str, args: &[&str], cwd: &Path, home: &Path) -> Output {
    Command::new(path)
        .arg0(argv0)
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env("WEXE_TEST_SECRET", "from the host")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap()
}

#[test]
fn wasm_files_run_directly_through_binfmt_misc() {
    let name = format!("wexe-test-{}", std::process::id());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let links = dir.join("bin");
    std::fs::create_dir(&links).unwrap();
    let out = wexe(&[
        "binfmt",
        "install",
        "--name",
        &name,
        "--link-dir",
        links.to_str().unwrap(),
    ]);
    if !out.status.success() {
        let err = text(&out.stderr);
        let refused = [
            "needs root",
            "binfmt_misc support",
            "cannot mount",
            "cannot write",
        ];
        assert!(
            refused.iter().any(|r| err.contains(r)),
            "unexpected failure: {err}"
        );
        prerequisite::missing(
            "binfmt test",
            &format!("the kernel or sandbox refuses: {}", err.trim()),
        );
        return;
    }
    let _guard = Registration { name: name.clone() };

    let status = text(&wexe(&["binfmt", "status", "--name", &name]).stdout);
    assert!(
        status.contains(&format!("registered as `{name}` (enabled)")),
        "{status}"
    );
    assert!(status.contains("flags        PF"), "{status}");
    assert!(status.contains("magic        0061736d01000000"), "{status}");
    assert!(
        status.contains(&format!("{}/wexe-binfmt", links.display())),
        "{status}"
    );

    let home = dir.join("home");
    let work = dir.join("work");
    std::fs::create_dir_all(home.join(".config/wexe")).unwrap();
    std::fs::create_dir_all(&work).unwrap();

    // A trap: every argument is the program's (no wexe help), the trap report, status 134.
    let trap = executable(
        &work,
        "trap.wasm",
        &wat::parse_file(format!("{ROOT}/tests/binfmt/trap.wat")).unwrap(),
    );
    let out = run(&trap, "./trap.wasm", &["--help"], &work, &home);
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("core::panicking::panic"));

    // Components and other versions are not ours: the kernel refuses to execute them.
    for (file, bytes) in [
        ("component.wasm", &b"\0asm\x0d\x00\x01\x00"[..]),
        ("v2.wasm", &b"\0asm\x02\x00\x00\x00"[..]),
    ] {
        let path = executable(&work, file, bytes);
        let err = Command::new(&path).output().expect_err("not executable");
        assert_eq!(err.raw_os_error(), Some(libc::ENOEXEC), "{file}: {err}");
    }

    ctrl_c_ends_a_program(&work, &home);

    // A bad policy: one line naming the file and line, status 1, nothing run.
    let policy = home.join(".config/wexe/policy.toml");
    std::fs::write(&policy, "[[program]]\npath = \"/x\"\nbogus = 1\n").unwrap();
    let out = run(&trap, "./trap.wasm", &[], &work, &home);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(
        err,
        format!(
            "wexe: error: {}:3: unknown field `bogus`, expected one of `path`, `sha256`, `dirs`, `env`, `inherit_env`, `tcplisten`, `max_memory`, `max_table_elements`, `fuel`, `timeout`\n",
            policy.display()
        )
    );
    std::fs::remove_file(&policy).unwrap();

    wasi_programs(dir, &work, &home);
}

/// `./loop.wasm` runs until SIGINT (Ctrl-C) ends it, as a native program would.
fn ctrl_c_ends_a_program(work: &Path, home: &Path) {
    let looped = executable(
        work,
        "loop.wasm",
        &wat::parse_file(format!("{ROOT}/tests/binfmt/loop.wat")).unwrap(),
    );
    let mut cmd = Command::new(&looped);
    cmd.current_dir(work).env("HOME", home);
    // A shell without job control starts background jobs with SIGINT ignored; a native
    // program would inherit that too, so give the child the default disposition.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "loop.wasm ended by itself"
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("SIGINT did not end loop.wasm");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(libc::SIGINT));
}

/// Compiles tests/binfmt/hello.c; `None` with a visible note (under CI a failure) when clang for
/// wasm32-wasi is missing.
fn compile_hello(dir: &Path) -> Option<PathBuf> {
    let out = dir.join("hello.wasm");
    let ok = Command::new("clang")
        .args(["--target=wasm32-wasi", "--sysroot=/usr", "-O1", "-o"])
        .arg(&out)
        .arg(format!("{ROOT}/tests/binfmt/hello.c"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        prerequisite::missing(
            "hello.wasm",
            "clang for wasm32-wasi missing (bash scripts/install-wasm-toolchain.sh)",
        );
    }
    ok.then_some(out)
}

fn wasi_programs(dir: &Path, work: &Path, home: &Path) {
    // The 97-byte module that only calls proc_exit(0).
    let seed = std::fs::read(format!("{ROOT}/tests/binfmt/proc_exit.wasm")).unwrap();
    assert_eq!(seed.len(), 97);
    let tiny = executable(work, "tiny.wasm", &seed);
    let out = run(&tiny, "./tiny.wasm", &[], work, home);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let Some(built) = compile_hello(dir) else {
        return;
    };
    let hello = executable(work, "hello.wasm", &std::fs::read(built).unwrap());
    std::fs::write(work.join("notes.txt"), "in the current directory\n").unwrap();
    let granted = dir.join("granted");
    std::fs::create_dir(&granted).unwrap();
    std::fs::write(granted.join("data.txt"), "granted data\n").unwrap();
    std::fs::write(dir.join("secret.txt"), "secret\n").unwrap();

    // Defaults: own argv (flags included), exit status, the current directory and nothing else.
    let secret = format!("read:{}", dir.join("secret.txt").display());
    let out = run(
        &hello,
        "./hello.wasm",
        &["a", "--help", "read:notes.txt", &secret, "exit:7"],
        work,
        home,
    );
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{s}{}", text(&out.stderr));
    assert!(
        s.starts_with("argv[0]=./hello.wasm\nargv[1]=a\nargv[2]=--help\n"),
        "{s}"
    );
    assert!(s.contains("WEXE_TEST_SECRET=(unset)"), "{s}");
    assert!(
        s.contains("read notes.txt: in the current directory"),
        "{s}"
    );
    assert!(
        s.contains(&format!("refused {}", dir.join("secret.txt").display())),
        "{s}"
    );

    // A policy for this program: a read-only directory and a variable.
    std::fs::write(
        home.join(".config/wexe/policy.toml"),
        format!(
            "[[program]]\npath = \"{}\"\ndirs = [{{ host = \"{}\", guest = \"/granted\" }}]\ninherit_env = [\"WEXE_TEST_SECRET\"]\n",
            hello.display(),
            granted.display()
        ),
    )
    .unwrap();
    let out = run(
        &hello,
        "hello",
        &["read:/granted/data.txt", &secret],
        work,
        home,
    );
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    assert!(s.contains("WEXE_TEST_SECRET=from the host"), "{s}");
    assert!(s.contains("read /granted/data.txt: granted data"), "{s}");
    assert!(s.contains("refused"), "{s}");
}
