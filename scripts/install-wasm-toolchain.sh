#!/usr/bin/env bash
# Installs what the tests and benchmarks need beyond Rust: clang and lld targeting wasm32, with
# wasi-libc and the wasm32 compiler runtime, from Debian's packages. Does nothing when present.
# (clang++ too: the DWARF test of tests/tools.rs compiles C++; gdb and lldb: tests/debugger.rs
# debugs guests with them.) Under CI=true the tests that need these fail when they are missing
# (tests/common/prerequisite.rs).
set -euo pipefail
have() {
    command -v clang >/dev/null && command -v clang++ >/dev/null && command -v wasm-ld >/dev/null &&
        command -v gdb >/dev/null && command -v lldb >/dev/null &&
        [ -e /usr/lib/wasm32-wasi/libc.a ] &&
        ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1
}
if have; then exit 0; fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq clang lld wasi-libc libclang-rt-14-dev-wasm32 gdb lldb >/dev/null
have || { echo "install-wasm-toolchain: clang/lld/wasi-libc/gdb/lldb still missing" >&2; exit 1; }
