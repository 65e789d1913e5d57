#!/usr/bin/env bash
# Installs the peer runtimes the benchmark harness compares wexe against. Does nothing for a peer
# that is already installed. Today: the wasmi 2.0 interpreter's CLI (crate `wasmi_cli`, binary
# `wasmi`), which takes a few minutes to build from source.
set -euo pipefail
WASMI_VERSION=2.0.0
if command -v wasmi >/dev/null && wasmi --version 2>/dev/null | grep -q "$WASMI_VERSION"; then
    echo "install-peers: wasmi_cli $WASMI_VERSION already installed"
else
    echo "install-peers: installing wasmi_cli $WASMI_VERSION (takes minutes)"
    cargo install --locked "wasmi_cli@$WASMI_VERSION"
fi
