//! The component's outgoing HTTP requests, as Spin allows them: only to what the component's
//! `allowed_outbound_hosts` lists, in Spin's syntax (`scheme://host[:port]`; `*` for any
//! scheme, host or port, `*.example.com` for its subdomains, `8000..8010` for a port range; no
//! port means the scheme's own). Anything else is refused with `HttpRequestDenied`, the error
//! Spin gives, and logged.
//!
//! Allowed requests are sent over plain HTTP, which is all the tests need (their receivers run
//! on loopback). wasmtime-wasi-http's own sender comes only with its `default-send-request`
//! feature, whose TLS client the workspace leaves out on purpose: Cargo would unify that
//! feature into `sesame serve`'s build too. An `https://` request is therefore answered with
//! a TLS error here, as if the handshake had failed.

use std::time::Duration;

use anyhow::{Result, bail};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// How long a connection or a first byte is awaited when the component sets no timeout
/// (wasmtime's own default is as long).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// One entry of `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// `None`: any scheme.
    scheme: Option<String>,
    host: Host,
    ports: Ports,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Any,
    Exact(String),
    /// `*.example.com`: any name ending in `.example.com`.
    SubdomainOf(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    Any,
    Range(u16, u16),
}

/// Where the component may send requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedHosts(Vec<Allowed>);

impl AllowedHosts {
    /// Reads the manifest's list (templates already resolved); an entry Spin would refuse
    /// stops the host at start, as it stops `spin up`.
    pub(crate) fn parse(entries: &[String]) -> Result<Self> {
        entries
            .iter()
            .map(|e| parse_entry(e))
            .collect::<Result<_>>()
            .map(AllowedHosts)
    }

    /// Whether a request to `scheme://host:port` may go out.
    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.0.iter().any(|a| {
            a.scheme.as_deref().is_none_or(|s| s == scheme)
                && match &a.host {
                    Host::Any => true,
                    Host::Exact(h) => *h == host,
                    Host::SubdomainOf(parent) => host.ends_with(&format!(".{parent}")),
                }
                && match a.ports {
                    Ports::Any => true,
                    Ports::Range(low, high) => (low..=high).contains(&port),
                }
        })
    }
}

fn parse_entry(entry: &str) -> Result<Allowed> {
    let Some((scheme, rest)) = entry.split_once("://") else {
        bail!("allowed_outbound_hosts: `{entry}` has no scheme (e.g. https://{entry})");
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') {
        bail!("allowed_outbound_hosts: `{entry}` has a path");
    }
    let (host, port) = match rest.strip_prefix('[') {
        // An IPv6 address: `[::1]` or `[::1]:8080`.
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => bail!("allowed_outbound_hosts: `{entry}` has no closing `]`"),
        },
        None => match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
    let ports = match (port, scheme.as_deref()) {
        (Some("*"), _) => Ports::Any,
        (Some(port), _) => match port.split_once("..") {
            Some((low, high)) => Ports::Range(low.parse()?, high.parse()?),
            None => {
                let port = port.parse()?;
                Ports::Range(port, port)
            }
        },
        (None, Some("http")) => Ports::Range(80, 80),
        (None, Some("https")) => Ports::Range(443, 443),
        (None, _) => bail!("allowed_outbound_hosts: `{entry}` needs a port"),
    };
    let host = host.to_ascii_lowercase();
    let host = match host.as_str() {
        "*" => Host::Any,
        _ => match host.strip_prefix("*.") {
            Some(parent) => Host::SubdomainOf(parent.to_owned()),
            None => Host::Exact(host),
        },
    };
    Ok(Allowed {
        scheme,
        host,
        ports,
    })
}

/// The outgoing half of one instance's wasi:http: the manifest's list decides, plain HTTP
/// sends.
pub(crate) struct SpinOutbound {
    allowed: std::sync::Arc<AllowedHosts>,
}

impl SpinOutbound {
    /// Requests limited to `allowed`.
    pub(crate) fn new(allowed: std::sync::Arc<AllowedHosts>) -> Self {
        SpinOutbound { allowed }
    }
}

/// What an outgoing request resolves to (the shape `WasiHttpHooks` fixes).
type Sent = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for SpinOutbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        // `[::1]` on the wire, `::1` in the manifest.
        let host = uri.host().unwrap_or_default().to_owned();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        if !self.allowed.allows(&scheme, bare, port) {
            eprintln!(
                "spin-test-host: outbound request to {scheme}://{host}:{port} denied: not in the component's allowed_outbound_hosts"
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        if scheme != "http" {
            return Box::new(async { Err(Error::TlsProtocolError) });
        }
        Box::new(send_plain(request, format!("{host}:{port}"), options))
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use super::*;

    #[test]
    fn spins_syntax_decides_who_may_be_called() {
        let allowed = AllowedHosts::parse(&[
            "http://127.0.0.1:8025".into(),
            "https://api.postmarkapp.com".into(),
            "https://*.example.com".into(),
            "*://hooks.internal:*".into(),
            "http://localhost:9000..9002".into(),
        ])
        .unwrap();
        for (scheme, host, port, allows) in [
            ("http", "127.0.0.1", 8025, true),
            ("http", "127.0.0.1", 8026, false),
            ("https", "127.0.0.1", 8025, false),
            ("https", "api.postmarkapp.com", 443, true),
            ("https", "API.Postmarkapp.com", 443, true),
            ("http", "api.postmarkapp.com", 80, false),
            ("https", "mail.example.com", 443, true),
            ("https", "example.com", 443, false),
            ("https", "evil-example.com", 443, false),
            ("http", "hooks.internal", 1, true),
            ("http", "localhost", 9001, true),
            ("http", "localhost", 9003, false),
            ("http", "api.resend.com", 80, false),
        ] {
            assert_eq!(
                allowed.allows(scheme, host, port),
                allows,
                "{scheme}://{host}:{port}"
            );
        }
        assert!(AllowedHosts::parse(&[]).unwrap().0.is_empty());
        for bad in [
            "api.example.com",
            "*://api.example.com",
            "https://x/path",
            "http://x:port",
        ] {
            assert!(AllowedHosts::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
