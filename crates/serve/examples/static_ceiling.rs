//! The ceiling for benches/serve.py: the same HTTP stack as `wexe serve` (hyper 1 on tokio,
//! HTTP/1.1 with keep-alive) answering every request with a fixed "hello world" and no wasm,
//! so the benchmark shows what running a fresh instance per request adds.
//!
//! `cargo run --release -p wexe-serve --example static_ceiling -- 127.0.0.1:8081`

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper_util::rt::TokioIo;

fn main() -> anyhow::Result<()> {
    let addr: std::net::SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into())
        .parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!(
            "static_ceiling: listening on http://{}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    let mut r = Response::new(Full::new(Bytes::from_static(b"hello world\n")));
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/plain"),
                    );
                    Ok::<_, Infallible>(r)
                });
                // As `wexe serve` (one write per response, see server.rs).
                let _ = hyper::server::conn::http1::Builder::new()
                    .writev(false)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
