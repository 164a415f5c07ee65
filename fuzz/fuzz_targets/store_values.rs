//! Stored records: every record type core keeps in the store, decoded from arbitrary bytes,
//! and arbitrary bytes planted over a real record that requests then read. Input: a byte
//! choosing the mode and record, then the value.
//!
//! Checked:
//! - decoding never panics; a refused value is `Error::Corrupt`;
//! - what decodes, encodes to bytes that decode and encode to the same bytes again (the codec
//!   is stable: a record rewritten unchanged stays unchanged);
//! - with a record replaced by the bytes, requests that read it (the session, the user, the
//!   token login, the API key, the keyring) answer normally or with a well-formed error, a 5xx
//!   only as `internal` (a corrupt record), never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::Error;
use sesame_core::fuzzing::record_codecs;
use sesame_core::http::parse::SECURE_COOKIE_NAME;
use sesame_core::http::{Request, handle};
use sesame_core::store::Store as _;

fn codec(which: u8, bytes: &[u8]) {
    let codecs = record_codecs();
    let (prefix, reencode) = codecs[usize::from(which) % codecs.len()];
    match reencode(bytes) {
        Ok(once) => {
            let twice =
                reencode(&once).unwrap_or_else(|e| panic!("{prefix}: own encoding refused: {e:?}"));
            assert_eq!(
                once,
                twice,
                "{prefix}: {} then {}",
                String::from_utf8_lossy(&once),
                String::from_utf8_lossy(&twice)
            );
        }
        Err(Error::Corrupt { .. }) => {}
        Err(other) => panic!("{prefix}: {other:?}"),
    }
}

fn planted(which: u8, bytes: &[u8]) {
    let sesame_fuzz::Credentials {
        harness,
        session,
        tokens: pair,
        api_key: key,
        ..
    } = sesame_fuzz::with_credentials();
    let s = harness.sesame();
    let entries = harness.store().scan("", None, 1000).expect("scan");
    let (name, entry) = &entries[usize::from(which) % entries.len()];
    harness
        .store()
        .put(name, bytes, Some(entry.version), None)
        .expect("put");
    let cookie = format!("{SECURE_COOKIE_NAME}={}", session.token.expose());
    let requests = [
        Request::new("GET", "/me").with_header("cookie", &cookie),
        Request::new("GET", "/sessions").with_header(
            "authorization",
            &format!("Bearer {}", pair.access_token.as_str()),
        ),
        Request::new("GET", "/auth/check?scope=users:read")
            .with_header("authorization", &format!("Bearer {}", key.key.as_str())),
        Request::new("GET", "/.well-known/jwks.json"),
        Request::new("POST", "/tokens/refresh")
            .with_header("content-type", "application/json")
            .with_body(
                serde_json::json!({"refresh_token": pair.refresh_token.as_str()})
                    .to_string()
                    .into_bytes(),
            ),
        Request::new("POST", "/login")
            .with_header("content-type", "application/json")
            .with_body(
                serde_json::json!({"email": sesame_fuzz::EMAIL, "password": sesame_fuzz::PASSWORD})
                    .to_string()
                    .into_bytes(),
            ),
    ];
    for req in &requests {
        let res = handle(&s, req);
        if res.status >= 400 {
            let body: serde_json::Value =
                serde_json::from_slice(&res.body).expect("a JSON error body");
            let code = body["error"]["code"].as_str().expect("an error code");
            assert!(body["error"]["message"].is_string());
            if res.status >= 500 {
                assert_eq!(
                    (res.status, code),
                    (500, "internal"),
                    "{name} = {:?}: {req:?}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    if selector & 0x80 == 0 {
        codec(selector, bytes);
    } else {
        planted(selector & 0x7f, bytes);
    }
});
