//! What every `wasi:http` adapter does the same way around [`handle`](super::handle): turning
//! the request head into a [`Request`], reading a bounded body, and laying out the response
//! head. Sesame has two such adapters (the `sesame:auth/service` component and the Spin
//! component); each generates its own wasi:http bindings, so each keeps only the calls on its
//! own types, and every decision about the bytes is made here, once.

use super::{CLIENT_ADDR_HEADER, MAX_BODY_BYTES, Request, Response};

/// Largest chunk an adapter hands to one `blocking-write-and-flush` (the wasi:io contract
/// guarantees 4096 bytes).
pub const WRITE_CHUNK: usize = 4096;

/// Largest chunk asked for in one read; bounds a single allocation.
const READ_CHUNK: u64 = 64 * 1024;

/// One read from a request body stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Bytes read (possibly none: the stream had nothing ready).
    Data(Vec<u8>),
    /// The body ended (wasi:io `stream-error.closed`).
    End,
}

/// A request head as a wasi:http binding hands it over.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    /// The method name (see [`wasi_http_method!`](crate::wasi_http_method)).
    pub method: String,
    /// `path-with-query`, absent for some HTTP/2-style requests.
    pub path_with_query: Option<String>,
    /// The authority (`host[:port]`), if the request had one.
    pub authority: Option<String>,
    /// Header names as sent and raw values.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl RequestHead {
    /// Core's request: header names lower-cased, a missing path read as `/`, and `Host` taken
    /// from the authority when the request carried none (core compares `Origin` with `Host`).
    pub fn into_request(self, body: Vec<u8>) -> Request {
        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect();
        let has_host = headers.iter().any(|(name, _)| name == "host");
        if let (false, Some(authority)) = (has_host, self.authority) {
            headers.push(("host".to_owned(), authority.into_bytes()));
        }
        Request {
            method: self.method,
            path_with_query: self.path_with_query.unwrap_or_else(|| "/".to_owned()),
            headers,
            body,
            ..Request::default()
        }
    }
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

/// Sets the peer address header to `address` (the connection's peer as the adapter saw it),
/// removing every copy the client sent, so that only the adapter's view of the connection
/// reaches [`Request::client_address`], and through it throttling and session records.
pub fn set_client_addr(request: &mut Request, address: Option<String>) {
    request
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case(CLIENT_ADDR_HEADER));
    if let Some(address) = address {
        request
            .headers
            .push((CLIENT_ADDR_HEADER.to_owned(), address.into_bytes()));
    }
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

/// The method name of a wasi:http `method` value, for any generated binding of it: each
/// binding is its own Rust type, with the same cases.
///
/// ```
/// # mod types { pub enum Method { Get, Head, Post, Put, Delete, Connect, Options, Trace, Patch, Other(String) } }
/// let name: String = sesame_core::wasi_http_method!(types::Method, types::Method::Other("PURGE".into()));
/// assert_eq!(name, "PURGE");
/// assert_eq!(sesame_core::wasi_http_method!(types::Method, types::Method::Post), "POST");
/// ```
#[macro_export]
macro_rules! wasi_http_method {
    ($method_type:ty, $value:expr) => {{
        type WasiMethod = $method_type;
        match $value {
            WasiMethod::Get => ::std::string::String::from("GET"),
            WasiMethod::Head => ::std::string::String::from("HEAD"),
            WasiMethod::Post => ::std::string::String::from("POST"),
            WasiMethod::Put => ::std::string::String::from("PUT"),
            WasiMethod::Delete => ::std::string::String::from("DELETE"),
            WasiMethod::Connect => ::std::string::String::from("CONNECT"),
            WasiMethod::Options => ::std::string::String::from("OPTIONS"),
            WasiMethod::Trace => ::std::string::String::from("TRACE"),
            WasiMethod::Patch => ::std::string::String::from("PATCH"),
            WasiMethod::Other(name) => name,
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_comes_from_the_authority_only_when_missing() {
        let head = RequestHead {
            method: "GET".into(),
            path_with_query: None,
            authority: Some("auth.example".into()),
            headers: vec![("X-Thing".into(), b"1".to_vec())],
        };
        let req = head.clone().into_request(Vec::new());
        assert_eq!(req.path_with_query, "/");
        assert_eq!(req.header("host"), Some("auth.example"));
        assert_eq!(req.headers[0].0, "x-thing");
        let mut with_host = head;
        with_host
            .headers
            .push(("Host".into(), b"sent.example".to_vec()));
        let req = with_host.into_request(Vec::new());
        assert_eq!(
            req.headers_named("host").collect::<Vec<_>>(),
            ["sent.example"]
        );
    }

    #[test]
    fn bodies_are_read_to_one_byte_past_the_limit() {
        let mut calls = 0;
        let body = read_body(|want| {
            calls += 1;
            Ok::<_, ()>(Chunk::Data(vec![b'x'; usize::try_from(want).unwrap()]))
        })
        .unwrap();
        assert_eq!(body.len(), MAX_BODY_BYTES + 1);
        assert_eq!(
            calls, 2,
            "64 KiB, then the one byte that tells it is too large"
        );
        let mut chunks = vec![Chunk::End, Chunk::Data(b"ab".to_vec()), Chunk::Data(vec![])];
        assert_eq!(
            read_body(|_| Ok::<_, ()>(chunks.pop().unwrap())).unwrap(),
            b"ab"
        );
        assert_eq!(read_body(|_| Err::<Chunk, _>("broken")), Err("broken"));
    }

    #[test]
    fn client_addr_copies_from_the_client_are_replaced() {
        let mut req = Request::new("GET", "/")
            .with_header("Sesame-Client-Addr", "203.0.113.9")
            .with_header(CLIENT_ADDR_HEADER, "198.51.100.1");
        set_client_addr(&mut req, Some("127.0.0.1".into()));
        assert_eq!(
            req.headers_named(CLIENT_ADDR_HEADER).collect::<Vec<_>>(),
            ["127.0.0.1"]
        );
        set_client_addr(&mut req, None);
        assert_eq!(req.header(CLIENT_ADDR_HEADER), None);
    }

    #[test]
    fn responses_announce_their_length() {
        let response = Response {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"hello".to_vec(),
        };
        assert_eq!(
            response_fields(&response),
            [
                ("content-type".to_owned(), b"text/plain".to_vec()),
                ("content-length".to_owned(), b"5".to_vec())
            ]
        );
    }
}
