//! Serves the component over HTTP/1.1 on loopback, one fresh instance per request, as Spin's
//! HTTP trigger does.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::runtime::Runtime;

/// Header in which Spin hands the component the client's `ip:port`; set from the connection,
/// replacing any copy the client sent.
const SPIN_CLIENT_ADDR: &str = "spin-client-addr";

/// Accepts connections until the listener fails; prints the bound address first, so tests that
/// pass port 0 learn the real one.
pub(crate) async fn serve(runtime: Runtime, listener: TcpListener) -> Result<()> {
    println!(
        "spin-test-host listening on http://{}",
        listener.local_addr()?
    );
    let runtime = Arc::new(runtime);
    loop {
        let (stream, peer) = listener.accept().await?;
        let runtime = runtime.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let runtime = runtime.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(
                        handle(&runtime, req, peer).await.unwrap_or_else(|e| {
                            eprintln!("spin-test-host: request failed: {e:#}");
                            error(500, "the component failed; see the log")
                        }),
                    )
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Answers one request with a new instance.
async fn handle(
    runtime: &Runtime,
    mut req: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> Result<hyper::Response<HyperOutgoingBody>> {
    if let Ok(value) = peer.to_string().parse() {
        req.headers_mut().insert(SPIN_CLIENT_ADDR, value);
    }
    let mut store = runtime.new_store();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let Ok(incoming) = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)
    else {
        return Ok(error(400, "the request needs a valid Host header"));
    };
    let outparam = store.data_mut().http().new_response_outparam(sender)?;
    let pre = runtime.proxy().clone();
    // The component keeps running after it sets the response head, to stream the body.
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, outparam)
            .await
    });
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(anyhow::anyhow!("the component answered with {code:?}")),
        Err(_) => match task.await? {
            Ok(()) => Err(anyhow::anyhow!("the component returned without answering")),
            Err(e) => Err(anyhow::Error::from(e).context("the component trapped")),
        },
    }
}

/// An answer of the host's own, as plain text (Spin's own errors are not JSON either).
fn error(status: u16, message: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(message.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}
