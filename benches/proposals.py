#!/usr/bin/env python3
"""WebAssembly 3.0 control flow side by side: exceptions and tail calls on wexe's JIT and
interpreter and on wasmtime, in one run.

    benches/proposals.py [--runs N] [--scale F] [--wexe PATH] [--skip-interp]

Two kernels of ours in proposals/ (text format; both runtimes assemble it):
  throw.wat     run(n): n exceptions, each thrown ten wasm frames below the try_table that
                catches it (default n = 1,000,000)
  tailcall.wat  run(n): n mutual tail calls between two functions (default n = 100,000,000)
Each runtime runs `run --invoke run FILE N` as a fresh process; the table has the median
whole-process wall time, wexe/wasmtime per tier, and the result each runtime printed (they must
agree)."""

import argparse
import sys

from harness import (BENCHES, find_tool, fmt_ratio, fmt_time, log, measure, print_table, ratio,
                     wexe_binary)

KERNELS = [("throw", 1_000_000, "exceptions through 10 frames"),
           ("tailcall", 100_000_000, "mutual tail calls")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per kernel and runtime (median)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every kernel's n")
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--skip-interp", action="store_true", help="leave wexe's interpreter out")
    args = ap.parse_args()

    wexe = wexe_binary(args.wexe)
    wasmtime = find_tool("wasmtime")
    if wasmtime is None:
        log("note: skipping wasmtime: not installed (benches/install-peers.sh)")

    rows, problems = [], []
    for name, n, what in KERNELS:
        n = max(1, round(n * args.scale))
        path = str(BENCHES / "proposals" / f"{name}.wat")
        features = ["-W", "exceptions=y,tail-call=y"]
        argvs = {"wexe jit": [wexe, "run", "--tier", "jit", "--no-cache", *features, "--invoke",
                              "run", path, str(n)]}
        if not args.skip_interp:
            argvs["wexe interp"] = [wexe, "run", "--tier", "interp", *features, "--invoke", "run",
                                    path, str(n)]
        if wasmtime:
            argvs["wasmtime"] = [wasmtime, "run", *features, "--invoke", "run", path, str(n)]
        log(f"  {name}({n}) ...")
        res = measure(argvs, args.runs)
        outputs = {k: r["output"] for k, r in res.items() if "output" in r}
        if len(set(outputs.values())) > 1:
            problems.append(f"MISMATCH: {name}: results differ: {outputs}")
        problems += [f"error: {name} on {k}: {r['error']}" for k, r in res.items() if "error" in r]
        rows.append([f"{name}({n}): {what}", fmt_time(res.get("wexe jit")),
                     fmt_time(res.get("wexe interp")), fmt_time(res.get("wasmtime")),
                     fmt_ratio(ratio(res, "wexe jit", "wasmtime")),
                     fmt_ratio(ratio(res, "wexe interp", "wasmtime")),
                     next(iter(outputs.values()), "-")])

    print(f"\n{args.runs} runs each; median whole-process wall time, ± half the min-max spread")
    print_table(["kernel", "wexe jit", "wexe interp", "wasmtime", "jit/wasmtime",
                 "interp/wasmtime", "result"], rows)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
