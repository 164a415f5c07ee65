//! WebAuthn end to end: the real `sesame` binary and SQLite file, real HTTP on loopback, and a
//! software authenticator (`sesame_tests::authenticator`) with real keys answering the
//! options the server sends, for every `/wan-*` route and the ways an answer can be wrong.

use serde_json::{Value, json};
use sesame_tests::accounts::{EMAIL as ADA, OTHER_EMAIL as BOB, PASSWORD, with_accounts};
use sesame_tests::authenticator::{Alg, SoftCredential};
use sesame_tests::passkeys::register_passkey;
use sesame_tests::{FreshServer, Host, Reply, Server, Signed};

fn start() -> (FreshServer, String) {
    let server = with_accounts(Host::Sesame, &[], &[ADA, BOB]);
    let origin = server.base.clone();
    (server, origin)
}

/// Starts a registration named `name` as `starter` and finishes it as `finisher` with `cred`'s
/// answer: the ceremony's state token and the finishing reply.
fn register_across(
    server: &Server,
    starter: &Signed,
    finisher: &Signed,
    cred: &mut SoftCredential,
    name: &str,
    origin: &str,
) -> (Value, Reply) {
    let started = server
        .post_signed(starter, "/wan-register", &json!({"name": name}))
        .json();
    let answer = cred.register(&started["options"], origin);
    let finished = server.post_signed(
        finisher,
        "/wan-register-response",
        &json!({"state": started["state"], "credential": answer}),
    );
    (started["state"].clone(), finished)
}

/// [`start`], with Ada and Bob each signed in.
fn start_both_signed_in() -> (FreshServer, String, Signed, Signed) {
    let (server, origin) = start();
    let ada = server.sign_in(ADA, PASSWORD);
    let bob = server.sign_in(BOB, PASSWORD);
    (server, origin, ada, bob)
}

/// The text field `field` of every credential in a `GET /wan-register` answer, in order.
fn field_of_each<'a>(listed: &'a Value, field: &str) -> Vec<&'a str> {
    listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[field].as_str().unwrap())
        .collect()
}

/// A first-factor sign-in; returns the answer to `/wan-signin-response`.
fn passkey_sign_in(
    server: &Server,
    identity: Option<&str>,
    cred: &mut SoftCredential,
    origin: &str,
) -> Reply {
    let body = match identity {
        Some(i) => json!({"identity": i}),
        None => json!({}),
    };
    let started = server.post_json("/wan-signin", &body, &[]);
    assert_eq!(started.status, 200, "{}", started.text());
    let started = started.json();
    let answer = cred.assert(&started["options"], origin);
    server.post_json(
        "/wan-signin-response",
        &json!({"state": started["state"], "credential": answer}),
        &[],
    )
}

#[test]
fn register_list_sign_in_with_and_without_a_username_for_every_algorithm() {
    let (server, origin) = start();
    let ada = server.sign_in(ADA, PASSWORD);
    let mut keys = [
        SoftCredential::new(Alg::Es256, 1),
        SoftCredential::new(Alg::EdDsa, 2),
        SoftCredential::new(Alg::Rs256, 3),
    ];
    for (i, key) in keys.iter_mut().enumerate() {
        let registered = register_passkey(&server, &ada, key, &format!("key {i}"), "first");
        assert_eq!(registered["usage"], "first");
    }
    let listed = server
        .get("/wan-register", &[("cookie", &ada.cookie)])
        .json();
    assert_eq!(field_of_each(&listed, "name"), ["key 0", "key 1", "key 2"]);
    assert_eq!(
        field_of_each(&listed, "algorithm"),
        ["ES256", "EdDSA", "RS256"]
    );
    assert!(listed["credentials"][0]["created_at_ms"].is_u64());
    assert!(listed["credentials"][0]["last_used_at_ms"].is_null());

    for key in keys.iter_mut() {
        let named = passkey_sign_in(&server, Some(ADA), key, &origin);
        assert_eq!(named.status, 200, "{}", named.text());
        assert_eq!(named.json()["user"]["email"], ADA);
        let session = named.cookie("sesame_session").expect("a session cookie");
        assert_eq!(
            server.get("/me", &[("cookie", &session)]).json()["user"]["email"],
            ADA
        );

        let usernameless = passkey_sign_in(&server, None, key, &origin);
        assert_eq!(usernameless.status, 200, "{}", usernameless.text());
        assert_eq!(usernameless.json()["user"]["email"], ADA);
    }
    let listed = server
        .get("/wan-register", &[("cookie", &ada.cookie)])
        .json();
    for c in listed["credentials"].as_array().unwrap() {
        assert!(c["last_used_at_ms"].is_u64(), "{c}");
        assert_eq!(c["sign_count"], 2);
    }
}

#[test]
fn the_ceremony_cookie_carries_the_state_for_browsers() {
    let (server, origin) = start();
    let ada = server.sign_in(ADA, PASSWORD);
    let mut key = SoftCredential::new(Alg::Es256, 4);
    register_passkey(&server, &ada, &mut key, "key", "first");
    let started = server.post_json("/wan-signin", &json!({}), &[("origin", &origin)]);
    let state_cookie = started.cookie("sesame_wan").expect("a ceremony cookie");
    let answer = key.assert(&started.json()["options"], &origin);
    let done = server.post_json(
        "/wan-signin-response",
        &json!({"credential": answer}),
        &[("cookie", &state_cookie), ("origin", &origin)],
    );
    assert_eq!(done.status, 200, "{}", done.text());
}

#[test]
fn negative_cases_are_refused_with_clear_codes() {
    let (server, origin, ada, bob) = start_both_signed_in();
    let mut ada_key = SoftCredential::new(Alg::Es256, 5);
    let mut bob_key = SoftCredential::new(Alg::EdDsa, 6);
    register_passkey(&server, &ada, &mut ada_key, "ada", "first");
    register_passkey(&server, &bob, &mut bob_key, "bob", "first");

    // Replayed challenge.
    let started = server.post_json("/wan-signin", &json!({}), &[]).json();
    let answer = ada_key.assert(&started["options"], &origin);
    let body = json!({"state": started["state"], "credential": answer});
    assert_eq!(
        server.post_json("/wan-signin-response", &body, &[]).status,
        200
    );
    let replay = server.post_json("/wan-signin-response", &body, &[]);
    assert_eq!(replay.status, 400);
    assert_eq!(replay.error_code(), "challenge-invalid");

    // Wrong origin.
    let wrong = passkey_sign_in(&server, None, &mut ada_key, "https://evil.example");
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.error_code(), "webauthn-rejected");
    assert!(wrong.error_message().contains("origin"));

    // Unknown credential.
    let mut stranger = SoftCredential::new(Alg::Es256, 7);
    stranger.user_handle = ada_key.user_handle.clone();
    let unknown = passkey_sign_in(&server, None, &mut stranger, &origin);
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.error_code(), "unknown-credential");

    // Another user's credential: asked for bob, answered with ada's passkey.
    let other = passkey_sign_in(&server, Some(BOB), &mut ada_key, &origin);
    assert_eq!(other.status, 401);
    assert_eq!(other.error_code(), "unknown-credential");

    // Counter regression.
    ada_key.sign_count = 0;
    let cloned = passkey_sign_in(&server, None, &mut ada_key, &origin);
    assert_eq!(cloned.status, 401);
    assert_eq!(cloned.error_code(), "sign-count-regression");

    // A credential ID already registered (to bob) cannot be registered to ada.
    let (_, taken) = register_across(&server, &ada, &ada, &mut bob_key, "copy", &origin);
    assert_eq!(taken.status, 409, "{}", taken.text());

    // A registration started by ada cannot be finished in bob's session.
    let mut new_key = SoftCredential::new(Alg::Es256, 8);
    let (state, hijack) = register_across(&server, &ada, &bob, &mut new_key, "new", &origin);
    assert_eq!(hijack.error_code(), "challenge-invalid");

    // Garbage is a 4xx, never a 500.
    for garbage in [
        json!({"state": "x", "credential": {}}),
        json!({"state": state, "credential": {"rawId": "%%", "type": "public-key", "response": {"clientDataJSON": "", "authenticatorData": "", "signature": ""}}}),
        json!([1, 2]),
    ] {
        let r = server.post_json("/wan-signin-response", &garbage, &[]);
        assert!((400..500).contains(&r.status), "{}: {}", r.status, r.text());
    }
}

#[test]
fn a_security_key_is_the_second_factor_after_the_password() {
    let (server, origin) = start();
    let ada = server.sign_in(ADA, PASSWORD);
    let mut key = SoftCredential::new(Alg::Es256, 9);
    key.user_verified = false;
    register_passkey(&server, &ada, &mut key, "yubikey", "secondary");

    let login = server.attempt_login(ADA, PASSWORD);
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(login.json()["tf_required"], true);
    assert_eq!(login.json()["methods"], json!(["webauthn"]));
    let pending = login.cookie("sesame_tf").expect("pending cookie");
    assert!(login.cookie("sesame_session").is_none());

    // A secondary key does not sign in on its own, and answers exactly like a key Sesame has
    // never seen with the same flags (here: no user verification, refused before any look-up).
    let alone = passkey_sign_in(&server, Some(ADA), &mut key, &origin);
    let mut stranger = SoftCredential::new(Alg::Es256, 99);
    stranger.user_verified = false;
    let unknown = passkey_sign_in(&server, Some(ADA), &mut stranger, &origin);
    assert_eq!(alone.status, 400);
    assert_eq!(alone.json(), unknown.json());
    key.user_verified = true;
    let alone = passkey_sign_in(&server, Some(ADA), &mut key, &origin);
    key.user_verified = false;
    assert_eq!(alone.error_code(), "unknown-credential");

    let started = server.post_json("/wan-signin", &json!({}), &[("cookie", &pending)]);
    assert_eq!(started.status, 200, "{}", started.text());
    let started = started.json();
    assert_eq!(
        started["options"]["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let answer = key.assert(&started["options"], &origin);
    let done = server.post_json(
        "/wan-signin-response",
        &json!({"state": started["state"], "credential": answer}),
        &[("cookie", &pending)],
    );
    assert_eq!(done.status, 200, "{}", done.text());
    let session = done.cookie("sesame_session").expect("session");
    assert_eq!(
        server.get("/me", &[("cookie", &session)]).json()["user"]["email"],
        ADA
    );
    // The pending sign-in is used up.
    let again = server
        .post_json("/wan-signin", &json!({}), &[("cookie", &pending)])
        .json();
    assert_eq!(again["options"]["publicKey"]["allowCredentials"], json!([]));
}

#[test]
fn verify_then_delete() {
    let (server, origin, ada, bob) = start_both_signed_in();
    let mut key = SoftCredential::new(Alg::Es256, 10);
    let mut spare = SoftCredential::new(Alg::EdDsa, 11);
    let id = register_passkey(&server, &ada, &mut key, "key", "first")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    register_passkey(&server, &ada, &mut spare, "spare", "secondary");

    let started = server.post_signed(&ada, "/wan-verify", &json!({}));
    assert_eq!(started.status, 200, "{}", started.text());
    let started = started.json();
    let answer = key.assert(&started["options"], &origin);
    let body = json!({"state": started["state"], "credential": answer});
    // Bob's session cannot finish ada's verification.
    assert_eq!(
        server
            .post_signed(&bob, "/wan-verify-response", &body)
            .error_code(),
        "challenge-invalid"
    );
    let started = server.post_signed(&ada, "/wan-verify", &json!({})).json();
    let answer = key.assert(&started["options"], &origin);
    let verified = server.post_signed(
        &ada,
        "/wan-verify-response",
        &json!({"state": started["state"], "credential": answer}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(verified.json()["status"], "verified");
    assert!(verified.json()["fresh_until_ms"].is_u64());

    // Bob cannot delete ada's credential; ada can, by ID or by name, with her CSRF token only.
    assert_eq!(
        server
            .post_signed(&bob, "/wan-delete", &json!({"id": id}))
            .status,
        404
    );
    let no_csrf = server.post_without_csrf(&ada, "/wan-delete", &json!({"id": id}));
    assert_eq!(no_csrf.error_code(), "csrf-rejected");
    let deleted = server.post_signed(&ada, "/wan-delete", &json!({"id": id}));
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json()["credential"]["name"], "key");
    let deleted = server.post_signed(&ada, "/wan-delete", &json!({"name": "spare"}));
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let listed = server
        .get("/wan-register", &[("cookie", &ada.cookie)])
        .json();
    assert_eq!(listed["credentials"], json!([]));
    // A deleted passkey signs in no more.
    assert_eq!(
        passkey_sign_in(&server, None, &mut key, &origin).error_code(),
        "unknown-credential"
    );

    // Bob, signed in but not verified, cannot change his password without the current one;
    // ada, verified above, can.
    let refused = server.post_signed(
        &bob,
        "/change",
        &json!({"new_password": "difference engine"}),
    );
    assert_eq!(refused.error_code(), "reauthentication-required");
    let changed = server.post_signed(
        &ada,
        "/change",
        &json!({"new_password": "difference engine"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    let login = server.attempt_login(ADA, "difference engine");
    assert_eq!(login.status, 200);
}

#[test]
fn the_pages_load_the_script_under_a_policy_that_allows_only_it() {
    let (server, _origin) = start();
    let ada = server.sign_in(ADA, PASSWORD);
    let page = server.get(
        "/wan-register",
        &[("cookie", &ada.cookie), ("accept", "text/html")],
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<script src=\"/wan.js\""));
    assert!(page.text().contains(&format!("data-csrf=\"{}\"", ada.csrf)));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(
        page.headers
            .iter()
            .filter(|(n, _)| n == "content-security-policy")
            .count(),
        1
    );
    let signin = server.get("/wan-signin", &[("accept", "text/html")]);
    assert!(signin.text().contains("data-wan=\"signin\""));
    let script = server.get("/wan.js", &[]);
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.text().contains("navigator.credentials.create"));
    // The sign-in form loads it too, for passkey autofill; other pages keep the no-script
    // policy.
    let login = server.get("/login", &[("accept", "text/html")]);
    assert!(login.text().contains("autocomplete=\"username webauthn\""));
    assert!(
        login
            .header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
    let register = server.get("/register", &[("accept", "text/html")]);
    assert!(
        !register
            .header("content-security-policy")
            .unwrap()
            .contains("script-src")
    );
}
