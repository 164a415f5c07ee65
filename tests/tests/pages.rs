//! The pages' branding, languages and replaceable templates through the real `sesame`
//! binary and component: `sesame templates`, `serve --templates DIR`, the brand settings and
//! a mail in the browser's language.

use std::path::Path;

use sesame_tests::mail::outbox_mails;
use sesame_tests::server::{Server, admin, sesame_command};

const HTML: (&str, &str) = ("accept", "text/html");

#[test]
fn templates_are_listed_exported_and_replaced_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let (ok, listed, _) = admin(&db, &["templates"], "");
    assert!(ok);
    for name in ["layout.html", "login.html", "account.html", "message.html"] {
        assert!(
            listed.lines().any(|l| l == name),
            "{name} missing: {listed}"
        );
    }

    // Export writes every template and never overwrites an operator's file.
    let own = dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    std::fs::write(own.join("layout.html"), "kept").unwrap();
    let (ok, out, _) = admin(&db, &["templates", "--export", own.to_str().unwrap()], "");
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(own.join("layout.html")).unwrap(),
        "kept"
    );
    let exported = std::fs::read_to_string(own.join("login.html")).unwrap();
    assert!(
        exported.contains("{% extends \"layout.html\" %}"),
        "{exported}"
    );

    // Only the changed file is given: the rest stay Sesame's own.
    let replaced = dir.path().join("replaced");
    std::fs::create_dir(&replaced).unwrap();
    let layout = default_layout(&db);
    std::fs::write(
        replaced.join("layout.html"),
        layout.replace(
            "<main id=\"main\"",
            "<p class=\"acme-banner\">{{ product }} staff only</p>\n<main id=\"main\"",
        ),
    )
    .unwrap();
    let mut cmd = sesame_command(&db);
    // `serve --templates DIR`, given here by its variable.
    cmd.env("SESAME_TEMPLATES_DIR", &replaced)
        .env("SESAME_PRODUCT_NAME", "Acme ID");
    let server = Server::start_command(cmd);
    let page = server.get("/login", &[HTML]);
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains("<p class=\"acme-banner\">Acme ID staff only</p>"),
        "{}",
        page.text()
    );
    assert!(
        page.text().contains("name=\"password\""),
        "the login form is Sesame's own"
    );
    drop(server);

    // A template that does not parse, or a name Sesame does not render, stops the start.
    for (name, source, said) in [
        ("layout.html", "{% block %}", "does not parse"),
        (
            "logn.html",
            "<p>typo</p>",
            "is not one of Sesame's page templates",
        ),
    ] {
        let bad = dir.path().join(format!("bad-{name}"));
        std::fs::create_dir(&bad).unwrap();
        std::fs::write(bad.join(name), source).unwrap();
        let out = sesame_command(&db)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--templates",
                bad.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{err}");
    }
}

/// Sesame's own `layout.html`, as `sesame templates --export` writes it.
fn default_layout(db: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, _) = admin(
        db,
        &["templates", "--export", dir.path().to_str().unwrap()],
        "",
    );
    assert!(ok);
    std::fs::read_to_string(dir.path().join("layout.html")).unwrap()
}

#[test]
fn brand_and_language_reach_pages_errors_and_mail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let outbox = dir.path().join("outbox");
    let mut cmd = sesame_command(&db);
    cmd.args(["--mail-outbox", outbox.to_str().unwrap()])
        .env("SESAME_PRODUCT_NAME", "Acme ID")
        .env("SESAME_PRIMARY_COLOR", "#aa3300")
        .env("SESAME_SUPPORT_URL", "mailto:help@acme.example")
        .env("SESAME_LOGO_URL", "https://cdn.acme.example/logo.svg");
    let server = Server::start_command(cmd);

    let page = server.get("/register", &[HTML, ("accept-language", "fr-CH, fr;q=0.9")]);
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("<html lang=\"fr\">"), "{text}");
    assert!(text.contains("Acme ID</title>"), "{text}");
    assert!(text.contains("href=\"mailto:help@acme.example\""), "{text}");
    let policy = page
        .header("content-security-policy")
        .unwrap_or_default()
        .to_owned();
    assert!(
        policy.contains("img-src https://cdn.acme.example;"),
        "{policy}"
    );
    let sheet = text
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let css = server.get(&sheet, &[]);
    assert!(css.text().starts_with(":root { --brand: #aa3300; }"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    // A JSON error in German keeps its code.
    let r = server.send(
        "POST",
        "/login",
        &[
            ("content-type", "application/json"),
            ("accept-language", "de"),
        ],
        br#"{"email": "nobody@example.com", "password": "wrong password"}"#,
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "invalid-credentials");
    assert_ne!(
        r.json()["error"]["message"],
        "The email/username or password is not correct."
    );
    assert_eq!(r.header("content-language"), Some("de"));

    // A registration from a Spanish browser is confirmed by a Spanish mail naming the product.
    let r = server.send(
        "POST",
        "/register",
        &[
            ("content-type", "application/json"),
            ("accept-language", "es"),
        ],
        br#"{"email": "ada@example.com", "password": "analytical engine"}"#,
    );
    assert_eq!(r.status, 202);
    let mails = outbox_mails(&outbox);
    let (to, subject, body) = mails.last().expect("a confirmation mail");
    assert_eq!(to, "ada@example.com");
    assert!(subject.ends_with("Acme ID"), "{subject}");
    assert!(body.contains("mailto:help@acme.example"), "{body}");
    assert!(
        !subject.starts_with("Confirm your email"),
        "not in English: {subject}"
    );
}
