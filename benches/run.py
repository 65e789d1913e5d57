#!/usr/bin/env python3
"""Benchmark harness: runs the C programs in benches/programs/ compiled to wasm on wexe's
interpreter and on peer runtimes (wasmi 2.0's CLI), plus a native gcc -O2 build as a reference,
and prints one table of median times and wexe/peer ratios from a single run.

Each program exports `int run(int n)`; every runtime is asked for `run(N)` through its CLI
(`--invoke run prog.wasm N`) and must print the same checksum. Times are whole-process wall clock
(start-up, lazy translation and execution), the median of several runs; the runtimes take turns
run by run, so that changes in machine load hit them alike.

Usage: benches/run.py [--runs 5] [--only fib,sort] [--scale 0.5] [--no-build] [--no-native]
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
ROOT = BENCHES.parent
PROGRAMS = BENCHES / "programs"
OUT = BENCHES / "out"

# Program name -> the argument N passed to `run`. Sized so that wasmi 2.0 takes roughly a second
# on a small x86-64 machine; `--scale` multiplies them.
PROGRAMS_AND_SIZES = {
    "fib": 36,
    "loop": 60_000_000,
    "matmul": 400,
    "sort": 2_000_000,
    "dispatch": 100_000,
    "fnv": 1_500,
    "sieve": 12,
}

# Sizes that must not be scaled linearly (work grows faster than N).
SCALE_FN = {
    "fib": lambda n, s: max(1, round(n + math.log(s, 1.618))),
    "matmul": lambda n, s: min(512, max(1, round(n * s ** (1 / 3)))),
}

WASM_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--export=run"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def find_tool(name):
    """A tool from PATH, or from ~/.cargo/bin where `cargo install` puts peers."""
    found = shutil.which(name)
    if found:
        return found
    cargo_bin = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")) / "bin" / name
    return str(cargo_bin) if cargo_bin.is_file() else None


def build_wexe():
    """`cargo build --release` of the wexe binary; returns the path cargo reports for it."""
    log("building wexe (cargo build --release -p wexe-cli) ...")
    cmd = ["cargo", "build", "--release", "-p", "wexe-cli", "--bin", "wexe",
           "--message-format=json-render-diagnostics"]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("error: building wexe failed")
    for line in proc.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg["target"]["name"] == "wexe":
            return msg["executable"]
    sys.exit("error: cargo did not report a wexe executable")


def compile_programs(names, native):
    """Compiles each program to out/NAME.wasm (and out/NAME.native with gcc when `native`)."""
    clang = find_tool("clang")
    if clang is None:
        sys.exit("error: clang not found; run scripts/install-wasm-toolchain.sh")
    OUT.mkdir(exist_ok=True)
    for name in names:
        src = PROGRAMS / f"{name}.c"
        subprocess.run([clang, *WASM_FLAGS, "-o", OUT / f"{name}.wasm", src], check=True)
        if native:
            subprocess.run(["gcc", "-O2", "-o", OUT / f"{name}.native", src,
                            PROGRAMS / "native_main.c"], check=True)


class Runtime:
    """A way to run `run(N)` of a program: a name and a function from (program, N) to argv."""

    def __init__(self, name, argv_for, note=None):
        self.name = name
        self.argv_for = argv_for
        self.note = note  # why it is missing, when it is

    @property
    def available(self):
        return self.argv_for is not None


def runtimes(args):
    wexe = args.wexe or build_wexe()
    found = [Runtime("wexe", lambda p, n: [wexe, "run", "--tier", "interp", "--invoke", "run",
                                           str(OUT / f"{p}.wasm"), str(n)])]
    wasmi = find_tool("wasmi")
    if wasmi:
        found.append(Runtime("wasmi", lambda p, n: [wasmi, "run", "--invoke", "run",
                                                     str(OUT / f"{p}.wasm"), str(n)]))
    else:
        found.append(Runtime("wasmi", None, "wasmi not installed: run benches/install-peers.sh"))
    if args.native:
        found.append(Runtime("native", lambda p, n: [str(OUT / f"{p}.native"), str(n)]))
    return found


def run_once(argv):
    """Runs argv; returns (seconds, checksum) or raises RuntimeError with the failure."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        raise RuntimeError(f"exit {proc.returncode}: {lines[0]}")
    out = proc.stdout.split()
    if not out:
        raise RuntimeError("printed no result")
    return elapsed, out[-1]


def measure(rts, program, n, runs):
    """Times `run(n)` of `program` on every runtime, interleaving the runtimes run by run so that
    a change in machine load hits them alike. Returns, per runtime name, the median seconds,
    relative spread and checksum, or an error string."""
    times = {rt.name: [] for rt in rts}
    checksums, errors = {}, {}
    for _ in range(runs):
        for rt in rts:
            if rt.name in errors:
                continue
            try:
                t, c = run_once(rt.argv_for(program, n))
                if checksums.setdefault(rt.name, c) != c:
                    raise RuntimeError(f"checksum changed between runs: {checksums[rt.name]}, {c}")
                times[rt.name].append(t)
            except (RuntimeError, OSError) as e:
                errors[rt.name] = str(e)
    results = {}
    for rt in rts:
        if rt.name in errors:
            results[rt.name] = {"error": errors[rt.name]}
            continue
        ts = times[rt.name]
        med = statistics.median(ts)
        spread = (max(ts) - min(ts)) / med if med > 0 else 0.0
        results[rt.name] = {"median": med, "spread": spread, "checksum": checksums[rt.name]}
    return results


def fmt_time(res):
    if res is None:
        return "-"
    if "error" in res:
        return "error"
    return f"{res['median']:.3f}s ±{res['spread'] * 50:.0f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per program and runtime (median)")
    ap.add_argument("--only", help="comma-separated program names")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the problem sizes")
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--no-native", dest="native", action="store_false",
                    help="skip the native gcc -O2 reference")
    args = ap.parse_args()
    if args.native and shutil.which("gcc") is None:
        log("note: gcc not found, no native reference")
        args.native = False

    names = list(PROGRAMS_AND_SIZES)
    if args.only:
        names = [n for n in args.only.split(",") if n]
        unknown = [n for n in names if n not in PROGRAMS_AND_SIZES]
        if unknown:
            sys.exit(f"error: unknown programs {unknown}; known: {list(PROGRAMS_AND_SIZES)}")

    rts = runtimes(args)
    compile_programs(names, args.native)
    for rt in rts:
        if not rt.available:
            log(f"note: skipping {rt.name}: {rt.note}")
    rts = [rt for rt in rts if rt.available]
    have_wasmi = any(rt.name == "wasmi" for rt in rts)

    rows, errors, ratios, mismatches = [], [], [], []
    for name in names:
        base = PROGRAMS_AND_SIZES[name]
        n = SCALE_FN.get(name, lambda n, s: max(1, round(n * s)))(base, args.scale)
        log(f"  {name}({n}) ...")
        results = measure(rts, name, n, args.runs)
        for rt, res in results.items():
            if "error" in res:
                errors.append(f"{name} on {rt}: {res['error']}")
        sums = {r: res["checksum"] for r, res in results.items() if "checksum" in res}
        if len(set(sums.values())) > 1:
            mismatches.append(f"{name}: checksums differ: {sums}")
        wexe, wasmi = results.get("wexe"), results.get("wasmi")
        ratio = None
        if wexe and wasmi and "median" in wexe and "median" in wasmi and \
                len(set(sums.values())) == 1:
            ratio = wexe["median"] / wasmi["median"]
            ratios.append(ratio)
        rows.append([f"{name}({n})", fmt_time(wexe), fmt_time(wasmi),
                     f"{ratio:.2f}" if ratio else "-", fmt_time(results.get("native")),
                     next(iter(sums.values()), "-")])

    header = ["program", "wexe", "wasmi", "wexe/wasmi", "native", "checksum"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(f"\n{args.runs} runs each; median whole-process wall time, ± half the min-max spread")
    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"\ngeometric mean wexe/wasmi over {len(ratios)} programs: {geo:.2f}"
              f" ({'wexe faster' if geo < 1 else 'wasmi faster'})")
    elif not have_wasmi:
        print("\nno wasmi column: wasmi is not installed (benches/install-peers.sh)")
    for e in errors:
        print(f"error: {e}")
    for m in mismatches:
        print(f"MISMATCH: {m}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
