//! The two-factor routes' answers without the state they need.
use super::ROUTES;
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
