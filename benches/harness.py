"""Helpers shared by the benchmark harnesses (run.py, wasi.py, jit.py, simd.py): finding and
building the runtimes, timing whole processes, interleaved medians, ratios and plain-text tables."""

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
ROOT = BENCHES.parent
PROGRAMS = BENCHES / "programs"
OUT = BENCHES / "out"


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
            # The release build's interpreter handlers must chain by tail jumps (the test
            # command checks its own, less optimised build).
            check = ROOT / "scripts" / "check-tail-dispatch.py"
            if subprocess.run([sys.executable, str(check), msg["executable"]]).returncode:
                sys.exit("error: the release build fails check-tail-dispatch.py")
            return msg["executable"]
    sys.exit("error: cargo did not report a wexe executable")


def wexe_binary(path):
    """The wexe to benchmark: `path` if given (--wexe), else a fresh release build."""
    return str(Path(path).resolve()) if path else build_wexe()


class Wexe:
    """The wexe binary and which of the newer CLI features it has."""

    def __init__(self, path):
        self.path = path
        top = subprocess.run([path, "--help"], capture_output=True, text=True).stdout
        run = subprocess.run([path, "run", "--help"], capture_output=True, text=True).stdout
        self.has_no_cache = "--no-cache" in run
        self.has_compile = any(line.split()[:1] == ["compile"] for line in top.splitlines())
        self.compile_help = ""
        if self.has_compile:
            self.compile_help = subprocess.run([path, "compile", "--help"], capture_output=True,
                                               text=True).stdout

    def run(self, *args, cache=False):
        no_cache = ["--no-cache"] if self.has_no_cache and not cache else []
        return [self.path, "run", "--tier", "jit", *no_cache, *args]

    def interp(self, *args):
        return [self.path, "run", "--tier", "interp", *args]

    def describe(self):
        return (f"wexe {self.path}: --no-cache {'yes' if self.has_no_cache else 'no'}, "
                f"`wexe compile` {'yes' if self.has_compile else 'no'}")


class Run:
    """One finished process: wall seconds, CPU seconds (user + system), exit status and output."""

    def __init__(self, wall, cpu, status, stdout, stderr):
        self.wall, self.cpu = wall, cpu
        self.status, self.stdout, self.stderr = status, stdout, stderr


def run_timed(argv, cwd=None, env=None):
    """Runs argv to completion and measures it; the CPU time comes from wait4(2). (Not the peak
    RSS: a child forked from Python starts with Python's high-water mark; see peak_rss_kib.)
    Raises OSError if it cannot start."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        _, wait_status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(wait_status)  # reaped: keep Popen quiet
        out.seek(0)
        err.seek(0)
        return Run(wall, usage.ru_utime + usage.ru_stime, proc.returncode,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def peak_rss_kib(argv, cwd=None, env=None):
    """The peak resident set size of one run of argv in KiB, from `/usr/bin/time -f %M` (GNU
    time, a small C parent, so the child starts small), or None without /usr/bin/time or when
    the run fails to start."""
    if not Path("/usr/bin/time").is_file():
        return None
    with tempfile.NamedTemporaryFile(mode="r") as f:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, *argv], cwd=cwd, env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        words = f.read().split()
    return int(words[-1]) if words and words[-1].isdigit() else None


def first_line(run):
    lines = (run.stderr.strip() or run.stdout.strip() or "no output").splitlines()
    return lines[0]


def measure(argvs, runs, cwd=None, env=None, output=lambda r: r.stdout.strip(),
            allowed_status=(0,)):
    """Runs each command of `argvs` (name -> argv) `runs` times, taking turns run by run (a, b,
    c, a, b, c, ...) so that a change in machine load hits them alike. Returns, per name, a dict
    with the median wall time, its relative spread (max - min) / median, the median CPU time and
    the output (`output(run)`, which must be the same every run) -- or a dict with
    just an "error"."""
    done = {name: [] for name in argvs}
    outputs, errors = {}, {}
    for _ in range(runs):
        for name, argv in argvs.items():
            if name in errors:
                continue
            try:
                r = run_timed(argv, cwd=cwd, env=env)
            except OSError as e:
                errors[name] = str(e)
                continue
            if r.status not in allowed_status:
                errors[name] = f"exit {r.status}: {first_line(r)}"
                continue
            out = output(r)
            if outputs.setdefault(name, out) != out:
                errors[name] = f"output changed between runs: {outputs[name]!r}, {out!r}"
                continue
            done[name].append(r)
    results = {}
    for name, rs in done.items():
        if name in errors:
            results[name] = {"error": errors[name]}
            continue
        walls = [r.wall for r in rs]
        med = statistics.median(walls)
        results[name] = {
            "median": med,
            "spread": (max(walls) - min(walls)) / med if med > 0 else 0.0,
            "cpu": statistics.median(r.cpu for r in rs),
            "output": outputs[name],
        }
    return results


def fmt_time(res):
    """A table cell for one result of `measure`: median seconds and ± half the spread."""
    if res is None:
        return "-"
    if "error" in res:
        return "error"
    return f"{res['median']:.3f}s ±{res['spread'] * 50:.0f}%"


def ratio(results, a, b):
    """results[a] / results[b] in median time, or None when either is missing or failed."""
    ra, rb = results.get(a), results.get(b)
    if ra and rb and "median" in ra and "median" in rb and rb["median"] > 0:
        return ra["median"] / rb["median"]
    return None


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}"


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def print_table(header, rows):
    """Left-aligned columns, a dashed rule under the header."""
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
