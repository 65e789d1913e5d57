#!/usr/bin/env bash
# A RUSTC_WORKSPACE_WRAPPER for .ci/run's `cargo test --workspace`: the containerd shim's own
# crates (package containerd-shim-wexe: its binary, its unit tests, its containerd test) are
# compiled by clippy-driver with `-D warnings`, which lints them while it builds them; every
# other workspace crate is compiled by plain rustc, exactly as without the wrapper.
#
# Why: `cargo clippy` only *checks* dependencies (metadata, no code), and checked crates are not
# shared with built ones, so linting the shim with `cargo clippy` would check its ~200
# dependency crates (runwasi, libcontainer, gRPC/ttrpc code; ~12 CPU-minutes) that the test
# then builds again. Built this way they are compiled once. The rest of the workspace keeps
# `cargo clippy` (clippy-driver also turns MIR optimisations off, which the interpreter's test
# runs should not pay for).
#
# cargo calls it as `WRAPPER RUSTC ARGS...` and sets CARGO_PKG_NAME for the crate it builds.
# bash, not sh: dash drops environment variables whose names are not shell names, such as
# cargo's CARGO_BIN_EXE_containerd-shim-wexe-v1 that the containerd test is compiled with.
if [[ "${CARGO_PKG_NAME:-}" == containerd-shim-wexe ]]; then
    exec clippy-driver "$@" -D warnings
fi
exec "$@"
