//! API tokens over HTTP, shared by every server that runs it: token login, refresh rotation,
//! reuse detection, revocation, forged and expired tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::Host;
use crate::accounts::{EMAIL, PASSWORD, bearer, refresh, tokens};

pub fn token_login_refresh_reuse_and_revocation(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);

    let first = tokens(&server);
    assert_eq!(first["token_type"], "Bearer");
    assert!(
        first["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("sesame_rt_")
    );
    let me = server.get_with_token("/me", &first["access_token"]);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"]["email"], EMAIL);
    let check = server.get_with_token("/auth/check", &first["access_token"]);
    assert_eq!(check.status, 200);
    assert_eq!(check.header("x-sesame-email"), Some(EMAIL));

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
    reused.assert_failure(401, "unauthenticated");
    assert!(reused.text().contains("already used"), "{}", reused.text());
    assert_eq!(refresh(&server, &second["refresh_token"]).status, 401);
    for access in [&first["access_token"], &second["access_token"]] {
        assert_eq!(server.get_with_token("/me", access).status, 401);
    }

    // DELETE /tokens ends this login only.
    let a = tokens(&server);
    let b = tokens(&server);
    let r = server.send_with_token("DELETE", "/tokens", &a["access_token"]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.get_with_token("/me", &a["access_token"]).status, 401);
    assert_eq!(refresh(&server, &a["refresh_token"]).status, 401);
    assert_eq!(server.get_with_token("/me", &b["access_token"]).status, 200);

    // Log out everywhere ends token logins too.
    let r = server.send_with_token("POST", "/logout-everywhere", &b["access_token"]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.get_with_token("/me", &b["access_token"]).status, 401);
    assert_eq!(refresh(&server, &b["refresh_token"]).status, 401);

    // A password change through an access token revokes the other token logins.
    let c = tokens(&server);
    let d = tokens(&server);
    let r = server.post_json(
        "/change",
        &json!({"password": PASSWORD, "new_password": "difference engine no 2"}),
        &[("authorization", &bearer(&c["access_token"]))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.get_with_token("/me", &d["access_token"]).status, 401);
    assert_eq!(refresh(&server, &d["refresh_token"]).status, 401);
}

pub fn forged_none_and_unknown_kid_tokens_are_401(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
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
        r.assert_failure(401, "unauthenticated");
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
    r.assert_failure(400, "malformed-json");
    let wrong = server.post_credentials("/tokens", EMAIL, "nope nope");
    wrong.assert_failure(401, "invalid-credentials");
}

pub fn expired_access_tokens_are_401(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_ACCESS_TOKEN_SECS", "1")]);
    server.register(EMAIL, PASSWORD);
    let pair = tokens(&server);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let r = server.get_with_token("/me", &pair["access_token"]);
    assert_eq!(r.status, 401);
    assert!(r.text().contains("expired"), "{}", r.text());
    // The refresh token still gives a fresh access token.
    let fresh = refresh(&server, &pair["refresh_token"]).json();
    assert_eq!(
        server.get_with_token("/me", &fresh["access_token"]).status,
        200
    );
}
