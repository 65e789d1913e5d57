//! `wexe serve` over real loopback HTTP: the test starts the `wexe` binary on a free port
//! (`--addr 127.0.0.1:0`, the port read from its first line), talks HTTP/1.1 over plain TCP, and
//! stops it. The guest is `tests/programs/cgi.c` (built with clang for wasm32-wasi), whose
//! answer depends on PATH_INFO; the real application is Lua 5.4 (`scripts/fetch-real-programs.sh`)
//! running a CGI script from a read-only volume.
//!
//! Covered: the WAGI/CGI contract (environment, argv, headers, `Status`, redirects, output that
//! is not a response), traps, non-zero exits, timeouts (busy loops and blocking sleeps), floods
//! of output, request bodies of several MB (plain and chunked) and over the limit, malformed
//! requests (400, the program never runs), fresh state per request in both tiers (memory,
//! globals, files in a read-only volume), `modules.toml` routing and its errors (file:line,
//! exit 1), per-module concurrency (503), a bounded concurrent load with every response checked,
//! keep-alive, and graceful shutdown on SIGTERM.

#[allow(dead_code)]
#[path = "../crates/wasi/tests/common/run.rs"]
mod programs;

#[path = "common/prerequisite.rs"]
mod prerequisite;

#[path = "serve/client.rs"]
mod client;

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use client::{Server, get, request};

/// Held by the test that keeps every core busy with looping requests, and by the tests whose
/// requests must start within a few hundred milliseconds, so that the two never overlap.
static CPU_HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn cpu_heavy() -> std::sync::MutexGuard<'static, ()> {
    CPU_HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// The CGI test program, compiled once.
fn cgi_wasm() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-cgi.wasm");
        std::fs::write(&path, programs::compile("cgi")).unwrap();
        path
    })
}

fn serve(extra: &[&str]) -> Server {
    let mut args = vec!["serve"];
    args.extend_from_slice(extra);
    args.push(cgi_wasm().to_str().unwrap());
    Server::start(&args)
}

#[test]
fn the_cgi_contract() {
    let server = serve(&["--timeout", "5s", "--env", "FROM_FLAG=yes"]);
    let r = get(server.addr, "/hello");
    assert_eq!(
        (r.status, r.body_text().as_str()),
        (200, "hello from wasm\n")
    );
    assert_eq!(r.header("content-type"), Some("text/plain"));

    let raw = "POST /env?name=a%20b&flag&x=1+2 HTTP/1.1\r\nHost: example.test:8080\r\nX-Test-Header: one\r\n\
         X-Test-Header: two\r\nAuthorization: secret\r\nContent-Type: text/csv\r\nContent-Length: 5\r\n\r\nabcde";
    let r = request(server.addr, raw.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body_text());
    let env = r.body_text();
    let port = server.addr.port();
    for line in [
        "argv[0]=".to_string(),
        "argv[1]=name=a b".into(),
        "argv[2]=flag".into(),
        "argv[3]=x=1 2".into(),
        "REQUEST_METHOD=POST".into(),
        "QUERY_STRING=name=a%20b&flag&x=1+2".into(),
        "PATH_INFO=/env".into(),
        "X_RAW_PATH_INFO=/env".into(),
        "SCRIPT_NAME=".into(),
        "X_MATCHED_ROUTE=/...".into(),
        "X_FULL_URL=http://example.test:8080/env?name=a%20b&flag&x=1+2".into(),
        "HTTP_X_TEST_HEADER=one, two".into(),
        "HTTP_HOST=example.test:8080".into(),
        "CONTENT_LENGTH=5".into(),
        "CONTENT_TYPE=text/csv".into(),
        "SERVER_NAME=example.test".into(),
        format!("SERVER_PORT={port}"),
        "SERVER_PROTOCOL=HTTP/1.1".into(),
        "GATEWAY_INTERFACE=CGI/1.1".into(),
        "REMOTE_ADDR=127.0.0.1".into(),
        "REMOTE_HOST=127.0.0.1".into(),
        "FROM_FLAG=yes".into(),
    ] {
        assert!(env.lines().any(|l| l == line), "no `{line}` in:\n{env}");
    }
    assert!(env.contains("SERVER_SOFTWARE=wexe/"), "{env}");
    assert!(
        !env.contains("secret"),
        "Authorization is not passed on:\n{env}"
    );
    assert!(
        !env.contains("WEXE_TEST_SECRET"),
        "the host's variables stay out:\n{env}"
    );

    let r = get(server.addr, "/redirect");
    assert_eq!((r.status, r.header("location")), (302, Some("/hello")));
    let r = get(server.addr, "/status");
    assert_eq!((r.status, r.body_text().as_str()), (418, "teapot\n"));
    assert_eq!(r.header("x-extra"), Some("yes"));
    assert_eq!(r.header("status"), None);
    assert_eq!(get(server.addr, "/nothing-here").status, 404);

    // Output that is not a response, traps and failed exits: a 500 that tells nothing.
    for path in ["/bad", "/trap", "/exit"] {
        let r = get(server.addr, path);
        assert_eq!(r.status, 500, "{path}");
        assert_eq!(r.body_text(), "500 Internal Server Error\n", "{path}");
    }
    let log = server.stop();
    assert!(log.contains("GET /trap 500"), "{log}");
    assert!(
        log.contains("stderr: about to trap"),
        "the program's stderr is logged:\n{log}"
    );
    assert!(log.contains("exited with status 3"), "{log}");
    assert!(log.contains("bad output"), "{log}");
    assert!(log.contains("wasm trap"), "{log}");
}

/// HTTP/2 over cleartext with prior knowledge (h2c): requests at once on one connection, each
/// in a fresh instance, with the CGI contract as over HTTP/1.1 — the authority standing for the
/// Host header — and a request body.
#[test]
fn http2_with_prior_knowledge() {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let server = serve(&["--timeout", "5s"]);
    let addr = server.addr;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answers = rt.block_on(async move {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .expect("an HTTP/2 handshake");
        tokio::spawn(conn);
        let mut runs = Vec::new();
        for i in 0..12 {
            let mut sender = sender.clone();
            runs.push(tokio::spawn(async move {
                let (method, path, body) = match i % 3 {
                    0 => ("GET", format!("/env?n={i}"), Vec::new()),
                    1 => (
                        "POST",
                        "/echo".to_string(),
                        vec![b'a' + i as u8; 70_000 * i],
                    ),
                    _ => ("GET", "/hello".to_string(), Vec::new()),
                };
                let req = hyper::Request::builder()
                    .method(method)
                    .uri(format!("http://localhost:{}{path}", addr.port()))
                    .body(Full::new(bytes::Bytes::from(body.clone())))
                    .unwrap();
                let resp = sender.send_request(req).await.expect("a response");
                let status = resp.status().as_u16();
                let version = resp.version();
                let text = resp.into_body().collect().await.unwrap().to_bytes();
                (
                    i,
                    body,
                    status,
                    version,
                    String::from_utf8_lossy(&text).into_owned(),
                )
            }));
        }
        let mut answers = Vec::new();
        for run in runs {
            answers.push(run.await.unwrap());
        }
        answers
    });
    // Closes the connection (its task dies with the runtime), or shutting down would wait
    // for this idle client to answer the server's GOAWAY.
    drop(rt);
    let port = addr.port();
    for (i, body, status, version, text) in answers {
        assert_eq!(
            (status, version),
            (200, hyper::Version::HTTP_2),
            "#{i}: {text}"
        );
        match i % 3 {
            0 => {
                for line in [
                    format!("QUERY_STRING=n={i}"),
                    "SERVER_PROTOCOL=HTTP/2.0".into(),
                    format!("HTTP_HOST=localhost:{port}"),
                    "SERVER_NAME=localhost".into(),
                    format!("X_FULL_URL=http://localhost:{port}/env?n={i}"),
                    "REQUEST_METHOD=GET".into(),
                ] {
                    assert!(
                        text.lines().any(|l| l == line),
                        "#{i}: no `{line}` in:\n{text}"
                    );
                }
            }
            1 => assert_eq!(
                text,
                format!("length={} fnv={:016x}\n", body.len(), fnv(&body)),
                "#{i}"
            ),
            _ => assert_eq!(text, "hello from wasm\n", "#{i}"),
        }
    }
    let log = server.stop();
    assert_eq!(log.matches("POST /echo 200").count(), 4, "{log}");
}

/// The hello world benches/serve.py gives `wasmtime serve` (a hand-written wasi-http
/// component; wasmtime itself is not in CI): a valid component that exports wasi:http's
/// incoming handler and imports only WASI 0.2 interfaces.
#[test]
fn the_benchmarks_wasi_http_component_is_valid() {
    use wasmparser::{ComponentExternalKind, Payload};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/wasi-http/hello.wat");
    let bytes = wat::parse_file(&path).expect("the component text parses");
    assert!(
        wasmparser::Parser::is_component(&bytes),
        "a component, not a module"
    );
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .expect("a valid component");
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            Payload::ComponentImportSection(s) => {
                imports.extend(s.into_iter().map(|i| i.unwrap().name.name.to_string()));
            }
            Payload::ComponentExportSection(s) => {
                for e in s {
                    let e = e.unwrap();
                    exports.push((e.name.name.to_string(), e.kind));
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        exports,
        [(
            "wasi:http/incoming-handler@0.2.0".to_string(),
            ComponentExternalKind::Instance
        )]
    );
    assert!(!imports.is_empty());
    for name in &imports {
        assert!(
            name.starts_with("wasi:") && name.ends_with("@0.2.0"),
            "{name}"
        );
    }
}

#[test]
fn limits_free_the_worker() {
    let _cpu = cpu_heavy();
    let server = serve(&[
        "--timeout",
        "1s",
        "--max-output-size",
        "1000000",
        "--max-concurrency",
        "2",
    ]);
    for path in ["/loop", "/sleep"] {
        let start = Instant::now();
        let r = get(server.addr, path);
        assert_eq!(r.status, 504, "{path}");
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "{path}: {:?}",
            start.elapsed()
        );
    }
    let r = get(server.addr, "/flood");
    assert_eq!(r.status, 500);
    assert_eq!(r.body_text(), "500 Internal Server Error\n");
    // None of them holds one of the two slots: both can still serve at once.
    std::thread::sleep(Duration::from_millis(300));
    let both: Vec<_> = (0..2)
        .map(|_| {
            let addr = server.addr;
            std::thread::spawn(move || get(addr, "/slow").status)
        })
        .collect();
    for t in both {
        assert_eq!(t.join().unwrap(), 200);
    }
    let log = server.stop();
    assert!(log.contains("the output exceeded its limit"), "{log}");
}

#[test]
fn long_runs_time_out_with_their_stderr_and_stall_no_one() {
    let _cpu = cpu_heavy();
    // More looping requests at once than there are cores: the server still answers others
    // at once, and each loop gets its 504, logged with what the program wrote on stderr.
    let server = serve(&["--timeout", "1s"]);
    assert_eq!(get(server.addr, "/hello").status, 200);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let loops: Vec<_> = (0..cores + 1)
        .map(|_| {
            let addr = server.addr;
            std::thread::spawn(move || {
                let start = Instant::now();
                (get(addr, "/loop").status, start.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let r = get(server.addr, "/hello");
    assert_eq!(r.status, 200);
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "a short request waited {:?} behind looping ones",
        start.elapsed()
    );
    for l in loops {
        let (status, took) = l.join().unwrap();
        assert_eq!(status, 504);
        assert!(took < Duration::from_secs(3), "{took:?}");
    }
    let log = server.stop();
    let timed_out = log.lines().filter(|l| l.contains("GET /loop 504")).count();
    assert_eq!(timed_out, cores + 1, "{log}");
    assert_eq!(
        log.matches("stderr: looping forever").count(),
        cores + 1,
        "{log}"
    );
    assert!(log.contains("interrupted by the timeout"), "{log}");
}

#[test]
fn request_bodies_large_chunked_and_too_large() {
    let server = serve(&["--max-body-size", "8000000"]);
    let body: Vec<u8> = (0..6_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let expect = format!("length={} fnv={:016x}\n", body.len(), fnv(&body));
    let mut raw = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    let r = request(server.addr, &raw);
    assert_eq!((r.status, r.body_text()), (200, expect.clone()));

    let r = request(server.addr, &chunked_echo(&body, 700_001));
    assert_eq!((r.status, r.body_text()), (200, expect));

    let big = vec![b'x'; 9_000_000];
    let mut raw = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        big.len()
    )
    .into_bytes();
    raw.extend_from_slice(&big);
    assert_eq!(request(server.addr, &raw).status, 413);
    assert_eq!(
        request(server.addr, &chunked_echo(&big, 1_000_000)).status,
        413
    );
    server.stop();
}

/// `POST /echo` with `body` sent in chunks of `size` bytes.
fn chunked_echo(body: &[u8], size: usize) -> Vec<u8> {
    let mut raw = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in body.chunks(size) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(1469598103934665603u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    })
}

#[test]
fn malformed_requests_get_400_and_never_reach_the_program() {
    let server = serve(&[]);
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /hello HTTP/1.1\r\nBad Header Line\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n",
        b"GET /hello HTTP/9.9\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        // A NUL byte in PATH_INFO, which no environment can pass.
        b"GET /hello%00 HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let r = request(server.addr, raw);
        assert!(
            r.status == 400 || r.status == 505,
            "{:?}: {}",
            String::from_utf8_lossy(raw),
            r.status
        );
    }
    // HTTP/2 connections that break the protocol after the preface: the server says GOAWAY
    // (frame type 7) and closes them; no request is made of them.
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let empty_settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    for frames in [
        // A frame far over the 16 KiB maximum.
        &b"\xff\xff\xff\x00\x00\x00\x00\x00\x01"[..],
        // SETTINGS whose length is not a multiple of 6.
        b"\x00\x00\x05\x04\x00\x00\x00\x00\x00abcde",
        // HEADERS on stream 0.
        b"\x00\x00\x01\x01\x05\x00\x00\x00\x00\x82",
        // HEADERS whose header block is not valid HPACK.
        b"\x00\x00\x04\x01\x05\x00\x00\x00\x01\xff\xff\xff\xff",
    ] {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&[&preface[..], empty_settings, frames].concat())
            .unwrap();
        let mut got = Vec::new();
        let end = std::io::Read::read_to_end(&mut s, &mut got);
        let timed_out = matches!(&end, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        assert!(!timed_out, "{frames:x?}: the connection stays open");
        // The server's frames, one after another: 3 bytes of length, then the type.
        let mut types = Vec::new();
        let mut at = 0;
        while at + 9 <= got.len() {
            types.push(got[at + 3]);
            at += 9
                + (usize::from(got[at]) << 16
                    | usize::from(got[at + 1]) << 8
                    | usize::from(got[at + 2]));
        }
        assert!(
            types.contains(&7),
            "{frames:x?}: no GOAWAY among frames {types:?}"
        );
        assert!(
            !types.contains(&1),
            "{frames:x?}: a response (HEADERS) came"
        );
    }
    assert_eq!(get(server.addr, "/hello").status, 200);
    let log = server.stop();
    // Only the good request ran; a bad chunked body is refused (400) while it is read, and a
    // NUL in the path when the environment is built, before any run; the others never got
    // past hyper's parser, so they are not even logged.
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("127.0.0.1:"))
        .collect();
    assert!(
        requests
            .iter()
            .all(|l| l.contains(" 400 ") || l.contains("GET /hello 200")),
        "{log}"
    );
    assert_eq!(
        requests.iter().filter(|l| l.contains(" 200 ")).count(),
        1,
        "{log}"
    );
    assert!(!log.contains("stderr:"), "{log}");
}

/// Memory, globals and files of a read-only volume: what one request did, the next does not
/// see, in both tiers.
#[test]
fn every_request_gets_a_fresh_instance() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fixture.txt"), "fixed").unwrap();
    let grant = format!("{}::/ro", dir.path().display());
    for tier in ["interp", "jit"] {
        let server = serve(&["--tier", tier, "--dir-ro", &grant]);
        for _ in 0..5 {
            let r = get(server.addr, "/state");
            assert_eq!(
                (r.status, r.body_text().as_str()),
                (200, "seen=0 scratch=pristine created=0 fixture=fixed\n"),
                "{tier}"
            );
        }
        server.stop();
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["fixture.txt"]);
}

#[test]
fn keep_alive_and_a_bounded_concurrent_load() {
    let server = serve(&["--max-concurrency", "64"]);
    let deadline = Instant::now() + Duration::from_secs(3);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut conn = TcpStream::connect(addr).unwrap();
                let mut n = 0u32;
                while Instant::now() < deadline && n < 2000 {
                    let path = if n.is_multiple_of(3) {
                        "/status"
                    } else {
                        "/hello"
                    };
                    let raw = format!("GET {path}?w={w}&n={n} HTTP/1.1\r\nHost: t\r\n\r\n");
                    conn.write_all(raw.as_bytes()).unwrap();
                    let r = client::read_response(&mut conn);
                    let want = if n.is_multiple_of(3) {
                        (418, "teapot\n")
                    } else {
                        (200, "hello from wasm\n")
                    };
                    assert_eq!(
                        (r.status, r.body_text().as_str()),
                        want,
                        "worker {w} request {n}"
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(total >= 80, "only {total} requests in 3 s");
    server.stop();
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight() {
    let _cpu = cpu_heavy();
    let server = serve(&[]);
    let addr = server.addr;
    let slow = std::thread::spawn(move || get(addr, "/slow"));
    std::thread::sleep(Duration::from_millis(150));
    let (status, log) = server.terminate();
    let r = slow.join().unwrap();
    assert_eq!((r.status, r.body_text().as_str()), (200, "slow done\n"));
    assert_eq!(status, Some(0), "{log}");
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens after shutdown"
    );
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("modules.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn modules_toml_routes_and_limits_per_module() {
    let _cpu = cpu_heavy();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(cgi_wasm(), dir.path().join("cgi.wasm")).unwrap();
    let config = write_config(
        dir.path(),
        r#"
[[module]]
route = "/app/..."
module = "cgi.wasm"
environment = { GREETING = "hi" }
argv = "cgi.wasm -x ${ARGS}"

[[module]]
route = "/one/..."
module = "cgi.wasm"
http_max_concurrency = 1
"#,
    );
    let server = Server::start(&["serve", "--config", config.to_str().unwrap()]);
    let r = get(server.addr, "/app/hello");
    assert_eq!(
        (r.status, r.body_text().as_str()),
        (200, "hello from wasm\n")
    );
    let env = get(server.addr, "/app/env?q=1").body_text();
    for line in [
        "argv[0]=cgi.wasm",
        "argv[1]=-x",
        "argv[2]=q=1",
        "GREETING=hi",
        "SCRIPT_NAME=/app",
        "PATH_INFO=/env",
        "X_MATCHED_ROUTE=/app/...",
    ] {
        assert!(env.lines().any(|l| l == line), "no `{line}` in:\n{env}");
    }
    assert_eq!(get(server.addr, "/other").status, 404);
    let addr = server.addr;
    let slow = std::thread::spawn(move || get(addr, "/one/slow").status);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(get(server.addr, "/one/hello").status, 503);
    assert_eq!(
        get(server.addr, "/app/hello").status,
        200,
        "other modules are not limited"
    );
    assert_eq!(slow.join().unwrap(), 200);
    server.stop();
}

#[test]
fn bad_configurations_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(cgi_wasm(), dir.path().join("cgi.wasm")).unwrap();
    let cases = [
        ("[[module]\nroute = \"/\"\n", ":1: "),
        (
            "[[module]]\nroute = \"/\"\nmodule = \"cgi.wasm\"\nbogus = 1\n",
            "unknown field `bogus`",
        ),
        (
            "[[module]]\nroute = \"/\"\nmodule = \"missing.wasm\"\n",
            ":3: module file",
        ),
        (
            "[[module]]\nroute = \"/a\"\nmodule = \"cgi.wasm\"\n\n[[module]]\nroute = \"/a\"\nmodule = \"cgi.wasm\"\n",
            ":6: route `/a` is configured twice",
        ),
    ];
    for (text, want) in cases {
        let config = write_config(dir.path(), text);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wexe"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--config",
                config.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{text}: {stderr}");
        assert!(
            stderr.starts_with(&format!("wexe: error: {}", config.display())),
            "{stderr}"
        );
        assert!(stderr.contains(want), "{text}: want `{want}` in {stderr}");
        assert!(!stderr.contains("listening"), "{stderr}");
    }
}

/// Lua 5.4 (built from crates.io's sources by scripts/fetch-real-programs.sh) serving a CGI
/// script from a read-only volume: computes from its query parameters and the request body.
#[test]
fn a_lua_application() {
    let Some(lua) = lua_wasm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(
        site.join("app.lua"),
        r#"
local n = tonumber(arg[1]) or 10
local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
local body = io.read("a") or ""
local words = {}
for w in body:gmatch("%a+") do words[#words + 1] = w:upper() end
table.sort(words)
io.write("Content-Type: application/json\r\n\r\n")
io.write(string.format('{"path":"%s","fib":%d,"words":"%s","method":"%s"}\n',
  os.getenv("PATH_INFO"), fib(n), table.concat(words, ","), os.getenv("REQUEST_METHOD")))
"#,
    )
    .unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[module]]\nroute = \"/lua/...\"\nmodule = \"{}\"\nargv = \"lua /site/app.lua ${{ARGS}}\"\n",
            lua.display()
        ),
    );
    let grant = format!("{}::/site", site.display());
    let server = Server::start(&[
        "serve",
        "--dir-ro",
        &grant,
        "--config",
        config.to_str().unwrap(),
    ]);
    let raw = "POST /lua/calc?20 HTTP/1.1\r\nHost: t\r\nContent-Length: 23\r\n\r\nzebra apple mango kiwi!";
    let r = request(server.addr, raw.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body_text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body_text(),
        "{\"path\":\"/calc\",\"fib\":6765,\"words\":\"APPLE,KIWI,MANGO,ZEBRA\",\"method\":\"POST\"}\n"
    );
    for k in [1, 5, 15] {
        let r = get(server.addr, &format!("/lua/x?{k}"));
        let fib = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610][k];
        assert!(
            r.body_text().contains(&format!("\"fib\":{fib},")),
            "{}",
            r.body_text()
        );
    }
    server.stop();
}

/// lua.wasm, built once by the project's script (cached), or `None` with the reason reported.
fn lua_wasm() -> Option<PathBuf> {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-programs");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-real-programs.sh");
    let run = std::process::Command::new("bash")
        .arg(&script)
        .arg(&out)
        .output()
        .unwrap();
    match run.status.code() {
        Some(0) => Some(out.join("lua.wasm")),
        Some(75) => {
            prerequisite::missing("lua serve test", "crates.io unreachable");
            None
        }
        _ => panic!(
            "fetch-real-programs.sh failed: {}",
            String::from_utf8_lossy(&run.stderr)
        ),
    }
}
