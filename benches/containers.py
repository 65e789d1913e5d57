#!/usr/bin/env python3
"""Containers under containerd: wexe's shim (`io.containerd.wexe.v1`, tests/programs/probe.c
built for wasm32-wasi) against a plain runc container running the same program built natively
(`gcc -O2 -static`), side by side in one run.

Two figures per runtime:
  first output   time from starting `ctr run --rm` to the program's first line on stdout
                 (sequential containers; the median of --runs)
  containers/s   --containers containers, --parallel at a time, each `ctr run --rm` printing a
                 line and exiting; containers divided by the wall time of the whole batch

It starts its own containerd (root, state and socket under a temporary directory, stopped at
the end), writes both images as OCI archives and imports them; nothing is downloaded. Needs
root, containerd/ctr/runc (scripts/install-containerd.sh), clang for wasm32-wasi
(scripts/install-wasm-toolchain.sh) and gcc. Builds the shim with `cargo build --release`.

  python3 benches/containers.py [--runs 10] [--containers 40] [--parallel 4]
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE_C = os.path.join(ROOT, "crates/shim/tests/programs/probe.c")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def tar_bytes(files):
    """A tar of (path, mode, bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for path, mode, data in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def oci_archive(name, files, entrypoint):
    """An OCI image archive (linux/amd64) with one layer of `files`."""
    blobs = []

    def blob(media_type, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs.append((digest, data))
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    layer = blob("application/vnd.oci.image.layer.v1.tar", tar_bytes(files))
    config = blob("application/vnd.oci.image.config.v1+json", json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]},
    }).encode())
    manifest = blob("application/vnd.oci.image.manifest.v1+json", json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": [layer],
    }).encode())
    manifest["annotations"] = {"io.containerd.image.name": name}
    index = {"schemaVersion": 2, "manifests": [manifest]}
    files = [("oci-layout", 0o644, b'{"imageLayoutVersion":"1.0.0"}'),
             ("index.json", 0o644, json.dumps(index).encode())]
    files += [("blobs/sha256/" + d[7:], 0o644, data) for d, data in blobs]
    return tar_bytes(files)


class Containerd:
    def __init__(self, shim):
        self.dir = tempfile.mkdtemp(prefix="wexe-bench-ctrd", dir="/tmp")
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        os.symlink(shim, os.path.join(bindir, "containerd-shim-wexe-v1"))
        self.sock = os.path.join(self.dir, "containerd.sock")
        cfg = os.path.join(self.dir, "config.toml")
        with open(cfg, "w") as f:
            f.write(f'version = 2\nroot = "{self.dir}/root"\nstate = "{self.dir}/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.sock}"\n[ttrpc]\n  address = "{self.sock}.ttrpc"\n')
        env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", ""))
        self.logf = open(os.path.join(self.dir, "containerd.log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", cfg], env=env,
                                     stdout=self.logf, stderr=self.logf)
        deadline = time.time() + 30
        while subprocess.run(self.ctr_argv("version"), capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.time() > deadline:
                sys.exit("containerd did not start; its log: " + self.logf.name)
            time.sleep(0.1)

    def ctr_argv(self, *args):
        return ["ctr", "--address", self.sock, "--namespace", "bench", *args]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        subprocess.run(f"grep -o ' {self.dir}[^ ]*' /proc/self/mounts | sort -r | "
                       "xargs -r -n1 umount -l", shell=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        for runtime in ("wexe", "runc"):  # the runtimes' empty state directories of the namespace
            try:
                os.rmdir(f"/run/containerd/{runtime}/bench")
            except OSError:
                pass


def first_output_time(ctrd, runtime, image, cid):
    """Seconds from starting `ctr run` to the first line on its stdout."""
    start = time.perf_counter()
    p = subprocess.Popen(ctrd.ctr_argv("run", "--rm", "--runtime", runtime, image, cid,
                                       "/probe", "ready"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline()
    elapsed = time.perf_counter() - start
    rest, err = p.communicate()
    if line != b"ready\n" or p.returncode != 0:
        sys.exit(f"{runtime}: unexpected run: {line!r} {rest!r} {err!r} status {p.returncode}")
    return elapsed


def batch(ctrd, runtime, image, tag, count, parallel):
    """Wall time of `count` containers, `parallel` at a time."""
    def one(i):
        r = subprocess.run(ctrd.ctr_argv("run", "--rm", "--runtime", runtime, image,
                                         f"{tag}-{i}", "/probe", f"c{i}"), capture_output=True)
        if r.stdout != f"c{i}\n".encode() or r.returncode != 0:
            raise RuntimeError(f"{runtime} container {i}: {r.stdout!r} {r.stderr!r}")
    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as ex:
        list(ex.map(one, range(count)))
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--containers", type=int, default=40)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--shim", help="use this containerd-shim-wexe-v1 instead of building one "
                    "with cargo build --release")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("containerd needs root")
    shim = os.path.abspath(args.shim) if args.shim else None
    if not shim:
        log("building the shim (cargo build --release -p containerd-shim-wexe)")
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "containerd-shim-wexe"],
                       cwd=ROOT, check=True)
        shim = os.path.join(ROOT, "target/release/containerd-shim-wexe-v1")
    work = tempfile.mkdtemp(prefix="wexe-bench-")
    wasm, native = os.path.join(work, "probe.wasm"), os.path.join(work, "probe")
    subprocess.run(["clang", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o", wasm, PROBE_C], check=True)
    subprocess.run(["gcc", "-O2", "-static", "-o", native, PROBE_C], check=True)
    ctrd = Containerd(shim)
    try:
        images = {
            "wexe shim": ("io.containerd.wexe.v1", "docker.io/library/bench-wasm:1", wasm),
            "runc, native": ("io.containerd.runc.v2", "docker.io/library/bench-native:1", native),
        }
        for _, (_, name, prog) in images.items():
            archive = os.path.join(work, name.split("/")[-1].replace(":", "_") + ".tar")
            with open(prog, "rb") as f:
                data = f.read()
            with open(archive, "wb") as f:
                f.write(oci_archive(name, [("probe", 0o755, data)], ["/probe"]))
            subprocess.run(ctrd.ctr_argv("image", "import", archive), check=True, capture_output=True)
        rows = []
        for label, (runtime, image, _) in images.items():
            tag = label.split()[0].strip(",")
            first_output_time(ctrd, runtime, image, f"{tag}-warm")  # warm-up
            times = [first_output_time(ctrd, runtime, image, f"{tag}-first{i}") for i in range(args.runs)]
            wall = batch(ctrd, runtime, image, f"{tag}-batch", args.containers, args.parallel)
            rows.append((label, statistics.median(times), min(times), args.containers / wall))
        print(f"\n{args.runs} runs for first output; {args.containers} containers, "
              f"{args.parallel} at a time, for containers/s\n")
        print(f"| runtime | first output, median (min) | containers/s |")
        print(f"|---|---|---|")
        for label, med, lo, rate in rows:
            print(f"| {label} | {med * 1000:.0f} ms ({lo * 1000:.0f} ms) | {rate:.1f} |")
        (_, wm, _, wr), (_, nm, _, nr) = rows
        print(f"\nwexe/runc: first output {wm / nm:.2f}x the time, {wr / nr:.2f}x the rate")
    finally:
        ctrd.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
