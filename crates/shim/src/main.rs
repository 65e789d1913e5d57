//! `containerd-shim-wexe-v1`: the containerd shim that runs WebAssembly containers with wexe
//! (containerd runtime `io.containerd.wexe.v1`, Kubernetes `RuntimeClass` handler `wexe`).
//!
//! The shim protocol and the container's lifecycle are runwasi's `containerd-shim-wasm`: it
//! talks ttrpc with containerd, builds the container with youki's libcontainer (namespaces,
//! cgroups, mounts, the root filesystem, stdio from containerd's FIFOs), signals and reaps it,
//! and reads `application/wasm` layers from the image. Inside the container's init process it
//! calls our [`sandbox::WexeSandbox`], which runs the module with wexe; its precompilation hook
//! is [`precompile::WexeCompiler`], so the machine code of a wasm layer is kept in containerd's
//! content store and a second container of the image starts without compiling.

mod memory_limit;
mod precompile;
mod sandbox;
mod stop_signals;

use containerd_shim_wasm::shim::{Cli, Compiler, Shim, Version, version};

/// The shim: runwasi's lifecycle with wexe as the engine.
struct WexeShim;

impl Shim for WexeShim {
    type Sandbox = sandbox::WexeSandbox;

    /// The runtime's short name: containerd's `io.containerd.wexe.v1` runs
    /// `containerd-shim-wexe-v1`, and runwasi files its state and precompiled layers under it.
    fn name() -> &'static str {
        "wexe"
    }

    fn version() -> Version {
        version!()
    }

    async fn compiler() -> Option<impl Compiler> {
        Some(precompile::WexeCompiler)
    }
}

fn main() {
    WexeShim::run(None);
}
