//! `wexe-serve`: HTTP services from plain WASI programs, by WAGI's contract (CGI 1.1 for
//! WebAssembly), one fresh instance per request. What `wexe serve` runs.
//!
//! - `config.rs`: WAGI's `modules.toml` (routes to modules), errors by file and line.
//! - `route.rs`: exact and prefix (`/...`) routes, and which one a path takes.
//! - `cgi.rs`: a request → the program's environment and argv; its output → a response.
//! - `runner.rs`: one request's run — a store and an instance from the module's
//!   [`wexe::InstancePre`], the body on stdin, bounded stdout and stderr, limits, a timeout.
//! - `server.rs`: hyper on tokio: routing, body limits, per-module concurrency (503),
//!   timeouts (504), the access log, graceful shutdown; runs on the run pool.
//! - `pool.rs`: the threads that run the programs (one per core, more while runs stall).
//! - `watchdog.rs`: the thread that interrupts runs past their deadline.

pub mod cgi;
pub mod config;
pub mod pool;
pub mod route;
pub mod runner;
pub mod server;
pub mod watchdog;

use std::net::SocketAddr;

use anyhow::{Context, Result};

pub use config::ModuleSpec;
pub use route::Route;
pub use runner::{App, RunLimits, Volume};
pub use server::ServerSettings;

/// Binds `addr`, says where it listens on stderr (`wexe serve: listening on http://ADDR`, the
/// real port when `addr`'s is 0), and serves until SIGTERM or Ctrl-C, on a tokio runtime of its
/// own, with a worker thread per core; the programs run on the run pool (see `server.rs`).
pub fn run_until_signal(addr: SocketAddr, settings: ServerSettings) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        eprintln!("wexe serve: listening on http://{local}");
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        server::serve(listener, settings, shutdown).await
    })
}
