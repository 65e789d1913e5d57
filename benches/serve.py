#!/usr/bin/env python3
"""`wexe serve` under load: requests/s and p50/p99 latency from `wrk` (keep-alive, one wrk
thread, N connections) for a hello-world CGI program and for a real application (Lua 5.4 running
a script per request), under the default tier (auto) and in both tiers, side by side with a
static-response ceiling (the same hyper/tokio stack with no wasm:
crates/serve/examples/static_ceiling.rs) and with `wasmtime serve` running the same hello world as
a wasi-http component (benches/wasi-http/hello.wat, hand-written in the component text format,
which wasmtime's CLI reads directly).

    python3 benches/serve.py [--wexe PATH] [--duration 5] [--connections 16] [--rounds 1]

Needs wrk (bash benches/install-peers.sh), clang for wasm32-wasi
(scripts/install-wasm-toolchain.sh) and lua.wasm (scripts/fetch-real-programs.sh; looked for in
target/real-programs); wasmtime (install-peers.sh too) for its peer case, which is left out, with
the reason, when wasmtime is missing or cannot serve the component."""

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

# The same hello world for `wasmtime serve`: a wasi-http component in the component text format.
HELLO_COMPONENT = harness.BENCHES / "wasi-http" / "hello.wat"
WASMTIME_HELLO = "wasmtime serve hello (wasi-http)"

HELLO_C = r"""
#include <stdio.h>
int main(void) {
    fputs("Content-Type: text/plain\n\nhello world\n", stdout);
    return 0;
}
"""

APP_LUA = r"""
local n = tonumber(arg[1]) or 15
local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do
  words[#words + 1] = w:upper()
end
table.sort(words)
io.write("Content-Type: application/json\r\n\r\n")
io.write(string.format('{"fib":%d,"words":"%s"}\n', fib(n), table.concat(words, ",")))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc):
    """None once something listens on `port`, else why not."""
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            return f"exited ({proc.returncode}) before listening"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return None
        except OSError:
            time.sleep(0.05)
    return "did not listen within 60 s"


def check_answer(url, content_type, body):
    """None if one GET of `url` answers 200 with `content_type` and `body` in its body, else
    what it answered."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            status, got_type, got = r.status, r.headers.get("content-type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return f"status {e.code}"
    except OSError as e:
        return str(e)
    if status == 200 and got_type == content_type and body in got:
        return None
    return f"status {status}, content-type {got_type!r}, body {got!r}"


def wrk(url, duration, connections):
    """requests/s, p50 and p99 in µs, and the count of non-2xx/3xx answers."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def lat(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        scale = {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
        return float(m.group(1)) * scale

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return rps, lat(50), lat(99), int(bad.group(1)) if bad else 0, errors.group(0) if errors else ""


def run_case(name, cmd, port, path, args, content_type, body, peer=False):
    """Starts the server `cmd`, checks one answer (status 200, the content type, `body` in the
    body), then loads it with wrk, whose count of non-2xx answers covers every response. A
    server that fails ends the run, except a peer runtime's, which is left out with the reason
    (returns None)."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            url = f"http://127.0.0.1:{port}{path}"
            failure = wait_listening(port, proc) or check_answer(url, content_type, body)
            if failure:
                proc.terminate()
                proc.wait()
                stderr.seek(0)
                # What it said, without the backtrace RUST_BACKTRACE=1 adds to a Rust error.
                said = stderr.read().decode(errors="replace").split("\nStack backtrace:")[0]
                said = said.strip()[:2000]
                reason = failure + (f"; it said: {said}" if said else "")
                if peer:
                    harness.log(f"{name}: left out: {reason}")
                    return None
                sys.exit(f"error: {name}: {reason}")
            rps, p50, p99, bad, errors = wrk(url, args.duration, args.connections)
            harness.log(f"  {name}: {rps:,.0f} req/s, p50 {p50:.0f} µs, p99 {p99:.0f} µs"
                        + (f", {bad} bad answers" if bad else "")
                        + (f" ({errors})" if errors else ""))
            return name, rps, p50, p99, bad
        finally:
            proc.terminate()
            proc.wait()


def wasmtime_serve():
    """The `wasmtime serve` command line to run HELLO_COMPONENT with (--addr comes next), or
    None (logged) without wasmtime."""
    wasmtime = harness.find_tool("wasmtime")
    if not wasmtime:
        harness.log(f"{WASMTIME_HELLO}: left out: no wasmtime (bash benches/install-peers.sh)")
        return None
    version = subprocess.run([wasmtime, "--version"], capture_output=True,
                             text=True).stdout.strip()
    harness.log(f"{version}: serving {HELLO_COMPONENT.relative_to(harness.ROOT)}")
    # No -S flags: the component imports only wasi:http/types, wasi:io/streams and
    # wasi:io/error, all in the proxy world `wasmtime serve` links by default (-S cli would add
    # the command world's interfaces, unused here). Its defaults for a WASIp2 component give
    # each request a fresh instance (--max-instance-reuse-count 1), as wexe serve does, from its
    # pooling allocator (on by default for serve where 42 bits of address space can be reserved).
    return [wasmtime, "serve"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wexe", help="the wexe binary (default: a fresh release build)")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every case this many times, taking turns, and report medians")
    args = ap.parse_args()
    if not harness.find_tool("wrk"):
        sys.exit("error: wrk is missing: bash benches/install-peers.sh")
    wexe = harness.wexe_binary(args.wexe)
    ceiling = harness.ROOT / "target/release/examples/static_ceiling"
    if not args.wexe or not ceiling.exists():
        harness.log("building the static ceiling (cargo build --release --example static_ceiling)")
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "wexe-serve", "--example",
                        "static_ceiling"], cwd=harness.ROOT, check=True)
    lua = harness.ROOT / "target/real-programs/lua.wasm"
    tmp = Path(tempfile.mkdtemp(prefix="wexe-serve-bench-"))
    hello_c = tmp / "hello.c"
    hello_c.write_text(HELLO_C)
    hello = tmp / "hello.wasm"
    subprocess.run(["clang", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o", hello,
                    hello_c], check=True)
    site = tmp / "site"
    site.mkdir()
    (site / "app.lua").write_text(APP_LUA)
    (tmp / "modules.toml").write_text(
        f'[[module]]\nroute = "/app/..."\nmodule = "{lua}"\n'
        f'argv = "lua /site/app.lua ${{ARGS}}"\n')

    # (name, argv for a port, path, content type, body, peer?), run in this order each round.
    cases = [("static ceiling (hyper, no wasm)", lambda port: [str(ceiling), f"127.0.0.1:{port}"],
              "/", "text/plain", "hello world", False)]
    for tier in ["auto", "jit", "interp"]:
        cases.append((f"wexe serve hello ({tier})",
                      lambda port, tier=tier: [wexe, "serve", "--tier", tier, "--no-access-log",
                                               "--addr", f"127.0.0.1:{port}", str(hello)],
                      "/", "text/plain", "hello world", False))
    wasmtime = wasmtime_serve()
    if wasmtime:
        cases.append((WASMTIME_HELLO, lambda port: [*wasmtime, "--addr", f"127.0.0.1:{port}",
                                                    str(HELLO_COMPONENT)],
                      "/", "text/plain", "hello world", True))
    if lua.exists():
        for tier in ["auto", "jit", "interp"]:
            cases.append((f"wexe serve Lua app ({tier})",
                          lambda port, tier=tier: [
                              wexe, "serve", "--tier", tier, "--no-access-log", "--dir-ro",
                              f"{site}::/site", "--addr", f"127.0.0.1:{port}",
                              "--config", str(tmp / "modules.toml")],
                          "/app/x?15", "application/json", '"fib":610', False))
    else:
        harness.log(f"no {lua} (scripts/fetch-real-programs.sh target/real-programs): Lua left out")
    harness.log("wasmtime serve runs no Lua app: it serves only components that export "
                "wasi:http/incoming-handler, and lua.wasm is a WASI preview 1 command (a CGI "
                "program); a Lua interpreter answering through wasi:http needs a wasm32-wasip2 "
                "toolchain, which this machine lacks")

    results = {name: [] for name, *_ in cases}
    for round_ in range(args.rounds):
        if args.rounds > 1:
            harness.log(f"round {round_ + 1} of {args.rounds}")
        for name, argv, path, content_type, body, peer in cases:
            if peer and round_ and not results[name]:
                continue  # left out in the first round, with the reason
            port = free_port()
            row = run_case(name, argv(port), port, path, args, content_type, body, peer)
            if row:
                results[name].append(row)

    rounds = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    print(f"\nwrk -t1 -c{args.connections} -d{args.duration}s, keep-alive, "
          f"2-core machine{rounds}")
    print(f"{'what':<36} {'req/s':>10} {'p50 µs':>9} {'p99 µs':>9} {'bad':>5}")
    rps = {}
    for name, rows in results.items():
        if not rows:
            continue
        rps[name], p50, p99 = (statistics.median(row[i] for row in rows) for i in (1, 2, 3))
        bad = sum(row[4] for row in rows)
        print(f"{name:<36} {rps[name]:>10,.0f} {p50:>9.0f} {p99:>9.0f} {bad:>5}")
    if rps.get(WASMTIME_HELLO):
        print("wexe hello / wasmtime hello, req/s: " + ", ".join(
            f"{tier} {rps[f'wexe serve hello ({tier})'] / rps[WASMTIME_HELLO]:.2f}x"
            for tier in ["auto", "jit", "interp"]))

if __name__ == "__main__":
    main()
