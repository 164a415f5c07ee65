//! Re-authentication ("freshness") and password checks over HTTP, shared by every server that
//! runs it: what a stale session, a token login minted from it, and a guesser at the
//! re-entry routes can and cannot do.

use serde_json::{Value, json};

use crate::accounts::{EMAIL, PASSWORD};
use crate::totp::{self, Enrolled};
use crate::{Host, Server, Signed};

/// Freshness short enough to outwait in a test.
const FRESHNESS_SECS: &str = "2";

/// Waits until a sign-in made now is no longer fresh.
fn outwait_freshness() {
    std::thread::sleep(std::time::Duration::from_millis(2_500));
}

fn bearer_tokens_of(server: &Server, who: &Signed) -> (String, String) {
    let r = server.send(
        "POST",
        "/tokens",
        &[("cookie", &who.cookie), ("x-csrf-token", &who.csrf)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// The attack the rule exists for: a stale session mints a token login and tries to use it
/// to set up two-factor, generate recovery codes or add a passkey. The token login carries
/// the session's old authentication time, so every one of those is refused, until the
/// password is entered again at /verify.
pub fn a_stale_session_cannot_mint_a_fresh_token_login(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_FRESHNESS_SECS", FRESHNESS_SECS)]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    outwait_freshness();

    let (access, _) = bearer_tokens_of(&server, &who);
    let bearer = format!("Bearer {access}");
    let auth = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    for (path, body) in [
        ("/tf-setup", json!({"setup": "authenticator"})),
        (
            "/wan-register",
            json!({"name": "planted", "usage": "first"}),
        ),
    ] {
        let r = server.send("POST", path, &auth, body.to_string().as_bytes());
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (401, "reauthentication-required"),
            "{path}: {}",
            r.text()
        );
    }
    // The stale cookie session itself is refused likewise.
    let r = server.post_signed(&who, "/tf-setup", &json!({"setup": "authenticator"}));
    assert_eq!(r.error_code(), "reauthentication-required", "{}", r.text());

    // /verify with a wrong password changes nothing; with the right one the caller is fresh.
    let r = server.send(
        "POST",
        "/verify",
        &auth,
        json!({"password": "not the password"})
            .to_string()
            .as_bytes(),
    );
    r.assert_failure(401, "invalid-credentials");
    let r = server.send(
        "POST",
        "/verify",
        &auth,
        json!({"password": PASSWORD}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "verified");
    assert!(r.json()["fresh_until_ms"].as_u64().unwrap() > 0);
    let r = server.send(
        "POST",
        "/tf-setup",
        &auth,
        json!({"setup": "authenticator"}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Only the login that verified: the session it was minted from is still stale.
    let r = server.post_signed(&who, "/tf-setup", &json!({"setup": "authenticator"}));
    assert_eq!(r.error_code(), "reauthentication-required", "{}", r.text());
}

/// `GET /verify` is a labelled form for browsers; posting it refreshes the session.
pub fn verify_has_a_form_and_needs_the_csrf_token(host: Host) {
    let server = host.start_fresh_with_env(&[]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let page = server.get(
        "/verify",
        &[("cookie", &who.cookie), ("accept", "text/html")],
    );
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("action=\"/verify\""), "{html}");
    assert!(html.contains("autocomplete=\"current-password\""), "{html}");
    assert!(html.contains(&who.csrf), "the form carries the CSRF token");
    // Without the CSRF token a cookie session is refused.
    let r = server.post_without_csrf(&who, "/verify", &json!({"password": PASSWORD}));
    assert_eq!(r.error_code(), "csrf-rejected");
    let r = server.post_signed(&who, "/verify", &json!({"password": PASSWORD}));
    assert_eq!(r.status, 200, "{}", r.text());
    // Signed out: 401.
    assert_eq!(
        server
            .post_json("/verify", &json!({"password": PASSWORD}), &[])
            .status,
        401
    );
}

/// Guessing the current password at /change counts into the same lockout as /login: after
/// the threshold, even the right password is refused at /login until the lock ends.
pub fn wrong_passwords_at_change_lock_the_account_for_login(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_LOCKOUT_THRESHOLD", "3")]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    guess_to_the_threshold(
        &server,
        &who,
        "/change",
        &json!({"password": "not the password", "new_password": "difference engine"}),
    );
    let r = server.attempt_login(EMAIL, PASSWORD);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "invalid-credentials"),
        "the right password got through a locked account"
    );
    // The right current password at /change is refused too while locked.
    refused_as_invalid_credentials(
        &server,
        &who,
        "/change",
        &json!({"password": PASSWORD, "new_password": "difference engine"}),
    );
}

/// Same rule at /tf-setup: turning two-factor off with guessed passwords locks the account.
pub fn wrong_passwords_at_two_factor_disable_lock_the_account(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_LOCKOUT_THRESHOLD", "3")]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    Enrolled::enrol(&server, &who);
    guess_to_the_threshold(
        &server,
        &who,
        "/tf-setup",
        &json!({"setup": "disable", "password": "not the password"}),
    );
    refused_as_invalid_credentials(
        &server,
        &who,
        "/tf-setup",
        &json!({"setup": "disable", "password": PASSWORD}),
    );
    let r = server.attempt_login(EMAIL, PASSWORD);
    assert_eq!(r.error_code(), "invalid-credentials", "{}", r.text());
}

/// A token login made from a session ends when the session does: its access token is refused
/// by Sesame's routes at once and its refresh token no longer works.
pub fn a_token_login_ends_with_its_session(host: Host) {
    let server = host.start_fresh_with_env(&[]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let (access, refresh) = bearer_tokens_of(&server, &who);
    let bearer = format!("Bearer {access}");
    assert_eq!(server.get("/me", &[("authorization", &bearer)]).status, 200);
    let out = server.post_signed(&who, "/logout", &json!({}));
    assert_eq!(out.status, 200);
    assert_eq!(server.get("/me", &[("authorization", &bearer)]).status, 401);
    let r = server.post_json("/tokens/refresh", &json!({"refresh_token": refresh}), &[]);
    r.assert_failure(401, "unauthenticated");
}

/// 200 parallel wrong codes on one pending sign-in: the attempt is counted before the code
/// is checked, so no more codes are checked than the limit (each checked code answers
/// `invalid-code`; the rest are refused without a look).
pub fn two_hundred_parallel_wrong_codes_check_at_most_the_limit(host: Host) {
    let server = host.start_fresh_with_env(&[]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let Enrolled { secret, step, .. } = Enrolled::enrol(&server, &who);
    let r = server.attempt_login(EMAIL, PASSWORD);
    let pending = r.cookie_pair().unwrap();
    // A wrong code that is surely not within the ±1 window.
    let right = [step - 1, step, step + 1].map(|s| totp::code(&secret, s));
    let wrong = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !right.contains(c))
        .unwrap();
    let answers: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                scope.spawn(|| {
                    server
                        .post_json(
                            "/tf-validate",
                            &json!({"code": wrong}),
                            &[("cookie", &pending)],
                        )
                        .error_code()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = answers.iter().filter(|c| *c == "invalid-code").count();
    eprintln!("200 parallel wrong codes: {checked} checked");
    assert!(checked >= 1, "no code was checked: {answers:?}");
    assert!(
        checked <= 5,
        "{checked} codes were checked against a limit of 5"
    );
    assert!(
        answers.iter().all(|c| matches!(
            c.as_str(),
            "invalid-code" | "unauthenticated" | "rate-limited"
        )),
        "{answers:?}"
    );
}

/// POSTs `wrong` (a guessed password) to `path` as `who` as many times as the lockout threshold
/// of these cases (3), each refused as `invalid-credentials`.
fn guess_to_the_threshold(server: &Server, who: &Signed, path: &str, wrong: &Value) {
    for _ in 0..3 {
        refused_as_invalid_credentials(server, who, path, wrong);
    }
}

/// POSTs `body` to `path` as `who` and asserts it is refused as `invalid-credentials`.
fn refused_as_invalid_credentials(server: &Server, who: &Signed, path: &str, body: &Value) {
    let r = server.post_signed(who, path, body);
    assert_eq!(r.error_code(), "invalid-credentials", "{}", r.text());
}
