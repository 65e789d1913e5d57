//! A containerd of the test's own: its root, state, sockets and log under a temporary
//! directory, the shim found on its `PATH`, stopped (and its directory removed) when dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::image::{self, Image};

/// The containerd namespace the tests' images and containers live in.
const NAMESPACE: &str = "wexe-test";

/// A running containerd.
pub struct Containerd {
    dir: tempfile::TempDir,
    daemon: Child,
    socket: PathBuf,
}

/// The containerd, ctr and runc the tests need, or why they are missing.
pub fn tools_present() -> Result<(), String> {
    for tool in ["containerd", "ctr", "runc", "containerd-shim-runc-v2"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!(
                "`{tool}` is not installed (bash scripts/install-containerd.sh installs it)"
            ));
        }
    }
    Ok(())
}

impl Containerd {
    /// Starts containerd with `shim` as `containerd-shim-wexe-v1`, and waits until it serves.
    /// An error says why it could not (not root, no cgroups, ...), with its log.
    pub fn start(shim: &Path) -> Result<Containerd, String> {
        if unsafe { libc::geteuid() } != 0 {
            return Err("containerd needs root".into());
        }
        let dir = tempfile::Builder::new()
            .prefix("wexe-ctrd")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let d = dir.path();
        let bin = d.join("bin");
        std::fs::create_dir(&bin).map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(shim, bin.join("containerd-shim-wexe-v1"))
            .map_err(|e| e.to_string())?;
        let socket = d.join("containerd.sock");
        let config = format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{sock}\"\n[ttrpc]\n  address = \"{sock}.ttrpc\"\n",
            root = d.join("root").display(),
            state = d.join("state").display(),
            sock = socket.display(),
        );
        std::fs::write(d.join("config.toml"), config).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(d.join("containerd.log")).map_err(|e| e.to_string())?;
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let daemon = Command::new("containerd")
            .arg("--config")
            .arg(d.join("config.toml"))
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start containerd: {e}"))?;
        let mut ctrd = Containerd {
            dir,
            daemon,
            socket,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = ctrd.daemon.try_wait() {
                return Err(format!("containerd exited ({status}):\n{}", ctrd.log()));
            }
            if ctrd.ctr(&["version"]).status.success() {
                return Ok(ctrd);
            }
            if Instant::now() > deadline {
                return Err(format!("containerd did not serve in 30 s:\n{}", ctrd.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The temporary directory containerd keeps everything in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// containerd's log so far (the shims' logs included).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// `ctr` against this containerd, in the tests' namespace.
    pub fn ctr_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ctr");
        cmd.arg("--address")
            .arg(&self.socket)
            .args(["--namespace", NAMESPACE])
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `ctr ARGS` and waits for it.
    pub fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_command(args).output().expect("ctr runs")
    }

    /// Writes `image` as an OCI archive and imports it; panics with ctr's message if refused.
    ///
    /// An image whose one layer is a wasm module (`application/wasm`) is imported without
    /// unpacking, and its root filesystem made by hand as an empty snapshot named by the
    /// layer's chain ID (for one layer, its diff ID): containerd 1.6 (Debian 12's) cannot unpack
    /// such a layer ("no processor for media-type"), and the shim reads the module from the
    /// content store, not from the root filesystem.
    pub fn import(&self, image: &Image) {
        let wasm_layer = match image.layers.as_slice() {
            [crate::image::Layer::Wasm(module)] => Some(image::sha256_digest(module)),
            _ => None,
        };
        let file = self
            .dir
            .path()
            .join(format!("{}.tar", image.name.replace(['/', ':'], "_")));
        std::fs::write(&file, image.archive()).unwrap();
        let platform = format!("{}/{}", image.platform.0, image.platform.1);
        let mut args = vec!["image", "import", "--platform", &platform];
        if wasm_layer.is_some() {
            args.push("--no-unpack");
        }
        args.push(file.to_str().unwrap());
        let out = self.ctr(&args);
        assert!(
            out.status.success(),
            "ctr image import {}: {}{}",
            image.name,
            text(&out.stdout),
            text(&out.stderr)
        );
        if let Some(chain_id) = wasm_layer {
            let key = format!("{chain_id}-unpacking");
            for args in [
                vec!["snapshot", "prepare", key.as_str()],
                vec!["snapshot", "commit", chain_id.as_str(), key.as_str()],
            ] {
                let out = self.ctr(&args);
                assert!(out.status.success(), "ctr {args:?}: {}", text(&out.stderr));
            }
        }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // Containers still there (a failed check) would keep mounts and shims alive.
        let left = self.ctr(&["containers", "list", "--quiet"]);
        for id in text(&left.stdout).lines() {
            let _ = self.ctr(&["task", "kill", "--signal", "SIGKILL", id]);
            std::thread::sleep(Duration::from_millis(200));
            let _ = self.ctr(&["task", "delete", "--force", id]);
            let _ = self.ctr(&["containers", "delete", id]);
        }
        unsafe { libc::kill(self.daemon.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.daemon.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        // Snapshots are mounts only while containers run; unmount any left before removal.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "grep -o ' {0}[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l",
                self.dir.path().display()
            ))
            .status();
        // The runtimes' state directories for the namespace (runc's and runwasi's), left empty
        // once the containers are gone; kept if another run still has containers there.
        for runtime in ["wexe", "runc"] {
            let _ = std::fs::remove_dir(format!("/run/containerd/{runtime}/{NAMESPACE}"));
        }
        let _ = std::io::stderr().flush();
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
