//! Sesame's routes, exported twice: as `sesame:auth/routes` (one typed call, what the `sesame`
//! server uses) and as `wasi:http/incoming-handler` (for every other wasi:http host). Both
//! convert their request into core's [`sesame_core::http::Request`], let core answer, and hand
//! the response back. What is not a call on this component's own bindings lives in
//! [`sesame_core::http::adapter`], shared with the Spin component.

use sesame_core::Error;
use sesame_core::http::adapter::{self, Chunk, RequestHead, WRITE_CHUNK};
use sesame_core::http::{self, Request, Response};

use crate::bindings::exports::sesame::auth::routes;
use crate::bindings::exports::wasi::http::incoming_handler::Guest;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use crate::bindings::wasi::io::streams::StreamError;

use crate::{Component, log_error, with_sesame};

impl Guest for Component {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let response = match read_request(&request) {
            Ok(req) => answer(&req),
            Err(response) => response,
        };
        write_response(&response, response_out);
    }
}

impl routes::Guest for Component {
    fn handle(request: routes::Request) -> routes::Response {
        let head = RequestHead {
            method: request.method,
            path_with_query: Some(request.path_with_query),
            authority: None,
            headers: request.headers,
        };
        let mut req = head.into_request(request.body);
        adapter::set_client_addr(&mut req, request.client_address);
        let response = answer(&req);
        routes::Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        }
    }
}

/// Core's answer to `req`; a Sesame that cannot even be built (unusable configuration) answers
/// with the fault's JSON error.
fn answer(req: &Request) -> Response {
    with_sesame(|sesame| Ok(http::handle(sesame, req))).unwrap_or_else(|e| {
        log_error("http", &e);
        http::fault_response(&e)
    })
}

/// Reads the head and at most `MAX_BODY_BYTES + 1` body bytes. `wasi:http` tells nothing of
/// the connection's peer, so any client-address header is the client's own claim and is
/// dropped: a client must not pick the bucket its attempts are throttled in. Behind a reverse
/// proxy, `SESAME_TRUSTED_PROXIES` declares that requests arrive through it, and core reads the
/// client from its forwarding headers ([`sesame_core::client_addr`]).
fn read_request(request: &IncomingRequest) -> Result<Request, Response> {
    let head = RequestHead {
        method: sesame_core::wasi_http_method!(Method, request.method()),
        path_with_query: request.path_with_query(),
        authority: request.authority(),
        headers: request.headers().entries(),
    };
    let body = read_body(request).ok_or_else(|| http::fault_response(&Error::BodyUnreadable))?;
    let mut req = head.into_request(body);
    adapter::set_client_addr(&mut req, None);
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
        ResponseOutparam::set(response_out, Err(ErrorCode::InternalError(None)));
        return;
    };
    let outgoing = OutgoingResponse::new(fields);
    if outgoing.set_status_code(response.status).is_err() {
        ResponseOutparam::set(response_out, Err(ErrorCode::InternalError(None)));
        return;
    }
    let Ok(body) = outgoing.body() else {
        ResponseOutparam::set(response_out, Err(ErrorCode::InternalError(None)));
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
