#!/usr/bin/env python3
"""JIT benchmarks: the C kernels in benches/programs/ built as wasm32-wasi command programs, run
by wexe's Cranelift JIT (`wexe run --tier jit`), wasmtime's CLI, node's WASI and as a native
gcc -O2 build, side by side in one run; then start-up: the compile time of a large module
(SQLite), and hello world end to end, cold and cached, with peak memory.

Every runtime runs the same .wasm the same way (`RUNTIME prog.wasm N`), which prints `run(N)`;
all must print the same checksum. Times are whole-process wall clock, the median of several
runs, the runtimes taking turns run by run.

Usage: benches/jit.py [--runs 5] [--only fib,sha256] [--scale 1.0] [--wexe PATH]
                      [--no-kernels] [--no-startup] [--large-module sqlite.wasm]
"""

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import (BENCHES, OUT, PROGRAMS, ROOT, Wexe, find_tool, fmt_ratio, fmt_time, geomean,
                     log, measure, peak_rss_kib, print_table, ratio, wexe_binary)

# Kernel -> N, sized so that the native gcc -O2 build takes roughly 0.15-0.35 s on a small x86-64
# machine (a 2-core VM); `--scale` multiplies them.
KERNELS = {
    "fib": 40,              # recursion: calls and returns
    "loop": 150_000_000,    # a serial integer chain
    "matmul": 700,          # f64 matrix multiply (n x n)
    "sort": 2_000_000,      # quicksort of u32s
    "dispatch": 400_000,    # function-pointer VM: call_indirect
    "fnv": 2_500,           # FNV-1a hash over 64 KiB
    "sieve": 20,            # sieve of Eratosthenes over 4 MiB
    "lz77": 150,            # LZ77 compress + decompress of 256 KiB
    "sha256": 1_000,        # SHA-256 of 64 KiB
    "hashtab": 20_000_000,  # open-addressing hash table operations
    "base64": 100,          # base64 encode + decode of 1 MiB
    "json": 250,            # recursive-descent parse of a 256 KiB JSON document
    "vm": 50_000,           # switch-dispatched bytecode interpreter (Collatz)
    "nbody": 2_000_000,     # 5-body simulation steps: f64, sqrt
    "mandel": 800,          # Mandelbrot escape times on an n x n grid: f64
    "memmove": 10_000_000,  # small overlapping moves and fills: memory.copy, memory.fill
}

# Sizes whose work grows faster than N.
SCALE_FN = {
    "fib": lambda n, s: max(1, round(n + math.log(s, 1.618))),
    "matmul": lambda n, s: min(1024, max(1, round(n * s ** (1 / 3)))),
    "mandel": lambda n, s: max(1, round(n * s ** (1 / 2))),
}

WASI_CC = ["--target=wasm32-wasi", "--sysroot=/usr", "-O2"]
# Extra clang flags per kernel: memmove's moves and fills become memory.copy / memory.fill.
KERNEL_CFLAGS = {"memmove": ["-mbulk-memory"]}
TARGETS = {"wexe/wasmtime": 1.0, "wexe/native": 1.3}  # the targets for the geomeans


def compile_kernels(names, native):
    """Each kernel with programs/native_main.c (main: print run(atoi(argv[1]))) as a wasm32-wasi
    command, out/jit-NAME.wasm, and natively, out/jit-NAME.native."""
    clang = find_tool("clang")
    if clang is None:
        sys.exit("error: clang not found; run scripts/install-wasm-toolchain.sh")
    OUT.mkdir(exist_ok=True)
    for name in names:
        srcs = [PROGRAMS / f"{name}.c", PROGRAMS / "native_main.c"]
        flags = KERNEL_CFLAGS.get(name, [])
        subprocess.run([clang, *WASI_CC, *flags, "-o", OUT / f"jit-{name}.wasm", *srcs],
                       check=True)
        if native:
            subprocess.run(["gcc", "-O2", "-o", OUT / f"jit-{name}.native", *srcs, "-lm"],
                           check=True)


def kernels(args, wexe, env):
    """Times every kernel on every runtime; prints the table and the geometric means. Returns
    the problems (errors, checksum mismatches) to print at the end."""
    names = list(KERNELS)
    if args.only:
        names = [n for n in args.only.split(",") if n]
        unknown = [n for n in names if n not in KERNELS]
        if unknown:
            sys.exit(f"error: unknown kernels {unknown}; known: {list(KERNELS)}")
    compile_kernels(names, args.native)
    wasmtime, node = find_tool("wasmtime"), find_tool("node")
    runner = BENCHES / "node_wasi_runner.mjs"

    def argvs(name, n):
        wasm = str(OUT / f"jit-{name}.wasm")
        cmds = {"wexe": wexe.run(wasm, str(n), cache=args.wexe_cache)}
        if wasmtime:
            cmds["wasmtime"] = [wasmtime, "run", wasm, str(n)]
        if node:
            cmds["node"] = [node, "--no-warnings", str(runner), wasm, str(n)]
        if args.native:
            cmds["native"] = [str(OUT / f"jit-{name}.native"), str(n)]
        return cmds

    peers = ["wasmtime", "node", "native"]
    rows, problems = [], []
    ratios = {k: [] for k in ["wexe/wasmtime", "wexe/node", "wexe/native", "wasmtime/native",
                              "node/native"]}
    for name in names:
        n = SCALE_FN.get(name, lambda n, s: max(1, round(n * s)))(KERNELS[name], args.scale)
        log(f"  {name}({n}) ...")
        results = measure(argvs(name, n), args.runs, env=env)
        for rt, res in results.items():
            if "error" in res:
                problems.append(f"error: {name} on {rt}: {res['error']}")
        sums = {rt: res["output"] for rt, res in results.items() if "output" in res}
        agree = len(set(sums.values())) == 1
        if not agree:
            problems.append(f"MISMATCH: {name}: checksums differ: {sums}")
        for key in ratios:
            a, b = key.split("/")
            r = ratio(results, a, b) if agree else None
            if r:
                ratios[key].append(r)
        rows.append([f"{name}({n})", *(fmt_time(results.get(rt)) for rt in ["wexe", *peers]),
                     *(fmt_ratio(ratio(results, "wexe", p) if agree else None) for p in peers),
                     next(iter(sums.values()), "-")])

    cache = "on" if args.wexe_cache or not wexe.has_no_cache else "off (--no-cache)"
    print(f"\nKernels: {args.runs} runs each; median whole-process wall time, ± half the "
          f"min-max spread; wexe's cache {cache}, wasmtime's on")
    print_table(["kernel", "wexe jit", "wasmtime", "node", "native", "wexe/wasmtime",
                 "wexe/node", "wexe/native", "checksum"], rows)
    print("\ngeometric means of the ratios (time; below 1 means the first is faster):")
    for key, rs in ratios.items():
        if rs:
            g = geomean(rs)
            target = TARGETS.get(key)
            verdict = "" if target is None else \
                f"   target <= {target}: {'met' if g <= target else 'NOT met'}"
            print(f"  {key:<16} {g:.3f}  over {len(rs)} kernels{verdict}")
    return problems


def find_large_module(args):
    """SQLite as wasm32-wasi (1.4 MB): --large-module, or scripts/fetch-real-programs.sh's."""
    if args.large_module:
        return Path(args.large_module)
    built = ROOT / "target" / "real-programs" / "sqlite.wasm"
    if not built.is_file():
        log("building target/real-programs/sqlite.wasm (scripts/fetch-real-programs.sh) ...")
        proc = subprocess.run([ROOT / "scripts" / "fetch-real-programs.sh"], cwd=ROOT)
        if proc.returncode != 0:
            return None
    return built if built.is_file() else None


def with_rss(results, argvs, env):
    """Adds "rss_kib" to each successful result: the peak RSS of one extra run."""
    for name, res in results.items():
        if "error" not in res:
            res["rss_kib"] = peak_rss_kib(argvs[name], env=env)
    return results


def fmt_usage(res):
    if res is None:
        return ["-"] * 3
    if "error" in res:
        return ["error", "-", "-"]
    rss = res.get("rss_kib")
    return [fmt_time(res), f"{res['cpu']:.3f}s", f"{rss / 1024:.1f} MiB" if rss else "-"]


def compile_time(args, wexe, tmp, problems):
    module = find_large_module(args)
    if module is None:
        problems.append("note: no large module (scripts/fetch-real-programs.sh failed); "
                        "compile time skipped")
        return
    wasmtime = find_tool("wasmtime")
    cmds = {}
    if wexe.has_compile:
        out_flag = re.search(r"\s(-o|--output)\b", wexe.compile_help)
        no_cache = ["--no-cache"] if "--no-cache" in wexe.compile_help else []
        out = [out_flag.group(1), str(tmp / "sqlite.wexe")] if out_flag else []
        cmds["wexe compile"] = [wexe.path, "compile", *no_cache, str(module), *out]
    # Without arguments the SQLite driver prints its usage and exits 2: compile, instantiate and
    # a trivial run.
    cmds["wexe run --tier jit (usage, exit 2)"] = wexe.run(str(module))
    if wasmtime:
        cmds["wasmtime compile"] = [wasmtime, "compile", str(module), "-o",
                                    str(tmp / "sqlite.cwasm")]
        cmds["wasmtime run -C cache=n (usage, exit 2)"] = [wasmtime, "run", "-C", "cache=n",
                                                           str(module)]
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "compile-cache"))
    results = with_rss(measure(cmds, args.startup_runs, env=env, allowed_status=(0, 2)), cmds, env)

    # For comparison, the same trivial run with each cache on and warm (one warm-up run first).
    warm = {"wexe run --tier jit, cache warm": wexe.run(str(module), cache=True)}
    if wasmtime:
        warm["wasmtime run, cache warm"] = [wasmtime, "run", str(module)]
    warm_env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "large-warm-cache"))
    measure(warm, 1, env=warm_env, allowed_status=(2,))
    results.update(with_rss(measure(warm, args.startup_runs, env=warm_env, allowed_status=(2,)),
                            warm, warm_env))

    size = module.stat().st_size / 1e6
    print(f"\nCompile time of a large module: {module.name} ({size:.1f} MB), "
          f"{args.startup_runs} runs, cold (no cache) unless it says otherwise; CPU time is user "
          "+ system over all threads")
    rows = [[name, *fmt_usage(res)] for name, res in results.items()]
    print_table(["command", "wall", "cpu", "peak RSS"], rows)
    pairs = [("wexe compile", "wasmtime compile"),
             ("wexe run --tier jit (usage, exit 2)", "wasmtime run -C cache=n (usage, exit 2)"),
             ("wexe run --tier jit, cache warm", "wasmtime run, cache warm")]
    for a, b in pairs:
        r = ratio(results, a, b)
        if r:
            print(f"  {a} / {b}: {r:.2f} (wall)")
    for name, res in results.items():
        if "error" in res:
            problems.append(f"error: compile {name}: {res['error']}")


def hello(args, wexe, tmp, problems):
    clang = find_tool("clang")
    wasm = tmp / "hello.wasm"
    subprocess.run([clang, *WASI_CC, "-o", wasm, BENCHES / "wasi" / "hello.c"], check=True)
    wasmtime, node = find_tool("wasmtime"), find_tool("node")
    runner = str(BENCHES / "node_wasi_runner.mjs")
    runs = args.startup_runs

    cold_env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cold-cache"))
    cold = {"wexe": wexe.run(str(wasm))}
    if wasmtime:
        cold["wasmtime"] = [wasmtime, "run", "-C", "cache=n", str(wasm)]
    if node:
        cold["node"] = [node, "--no-warnings", runner, str(wasm)]
    if args.native:
        subprocess.run(["gcc", "-O2", "-o", tmp / "hello.native", BENCHES / "wasi" / "hello.c"],
                       check=True)
        cold["native"] = [str(tmp / "hello.native")]
    cold_res = with_rss(measure(cold, runs, env=cold_env), cold, cold_env)

    # Cached: each runtime with its cache on, in a fresh cache directory, after one warm-up run.
    cache_dir = tmp / "warm-cache"
    warm_env = dict(os.environ, XDG_CACHE_HOME=str(cache_dir))
    warm = {"wexe": wexe.run(str(wasm), cache=True)}
    if wasmtime:
        warm["wasmtime"] = [wasmtime, "run", str(wasm)]
    measure(warm, 1, env=warm_env)
    cached_by = {rt: (cache_dir / rt).is_dir() and any((cache_dir / rt).rglob("*"))
                 for rt in warm}
    warm_res = with_rss(measure(warm, runs, env=warm_env), warm, warm_env)

    print(f"\nHello world end to end ({runs} runs; cold = cache disabled: "
          f"wexe {'--no-cache' if wexe.has_no_cache else '(no --no-cache flag)'}, "
          "wasmtime -C cache=n; cached = second and later runs with the cache on)")
    rows = []
    for rt in cold:
        rows.append([rt, "cold", *fmt_usage(cold_res.get(rt))])
        if rt in warm:
            note = "" if cached_by[rt] else f" (no cache written in $XDG_CACHE_HOME/{rt})"
            rows.append([rt, "cached" + note, *fmt_usage(warm_res.get(rt))])
    print_table(["runtime", "mode", "wall", "cpu", "peak RSS"], rows)
    for label, res in [("cold", cold_res), ("cached", warm_res)]:
        r = ratio(res, "wexe", "wasmtime")
        if r:
            rss = [res[rt].get("rss_kib") for rt in ("wexe", "wasmtime")]
            rss_ratio = f", {rss[0] / rss[1]:.2f} (peak RSS)" if all(rss) else ""
            print(f"  wexe/wasmtime {label}: {r:.2f} (wall){rss_ratio}")
        for rt, x in res.items():
            if "error" in x:
                problems.append(f"error: hello {label} on {rt}: {x['error']}")
            elif x["output"] != "hello, world":
                problems.append(f"MISMATCH: hello {label} on {rt} printed {x['output']!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per kernel and runtime (median)")
    ap.add_argument("--startup-runs", type=int, default=10,
                    help="runs per start-up measurement (median)")
    ap.add_argument("--only", help="comma-separated kernel names")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the problem sizes")
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--no-native", dest="native", action="store_false",
                    help="skip the native gcc -O2 reference")
    ap.add_argument("--no-kernels", dest="kernels", action="store_false",
                    help="only the start-up measurements")
    ap.add_argument("--no-startup", dest="startup", action="store_false",
                    help="only the kernels")
    ap.add_argument("--wexe-cache", action="store_true",
                    help="run the kernels with wexe's cache on (like wasmtime's) "
                    "instead of --no-cache")
    ap.add_argument("--large-module", help="the large module for compile time "
                    "(default: target/real-programs/sqlite.wasm, built if missing)")
    args = ap.parse_args()
    if args.native and shutil.which("gcc") is None:
        log("note: gcc not found, no native reference")
        args.native = False
    for tool, how in [("wasmtime", "benches/install-peers.sh"), ("node", "node 20 or later")]:
        if find_tool(tool) is None:
            log(f"note: {tool} not found ({how}); its column stays empty")

    wexe = Wexe(wexe_binary(args.wexe))
    print(wexe.describe())
    problems = []
    tmp = Path(tempfile.mkdtemp(prefix="wexe-jit-bench-"))
    try:
        # wasmtime's (and wexe's) cache lives under $XDG_CACHE_HOME: a temp dir, so the user's
        # cache is neither used nor filled.
        env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "kernel-cache"))
        if args.kernels:
            problems += kernels(args, wexe, env)
        if args.startup:
            compile_time(args, wexe, tmp, problems)
            hello(args, wexe, tmp, problems)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print(p)
    return 1 if any(p.startswith("MISMATCH") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
