//! Two-factor over HTTP, shared by every server that runs it: TOTP enrolment and sign-in,
//! single use of codes, attempt limits, recovery codes and the HTML forms, with codes computed
//! by the test from the secret the server hands out.

use serde_json::json;

use crate::accounts::{EMAIL, PASSWORD};
use crate::totp::{self, Enrolled, now_step, settle_in_step};
use crate::{Host, Reply, Server, Signed};

/// Registers ada, turns TOTP on (checking what the server hands out to set up an app) and signs
/// out.
fn enrolled(server: &Server) -> Enrolled {
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let app = Enrolled::enrol(server, &who);
    let setup = &app.setup;
    assert_eq!(setup["algorithm"], "SHA1");
    assert_eq!(setup["digits"], 6);
    assert_eq!(setup["period"], 30);
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/Sesame:{EMAIL}?secret={}&issuer=Sesame",
            app.secret
        )),
        "{uri}"
    );
    assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let out = server.post_signed(&who, "/logout", &json!({}));
    assert_eq!(out.status, 200);
    app
}

/// Enrols ada (see [`enrolled`]) and signs her in again with the password and the next code.
fn enrolled_and_signed_in(server: &Server) -> Signed {
    let app = enrolled(server);
    let pending = password_step(server);
    let done = validate(server, &pending, &app.next());
    assert_eq!(done.status, 200, "{}", done.text());
    server.signed(done.cookie_pair().unwrap())
}

/// Signs in with the password only: asserts the pending answer and returns the pending cookie.
fn password_step(server: &Server) -> String {
    let r = server.attempt_login(EMAIL, PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["tf_required"], true);
    let pair = r.cookie_pair().unwrap();
    assert!(pair.starts_with("sesame_tf="), "{pair}");
    pair
}

fn validate(server: &Server, pending: &str, code: &str) -> Reply {
    server.post_json(
        "/tf-validate",
        &json!({"code": code}),
        &[("cookie", pending)],
    )
}

pub fn enrol_logout_login_with_a_code(host: Host) {
    let server = host.start_fresh();
    let app = enrolled(&server);

    let pending = password_step(&server);
    // Pending is not signed in, on any route, as cookie or as bearer.
    assert_eq!(server.get("/me", &[("cookie", &pending)]).status, 401);
    let token = pending.trim_start_matches("sesame_tf=");
    let bearer = format!("Bearer {token}");
    assert_eq!(server.get("/me", &[("authorization", &bearer)]).status, 401);
    assert_eq!(
        server.get("/auth/check", &[("cookie", &pending)]).status,
        401
    );
    assert_eq!(
        server
            .get("/sessions", &[("authorization", &bearer)])
            .status,
        401
    );
    assert_eq!(
        server.get("/tf-select", &[("cookie", &pending)]).json()["methods"],
        json!(["totp"])
    );

    // The next step's code: within the allowed skew, and after the step used to confirm.
    let done = validate(&server, &pending, &app.next());
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json()["user"]["email"], EMAIL);
    let cookies: Vec<&str> = done.set_cookies();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("sesame_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("sesame_tf=;") && c.contains("Max-Age=0"))
    );
    assert_ne!(
        session.trim_start_matches("sesame_session="),
        token,
        "a fresh token"
    );
    assert_eq!(server.get("/me", &[("cookie", session)]).status, 200);

    // The pending state was single use.
    let again = validate(&server, &pending, &app.code(app.step + 1));
    again.assert_failure(401, "unauthenticated");
}

pub fn a_code_is_accepted_once_and_only_within_one_step(host: Host) {
    let server = host.start_fresh();
    let app = enrolled(&server);
    let step = app.step;

    // Confirmation used this step's code: replaying it is refused.
    let pending = password_step(&server);
    let replay = validate(&server, &pending, &app.code(step));
    replay.assert_failure(401, "invalid-code");
    // Two steps ahead is outside the window.
    let ahead = validate(&server, &pending, &app.code(step + 2));
    assert_eq!(ahead.error_code(), "invalid-code");
    // One step ahead is inside it, once.
    let next = app.next();
    assert_eq!(validate(&server, &pending, &next).status, 200);
    let pending = password_step(&server);
    let replay = validate(&server, &pending, &next);
    replay.assert_failure(401, "invalid-code");
}

pub fn wrong_malformed_and_exhausted_codes_get_clear_answers(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_TWO_FACTOR_MAX_ATTEMPTS", "3")]);
    let app = enrolled(&server);
    let pending = password_step(&server);
    let right = app.next();
    let wrong = app.wrong();

    let r = validate(&server, &pending, wrong);
    r.assert_failure(401, "invalid-code");
    assert!(r.error_message().contains("not correct"));
    let r = validate(&server, &pending, "12ab56");
    r.assert_failure(400, "invalid-request");
    assert!(r.error_message().contains("6 digits"));
    let r = server.send(
        "POST",
        "/tf-validate",
        &[("cookie", &pending), ("content-type", "application/json")],
        b"{\"code\":",
    );
    r.assert_failure(400, "malformed-json");
    let r = validate(&server, &pending, wrong);
    assert_eq!(r.error_code(), "invalid-code");
    // Third failure used the last attempt: even the right code cannot finish this sign-in.
    let r = validate(&server, &pending, &right);
    r.assert_failure(401, "unauthenticated");
    // A new password step starts afresh.
    let pending = password_step(&server);
    assert_eq!(validate(&server, &pending, &right).status, 200);
}

pub fn a_pending_sign_in_expires(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_TWO_FACTOR_PENDING_SECS", "1")]);
    let app = enrolled(&server);
    let pending = password_step(&server);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let r = validate(&server, &pending, &app.next());
    r.assert_failure(401, "unauthenticated");
}

pub fn tf_validate_without_pending_state_signs_out(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let r = server.post_signed(&who, "/tf-validate", &json!({"code": "123456"}));
    r.assert_failure(401, "unauthenticated");
    let cleared: Vec<&str> = r.set_cookies();
    assert!(
        cleared.iter().any(|c| c.starts_with("sesame_session=;")),
        "{cleared:?}"
    );
    assert!(
        cleared.iter().any(|c| c.starts_with("sesame_tf=;")),
        "{cleared:?}"
    );
    assert_eq!(server.get("/me", &[("cookie", &who.cookie)]).status, 401);
}

pub fn racing_requests_with_one_code_give_exactly_one_session(host: Host) {
    // The losers' refusals count as failures: keep the per-account lock out of the race.
    let server = host.start_fresh_with_env(&[("SESAME_LOCKOUT_THRESHOLD", "50")]);
    let app = enrolled(&server);
    let pendings: Vec<String> = (0..8).map(|_| password_step(&server)).collect();
    let code = app.next();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = pendings
            .iter()
            .map(|p| scope.spawn(|| validate(&server, p, &code).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 401),
        "{statuses:?}"
    );
}

pub fn recovery_codes_sign_in_once_each_and_regeneration_voids_the_old_set(host: Host) {
    // More password steps than the default per-account throttle allows in a minute.
    let server = host.start_fresh_with_env(&[
        ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100"),
        ("SESAME_THROTTLE_LOGIN_PER_IP", "100"),
        // The racing losers' refusals count as failures: keep the per-account lock away.
        ("SESAME_LOCKOUT_THRESHOLD", "50"),
    ]);
    let who = enrolled_and_signed_in(&server);
    let r = server.post_signed(&who, "/mf-recovery-codes", &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    let codes: Vec<String> = r.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    let left = server.get("/mf-recovery-codes", &[("cookie", &who.cookie)]);
    assert_eq!(left.json()["recovery_codes_left"], 10);

    let pending = password_step(&server);
    assert_eq!(
        server.get("/tf-select", &[("cookie", &pending)]).json()["methods"],
        json!(["totp", "recovery-code"])
    );
    let use_code = |pending: &str, code: &str| {
        server.post_json(
            "/mf-recovery",
            &json!({"code": code}),
            &[("cookie", pending)],
        )
    };
    assert_eq!(use_code(&pending, &codes[0]).status, 200);
    let pending = password_step(&server);
    let r = use_code(&pending, &codes[0]);
    r.assert_failure(401, "invalid-code");
    let r = use_code(&pending, "nope");
    r.assert_failure(400, "invalid-request");

    // Eight racing requests with one code: exactly one session.
    let pendings: Vec<String> = (0..8).map(|_| password_step(&server)).collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = pendings
            .iter()
            .map(|p| scope.spawn(|| use_code(p, &codes[1]).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    let left = server.get("/mf-recovery-codes", &[("cookie", &who.cookie)]);
    assert_eq!(left.json()["recovery_codes_left"], 8);

    let fresh = server
        .post_signed(&who, "/mf-recovery-codes", &json!({}))
        .json();
    let pending = password_step(&server);
    assert_eq!(use_code(&pending, &codes[2]).error_code(), "invalid-code");
    let new_code = fresh["recovery_codes"][0].as_str().unwrap();
    assert_eq!(use_code(&pending, new_code).status, 200);
}

pub fn the_secret_is_not_readable_in_the_sqlite_file(host: Host) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = host.start(&db);
    let app = enrolled(&server);
    server.stop();
    let secret = app.secret;
    let raw = totp::base32_decode(&secret);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(bytes.len() > 4096, "the database was read");
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(secret.as_bytes()), "base32 secret in the file");
    assert!(!contains(secret.to_lowercase().as_bytes()));
    assert!(!contains(&raw), "raw secret in the file");
    assert!(contains(EMAIL.as_bytes()), "the search does see the data");
}

pub fn disabling_needs_the_password_and_restores_password_sign_in(host: Host) {
    let server = host.start_fresh();
    let who = enrolled_and_signed_in(&server);
    let r = server.post_signed(
        &who,
        "/tf-setup",
        &json!({"setup": "disable", "password": "wrong password!"}),
    );
    r.assert_failure(401, "invalid-credentials");
    let r = server.post_signed(&who, "/tf-setup", &json!({"setup": "disable"}));
    r.assert_failure(400, "invalid-request");
    let r = server.post_without_csrf(
        &who,
        "/tf-setup",
        &json!({"setup": "disable", "password": PASSWORD}),
    );
    r.assert_failure(403, "csrf-rejected");
    let r = server.post_signed(
        &who,
        "/tf-setup",
        &json!({"setup": "disable", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        server.get("/tf-setup", &[("cookie", &who.cookie)]).json(),
        json!({"totp_enabled": false, "email_enabled": false, "enrolment_pending": false,
               "recovery_codes_left": 0})
    );
    let r = server.attempt_login(EMAIL, PASSWORD);
    assert_eq!(r.status, 200);
    assert!(r.cookie_pair().unwrap().starts_with("sesame_session="));
}

pub fn html_pages_work_as_plain_forms(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let html = [
        ("accept", "text/html"),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let form = |path: &str, cookie: &str, body: String| {
        let mut headers = html.to_vec();
        headers.push(("cookie", cookie));
        server.send("POST", path, &headers, body.as_bytes())
    };

    let page = server.get(
        "/tf-setup",
        &[("accept", "text/html"), ("cookie", &who.cookie)],
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Set up an authenticator app"));
    let started = form(
        "/tf-setup",
        &who.cookie,
        format!("csrf_token={}&setup=authenticator", who.csrf),
    );
    assert_eq!(started.status, 200, "{}", started.text());
    let text = started.text();
    assert!(
        text.contains("<svg") && text.contains("name=\"code\""),
        "{text}"
    );
    let secret = text
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_owned();
    // The form shows again, with its QR code, after a wrong code.
    let wrong = form(
        "/tf-setup",
        &who.cookie,
        format!("csrf_token={}&code=000000x", who.csrf),
    );
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("role=\"alert\"") && wrong.text().contains("<svg"));
    settle_in_step();
    let step = now_step();
    let on = form(
        "/tf-setup",
        &who.cookie,
        format!("csrf_token={}&code={}", who.csrf, totp::code(&secret, step)),
    );
    assert_eq!(on.status, 200, "{}", on.text());
    assert!(on.text().contains("Generate recovery codes"));
    let codes = form(
        "/mf-recovery-codes",
        &who.cookie,
        format!("csrf_token={}", who.csrf),
    );
    assert_eq!(codes.status, 200);
    assert_eq!(codes.text().matches("<li><code>").count(), 10);

    // Browser sign-in: password form, then the choice, then the code form.
    let login = server.send(
        "POST",
        "/login",
        &html,
        format!("email={EMAIL}&password=analytical+engine").as_bytes(),
    );
    assert_eq!(
        (login.status, login.header("location")),
        (303, Some("/tf-select"))
    );
    let pending = login.cookie_pair().unwrap();
    let select = server.get(
        "/tf-select",
        &[("accept", "text/html"), ("cookie", &pending)],
    );
    assert!(select.text().contains("type=\"radio\""));
    let chosen = form("/tf-select", &pending, "method=totp".into());
    assert_eq!(
        (chosen.status, chosen.header("location")),
        (303, Some("/tf-validate"))
    );
    let code_page = server.get(
        "/tf-validate",
        &[("accept", "text/html"), ("cookie", &pending)],
    );
    assert!(code_page.text().contains("autocomplete=\"one-time-code\""));
    let bad = form("/tf-validate", &pending, "code=000000".into());
    assert_eq!(bad.status, 401);
    assert!(bad.text().contains("role=\"alert\"") && bad.text().contains("name=\"code\""));
    let done = form(
        "/tf-validate",
        &pending,
        format!("code={}", totp::code(&secret, step + 1)),
    );
    assert_eq!(
        (done.status, done.header("location")),
        (303, Some("/me")),
        "{}",
        done.text()
    );
}

pub fn wrong_codes_lock_the_second_step_of_the_account(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_LOCKOUT_THRESHOLD", "3")]);
    let app = enrolled(&server);
    let right = app.next();
    let wrong = app.wrong();
    // Three failures over two password steps: a right password does not reset the count.
    let first = password_step(&server);
    assert_eq!(
        validate(&server, &first, wrong).error_code(),
        "invalid-code"
    );
    assert_eq!(
        validate(&server, &first, wrong).error_code(),
        "invalid-code"
    );
    let second = password_step(&server);
    assert_eq!(
        validate(&server, &second, wrong).error_code(),
        "invalid-code"
    );
    let locked = validate(&server, &second, &right);
    locked.assert_failure(429, "rate-limited");
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
}
