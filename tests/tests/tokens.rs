//! API tokens end to end: access + refresh tokens, rotation, reuse detection, revocation, the
//! JWKS, key rotation and API keys, against the real binary over loopback HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure here is a test failure"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sesame_tests::{Server, admin};

const PW: &str = "analytical engine";

fn tokens(server: &Server) -> Value {
    let r = server.post_json(
        "/tokens",
        &json!({"email": "ada@example.com", "password": PW}),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().unwrap())
}

fn refresh(server: &Server, refresh_token: &Value) -> sesame_tests::Reply {
    server.post_json(
        "/tokens/refresh",
        &json!({"refresh_token": refresh_token}),
        &[],
    )
}

#[test]
fn token_login_refresh_reuse_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);

    let first = tokens(&server);
    assert_eq!(first["token_type"], "Bearer");
    assert!(
        first["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("sesame_rt_")
    );
    let me = server.get("/me", &[("authorization", &bearer(&first["access_token"]))]);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"]["email"], "ada@example.com");
    let check = server.get(
        "/auth/check",
        &[("authorization", &bearer(&first["access_token"]))],
    );
    assert_eq!(check.status, 200);
    assert_eq!(check.header("x-sesame-email"), Some("ada@example.com"));

    // The JWKS names the key that signed the token.
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                first["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    let jwks = server.get("/.well-known/jwks.json", &[]).json();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");

    // Refresh rotates; the login's end does not move.
    let second = refresh(&server, &first["refresh_token"]);
    assert_eq!(second.status, 200, "{}", second.text());
    let second = second.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        second["refresh_expires_at_ms"],
        first["refresh_expires_at_ms"]
    );

    // Reuse of the replaced refresh token: the attacker's and the victim's tokens both die.
    let reused = refresh(&server, &first["refresh_token"]);
    assert_eq!(
        (reused.status, reused.error_code().as_str()),
        (401, "unauthenticated")
    );
    assert!(reused.text().contains("already used"), "{}", reused.text());
    assert_eq!(refresh(&server, &second["refresh_token"]).status, 401);
    for access in [&first["access_token"], &second["access_token"]] {
        assert_eq!(
            server
                .get("/me", &[("authorization", &bearer(access))])
                .status,
            401
        );
    }

    // DELETE /tokens ends this login only.
    let a = tokens(&server);
    let b = tokens(&server);
    let r = server.send(
        "DELETE",
        "/tokens",
        &[("authorization", &bearer(&a["access_token"]))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&a["access_token"]))])
            .status,
        401
    );
    assert_eq!(refresh(&server, &a["refresh_token"]).status, 401);
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&b["access_token"]))])
            .status,
        200
    );

    // Log out everywhere ends token logins too.
    let r = server.send(
        "POST",
        "/logout-everywhere",
        &[("authorization", &bearer(&b["access_token"]))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&b["access_token"]))])
            .status,
        401
    );
    assert_eq!(refresh(&server, &b["refresh_token"]).status, 401);

    // A password change through an access token revokes the other token logins.
    let c = tokens(&server);
    let d = tokens(&server);
    let r = server.post_json(
        "/change",
        &json!({"password": PW, "new_password": "difference engine no 2"}),
        &[("authorization", &bearer(&c["access_token"]))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&d["access_token"]))])
            .status,
        401
    );
    assert_eq!(refresh(&server, &d["refresh_token"]).status, 401);
}

#[test]
fn forged_none_and_unknown_kid_tokens_are_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);
    let pair = tokens(&server);
    let access = pair["access_token"].as_str().unwrap();
    let mut parts = access.split('.');
    let (header, claims) = (parts.next().unwrap(), parts.next().unwrap());
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"x"}"#);
    let mut elevated: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    elevated["roles"] = json!(["admin"]);
    let elevated = URL_SAFE_NO_PAD.encode(elevated.to_string());
    let signature = access.rsplit('.').next().unwrap();
    let other_kid = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","typ":"at+jwt","kid":"nope"}"#);
    for (forged, says) in [
        (format!("{none}.{claims}."), "algorithm"),
        (
            format!("{header}.{elevated}.{signature}"),
            "does not verify",
        ),
        (
            format!("{other_kid}.{claims}.{signature}"),
            "unknown or retired key",
        ),
        ("not-a-jwt.at.all".to_owned(), "not valid base64url"),
    ] {
        let r = server.get("/me", &[("authorization", &format!("Bearer {forged}"))]);
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (401, "unauthenticated")
        );
        assert!(r.text().contains(says), "{says}: {}", r.text());
    }
    // A malformed refresh token or body is a clear 4xx, never a 5xx.
    assert_eq!(refresh(&server, &json!("sesame_rt_nope")).status, 401);
    let r = server.send(
        "POST",
        "/tokens/refresh",
        &[("content-type", "application/json")],
        b"{",
    );
    assert_eq!((r.status, r.error_code().as_str()), (400, "malformed-json"));
    let wrong = server.post_json(
        "/tokens",
        &json!({"email": "ada@example.com", "password": "nope nope"}),
        &[],
    );
    assert_eq!(
        (wrong.status, wrong.error_code().as_str()),
        (401, "invalid-credentials")
    );
}

#[test]
fn expired_access_tokens_are_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        &dir.path().join("sesame.db"),
        &[("SESAME_ACCESS_TOKEN_SECS", "1")],
    );
    server.register("ada@example.com", PW);
    let pair = tokens(&server);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let r = server.get("/me", &[("authorization", &bearer(&pair["access_token"]))]);
    assert_eq!(r.status, 401);
    assert!(r.text().contains("expired"), "{}", r.text());
    // The refresh token still gives a fresh access token.
    let fresh = refresh(&server, &pair["refresh_token"]).json();
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&fresh["access_token"]))])
            .status,
        200
    );
}

#[test]
fn key_rotation_api_keys_and_disabling_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = Server::start(&db);
    server.register("ada@example.com", PW);
    let before = tokens(&server);

    let (ok, out, err) = admin(&db, &["keys", "rotate"], "");
    assert!(ok, "{err}");
    assert!(out.contains("generation 2"), "{out}");
    let after = tokens(&server);
    // Old tokens keep working until they expire; new ones carry the new kid; both published.
    assert_eq!(
        server
            .get(
                "/me",
                &[("authorization", &bearer(&before["access_token"]))]
            )
            .status,
        200
    );
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&after["access_token"]))])
            .status,
        200
    );
    assert_eq!(
        server.get("/.well-known/jwks.json", &[]).json()["keys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let (ok, key, err) = admin(
        &db,
        &[
            "api-key",
            "create",
            "--name",
            "billing",
            "--scope",
            "users:read",
        ],
        "",
    );
    assert!(ok, "{err}");
    let key = key.trim().to_owned();
    assert!(key.starts_with("sesame_ak_"));
    let auth = format!("Bearer {key}");
    let r = server.get("/auth/check?scope=users:read", &[("authorization", &auth)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-sesame-api-key-name"), Some("billing"));
    let r = server.get("/auth/check?scope=users:write", &[("authorization", &auth)]);
    assert_eq!((r.status, r.error_code().as_str()), (403, "forbidden"));
    let (_, list, _) = admin(&db, &["api-key", "list"], "");
    assert!(list.contains("billing") && !list.contains(&key), "{list}");
    let id = list.split_whitespace().next().unwrap().to_owned();
    assert!(admin(&db, &["api-key", "revoke", &id], "").0);
    assert_eq!(
        server
            .get("/auth/check", &[("authorization", &auth)])
            .status,
        401
    );
    // Only the hash is on disk.
    let secret = key.rsplit_once('_').unwrap().1;
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));

    // Disabling the account ends its token logins at once.
    assert!(admin(&db, &["user", "disable", "--email", "ada@example.com"], "").0);
    assert_eq!(
        server
            .get("/me", &[("authorization", &bearer(&after["access_token"]))])
            .status,
        401
    );
    assert_eq!(refresh(&server, &after["refresh_token"]).status, 401);
}
