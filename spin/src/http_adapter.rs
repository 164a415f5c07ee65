//! The Spin HTTP trigger's entry point: converts the `wasi:http` request into core's
//! [`sesame_core::http::Request`], lets core answer, and writes the response back. What is not
//! a call on spin-sdk's bindings lives in [`sesame_core::http::adapter`], shared with the
//! `sesame:auth/service` component.

// `#[http_component]` expands to the wasi:http export glue, which converts resource handles
// between spin-sdk's bindings and the macro's own with `unsafe` `from_handle` calls.
#![allow(unsafe_code, reason = "spin-sdk's http_component macro expansion")]

use std::net::SocketAddr;

use sesame_core::Error;
use sesame_core::http::adapter::{self, Chunk, RequestHead, WRITE_CHUNK};
use sesame_core::http::{self, Request, Response};
use spin_sdk::http::{
    ErrorCode, Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::http0_2_0::types::ResponseOutparam as RawOutparam;
use wasi::io::streams::StreamError;

use crate::sqlite_store::SqliteStore;
use crate::{log_error, with_sesame};

/// Header in which Spin passes the client's address (`ip:port`) to the component. Spin sets it
/// from the connection, replacing any copy the client sent.
const SPIN_CLIENT_ADDR: &str = "spin-client-addr";

/// One request in this many also deletes expired records, after the answer is written, so
/// the table does not grow with dead sessions without costing each request a statement.
const SWEEP_ONE_IN: u8 = 16;

/// Answers one request (Spin runs each in a fresh instance).
#[http_component]
fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    let response = match read_request(&request) {
        Ok(req) => with_sesame(|sesame| Ok(http::handle(sesame, &req))).unwrap_or_else(|e| {
            log_error("http", &e);
            http::fault_response(&e)
        }),
        Err(response) => response,
    };
    write_response(&response, response_out);
    sweep_now_and_then();
}

/// Reads the head and at most `MAX_BODY_BYTES + 1` body bytes; the client address is Spin's
/// view of the connection, never a header the client sent.
fn read_request(request: &IncomingRequest) -> Result<Request, Response> {
    let headers = request.headers().entries();
    // Spin replaces any copy a client sent; were it ever to append instead, its own value
    // would still be the last one.
    let client_addr = headers
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case(SPIN_CLIENT_ADDR))
        .and_then(|(_, value)| std::str::from_utf8(value).ok())
        .and_then(|value| value.parse::<SocketAddr>().ok())
        .map(|addr| addr.ip().to_string());
    let head = RequestHead {
        method: sesame_core::wasi_http_method!(Method, request.method()),
        path_with_query: request.path_with_query(),
        authority: request.authority(),
        headers,
    };
    let body = read_body(request).ok_or_else(|| http::fault_response(&Error::BodyUnreadable))?;
    let mut req = head.into_request(body);
    adapter::set_client_addr(&mut req, client_addr);
    Ok(req)
}

fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
    let incoming = request.consume().ok()?;
    let stream = incoming.stream().ok()?;
    adapter::read_body(|want| match stream.blocking_read(want) {
        Ok(bytes) => Ok(Chunk::Data(bytes)),
        Err(StreamError::Closed) => Ok(Chunk::End),
        Err(StreamError::LastOperationFailed(_)) => Err(()),
    })
    .ok()
}

fn write_response(response: &Response, response_out: ResponseOutparam) {
    let Ok(fields) = Fields::from_list(&adapter::response_fields(response)) else {
        fail(response_out);
        return;
    };
    let outgoing = OutgoingResponse::new(fields);
    if outgoing.set_status_code(response.status).is_err() {
        fail(response_out);
        return;
    }
    let Ok(body) = outgoing.body() else {
        fail(response_out);
        return;
    };
    response_out.set(outgoing);
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

/// Answers with a wasi:http error instead of a response (Spin turns it into a 500).
fn fail(response_out: ResponseOutparam) {
    RawOutparam::set(
        response_out.into_inner(),
        Err(ErrorCode::InternalError(None)),
    );
}

/// Deletes a batch of expired records on one request in [`SWEEP_ONE_IN`]. Failures only delay
/// the sweep, so they are logged and otherwise ignored.
fn sweep_now_and_then() {
    let mut roll = [0u8; 1];
    if getrandom::fill(&mut roll).is_err() || roll[0] % SWEEP_ONE_IN != 0 {
        return;
    }
    if let Err(e) = SqliteStore::open()
        .map_err(|e| e.to_string())
        .and_then(|store| store.sweep_expired().map_err(|e| e.to_string()))
    {
        eprintln!("sesame: sweeping expired records: {e}");
    }
}
