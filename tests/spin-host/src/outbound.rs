//! The component's outgoing HTTP requests to hosts outside the app, as Spin allows them: only
//! to what the component's `allowed_outbound_hosts` lists (`allowed_hosts.rs`). Anything else is
//! refused with `HttpRequestDenied`, the error Spin gives, and logged. Requests to other
//! components of the app (`*.spin.internal`) are `chaining.rs`'s.
//!
//! Allowed requests are sent over plain HTTP, which is all the tests need (their receivers run
//! on loopback). wasmtime-wasi-http's own sender comes only with its `default-send-request`
//! feature, whose TLS client the workspace leaves out on purpose: Cargo would unify that
//! feature into `sesame serve`'s build too. An `https://` request is therefore answered with
//! a TLS error here, as if the handshake had failed.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::allowed_hosts::{AllowedHosts, default_port};

/// How long a connection or a first byte is awaited when the component sets no timeout
/// (wasmtime's own default is as long).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// What an outgoing request resolves to (the shape `WasiHttpHooks` fixes).
type Sent = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

/// Sends `request` if `allowed` lists its scheme, host and port; refuses it as Spin does
/// (`HttpRequestDenied`, logged) otherwise.
pub(crate) async fn send(
    allowed: &AllowedHosts,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Sent {
    let uri = request.uri();
    let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
    // `[::1]` on the wire, `::1` in the manifest.
    let host = uri.host().unwrap_or_default().to_owned();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri
        .port_u16()
        .or_else(|| default_port(&scheme))
        .unwrap_or(443);
    if !allowed.allows(&scheme, bare, port) {
        eprintln!(
            "spin-test-host: outbound request to {scheme}://{host}:{port} denied: not in the component's allowed_outbound_hosts"
        );
        return Err(Error::HttpRequestDenied);
    }
    if scheme != "http" {
        return Err(Error::TlsProtocolError);
    }
    send_plain(request, format!("{host}:{port}"), options).await
}

/// Sends `request` over a new plain connection to `address`, within the component's connect
/// and first-byte timeouts.
async fn send_plain(
    mut request: http::Request<WasiBody>,
    address: String,
    options: Option<RequestOptions>,
) -> Sent {
    let connect_timeout = options
        .and_then(|o| o.connect_timeout)
        .unwrap_or(DEFAULT_TIMEOUT);
    let first_byte_timeout = options
        .and_then(|o| o.first_byte_timeout)
        .unwrap_or(DEFAULT_TIMEOUT);
    let stream =
        match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(&address)).await
        {
            Err(_) => return Err(Error::ConnectionTimeout),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(Error::ConnectionRefused);
            }
            Ok(Err(e)) => return Err(Error::Connect(e)),
            Ok(Ok(stream)) => stream,
        };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;
    tokio::spawn(connection);
    // On the wire a request names only its path; the host travels in the `host` header.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *request.uri_mut() = path.parse().map_err(|_| Error::HttpRequestUriInvalid)?;
    let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
        .await
        .map_err(|_| Error::ConnectionReadTimeout)??;
    let response = response.map(|body| body.map_err(Error::from).boxed_unsync());
    Ok((response, Box::new(async { Ok(()) })))
}
