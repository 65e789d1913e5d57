#!/usr/bin/env bash
# Installs the peer runtimes the benchmark harness compares wexe against. Does nothing for a peer
# that is already installed. Today: the wasmi 2.0 interpreter's CLI (crate `wasmi_cli`, binary
# `wasmi`), which takes a few minutes to build from source, and wasmtime's CLI (crate
# `wasmtime-cli`, binary `wasmtime`; about 20 minutes on 2 cores) for benches/wasi.py and
# benches/jit.py; and the HTTP load generator `wrk` (Debian's package) for benches/serve.py.
set -euo pipefail
WASMI_VERSION=2.0.0
WASMTIME_VERSION=48.0.8
if command -v wasmi >/dev/null && wasmi --version 2>/dev/null | grep -q "$WASMI_VERSION"; then
    echo "install-peers: wasmi_cli $WASMI_VERSION already installed"
else
    echo "install-peers: installing wasmi_cli $WASMI_VERSION (takes minutes)"
    cargo install --locked "wasmi_cli@$WASMI_VERSION"
fi
WASMTIME="$(command -v wasmtime || echo "${CARGO_HOME:-$HOME/.cargo}/bin/wasmtime")"
if [ -x "$WASMTIME" ] && "$WASMTIME" --version 2>/dev/null | grep -q "$WASMTIME_VERSION"; then
    echo "install-peers: wasmtime-cli $WASMTIME_VERSION already installed"
else
    echo "install-peers: installing wasmtime-cli $WASMTIME_VERSION (takes about 20 minutes)"
    cargo install --locked "wasmtime-cli@$WASMTIME_VERSION"
fi
if command -v wrk >/dev/null; then
    echo "install-peers: wrk already installed"
else
    echo "install-peers: installing wrk (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
