#!/usr/bin/env python3
"""Tier benchmark: the same programs on wexe's three tiers -- the interpreter, the JIT (cold:
no compilation cache, every function compiled before the first instruction) and tier-up
(`--tier auto`: interpreted first, the hot functions compiled in the background) -- with
wasmtime (cold, `-C cache=n`) as the peer, side by side in one run. It answers the question
tier-up is for: does `auto` start like the interpreter and run like the JIT?

Programs: the C kernels of benches/programs/ (`run(N)` through `--invoke`) and the real programs
of real_programs.py (Rust programs from sightglass, Lua, SQLite) as WASI commands. Every runtime
must print the same checksum. Times are whole-process medians (wall, and CPU: user + system,
which on a loaded machine is the fairer one); the ratios are auto/jit and auto/interp.

Usage: benches/tiers.py [--runs 3] [--only fib,rust-json] [--scale 0.5] [--wexe PATH]
                        [--no-wasmtime]
"""

import argparse
import sys

from harness import (OUT, ROOT, find_tool, fmt_ratio, geomean, log, measure, print_table,
                     wexe_binary)
from real_programs import REAL_PROGRAMS, module_path, scratch_dir
from run import KERNEL_NAMES, PROGRAMS_AND_SIZES, SCALE_FN, compile_programs, last_word, \
    output_hash

TIERS = ["interp", "jit", "auto"]


def argvs_for(name, n, wexe, wasmtime):
    """name -> argv of every runtime for program `name` at size `n`, and the directory to run in."""
    if name in KERNEL_NAMES:
        wasm = str(OUT / f"{name}.wasm")
        argvs = {f"wexe {t}": [wexe, "run", "--no-cache", "--tier", t, "--invoke", "run", wasm,
                               str(n)] for t in TIERS}
        if wasmtime:
            argvs["wasmtime"] = [wasmtime, "run", "-C", "cache=n", "--invoke", "run", wasm,
                                 str(n)]
        return argvs, None
    module = str(module_path(name, OUT, ROOT))
    args = REAL_PROGRAMS[name].args(n)
    argvs = {f"wexe {t}": [wexe, "run", "--no-cache", "--tier", t, "--dir", ".", module, *args]
             for t in TIERS}
    if wasmtime:
        argvs["wasmtime"] = [wasmtime, "run", "-C", "cache=n", "--dir", ".", module, *args]
    return argvs, scratch_dir(name, n, OUT)


def cpu(res):
    return res.get("cpu") if res and "error" not in res else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", help="comma-separated program names")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--no-wasmtime", action="store_true")
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(PROGRAMS_AND_SIZES)
    unknown = [n for n in names if n not in PROGRAMS_AND_SIZES]
    if unknown:
        sys.exit(f"error: unknown programs {unknown}; known: {list(PROGRAMS_AND_SIZES)}")
    wexe = wexe_binary(args.wexe)
    wasmtime = None if args.no_wasmtime else find_tool("wasmtime")
    if not args.no_wasmtime and wasmtime is None:
        log("note: wasmtime not installed (benches/install-peers.sh): no peer column")
    compile_programs([n for n in names if n in KERNEL_NAMES], native=False)

    rows, vs_jit, vs_interp, failures = [], [], [], []
    for name in names:
        n = SCALE_FN.get(name, lambda n, s: max(1, round(n * s)))(PROGRAMS_AND_SIZES[name],
                                                                  args.scale)
        log(f"  {name}({n}) ...")
        argvs, cwd = argvs_for(name, n, wexe, wasmtime)
        output = last_word if name in KERNEL_NAMES else output_hash
        results = measure(argvs, args.runs, cwd=cwd, output=output)
        for rt, res in results.items():
            if "error" in res:
                failures.append(f"{name} on {rt}: {res['error']}")
        sums = {res["output"] for res in results.values() if "output" in res}
        if len(sums) > 1:
            failures.append(f"{name}: the runtimes' checksums differ")
            continue
        auto, jit, interp = (cpu(results.get(f"wexe {t}")) for t in ("auto", "jit", "interp"))
        r_jit = auto / jit if auto and jit else None
        r_interp = auto / interp if auto and interp else None
        if r_jit:
            vs_jit.append(r_jit)
        if r_interp:
            vs_interp.append(r_interp)
        cells = [f"{name}({n})"]
        for rt in [*(f"wexe {t}" for t in TIERS), "wasmtime"]:
            res = results.get(rt)
            cells.append("-" if not res or "error" in res else
                         f"{res['median']:.2f}s/{res['cpu']:.2f}s")
        rows.append(cells + [fmt_ratio(r_jit), fmt_ratio(r_interp)])

    print(f"\n{args.runs} runs each; median wall time / median CPU time (user + system)")
    print_table(["program", "interp", "jit (cold)", "auto", "wasmtime (cold)", "auto/jit cpu",
                 "auto/interp cpu"], rows)
    if vs_jit:
        print(f"\ngeometric mean of CPU time: auto/jit {geomean(vs_jit):.2f} (worst"
              f" {max(vs_jit):.2f}), auto/interp {geomean(vs_interp):.2f} (worst"
              f" {max(vs_interp):.2f}) over {len(vs_jit)} programs")
    for f in failures:
        print(f"error: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
