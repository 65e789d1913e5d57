#!/usr/bin/env bash
# Rebuilds nodes.wasm from nodes.rs (checked in: tests/debugger.rs does not build it). Needs a
# nightly rustc (for #![no_core]: no wasm32 standard library is installed here); any rustc
# that has the wasm32-unknown-unknown target works, with the wasm-ld it finds.
set -euo pipefail
cd "$(dirname "$0")"
rustc +nightly --target wasm32-unknown-unknown --crate-type bin -g -C opt-level=0 \
    -C panic=abort -C overflow-checks=off --remap-path-prefix "$PWD=." nodes.rs -o nodes.wasm
