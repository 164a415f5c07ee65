//! The OpenID provider end to end against the real binary over loopback HTTP: the shared
//! suite `sesame_tests::suites::oauth`, and what only `sesame serve` has (`sesame client`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sesame_tests::{Host, admin};

sesame_tests::oauth_suite!(Sesame);

/// The value after `label: ` on a line of the CLI's output.
fn field(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|line| line.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} in {out}"))
        .to_owned()
}

#[test]
fn clients_are_managed_through_the_cli() {
    let server = Host::Sesame.start_fresh();
    let db = server.db();
    let (ok, out, err) = admin(
        &db,
        &[
            "client",
            "add",
            "--name",
            "Grafana",
            "--redirect-uri",
            "https://grafana.example/login/generic_oauth",
            "--scope",
            "openid",
            "--scope",
            "email",
        ],
        "",
    );
    assert!(ok, "{err}");
    let id = field(&out, "client_id");
    let secret = field(&out, "client_secret");
    assert!(secret.starts_with("sesame_cs_"), "{out}");

    let (ok, out, _) = admin(&db, &["client", "list"], "");
    assert!(
        ok && out.contains(&id) && out.contains("Grafana") && !out.contains(&secret),
        "{out}"
    );
    let (ok, out, _) = admin(&db, &["client", "show", &id], "");
    assert!(ok && out.contains("scopes: openid email"), "{out}");

    // The secret authenticates the client; a rotated one replaces it.
    let token_with = |secret: &str| {
        let basic = STANDARD.encode(format!("{id}:{secret}"));
        server
            .send(
                "POST",
                "/oauth/token",
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("authorization", &format!("Basic {basic}")),
                ],
                b"grant_type=authorization_code&code=x",
            )
            .json()["error"]
            .clone()
    };
    assert_eq!(
        token_with(&secret),
        "invalid_grant",
        "authenticated, bad code"
    );
    let (ok, out, err) = admin(&db, &["client", "rotate-secret", &id], "");
    assert!(ok, "{err}");
    let rotated = field(&out, "client_secret");
    assert_eq!(token_with(&secret), "invalid_client");
    assert_eq!(token_with(&rotated), "invalid_grant");

    // Bad input is a clear refusal.
    let (ok, _, err) = admin(
        &db,
        &[
            "client",
            "add",
            "--name",
            "X",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        "",
    );
    assert!(!ok && err.contains("loopback"), "{err}");

    let (ok, _, err) = admin(&db, &["client", "remove", &id], "");
    assert!(ok, "{err}");
    assert_eq!(token_with(&rotated), "invalid_client");
    let (ok, _, _) = admin(&db, &["client", "show", &id], "");
    assert!(!ok);
}
