//! The app the spin-guard example protects: a private Spin component (reachable only through
//! the guard) that answers, as plain text, whom it serves by the identity headers it got, and
//! what it was sent: every header as it arrived, the method, path and body. Any app reads the
//! guard's headers the same way. A body that cannot be read to its end is an incomplete
//! request (the client went away, or the guard could not pass it on whole): it is refused
//! with 400, never read as a shorter complete one.

use wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::StreamError;

/// Headers echoed back, one line each, `-` when absent.
const ECHOED: [&str; 5] = [
    "remote-user",
    "remote-email",
    "x-sesame-user",
    "x-forwarded-for",
    "x-forwarded-host",
];

/// The most of the request body echoed back.
const BODY_LIMIT: u64 = 64 * 1024;

/// The component as a wasi:http handler.
struct Hello;

impl wasi::exports::http::incoming_handler::Guest for Hello {
    /// Answers `user: ...` and the other echoed headers, every header as `header <name>:
    /// <value>`, the method, path and body; 400 when the body cannot be read whole.
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let headers = request.headers();
        let mut text = String::new();
        for name in ECHOED {
            let values: Vec<String> = headers
                .get(&name.to_owned())
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            let shown = if values.is_empty() {
                "-".to_owned()
            } else {
                values.join(" | ")
            };
            text.push_str(&format!("{name}: {shown}\n"));
        }
        for (name, value) in headers.entries() {
            let value = String::from_utf8_lossy(&value);
            text.push_str(&format!("header {name}: {value}\n"));
        }
        let method = match request.method() {
            Method::Get => "GET".to_owned(),
            Method::Post => "POST".to_owned(),
            Method::Head => "HEAD".to_owned(),
            other => format!("{other:?}"),
        };
        let path = request.path_with_query().unwrap_or_default();
        let (status, text) = match body(&request) {
            Ok(body) => {
                text.push_str(&format!("request: {method} {path}\nbody: "));
                text.push_str(&String::from_utf8_lossy(&body));
                text.push('\n');
                (200, text)
            }
            Err(()) => (400, "the request body could not be read whole\n".to_owned()),
        };
        respond(out, status, &text);
    }
}

/// Writes `text` as a plain-text answer with `status`.
fn respond(out: ResponseOutparam, status: u16, text: &str) {
    let fields = Fields::from_list(&[(
        "content-type".to_owned(),
        b"text/plain; charset=utf-8".to_vec(),
    )])
    .unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    let Ok(outgoing) = response.body() else {
        return;
    };
    if response.set_status_code(status).is_err() {
        return;
    }
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        // wasi:io takes at most 4096 bytes per blocking write.
        for chunk in text.as_bytes().chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
        drop(stream);
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

/// The request body, at most [`BODY_LIMIT`] bytes of it; an error when it cannot be read:
/// `Closed` is the only end of a complete body, and a failed read (`LastOperationFailed`)
/// means the request is incomplete, whatever came before it.
fn body(request: &IncomingRequest) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    let incoming = request.consume()?;
    let stream = incoming.stream()?;
    while (out.len() as u64) < BODY_LIMIT {
        match stream.blocking_read(BODY_LIMIT - out.len() as u64) {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err(()),
        }
    }
    // The stream is a child of the body: dropped first.
    drop(stream);
    drop(incoming);
    Ok(out)
}

wasi::http::proxy::export!(Hello);
