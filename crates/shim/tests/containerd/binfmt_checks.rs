//! A plain runc container (containerd's default runtime, not our shim) whose entrypoint is a
//! `.wasm` file, run through binfmt_misc with a statically linked `wexe-binfmt`.
//!
//! The registration is the machine's, not the test's: it is made under a name of its own
//! (`wexe-ctrtest-PID`, so the machine's own `wexe` entry and tests/binfmt.rs's are untouched),
//! held only for the few seconds of the check, and removed by a guard whatever happens. While
//! it is there it takes precedence over older entries with the same magic, which run the same
//! program the same way.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::Failed;

use crate::Fixture;
use crate::daemon::{Containerd, text};
use crate::image::{File, Image, Layer};
use crate::prerequisite;
use crate::shim_checks::{check, container_id, probe_files};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PLAIN: &str = "docker.io/library/wexe-binfmt-plain:test";
const WITH_POLICY: &str = "docker.io/library/wexe-binfmt-policy:test";

/// A policy the image ships: its root filesystem as `/`, and one variable.
const POLICY: &str = "[[program]]\npath = \"/probe.wasm\"\n\
                      dirs = [{ host = \"/\", guest = \"/\" }]\ninherit_env = [\"GREETING\"]\n";

/// Builds the static wexe with scripts/build-static-wexe.sh (the static-test profile: quick to
/// compile; releases use the default, release).
fn static_wexe() -> Result<PathBuf, String> {
    let out = Command::new("bash")
        .arg(format!("{ROOT}/../../scripts/build-static-wexe.sh"))
        .arg("static-test")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "build-static-wexe.sh failed:\n{}",
            text(&out.stderr)
        ));
    }
    let path = PathBuf::from(text(&out.stdout).trim());
    let elf = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if has_interpreter(&elf) {
        return Err(format!(
            "{} is dynamically linked (it names a program interpreter)",
            path.display()
        ));
    }
    Ok(path)
}

/// Whether a 64-bit little-endian ELF file has a `PT_INTERP` program header (a dynamic loader
/// to start it); unreadable headers count as having one.
fn has_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u64 = 3;
    let field = |at: usize, len: usize| -> Option<u64> {
        let bytes = elf.get(at..at.checked_add(len)?)?;
        Some(bytes.iter().rev().fold(0, |v, &b| (v << 8) | u64::from(b)))
    };
    let headers = || -> Option<bool> {
        let (phoff, phentsize, phnum) = (field(0x20, 8)?, field(0x36, 2)?, field(0x38, 2)?);
        let mut found = false;
        for i in 0..phnum {
            let at = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
            found |= field(at, 4)? == PT_INTERP;
        }
        Some(found)
    };
    !elf.starts_with(b"\x7fELF\x02\x01") || headers().unwrap_or(true)
}

/// Unregisters the entry when dropped.
struct Registration<'a> {
    wexe: &'a Path,
    name: String,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let out = Command::new(self.wexe)
            .args(["binfmt", "uninstall", "--name", &self.name])
            .output()
            .expect("wexe runs");
        assert!(
            out.status.success()
                && !Path::new("/proc/sys/fs/binfmt_misc")
                    .join(&self.name)
                    .exists(),
            "could not unregister {}: {}",
            self.name,
            text(&out.stderr)
        );
    }
}

fn import(ctrd: &Containerd, probe: &[u8]) {
    for (name, policy) in [(PLAIN, false), (WITH_POLICY, true)] {
        let mut files = probe_files(probe);
        if policy {
            files.push(File {
                path: "etc/wexe/policy.toml",
                mode: 0o644,
                bytes: POLICY.as_bytes(),
            });
        }
        ctrd.import(&Image {
            name,
            layers: vec![Layer::Files(files)],
            entrypoint: vec!["/probe.wasm"],
            platform: ("linux", "amd64"),
        });
    }
}

fn run_runc(ctrd: &Containerd, image: &str, id: &str) -> Output {
    ctrd.ctr(&[
        "run",
        "--rm",
        "--env",
        "GREETING=hi",
        image,
        id,
        "/probe.wasm",
        "args",
        "env:GREETING",
        "read:/data/inside.txt",
        "read:data/inside.txt",
        "exit:3",
    ])
}

pub fn runc_runs_a_wasm_entrypoint_through_static_binfmt(f: &Fixture) -> Result<(), Failed> {
    let ctrd = &f.containerd;
    let wexe = match static_wexe() {
        Ok(path) => path,
        Err(why) => {
            prerequisite::missing("the static wexe-binfmt check", &why);
            return Ok(());
        }
    };
    import(ctrd, &f.probe);
    let name = format!("wexe-ctrtest-{}", std::process::id());
    let links = ctrd.dir().join("binfmt-bin");
    std::fs::create_dir_all(&links).unwrap();
    let out = Command::new(&wexe)
        .args(["binfmt", "install", "--name", &name, "--link-dir"])
        .arg(&links)
        .output()
        .unwrap();
    if !out.status.success() {
        prerequisite::missing(
            "the static wexe-binfmt check",
            &format!("binfmt_misc refused: {}", text(&out.stderr).trim()),
        );
        return Ok(());
    }
    let _guard = Registration {
        wexe: &wexe,
        name: name.clone(),
    };

    // The binfmt defaults, as on a host: the working directory read-write — the container's,
    // `/`, so its whole root filesystem, by absolute or relative paths — and only LANG, LC_ALL
    // and TERM of its variables.
    let out = run_runc(ctrd, PLAIN, &container_id("binfmt-plain"));
    let expected = "argv[0]=/probe.wasm\nargv[1]=args\nargv[2]=env:GREETING\n\
                    argv[3]=read:/data/inside.txt\nargv[4]=read:data/inside.txt\nargv[5]=exit:3\n\
                    GREETING=(unset)\nread /data/inside.txt: inside the image\n\
                    read data/inside.txt: inside the image\n";
    check(
        out.status.code() == Some(3) && text(&out.stdout) == expected,
        &format!("plain image: expected status 3 and\n{expected}"),
        &out,
    )?;
    // The image's /etc/wexe/policy.toml grants more: here GREETING (and its root as `/`).
    let out = run_runc(ctrd, WITH_POLICY, &container_id("binfmt-policy"));
    let expected = "GREETING=hi\nread /data/inside.txt: inside the image\n";
    check(
        out.status.code() == Some(3) && text(&out.stdout).contains(expected),
        &format!("image with a policy: expected status 3 and\n{expected}"),
        &out,
    )?;
    Ok(())
}
