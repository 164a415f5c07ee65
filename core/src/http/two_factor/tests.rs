//! The two-factor routes' answers without the state they need.
use super::ROUTES;
use crate::env::Env as _;
use crate::http::Response;
use crate::http::tests::{error_code, set_cookies};
use crate::sessions::IssuedSession;
use crate::testing::Fixture;

#[test]
fn routes_answer_405_with_allow_and_need_their_state() {
    let f = Fixture::new();
    for path in ROUTES.iter().map(|r| r.path) {
        let r = f.json_with("DELETE", path, &[], "");
        assert_eq!(
            (r.status, r.header("allow")),
            (405, Some("GET, POST")),
            "{path}"
        );
    }
    for path in ["/tf-setup", "/mf-recovery-codes"] {
        let r = f.json_with("GET", path, &[], "");
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (401, "unauthenticated"),
            "{path}"
        );
    }
    for path in ["/tf-select", "/tf-validate", "/mf-recovery"] {
        let r = f.json_with("GET", path, &[("cookie", "sesame_tf=nope")], "");
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (401, "unauthenticated"),
            "{path}"
        );
        assert!(
            set_cookies(&r)
                .iter()
                .any(|c| c.starts_with("__Host-sesame_tf=;"))
        );
    }
}

const ADA: &str = "ada@example.com";
const PASSWORD: &str = "analytical engine";

/// A fixture in which Ada is registered and signed in through the service, with her session.
fn signed_in_ada() -> (Fixture, IssuedSession) {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(ADA, PASSWORD, None).unwrap();
    let session = s.login(ADA, PASSWORD, &Default::default()).unwrap();
    (f, session)
}

/// Sends a one-time code to the two-factor route `path` with `headers`.
fn send_code(f: &Fixture, path: &str, headers: &[(&str, &str)]) -> Response {
    f.json_with("POST", path, headers, r#"{"code":"123456"}"#)
}

#[test]
fn validate_without_pending_state_keeps_a_cookie_session_sent_without_its_csrf_token() {
    let (f, session) = signed_in_ada();
    let s = f.sesame();
    let cookie = format!("__Host-sesame_session={}", session.token.expose());
    for path in ["/tf-validate", "/mf-recovery"] {
        let r = send_code(&f, path, &[("cookie", &cookie)]);
        assert_eq!(r.status, 401, "{path}");
        assert!(
            s.validate_session(session.token.expose()).is_ok(),
            "{path} ended the session without its CSRF token"
        );
    }
    // With the token it does sign out.
    let headers = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", &session.csrf_token),
    ];
    let r = send_code(&f, "/tf-validate", &headers);
    assert_eq!(r.status, 401);
    assert!(s.validate_session(session.token.expose()).is_err());
}

#[test]
fn validate_without_pending_state_ends_the_session() {
    let (f, session) = signed_in_ada();
    let s = f.sesame();
    let bearer = format!("Bearer {}", session.token.expose());
    let r = send_code(&f, "/tf-validate", &[("authorization", &bearer)]);
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (401, "unauthenticated")
    );
    assert!(s.validate_session(session.token.expose()).is_err());
    // Recovery codes need two-factor on first; the answer says so.
    let session = s.login(ADA, PASSWORD, &Default::default()).unwrap();
    let bearer = format!("Bearer {}", session.token.expose());
    let refusal = |path: &str, body: &str| {
        let r = f.json_with("POST", path, &[("authorization", &bearer)], body);
        (r.status, error_code(&r))
    };
    let invalid = (400, "invalid-request".to_owned());
    assert_eq!(refusal("/mf-recovery-codes", "{}"), invalid);
    assert_eq!(refusal("/tf-setup", r#"{"setup":"sms"}"#), invalid);
    assert_eq!(
        refusal("/tf-setup", r#"{"code":"123456"}"#),
        (404, "not-found".to_owned()),
        "no enrolment"
    );
}

/// A browser's request: HTML wanted, in `lang`, with `cookie`, and for a post a form `body`.
fn browser(
    f: &Fixture,
    method: &str,
    path: &str,
    cookie: &str,
    lang: &str,
    body: &str,
) -> Response {
    let mut req = crate::http::Request::new(method, path)
        .with_header("accept", "text/html")
        .with_header("accept-language", lang)
        .with_header("cookie", cookie);
    if method == "POST" {
        req = req
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(body.as_bytes().to_vec());
    }
    f.send(req)
}

/// The page of a response.
fn html(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The session cookie of `session`.
fn session_cookie(session: &IssuedSession) -> String {
    format!("__Host-sesame_session={}", session.token.expose())
}

/// Asserts what every page must be: one h1, no inline style or script (the policy blocks
/// them), and the language it was asked in.
fn assert_page(page: &str, lang: &str) {
    assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{page}");
    assert_eq!(page.matches("<h1").count(), 1, "{page}");
    assert!(
        !page.contains("style=") && !page.contains("<script"),
        "{page}"
    );
}

/// The text between the first `start` and the `end` after it.
fn between<'p>(page: &'p str, start: &str, end: &str) -> &'p str {
    let rest = page.split_once(start).map(|(_, r)| r).unwrap_or_default();
    rest.split_once(end).map(|(t, _)| t).unwrap_or_default()
}

/// The current TOTP code of the key `secret` (base32) with the deployment's settings.
fn totp_code(f: &Fixture, secret: &str) -> String {
    use crate::two_factor::totp;
    let key = totp::TotpSecret::new(crate::testing::base32_decode(secret));
    let settings = &f.config.two_factor;
    let step = totp::step_at(f.env.now_ms() / 1000);
    totp::code_at(&key, settings.totp_algorithm, settings.totp_digits, step)
}

/// Ada with an authenticator app confirmed through the API, and its key; the clock then moves
/// a step on, so the next code is a fresh one.
fn enrolled_ada() -> (Fixture, String) {
    let (f, session) = signed_in_ada();
    let s = f.sesame();
    let info = s.validate_session(session.token.expose()).unwrap();
    let enrolment = s.start_totp(&info).unwrap();
    s.confirm_totp(&info, &totp_code(&f, &enrolment.secret_base32))
        .unwrap();
    f.advance(crate::two_factor::totp::PERIOD_SECS * 1000);
    let secret = enrolment.secret_base32.as_str().to_owned();
    (f, secret)
}

/// The pending-sign-in cookie after Ada's password.
fn pending_cookie(f: &Fixture) -> String {
    match f
        .sesame()
        .begin_login(ADA, PASSWORD, &Default::default())
        .unwrap()
    {
        crate::two_factor::LoginOutcome::SecondFactor(p) => {
            format!("__Host-sesame_tf={}", p.token.expose())
        }
        crate::two_factor::LoginOutcome::SignedIn(_) => panic!("two-factor is on"),
    }
}

#[test]
fn the_setup_page_speaks_french_and_shows_the_key_as_a_labelled_qr_code_and_text() {
    let (f, session) = signed_in_ada();
    let cookie = session_cookie(&session);
    let off = html(&browser(&f, "GET", "/tf-setup", &cookie, "fr", ""));
    assert_page(&off, "fr");
    assert!(off.contains("Double authentification"), "{off}");
    assert!(off.contains("Configurer une application d’authentification"));

    let form = format!("csrf_token={}&setup=authenticator", session.csrf_token);
    let r = browser(&f, "POST", "/tf-setup", &cookie, "fr", &form);
    assert_eq!(r.status, 200, "{}", html(&r));
    let page = html(&r);
    assert_page(&page, "fr");
    assert_eq!(page.matches("<h2>").count(), 2, "{page}");
    // The QR code has a text alternative, and the key it holds is on the page as text.
    assert!(
        page.contains("<div class=\"qr\" role=\"img\" aria-label=\"Code QR de la clé"),
        "{page}"
    );
    assert!(between(&page, "<div class=\"qr\"", "</div>").contains("<svg"));
    let secret = between(&page, "<code>", "</code>");
    assert_eq!(secret.len(), 32, "{page}");
    assert!(page.contains("<dt>Ou saisissez cette clé</dt>"));
    // The code field: labelled, numeric keyboard, offered for autofill.
    let input = between(&page, "<input id=\"code\"", ">");
    assert!(input.contains("autocomplete=\"one-time-code\""), "{input}");
    assert!(input.contains("inputmode=\"numeric\""), "{input}");
    assert!(page.contains("<label for=\"code\">Code de l’application</label>"));

    // A wrong code: the form again, the error announced and tied to the field.
    let wrong = format!("csrf_token={}&code=000000", session.csrf_token);
    let r = browser(&f, "POST", "/tf-setup", &cookie, "fr", &wrong);
    assert_eq!(r.status, 401);
    let page = html(&r);
    assert!(
        page.contains("role=\"alert\"") && page.contains("<svg"),
        "{page}"
    );
    let input = between(&page, "<input id=\"code\"", ">");
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(input.contains("aria-describedby=\"code-error\""), "{input}");
    assert!(page.contains("<p class=\"field-error\" id=\"code-error\">"));

    // The right code turns it on, and the next step is offered.
    let right = format!(
        "csrf_token={}&code={}",
        session.csrf_token,
        totp_code(&f, secret)
    );
    let on = html(&browser(&f, "POST", "/tf-setup", &cookie, "en", &right));
    assert_page(&on, "en");
    assert!(on.contains("Generate recovery codes"), "{on}");
}

#[test]
fn a_wrong_code_at_sign_in_is_announced_and_tied_to_the_code_field() {
    let (f, _) = enrolled_ada();
    let pending = pending_cookie(&f);
    let select = html(&browser(&f, "GET", "/tf-select", &pending, "en", ""));
    assert_page(&select, "en");
    assert!(select.contains("<fieldset>\n<legend>How do you want to confirm it is you?</legend>"));
    // No recovery codes yet: the app is the one way, chosen already.
    assert_eq!(select.matches("type=\"radio\"").count(), 1, "{select}");
    assert!(select.contains("value=\"totp\" checked"), "{select}");
    assert!(select.contains("<label for=\"method-0\">A code from my authenticator app</label>"));

    // A method the form did not offer: the choice again, saying what to do.
    let r = browser(&f, "POST", "/tf-select", &pending, "en", "method=sms");
    assert_eq!(r.status, 400);
    let page = html(&r);
    assert!(
        page.contains("role=\"alert\">Choose one of the ways below.</div>"),
        "{page}"
    );
    assert!(page.contains("type=\"radio\""), "{page}");

    let form = html(&browser(&f, "GET", "/tf-validate", &pending, "en", ""));
    assert_page(&form, "en");
    let input = between(&form, "<input id=\"code\"", ">");
    assert!(input.contains("autocomplete=\"one-time-code\""), "{input}");
    assert!(input.contains("inputmode=\"numeric\""), "{input}");
    assert!(!input.contains("aria-invalid"), "{input}");

    let r = browser(&f, "POST", "/tf-validate", &pending, "en", "code=000000");
    assert_eq!(r.status, 401);
    let page = html(&r);
    assert_page(&page, "en");
    assert!(
        page.contains(
            "role=\"alert\">The code is not correct, has expired or was already used.</div>"
        ),
        "{page}"
    );
    let input = between(&page, "<input id=\"code\"", ">");
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(input.contains("aria-describedby=\"code-error\""), "{input}");
    assert!(page.contains(
        "<p class=\"field-error\" id=\"code-error\">The code is not correct, has expired or was already used.</p>"
    ));

    // In German, the refusal and the form are German.
    let r = browser(&f, "POST", "/tf-validate", &pending, "de", "code=000000");
    let page = html(&r);
    assert_page(&page, "de");
    assert!(page.contains("Code eingeben"), "{page}");
}

#[test]
fn a_recovery_code_is_typed_as_text_and_fresh_codes_are_listed_once() {
    let (f, secret) = enrolled_ada();
    let pending = pending_cookie(&f);
    let form = html(&browser(&f, "GET", "/mf-recovery", &pending, "es", ""));
    assert_page(&form, "es");
    assert!(form.contains("Usar un código de recuperación"), "{form}");
    let input = between(&form, "<input id=\"code\"", ">");
    // Recovery codes have letters: no numeric keyboard, no autofill of app codes.
    assert!(!input.contains("inputmode"), "{input}");
    assert!(input.contains("autocomplete=\"off\""), "{input}");
    assert!(input.contains("aria-describedby=\"code-hint\""), "{input}");

    // Signed in with the app, Ada gets a fresh set: a list, shown once.
    let token = pending.split_once('=').map(|(_, t)| t).unwrap_or_default();
    let session = f
        .sesame()
        .complete_totp(token, &totp_code(&f, &secret), &Default::default())
        .unwrap();
    let cookie = session_cookie(&session);
    let form = format!("csrf_token={}", session.csrf_token);
    let r = browser(&f, "POST", "/mf-recovery-codes", &cookie, "en", &form);
    assert_eq!(r.status, 200, "{}", html(&r));
    let page = html(&r);
    assert_page(&page, "en");
    let list = between(&page, "<ol class=\"codes\"", "</ol>");
    let codes = list.matches("<li><code>").count();
    assert_eq!(codes, f.config.two_factor.recovery_codes as usize, "{page}");
    assert!(
        page.contains("role=\"status\">Write these codes down"),
        "{page}"
    );
    let left = html(&browser(&f, "GET", "/mf-recovery-codes", &cookie, "en", ""));
    assert_page(&left, "en");
    assert!(!left.contains("<li><code>"), "shown only once: {left}");
    assert!(
        left.contains(&format!("Unused recovery codes: {codes}.")),
        "{left}"
    );
}
