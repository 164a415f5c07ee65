//! Serves the app over HTTP/1.1 on loopback, one fresh instance per request, as Spin's HTTP
//! trigger does (which component answers is `chaining.rs`'s choice, by route).

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

use crate::chaining::{Components, Outgoing};
use crate::runtime::Runtime;

/// Accepts connections until the listener fails; prints the bound address first, so tests that
/// pass port 0 learn the real one.
pub(crate) async fn serve(app: Arc<Components>, listener: TcpListener) -> Result<()> {
    println!(
        "spin-test-host listening on http://{}",
        listener.local_addr()?
    );
    loop {
        let (stream, peer) = listener.accept().await?;
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let app = app.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(
                        app.from_outside(req, peer).await.unwrap_or_else(|e| {
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

/// Answers one request with a new instance of `runtime`'s component, whose own requests go
/// through `outgoing`; the caller has set Spin's `spin-*` headers.
pub(crate) async fn handle<B>(
    runtime: &Runtime,
    outgoing: Outgoing,
    req: hyper::Request<B>,
) -> Result<hyper::Response<HyperOutgoingBody>>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let mut store = runtime.new_store(outgoing);
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
pub(crate) fn error(status: u16, message: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(message.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}
