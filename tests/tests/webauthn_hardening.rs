//! WebAuthn end to end, what a stranger sees: `/wan-signin` answers alike whether an account
//! exists and has passkeys, forged assertions get one answer, both sign-in routes are throttled
//! like `/login`; and what the authenticator's flags and encodings must be. The real `sesame`
//! binary and SQLite file, real HTTP on loopback, the software authenticator.

use serde_json::{Value, json};
use sesame_tests::accounts::{EMAIL as ADA, OTHER_EMAIL as BOB, PASSWORD, with_accounts};
use sesame_tests::authenticator::{Alg, SoftCredential, b64d, b64e, json_shape};
use sesame_tests::passkeys::register_passkey_with;
use sesame_tests::{FreshServer, Host, Reply, Server};

const CAROL: &str = "carol@example.com";
const NOBODY: &str = "nobody@example.com";

/// A server with Ada, Bob and Carol registered, under `env`.
fn start(env: &[(&str, &str)]) -> (FreshServer, String) {
    let server = with_accounts(Host::Sesame, env, &[ADA, BOB, CAROL]);
    let origin = server.base.clone();
    (server, origin)
}

/// Header names with each Set-Cookie reduced to its name and attributes (not its value).
fn header_shape(reply: &Reply) -> Vec<String> {
    let mut names: Vec<String> = reply
        .headers
        .iter()
        .filter(|(n, _)| n != "date" && n != "content-length")
        .map(|(n, v)| {
            if n == "set-cookie" {
                let (pair, attributes) = v.split_once(';').unwrap_or((v, ""));
                let name = pair.split('=').next().unwrap_or_default();
                format!("set-cookie: {name}={{value}};{attributes}")
            } else {
                n.clone()
            }
        })
        .collect();
    names.sort();
    names
}

fn begin(server: &Server, identity: &str) -> Reply {
    server.post_json("/wan-signin", &json!({"identity": identity}), &[])
}

#[test]
fn wan_signin_answers_alike_for_no_account_no_passkey_and_one_passkey() {
    let (server, _) = start(&[]);
    let ada = server.sign_in(ADA, PASSWORD);
    let mut passkey = SoftCredential::new(Alg::Es256, 60);
    let done = register_passkey_with(&server, &ada, &mut passkey, "phone", "first", |o| o);
    assert_eq!(done.status, 200, "{}", done.text());
    // Bob has only a second-factor key; Carol nothing.
    let bob = server.sign_in(BOB, PASSWORD);
    let mut key = SoftCredential::new(Alg::Es256, 61);
    key.user_verified = false;
    let done = register_passkey_with(&server, &bob, &mut key, "yubikey", "secondary", |o| o);
    assert_eq!(done.status, 200, "{}", done.text());

    let with_one = begin(&server, ADA);
    assert_eq!(with_one.status, 200, "{}", with_one.text());
    for identity in [BOB, CAROL, NOBODY] {
        let other = begin(&server, identity);
        assert_eq!(other.status, with_one.status, "{identity}");
        assert_eq!(
            json_shape(&other.json()),
            json_shape(&with_one.json()),
            "{identity}"
        );
        assert_eq!(header_shape(&other), header_shape(&with_one), "{identity}");
        let allowed = other.json()["options"]["publicKey"]["allowCredentials"].clone();
        assert_eq!(allowed.as_array().unwrap().len(), 1, "{identity}");
        assert!(
            !allowed[0]["transports"].as_array().unwrap().is_empty(),
            "{identity}"
        );
        // The same made-up credential every time.
        assert_eq!(
            begin(&server, identity).json()["options"]["publicKey"]["allowCredentials"],
            allowed
        );
    }
}

/// Finishes a named sign-in with `answer(options)`; the reply.
fn finish(server: &Server, identity: &str, answer: impl FnOnce(&Value) -> Value) -> Reply {
    let started = begin(server, identity).json();
    let credential = answer(&started["options"]);
    server.post_json(
        "/wan-signin-response",
        &json!({"state": started["state"], "credential": credential}),
        &[],
    )
}

#[test]
fn forged_assertions_get_one_answer_whoever_they_name() {
    let (server, origin) = start(&[]);
    let ada = server.sign_in(ADA, PASSWORD);
    let mut passkey = SoftCredential::new(Alg::Es256, 62);
    register_passkey_with(&server, &ada, &mut passkey, "phone", "first", |o| o);
    let mut key = SoftCredential::new(Alg::EdDsa, 63);
    register_passkey_with(&server, &ada, &mut key, "yubikey", "secondary", |o| o);

    let real = finish(&server, ADA, |options| {
        let mut answer = passkey.assert(options, &origin);
        let mut signature = b64d(answer["response"]["signature"].as_str().unwrap());
        signature[9] ^= 0x20;
        answer["response"]["signature"] = b64e(&signature).into();
        answer
    });
    let made_up = finish(&server, NOBODY, |options| {
        let mut stranger = SoftCredential::new(Alg::Es256, 64);
        stranger.id = b64d(
            options["publicKey"]["allowCredentials"][0]["id"]
                .as_str()
                .unwrap(),
        );
        stranger.assert(options, &origin)
    });
    let alone = finish(&server, ADA, |options| key.assert(options, &origin));

    assert_eq!(real.status, 401, "{}", real.text());
    assert_eq!(real.error_code(), "unknown-credential");
    for other in [&made_up, &alone] {
        assert_eq!(other.status, real.status);
        assert_eq!(other.json(), real.json());
        assert_eq!(header_shape(other), header_shape(&real));
    }
}

#[test]
fn passkey_sign_ins_are_throttled_like_login() {
    let (server, origin) = start(&[
        ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "4"),
        ("SESAME_THROTTLE_LOGIN_PER_IP", "9"),
    ]);
    let ada = server.sign_in(ADA, PASSWORD); // one attempt for Ada, one for this address
    let mut passkey = SoftCredential::new(Alg::Es256, 65);
    register_passkey_with(&server, &ada, &mut passkey, "phone", "first", |o| o);

    // Per account (limit 4): the named start counts, and so does the finish.
    let done = finish(&server, ADA, |options| passkey.assert(options, &origin)); // 2, 3
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(begin(&server, ADA).status, 200); // 4
    let refused = begin(&server, ADA);
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert_eq!(refused.error_code(), "rate-limited");
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    // The sliding window: until the full minute has passed and slid far enough for one more
    // (a quarter of a minute with a limit of 4).
    assert!((1..=75).contains(&retry), "{retry}");
    // It is the counter a password sign-in uses.
    let login = server.attempt_login(ADA, PASSWORD);
    assert_eq!(login.status, 429);

    // Per address (limit 9), whatever is named: six attempts so far, refused ones included.
    let statuses: Vec<u16> = (0..5)
        .map(|i| begin(&server, &format!("user{i}@example.com")).status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // A usernameless start is what the sign-in page asks at every view (passkey autofill):
    // not an attempt, so it is still answered; the answer to it is one, and is refused.
    assert_eq!(server.post_json("/wan-signin", &json!({}), &[]).status, 200);
    let late = server.post_json(
        "/wan-signin-response",
        &json!({"state": "x", "credential": passkey.assert_for("localhost", "AAAA", &origin)}),
        &[],
    );
    assert_eq!(late.status, 429, "{}", late.text());
}

#[test]
fn synced_passkeys_are_listed_and_flags_that_cannot_be_are_refused() {
    let (server, origin) = start(&[]);
    let ada = server.sign_in(ADA, PASSWORD);
    let mut synced = SoftCredential::new(Alg::EdDsa, 66);
    synced.backup_eligible = true;
    let done = register_passkey_with(&server, &ada, &mut synced, "synced", "first", |o| o);
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json()["credential"]["backup_eligible"], true);
    assert_eq!(done.json()["credential"]["backed_up"], false);
    synced.backed_up = true;
    let signed_in = finish(&server, ADA, |options| synced.assert(options, &origin));
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    let listed = server
        .get("/wan-register", &[("cookie", &ada.cookie)])
        .json();
    assert_eq!(listed["credentials"][0]["backed_up"], true);
    let page = server.get(
        "/wan-register",
        &[("cookie", &ada.cookie), ("accept", "text/html")],
    );
    assert!(page.text().contains("synced"), "{}", page.text());

    // BE never changes.
    synced.backup_eligible = false;
    synced.backed_up = false;
    let changed = finish(&server, ADA, |options| synced.assert(options, &origin));
    changed.assert_failure(400, "webauthn-rejected");

    // BS without BE.
    let mut odd = SoftCredential::new(Alg::Es256, 67);
    odd.backed_up = true;
    let refused = register_passkey_with(&server, &ada, &mut odd, "odd", "first", |o| o);
    refused.assert_failure(400, "webauthn-rejected");
}

#[test]
fn attestation_objects_with_trailing_bytes_or_repeated_keys_are_400() {
    let (server, _) = start(&[]);
    let ada = server.sign_in(ADA, PASSWORD);
    let mut cred = SoftCredential::new(Alg::Es256, 68);
    let trailing = register_passkey_with(&server, &ada, &mut cred, "k", "first", |mut o| {
        o.extend_from_slice(&[0xa0]);
        o
    });
    trailing.assert_failure(400, "webauthn-rejected");
    assert!(trailing.error_message().contains("after its end"));
    // The map's first byte counts its pairs: add one more pair, `"fmt": "none"` again.
    let repeated = register_passkey_with(&server, &ada, &mut cred, "k", "first", |mut o| {
        assert_eq!(o[0], 0xa3, "a three-pair map");
        o[0] = 0xa4;
        o.extend_from_slice(&[0x63, b'f', b'm', b't', 0x64, b'n', b'o', b'n', b'e']);
        o
    });
    repeated.assert_failure(400, "webauthn-rejected");
    assert!(repeated.error_message().contains("repeats a map key"));
    let fine = register_passkey_with(&server, &ada, &mut cred, "k", "first", |o| o);
    assert_eq!(fine.status, 200, "{}", fine.text());
}
