#!/usr/bin/env python3
"""Checks that every interpreter handler in an optimised wexe binary passes control on with a
jump (a tail call), never an indirect call: a handler that *calls* the next one would grow the
native stack with every instruction executed, and long-running programs would crash.

Usage: scripts/check-tail-dispatch.py [BINARY]   (default: target/release/wexe)
"""
import re
import subprocess
import sys

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/wexe"
asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", binary],
                     check=True, capture_output=True, text=True).stdout
handler = re.compile(r"^[0-9a-f]+ <wexe::interp::exec::(handlers|calls|simd|tier)::([A-Z][A-Za-z0-9]*)>:$")
current, checked, bad = None, 0, []
for line in asm.splitlines():
    m = handler.match(line)
    if m:
        current = m.group(2)
        checked += 1
        continue
    if not line.strip():
        current = None
        continue
    # Calls through the GOT (`call *0x..(%rip)`) reach library functions; a dispatch that was
    # not turned into a jump is a call through a register or the handler table.
    if current and re.search(r"\bcall\s+\*", line) and "(%rip)" not in line:
        bad.append(f"{current}: {line.strip()}")
if checked < 150:
    sys.exit(f"check-tail-dispatch: found only {checked} handlers in {binary}; is it an optimised build?")
if bad:
    print("handlers that call instead of jumping to the next handler:", *bad, sep="\n  ")
    sys.exit(1)
print(f"check-tail-dispatch: all {checked} handlers dispatch by tail jump")
