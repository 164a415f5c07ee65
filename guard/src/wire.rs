//! The guard's calls on the `wasi:http` bindings: reading the client's request, one outgoing
//! exchange (to Sesame or to the app), and writing an answer. Bodies are copied in chunks of
//! [`CHUNK`] as they arrive, never gathered whole, except a check's answer, which is small and
//! read up to [`CHECK_BODY_LIMIT`].

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingRequest, IncomingResponse, Method, OutgoingBody, OutgoingRequest,
    OutgoingResponse, RequestOptions, ResponseOutparam, Scheme,
};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

use crate::config::Upstream;
use crate::rules::{self, Original};

/// Bytes copied per read: what the guard holds of a body at any time.
const CHUNK: u64 = 64 * 1024;

/// The most one `blocking-write-and-flush` takes (wasi:io says 4096 bytes).
const WRITE_CHUNK: usize = 4096;

/// The longest answer body of Sesame's check the guard reads (its refusals are a few hundred
/// bytes; an error page a few KiB). A longer one is a failure, not a refusal to pass on.
const CHECK_BODY_LIMIT: usize = 64 * 1024;

/// How long Sesame may take to accept the check and to start answering it, in nanoseconds.
const CHECK_TIMEOUT_NS: u64 = 10_000_000_000;

/// Header in which Spin hands a component the client's `ip:port`, replacing a client's copy.
const SPIN_CLIENT_ADDR: &str = "spin-client-addr";

/// Why an exchange failed; logged, and answered with the guard's own error.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

/// The client's request as the guard saw it, described on the app's public origin (`public`)
/// rather than by the client's `Host` or anything else the client says about it.
pub(crate) fn original(request: &IncomingRequest, public: &Upstream) -> Original {
    let headers = request.headers().entries();
    let client_ip = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(SPIN_CLIENT_ADDR))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok())
        .map(|addr| addr.ip().to_string());
    let scheme = if public.https { "https" } else { "http" };
    Original {
        method: method_name(&request.method()),
        scheme: scheme.to_owned(),
        host: public.authority.clone(),
        path_with_query: request.path_with_query().unwrap_or_else(|| "/".to_owned()),
        client_ip,
        headers,
    }
}

/// Sesame's answer to a check, read whole (it is small).
pub(crate) struct CheckAnswer {
    /// The status code.
    pub(crate) status: u16,
    /// The header fields.
    pub(crate) headers: rules::Fields,
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// Sesame's check of `original`: `GET <sesame>/auth/check[?query]`, with no body. Any failure
/// to reach Sesame or to read its whole answer is an error: the caller keeps the request out.
pub(crate) fn check(
    sesame: &Upstream,
    query: &str,
    original: &Original,
) -> Result<CheckAnswer, Failure> {
    let path = if query.is_empty() {
        "/auth/check".to_owned()
    } else {
        format!("/auth/check?{query}")
    };
    let request = new_request(sesame, &Method::Get, &path, &rules::check_headers(original))?;
    let body = request.body().map_err(|()| failure("no request body"))?;
    let options = RequestOptions::new();
    // A runtime without timeouts refuses these; the check then waits as long as Spin lets it.
    let _ = options.set_connect_timeout(Some(CHECK_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(CHECK_TIMEOUT_NS));
    let _ = options.set_between_bytes_timeout(Some(CHECK_TIMEOUT_NS));
    let pending = outgoing_handler::handle(request, Some(options)).map_err(refused)?;
    OutgoingBody::finish(body, None).map_err(refused)?;
    let response = wait(&pending)?;
    let status = response.status();
    let headers = response.headers().entries();
    let incoming = response.consume().map_err(|()| failure("no answer body"))?;
    let stream = incoming.stream().map_err(|()| failure("no answer body"))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(CHUNK) {
            Ok(bytes) => body.extend_from_slice(&bytes),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(Failure(format!(
                    "reading the answer: {}",
                    e.to_debug_string()
                )));
            }
        }
        if body.len() > CHECK_BODY_LIMIT {
            return Err(failure("the answer is longer than any check's"));
        }
    }
    // The stream is a child of the body, the body of the response: dropped in that order.
    drop(stream);
    drop(incoming);
    Ok(CheckAnswer {
        status,
        headers,
        body,
    })
}

/// Sends the client's request on to the app (`headers` already decided by the rules), copying
/// the client's body as it arrives, and writes the app's answer back to the client as it
/// arrives. Fails, having written nothing, when the app cannot be reached.
pub(crate) fn forward(
    app: &Upstream,
    original: &Original,
    headers: &rules::Fields,
    request: IncomingRequest,
    out: ResponseOutparam,
) -> Result<(), (Failure, ResponseOutparam)> {
    let sent = (|| {
        let outgoing = new_request(app, &request.method(), &original.path_with_query, headers)?;
        let body = outgoing.body().map_err(|()| failure("no request body"))?;
        let pending = outgoing_handler::handle(outgoing, None).map_err(refused)?;
        // A body copied only in part is dropped unfinished, which the app reads as a failed
        // body, never as a shorter complete one. The app may still have answered (it need not
        // read a body it does not want), so its answer is waited for either way.
        let copied = copy_request_body(&request, &body);
        if copied.is_ok() {
            OutgoingBody::finish(body, None).map_err(refused)?;
        } else {
            drop(body);
        }
        wait(&pending).map_err(|e| copied.err().unwrap_or(e))
    })();
    let response = match sent {
        Ok(response) => response,
        Err(e) => return Err((e, out)),
    };
    let head = match fields(&rules::answer_headers(&response.headers().entries())) {
        Ok(head) => OutgoingResponse::new(head),
        Err(e) => return Err((e, out)),
    };
    if head.set_status_code(response.status()).is_err() {
        return Err((failure("the app answered an invalid status"), out));
    }
    let Ok(body) = head.body() else {
        return Err((failure("no answer body"), out));
    };
    ResponseOutparam::set(out, Ok(head));
    if let (Ok(incoming), Ok(stream)) = (response.consume(), body.write()) {
        if let Ok(source) = incoming.stream() {
            copy(&source, &stream);
            drop(source);
        }
        drop(stream);
        drop(incoming);
    }
    let _ = OutgoingBody::finish(body, None);
    Ok(())
}

/// Copies the client's body to the app's request, chunk by chunk.
fn copy_request_body(request: &IncomingRequest, body: &OutgoingBody) -> Result<(), Failure> {
    let incoming = request
        .consume()
        .map_err(|()| failure("the body was taken"))?;
    let source = incoming.stream().map_err(|()| failure("no body stream"))?;
    let sink = body.write().map_err(|()| failure("no request stream"))?;
    let whole = copy(&source, &sink);
    drop(sink);
    drop(source);
    drop(incoming);
    if whole {
        Ok(())
    } else {
        Err(failure("the body could not be copied whole"))
    }
}

/// Copies `source` to `sink` until `source` ends; whether all of it was written.
fn copy(source: &InputStream, sink: &OutputStream) -> bool {
    loop {
        match source.blocking_read(CHUNK) {
            Ok(bytes) => {
                for piece in bytes.chunks(WRITE_CHUNK) {
                    if sink.blocking_write_and_flush(piece).is_err() {
                        return false;
                    }
                }
            }
            Err(StreamError::Closed) => return true,
            Err(StreamError::LastOperationFailed(_)) => return false,
        }
    }
}

/// Writes an answer of the guard's own (its errors, a redirect, Sesame's refusal).
pub(crate) fn respond(out: ResponseOutparam, status: u16, headers: &rules::Fields, body: &[u8]) {
    let Ok(fields) = fields(headers) else {
        ResponseOutparam::set(out, Err(ErrorCode::InternalError(None)));
        return;
    };
    let response = OutgoingResponse::new(fields);
    let Ok(outgoing) = response.body() else {
        ResponseOutparam::set(out, Err(ErrorCode::InternalError(None)));
        return;
    };
    if response.set_status_code(status).is_err() {
        ResponseOutparam::set(out, Err(ErrorCode::InternalError(None)));
        return;
    }
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        for chunk in body.chunks(WRITE_CHUNK) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                return;
            }
        }
        drop(stream);
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

/// A request to `upstream` with `method`, `path` and `headers`.
fn new_request(
    upstream: &Upstream,
    method: &Method,
    path: &str,
    headers: &rules::Fields,
) -> Result<OutgoingRequest, Failure> {
    let request = OutgoingRequest::new(fields(headers)?);
    let scheme = if upstream.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request
        .set_method(method)
        .and_then(|()| request.set_scheme(Some(&scheme)))
        .and_then(|()| request.set_authority(Some(&upstream.authority)))
        .and_then(|()| request.set_path_with_query(Some(path)))
        .map_err(|()| failure("the request cannot be built"))?;
    Ok(request)
}

/// `list` as the host's fields. A list heavier than [`rules::FIELDS_LIMIT`] is refused here:
/// the host traps on one over its own limit rather than answering an error.
fn fields(list: &rules::Fields) -> Result<Fields, Failure> {
    if rules::fields_size(list) > rules::FIELDS_LIMIT {
        return Err(failure("the header fields are too large to send"));
    }
    Fields::from_list(list).map_err(|e| Failure(format!("a header cannot be sent: {e:?}")))
}

/// Waits for the answer to a sent request.
fn wait(pending: &wasi::http::types::FutureIncomingResponse) -> Result<IncomingResponse, Failure> {
    pending.subscribe().block();
    match pending.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(refused(code)),
        Some(Err(())) | None => Err(failure("the answer was lost")),
    }
}

fn refused(code: ErrorCode) -> Failure {
    Failure(format!("{code:?}"))
}

fn method_name(method: &Method) -> String {
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
        Method::Other(name) => return name.clone(),
    };
    name.to_owned()
}

fn failure(why: &str) -> Failure {
    Failure(why.to_owned())
}
