#!/usr/bin/env bash
# Fetches the sources of the real programs the tests run (SQLite and Lua 5.4, as shipped in
# crates on crates.io) and compiles them to wasm32-wasi with clang, with small drivers of ours
# from tests/real/. Third-party source is never committed: it is fetched here, at build time.
#
#   scripts/fetch-real-programs.sh [OUTDIR]     (default: target/real-programs)
#
# Leaves OUTDIR/sqlite.wasm and OUTDIR/lua.wasm. Does nothing when they are up to date (a stamp
# records the versions, flags and our driver sources). Exit status 75 means a registry could
# not be reached (the tests then skip with the reason); any other failure is an error.
#
# Where the sources come from:
#   SQLite 3.54.1: the amalgamation sqlite3/sqlite3.c in the crate libsqlite3-sys 0.39.1
#   Lua 5.4.7:     lua-5.4.7/*.c in the crate lua-src 547.0.0 (the library; no lua.c, so
#                  tests/real/lua_main.c is the interpreter's main)
# Both crates are downloaded by `cargo fetch` of a throwaway manifest (OUTDIR/fetch) and unpacked
# from cargo's download cache into OUTDIR/src.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/target/real-programs}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
REAL="$ROOT/tests/real"

SQLITE_CRATE=libsqlite3-sys
SQLITE_CRATE_VERSION=0.39.1
LUA_CRATE=lua-src
LUA_CRATE_VERSION=547.0.0
LUA_DIR=lua-5.4.7

CC=(clang --target=wasm32-wasi --sysroot=/usr -O2 -w)
SQLITE_FLAGS=(-DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -DSQLITE_TEMP_STORE=3
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL
    -D_WASI_EMULATED_PROCESS_CLOCKS)
SQLITE_LIBS=(-lwasi-emulated-mman -lwasi-emulated-getpid -lwasi-emulated-signal
    -lwasi-emulated-process-clocks)
LUA_FLAGS=(-D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL
    -include "$REAL/shim/lua_wasi.h" -I"$REAL/shim")
LUA_LIBS=(-lwasi-emulated-process-clocks -lwasi-emulated-signal)

# One build at a time (tests in several processes may call this together).
exec 9>"$OUT/.lock"
flock 9

stamp="$( { echo "$SQLITE_CRATE $SQLITE_CRATE_VERSION $LUA_CRATE $LUA_CRATE_VERSION";
    echo "${CC[*]} ${SQLITE_FLAGS[*]} ${SQLITE_LIBS[*]} ${LUA_FLAGS[*]} ${LUA_LIBS[*]}";
    cat "$0" "$REAL/sqlite_main.c" "$REAL/lua_main.c" "$REAL"/shim/*; } | sha256sum | cut -c1-16)"
if [ -f "$OUT/sqlite.wasm" ] && [ -f "$OUT/lua.wasm" ] &&
    [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi

bash "$ROOT/scripts/install-wasm-toolchain.sh"

# --- fetch ---
crate_dir() { echo "$OUT/src/$1-$2"; }
if [ ! -d "$(crate_dir $SQLITE_CRATE $SQLITE_CRATE_VERSION)" ] ||
    [ ! -d "$(crate_dir $LUA_CRATE $LUA_CRATE_VERSION)" ]; then
    mkdir -p "$OUT/fetch/src" "$OUT/src"
    cat >"$OUT/fetch/Cargo.toml" <<TOML
[package]
name = "wexe-real-programs-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$SQLITE_CRATE = { version = "=$SQLITE_CRATE_VERSION", default-features = false }
$LUA_CRATE = "=$LUA_CRATE_VERSION"

[workspace]
TOML
    : >"$OUT/fetch/src/lib.rs"
    echo "fetch-real-programs: cargo fetch $SQLITE_CRATE@$SQLITE_CRATE_VERSION $LUA_CRATE@$LUA_CRATE_VERSION" >&2
    if ! cargo fetch --quiet --manifest-path "$OUT/fetch/Cargo.toml" 2>"$OUT/fetch.log"; then
        cat "$OUT/fetch.log" >&2
        echo "fetch-real-programs: cannot fetch from crates.io (see above)" >&2
        exit 75
    fi
    cache="${CARGO_HOME:-$HOME/.cargo}/registry/cache"
    for c in "$SQLITE_CRATE-$SQLITE_CRATE_VERSION" "$LUA_CRATE-$LUA_CRATE_VERSION"; do
        file="$(ls "$cache"/*/"$c.crate" | head -n1)"
        rm -rf "$OUT/src/$c.tmp" && mkdir "$OUT/src/$c.tmp"
        tar -xzf "$file" -C "$OUT/src/$c.tmp"
        rm -rf "$OUT/src/$c" && mv "$OUT/src/$c.tmp/$c" "$OUT/src/$c" && rmdir "$OUT/src/$c.tmp"
    done
fi
SQLITE_SRC="$(crate_dir $SQLITE_CRATE $SQLITE_CRATE_VERSION)/sqlite3"
LUA_SRC="$(crate_dir $LUA_CRATE $LUA_CRATE_VERSION)/$LUA_DIR"

# --- compile (both at once: SQLite's amalgamation takes most of the time) ---
echo "fetch-real-programs: compiling SQLite and Lua to wasm32-wasi (about a minute)" >&2
rm -f "$OUT/stamp"
"${CC[@]}" "${SQLITE_FLAGS[@]}" -I"$SQLITE_SRC" -o "$OUT/sqlite.wasm.tmp" \
    "$SQLITE_SRC/sqlite3.c" "$REAL/sqlite_main.c" "${SQLITE_LIBS[@]}" &
sqlite_pid=$!
lua_sources=()
for f in "$LUA_SRC"/*.c; do
    case "$(basename "$f")" in lua.c | luac.c | onelua.c) ;; *) lua_sources+=("$f") ;; esac
done
"${CC[@]}" "${LUA_FLAGS[@]}" -I"$LUA_SRC" -o "$OUT/lua.wasm.tmp" \
    "${lua_sources[@]}" "$REAL/lua_main.c" "${LUA_LIBS[@]}"
wait "$sqlite_pid"
mv "$OUT/sqlite.wasm.tmp" "$OUT/sqlite.wasm"
mv "$OUT/lua.wasm.tmp" "$OUT/lua.wasm"
echo "$stamp" >"$OUT/stamp"
echo "fetch-real-programs: built $OUT/sqlite.wasm and $OUT/lua.wasm" >&2
