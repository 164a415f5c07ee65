//! What every page shares: the stylesheet and its caching, the pages' policy, the brand, the
//! language of pages and error messages, replaced templates and the account page.

use super::*;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

fn page(f: &Fixture, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = Request::new("GET", path).with_header("accept", "text/html");
    for (name, value) in headers {
        req = req.with_header(name, value);
    }
    f.send(req)
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The session cookie pair of a password sign-in of ada.
fn signed_in(f: &Fixture) -> String {
    let body = serde_json::json!({"email": ADA_EMAIL, "password": ADA_PASSWORD}).to_string();
    let r = f.json_with(
        "POST",
        "/login",
        &[("user-agent", "Firefox on a test")],
        &body,
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    let cookie = r.header("set-cookie").expect("a session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

#[test]
fn pages_link_the_stylesheet_under_its_hash_and_may_load_only_it() {
    let f = Fixture::new();
    let r = page(&f, "/login", &[]);
    let html = text(&r);
    let url = view::stylesheet_url(&f.config);
    assert!(
        html.contains(&format!("<link rel=\"stylesheet\" href=\"{url}\">")),
        "{html}"
    );
    let policy = r.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("style-src 'self'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!html.contains(" style=\""), "no inline style: {html}");

    let sheet = f.send(Request::new("GET", &url));
    assert_eq!(sheet.status, 200);
    assert_eq!(
        sheet.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        sheet.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(text(&sheet).starts_with(":root { --brand: #2457c5; }"));
    assert!(text(&sheet).contains("prefers-color-scheme: dark"));
    // Any other version must be revalidated, so an old link never pins an old sheet.
    let stale = f.send(Request::new("GET", "/sesame.css?v=0000"));
    assert_eq!(stale.header("cache-control"), Some("no-store"));
    assert_eq!(stale.body, sheet.body);
}

#[test]
fn the_brand_shows_on_pages_and_in_the_stylesheet() {
    let mut f = Fixture::new();
    f.config.branding.product_name = "Acme <ID>".into();
    f.config.branding.primary_color = "#aa3300".into();
    f.config.branding.logo_url = Some("https://cdn.example.com/acme.svg".into());
    f.config.branding.support_url = Some("mailto:help@example.com".into());
    let r = page(&f, "/login", &[]);
    let html = text(&r);
    assert!(html.contains("· Acme &lt;ID&gt;</title>"), "{html}");
    assert!(
        html.contains("src=\"https://cdn.example.com/acme.svg\" alt=\"Acme &lt;ID&gt;\""),
        "{html}"
    );
    assert!(html.contains("href=\"mailto:help@example.com\""), "{html}");
    let policy = r.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("img-src https://cdn.example.com;"),
        "{policy}"
    );
    let sheet = f.send(Request::new("GET", &view::stylesheet_url(&f.config)));
    assert!(text(&sheet).starts_with(":root { --brand: #aa3300; }"));
    // The colour is part of the hash: a new colour is a new URL.
    assert_ne!(
        view::stylesheet_url(&f.config),
        view::stylesheet_url(&crate::testing::test_config())
    );
}

#[test]
fn brand_settings_refuse_what_would_break_a_page_or_its_policy() {
    use crate::config::Config;
    let base = [(
        "SESAME_SECRET",
        "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI",
    )];
    let with = |name: &'static str, value: &'static str| {
        let mut vars = base.to_vec();
        vars.push((name, value));
        Config::from_vars(vars)
    };
    assert!(with("SESAME_PRIMARY_COLOR", "#12ab9F").is_ok());
    for (name, bad) in [
        ("SESAME_PRIMARY_COLOR", "red"),
        ("SESAME_PRIMARY_COLOR", "#12345"),
        ("SESAME_PRIMARY_COLOR", "#123456; } body { display: none"),
        ("SESAME_LOGO_URL", "http://cdn.example.com/logo.png"),
        (
            "SESAME_LOGO_URL",
            "https://cdn.example.com/a.png; script-src *",
        ),
        ("SESAME_LOGO_URL", "javascript:alert(1)"),
        ("SESAME_SUPPORT_URL", "javascript:alert(1)"),
        ("SESAME_SUPPORT_URL", "https://x.example/\"onmouseover=\"x"),
        ("SESAME_PRODUCT_NAME", ""),
        ("SESAME_DEFAULT_LANGUAGE", "xx"),
        ("SESAME_LANGUAGES", "en,klingon"),
        ("SESAME_TEMPLATES", "{\"nope.html\": \"x\"}"),
        ("SESAME_TEMPLATES", "{\"login.html\": \"{% if %}\"}"),
        ("SESAME_TEMPLATES", "not json"),
    ] {
        assert!(with(name, bad).is_err(), "{name}={bad} was accepted");
    }
    let config = with("SESAME_LANGUAGES", "fr,es").expect("a list without the default");
    assert!(
        config
            .languages
            .allowed
            .contains(&crate::i18n::Language::En)
    );
}

#[test]
fn pages_and_json_errors_speak_the_browsers_language() {
    let f = Fixture::new();
    let r = page(
        &f,
        "/login",
        &[("accept-language", "de-DE,de;q=0.9,en;q=0.5")],
    );
    let html = text(&r);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("Zum Inhalt springen"), "{html}");
    assert_eq!(r.header("content-language"), Some("de"));
    // The JSON code stays; the message is translated.
    let r = f.send(Request::new("GET", "/no-such-route").with_header("accept-language", "fr"));
    assert_eq!(r.status, 404);
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    assert_eq!(body["error"]["code"], "not-found");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(
        message,
        crate::i18n::Language::Fr.t("error-there-is-no-such-route")
    );
    assert_ne!(message, "There is no such route.");
    assert_eq!(r.header("content-language"), Some("fr"));
    // English stays the source text.
    let r = f.send(Request::new("GET", "/no-such-route"));
    assert!(text(&r).contains("There is no such route."));
    // A language the deployment does not offer: its default.
    let mut f = Fixture::new();
    f.config.languages.allowed = vec![crate::i18n::Language::En];
    let r = page(&f, "/login", &[("accept-language", "de")]);
    assert!(text(&r).contains("<html lang=\"en\">"));
}

#[test]
fn a_replaced_template_is_rendered_and_escapes_like_ours() {
    let mut f = Fixture::new();
    f.config
        .branding
        .override_templates([(
            "message.html".to_owned(),
            "<p class=\"own\">{{ title }}: {{ message }} ({{ product }}, {{ lang }})</p>"
                .to_owned(),
        )])
        .expect("a template that parses");
    let r = page(&f, "/<script>", &[]);
    let html = text(&r);
    assert!(html.starts_with("<p class=\"own\">"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("(Sesame, en)"), "{html}");
    // A replaced template that fails at rendering still shows the error, plainly.
    f.config
        .branding
        .override_templates([(
            "message.html".to_owned(),
            "{{ no_such_value.field }}".to_owned(),
        )])
        .expect("it parses");
    let r = page(&f, "/missing", &[]);
    assert_eq!(r.status, 404);
    assert!(text(&r).contains("There is no such route."), "{}", text(&r));
    // One that would run on and on runs out of fuel at once: the page fails (500, the
    // reason in the log), the error page falls back to plain.
    f.config
        .branding
        .override_templates([(
            "account.html".to_owned(),
            "{% for a in range(100000) %}{% for b in range(100000) %}.{% endfor %}{% endfor %}"
                .to_owned(),
        )])
        .expect("it parses");
    let started = std::time::Instant::now();
    let r = page(&f, "/account", &[("cookie", &signed_in_ada(&f))]);
    assert_eq!(r.status, 500, "{}", text(&r));
    assert!(
        r.fault
            .as_deref()
            .unwrap_or_default()
            .contains("account.html"),
        "{:?}",
        r.fault
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Registers ada in `f` and signs her in; her session cookie pair.
fn signed_in_ada(f: &Fixture) -> String {
    f.sesame()
        .register(ADA_EMAIL, ADA_PASSWORD, None)
        .expect("ada registers");
    signed_in(f)
}

#[test]
fn the_account_page_shows_sessions_factors_and_every_action() {
    let f = Fixture::registered();
    let pair = signed_in(&f);
    let r = page(&f, "/account", &[("cookie", &pair)]);
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains(ADA_EMAIL), "{html}");
    assert!(html.contains("Firefox on a test"), "{html}");
    assert!(html.contains("(this device)"), "{html}");
    for action in [
        "href=\"/change\"",
        "href=\"/tf-setup\"",
        "href=\"/wan-register\"",
        "href=\"/sessions\"",
        "action=\"/logout\"",
        "action=\"/logout-everywhere\"",
    ] {
        assert!(html.contains(action), "{action} missing: {html}");
    }
    // A second session can be ended from here; the current one is not offered.
    let other = signed_in(&f);
    let html = text(&page(&f, "/account", &[("cookie", &other)]));
    assert_eq!(
        html.matches("action=\"/sessions/revoke\"").count(),
        1,
        "{html}"
    );
    assert!(html.contains("name=\"csrf_token\""), "{html}");
    // Signed out: the page is not shown.
    let r = page(&f, "/account", &[]);
    assert_eq!(r.status, 401);
    // In Spanish.
    let html = text(&page(
        &f,
        "/account",
        &[("cookie", &pair), ("accept-language", "es")],
    ));
    assert!(html.contains("Mi cuenta"), "{html}");
}
