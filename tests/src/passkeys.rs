//! Passkeys over HTTP: registering a software authenticator's credential through the
//! `/wan-register` ceremony.

use serde_json::{Value, json};

use crate::authenticator::{SoftCredential, b64d, b64e};
use crate::reply::Reply;
use crate::server::{Server, Signed};

/// Registers `cred` through `/wan-register` and `/wan-register-response`, its attestation
/// object passed through `bend` on the way (to break it in a chosen way), from the server's
/// own origin; the finishing reply.
pub fn register_passkey_with(
    server: &Server,
    who: &Signed,
    cred: &mut SoftCredential,
    name: &str,
    usage: &str,
    bend: impl Fn(Vec<u8>) -> Vec<u8>,
) -> Reply {
    let started = server.post_signed(who, "/wan-register", &json!({"name": name, "usage": usage}));
    assert_eq!(started.status, 200, "{}", started.text());
    let body = started.json();
    let mut answer = cred.register(&body["options"], &server.base);
    let object = b64d(answer["response"]["attestationObject"].as_str().unwrap());
    answer["response"]["attestationObject"] = b64e(&bend(object)).into();
    server.post_signed(
        who,
        "/wan-register-response",
        &json!({"state": body["state"], "credential": answer}),
    )
}

/// Registers `cred` through `/wan-register` and `/wan-register-response` as `who`, asserting
/// success; the registered credential as the server lists it.
pub fn register_passkey(
    server: &Server,
    who: &Signed,
    cred: &mut SoftCredential,
    name: &str,
    usage: &str,
) -> Value {
    let done = register_passkey_with(server, who, cred, name, usage, |object| object);
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json()["status"], "registered");
    done.json()["credential"].clone()
}
