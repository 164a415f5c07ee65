//! The request as core sees it: method, path, headers and a bounded body, and the client's
//! network address derived from them.

use std::net::IpAddr;
use std::sync::OnceLock;

use crate::client_addr::{self, TrustedProxies};
use crate::sessions::ClientInfo;

/// Largest request body read, in bytes. Sesame's bodies are a few hundred bytes; 64 KiB leaves
/// room for long WebAuthn payloads while bounding what a client can make the component buffer.
/// Adapters read at most one byte more than this, so an oversized body is detected without
/// being buffered whole.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An HTTP request as core sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Method, upper-case (`GET`, `POST`).
    pub method: String,
    /// Path and query, e.g. `/login?next=/`.
    pub path_with_query: String,
    /// Header names (lower-case) and raw values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, at most [`MAX_BODY_BYTES`] + 1 bytes.
    pub body: Vec<u8>,
    /// The network address of the connection's peer (the client, or the reverse proxy in
    /// front of Sesame), as the adapter learnt it from the connection; `None` when it knows
    /// none. Only the adapter sets it, never from anything the client sent. Routes never read
    /// it: they ask [`Request::client_address`], which also reads trusted proxies' forwarding
    /// headers.
    pub peer: Option<IpAddr>,
    /// The client's address, derived once per request (see [`Request::client_address`]).
    client_address: OnceLock<Option<IpAddr>>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: &str, path_with_query: &str) -> Self {
        Request {
            method: method.to_owned(),
            path_with_query: path_with_query.to_owned(),
            ..Request::default()
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Sets the connection's peer address (builder style).
    pub fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The first value of a header, if present and valid UTF-8.
    pub fn header<'r>(&'r self, name: &'r str) -> Option<&'r str> {
        self.headers_named(name).next()
    }

    /// Every UTF-8 value of a header.
    pub fn headers_named<'r>(&'r self, name: &'r str) -> impl Iterator<Item = &'r str> + 'r {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The path, without the query.
    pub(crate) fn path(&self) -> &str {
        self.path_with_query
            .split_once('?')
            .map_or(self.path_with_query.as_str(), |(p, _)| p)
    }

    /// The client's network address: the connection's peer, or, when the peer is a trusted
    /// reverse proxy, the client it forwarded for ([`crate::client_addr`] has the rule).
    /// Every per-address throttle and every record of where a sign-in came from reads it here,
    /// and nowhere else. `None` when the adapter knows no address.
    ///
    /// [`handle`](super::handle) derives it with the configured trusted proxies before any route runs; read
    /// before that (a request never handed to [`handle`](super::handle)), no proxy is trusted.
    pub fn client_address(&self) -> Option<IpAddr> {
        *self
            .client_address
            .get_or_init(|| self.forwarding(&TrustedProxies::none()).client)
    }

    /// What the peer and the forwarding headers say (raw lines, so a line that is not UTF-8
    /// counts as malformed instead of vanishing).
    fn forwarding(&self, trusted: &TrustedProxies) -> client_addr::Forwarding {
        let peer = self.peer.map(client_addr::canonical);
        let lines = |name: &str| -> Vec<&[u8]> {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
                .collect()
        };
        client_addr::read(
            peer,
            trusted,
            &lines("forwarded"),
            &lines("x-forwarded-for"),
        )
    }

    /// Settles [`Request::client_address`] with this deployment's trusted proxies, before any
    /// route reads it, and says what the forwarding headers held.
    pub(crate) fn settle_client_address(
        &self,
        trusted: &TrustedProxies,
    ) -> client_addr::Forwarding {
        let forwarding = self.forwarding(trusted);
        self.client_address.get_or_init(|| forwarding.client);
        forwarding
    }

    /// [`Request::client_address`] as text, for throttles and records.
    pub(crate) fn client_address_text(&self) -> Option<String> {
        self.client_address().map(|ip| ip.to_string())
    }

    /// Where the request comes from, as sessions and sign-in records keep it.
    pub(crate) fn client(&self) -> ClientInfo {
        ClientInfo {
            address: self.client_address_text(),
            user_agent: self.header("user-agent").map(str::to_owned),
        }
    }
}
