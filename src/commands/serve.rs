//! `wexe serve`: an HTTP server whose responses come from WASI programs by WAGI's contract (CGI
//! 1.1 for wasm), one fresh instance per request: `wexe serve app.wasm` serves every path with
//! one program, `wexe serve --config modules.toml` routes as WAGI's configuration says. The
//! grants and limits of `wexe run` (`--dir`, `--dir-ro`, `--env`, `--fuel`, `--timeout`,
//! `--max-memory-size`, ...) apply to every module and every request. The server itself is
//! the `wexe-serve` crate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use wexe::Engine;

use super::TierArg;
use super::sandbox_args::SandboxArgs;
use wexe_serve::{App, ModuleSpec, Route, RunLimits, ServerSettings, Volume};

const EXAMPLES: &str = "\
Examples:
  wexe serve hello.wasm                  every path, on http://127.0.0.1:8080
  wexe serve --config modules.toml --addr 0.0.0.0:3000
  wexe serve --dir-ro site::/site --timeout 2s --max-memory-size 67108864 app.wasm

The program gets the request body on stdin and the CGI variables (REQUEST_METHOD, PATH_INFO,
QUERY_STRING, HTTP_*, ...) in its environment, and writes headers, a blank line and the body.";

/// Serve HTTP with WASI programs (WAGI: CGI for WebAssembly), a fresh instance per request
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct ServeCommand {
    /// The module that answers every request (or use --config)
    #[arg(
        value_name = "FILE",
        required_unless_present = "config",
        conflicts_with = "config"
    )]
    module: Option<PathBuf>,

    /// A WAGI modules.toml that routes paths to modules
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// The address to listen on (port 0: any free port, printed at start)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,

    /// Which execution tier runs the code
    #[arg(long, value_enum, default_value_t)]
    tier: TierArg,

    #[command(flatten)]
    features: super::features::FeatureArgs,

    /// Grants (for every module) and limits (for every request); --timeout defaults to 30s here
    #[command(flatten)]
    sandbox: SandboxArgs,

    /// The largest request body accepted (larger: 413)
    #[arg(long, value_name = "BYTES", default_value_t = 32 << 20)]
    max_body_size: usize,

    /// The most output (headers and body) a program may write for one request (more: 500)
    #[arg(long, value_name = "BYTES", default_value_t = 32 << 20)]
    max_output_size: usize,

    /// Requests one module runs at once unless its http_max_concurrency says (more: 503)
    #[arg(long, value_name = "N", default_value_t = 64)]
    max_concurrency: usize,

    /// No access-log line per request on stderr
    #[arg(long)]
    no_access_log: bool,

    /// Compile without the on-disk cache of compiled modules (see `wexe cache`)
    #[arg(long)]
    no_cache: bool,
}

impl ServeCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut grants = self.sandbox.grants()?;
        let timeout = *grants.limits.timeout.get_or_insert(Duration::from_secs(30));
        if self.max_concurrency == 0 {
            bail!("--max-concurrency must be at least 1");
        }
        let mut config = self.tier.config_cached(!self.no_cache);
        self.features.apply(&mut config)?;
        super::limits::configure(&mut config, &grants.limits);
        // Freed memories of a request's store are reset and reused by the next ones.
        config.memory_pool(2 * self.max_concurrency.min(512));
        let engine = Engine::new(&config)?;
        let specs = match (&self.config, &self.module) {
            (Some(path), _) => wexe_serve::config::load(path)?,
            (None, Some(module)) => vec![ModuleSpec {
                route: Route::everything(),
                module: module.clone(),
                entrypoint: "_start".into(),
                argv: wexe_serve::config::DEFAULT_ARGV.into(),
                volumes: Vec::new(),
                environment: Vec::new(),
                max_concurrency: None,
            }],
            (None, None) => bail!("give a module to serve, or --config modules.toml"),
        };
        let volumes: Vec<Volume> = grants
            .dirs
            .iter()
            .map(|d| Volume {
                host: d.host.clone(),
                guest: d.guest.clone(),
                read_only: d.read_only,
            })
            .collect();
        let limits = grants.limits.clone();
        let run_limits = RunLimits {
            fuel: limits.fuel,
            store_limits: Arc::new(move || super::limits::store_limits(&limits)),
            max_output: self.max_output_size,
            max_stderr: 64 << 10,
        };
        let mut apps = Vec::new();
        for spec in specs {
            let env = grants.env.clone();
            apps.push(App::new(&engine, spec, &volumes, env, run_limits.clone())?);
        }
        let settings = ServerSettings {
            apps,
            timeout,
            max_body: self.max_body_size,
            default_concurrency: self.max_concurrency,
            access_log: !self.no_access_log,
            grace: timeout + Duration::from_secs(5),
        };
        wexe_serve::run_until_signal(self.addr, settings)?;
        Ok(ExitCode::SUCCESS)
    }
}
