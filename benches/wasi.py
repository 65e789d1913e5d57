#!/usr/bin/env python3
"""WASI speed: the C programs in benches/wasi/ compiled for wasm32-wasi, run by wexe (its
interpreter, or its JIT with --tier jit) and by wasmtime's CLI side by side (and built natively with gcc -O2 as a reference),
with the same directory granted to both; prints one table of median times and the ratio
wexe/wasmtime from a single run.

  hostcall  write(2) of one byte, a million times, to a file in the granted directory: the cost
            of one host call (`fd_write`) with a real system call behind it
  clockcall clock_gettime(CLOCK_MONOTONIC), five million times: the cost of one host call
            (`clock_time_get`) with next to nothing behind it (a vDSO clock read)
  readfile  read(2) of a 256 MiB file (made by the harness in a temp dir) in 64 KiB chunks

Times are whole-process wall clock (start-up included), the median of several runs; the runtimes
take turns run by run. Every runtime must print the same result line.

Usage: benches/wasi.py [--runs 5] [--scale 1.0] [--tier interp|jit] [--wexe PATH] [--no-native]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import find_tool, log, print_table, wexe_binary

BENCHES = Path(__file__).resolve().parent
SOURCES = BENCHES / "wasi"
OUT = BENCHES / "out"

WRITES = 1_000_000
CLOCK_CALLS = 5_000_000
FILE_MIB = 256


def compile_programs(native):
    clang = find_tool("clang")
    if clang is None:
        sys.exit("error: clang not found; run scripts/install-wasm-toolchain.sh")
    OUT.mkdir(exist_ok=True)
    for name in ("hostcall", "clockcall", "readfile"):
        src = SOURCES / f"{name}.c"
        subprocess.run([clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o",
                        OUT / f"wasi-{name}.wasm", src], check=True)
        if native:
            subprocess.run(["gcc", "-O2", "-o", OUT / f"wasi-{name}.native", src], check=True)


def make_file(path, mib):
    """A file of `mib` MiB of varied bytes (a repeated 1 MiB random block)."""
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(block)


def run_once(argv, cwd):
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        raise RuntimeError(f"exit {proc.returncode}: {lines[0]}")
    return elapsed, proc.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per program and runtime (median)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the number of writes and the file size")
    ap.add_argument("--tier", choices=["interp", "jit"], default="interp",
                    help="the wexe tier to run (default: interp)")
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--no-native", dest="native", action="store_false",
                    help="skip the native gcc -O2 reference")
    args = ap.parse_args()
    if args.native and shutil.which("gcc") is None:
        log("note: gcc not found, no native reference")
        args.native = False

    wexe = wexe_binary(args.wexe)
    wasmtime = find_tool("wasmtime")
    if wasmtime is None:
        log("note: skipping wasmtime: not installed (benches/install-peers.sh)")
    compile_programs(args.native)

    writes = max(1, round(WRITES * args.scale))
    calls = max(1, round(CLOCK_CALLS * args.scale))
    mib = max(1, round(FILE_MIB * args.scale))
    tmp = Path(tempfile.mkdtemp(prefix="wexe-wasi-bench-"))
    try:
        data = tmp / "data"
        data.mkdir()
        log(f"making a {mib} MiB file in {data} ...")
        make_file(data / "big.bin", mib)

        # (name, label, program args as seen from inside: the directory is "data")
        cases = [("hostcall", f"hostcall({writes} writes)", [str(writes), "data/sink.txt"]),
                 ("clockcall", f"clockcall({calls} calls)", [str(calls)]),
                 ("readfile", f"readfile({mib} MiB)", ["data/big.bin"])]
        rts = [("wexe", lambda p, a: [wexe, "run", "--tier", args.tier, "--dir", f"{data}::data",
                                      str(OUT / f"wasi-{p}.wasm"), *a])]
        if wasmtime:
            rts.append(("wasmtime", lambda p, a: [wasmtime, "run", "--dir", f"{data}::data",
                                                  str(OUT / f"wasi-{p}.wasm"), *a]))
        if args.native:
            # Runs in the temp dir, so "data/..." names the same files.
            rts.append(("native", lambda p, a: [str(OUT / f"wasi-{p}.native"), *a]))

        rows, problems = [], []
        for prog, label, pargs in cases:
            log(f"  {label} ...")
            times = {name: [] for name, _ in rts}
            outputs, errors = {}, {}
            for _ in range(args.runs):
                for name, argv_for in rts:
                    if name in errors:
                        continue
                    try:
                        t, out = run_once(argv_for(prog, pargs), tmp)
                        times[name].append(t)
                        outputs.setdefault(name, out)
                    except (RuntimeError, OSError) as e:
                        errors[name] = str(e)
            med = {n: statistics.median(ts) for n, ts in times.items() if ts and n not in errors}
            if len(set(outputs.values())) > 1:
                problems.append(f"MISMATCH: {label}: outputs differ: {outputs}")
            for n, e in errors.items():
                problems.append(f"error: {label} on {n}: {e}")

            def cell(n):
                if n in errors:
                    return "error"
                if n not in med:
                    return "-"
                ts = times[n]
                return f"{med[n]:.3f}s ±{(max(ts) - min(ts)) / med[n] * 50:.0f}%"

            ratio = lambda a, b: f"{med[a] / med[b]:.2f}" if a in med and b in med else "-"
            per_op = "-"
            if prog == "hostcall" and "wexe" in med:
                per_op = f"{med['wexe'] / writes * 1e9:.0f} ns/write"
            elif prog == "clockcall" and "wexe" in med:
                per_op = f"{med['wexe'] / calls * 1e9:.0f} ns/call"
            elif prog == "readfile" and "wexe" in med:
                per_op = f"{mib / med['wexe']:.0f} MiB/s"
            rows.append([label, cell("wexe"), cell("wasmtime"), ratio("wexe", "wasmtime"),
                         cell("native"), ratio("wexe", "native"), per_op,
                         next(iter(outputs.values()), "-")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    header = ["program", f"wexe ({args.tier})", "wasmtime", "wexe/wasmtime", "native", "wexe/native",
              "wexe rate", "result"]
    print(f"\n{args.runs} runs each; median whole-process wall time, ± half the min-max spread")
    print_table(header, rows)
    for p in problems:
        print(p)
    return 1 if any(p.startswith("MISMATCH") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
