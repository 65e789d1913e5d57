//! The checks of `containerd-shim-wexe-v1` (runtime `io.containerd.wexe.v1`).

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::Failed;

use crate::Fixture;
use crate::daemon::{Containerd, text};
use crate::image::{File, Image, Layer};

pub const RUNTIME: &str = "io.containerd.wexe.v1";
/// The probe with a file of data, entrypoint `/probe.wasm`.
const PROBE: &str = "docker.io/library/wexe-probe:test";
/// An image whose entrypoint file does not exist.
const MISSING: &str = "docker.io/library/wexe-missing:test";
/// An image whose entrypoint is a module that does not validate.
const INVALID: &str = "docker.io/library/wexe-invalid:test";
/// An image whose entrypoint is neither wasm nor text.
const FOREIGN: &str = "docker.io/library/wexe-foreign:test";
/// The probe as a wasm layer (`application/wasm`, platform wasip1/wasm).
const LAYER: &str = "docker.io/library/wexe-layer:test";

pub const INSIDE: &str = "inside the image\n";

/// The probe image's files: `/probe.wasm` and `/data/inside.txt`.
pub fn probe_files(probe: &[u8]) -> Vec<File<'_>> {
    vec![
        File {
            path: "probe.wasm",
            mode: 0o755,
            bytes: probe,
        },
        File {
            path: "data/inside.txt",
            mode: 0o644,
            bytes: INSIDE.as_bytes(),
        },
    ]
}

/// Imports the images the checks run.
pub fn import_images(ctrd: &Containerd, probe: &[u8]) {
    ctrd.import(&Image {
        name: PROBE,
        layers: vec![Layer::Files(probe_files(probe))],
        entrypoint: vec!["/probe.wasm"],
        platform: ("linux", "amd64"),
    });
    // Each bad image: its name, entrypoint, and the one file it has.
    let bad: [(&str, &str, &str, &[u8]); 3] = [
        (MISSING, "/missing.wasm", "other.wasm", b"\0asm\x01\0\0\0"),
        (
            INVALID,
            "/app.wasm",
            "app.wasm",
            b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00\x01\x7f\x0a",
        ),
        (
            FOREIGN,
            "/app.wasm",
            "app.wasm",
            b"\xff\xfe\x00\x01 not a module",
        ),
    ];
    for (name, entry, path, bytes) in bad {
        ctrd.import(&Image {
            name,
            layers: vec![Layer::Files(vec![File {
                path,
                mode: 0o755,
                bytes,
            }])],
            entrypoint: vec![entry],
            platform: ("linux", "amd64"),
        });
    }
    ctrd.import(&Image {
        name: LAYER,
        layers: vec![Layer::Wasm(probe)],
        entrypoint: vec!["/probe.wasm"],
        platform: ("wasip1", "wasm"),
    });
}

/// A container id no other check or test run uses.
pub fn container_id(what: &str) -> String {
    format!("{what}-{}", std::process::id())
}

/// `ctr run --rm [FLAGS] IMAGE ID ARGS...` with the wexe runtime.
fn run_wexe(ctrd: &Containerd, flags: &[&str], image: &str, id: &str, args: &[&str]) -> Output {
    let mut all = vec!["run", "--rm", "--runtime", RUNTIME];
    all.extend_from_slice(flags);
    all.extend([image, id]);
    all.extend_from_slice(args);
    ctrd.ctr(&all)
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

pub fn check(ok: bool, what: &str, out: &Output) -> Result<(), Failed> {
    if ok {
        Ok(())
    } else {
        Err(format!("{what}\n{}", describe(out)).into())
    }
}

pub fn output_arguments_environment_and_exit_status(f: &Fixture) -> Result<(), Failed> {
    let out = run_wexe(
        &f.containerd,
        &["--env", "GREETING=hello, world"],
        PROBE,
        &container_id("args"),
        &[
            "/probe.wasm",
            "args",
            "two words",
            "env:GREETING",
            "env:PATH",
            "env:WEXE_TEST_CONTAINERD_ONLY",
            "exit:7",
        ],
    );
    let expected = "argv[0]=/probe.wasm\nargv[1]=args\nargv[2]=two words\n\
                    argv[3]=env:GREETING\nargv[4]=env:PATH\nargv[5]=env:WEXE_TEST_CONTAINERD_ONLY\n\
                    argv[6]=exit:7\ntwo words\nGREETING=hello, world\nPATH=/\n\
                    WEXE_TEST_CONTAINERD_ONLY=(unset)\n";
    check(
        text(&out.stdout) == expected,
        &format!("expected stdout:\n{expected}"),
        &out,
    )?;
    check(out.status.code() == Some(7), "expected status 7", &out)?;
    // The image's entrypoint with no arguments: argv is just argv[0].
    let out = run_wexe(&f.containerd, &[], PROBE, &container_id("noargs"), &[]);
    check(
        out.status.success() && out.stdout.is_empty(),
        "expected a silent success",
        &out,
    )
}

pub fn the_root_filesystem_is_slash_and_nothing_else(f: &Fixture) -> Result<(), Failed> {
    let secret = f.containerd.dir().join("secret.txt");
    std::fs::write(&secret, "host secret\n").unwrap();
    let host = secret.display().to_string();
    let dotdot = format!("/../../..{host}");
    let out = run_wexe(
        &f.containerd,
        &[],
        PROBE,
        &container_id("rootfs"),
        &[
            "/probe.wasm",
            "read:/data/inside.txt",
            "read:data/inside.txt",
            &format!("read:{host}"),
            &format!("read:{dotdot}"),
            "read:/../data/inside.txt",
        ],
    );
    let expected = format!(
        "read /data/inside.txt: inside the image\nread data/inside.txt: inside the image\n\
         refused {host}\nrefused {dotdot}\nrefused /../data/inside.txt\n"
    );
    check(
        out.status.success() && text(&out.stdout) == expected,
        &format!("expected stdout:\n{expected}"),
        &out,
    )
}

pub fn task_kill_stops_a_long_running_program(f: &Fixture) -> Result<(), Failed> {
    let id = container_id("kill");
    let mut child = f
        .containerd
        .ctr_command(&[
            "run",
            "--rm",
            "--runtime",
            RUNTIME,
            PROBE,
            &id,
            "/probe.wasm",
            "sleep:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    if first != "sleeping\n" {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("the program did not start: {first:?}").into());
    }
    std::thread::sleep(Duration::from_millis(300));
    if let Some(status) = child.try_wait().unwrap() {
        return Err(format!("the program ended by itself: {status}").into());
    }
    let kill = f.containerd.ctr(&["task", "kill", &id]);
    if !kill.status.success() {
        let _ = f
            .containerd
            .ctr(&["task", "kill", "--signal", "SIGKILL", &id]);
        let _ = child.wait();
        return check(false, "ctr task kill failed", &kill);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            // SIGTERM ends it as it ends a native program: 128 + 15.
            return if status.code() == Some(143) {
                Ok(())
            } else {
                Err(format!("ctr run ended with {status}, expected 143").into())
            };
        }
        if Instant::now() > deadline {
            let _ = f
                .containerd
                .ctr(&["task", "kill", "--signal", "SIGKILL", &id]);
            let _ = child.kill();
            let _ = child.wait();
            return Err("SIGTERM did not stop the program in 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn twenty_containers_in_parallel(f: &Fixture) -> Result<(), Failed> {
    let results: Vec<(usize, Output)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|n| {
                let ctrd = &f.containerd;
                s.spawn(move || {
                    let id = container_id(&format!("parallel{n}"));
                    let (word, exit) = (format!("container-{n}"), format!("exit:{n}"));
                    (
                        n,
                        run_wexe(ctrd, &[], PROBE, &id, &["/probe.wasm", &word, &exit]),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (n, out) in results {
        check(
            text(&out.stdout) == format!("container-{n}\n") && out.status.code() == Some(n as i32),
            &format!("container {n}: expected `container-{n}` and status {n}"),
            &out,
        )?;
    }
    Ok(())
}

/// Waits (up to 10 s: the shims' logs reach containerd's asynchronously) for `needle` in
/// containerd's log.
fn logged(ctrd: &Containerd, needle: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ctrd.log().contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

pub fn bad_images_fail_clearly_and_the_next_container_runs(f: &Fixture) -> Result<(), Failed> {
    let cases = [
        (
            MISSING,
            "cannot read the entrypoint /missing.wasm in the container's root filesystem",
        ),
        (INVALID, "invalid module /app.wasm"),
        (
            FOREIGN,
            "the entrypoint /app.wasm is not a WebAssembly module",
        ),
    ];
    for (i, (image, message)) in cases.iter().enumerate() {
        let out = run_wexe(
            &f.containerd,
            &[],
            image,
            &container_id(&format!("bad{i}")),
            &[],
        );
        check(
            out.status.code() == Some(1) && text(&out.stderr).contains(message),
            &format!("{image}: expected status 1 and `{message}` on stderr"),
            &out,
        )?;
        if !logged(&f.containerd, message) {
            return Err(format!("{image}: `{message}` is not in containerd's log").into());
        }
    }
    let out = run_wexe(
        &f.containerd,
        &[],
        PROBE,
        &container_id("after-bad"),
        &["/probe.wasm", "still running"],
    );
    check(
        out.status.success() && text(&out.stdout) == "still running\n",
        "a good container after the bad ones",
        &out,
    )
}

/// The container's cgroup as Kubernetes' CRI mounts it (read-only at /sys/fs/cgroup); plain
/// `ctr run` does not, and then the shim cannot read the limit.
const CGROUP_MOUNT: &str = "type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro";

pub fn the_memory_limit_bounds_wasm_memory(f: &Fixture) -> Result<(), Failed> {
    let args = ["/probe.wasm", "alloc:8", "alloc:200"];
    let limit = (96u64 << 20).to_string();
    let limited = run_wexe(
        &f.containerd,
        &["--memory-limit", &limit, "--mount", CGROUP_MOUNT],
        PROBE,
        &container_id("memlimit"),
        &args,
    );
    check(
        limited.status.success()
            && text(&limited.stdout) == "allocated 8 MiB\ncannot allocate 200 MiB\n",
        "under a 96 MiB limit: 8 MiB allocated, 200 MiB refused by malloc (not an OOM kill)",
        &limited,
    )?;
    // Where the shim cannot see its cgroup, the kernel still enforces the limit: SIGKILL.
    let unseen = run_wexe(
        &f.containerd,
        &["--memory-limit", &limit],
        PROBE,
        &container_id("memkill"),
        &args,
    );
    // With swap on the machine (cgroup v1 limits memory, not memory + swap, for `ctr run`) the
    // kernel may swap the container out instead of killing it; then the allocation succeeds.
    let killed = unseen.status.code() == Some(137) && text(&unseen.stdout) == "allocated 8 MiB\n";
    let swapped = machine_has_swap()
        && unseen.status.success()
        && text(&unseen.stdout) == "allocated 8 MiB\nallocated 200 MiB\n";
    check(
        killed || swapped,
        "without the cgroup mount: the kernel's OOM killer ends it (137) past 96 MiB",
        &unseen,
    )?;
    let free = run_wexe(&f.containerd, &[], PROBE, &container_id("nolimit"), &args);
    check(
        free.status.success() && text(&free.stdout) == "allocated 8 MiB\nallocated 200 MiB\n",
        "without a limit both allocations succeed",
        &free,
    )
}

/// Whether the machine has a swap area in use (/proc/swaps lists one below its header).
fn machine_has_swap() -> bool {
    std::fs::read_to_string("/proc/swaps").is_ok_and(|s| s.lines().count() > 1)
}

pub fn wasm_layer_images_run_and_are_compiled_once(f: &Fixture) -> Result<(), Failed> {
    let ctrd = &f.containerd;
    for round in 0..2 {
        let out = run_wexe(
            ctrd,
            &["--platform", "wasip1/wasm"],
            LAYER,
            &container_id(&format!("layer{round}")),
            &["/probe.wasm", "from a wasm layer", "read:/data/inside.txt"],
        );
        check(
            out.status.success()
                && text(&out.stdout) == "from a wasm layer\nrefused /data/inside.txt\n",
            &format!("run {round} of the wasm-layer image"),
            &out,
        )?;
    }
    let compiled = ctrd.log().matches("wexe: compiled layer").count();
    if compiled != 1 {
        return Err(format!("the layer was compiled {compiled} times, expected once").into());
    }
    let content = ctrd.ctr(&["content", "ls"]);
    check(
        text(&content.stdout).contains("runwasi.io/precompiled/wexe/"),
        "the precompiled layer is in the content store",
        &content,
    )
}
