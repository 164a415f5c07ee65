//! One blocking POST through `wasi:http/outgoing-handler`: the [`Transport`] core's outbound
//! queue delivers mail and events by, bounded in time and in what it reads.
//!
//! The runtime decides where a component may connect (Spin: the component's
//! `allowed_outbound_hosts`) and refuses anything else with `HTTP-request-denied`, which comes
//! back here as a failed attempt naming the cause, retried like any other.

use std::borrow::Cow;

use sesame_core::Store;
use sesame_core::outbound::{Batch, OutboundRequest, OutboundSettings, Transport};
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

/// The longest one attempt takes, from connecting to the answer's status: each of the
/// runtime's timeouts (connect, first byte, between bytes) is set to it, and the wait for the
/// answer ends at it however the time was spent.
pub const ATTEMPT_TIMEOUT_MS: u64 = 5_000;

/// Bytes written to the request body per call.
const WRITE_CHUNK: usize = 4096;

/// Delivers through the runtime's `wasi:http/outgoing-handler`. Only the answer's status is
/// read, never its body, so a huge or endless answer costs nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct WasiHttpTransport;

impl Transport for WasiHttpTransport {
    fn post(&self, request: &OutboundRequest) -> Result<u16, String> {
        post(request, ATTEMPT_TIMEOUT_MS)
    }
}

/// One delivery pass over the queue in `store`: at most [`Batch::default`]'s four due items,
/// each attempt at most [`ATTEMPT_TIMEOUT_MS`], all within its 12 s, every outcome logged. A
/// component runs it after its answer is written, so no client waits for a provider.
pub fn deliver_due(store: &dyn Store, settings: &OutboundSettings) {
    let env = crate::env::QueueingEnv::new(store, settings);
    let batch = Batch {
        attempt_ms: ATTEMPT_TIMEOUT_MS,
        ..Batch::default()
    };
    for settled in env.outbound().deliver_due(&WasiHttpTransport, batch) {
        crate::log::settled(&settled);
    }
}

/// A URL's parts as `wasi:http` takes them.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    https: bool,
    authority: &'a str,
    path_with_query: Cow<'a, str>,
}

/// Splits an `http://` or `https://` URL; no user name or password in it is accepted (they
/// would travel in the clear in every log line naming the URL).
fn split_url(url: &str) -> Result<Target<'_>, String> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("the URL is neither http:// nor https://".into());
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() || authority.contains(['@', '#', ' ']) {
        return Err("the URL has no usable host".into());
    }
    // A bare query (`http://host?x=1`) is the root path's: wasi:http refuses a path that does
    // not start with `/`.
    let path_with_query = if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    };
    Ok(Target {
        https,
        authority,
        path_with_query,
    })
}

/// POSTs `request` and waits at most `timeout_ms` for the answer's status.
fn post(request: &OutboundRequest, timeout_ms: u64) -> Result<u16, String> {
    let target = split_url(&request.url)?;
    let timeout_ns = timeout_ms.saturating_mul(1_000_000);
    let deadline = monotonic_clock::now().saturating_add(timeout_ns);

    let mut fields: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
        .collect();
    fields.push((
        "content-length".to_owned(),
        request.body.len().to_string().into_bytes(),
    ));
    // The error names only its kind: a header's value (a token) never reaches the log.
    let headers = Fields::from_list(&fields).map_err(|e| format!("a header was refused: {e:?}"))?;
    let outgoing = OutgoingRequest::new(headers);
    let scheme = if target.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let refused = |what: &str| format!("the runtime refused the request's {what}");
    outgoing
        .set_method(&Method::Post)
        .map_err(|()| refused("method"))?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    outgoing
        .set_authority(Some(target.authority))
        .map_err(|()| refused("host"))?;
    outgoing
        .set_path_with_query(Some(&target.path_with_query))
        .map_err(|()| refused("path"))?;
    let body = outgoing.body().map_err(|()| refused("body"))?;

    let options = RequestOptions::new();
    // A runtime that sets no such timeout (or caps it) refuses these; the deadline below
    // still holds.
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    let _ = options.set_between_bytes_timeout(Some(timeout_ns));

    let answer = outgoing_handler::handle(outgoing, Some(options)).map_err(|e| describe(&e))?;
    // A request the runtime refuses (a host not allowed, no connection) fails its body write
    // first; the answer below then says why, so a failed write only decides the outcome when
    // the answer does not.
    let sent = write_body(body, &request.body, deadline);

    let timeout = monotonic_clock::subscribe_instant(deadline);
    let ready = answer.subscribe();
    loop {
        match answer.get() {
            Some(Ok(Ok(response))) => return answered(response.status(), sent),
            Some(Ok(Err(code))) => return Err(describe(&code)),
            Some(Err(())) => return Err("the answer was already taken".into()),
            None if timeout.ready() => {
                return Err(sent
                    .err()
                    .map(|unsent| unsent.why)
                    .unwrap_or_else(|| format!("no answer within {timeout_ms} ms")));
            }
            None => {
                wasi::io::poll::poll(&[&ready, &timeout]);
            }
        }
    }
}

/// Why writing the request body failed, and whether every byte of it had been handed to the
/// stream by then (the failure came from the flush, the check after it, or ending the body).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unsent {
    why: String,
    whole_body: bool,
}

/// What an attempt whose receiver answered `status` came to. The answer decides once the
/// whole body was handed over: a receiver that read it all, answered and closed the
/// connection makes the last check of the stream report "closed", and counting that as a
/// failure would send the same mail again. A 2xx to a body cut short is not taken as
/// delivered (it is retried); any other status says more than the write error did.
fn answered(status: u16, sent: Result<(), Unsent>) -> Result<u16, String> {
    match sent {
        Err(unsent) if !unsent.whole_body && (200..300).contains(&status) => Err(unsent.why),
        _ => Ok(status),
    }
}

/// Writes the whole request body and ends it, giving up at `deadline`: a receiver that takes
/// the connection but reads nothing holds the instance no longer than one that never answers.
fn write_body(body: OutgoingBody, bytes: &[u8], deadline: u64) -> Result<(), Unsent> {
    let unsent = |why: String, rest: &[u8]| Unsent {
        why,
        whole_body: rest.is_empty(),
    };
    let closed = |rest: &[u8]| {
        unsent(
            "the connection closed while the request was sent".to_owned(),
            rest,
        )
    };
    let stalled = |rest: &[u8]| {
        unsent(
            "the receiver read no more of the request within the timeout".to_owned(),
            rest,
        )
    };
    let mut rest = bytes;
    {
        let stream = body.write().map_err(|()| closed(rest))?;
        let timeout = monotonic_clock::subscribe_instant(deadline);
        let writable = stream.subscribe();
        // Each turn writes what the stream takes now, or waits until it takes more; the last
        // turn flushes and waits for the flush to end.
        let mut flushed = false;
        loop {
            let room = stream.check_write().map_err(|_| closed(rest))?;
            if room > 0 {
                if rest.is_empty() {
                    if flushed {
                        break;
                    }
                    stream.flush().map_err(|_| closed(rest))?;
                    flushed = true;
                    continue;
                }
                let take = rest
                    .len()
                    .min(WRITE_CHUNK)
                    .min(usize::try_from(room).unwrap_or(usize::MAX));
                let (now, later) = rest.split_at(take);
                stream.write(now).map_err(|_| closed(rest))?;
                rest = later;
                continue;
            }
            if timeout.ready() {
                return Err(stalled(rest));
            }
            wasi::io::poll::poll(&[&writable, &timeout]);
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| unsent(describe(&e), rest))
}

/// Why a request failed, in words for the log; never a header value.
fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => {
            "the runtime denied the request (HttpRequestDenied): list the host in the component's allowed_outbound_hosts".into()
        }
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) => "the host name did not resolve".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTimeout => "no connection within the timeout".into(),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            "no answer within the timeout".into()
        }
        ErrorCode::TlsCertificateError | ErrorCode::TlsAlertReceived(_) => {
            "the TLS handshake failed".into()
        }
        other => format!("the request failed: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_what_wasi_http_takes() {
        assert_eq!(
            split_url("https://api.postmarkapp.com/email").map(|t| t.path_with_query),
            Ok("/email".into())
        );
        assert_eq!(
            split_url("http://127.0.0.1:8025?x=1"),
            Ok(Target {
                https: false,
                authority: "127.0.0.1:8025",
                path_with_query: "/?x=1".into(),
            })
        );
        assert_eq!(
            split_url("http://[::1]:80").map(|t| t.path_with_query),
            Ok("/".into())
        );
        for bad in ["ftp://x/", "https://", "https://user:pw@host/", "host/path"] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }

    /// Once the receiver answered, its status decides whatever the end of the body stream
    /// reported, so a mail it accepted is not sent again; a 2xx to a body cut short is not
    /// taken as delivered.
    #[test]
    fn an_answer_decides_once_the_whole_body_was_handed_over() {
        let closed = |whole_body| {
            Err(Unsent {
                why: "the connection closed while the request was sent".into(),
                whole_body,
            })
        };
        assert_eq!(answered(200, Ok(())), Ok(200));
        assert_eq!(answered(503, Ok(())), Ok(503));
        assert_eq!(answered(200, closed(true)), Ok(200));
        assert_eq!(answered(202, closed(true)), Ok(202));
        assert_eq!(answered(503, closed(true)), Ok(503));
        assert_eq!(answered(413, closed(false)), Ok(413));
        assert_eq!(
            answered(200, closed(false)),
            Err("the connection closed while the request was sent".into())
        );
    }
}
