#!/usr/bin/env bash
# Installs what the containerd shim (crates/shim) needs beyond Rust, from Debian's packages, and
# does nothing when it is all there:
#   - to build it: protoc (protobuf-compiler; runwasi's containerd client generates its gRPC
#     code at build time) and libseccomp's link library (libseccomp-dev; youki's libcontainer
#     applies the containers' seccomp profiles);
#   - to test it: containerd, its `ctr` client and `containerd-shim-runc-v2`, and runc (a
#     dependency of Debian's containerd package).
# .ci/run calls it before building; under CI=true the containerd tests fail when these are missing.
set -euo pipefail
have() {
    command -v protoc >/dev/null && command -v containerd >/dev/null && command -v ctr >/dev/null &&
        command -v runc >/dev/null && command -v containerd-shim-runc-v2 >/dev/null &&
        { [ -e /usr/lib/x86_64-linux-gnu/libseccomp.so ] || [ -e /usr/lib/aarch64-linux-gnu/libseccomp.so ] ||
            ls /usr/lib/*/libseccomp.so >/dev/null 2>&1; }
}
if have; then exit 0; fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq containerd runc protobuf-compiler libseccomp-dev pkg-config >/dev/null
have || { echo "install-containerd: containerd/ctr/runc/protoc/libseccomp still missing" >&2; exit 1; }
