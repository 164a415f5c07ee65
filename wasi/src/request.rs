//! The decisions a `wasi:http` adapter makes about the bytes, apart from any binding: the head
//! as core reads it, where the connection's peer comes from, how much body is read, and the
//! response's header fields.

use std::net::IpAddr;

use sesame_core::client_addr;
use sesame_core::http::{MAX_BODY_BYTES, Request, Response};

/// Largest chunk handed to one `blocking-write-and-flush` (the wasi:io contract guarantees
/// 4096 bytes).
pub const WRITE_CHUNK: usize = 4096;

/// Largest chunk asked for in one read; bounds a single allocation.
const READ_CHUNK: u64 = 64 * 1024;

/// A header by which a client could claim an address of its choosing. The peer travels in
/// [`Request::peer`], set from the connection only; the `sesame:auth/routes` contract promises
/// that the component discards any copy of this header, so every request loses it here and no
/// later reader can mistake it for the peer.
pub const CLIENT_ADDR_HEADER: &str = "sesame-client-addr";

/// One read from a request body stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Bytes read (possibly none: the stream had nothing ready).
    Data(Vec<u8>),
    /// The body ended (wasi:io `stream-error.closed`).
    End,
}

/// A request head as a runtime hands it over.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    /// The method name, upper-case for the standard methods.
    pub method: String,
    /// `path-with-query`, absent for some HTTP/2-style requests.
    pub path_with_query: Option<String>,
    /// The authority (`host[:port]`), if the request had one.
    pub authority: Option<String>,
    /// Header names as sent and raw values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The connection's peer as the runtime reported it, never as the client claimed it.
    pub peer: Option<IpAddr>,
}

impl RequestHead {
    /// Core's request: header names lower-cased, every [`CLIENT_ADDR_HEADER`] removed, a
    /// missing path read as `/`, and `Host` taken from the authority when the request carried
    /// none (core compares `Origin` with `Host`).
    pub fn into_request(self, body: Vec<u8>) -> Request {
        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .filter(|(name, _)| name != CLIENT_ADDR_HEADER)
            .collect();
        let has_host = headers.iter().any(|(name, _)| name == "host");
        if let (false, Some(authority)) = (has_host, self.authority) {
            headers.push(("host".to_owned(), authority.into_bytes()));
        }
        let path_with_query = self.path_with_query.as_deref().unwrap_or("/");
        let mut request = Request::new(&self.method, path_with_query).with_body(body);
        request.headers = headers;
        request.peer = self.peer;
        request
    }
}

/// The connection's peer as a host gives it in text (`ip` or `ip:port`), read the way core
/// compares addresses; `None` when the host knows none or sent something else.
pub fn peer_address(text: Option<&str>) -> Option<IpAddr> {
    text.and_then(client_addr::parse_peer)
}

/// The peer address a runtime passes in the header `name` (`ip` or `ip:port`), for runtimes
/// that replace any copy the client sent. Were one to append instead, its own value would
/// still be the last, so the last copy is the one read.
pub fn peer_in_header(headers: &[(String, Vec<u8>)], name: &str) -> Option<IpAddr> {
    headers
        .iter()
        .rev()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| peer_address(std::str::from_utf8(value).ok()))
}

/// Reads a body through `read` (asked for at most the given number of bytes per call) until it
/// ends or holds [`MAX_BODY_BYTES`] + 1 bytes, so core can tell an oversized body without the
/// component buffering all of it. `read`'s error ends the reading and is returned.
pub fn read_body<E>(mut read: impl FnMut(u64) -> Result<Chunk, E>) -> Result<Vec<u8>, E> {
    let mut body = Vec::new();
    while body.len() <= MAX_BODY_BYTES {
        let left = u64::try_from(MAX_BODY_BYTES + 1 - body.len()).unwrap_or(READ_CHUNK);
        match read(left.min(READ_CHUNK))? {
            Chunk::Data(bytes) => body.extend_from_slice(&bytes),
            Chunk::End => break,
        }
    }
    Ok(body)
}

/// The response's header fields as bytes, with `content-length`: bodies are complete in memory,
/// so their length is announced instead of chunking them.
pub fn response_fields(response: &Response) -> Vec<(String, Vec<u8>)> {
    let mut fields: Vec<(String, Vec<u8>)> = response
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().into_bytes()))
        .collect();
    fields.push((
        "content-length".to_owned(),
        response.body.len().to_string().into_bytes(),
    ));
    fields
}

#[cfg(test)]
mod tests;
