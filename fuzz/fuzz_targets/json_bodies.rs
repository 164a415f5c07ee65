//! Request bodies: every body type a route decodes, fed arbitrary bytes as JSON and as an HTML
//! form. Input: a byte choosing the body type (`sesame_core::fuzzing::BODY_TYPES`), a byte
//! choosing the content type, then the body.
//!
//! Checked:
//! - decoding never panics, and every refusal is one of the body errors (`payload-too-large`,
//!   `unsupported-media-type`, `invalid-encoding`, `malformed-json`, `invalid-request`), a 4xx;
//! - when the body is a JSON object of strings, the same fields sent as a form decode alike: both accepted, or both
//!   refused with the same code (fields that are not strings, `include_token` and `credential`,
//!   are left out, and at most 64 fields are sent, a form's limit);
//! - a body of more than 64 KiB is always `payload-too-large`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::ErrorCode;
use sesame_core::fuzzing::{BODY_TYPES, parse_body_as};
use sesame_core::http::{MAX_BODY_BYTES, Request};

const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-8",
    "text/plain",
    "APPLICATION/X-WWW-FORM-URLENCODED ; x",
];

const BODY_ERRORS: [ErrorCode; 5] = [
    ErrorCode::PayloadTooLarge,
    ErrorCode::UnsupportedMediaType,
    ErrorCode::InvalidEncoding,
    ErrorCode::MalformedJson,
    ErrorCode::InvalidRequest,
];

fn request(content_type: &str, body: Vec<u8>) -> Request {
    Request::new("POST", "/")
        .with_header("content-type", content_type)
        .with_body(body)
}

fn decode(body_type: &str, req: &Request) -> Result<(), ErrorCode> {
    let outcome = parse_body_as(body_type, req).expect("a known body type");
    if let Err(e) = &outcome {
        assert!(BODY_ERRORS.contains(&e.code), "{e:?} for {req:?}");
        assert!((400..500).contains(&e.code.http_status()));
    }
    outcome.map_err(|e| e.code)
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The same string fields as a form, if `body` is a JSON object of strings that a form can
/// carry: at most 64 fields, none of them one that is not a string.
fn as_form(body: &[u8]) -> Option<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if object.len() > 64
        || object.contains_key("include_token")
        || object.contains_key("credential")
    {
        return None;
    }
    let pairs = object
        .iter()
        .map(|(k, v)| Some(format!("{}={}", form_encode(k), form_encode(v.as_str()?))))
        .collect::<Option<Vec<_>>>()?;
    Some(pairs.join("&").into_bytes())
}

fuzz_target!(|data: &[u8]| {
    let [body_type, content_type, body @ ..] = data else {
        return;
    };
    let body_type = BODY_TYPES[usize::from(*body_type) % BODY_TYPES.len()];
    if *content_type == 0xff {
        // A body just over the limit, whatever its content type.
        let big = vec![body.first().copied().unwrap_or(b' '); MAX_BODY_BYTES + 1];
        for content_type in CONTENT_TYPES {
            assert_eq!(
                decode(body_type, &request(content_type, big.clone())),
                Err(ErrorCode::PayloadTooLarge)
            );
        }
        return;
    }
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    let outcome = decode(body_type, &request(content_type, body.to_vec()));
    if content_type.starts_with("application/json")
        && body.len() <= MAX_BODY_BYTES
        && let Some(form) = as_form(body)
        && form.len() <= MAX_BODY_BYTES
    {
        let from_form = decode(
            body_type,
            &request("application/x-www-form-urlencoded", form.clone()),
        );
        assert_eq!(
            outcome,
            from_form,
            "{body_type}: {} and {}",
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&form)
        );
    }
});
