//! `sesame serve`: accepts HTTP/1.1 connections and answers each request with an instance of
//! the component: an idle one that served earlier requests cleanly, or a fresh one created
//! from the pre-linked component (see `instances`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::engine::Runtime;
use crate::instances::IdleInstance;

/// Header through which the component learns the client's address (see core's
/// `CLIENT_ADDR_HEADER`). Any copy sent by a client is removed first.
const CLIENT_ADDR_HEADER: &str = "sesame-client-addr";

/// How long a client may take to send its request headers; bounds slow-header attacks.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest buffered request head, in bytes. Sesame's requests carry one cookie and a few
/// headers; 64 KiB is generous and keeps a connection's memory bounded.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves until the listener fails. Prints the bound address on stdout first, so scripts and
/// tests that pass port 0 learn the real port.
pub(crate) async fn serve(runtime: Runtime, listener: TcpListener) -> Result<()> {
    let local = listener.local_addr()?;
    println!("sesame listening on http://{local}");
    tracing::info!(%local, "listening");
    let runtime = Arc::new(runtime);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: wait and go on rather than exit.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let runtime = runtime.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let runtime = runtime.clone();
                async move {
                    // Every failure becomes an answer: hyper would otherwise just drop the
                    // connection, which tells the client nothing.
                    Ok::<_, std::convert::Infallible>(
                        handle(&runtime, req, peer).await.unwrap_or_else(|e| {
                            tracing::error!(error = %format!("{e:#}"), "request failed in the host");
                            fault()
                        }),
                    )
                }
            });
            let result = http1::Builder::new()
                .keep_alive(true)
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// Answers one request with a new instance.
async fn handle(
    runtime: &Runtime,
    mut req: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> Result<hyper::Response<HyperOutgoingBody>> {
    let headers = req.headers_mut();
    headers.remove(CLIENT_ADDR_HEADER);
    if let Ok(value) = peer.ip().to_string().parse() {
        headers.insert(CLIENT_ADDR_HEADER, value);
    }

    let (mut store, ready, served) = match runtime.instances().take() {
        Some(idle) => (idle.store, Some(idle.proxy), idle.served),
        None => (runtime.new_store(), None, 0),
    };
    crate::sandbox::begin_request(&mut store);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let incoming = match store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)
    {
        Ok(incoming) => incoming,
        // wasi:http needs an authority: without a valid Host header there is no request to
        // hand to the component.
        Err(e) => {
            tracing::debug!(error = %e, "refusing a request without a valid Host");
            return Ok(json_error(
                hyper::StatusCode::BAD_REQUEST,
                r#"{"error":{"code":"invalid-request","message":"The request needs a valid Host header."}}"#,
            ));
        }
    };
    let outparam = store.data_mut().http().new_response_outparam(sender)?;
    let pre = runtime.proxy().clone();
    let instances = runtime.instances().clone();

    // The guest keeps running after it sets the response head, to stream the body.
    let task = tokio::spawn(async move {
        let proxy = match ready {
            Some(proxy) => proxy,
            None => pre.instantiate_async(&mut store).await?,
        };
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, outparam)
            .await?;
        // Only an instance that finished cleanly serves again; one that trapped, ran out of
        // time or memory is dropped here by the `?` above.
        instances.give_back(IdleInstance {
            store,
            proxy,
            served: served.saturating_add(1),
        });
        Ok(())
    });

    match receiver.await {
        Ok(Ok(response)) => {
            // The head is out; a failure while streaming the body can only cut the body short,
            // but it must still reach the log.
            tokio::spawn(async move {
                if let Err(why) = joined(task.await) {
                    log_failure(&why, "the component failed after answering");
                }
            });
            Ok(response)
        }
        Ok(Err(e)) => {
            tracing::error!(error = ?e, "the component answered with an HTTP error code");
            Ok(fault())
        }
        Err(_) => {
            let why = joined(task.await).err().unwrap_or_else(|| {
                wasmtime::Error::msg("the component returned without answering")
            });
            if crate::sandbox::is_pool_exhausted(&why) {
                log_failure(&why, "no free instance slot for the request");
                return Ok(busy());
            }
            // A trap ends only this instance; it is never reused.
            log_failure(&why, "request failed inside the component");
            Ok(fault())
        }
    }
}

/// The outcome of the instance's task, with a panic or cancellation as an error too.
fn joined(result: Result<wasmtime::Result<()>, tokio::task::JoinError>) -> wasmtime::Result<()> {
    match result {
        Ok(outcome) => outcome,
        Err(e) => Err(wasmtime::Error::new(e)),
    }
}

/// Logs why an instance failed on one line: a stable `cause` (deadline, memory limit, trap),
/// the root error, and the guest's backtrace with the rest of the chain.
fn log_failure(why: &wasmtime::Error, message: &'static str) {
    let cause = crate::sandbox::cause(why);
    let detail = why
        .chain()
        .map(|e| {
            e.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(": ");
    tracing::error!(cause, error = %why.root_cause(), detail, "{message}");
}

/// The 500 answered when the component failed before answering.
fn fault() -> hyper::Response<HyperOutgoingBody> {
    json_error(
        hyper::StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"error":{"code":"internal","message":"Sesame hit an internal fault; the details are in its log."}}"#,
    )
}

/// The 503 answered when every instance slot is taken (see `--max-instances`).
fn busy() -> hyper::Response<HyperOutgoingBody> {
    let mut response = json_error(
        hyper::StatusCode::SERVICE_UNAVAILABLE,
        r#"{"error":{"code":"busy","message":"Sesame is at its limit of requests in flight; retry shortly."}}"#,
    );
    response.headers_mut().insert(
        hyper::header::RETRY_AFTER,
        hyper::header::HeaderValue::from_static("1"),
    );
    response
}

/// An error the host answers itself, in the same body shape as core's errors, so clients need
/// one parser.
fn json_error(status: hyper::StatusCode, body: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(body.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
