//! The HTTP side: hyper 1 (HTTP/1.1 with keep-alive and chunked bodies, and HTTP/2 over
//! cleartext with prior knowledge) on tokio. Each request is
//! routed, its body read up to a size limit (413 past it), and its module run; a module has a
//! bounded number of runs at once (503 past it), a run past the timeout is interrupted by the
//! [`Watchdog`] (504), and every request leaves one access-log line (remote address, method,
//! path, status, µs) on stderr, followed by anything its program wrote on stderr (also for a
//! 504). Shutdown (SIGTERM, Ctrl-C) stops accepting and lets the requests in flight finish.
//!
//! Where a run executes: on the [`RunPool`], a thread per core taking runs from one queue (more
//! while runs wait behind long ones), never on an async worker thread. Running short runs
//! inline on the worker that read the request was tried (it saves the hand-over): a worker
//! blocked by a run strands the task tokio keeps in its LIFO slot, which no other worker can
//! steal, so one module's long run held up another module's request. Handing the worker's
//! tasks over first (`tokio::task::block_in_place`) costs more than a hand-over. tokio's
//! blocking pool, used before, grows to a thread per run in flight and spent 1.45× the CPU per
//! request of the run pool (see docs/architecture.md).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::sync::Semaphore;

use crate::cgi::{self, RequestInfo};
use crate::pool::RunPool;
use crate::route::{self, Route};
use crate::runner::{App, Cancel, Run, RunOutcome};
use crate::watchdog::Watchdog;

/// Streams one HTTP/2 connection may have open at once (each request is one).
const MAX_STREAMS: u32 = 256;

/// The most bytes of request headers HTTP/2 accepts (decoded), as a bound on memory.
const MAX_HEADER_LIST: u32 = 64 << 10;

/// How late past its deadline a run may be interrupted (the watchdog's tick).
const TIMEOUT_PRECISION: Duration = Duration::from_millis(5);
/// The most threads running programs at once (past one per core, they are added only while
/// runs wait behind long ones).
const MAX_RUN_THREADS: usize = 512;
/// How long after its deadline a run on the run pool that has not ended yet (a host call
/// that does not notice the interruption) is answered with a 504 without waiting for it.
const TIMEOUT_BACKSTOP: Duration = Duration::from_secs(2);

/// What the server runs, and how.
pub struct ServerSettings {
    /// The configured modules, in the configuration's order.
    pub apps: Vec<App>,
    /// How long a program may run for one request (then 504).
    pub timeout: Duration,
    /// The largest request body accepted (then 413).
    pub max_body: usize,
    /// Runs of a module at once when its configuration does not say (then 503).
    pub default_concurrency: usize,
    /// Whether each request is logged.
    pub access_log: bool,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
}

struct Slot {
    app: Arc<App>,
    permits: Arc<Semaphore>,
}

struct State {
    routes: Vec<Route>,
    slots: Vec<Slot>,
    timeout: Duration,
    max_body: usize,
    access_log: bool,
    watchdog: Watchdog,
    pool: RunPool,
}

/// Serves on `listener` until `shutdown` completes, then waits (up to the grace period) for the
/// connections' requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let state = Arc::new(State {
        routes: settings.apps.iter().map(|a| a.spec.route.clone()).collect(),
        slots: settings
            .apps
            .into_iter()
            .map(|app| {
                let n = app
                    .spec
                    .max_concurrency
                    .unwrap_or(settings.default_concurrency);
                Slot {
                    app: Arc::new(app),
                    permits: Arc::new(Semaphore::new(n)),
                }
            })
            .collect(),
        timeout: settings.timeout,
        max_body: settings.max_body,
        access_log: settings.access_log,
        watchdog: Watchdog::start(TIMEOUT_PRECISION)?,
        pool: RunPool::new(
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            MAX_RUN_THREADS,
        )?,
    });
    let local = listener.local_addr()?;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1.1, and HTTP/2 over cleartext for clients that start with its preface (h2c with
    // prior knowledge; there is no TLS, so no ALPN).
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        // Head and body copied into one buffer, one `write` each: for the small responses
        // most programs give, 14% less CPU per hello-world request than `writev` of the
        // pieces (median of 6 alternated runs each).
        .writev(false)
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    http.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(MAX_HEADER_LIST);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or similar: say so, and give the system a moment.
                    eprintln!("wexe serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let service = hyper::service::service_fn(move |req| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(handle(&state, remote, local, req).await) }
        });
        let conn = http
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that goes away mid-request is its own business.
            let _ = conn.await;
        });
    }
    drop(listener);
    eprintln!("wexe serve: shutting down, finishing the requests in flight");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(settings.grace) => {
            eprintln!("wexe serve: requests still running after {:?}; stopping", settings.grace);
        }
    }
    Ok(())
}

type Body = Full<Bytes>;

/// One request, logged.
async fn handle(
    state: &State,
    remote: SocketAddr,
    local: SocketAddr,
    req: Request<Incoming>,
) -> Response<Body> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (response, stderr) = respond(state, remote, local, req).await;
    if state.access_log {
        let us = start.elapsed().as_micros();
        let status = response.status().as_u16();
        let mut line = format!("{remote} {method} {path} {status} {us}µs\n");
        for l in String::from_utf8_lossy(&stderr).lines() {
            line.push_str(&format!("  stderr: {l}\n"));
        }
        eprint!("{line}");
    }
    response
}

/// A response with a bare status and its reason as text: nothing about the host.
fn plain(status: StatusCode) -> Response<Body> {
    let text = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The response to a request, and what its program wrote on stderr.
async fn respond(
    state: &State,
    remote: SocketAddr,
    local: SocketAddr,
    req: Request<Incoming>,
) -> (Response<Body>, Vec<u8>) {
    let no_stderr = Vec::new();
    let Some((index, rest)) = route::select(&state.routes, req.uri().path()) else {
        return (plain(StatusCode::NOT_FOUND), no_stderr);
    };
    let rest = rest.to_string();
    let slot = &state.slots[index];
    let Ok(permit) = slot.permits.clone().try_acquire_owned() else {
        return (plain(StatusCode::SERVICE_UNAVAILABLE), no_stderr);
    };
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok());
    if declared
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > state.max_body)
    {
        return (plain(StatusCode::PAYLOAD_TOO_LARGE), no_stderr);
    }
    let body = match Limited::new(body, state.max_body).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return (plain(StatusCode::PAYLOAD_TOO_LARGE), no_stderr);
        }
        Err(_) => return (plain(StatusCode::BAD_REQUEST), no_stderr),
    };
    let info = RequestInfo {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        version: parts.version,
        authority: parts.uri.authority().map(|a| a.as_str()),
        headers: &parts.headers,
        remote,
        local,
        body_len: body.len(),
    };
    let app = &slot.app;
    let Ok(env) = cgi::environment(&app.spec, &rest, &info, app.extra_env()) else {
        // A variable with a NUL byte (a path with `%00`) cannot reach the program.
        return (plain(StatusCode::BAD_REQUEST), no_stderr);
    };
    let argv = cgi::argv(&app.spec.argv, app.spec.route.script_name(), info.query);
    let cancel = Arc::new(Cancel::default());
    let deadline = Instant::now() + state.timeout;
    let armed = state.watchdog.arm(deadline, cancel.clone());
    let body: Vec<u8> = body.into();
    let app = app.clone();
    let job = move || {
        let _permit = permit;
        let _armed = armed;
        app.run(&argv, env, body, &cancel)
    };
    let mut answer = state.pool.run(job);
    let run = match tokio::time::timeout(state.pool.stall(), &mut answer).await {
        Ok(run) => Ok(run),
        Err(_) => {
            // Running long, or waiting behind long runs: then it may get a thread.
            state.pool.unstall();
            tokio::time::timeout(state.timeout + TIMEOUT_BACKSTOP, &mut answer).await
        }
    };
    let run = match run {
        Ok(Ok(run)) => run,
        Ok(Err(_)) => return (plain(StatusCode::INTERNAL_SERVER_ERROR), no_stderr),
        // The run was interrupted at its deadline but has not ended: it gives its permit back
        // when it does.
        Err(_) => return (plain(StatusCode::GATEWAY_TIMEOUT), no_stderr),
    };
    response_of(run)
}

/// The response for a finished run; what went wrong goes to the log, never to the client.
fn response_of(run: Run) -> (Response<Body>, Vec<u8>) {
    let mut log = run.stderr;
    let mut note = |text: String| {
        log.extend_from_slice(format!("[wexe serve] {text}\n").as_bytes());
    };
    let error = match run.outcome {
        RunOutcome::Output(out) => match cgi::parse_output(&out) {
            Ok(parsed) => {
                let body = Bytes::from(out).slice(parsed.body_start..);
                let mut r = Response::new(Full::new(body));
                *r.status_mut() = parsed.status;
                for (name, value) in parsed.headers {
                    r.headers_mut().append(name, value);
                }
                return (r, log);
            }
            Err(why) => {
                note(format!("bad output: {why}"));
                StatusCode::INTERNAL_SERVER_ERROR
            }
        },
        RunOutcome::OutputTooLarge => {
            note("the output exceeded its limit".into());
            StatusCode::INTERNAL_SERVER_ERROR
        }
        RunOutcome::Exit(n) => {
            note(format!("exited with status {n}"));
            StatusCode::INTERNAL_SERVER_ERROR
        }
        RunOutcome::Trap(e) => {
            match e.downcast_ref::<wexe::Trap>() {
                Some(trap) => note(format!("wasm trap: {trap}")),
                None => note(format!("{e:#}")),
            }
            StatusCode::INTERNAL_SERVER_ERROR
        }
        RunOutcome::Failed(e) => {
            let text = format!("{e:#}");
            note(text.lines().next().unwrap_or_default().to_string());
            StatusCode::INTERNAL_SERVER_ERROR
        }
        RunOutcome::TimedOut => {
            note("interrupted by the timeout".into());
            StatusCode::GATEWAY_TIMEOUT
        }
    };
    (plain(error), log)
}
