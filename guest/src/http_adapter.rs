//! `wasi:http/incoming-handler`: converts the wasi:http request into core's
//! [`sesame_core::http::Request`], lets core answer, and writes the response back.

use sesame_core::http::{self, MAX_BODY_BYTES, Request, Response};

use crate::bindings::exports::wasi::http::incoming_handler::Guest;
use crate::bindings::wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use sesame_core::Error;

use crate::{Component, log_error, with_sesame};

/// Largest chunk `blocking-write-and-flush` accepts (the wasi:io contract).
const WRITE_CHUNK: usize = 4096;

impl Guest for Component {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let response = match read_request(&request) {
            Ok(req) => with_sesame(|sesame| Ok(http::handle(sesame, &req))).unwrap_or_else(|e| {
                log_error("http", &e);
                http::fault_response(&e)
            }),
            Err(response) => response,
        };
        write_response(response, response_out);
    }
}

/// Reads method, path, headers and at most `MAX_BODY_BYTES + 1` body bytes, so core can tell an
/// oversized body without the component buffering all of it.
fn read_request(request: &IncomingRequest) -> Result<Request, Response> {
    let method = match request.method() {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(m) => m,
    };
    let path_with_query = request.path_with_query().unwrap_or_else(|| "/".to_owned());
    let mut headers: Vec<(String, Vec<u8>)> = request
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    // Core compares `Origin` with `Host`; HTTP/2-style requests carry it as the authority.
    let has_host = headers.iter().any(|(name, _)| name == "host");
    if let (false, Some(authority)) = (has_host, request.authority()) {
        headers.push(("host".to_owned(), authority.into_bytes()));
    }
    let body = read_body(request).ok_or_else(|| http::fault_response(&Error::BodyUnreadable))?;
    Ok(Request {
        method,
        path_with_query,
        headers,
        body,
    })
}

fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
    let incoming = request.consume().ok()?;
    let stream = incoming.stream().ok()?;
    let mut body = Vec::new();
    while body.len() <= MAX_BODY_BYTES {
        let want = (MAX_BODY_BYTES + 1 - body.len()).min(64 * 1024) as u64;
        match stream.blocking_read(want) {
            Ok(chunk) => body.extend_from_slice(&chunk),
            // `closed` is the normal end of the body.
            Err(crate::bindings::wasi::io::streams::StreamError::Closed) => break,
            Err(_) => return None,
        }
    }
    Some(body)
}

fn write_response(response: Response, response_out: ResponseOutparam) {
    let mut entries: Vec<(String, Vec<u8>)> = response
        .headers
        .into_iter()
        .map(|(n, v)| (n, v.into_bytes()))
        .collect();
    // Bodies are complete in memory, so announce their length instead of chunking.
    entries.push((
        "content-length".to_owned(),
        response.body.len().to_string().into_bytes(),
    ));
    let Ok(fields) = Fields::from_list(&entries) else {
        ResponseOutparam::set(response_out, Err(internal_code()));
        return;
    };
    let outgoing = OutgoingResponse::new(fields);
    if outgoing.set_status_code(response.status).is_err() {
        ResponseOutparam::set(response_out, Err(internal_code()));
        return;
    }
    let Ok(body) = outgoing.body() else {
        ResponseOutparam::set(response_out, Err(internal_code()));
        return;
    };
    ResponseOutparam::set(response_out, Ok(outgoing));
    if let Ok(stream) = body.write() {
        for chunk in response.body.chunks(WRITE_CHUNK) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                // The client went away; nothing more to do.
                return;
            }
        }
        drop(stream);
    }
    let _ = OutgoingBody::finish(body, None);
}

fn internal_code() -> crate::bindings::wasi::http::types::ErrorCode {
    crate::bindings::wasi::http::types::ErrorCode::InternalError(None)
}
