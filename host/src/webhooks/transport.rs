//! One webhook delivery on the wire: an HTTP/1.1 POST over TCP, or over TLS (rustls on ring,
//! as for SMTP) checked against the system's roots and an optional private CA. The
//! breached-password lookup (`crate::breach`) sends its GET over the same transport.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};

/// How long one delivery may take: connection, TLS handshake, request and the answer's head.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest CA file read.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// A webhook address: `http://` or `https://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebhookUrl {
    tls: bool,
    /// The host as written, without IPv6 brackets.
    host: String,
    port: u16,
    /// Path and query, at least `/`.
    path: String,
    /// The whole URL as given, for listings and logs.
    text: String,
}

impl std::str::FromStr for WebhookUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Errors name the URL only once it is known to hold no credentials.
        if s.split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
            .is_some_and(|authority| authority.contains('@'))
        {
            return Err(
                "credentials in a webhook URL are not supported (the signature proves the sender)"
                    .to_owned(),
            );
        }
        let uri: http::Uri = s.parse().map_err(|e| format!("'{s}' is not a URL: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(format!("'{s}': a webhook URL is http:// or https://")),
        };
        let authority = uri.authority().ok_or_else(|| format!("no host in '{s}'"))?;
        // `http::Uri` accepts a port it cannot represent and reports none; without this check
        // `:70000` would quietly become the scheme's default port.
        let written_port = authority
            .as_str()
            .rsplit_once(':')
            .map(|(_, port)| port)
            .filter(|port| !port.is_empty() && !port.contains(']'));
        if written_port.is_some() && uri.port_u16().is_none() {
            return Err(format!("'{s}': the port is not a number from 0 to 65535"));
        }
        let host = uri
            .host()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("no host in '{s}'"))?
            .to_owned();
        Ok(WebhookUrl {
            tls,
            port: uri.port_u16().unwrap_or(if tls { 443 } else { 80 }),
            host,
            path: uri
                .path_and_query()
                .map_or("/".to_owned(), |p| p.as_str().to_owned()),
            text: s.to_owned(),
        })
    }
}

impl std::fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl WebhookUrl {
    /// Whether deliveries to this URL cross a network in clear text: `http://` to anything
    /// but a loopback address. Signatures stop tampering, not reading: events name users and
    /// their addresses.
    pub(crate) fn is_clear_text_off_host(&self) -> bool {
        !self.tls
            && !self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The path (and query) requests go to, at least `/`.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The `Host` header: the host, and the port unless it is the scheme's default.
    pub(crate) fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.tls, self.port) {
            (false, 80) | (true, 443) => host,
            (_, port) => format!("{host}:{port}"),
        }
    }
}

/// Why a delivery did not get an answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// No TCP connection.
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    /// The TLS handshake failed: an untrusted or mismatched certificate, among others.
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
    /// The host name cannot be a TLS server name.
    #[error("'{0}' cannot be checked against a certificate")]
    ServerName(String),
    /// HTTP failed after the connection was up.
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    /// The request could not be built (a path the HTTP crate refuses).
    #[error("bad request: {0}")]
    Request(#[from] http::Error),
    /// No answer within [`DELIVERY_TIMEOUT`].
    #[error("no answer within {} s", DELIVERY_TIMEOUT.as_secs())]
    Timeout,
}

/// What `https://` deliveries trust: the system's roots and, if given, a private CA.
#[derive(Clone)]
pub(crate) struct Transport {
    tls: Arc<rustls::ClientConfig>,
}

impl Transport {
    /// Trusts the system's roots (`rustls-native-certs`, which honours `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR`) and every certificate in the PEM file `ca_file`, if given. A CA file
    /// that cannot be read or holds no certificate is an error, so a typo stops the server at
    /// start instead of failing every delivery.
    pub(crate) fn new(ca_file: Option<&Path>) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::debug!(error = %e, "a system certificate could not be loaded");
        }
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = ca_file {
            let added = read_ca_file(path)?
                .into_iter()
                .map(|cert| roots.add(cert))
                .collect::<Result<Vec<()>, _>>()
                .map_err(|e| {
                    anyhow::anyhow!("{}: not a usable CA certificate: {e}", path.display())
                })?;
            tracing::info!(file = %path.display(), certificates = added.len(), "webhook deliveries trust this CA file");
        }
        // ring, as for SMTP: it builds with only a C compiler. rustls 0.23.48 marks it
        // deprecated for lacking post-quantum key exchange, which ring does not offer.
        #[allow(deprecated, reason = "ring is the TLS provider the host is built with")]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Transport {
            tls: Arc::new(config),
        })
    }

    /// POSTs `body` with `headers` to `url` over one connection, all within
    /// [`DELIVERY_TIMEOUT`]; returns the answer's status.
    pub(crate) async fn post(
        &self,
        url: &WebhookUrl,
        headers: &[(&'static str, String)],
        body: String,
    ) -> Result<u16, SendError> {
        tokio::time::timeout(DELIVERY_TIMEOUT, self.post_untimed(url, headers, body))
            .await
            .unwrap_or(Err(SendError::Timeout))
    }

    async fn post_untimed(
        &self,
        url: &WebhookUrl,
        headers: &[(&'static str, String)],
        body: String,
    ) -> Result<u16, SendError> {
        let mut request = http::Request::post(&url.path)
            .header(http::header::HOST, url.host_header())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "Sesame-Webhooks");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request.body(Full::new(bytes::Bytes::from(body)))?;
        Ok(self.send(url, request).await?.status().as_u16())
    }

    /// Sends `request` to `url` over a new connection (TLS for `https://`) and returns the
    /// answer, its body still to be read. No timeout of its own: callers bound it.
    pub(crate) async fn send<B>(
        &self,
        url: &WebhookUrl,
        request: http::Request<B>,
    ) -> Result<http::Response<hyper::body::Incoming>, SendError>
    where
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
            .await
            .map_err(SendError::Connect)?;
        if !url.tls {
            return exchange(stream, request).await;
        }
        let name = ServerName::try_from(url.host.clone())
            .map_err(|_| SendError::ServerName(url.host.clone()))?;
        let stream = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, stream)
            .await
            .map_err(SendError::Tls)?;
        exchange(stream, request).await
    }
}

/// Sends `request` over `stream` as HTTP/1.1; the answer.
async fn exchange<S, B>(
    stream: S,
    request: http::Request<B>,
) -> Result<http::Response<hyper::body::Incoming>, SendError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    // The connection task ends when the answer is read and `sender` dropped.
    tokio::spawn(connection);
    Ok(sender.send_request(request).await?)
}

/// Every certificate in the PEM file at `path`.
fn read_ca_file(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    use std::io::Read as _;
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_FILE_BYTES).read_to_end(&mut pem))
        .map_err(|e| anyhow::anyhow!("cannot read the CA file {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("the CA file {} is not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!("the CA file {} holds no certificate", path.display());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use super::*;

    #[test]
    fn webhook_urls() {
        let url: WebhookUrl = "http://127.0.0.1:9000/hooks/sesame?x=1".parse().unwrap();
        assert_eq!(
            (url.tls, url.host.as_str(), url.port, url.path.as_str()),
            (false, "127.0.0.1", 9000, "/hooks/sesame?x=1")
        );
        assert_eq!(url.host_header(), "127.0.0.1:9000");
        assert_eq!(url.to_string(), "http://127.0.0.1:9000/hooks/sesame?x=1");
        let bare: WebhookUrl = "http://collector".parse().unwrap();
        assert_eq!((bare.port, bare.path.as_str()), (80, "/"));
        assert_eq!(bare.host_header(), "collector");
        let secure: WebhookUrl = "https://hooks.example.com/in".parse().unwrap();
        assert_eq!((secure.tls, secure.port), (true, 443));
        assert_eq!(secure.host_header(), "hooks.example.com");
        let v6: WebhookUrl = "https://[::1]:8443/".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8443));
        assert_eq!(v6.host_header(), "[::1]:8443");
        // Plain HTTP is flagged unless it stays on this machine.
        assert!(!url.is_clear_text_off_host() && !secure.is_clear_text_off_host());
        assert!(bare.is_clear_text_off_host());
        let local_v6: WebhookUrl = "http://[::1]:9000/".parse().unwrap();
        assert!(!local_v6.is_clear_text_off_host());
        let err = "https://user:hunter2@collector/"
            .parse::<WebhookUrl>()
            .unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        for bad in [
            "https://collector:70000/",
            "http://collector:99999",
            "ftp://collector",
            "collector:80",
            "not a url",
            "https://user:pw@collector/",
            "/relative",
        ] {
            assert!(bad.parse::<WebhookUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ca_file_must_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let error = Transport::new(Some(&empty)).err().unwrap().to_string();
        assert!(error.contains("holds no certificate"), "{error}");
        let missing = dir.path().join("missing.pem");
        let error = Transport::new(Some(&missing)).err().unwrap().to_string();
        assert!(error.contains("cannot read the CA file"), "{error}");
        assert!(Transport::new(None).is_ok());
    }

    /// Nothing listens: the delivery fails as a connection error, quickly.
    #[tokio::test]
    async fn a_closed_port_is_a_connection_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url: WebhookUrl = format!("http://127.0.0.1:{port}/").parse().unwrap();
        let transport = Transport::new(None).unwrap();
        let error = transport.post(&url, &[], "{}".into()).await.unwrap_err();
        assert!(matches!(error, SendError::Connect(_)), "{error}");
    }
}
