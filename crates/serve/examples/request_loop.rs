//! The wasm half of `wexe serve`'s request path without HTTP: one module's [`App::run`] in a
//! loop on one thread (or on several), timed, so its cost per request can be profiled apart
//! from hyper and tokio (`perf record` this; benches/serve.py measures the whole server).
//!
//! `cargo run --release -p wexe-serve --example request_loop -- app.wasm [interp|jit|auto] [N] [THREADS]`

use std::sync::Arc;
use std::time::Instant;

use wexe_serve::cgi::{self, RequestInfo};
use wexe_serve::runner::{Cancel, RunOutcome};
use wexe_serve::{App, ModuleSpec, Route, RunLimits};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(module) = args.get(1) else {
        anyhow::bail!("usage: request_loop app.wasm [interp|jit|auto] [N] [THREADS]");
    };
    let tier = match args.get(2).map_or("auto", String::as_str) {
        "interp" => wexe::Tier::Interp,
        "jit" => wexe::Tier::Jit,
        "auto" => wexe::Tier::Auto,
        other => anyhow::bail!("unknown tier {other}"),
    };
    let n: u32 = args.get(3).map_or(Ok(20_000), |s| s.parse())?;
    let threads: usize = args.get(4).map_or(Ok(1), |s| s.parse())?;
    let mut config = wexe::Config::new();
    config.tier(tier).memory_pool(64).interruptible(true);
    let engine = wexe::Engine::new(&config)?;
    let spec = ModuleSpec {
        route: Route::everything(),
        module: module.into(),
        entrypoint: "_start".into(),
        argv: wexe_serve::config::DEFAULT_ARGV.into(),
        volumes: Vec::new(),
        environment: Vec::new(),
        max_concurrency: None,
    };
    let limits = RunLimits {
        fuel: None,
        store_limits: Arc::new(|| None),
        max_output: 1 << 20,
        max_stderr: 64 << 10,
    };
    let app = Arc::new(App::new(&engine, spec, &[], Vec::new(), limits)?);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let app = app.clone();
            s.spawn(move || run_many(&app, n));
        }
    });
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(n) / threads as f64;
    println!("{per:.1} µs per request ({threads} threads, {n} requests each)");
    Ok(())
}

fn run_many(app: &App, n: u32) {
    let headers = hyper::HeaderMap::new();
    let (remote, local) = (
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:8080".parse().unwrap(),
    );
    for _ in 0..n {
        let info = RequestInfo {
            method: "GET",
            path: "/",
            query: "",
            version: hyper::Version::HTTP_11,
            authority: None,
            headers: &headers,
            remote,
            local,
            body_len: 0,
        };
        let env = cgi::environment(&app.spec, "/", &info, app.extra_env())
            .unwrap_or_else(|name| panic!("variable {name} holds a NUL"));
        let argv = cgi::argv(&app.spec.argv, app.spec.route.script_name(), info.query);
        let run = app.run(&argv, env, Vec::new(), &Arc::new(Cancel::default()));
        match run.outcome {
            RunOutcome::Output(_) => {}
            RunOutcome::Trap(e) | RunOutcome::Failed(e) => panic!("the program failed: {e:#}"),
            RunOutcome::Exit(n) => panic!("the program exited with {n}"),
            _ => panic!("the program failed"),
        }
    }
}
