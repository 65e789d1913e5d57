#!/usr/bin/env python3
"""Benchmark harness: runs programs on wexe's interpreter and on wasmi 2.0's CLI side by side
and prints one table of median times and wexe/wasmi ratios from a single run, with their
geometric mean.

Two kinds of program:
- kernels: the C programs in benches/programs/, compiled to wasm, each exporting `int run(int n)`;
  every runtime is asked for `run(N)` (`--invoke run prog.wasm N`) and must print the same
  checksum; a native gcc -O2 build is the reference line;
- real programs (real_programs.py): Rust programs from sightglass, Lua and SQLite, run as WASI
  commands in a scratch directory (`--dir .`) with a workload; their whole output (stdout and
  stderr) must be the same on every runtime, and its hash is the checksum.

Times are whole-process wall clock (start-up, lazy translation and execution), the median of
several runs; the runtimes take turns run by run, so that changes in machine load hit them alike.

Usage: benches/run.py [--runs 5] [--only fib,rust-json] [--scale 0.5] [--wexe PATH] [--no-native]
"""

import argparse
import hashlib
import math
import shutil
import subprocess
import sys

from harness import (OUT, PROGRAMS, find_tool, fmt_ratio, fmt_time, geomean, log, measure,
                     print_table, ratio, wexe_binary, ROOT)
from real_programs import REAL_PROGRAMS, module_path, scratch_dir

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
KERNEL_NAMES = list(PROGRAMS_AND_SIZES)
PROGRAMS_AND_SIZES.update({name: p.size for name, p in REAL_PROGRAMS.items()})

# Sizes that must not be scaled linearly (work grows faster than N).
SCALE_FN = {
    "fib": lambda n, s: max(1, round(n + math.log(s, 1.618))),
    "matmul": lambda n, s: min(1024, max(1, round(n * s ** (1 / 3)))),
}

WASM_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--export=run"]


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
    """A way to run a program: a name, a function from (kernel, N) to the argv running `run(N)`,
    and a function from (module, program arguments) to the argv running a WASI command in the
    current directory (None: the runtime cannot, as the native reference)."""

    def __init__(self, name, argv_for, note=None, command_for=None):
        self.name = name
        self.argv_for = argv_for
        self.note = note  # why it is missing, when it is
        self.command_for = command_for

    @property
    def available(self):
        return self.argv_for is not None


def runtimes(args):
    wexe = wexe_binary(args.wexe)
    found = [Runtime("wexe", lambda p, n: [wexe, "run", "--tier", "interp", "--invoke", "run",
                                           str(OUT / f"{p}.wasm"), str(n)],
                     command_for=lambda m, a: [wexe, "run", "--tier", "interp", "--dir", ".",
                                               str(m), *a])]
    wasmi = find_tool("wasmi")
    if wasmi:
        found.append(Runtime("wasmi", lambda p, n: [wasmi, "run", "--invoke", "run",
                                                     str(OUT / f"{p}.wasm"), str(n)],
                             command_for=lambda m, a: [wasmi, "run", "--dir", ".", str(m), *a]))
    else:
        found.append(Runtime("wasmi", None, "wasmi not installed: run benches/install-peers.sh"))
    if args.native:
        found.append(Runtime("native", lambda p, n: [str(OUT / f"{p}.native"), str(n)]))
    return found


def last_word(run):
    """The checksum: the last word a runtime printed (wasmi prints results one per line)."""
    words = run.stdout.split()
    return words[-1] if words else "(nothing)"


def cpu_ratio(results, a, b):
    """results[a] / results[b] in median CPU time: on a loaded machine the wall time also counts
    the time a process waited for a core, which the CPU time does not."""
    ra, rb = results.get(a), results.get(b)
    if ra and rb and "cpu" in ra and "cpu" in rb and rb["cpu"] > 0:
        return ra["cpu"] / rb["cpu"]
    return None


def fmt_cpu(res):
    return "-" if res is None or "cpu" not in res else f"{res['cpu']:.3f}s"


def output_hash(run):
    """The checksum of a real program: a hash of everything it printed."""
    digest = hashlib.sha256(run.stdout.encode() + b"\0" + run.stderr.encode()).hexdigest()
    return digest[:12]


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
    compile_programs([n for n in names if n in KERNEL_NAMES], args.native)
    for rt in rts:
        if not rt.available:
            log(f"note: skipping {rt.name}: {rt.note}")
    rts = [rt for rt in rts if rt.available]
    have_wasmi = any(rt.name == "wasmi" for rt in rts)

    rows, errors, ratios, cpu_ratios, mismatches = [], [], [], [], []
    for name in names:
        base = PROGRAMS_AND_SIZES[name]
        n = SCALE_FN.get(name, lambda n, s: max(1, round(n * s)))(base, args.scale)
        log(f"  {name}({n}) ...")
        if name in KERNEL_NAMES:
            argvs = {rt.name: rt.argv_for(name, n) for rt in rts}
            results = measure(argvs, args.runs, output=last_word)
        else:
            module = module_path(name, OUT, ROOT)
            prog_args = REAL_PROGRAMS[name].args(n)
            argvs = {rt.name: rt.command_for(module, prog_args) for rt in rts if rt.command_for}
            results = measure(argvs, args.runs, cwd=scratch_dir(name, n, OUT),
                              output=output_hash)
        for rt, res in results.items():
            if "error" in res:
                errors.append(f"{name} on {rt}: {res['error']}")
        sums = {r: res["output"] for r, res in results.items() if "output" in res}
        if len(set(sums.values())) > 1:
            mismatches.append(f"{name}: checksums differ: {sums}")
        agree = len(set(sums.values())) == 1
        r = ratio(results, "wexe", "wasmi") if agree else None
        rc = cpu_ratio(results, "wexe", "wasmi") if agree else None
        if r:
            ratios.append(r)
        if rc:
            cpu_ratios.append(rc)
        rows.append([f"{name}({n})", fmt_time(results.get("wexe")),
                     fmt_time(results.get("wasmi")), fmt_ratio(r), fmt_cpu(results.get("wexe")),
                     fmt_cpu(results.get("wasmi")), fmt_ratio(rc),
                     fmt_time(results.get("native")), next(iter(sums.values()), "-")])

    print(f"\n{args.runs} runs each; median whole-process wall time, ± half the min-max spread;"
          " median CPU time (user + system)")
    print_table(["program", "wexe", "wasmi", "wexe/wasmi", "wexe cpu", "wasmi cpu", "cpu ratio",
                 "native", "checksum"], rows)
    if ratios:
        geo = geomean(ratios)
        print(f"\ngeometric mean wexe/wasmi over {len(ratios)} programs: {geo:.2f} in wall time"
              f" ({'wexe faster' if geo < 1 else 'wasmi faster'}), worst {max(ratios):.2f};"
              f" {geomean(cpu_ratios):.2f} in CPU time, worst {max(cpu_ratios):.2f}")
    elif not have_wasmi:
        print("\nno wasmi column: wasmi is not installed (benches/install-peers.sh)")
    for e in errors:
        print(f"error: {e}")
    for m in mismatches:
        print(f"MISMATCH: {m}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
