//! HTTP parsing and routing: up to four requests, written as text, handed to
//! `sesame_core::http::handle` over an in-memory store and a deterministic clock and random
//! stream, where a user already exists with a live session, a token login and an API key.
//!
//! Input format (what the seeds in `corpus/http_request` look like): requests separated by a
//! line `=====`; each is a line `METHOD TARGET`, header lines `name: value`, an empty line and
//! the body (raw bytes). `{session}`, `{csrf}`, `{session_id}`, `{access}`, `{refresh}`,
//! `{api_key}`, `{email}` and `{password}` anywhere stand for the setup's values, and a header
//! `:wait: MS` moves the clocks forward before the request.
//!
//! Checked for every answer:
//! - no 5xx: the in-memory store never fails, so any 5xx is a bug in core;
//! - every error (4xx) in JSON is exactly `{"error":{"code","message"}}`, with a code Sesame
//!   defines and the status that code maps to; an HTML error is an HTML page;
//! - every JSON answer is valid JSON; every 405 names the allowed methods in `Allow`;
//! - every answer carries `cache-control: no-store` and `x-content-type-options: nosniff`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::ErrorCode;
use sesame_core::http::{Request, Response, handle};
use sesame_fuzz::{EMAIL, PASSWORD};

/// What the setup made, substituted for its placeholders.
struct Known(Vec<(&'static str, String)>);

impl Known {
    fn substitute(&self, bytes: &[u8]) -> Vec<u8> {
        if !bytes.contains(&b'{') {
            return bytes.to_vec();
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        'outer: while let Some((&first, tail)) = rest.split_first() {
            if first == b'{' {
                for (name, value) in &self.0 {
                    if let Some(after) = rest.strip_prefix(name.as_bytes()) {
                        out.extend_from_slice(value.as_bytes());
                        rest = after;
                        continue 'outer;
                    }
                }
            }
            out.push(first);
            rest = tail;
        }
        out
    }
}

/// The placeholders for what the setup made.
fn known(c: &sesame_fuzz::Credentials) -> Known {
    Known(vec![
        ("{session}", c.session.token.expose().to_owned()),
        ("{csrf}", c.info.csrf_token.clone()),
        ("{session_id}", c.info.id.clone()),
        ("{access}", c.tokens.access_token.to_string()),
        ("{refresh}", c.tokens.refresh_token.to_string()),
        ("{api_key}", c.api_key.key.to_string()),
        ("{email}", EMAIL.to_owned()),
        ("{password}", PASSWORD.to_owned()),
    ])
}

/// Splits `bytes` at the first `sep`.
fn split_once<'a>(bytes: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = bytes.windows(sep.len()).position(|w| w == sep)?;
    Some((&bytes[..at], &bytes[at + sep.len()..]))
}

/// One request in the text format, and the milliseconds to wait before it.
fn parse(known: &Known, text: &[u8]) -> (Request, u64) {
    let (head, body) = split_once(text, b"\n\n").unwrap_or((text, b""));
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let first = String::from_utf8_lossy(&known.substitute(first)).into_owned();
    let (method, target) = first.split_once(' ').unwrap_or((&first, "/"));
    let mut req = Request::new(method, target);
    let mut wait = 0;
    for line in lines {
        let (name, value) = split_once(line, b":").unwrap_or((line, b""));
        if name.is_empty()
            && let Some((b"wait", ms)) = split_once(value, b":")
        {
            wait = String::from_utf8_lossy(ms).trim().parse().unwrap_or(0);
            continue;
        }
        let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
        let value = known.substitute(value.strip_prefix(b" ").unwrap_or(value));
        req.headers.push((name, value));
    }
    req.body = known.substitute(body);
    (req, wait)
}

/// The OAuth endpoints clients call directly answer protocol errors as RFC 6749 §5.2 says
/// (`{"error": code, "error_description": text}`), and only they do: 400, or 401 for
/// `invalid_client`, or 403 for a refused registration.
fn check_oauth_error(req: &Request, res: &Response, body: &serde_json::Value) {
    const CODES: [&str; 8] = [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_client_metadata",
        "access_denied",
    ];
    let path = req.path_with_query.split('?').next().unwrap_or_default();
    assert!(path.starts_with("/oauth/"), "OAuth error body {body} outside /oauth/ for {req:?}");
    let object = body.as_object().expect("error body is an object");
    assert_eq!(object.len(), 2, "OAuth error body {body} for {req:?}");
    assert!(body["error_description"].is_string(), "OAuth error body {body} for {req:?}");
    let code = body["error"].as_str().unwrap_or_default();
    assert!(CODES.contains(&code), "unknown OAuth error {code} for {req:?}");
    let expected = match code {
        "invalid_client" => 401,
        "access_denied" => 403,
        _ => 400,
    };
    assert_eq!(res.status, expected, "{body} for {req:?}");
}

fn check(req: &Request, res: &Response) {
    assert!(
        (200..500).contains(&res.status),
        "status {} for {req:?}: {}",
        res.status,
        String::from_utf8_lossy(&res.body)
    );
    assert_eq!(res.header("cache-control"), Some("no-store"), "{req:?}");
    assert_eq!(
        res.header("x-content-type-options"),
        Some("nosniff"),
        "{req:?}"
    );
    if res.status == 405 {
        assert!(res.header("allow").is_some(), "405 without Allow: {req:?}");
    }
    let content_type = res.header("content-type").unwrap_or_default();
    if content_type == "application/json" {
        let body: serde_json::Value = serde_json::from_slice(&res.body)
            .unwrap_or_else(|e| panic!("invalid JSON answer ({e}) to {req:?}"));
        if res.status >= 400 && body["error"].is_string() {
            check_oauth_error(req, res, &body);
        } else if res.status >= 400 {
            let object = body.as_object().expect("error body is an object");
            assert_eq!(object.len(), 1, "error body {body} for {req:?}");
            let error = object["error"].as_object().expect("error is an object");
            assert_eq!(error.len(), 2, "error body {body} for {req:?}");
            let code = error["code"].as_str().expect("code is a string");
            assert!(
                error["message"].is_string(),
                "error body {body} for {req:?}"
            );
            let code = ErrorCode::ALL
                .into_iter()
                .find(|c| c.as_str() == code)
                .unwrap_or_else(|| panic!("unknown code {code} for {req:?}"));
            assert_eq!(code.http_status(), res.status, "{body} for {req:?}");
        }
    } else if res.status >= 400 {
        assert!(
            content_type.starts_with("text/html"),
            "error answer of type {content_type:?} for {req:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let credentials = sesame_fuzz::with_credentials();
    let known = known(&credentials);
    let harness = &credentials.harness;
    let mut rest = data;
    for _ in 0..4 {
        let (text, next) = split_once(rest, b"\n=====\n").unwrap_or((rest, b""));
        let (req, wait) = parse(&known, text);
        harness.advance(wait.min(365 * 24 * 3_600_000));
        let res = handle(&harness.sesame(), &req);
        check(&req, &res);
        if next.is_empty() {
            break;
        }
        rest = next;
    }
});
