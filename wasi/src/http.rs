//! A `wasi:http` exchange: the incoming request read into core's [`Request`], core's
//! [`Response`] written to the response outparam. Only calls on the bindings live here; what
//! they carry is decided in [`crate::request`].

use sesame_core::Error;
use sesame_core::http::{Request, Response, fault_response};
use wasi::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingResponse};
use wasi::io::streams::StreamError;

pub use wasi::http::types::{IncomingRequest, ResponseOutparam};

use crate::request::{self, Chunk, RequestHead, WRITE_CHUNK};

/// Where a runtime says who connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerSource {
    /// Nowhere: plain `wasi:http` tells nothing of the connection. Behind a reverse proxy,
    /// `SESAME_TRUSTED_PROXIES` declares that requests arrive through it, and core reads the
    /// client from its forwarding headers.
    Unknown,
    /// In this request header, which the runtime sets from the connection and in which it
    /// replaces any copy the client sent (Spin's `spin-client-addr`).
    Header(&'static str),
}

/// Answers one `wasi:http` request: reads it (at most `MAX_BODY_BYTES + 1` body bytes), lets
/// `answer` respond, and writes the response. A body that cannot be read is answered with
/// core's fault response, without calling `answer`.
pub fn serve(
    request: IncomingRequest,
    response_out: ResponseOutparam,
    peer: PeerSource,
    answer: impl FnOnce(&Request) -> Response,
) {
    let response = match read_request(&request, peer) {
        Ok(req) => answer(&req),
        Err(response) => response,
    };
    write_response(&response, response_out);
}

/// Core's answer, or, when Sesame could not even be built (an unusable configuration, an
/// unreachable store), the fault's JSON error. Either way a failure inside Sesame is logged:
/// the client's answer only says that the details are in the log.
pub fn or_fault(outcome: Result<Response, Error>) -> Response {
    match outcome {
        Ok(response) => {
            if let Some(fault) = &response.fault {
                crate::log::fault(fault);
            }
            response
        }
        Err(e) => {
            crate::log::error("http", &e);
            fault_response(&e)
        }
    }
}

fn read_request(request: &IncomingRequest, peer: PeerSource) -> Result<Request, Response> {
    let headers = request.headers().entries();
    let peer = match peer {
        PeerSource::Unknown => None,
        PeerSource::Header(name) => request::peer_in_header(&headers, name),
    };
    let head = RequestHead {
        method: method_name(request.method()),
        path_with_query: request.path_with_query(),
        authority: request.authority(),
        headers,
        peer,
    };
    let body = read_body(request).ok_or_else(|| fault_response(&Error::BodyUnreadable))?;
    Ok(head.into_request(body))
}

fn method_name(method: Method) -> String {
    let name = match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Connect => "CONNECT",
        Method::Options => "OPTIONS",
        Method::Trace => "TRACE",
        Method::Patch => "PATCH",
        Method::Other(name) => return name,
    };
    name.to_owned()
}

fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
    let incoming = request.consume().ok()?;
    let stream = incoming.stream().ok()?;
    request::read_body(|want| match stream.blocking_read(want) {
        Ok(bytes) => Ok(Chunk::Data(bytes)),
        Err(StreamError::Closed) => Ok(Chunk::End),
        Err(StreamError::LastOperationFailed(_)) => Err(()),
    })
    .ok()
}

fn write_response(response: &Response, response_out: ResponseOutparam) {
    let Some((outgoing, body)) = response_head(response) else {
        // The runtime turns this into a 500.
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

/// The response's status and fields, and its body to write; `None` when the runtime refuses
/// any of them.
fn response_head(response: &Response) -> Option<(OutgoingResponse, OutgoingBody)> {
    let fields = Fields::from_list(&request::response_fields(response)).ok()?;
    let outgoing = OutgoingResponse::new(fields);
    outgoing.set_status_code(response.status).ok()?;
    let body = outgoing.body().ok()?;
    Some((outgoing, body))
}
