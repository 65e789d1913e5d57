#!/usr/bin/env bash
# Builds wexe statically linked: Rust's `crt-static` on the host's gnu target links glibc in, so
# the binary needs no dynamic loader and no shared libraries. That is the binary to register as
# `wexe-binfmt` for containers: with the F flag the kernel opens the interpreter once, at
# registration, and then runs it inside any container, where wexe's loader and libc may not
# exist. Usage: scripts/build-static-wexe.sh [CARGO_PROFILE] (default release); prints the path
# of the binary, target/static/<host triple>/<profile dir>/wexe (a target directory of its own,
# so that it can be built while another cargo holds target/).
#
# `--target` is given explicitly so that the flag reaches only wexe's own code and its
# dependencies, not build scripts and proc macros (which cannot be static executables).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
*-linux-gnu) ;;
*) echo "build-static-wexe: $host is not a linux-gnu target" >&2; exit 1 ;;
esac
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --quiet --profile "$profile" --target "$host" --target-dir target/static --bin wexe
dir="$profile"
[ "$profile" = dev ] && dir=debug
[ "$profile" = test ] && dir=debug
echo "$PWD/target/static/$host/$dir/wexe"
