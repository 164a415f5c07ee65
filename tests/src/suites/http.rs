//! Sesame's HTTP behaviour, shared by every server that runs it: the account, session, CSRF,
//! enumeration, lockout, throttling and bad-input rules over real HTTP on loopback.

use serde_json::json;

use crate::Host;
use crate::accounts::{EMAIL, PASSWORD};

pub fn register_login_me_logout_then_me_is_401(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let cookie = server.login(EMAIL, PASSWORD);

    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let user = &me.json()["user"];
    assert_eq!(user["email"], EMAIL);
    assert_eq!(user["id"].as_str().unwrap().len(), 32);
    assert!(
        !me.text().contains("argon2"),
        "no hash leaks: {}",
        me.text()
    );

    let csrf = me.json()["csrf_token"].as_str().unwrap().to_owned();
    let refused = server.send("POST", "/logout", &[("cookie", &cookie)], b"");
    refused.assert_failure(403, "csrf-rejected");
    let out = server.send(
        "POST",
        "/logout",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        b"",
    );
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));

    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 401);
    assert_eq!(me.error_code(), "unauthenticated");
    assert!(
        me.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
}

pub fn restart_loses_nothing(host: Host) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = host.start(&db);
    server.register(EMAIL, PASSWORD);
    let cookie = server.login(EMAIL, PASSWORD);
    server.stop();

    let server = host.start(&db);
    // The user, the session and the host's secret all survived.
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let again = server.login(EMAIL, PASSWORD);
    assert_ne!(again, cookie, "every login gets a fresh token");
}

pub fn session_cookie_attributes_on_plain_loopback(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let r = server.attempt_login(EMAIL, PASSWORD);
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with("sesame_session="), "{cookie}");
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("sesame_session=");
    assert_eq!(token.len(), 43, "256-bit token, base64url");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: {cookie}"
    );
    assert!(
        r.json().get("token").is_none(),
        "the token is not in the body unless asked"
    );
}

pub fn bearer_token_when_asked_for(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let r = server.post_json(
        "/login",
        &json!({"email": EMAIL, "password": PASSWORD, "include_token": true}),
        &[],
    );
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let me = server.get("/me", &[("authorization", &format!("Bearer {token}"))]);
    assert_eq!(me.status, 200);
}

pub fn wrong_password_and_unknown_email_answer_alike(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let wrong = server.attempt_login(EMAIL, "not it at all");
    let unknown = server.attempt_login("eve@example.com", "not it at all");
    assert_eq!(wrong.status, 401);
    assert_eq!(
        (wrong.status, wrong.body.clone()),
        (unknown.status, unknown.body.clone())
    );
    assert_eq!(wrong.error_code(), "invalid-credentials");
    assert!(wrong.header("set-cookie").is_none() && unknown.header("set-cookie").is_none());

    // Registering a taken email answers exactly like a new one, and does not take it over.
    let again = server.post_credentials("/register", EMAIL, "another password");
    let fresh = server.post_credentials("/register", "bob@example.com", "another password");
    assert_eq!(
        (again.status, again.body.clone()),
        (fresh.status, fresh.body.clone())
    );
    server.login(EMAIL, PASSWORD);

    // A taken username answers like a free one too: which usernames exist stays unknown.
    let first = server.post_json(
        "/register",
        &json!({"email": "grace@example.com", "password": "another password", "username": "grace"}),
        &[],
    );
    let clash = server.post_json(
        "/register",
        &json!({"email": "eve@example.com", "password": "another password", "username": "Grace"}),
        &[],
    );
    assert_eq!(
        (clash.status, clash.body.clone()),
        (first.status, first.body.clone())
    );
    assert_eq!(clash.status, 202);
    server.login("grace", "another password");
}

pub fn bad_input_gets_clear_4xx_never_5xx(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let json_ct = ("content-type", "application/json");
    let huge = vec![b' '; 70 * 1024];
    /// Method, path, headers, body, expected status and error code.
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<(&'a str, &'a str)>,
        &'a [u8],
        u16,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            "/login",
            vec![json_ct],
            b"{\"email\": ",
            400,
            "malformed-json",
        ),
        (
            "POST",
            "/login",
            vec![("content-type", "text/plain")],
            b"email=a",
            415,
            "unsupported-media-type",
        ),
        (
            "POST",
            "/login",
            vec![],
            b"{}",
            415,
            "unsupported-media-type",
        ),
        (
            "POST",
            "/login",
            vec![json_ct],
            &huge,
            413,
            "payload-too-large",
        ),
        (
            "POST",
            "/login",
            vec![json_ct],
            b"{\"email\":\"\xff\xfe\",\"password\":\"x\"}",
            400,
            "invalid-encoding",
        ),
        (
            "POST",
            "/login",
            vec![("content-type", "application/x-www-form-urlencoded")],
            b"email=%C3%28&password=x",
            400,
            "invalid-encoding",
        ),
        (
            "POST",
            "/login",
            vec![json_ct],
            b"{\"email\":[],\"password\":\"x\"}",
            400,
            "invalid-request",
        ),
        (
            "POST",
            "/login",
            vec![json_ct],
            b"null",
            400,
            "invalid-request",
        ),
        (
            "POST",
            "/register",
            vec![json_ct],
            b"{\"email\":\"not-an-email\",\"password\":\"analytical engine\"}",
            422,
            "invalid-email",
        ),
        (
            "POST",
            "/register",
            vec![json_ct],
            b"{\"email\":\"x@example.com\",\"password\":\"short\"}",
            422,
            "weak-password",
        ),
        (
            "POST",
            "/register",
            vec![json_ct],
            b"{\"email\":\"x@example.com\",\"password\":\"password2024\"}",
            422,
            "weak-password",
        ),
        (
            "GET",
            "/me",
            vec![("cookie", "sesame_session=forged-and-short")],
            b"",
            401,
            "unauthenticated",
        ),
        (
            "GET",
            "/me",
            vec![(
                "cookie",
                "sesame_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            )],
            b"",
            401,
            "unauthenticated",
        ),
        (
            "GET",
            "/me",
            vec![("authorization", "Bearer not-a-token")],
            b"",
            401,
            "unauthenticated",
        ),
        (
            "GET",
            "/me",
            vec![("authorization", "Basic YWRhOnB3")],
            b"",
            401,
            "unauthenticated",
        ),
        ("PUT", "/login", vec![], b"", 405, "method-not-allowed"),
        ("GET", "/no/such/route", vec![], b"", 404, "not-found"),
    ];
    for (method, path, headers, body, status, code) in cases {
        let r = server.send(method, path, &headers, body);
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{method} {path} {:?}: {}",
            String::from_utf8_lossy(&body[..body.len().min(60)]),
            r.text()
        );
        assert!(!r.error_message().is_empty());
    }
    // Nothing was lost along the way.
    server.login(EMAIL, PASSWORD);
}

pub fn expired_session_is_401(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_SESSION_ABSOLUTE_SECS", "1")]);
    server.register(EMAIL, PASSWORD);
    let cookie = server.login(EMAIL, PASSWORD);
    assert_eq!(server.get("/me", &[("cookie", &cookie)]).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let me = server.get("/me", &[("cookie", &cookie)]);
    me.assert_failure(401, "unauthenticated");
}

pub fn html_forms_for_browsers(host: Host) {
    let server = host.start_fresh();
    let html = ("accept", "text/html,application/xhtml+xml");
    let form = ("content-type", "application/x-www-form-urlencoded");
    let post_form = |path: &str, body: &[u8]| server.send("POST", path, &[html, form], body);
    let page = server.get("/login", &[html]);
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains("<form method=\"post\" action=\"/login\"")
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    // The page's stylesheet is served under its hash, cacheable, and may be loaded.
    let sheet = page
        .text()
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("the page links its stylesheet");
    let css = server.get(&sheet, &[]);
    assert_eq!(css.status, 200);
    assert!(css.text().contains("prefers-color-scheme"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|p| p.contains("style-src 'self'"))
    );
    let credentials = b"email=ada%40example.com&password=analytical+engine";
    assert_eq!(post_form("/register", credentials).status, 202);
    let r = post_form("/login", credentials);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/me"));
    let cookie = r.cookie_pair().unwrap();
    let me = server.get("/me", &[html, ("cookie", &cookie)]);
    assert_eq!(me.status, 200);
    assert!(me.header("content-type").unwrap().starts_with("text/html"));
    assert!(me.text().contains(EMAIL));
    let bad = post_form("/login", b"email=ada%40example.com&password=wrong");
    assert_eq!(bad.status, 401);
    assert!(bad.text().contains("role=\"alert\""));
}

pub fn two_hundred_concurrent_logins_count_exactly(host: Host) {
    let server = host.start_fresh_with_env(&[
        ("SESAME_THROTTLE_LOGIN_PER_IP", "1000"),
        ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "1000"),
        // Counting is what is tested. Cheap hashes keep 200 sign-ins quick where the
        // component hashes inside the sandbox (Spin) on a busy machine.
        ("SESAME_ARGON2_M_KIB", "256"),
        ("SESAME_ARGON2_T", "1"),
    ]);
    server.register(EMAIL, PASSWORD);
    // A sign-in refused for hashing load (`503 busy`, nothing counted) is retried, as its
    // Retry-After asks; every other answer must be a sign-in.
    let login_retrying = || loop {
        let r = server.attempt_login(EMAIL, PASSWORD);
        if r.status == 503 && r.error_code() == "busy" {
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        }
        assert_eq!(r.status, 200, "{}", r.text());
        return;
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200).map(|_| scope.spawn(login_retrying)).collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let cookie = server.login(EMAIL, PASSWORD);
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.json()["user"]["tracking"]["login_count"], 201);
    assert_eq!(
        me.json()["user"]["tracking"]["current_login_ip"],
        "127.0.0.1"
    );
}

pub fn locked_account_answers_exactly_like_a_wrong_password(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_LOCKOUT_THRESHOLD", "3")]);
    server.register(EMAIL, PASSWORD);
    let attempt = |pw: &str| server.attempt_login(EMAIL, pw);
    let wrong = attempt("not the password");
    for _ in 0..2 {
        attempt("not the password");
    }
    let locked = attempt(PASSWORD);
    assert_eq!(
        (locked.status, locked.body.clone()),
        (wrong.status, wrong.body.clone())
    );
    assert!(locked.header("set-cookie").is_none());
}

pub fn change_password_over_http_ends_other_sessions(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let other = server.login(EMAIL, PASSWORD);
    let cookie = server.login(EMAIL, PASSWORD);
    let csrf = server.get("/me", &[("cookie", &cookie)]).json()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = server.post_json(
        "/change",
        &json!({"password": PASSWORD, "new_password": "difference engine", "new_password_confirm": "difference engine"}),
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let fresh = r.cookie_pair().unwrap();
    assert_eq!(server.get("/me", &[("cookie", &other)]).status, 401);
    assert_eq!(server.get("/me", &[("cookie", &cookie)]).status, 401);
    assert_eq!(server.get("/me", &[("cookie", &fresh)]).status, 200);
    server.login(EMAIL, "difference engine");
}

pub fn client_address_comes_from_the_connection_not_the_client(host: Host) {
    let server = host.start_fresh();
    server.register(EMAIL, PASSWORD);
    let r = server.post_json(
        "/login",
        &json!({"email": EMAIL, "password": PASSWORD}),
        &[
            ("sesame-client-addr", "203.0.113.9"),
            ("user-agent", "Laptop/2.0"),
        ],
    );
    let cookie = r.cookie_pair().unwrap();
    let list = server.get("/sessions", &[("cookie", &cookie)]).json();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0]["address"], "127.0.0.1",
        "the forged header was replaced"
    );
    assert_eq!(sessions[0]["user_agent"], "Laptop/2.0");
}

pub fn throttled_logins_get_429_with_retry_after(host: Host) {
    let server = host.start_fresh_with_env(&[("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "3")]);
    let attempt = || server.attempt_login("nobody@example.com", "whatever it is");
    for _ in 0..3 {
        assert_eq!(attempt().status, 401);
    }
    let r = attempt();
    r.assert_failure(429, "rate-limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    // Until the full window has passed and slid far enough for one more (a third of a
    // minute with a limit of 3).
    assert!((1..=81).contains(&retry), "{retry}");
}

/// Failed sign-ins to a fresh account each, from `client` as `X-Forwarded-For` says.
fn forwarded_attempt(server: &crate::Server, client: &str, n: u32) -> u16 {
    server
        .post_json(
            "/login",
            &json!({"email": format!("user{n}@example.com"), "password": "wrong wrong wrong"}),
            &[("x-forwarded-for", client)],
        )
        .status
}

pub fn forwarded_clients_are_throttled_apart_only_behind_a_trusted_proxy(host: Host) {
    // The test connects from 127.0.0.1, standing in for the proxy.
    let server = host.start_fresh_with_env(&[
        ("SESAME_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("SESAME_THROTTLE_LOGIN_PER_IP", "2"),
    ]);
    assert_eq!(forwarded_attempt(&server, "192.0.2.1", 0), 401);
    assert_eq!(forwarded_attempt(&server, "192.0.2.1", 1), 401);
    assert_eq!(forwarded_attempt(&server, "192.0.2.1", 2), 429);
    assert_eq!(forwarded_attempt(&server, "192.0.2.2", 3), 401);
    // Prepending another address does not leave one's bucket.
    assert_eq!(forwarded_attempt(&server, "192.0.2.3, 192.0.2.1", 4), 429);
    drop(server);

    // Without the setting the header is ignored: everyone is 127.0.0.1.
    let server = host.start_fresh_with_env(&[("SESAME_THROTTLE_LOGIN_PER_IP", "2")]);
    assert_eq!(forwarded_attempt(&server, "192.0.2.1", 0), 401);
    assert_eq!(forwarded_attempt(&server, "192.0.2.2", 1), 401);
    assert_eq!(forwarded_attempt(&server, "192.0.2.3", 2), 429);
}
