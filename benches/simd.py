#!/usr/bin/env python3
"""SIMD benchmarks: the C kernels in benches/simd/, each built three ways -- wasm32-wasi with
128-bit SIMD (-O2 -msimd128), wasm32-wasi without (-O2 -mno-simd128) and natively (gcc -O2, and
gcc -O2 -march=native) -- run side by side in one run by wexe's JIT and interpreter, wasmtime's CLI
and natively. All must print the same checksum. Reports the times, wexe/wasmtime, wexe/native and
the SIMD speed-up (scalar-build time / SIMD-build time) of each wasm runtime, with geometric means.

Before timing, every wasm build is decoded and its SIMD instructions (prefix 0xfd) counted: a SIMD
build without any, or a scalar build with any, stops the harness.

Usage: benches/simd.py [--wexe PATH] [--runs 5] [--only hash,mat4] [--scale 1.0]
                       [--interp-scale 0.05] [--skip-interp] [--no-native] [--no-march-native]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import (BENCHES, OUT, PROGRAMS, Wexe, find_tool, fmt_ratio, fmt_time, geomean, log,
                     measure, print_table, ratio, wexe_binary)

SIMD_DIR = BENCHES / "simd"

# Kernel -> N (iterations), sized so that the native gcc -O2 build takes roughly 0.3-1.2 s and
# wasmtime on the SIMD build at least ~0.15 s on a small x86-64 machine (a 2-core VM); `--scale`
# multiplies them, and the interpreter runs N * --interp-scale.
KERNELS = {
    "hash": 60_000,    # 16-lane xxhash32-style hash of 64 KiB: i32x4.mul, add, shl/shr_u rotate
    "hex": 50_000,     # hex encoding of 32 KiB: u8x16.shr, i8x16.swizzle, i8x16.shuffle
    "gray": 50_000,    # RGBA -> luma of 16 Ki pixels: i32x4.dot_i16x8_s, narrowing
    "saxpy": 120_000,  # y = a x + y and x . y over 16 Ki f32s: f32x4.mul, f32x4.add
    "mat4": 15_000,    # 4 Ki 4x4 f32 matrix products: f32x4 mul/add, lane-broadcast shuffles
}

WASI_CC = ["--target=wasm32-wasi", "--sysroot=/usr", "-O2"]
# No FMA contraction natively (gcc contracts a * b + c by default where the target has FMA, as
# with -march=native): wasm has no FMA, and the checksums must agree bit for bit.
NATIVE_CC = ["gcc", "-O2", "-ffp-contract=off"]

# The runtimes of the main table, in column order; "interp" ones run at the smaller size.
JIT_COLUMNS = ["wexe jit simd", "wexe jit scalar", "wasmtime simd", "wasmtime scalar", "native",
               "native -march=native"]
INTERP_COLUMNS = ["wexe interp simd", "wexe interp scalar"]


# --- counting SIMD instructions in a module (a small decoder of the code section) ---

def read_uleb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def skip_leb(data, pos, count=1):
    """Skips `count` LEB128 numbers (signed or unsigned alike)."""
    for _ in range(count):
        while data[pos] & 0x80:
            pos += 1
        pos += 1
    return pos


def skip_memarg(data, pos):
    align, pos = read_uleb(data, pos)
    return skip_leb(data, pos, 2 if align & 0x40 else 1)  # bit 6: a memory index follows


VALTYPES = {0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F}
# Single-byte opcodes without immediates: unreachable, nop, else, end, return, drop, select, the
# numeric instructions (0x45-0xc4, sign extension included) and ref.is_null.
PLAIN_OPS = {0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1, *range(0x45, 0xC5)}
LEB_IMMEDIATES = {0x0C: 1, 0x0D: 1, 0x10: 1, 0x11: 2, 0x12: 1, 0x13: 2, 0x20: 1, 0x21: 1, 0x22: 1,
                  0x23: 1, 0x24: 1, 0x25: 1, 0x26: 1, 0x3F: 1, 0x40: 1, 0x41: 1, 0x42: 1, 0xD0: 1,
                  0xD2: 1}
FC_LEBS = {**{i: 0 for i in range(8)}, 8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1,
           16: 1, 17: 1}


def skip_simd_immediates(data, pos, sub):
    if sub <= 0x0B or sub in (0x5C, 0x5D):            # v128 loads and stores: memarg
        return skip_memarg(data, pos)
    if sub in (0x0C, 0x0D):                           # v128.const, i8x16.shuffle
        return pos + 16
    if 0x15 <= sub <= 0x22:                           # extract_lane / replace_lane
        return pos + 1
    if 0x54 <= sub <= 0x5B:                           # load_lane / store_lane
        return skip_memarg(data, pos) + 1
    if sub <= 0x113:                                  # the rest (and relaxed SIMD): none
        return pos
    raise ValueError(f"unknown SIMD opcode 0xfd {sub:#x}")


def count_body_simd(data, pos, end):
    """Decodes one function body data[pos:end]; returns its number of 0xfd-prefixed
    instructions. Raises ValueError if the body does not decode to exactly its size."""
    groups, pos = read_uleb(data, pos)
    for _ in range(groups):                           # locals: count, valtype
        pos = skip_leb(data, pos) + 1
    simd = 0
    while pos < end:
        op = data[pos]
        pos += 1
        if op in PLAIN_OPS:
            continue
        if op in LEB_IMMEDIATES:
            pos = skip_leb(data, pos, LEB_IMMEDIATES[op])
        elif op in (0x02, 0x03, 0x04):                # block, loop, if: a block type
            pos = pos + 1 if data[pos] == 0x40 or data[pos] in VALTYPES else skip_leb(data, pos)
        elif op == 0x0E:                              # br_table
            n, pos = read_uleb(data, pos)
            pos = skip_leb(data, pos, n + 1)
        elif op == 0x1C:                              # select t*
            n, pos = read_uleb(data, pos)
            pos += n
        elif 0x28 <= op <= 0x3E:                      # loads and stores
            pos = skip_memarg(data, pos)
        elif op == 0x43:
            pos += 4
        elif op == 0x44:
            pos += 8
        elif op == 0xFC:
            sub, pos = read_uleb(data, pos)
            if sub not in FC_LEBS:
                raise ValueError(f"unknown opcode 0xfc {sub:#x}")
            pos = skip_leb(data, pos, FC_LEBS[sub])
        elif op == 0xFD:
            sub, pos = read_uleb(data, pos)
            pos = skip_simd_immediates(data, pos, sub)
            simd += 1
        elif op == 0xFE:                              # atomics: memarg, or a byte for fence
            sub, pos = read_uleb(data, pos)
            pos = pos + 1 if sub == 0x03 else skip_memarg(data, pos)
        else:
            raise ValueError(f"unknown opcode {op:#x} at offset {pos - 1:#x}")
    if pos != end or data[end - 1] != 0x0B:
        raise ValueError(f"function body does not end at its size (offset {end:#x})")
    return simd


def simd_instruction_count(path):
    """The number of SIMD instructions (prefix 0xfd) in the code section of a wasm module."""
    data = Path(path).read_bytes()
    if data[:4] != b"\0asm":
        raise ValueError(f"{path} is not a wasm module")
    pos = 8
    while pos < len(data):
        section = data[pos]
        size, pos = read_uleb(data, pos + 1)
        if section == 10:
            count, p = read_uleb(data, pos)
            simd = 0
            for _ in range(count):
                body, p = read_uleb(data, p)
                simd += count_body_simd(data, p, p + body)
                p += body
            return simd
        pos += size
    return 0


# --- building ---

def artifacts(name):
    return {"simd": OUT / f"simd-{name}.wasm", "scalar": OUT / f"simd-{name}-scalar.wasm",
            "native": OUT / f"simd-{name}.native", "march": OUT / f"simd-{name}.march-native"}


def compile_kernels(names, args):
    """Each kernel with programs/native_main.c (main: print run(atoi(argv[1]))) as two wasm32-wasi
    commands, with and without SIMD, and natively; then checks the wasm builds' SIMD content."""
    clang = find_tool("clang")
    if clang is None:
        sys.exit("error: clang not found; run scripts/install-wasm-toolchain.sh")
    OUT.mkdir(exist_ok=True)
    counts = {}
    for name in names:
        out = artifacts(name)
        srcs = [SIMD_DIR / f"{name}.c", PROGRAMS / "native_main.c"]
        subprocess.run([clang, *WASI_CC, "-msimd128", "-o", out["simd"], *srcs], check=True)
        subprocess.run([clang, *WASI_CC, "-mno-simd128", "-o", out["scalar"], *srcs], check=True)
        if args.native:
            subprocess.run([*NATIVE_CC, "-o", out["native"], *srcs], check=True)
        if args.march_native:
            subprocess.run([*NATIVE_CC, "-march=native", "-o", out["march"], *srcs], check=True)
        counts[name] = (simd_instruction_count(out["simd"]),
                        simd_instruction_count(out["scalar"]))
    bad = [f"{name}: SIMD build has {s} SIMD instructions, scalar build {c}"
           for name, (s, c) in counts.items() if s == 0 or c != 0]
    if bad:
        sys.exit("error: the SIMD builds must contain SIMD instructions (0xfd ...) and the scalar "
                 "builds none:\n  " + "\n  ".join(bad))
    log("SIMD instructions per build (simd / scalar): " +
        ", ".join(f"{name} {s} / {c}" for name, (s, c) in counts.items()))
    return counts


# --- running ---

def main_argvs(name, n, args, wexe, wasmtime):
    out, n = artifacts(name), str(n)
    cmds = {"wexe jit simd": wexe.run(str(out["simd"]), n, cache=args.wexe_cache),
            "wexe jit scalar": wexe.run(str(out["scalar"]), n, cache=args.wexe_cache)}
    if wasmtime:
        cmds["wasmtime simd"] = [wasmtime, "run", str(out["simd"]), n]
        cmds["wasmtime scalar"] = [wasmtime, "run", str(out["scalar"]), n]
    if args.native:
        cmds["native"] = [str(out["native"]), n]
    if args.march_native:
        cmds["native -march=native"] = [str(out["march"]), n]
    return cmds


def interp_argvs(name, n, args, wexe, wasmtime):
    """The interpreter's runs, and a reference for the checksum at this size: native, or else
    wasmtime on the scalar build."""
    out, n = artifacts(name), str(n)
    cmds = {"wexe interp simd": wexe.interp(str(out["simd"]), n),
            "wexe interp scalar": wexe.interp(str(out["scalar"]), n)}
    if args.native:
        cmds["native"] = [str(out["native"]), n]
    elif wasmtime:
        cmds["wasmtime scalar"] = [wasmtime, "run", str(out["scalar"]), n]
    return cmds


def check(name, label, results, problems):
    """Notes errors and checksum disagreements; returns whether the checksums agree."""
    for rt, res in results.items():
        if "error" in res:
            problems.append(f"error: {name} on {rt}{label}: {res['error']}")
    sums = {rt: res["output"] for rt, res in results.items() if "output" in res}
    if len(set(sums.values())) > 1:
        problems.append(f"MISMATCH: {name}{label}: checksums differ: {sums}")
        return False
    return True


def simd_speedup(results, runtime):
    """scalar-build time / SIMD-build time for one runtime ("wexe jit", "wasmtime", ...)."""
    return ratio(results, f"{runtime} scalar", f"{runtime} simd")


# Ratio columns: label -> function of (main results, interp results).
RATIOS = {
    "wexe/wasmtime simd": lambda m, i: ratio(m, "wexe jit simd", "wasmtime simd"),
    "wexe/wasmtime scalar": lambda m, i: ratio(m, "wexe jit scalar", "wasmtime scalar"),
    "wexe/native": lambda m, i: ratio(m, "wexe jit simd", "native"),
    "wasmtime/native": lambda m, i: ratio(m, "wasmtime simd", "native"),
    "SIMD x wexe jit": lambda m, i: simd_speedup(m, "wexe jit"),
    "SIMD x wexe interp": lambda m, i: simd_speedup(i, "wexe interp"),
    "SIMD x wasmtime": lambda m, i: simd_speedup(m, "wasmtime"),
}


def bench(args, wexe, env):
    names = list(KERNELS)
    if args.only:
        names = [n for n in args.only.split(",") if n]
        unknown = [n for n in names if n not in KERNELS]
        if unknown:
            sys.exit(f"error: unknown kernels {unknown}; known: {list(KERNELS)}")
    counts = compile_kernels(names, args)
    wasmtime = find_tool("wasmtime")

    interp_columns = INTERP_COLUMNS + (["native"] if args.native else
                                       ["wasmtime scalar"] if wasmtime else [])
    problems = []
    time_rows, interp_rows, ratio_rows = [], [], []
    ratios = {key: [] for key in RATIOS}
    for name in names:
        n = max(1, round(KERNELS[name] * args.scale))
        log(f"  {name}({n}) ...")
        argvs = main_argvs(name, n, args, wexe, wasmtime)
        # One untimed run of wasmtime fills its cache, so that every timed run loads the
        # compiled module (and the spread is not the first run's compile).
        measure({rt: argv for rt, argv in argvs.items() if rt.startswith("wasmtime")}, 1,
                env=env)
        main = measure(argvs, args.runs, env=env)
        main_ok = check(name, "", main, problems)
        interp, interp_ok, ni = {}, True, None
        if args.interp:
            ni = max(1, round(n * args.interp_scale))
            log(f"  {name}({ni}) on the interpreter ...")
            interp = measure(interp_argvs(name, ni, args, wexe, wasmtime), args.runs, env=env)
            interp_ok = check(name, f" (interpreter size {ni})", interp, problems)
        sums = [r["output"] for r in main.values() if "output" in r]
        time_rows.append([f"{name}({n})", *(fmt_time(main.get(rt)) for rt in JIT_COLUMNS),
                          sums[0] if sums else "-"])
        if args.interp:
            isums = [r["output"] for r in interp.values() if "output" in r]
            interp_rows.append([f"{name}({ni})", *(fmt_time(interp.get(rt))
                                                   for rt in interp_columns),
                                isums[0] if isums else "-"])
        row = [name]
        for key, fn in RATIOS.items():
            ok = interp_ok if "interp" in key else main_ok
            r = fn(main, interp) if ok else None
            if r:
                ratios[key].append(r)
            row.append(fmt_ratio(r))
        ratio_rows.append(row + ["%d / %d" % counts[name]])

    cache = "on" if args.wexe_cache or not wexe.has_no_cache else "off (--no-cache)"
    print(f"\nSIMD kernels: {args.runs} runs each; median whole-process wall time, ± half the "
          f"min-max spread; wexe's cache {cache}, wasmtime's on. simd = built with -msimd128, "
          "scalar = with -mno-simd128; native = gcc -O2 of the scalar C path")
    print_table(["kernel(N)", *JIT_COLUMNS, "checksum"], time_rows)
    if args.interp:
        ref = interp_columns[-1] if len(interp_columns) > len(INTERP_COLUMNS) else "nothing"
        print(f"\nwexe's interpreter at N * {args.interp_scale:g} ({ref} for the reference "
              "checksum)")
        print_table(["kernel(N)", *interp_columns, "checksum"], interp_rows)
    geo = ["geomean"]
    for key in RATIOS:
        g = geomean(ratios[key])
        geo.append(f"{fmt_ratio(g)} ({len(ratios[key])})" if g else "-")
    print("\nRatios of median times (a/b: below 1 means a is faster; SIMD x: scalar-build time / "
          "SIMD-build time, above 1 means SIMD pays off; geomean over the kernels that ran)")
    print_table(["kernel", *RATIOS, "SIMD instrs (simd/scalar build)"],
                ratio_rows + [geo + [""]])
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per kernel and runtime (median)")
    ap.add_argument("--only", help="comma-separated kernel names: " + ",".join(KERNELS))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the problem sizes")
    ap.add_argument("--interp-scale", type=float, default=0.05,
                    help="the interpreter's size relative to the JIT's (default 0.05)")
    ap.add_argument("--skip-interp", dest="interp", action="store_false",
                    help="do not run wexe's interpreter")
    ap.add_argument("--wexe", help="use this wexe binary instead of building one")
    ap.add_argument("--wexe-cache", action="store_true",
                    help="run wexe with its cache on (like wasmtime's) instead of --no-cache")
    ap.add_argument("--no-native", dest="native", action="store_false",
                    help="skip the native gcc -O2 reference")
    ap.add_argument("--no-march-native", dest="march_native", action="store_false",
                    help="skip the gcc -O2 -march=native build")
    args = ap.parse_args()
    if shutil.which("gcc") is None and (args.native or args.march_native):
        log("note: gcc not found, no native reference")
        args.native = args.march_native = False
    if find_tool("wasmtime") is None:
        log("note: wasmtime not found (benches/install-peers.sh); its columns stay empty")

    wexe = Wexe(wexe_binary(args.wexe))
    print(wexe.describe())
    tmp = Path(tempfile.mkdtemp(prefix="wexe-simd-bench-"))
    try:
        # wasmtime's (and wexe's) cache lives under $XDG_CACHE_HOME: a temp dir, so the user's
        # cache is neither used nor filled.
        env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"))
        problems = bench(args, wexe, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print()
    for p in problems:
        print(p)
    return 1 if any(p.startswith("MISMATCH") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
