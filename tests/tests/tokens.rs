//! API tokens end to end: access + refresh tokens, rotation, reuse detection, revocation, the
//! JWKS, key rotation and API keys, against the real binary over loopback HTTP: the shared suite
//! `sesame_tests::suites::tokens` and what only `sesame serve` has (its admin CLI).

use sesame_tests::accounts::{EMAIL, PASSWORD, refresh, tokens};
use sesame_tests::{Host, admin};

sesame_tests::tokens_suite!(Sesame);

#[test]
fn key_rotation_api_keys_and_disabling_through_the_cli() {
    let server = Host::Sesame.start_fresh();
    let db = server.db();
    server.register(EMAIL, PASSWORD);
    let before = tokens(&server);

    let (ok, out, err) = admin(&db, &["keys", "rotate"], "");
    assert!(ok, "{err}");
    assert!(out.contains("generation 2"), "{out}");
    let after = tokens(&server);
    // Old tokens keep working until they expire; new ones carry the new kid; both published.
    assert_eq!(
        server.get_with_token("/me", &before["access_token"]).status,
        200
    );
    assert_eq!(
        server.get_with_token("/me", &after["access_token"]).status,
        200
    );
    // Both generations' access-token keys are published (beside their ID token keys).
    let jwks = server.get("/.well-known/jwks.json", &[]).json();
    let access_keys = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == "EdDSA")
        .count();
    assert_eq!(access_keys, 2);

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
    r.assert_failure(403, "forbidden");
    // A key counts only where a scope is asked for: not for user routes, nor for none.
    for query in ["", "?role=admin"] {
        let r = server.get(&format!("/auth/check{query}"), &[("authorization", &auth)]);
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (401, "unauthenticated"),
            "{query:?}"
        );
    }
    let (_, list, _) = admin(&db, &["api-key", "list"], "");
    assert!(list.contains("billing") && !list.contains(&key), "{list}");
    let id = list.split_whitespace().next().unwrap().to_owned();
    assert!(admin(&db, &["api-key", "revoke", &id], "").0);
    assert_eq!(
        server
            .get("/auth/check?scope=users:read", &[("authorization", &auth)])
            .status,
        401
    );
    // Only the hash is on disk.
    let secret = key.rsplit_once('_').unwrap().1;
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));

    // Disabling the account ends its token logins at once.
    assert!(admin(&db, &["user", "disable", "--email", EMAIL], "").0);
    assert_eq!(
        server.get_with_token("/me", &after["access_token"]).status,
        401
    );
    assert_eq!(refresh(&server, &after["refresh_token"]).status, 401);
}
