#!/usr/bin/env python3
"""Counts the instructions wexe's interpreter and wasmi execute on the interpreter benchmark's
programs (benches/run.py), under valgrind's callgrind, at small sizes. Instruction counts do not
depend on the machine's load, so they compare two builds (or two runtimes) where wall time on a
shared machine cannot; they do not see cache misses or branch mispredictions.

Usage: benches/callgrind.py [--wexe PATH] [--only fib,rust-json] [--scale 0.05] [--keep DIR]
With --keep, the callgrind files stay in DIR (callgrind_annotate reads them).

Lua is left out by default: wexe's WASI clock (rustix's vDSO lookup) crashes under valgrind.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import OUT, find_tool, geomean, log, print_table, wexe_binary, ROOT
from real_programs import REAL_PROGRAMS, module_path, scratch_dir
from run import KERNEL_NAMES, PROGRAMS_AND_SIZES, SCALE_FN, compile_programs

DEFAULT = [n for n in PROGRAMS_AND_SIZES if n != "lua"]


def count(argv, cwd, out_file):
    """Instructions executed by argv under callgrind (None if it failed), and its stdout."""
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                           *argv], cwd=cwd, capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not m:
        log(f"  failed ({proc.returncode}): {' '.join(map(str, argv))}")
        return None, None
    return int(m.group(1)), proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--only", help="comma-separated program names")
    ap.add_argument("--scale", type=float, default=0.05, help="multiply the problem sizes")
    ap.add_argument("--keep", help="directory for the callgrind files")
    args = ap.parse_args()
    if find_tool("valgrind") is None:
        sys.exit("error: valgrind not found (apt-get install valgrind)")
    wexe = wexe_binary(args.wexe)
    wasmi = find_tool("wasmi")
    names = args.only.split(",") if args.only else DEFAULT
    compile_programs([n for n in names if n in KERNEL_NAMES], native=False)
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="callgrind-"))
    keep.mkdir(parents=True, exist_ok=True)
    rows, ratios = [], []
    for name in names:
        n = SCALE_FN.get(name, lambda n, s: max(1, round(n * s)))(PROGRAMS_AND_SIZES[name],
                                                                    args.scale)
        log(f"  {name}({n}) ...")
        if name in KERNEL_NAMES:
            cwd = None
            argv = {"wexe": [wexe, "run", "--tier", "interp", "--invoke", "run",
                             OUT / f"{name}.wasm", str(n)],
                    "wasmi": [wasmi, "run", "--invoke", "run", OUT / f"{name}.wasm", str(n)]}
        else:
            module, prog = module_path(name, OUT, ROOT), REAL_PROGRAMS[name].args(n)
            cwd = scratch_dir(name, n, OUT)
            argv = {"wexe": [wexe, "run", "--tier", "interp", "--dir", ".", module, *prog],
                    "wasmi": [wasmi, "run", "--dir", ".", module, *prog]}
        counts = {}
        outputs = set()
        for rt, a in argv.items():
            if rt == "wasmi" and wasmi is None:
                continue
            counts[rt], out = count(a, cwd, keep / f"{name}.{rt}.out")
            outputs.add(out)
        r = counts.get("wexe") / counts["wasmi"] if counts.get("wexe") and counts.get("wasmi") \
            else None
        if r and len(outputs) == 1:
            ratios.append(r)
        rows.append([f"{name}({n})", f"{counts.get('wexe') or 0:,}", f"{counts.get('wasmi') or 0:,}",
                     f"{r:.2f}" if r else "-", "" if len(outputs) == 1 else "OUTPUT DIFFERS"])
    print_table(["program", "wexe instructions", "wasmi instructions", "wexe/wasmi", ""], rows)
    if ratios:
        print(f"\ngeometric mean wexe/wasmi: {geomean(ratios):.3f}; callgrind files in {keep}")


if __name__ == "__main__":
    main()
