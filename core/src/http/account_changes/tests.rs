//! The account-change routes: JSON answers, the forms and their errors, what the mailed links
//! show, and `/confirm`'s answer to callers who are not its account.

use crate::http::tests::{body_json, error_code};
use crate::http::{Request, Response};
use crate::i18n::Language;
use crate::mail::Mail;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// A session cookie and CSRF token for `email`, signed in just now.
fn session(f: &Fixture, email: &str, password: &str) -> (String, String) {
    let issued = f
        .sesame()
        .login(email, password, &Default::default())
        .expect("signs in");
    (
        format!("__Host-sesame_session={}", issued.token.expose()),
        issued.csrf_token.clone(),
    )
}

/// A JSON post of `body` with the session `(cookie, csrf)`, or none.
fn post(
    f: &Fixture,
    path: &str,
    body: serde_json::Value,
    session: Option<&(String, String)>,
) -> Response {
    let mut req = Request::new("POST", path)
        .with_header("content-type", "application/json")
        .with_body(body.to_string().into_bytes());
    if let Some((cookie, csrf)) = session {
        req = req
            .with_header("cookie", cookie)
            .with_header("x-csrf-token", csrf);
    }
    f.send(req)
}

/// A browser's `GET` of `path` with `cookie` when given.
fn page(f: &Fixture, path: &str, language: &str, cookie: Option<&str>) -> Response {
    let mut req = Request::new("GET", path)
        .with_header("accept", "text/html")
        .with_header("accept-language", language);
    if let Some(cookie) = cookie {
        req = req.with_header("cookie", cookie);
    }
    f.send(req)
}

/// A browser's form post.
fn form(f: &Fixture, path: &str, body: &str, cookie: Option<&str>) -> Response {
    let mut req = Request::new("POST", path)
        .with_header("accept", "text/html")
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(body.as_bytes().to_vec());
    if let Some(cookie) = cookie {
        req = req.with_header("cookie", cookie);
    }
    f.send(req)
}

fn last_mail_to(f: &Fixture, to: &str) -> Mail {
    f.env
        .outbox
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m.to == to)
        .cloned()
        .expect("a mail")
}

fn token_in(mail: &Mail, path: &str) -> String {
    let marker = format!("{path}?token=");
    let start = mail.text.find(&marker).expect("a link") + marker.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn change_email_answers_alike_for_free_and_taken_addresses_and_the_link_shows_no_account() {
    let f = Fixture::registered();
    f.sesame()
        .register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let ada = session(&f, ADA_EMAIL, ADA_PASSWORD);
    let free = post(
        &f,
        "/change-email",
        serde_json::json!({"email": "new@example.org"}),
        Some(&ada),
    );
    let taken = post(
        &f,
        "/change-email",
        serde_json::json!({"email": "grace@example.com"}),
        Some(&ada),
    );
    assert_eq!(free.status, 202);
    assert_eq!((free.status, &free.body), (taken.status, &taken.body));
    let token = token_in(
        &last_mail_to(&f, "new@example.org"),
        "/change-email/confirm",
    );
    // Opened in a browser signed in as nobody: a notice, no account data.
    let r = page(
        &f,
        &format!("/change-email/confirm?token={token}"),
        "en",
        None,
    );
    assert_eq!(r.status, 200);
    let html = text(&r);
    assert!(
        !html.contains("new@example.org") && !html.contains(ADA_EMAIL),
        "{html}"
    );
    assert_eq!(html.matches("<h1").count(), 1);
    // Replayed: refused.
    let r = post(
        &f,
        "/change-email/confirm",
        serde_json::json!({"token": token}),
        None,
    );
    assert_eq!((r.status, error_code(&r).as_str()), (400, "invalid-token"));
}

#[test]
fn a_confirmation_post_says_only_what_happened() {
    let f = Fixture::registered();
    let ada = session(&f, ADA_EMAIL, ADA_PASSWORD);
    post(
        &f,
        "/change-email",
        serde_json::json!({"email": "new@example.org"}),
        Some(&ada),
    );
    let token = token_in(
        &last_mail_to(&f, "new@example.org"),
        "/change-email/confirm",
    );
    let r = post(
        &f,
        "/change-email/confirm",
        serde_json::json!({"token": token}),
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        body_json(&r),
        serde_json::json!({"status": "email-changed", "message": "The account now uses the new address."})
    );
}

#[test]
fn changes_need_a_session_its_csrf_token_and_a_fresh_login() {
    let f = Fixture::registered();
    let ada = session(&f, ADA_EMAIL, ADA_PASSWORD);
    let body = serde_json::json!({"email": "new@example.org"});
    let r = post(&f, "/change-email", body.clone(), None);
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (401, "unauthenticated")
    );
    let no_csrf = (ada.0.clone(), "wrong".to_owned());
    let r = post(&f, "/change-email", body.clone(), Some(&no_csrf));
    assert_eq!(error_code(&r), "csrf-rejected");
    f.advance(f.config.freshness.window_ms + 1);
    for (path, body) in [
        ("/change-email", body),
        (
            "/change-username",
            serde_json::json!({"username": "countess"}),
        ),
    ] {
        let r = post(&f, path, body, Some(&ada));
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (401, "reauthentication-required"),
            "{path}"
        );
    }
}

#[test]
fn the_restore_link_opens_a_form_and_its_post_ends_every_session() {
    let f = Fixture::registered();
    let ada = session(&f, ADA_EMAIL, ADA_PASSWORD);
    post(
        &f,
        "/change-email",
        serde_json::json!({"email": "new@example.org"}),
        Some(&ada),
    );
    let token = token_in(&last_mail_to(&f, ADA_EMAIL), "/change-email/restore");
    // Opening the link changes nothing (mail scanners open links).
    let r = page(
        &f,
        &format!("/change-email/restore?token={token}"),
        "en",
        None,
    );
    assert_eq!(r.status, 200);
    let html = text(&r);
    assert!(html.contains("action=\"/change-email/restore\""));
    assert!(
        f.sesame()
            .validate_session(ada.0.split('=').nth(1).unwrap())
            .is_ok()
    );
    let r = form(&f, "/change-email/restore", &format!("token={token}"), None);
    assert_eq!(r.status, 200, "{}", text(&r));
    assert!(text(&r).contains("href=\"/reset\""));
    assert!(
        f.sesame()
            .validate_session(ada.0.split('=').nth(1).unwrap())
            .is_err()
    );
    // Once.
    let r = post(
        &f,
        "/change-email/restore",
        serde_json::json!({"token": token}),
        None,
    );
    assert_eq!((r.status, error_code(&r).as_str()), (400, "invalid-token"));
}

#[test]
fn a_restore_link_posted_by_another_accounts_browser_leaves_that_browser_signed_in() {
    let f = Fixture::registered();
    f.sesame()
        .register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let ada = session(&f, ADA_EMAIL, ADA_PASSWORD);
    let grace = session(&f, "grace@example.com", "cobol compiler");
    let body = serde_json::json!({"email": "new@example.org"});
    post(&f, "/change-email", body, Some(&ada));
    let token = token_in(&last_mail_to(&f, ADA_EMAIL), "/change-email/restore");
    let r = form(
        &f,
        "/change-email/restore",
        &format!("token={token}"),
        Some(&grace.0),
    );
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_none(), "grace's cookie is kept");
    let valid = |cookie: &str| {
        let token = cookie.split('=').nth(1).unwrap();
        f.sesame().validate_session(token).is_ok()
    };
    assert!(valid(&grace.0));
    assert!(!valid(&ada.0));
}

#[test]
fn change_username_says_when_a_name_is_taken_and_the_form_marks_the_field() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada")).unwrap();
    s.register("grace@example.com", "cobol compiler", Some("grace"))
        .unwrap();
    let ada = session(&f, ADA_EMAIL, ADA_PASSWORD);
    let r = post(
        &f,
        "/change-username",
        serde_json::json!({"username": "GRACE"}),
        Some(&ada),
    );
    assert_eq!((r.status, error_code(&r).as_str()), (409, "already-exists"));
    let r = form(
        &f,
        "/change-username",
        &format!("csrf_token={}&username=grace", ada.1),
        Some(&ada.0),
    );
    assert_eq!(r.status, 409);
    let html = text(&r);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("value=\"grace\""), "{html}");
    let r = post(
        &f,
        "/change-username",
        serde_json::json!({"username": "countess"}),
        Some(&ada),
    );
    assert_eq!(r.status, 200);
    assert_eq!(body_json(&r)["user"]["username"], "countess");
}

#[test]
fn recover_username_answers_the_same_for_every_address() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada")).unwrap();
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let answers: Vec<(u16, Vec<u8>)> = [ADA_EMAIL, "grace@example.com", "nobody@example.com"]
        .iter()
        .map(|email| {
            let r = post(
                &f,
                "/recover-username",
                serde_json::json!({"email": email}),
                None,
            );
            (r.status, r.body)
        })
        .collect();
    assert_eq!(answers[0].0, 202);
    assert!(answers.iter().all(|a| *a == answers[0]));
    let r = form(&f, "/recover-username", "email=not+an+address", None);
    assert_eq!(r.status, 422);
    assert!(text(&r).contains("role=\"alert\""));
}

#[test]
fn the_new_pages_have_their_text_in_every_language_labels_and_one_heading() {
    let f = Fixture::registered();
    let (cookie, _) = session(&f, ADA_EMAIL, ADA_PASSWORD);
    for language in Language::ALL {
        for path in [
            "/change-email",
            "/change-username",
            "/recover-username",
            "/change-email/restore?token=x",
            "/account",
            "/login",
        ] {
            let r = page(&f, path, language.tag(), Some(&cookie));
            assert_eq!(r.status, 200, "{path}");
            let html = text(&r);
            assert_eq!(html.matches("<h1").count(), 1, "{path}");
            assert!(
                !html.contains("change-email-") && !html.contains("recover-username-t"),
                "{path}: {html}"
            );
            assert!(
                !html.contains("style=") && !html.contains("<script>"),
                "{path}"
            );
            // Every visible input has a label.
            let inputs = html.matches("<input id=").count();
            let labels = html.matches("<label for=").count();
            assert_eq!(inputs, labels, "{path}");
        }
    }
    let account = text(&page(&f, "/account", "en", Some(&cookie)));
    assert!(
        account.contains("href=\"/change-email\"") && account.contains("href=\"/change-username\"")
    );
    let login = text(&page(&f, "/login", "en", None));
    assert!(login.contains("href=\"/recover-username\""));
    let form = text(&page(&f, "/change-email", "en", Some(&cookie)));
    assert!(form.contains("autocomplete=\"email\""));
}

#[test]
fn a_confirmation_link_shows_the_account_only_to_its_signed_in_owner_and_works_once() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, None).unwrap();
    let token = token_in(&last_mail_to(&f, ADA_EMAIL), "/confirm");
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let grace_token = token_in(&last_mail_to(&f, "grace@example.com"), "/confirm");
    // Ada's link used while signed in as grace: confirmed, but nothing of ada's shown.
    let grace = session(&f, "grace@example.com", "cobol compiler");
    let r = f.send(
        Request::new("GET", &format!("/confirm?token={token}")).with_header("cookie", &grace.0),
    );
    assert_eq!(r.status, 200);
    assert_eq!(body_json(&r), serde_json::json!({"status": "confirmed"}));
    // Opened again: refused, and still nothing of the account.
    let r = f.send(Request::new("GET", &format!("/confirm?token={token}")));
    assert_eq!((r.status, error_code(&r).as_str()), (400, "invalid-token"));
    assert!(!text(&r).contains(ADA_EMAIL));
    let r = page(&f, &format!("/confirm?token={token}"), "en", None);
    assert_eq!(r.status, 400);
    assert!(text(&r).contains("already confirmed"), "{}", text(&r));
    // Grace opening her own link while signed in sees her account.
    let r = f.send(
        Request::new("GET", &format!("/confirm?token={grace_token}"))
            .with_header("cookie", &grace.0),
    );
    assert_eq!(r.status, 200);
    assert_eq!(body_json(&r)["user"]["email"], "grace@example.com");
}
