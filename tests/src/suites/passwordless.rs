//! Unified sign-in over HTTP, shared by every server that runs it: codes and links read from
//! the mail the server sends, every negative case (wrong, expired-in-effect, reused, another
//! browser, throttled, unknown address), passwordless accounts and email as a second factor.

use std::sync::Barrier;

use serde_json::{Value, json};

use crate::accounts::{EMAIL, PASSWORD};
use crate::{FreshServer, Host, Reply};

/// Passwords, mailed codes and passkeys.
const METHODS: (&str, &str) = ("SESAME_US_METHODS", "password,email,passkey");

fn start(host: Host) -> FreshServer {
    host.start_fresh_reading_mail(&[METHODS])
}

/// Asks for a code for `identity`: the answer, and the code sign-in's cookie pair.
fn send_code(server: &FreshServer, identity: &str) -> (Reply, String) {
    let r = server.post_json("/us-signin/send-code", &json!({"identity": identity}), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let cookie = r.cookie("sesame_us").expect("the code sign-in's cookie");
    (r, cookie)
}

/// The 8-digit code of a mail.
fn code_of(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

/// The 8-digit code and the link (path and query) of a sign-in mail.
fn code_and_link(text: &str) -> (String, String) {
    let code = code_of(text);
    let start = text.find("/us-verify-link?token=").expect("a link");
    let link = text[start..].split_whitespace().next().unwrap().to_owned();
    (code, link)
}

/// The latest mail's code and link for ada, after `seen` mails.
fn mailed(server: &FreshServer, seen: usize) -> (String, String) {
    code_and_link(&server.mail_to(EMAIL, seen))
}

fn sign_in_with(server: &FreshServer, cookie: &str, code: &str) -> Reply {
    server.post_json("/us-signin", &json!({"code": code}), &[("cookie", cookie)])
}

/// A different code of the same length.
fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                ((c as u8) + 1) as char
            }
        })
        .collect()
}

pub fn a_mailed_code_signs_in_the_client_that_asked_once(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (r, cookie) = send_code(&server, EMAIL);
    let body = r.json();
    assert_eq!(body["status"], "code-sent");
    assert_eq!(body["device_code"].as_str().unwrap().len(), 6);
    assert!(
        body.get("us_token").is_none(),
        "the token is not in the body unasked"
    );
    let (code, _) = mailed(&server, seen);
    // Without the code sign-in's cookie the code is nobody's.
    sign_in_with(&server, "", &code).assert_failure(401, "unauthenticated");
    let done = sign_in_with(&server, &cookie, &code);
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json()["user"]["email"], EMAIL);
    assert!(done.json()["user"]["confirmed_at_ms"].is_number());
    let session = done.cookie("sesame_session").expect("a session");
    assert_eq!(server.get("/me", &[("cookie", &session)]).status, 200);
    // Used up.
    sign_in_with(&server, &cookie, &code).assert_failure(401, "unauthenticated");
}

pub fn an_unknown_identity_gets_the_same_answer_and_no_mail(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (known, _) = send_code(&server, EMAIL);
    let (unknown, cookie) = send_code(&server, "nobody@example.com");
    let shape = |r: &Reply| {
        let mut keys: Vec<String> = r.json().as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let mut headers: Vec<String> = r
            .headers
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| n != "date" && n != "content-length")
            .collect();
        headers.sort();
        (r.status, keys, headers, r.body.len())
    };
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(
        server.settled_mails().len(),
        seen + 1,
        "only the real account got mail"
    );
    sign_in_with(&server, &cookie, "12345678").assert_failure(401, "invalid-code");
}

pub fn a_code_from_the_mail_works_only_with_the_code_sign_in_that_asked(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (_, first) = send_code(&server, EMAIL);
    let (code, _) = mailed(&server, seen);
    // Someone who read the mail asks for a code sign-in of their own and types this code.
    let (_, stranger) = send_code(&server, EMAIL);
    sign_in_with(&server, &stranger, &code).assert_failure(401, "invalid-code");
    assert_eq!(sign_in_with(&server, &first, &code).status, 200);
}

pub fn the_link_signs_in_the_asking_browser_and_elsewhere_asks_for_the_device_code(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (r, cookie) = send_code(&server, EMAIL);
    let device_code = r.json()["device_code"].as_str().unwrap().to_owned();
    let (_, link) = mailed(&server, seen);
    // Opened elsewhere (a mail scanner, a forwarded mail): nobody is signed in.
    let elsewhere = server.get(&link, &[]);
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text());
    assert_eq!(elsewhere.json()["status"], "device-code-required");
    assert!(elsewhere.cookie("sesame_session").is_none());
    let token = link.split("token=").nth(1).unwrap();
    let post = |code: &str, cookie: &str| {
        server.post_json(
            "/us-verify-link",
            &json!({"token": token, "code": code}),
            &[("cookie", cookie)],
        )
    };
    post(&wrong(&device_code), "").assert_failure(401, "invalid-code");
    // The asking browser opens it: signed in, once.
    let opened = server.get(&link, &[("cookie", &cookie)]);
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert!(opened.cookie("sesame_session").is_some());
    server
        .get(&link, &[("cookie", &cookie)])
        .assert_failure(400, "invalid-token");
    post(&device_code, "").assert_failure(400, "invalid-token");
}

pub fn the_device_code_signs_in_the_other_browser(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (r, _) = send_code(&server, EMAIL);
    let device_code = r.json()["device_code"].as_str().unwrap().to_owned();
    let (_, link) = mailed(&server, seen);
    let token = link.split("token=").nth(1).unwrap();
    let done = server.post_json(
        "/us-verify-link",
        &json!({"token": token, "code": device_code}),
        &[],
    );
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.cookie("sesame_session").is_some());
}

pub fn wrong_codes_end_the_code_sign_in_after_five(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (_, cookie) = send_code(&server, EMAIL);
    let (code, _) = mailed(&server, seen);
    for _ in 0..5 {
        sign_in_with(&server, &cookie, &wrong(&code)).assert_failure(401, "invalid-code");
    }
    sign_in_with(&server, &cookie, &code).assert_failure(401, "unauthenticated");
}

pub fn two_hundred_parallel_wrong_codes_check_at_most_five(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let (_, cookie) = send_code(&server, EMAIL);
    let (code, _) = mailed(&server, seen);
    let barrier = Barrier::new(200);
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let (server, barrier, cookie) = (&server, &barrier, &cookie);
                let guess = format!("{:08}", (i * 7919) % 100_000_000);
                let guess = if guess == code { wrong(&code) } else { guess };
                scope.spawn(move || {
                    barrier.wait();
                    let r = sign_in_with(server, cookie, &guess);
                    let code = r.json()["error"]["code"].as_str().unwrap_or("").to_owned();
                    (r.status, code)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|(_, c)| c == "invalid-code").count();
    assert!(checked <= 5, "{checked} codes were checked: {statuses:?}");
    assert!(
        statuses.iter().all(|(s, c)| c == "invalid-code"
            || c == "unauthenticated"
            || c == "rate-limited"
            || *s == 503),
        "{statuses:?}"
    );
    sign_in_with(&server, &cookie, &code).assert_failure(401, "unauthenticated");
}

pub fn sending_is_throttled_alike_for_known_and_unknown_identities(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    for identity in [EMAIL, "nobody@example.com"] {
        let answers: Vec<u16> = (0..4)
            .map(|_| {
                server
                    .post_json("/us-signin/send-code", &json!({"identity": identity}), &[])
                    .status
            })
            .collect();
        assert_eq!(answers, [200, 200, 200, 429], "{identity}");
    }
}

pub fn an_account_registered_without_a_password_signs_in_by_code(host: Host) {
    let server = start(host);
    let r = server.post_json("/register", &json!({"email": EMAIL}), &[]);
    assert_eq!(r.status, 202, "{}", r.text());
    // No password matches it.
    server
        .attempt_login(EMAIL, PASSWORD)
        .assert_failure(401, "invalid-credentials");
    let seen = server.settled_mails().len();
    let (_, cookie) = send_code(&server, EMAIL);
    let (code, _) = mailed(&server, seen);
    let done = sign_in_with(&server, &cookie, &code);
    assert_eq!(done.status, 200, "{}", done.text());
    let session = done.cookie("sesame_session").unwrap();
    let methods = server.get("/us-setup", &[("cookie", &session)]).json();
    assert_eq!(methods["active_methods"], json!(["email"]));
    assert_eq!(
        methods["available_methods"],
        json!(["password", "email", "passkey"])
    );
}

pub fn where_codes_are_not_offered_they_are_refused(host: Host) {
    let server = host.start_fresh_reading_mail(&[]);
    server.register(EMAIL, PASSWORD);
    server
        .post_json("/us-signin/send-code", &json!({"identity": EMAIL}), &[])
        .assert_failure(403, "forbidden");
    server
        .post_json("/register", &json!({"email": "bob@example.com"}), &[])
        .assert_failure(400, "invalid-request");
}

pub fn email_as_a_second_factor_end_to_end(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let started = server.post_signed(&who, "/tf-setup", &json!({"setup": "email"}));
    assert_eq!(started.status, 200, "{}", started.text());
    let code = code_of(&server.mail_to(EMAIL, seen));
    let on = server.post_signed(&who, "/tf-setup", &json!({"setup": "email", "code": code}));
    assert_eq!(on.status, 200, "{}", on.text());
    assert_eq!(
        server.get("/tf-setup", &[("cookie", &who.cookie)]).json()["email_enabled"],
        true
    );

    // The password alone is no longer enough.
    let pending = server.attempt_login(EMAIL, PASSWORD);
    assert_eq!(pending.json()["methods"], json!(["email"]));
    let pending = pending.cookie("sesame_tf").unwrap();
    let seen = server.settled_mails().len();
    let chosen = server.post_json(
        "/tf-select",
        &json!({"method": "email"}),
        &[("cookie", &pending)],
    );
    assert_eq!(chosen.json()["next"], "/tf-email", "{}", chosen.text());
    let code = code_of(&server.mail_to(EMAIL, seen));
    let finish =
        |code: &str| server.post_json("/tf-email", &json!({"code": code}), &[("cookie", &pending)]);
    finish(&wrong(&code)).assert_failure(401, "invalid-code");
    let done = finish(&code);
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.cookie("sesame_session").is_some());
    finish(&code).assert_failure(401, "unauthenticated");

    // A mailed-code sign-in of the same account needs a second factor other than the mailbox:
    // it has none, so it is refused with that reason rather than left pending.
    let seen = server.settled_mails().len();
    let (_, cookie) = send_code(&server, EMAIL);
    let (code, _) = mailed(&server, seen);
    sign_in_with(&server, &cookie, &code).assert_failure(403, "second-factor-required");
}

pub fn the_pages_work_as_plain_forms(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let html = [("accept", "text/html")];
    let page = server.get("/us-signin", &html);
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("action=\"/us-signin/send-code\""),
        "{}",
        page.text()
    );
    let login = server.get("/login", &html).text();
    assert!(login.contains("href=\"/us-signin\""), "{login}");
    let seen = server.settled_mails().len();
    let form = |path: &str, body: &str, cookie: &str| {
        server.send(
            "POST",
            path,
            &[
                ("accept", "text/html"),
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", cookie),
            ],
            body.as_bytes(),
        )
    };
    let sent = form(
        "/us-signin/send-code",
        "identity=ada%40example.com&chosen_method=email",
        "",
    );
    assert_eq!(sent.status, 200, "{}", sent.text());
    let text = sent.text();
    assert!(text.contains("autocomplete=\"one-time-code\""), "{text}");
    assert!(text.contains("inputmode=\"numeric\""), "{text}");
    let cookie = sent.cookie("sesame_us").unwrap();
    let (code, link) = mailed(&server, seen);
    let wrong_answer = form("/us-signin", &format!("code={}", wrong(&code)), &cookie);
    assert_eq!(wrong_answer.status, 401);
    assert!(
        wrong_answer.text().contains("role=\"alert\""),
        "{}",
        wrong_answer.text()
    );
    // The link in another browser shows the device-code form, not a session.
    let elsewhere = server.get(&link, &html);
    assert_eq!(elsewhere.status, 200);
    assert!(elsewhere.text().contains("action=\"/us-verify-link\""));
    assert!(elsewhere.cookie("sesame_session").is_none());
    let done = form("/us-signin", &format!("code={code}"), &cookie);
    assert_eq!(done.status, 303, "{}", done.text());
    assert!(done.cookie("sesame_session").is_some());
}

pub fn json_clients_keep_the_token_themselves(host: Host) {
    let server = start(host);
    server.register(EMAIL, PASSWORD);
    let seen = server.settled_mails().len();
    let r = server.post_json(
        "/us-signin/send-code",
        &json!({"identity": EMAIL, "include_token": true}),
        &[],
    );
    let token: Value = r.json()["us_token"].clone();
    assert!(token.is_string(), "{}", r.text());
    let (code, _) = mailed(&server, seen);
    let done = server.post_json(
        "/us-signin",
        &json!({"code": code, "us_token": token, "include_token": true}),
        &[],
    );
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.json()["token"].is_string());
}

pub fn an_authenticator_code_replaces_the_password_but_not_the_second_step(host: Host) {
    let server = host.start_fresh_reading_mail(&[("SESAME_US_METHODS", "password,authenticator")]);
    server.register(EMAIL, PASSWORD);
    let who = server.sign_in(EMAIL, PASSWORD);
    let app = crate::totp::Enrolled::enrol(&server, &who);
    let passcode = |code: &str| {
        server.post_json(
            "/us-signin",
            &json!({"identity": EMAIL, "passcode": code}),
            &[],
        )
    };
    // (Where the app is the only second factor, an app code as the first step is refused
    // with `second-factor-required`: core's tests hold that.) Recovery codes give it another.
    let codes = server.post_signed(&who, "/mf-recovery-codes", &json!({}));
    assert_eq!(codes.status, 200, "{}", codes.text());
    let pending = passcode(&app.next());
    assert_eq!(pending.status, 200, "{}", pending.text());
    assert_eq!(pending.json()["methods"], json!(["recovery-code"]));
    // Wrong codes and unknown accounts answer alike.
    passcode(app.wrong()).assert_failure(401, "invalid-credentials");
    server
        .post_json(
            "/us-signin",
            &json!({"identity": "nobody@example.com", "passcode": "000000"}),
            &[],
        )
        .assert_failure(401, "invalid-credentials");
    // A password still works as a passcode.
    let by_password = passcode(PASSWORD);
    assert_eq!(by_password.status, 200, "{}", by_password.text());
    assert_eq!(by_password.json()["tf_required"], true);
}
