use super::*;
use crate::error::ErrorCode;
use crate::testing::Fixture;

impl Fixture {
    /// `req` through the router.
    pub(crate) fn send(&self, req: Request) -> Response {
        handle(&self.sesame(), &req)
    }

    /// A JSON request with `body`.
    fn json(&self, method: &str, path: &str, body: &str) -> Response {
        self.json_with(method, path, &[], body)
    }

    /// A JSON post of an email and a password to `path` (`/register`, `/login`).
    fn sign(&self, path: &str, email: &str, password: &str) -> Response {
        let body = serde_json::json!({"email": email, "password": password});
        self.json("POST", path, &body.to_string())
    }

    /// A JSON request with `body` and extra headers.
    pub(crate) fn json_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let mut req = Request::new(method, path)
            .with_header("content-type", "application/json")
            .with_body(body.as_bytes().to_vec());
        for (name, value) in headers {
            req = req.with_header(name, value);
        }
        self.send(req)
    }
}

/// Every Set-Cookie value of the response.
pub(crate) fn set_cookies(r: &Response) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect()
}

pub(crate) fn body_json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// The `name=value` pair of the response's Set-Cookie.
fn cookie_pair(r: &Response) -> String {
    let cookie = r.header("set-cookie").expect("a Set-Cookie header");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// The status of `GET /me` with this cookie pair.
fn me_status(f: &Fixture, pair: &str) -> u16 {
    f.send(Request::new("GET", "/me").with_header("cookie", pair))
        .status
}

pub(crate) fn error_code(r: &Response) -> String {
    body_json(r)["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn register_login_me_logout() {
    let f = Fixture::new();
    let r = f.sign("/register", "ada@example.com", "analytical engine");
    assert_eq!(r.status, 202);
    let r = f.sign("/login", "ada@example.com", "analytical engine");
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("__Host-sesame_session="));
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = f.send(Request::new("GET", "/me").with_header("cookie", &pair));
    assert_eq!(me.status, 200);
    assert_eq!(body_json(&me)["user"]["email"], "ada@example.com");
    assert!(body_json(&me)["user"].get("password_hash").is_none());
    let csrf = body_json(&me)["csrf_token"].as_str().unwrap().to_owned();
    let out = f.send(Request::new("POST", "/logout").with_header("cookie", &pair));
    assert_eq!(
        (out.status, error_code(&out).as_str()),
        (403, "csrf-rejected")
    );
    let out = f.send(
        Request::new("POST", "/logout")
            .with_header("cookie", &pair)
            .with_header("x-csrf-token", &csrf),
    );
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let me = f.send(Request::new("GET", "/me").with_header("cookie", &pair));
    assert_eq!(me.status, 401);
    assert_eq!(error_code(&me), "unauthenticated");
}

#[test]
fn plain_loopback_cookies_are_not_secure() {
    let mut f = Fixture::new();
    f.config.cookie_secure = false;
    f.sign("/register", "ada@example.com", "analytical engine");
    let r = f.sign("/login", "ada@example.com", "analytical engine");
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with("sesame_session="));
    assert!(!cookie.contains("Secure"));
}

#[test]
fn html_forms_work_and_redirect() {
    let f = Fixture::new();
    let form = |path: &str, body: &str| {
        f.send(
            Request::new("POST", path)
                .with_header("accept", "text/html")
                .with_header("content-type", "application/x-www-form-urlencoded")
                .with_body(body.as_bytes().to_vec()),
        )
    };
    let r = form(
        "/register",
        "email=ada%40example.com&password=analytical+engine&username=",
    );
    assert_eq!(r.status, 202);
    assert!(String::from_utf8_lossy(&r.body).contains("<h1>Registration received</h1>"));
    let r = form(
        "/login",
        "email=ada%40example.com&password=analytical+engine",
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/me"));
    let r = form("/login", "email=ada%40example.com&password=wrong+wrong");
    assert_eq!(r.status, 401);
    let page = String::from_utf8_lossy(&r.body);
    assert!(page.contains("role=\"alert\"") && page.contains("<form"));
}

#[test]
fn html_escapes_user_data() {
    let f = Fixture::new();
    let r = f.send(Request::new("GET", "/nowhere<script>").with_header("accept", "text/html"));
    assert_eq!(r.status, 404);
    assert!(!String::from_utf8_lossy(&r.body).contains("<script>"));
    assert_eq!(
        pages::escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

#[test]
fn bad_input_table() {
    let f = Fixture::new();
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [u8], u16, &'a str);
    let cases: &[Case<'_>] = &[
        (
            "POST",
            "/login",
            Some("application/json"),
            b"{not json",
            400,
            "malformed-json",
        ),
        (
            "POST",
            "/login",
            Some("text/plain"),
            b"hi",
            415,
            "unsupported-media-type",
        ),
        ("POST", "/login", None, b"", 415, "unsupported-media-type"),
        (
            "POST",
            "/login",
            Some("application/json"),
            b"\xff\xfe",
            400,
            "invalid-encoding",
        ),
        (
            "POST",
            "/login",
            Some("application/json"),
            br#"{"email":1,"password":"x"}"#,
            400,
            "invalid-request",
        ),
        (
            "POST",
            "/login",
            Some("application/json"),
            br#"{"password":"x"}"#,
            400,
            "invalid-request",
        ),
        (
            "POST",
            "/register",
            Some("application/json"),
            br#"{"email":"nope","password":"long enough"}"#,
            422,
            "invalid-email",
        ),
        (
            "POST",
            "/register",
            Some("application/json"),
            br#"{"email":"a@example.com","password":"short"}"#,
            422,
            "weak-password",
        ),
        (
            "POST",
            "/register",
            Some("application/json"),
            br#"{"email":"a@example.com","password":"long enough","username":"x y"}"#,
            422,
            "invalid-username",
        ),
        ("GET", "/logout", None, b"", 405, "method-not-allowed"),
        ("DELETE", "/me", None, b"", 405, "method-not-allowed"),
        ("GET", "/nope", None, b"", 404, "not-found"),
    ];
    for (method, path, ct, body, status, code) in cases {
        let mut req = Request::new(method, path).with_body(body.to_vec());
        if let Some(ct) = ct {
            req = req.with_header("content-type", ct);
        }
        let r = f.send(req);
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (*status, *code),
            "{method} {path} {body:?}"
        );
        assert!(
            !body_json(&r)["error"]["message"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let huge = vec![b'a'; MAX_BODY_BYTES + 1];
    let r = f.json("POST", "/login", std::str::from_utf8(&huge).unwrap());
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (413, "payload-too-large")
    );
}

#[test]
fn forged_cookie_is_401_and_cleared() {
    let f = Fixture::new();
    let r = f.send(Request::new("GET", "/me").with_header(
        "cookie",
        &format!("__Host-sesame_session={}", "A".repeat(43)),
    ));
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = f.send(Request::new("GET", "/me"));
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());
}

/// A sign-in in progress that is missing (no pending second step, no code sign-in) answers
/// 401, but says nothing of the session the request carries: its cookie is not cleared, and
/// the session goes on working. A cleared cookie over a session still valid on the server
/// would leave the browser signed out while the session lives on; the routes that do sign out
/// end both.
#[test]
fn a_missing_sign_in_in_progress_keeps_the_session_and_its_cookie() {
    let mut f = Fixture::new();
    f.config
        .unified_sign_in
        .methods
        .push(crate::unified_sign_in::SignInMethod::Email);
    let (pair, csrf) = signed_in(&f);
    for (path, body) in [
        ("/us-signin", r#"{"code":"12345678"}"#),
        ("/tf-select", r#"{"method":"email"}"#),
    ] {
        let r = f.send(with_cookie("POST", path, &pair, Some(&csrf), body));
        assert_eq!(
            (path, r.status, error_code(&r).as_str()),
            (path, 401, "unauthenticated")
        );
        assert!(
            !set_cookies(&r)
                .iter()
                .any(|c| c.contains("sesame_session=") && c.contains("Max-Age=0")),
            "{path}: {:?}",
            set_cookies(&r)
        );
        assert_eq!(me_status(&f, &pair), 200, "{path}");
    }
    // Finishing a second step that is not there signs out, as /tf-validate does (Flask-
    // Security's behaviour): the session ends on the server and its cookie with it, never one
    // without the other.
    let r = f.send(with_cookie(
        "POST",
        "/tf-email",
        &pair,
        Some(&csrf),
        r#"{"code":"123456"}"#,
    ));
    assert_eq!(r.status, 401);
    assert!(
        set_cookies(&r)
            .iter()
            .any(|c| c.contains("sesame_session=") && c.contains("Max-Age=0"))
    );
    assert_eq!(me_status(&f, &pair), 401);
}

#[test]
fn every_code_has_a_distinct_spelling_and_a_4xx_or_5xx_status() {
    let mut seen = std::collections::HashSet::new();
    for code in ErrorCode::ALL {
        assert!(seen.insert(code.as_str()));
        assert!((400..600).contains(&code.http_status()));
    }
}

/// Registers ada and signs in; returns (cookie pair, csrf token).
fn signed_in(f: &Fixture) -> (String, String) {
    f.sign("/register", "ada@example.com", "analytical engine");
    let r = f.sign("/login", "ada@example.com", "analytical engine");
    assert_eq!(r.status, 200);
    let pair = cookie_pair(&r);
    let csrf = body_json(&r)["csrf_token"].as_str().unwrap().to_owned();
    (pair, csrf)
}

fn with_cookie(method: &str, path: &str, pair: &str, csrf: Option<&str>, body: &str) -> Request {
    let mut r = Request::new(method, path)
        .with_header("cookie", pair)
        .with_header("content-type", "application/json")
        .with_body(body.as_bytes().to_vec());
    if let Some(csrf) = csrf {
        r = r.with_header("x-csrf-token", csrf);
    }
    r
}

#[test]
fn csrf_rules() {
    let f = Fixture::new();
    let (pair, csrf) = signed_in(&f);
    let host = |r: Request| r.with_header("host", "auth.example.com");
    // Wrong token, missing token: refused.
    let r = f.send(host(with_cookie(
        "POST",
        "/logout-everywhere",
        &pair,
        Some("nope"),
        "",
    )));
    assert_eq!((r.status, error_code(&r).as_str()), (403, "csrf-rejected"));
    // Right token but another site's Origin: refused.
    let r = f.send(
        host(with_cookie(
            "POST",
            "/logout-everywhere",
            &pair,
            Some(&csrf),
            "",
        ))
        .with_header("origin", "https://evil.example"),
    );
    assert_eq!((r.status, error_code(&r).as_str()), (403, "csrf-rejected"));
    // A cross-site login form post is refused too (login CSRF).
    let r = f.send(host(
        Request::new("POST", "/login").with_header("origin", "https://evil.example"),
    ));
    assert_eq!(error_code(&r), "csrf-rejected");
    // Form field works, with a same-origin Origin.
    let r = f.send(
        host(Request::new("POST", "/sessions/revoke"))
            .with_header("origin", "https://auth.example.com")
            .with_header("cookie", &pair)
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(format!("csrf_token={csrf}&id=0000").into_bytes()),
    );
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (404, "not-found"),
        "passed CSRF, then no such session"
    );
    // Bearer requests need no CSRF token.
    let r = f.json(
        "POST",
        "/login",
        r#"{"email":"ada@example.com","password":"analytical engine","include_token":true}"#,
    );
    let token = body_json(&r)["token"].as_str().unwrap().to_owned();
    let r = f.send(
        Request::new("POST", "/logout")
            .with_header("authorization", &format!("Bearer {token}"))
            .with_header("origin", "https://elsewhere.example"),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn change_password_ends_other_sessions_and_rotates_this_one() {
    let f = Fixture::new();
    let (pair, csrf) = signed_in(&f);
    let other = cookie_pair(&f.sign("/login", "ada@example.com", "analytical engine"));
    let change = |body: &str| f.send(with_cookie("POST", "/change", &pair, Some(&csrf), body));
    let wrong = change(r#"{"password":"not it","new_password":"difference engine"}"#);
    assert_eq!(
        (wrong.status, error_code(&wrong).as_str()),
        (401, "invalid-credentials")
    );
    let weak = change(r#"{"password":"analytical engine","new_password":"short"}"#);
    assert_eq!(error_code(&weak), "weak-password");
    let r = change(r#"{"password":"analytical engine","new_password":"difference engine"}"#);
    assert_eq!(r.status, 200);
    let new_pair = cookie_pair(&r);
    assert_ne!(new_pair, pair);
    for old in [&pair, &other] {
        assert_eq!(me_status(&f, old), 401);
    }
    assert_eq!(me_status(&f, &new_pair), 200);
    let r = f.sign("/login", "ada@example.com", "difference engine");
    assert_eq!(r.status, 200);
    let r = f.sign("/login", "ada@example.com", "analytical engine");
    assert_eq!(r.status, 401);
}

#[test]
fn list_and_revoke_sessions_only_ones_own() {
    let f = Fixture::new();
    let (pair, csrf) = signed_in(&f);
    let second = f.send(
        Request::new("POST", "/login")
            .with_header("content-type", "application/json")
            .with_header("user-agent", "Phone/1.0")
            .with_peer("192.0.2.7".parse().unwrap())
            .with_body(br#"{"email":"ada@example.com","password":"analytical engine"}"#.to_vec()),
    );
    let second_pair = cookie_pair(&second);
    let list = f.send(with_cookie("GET", "/sessions", &pair, None, ""));
    let sessions = body_json(&list)["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone = sessions
        .iter()
        .find(|s| s["user_agent"] == "Phone/1.0")
        .unwrap();
    assert_eq!(phone["address"], "192.0.2.7");

    // Grace cannot end Ada's session.
    f.sign("/register", "grace@example.com", "cobol compiler");
    let g = f.sign("/login", "grace@example.com", "cobol compiler");
    let g_pair = cookie_pair(&g);
    let g_csrf = body_json(&g)["csrf_token"].as_str().unwrap().to_owned();
    let body = format!(r#"{{"id":"{}"}}"#, phone["id"].as_str().unwrap());
    let post = |path: &str, pair: &str, csrf: &str, body: &str| {
        f.send(with_cookie("POST", path, pair, Some(csrf), body))
    };
    let r = post("/sessions/revoke", &g_pair, &g_csrf, &body);
    assert_eq!(r.status, 404);
    assert_eq!(me_status(&f, &second_pair), 200);

    // Ada can.
    let r = post("/sessions/revoke", &pair, &csrf, &body);
    assert_eq!(r.status, 200);
    assert_eq!(me_status(&f, &second_pair), 401);

    // Sign out everywhere ends the rest.
    let r = post("/logout-everywhere", &pair, &csrf, "");
    assert_eq!(body_json(&r)["sessions_ended"], 1);
    assert_eq!(me_status(&f, &pair), 401);
    assert_eq!(me_status(&f, &g_pair), 200);
}

#[test]
fn forward_auth_checks_roles_and_permissions() {
    let f = Fixture::new();
    let (pair, _) = signed_in(&f);
    let check = |q: &str| {
        f.send(Request::new("GET", &format!("/auth/check{q}")).with_header("cookie", &pair))
    };
    let r = check("");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-sesame-email"), Some("ada@example.com"));
    assert_eq!(r.header("x-sesame-user").map(str::len), Some(32));
    assert_eq!(check("?role=editor").status, 403);
    let sesame = f.sesame();
    sesame
        .put_role(&crate::roles::Role {
            name: "editor".into(),
            description: String::new(),
            permissions: vec!["posts:write".into()],
        })
        .unwrap();
    sesame.grant_role("ada@example.com", "editor").unwrap();
    assert_eq!(check("?role=editor&permission=posts%3Awrite").status, 200);
    let missing = check("?role=editor&permission=posts:delete");
    assert_eq!(
        (missing.status, error_code(&missing).as_str()),
        (403, "forbidden")
    );
    assert_eq!(check("?colour=blue").status, 400);
    let anonymous = f.send(Request::new("GET", "/auth/check?role=editor"));
    assert_eq!(
        (anonymous.status, error_code(&anonymous).as_str()),
        (401, "unauthenticated")
    );
    let me = f.send(Request::new("GET", "/me").with_header("cookie", &pair));
    assert_eq!(
        body_json(&me)["permissions"],
        serde_json::json!(["posts:write"])
    );
}

#[test]
fn throttling_per_account_and_per_address_with_retry_after() {
    let f = Fixture::new();
    f.sign("/register", "ada@example.com", "analytical engine");
    let attempt = |email: &str, addr: &str| {
        f.send(
            Request::new("POST", "/login")
                .with_header("content-type", "application/json")
                .with_peer(addr.parse().unwrap())
                .with_body(
                    format!(r#"{{"email":"{email}","password":"wrong wrong"}}"#).into_bytes(),
                ),
        )
    };
    let per_account = f.config.throttle.login_per_account;
    // Spread over addresses so only the account limit applies; unknown accounts count alike.
    for i in 0..per_account {
        assert_eq!(
            attempt("ghost@example.com", &format!("192.0.2.{i}")).status,
            401
        );
    }
    let r = attempt("ghost@example.com", "192.0.2.200");
    assert_eq!((r.status, error_code(&r).as_str()), (429, "rate-limited"));
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Another account from a fresh address is unaffected.
    assert_eq!(attempt("ada@example.com", "198.51.100.1").status, 401);
    // One address trying many accounts hits the address limit.
    let per_address = f.config.throttle.login_per_address;
    let statuses: Vec<u16> = (0..per_address + 1)
        .map(|i| attempt(&format!("user{i}@example.com"), "203.0.113.5").status)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1);
    assert_eq!(*statuses.last().unwrap(), 429);
    // The window passes.
    f.advance(f.config.throttle.window_ms);
    assert_eq!(attempt("ghost@example.com", "192.0.2.200").status, 401);
}

#[test]
fn every_answer_carries_the_security_headers() {
    let f = Fixture::new();
    for r in [
        f.send(Request::new("GET", "/login").with_header("accept", "text/html")),
        f.send(Request::new("GET", "/me")),
        f.json("POST", "/login", "{"),
    ] {
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
}

/// A failure inside Sesame tells the client only to look in the log, and hands the adapter
/// what the log must say; a refusal the client caused carries nothing for the log.
#[test]
fn internal_failures_carry_their_cause_for_the_log_and_never_to_the_client() {
    use crate::store::{Entry, Page, Store, StoreError, Write};
    struct Unreachable;
    impl Store for Unreachable {
        fn get(&self, _: &str) -> std::result::Result<Option<Entry>, StoreError> {
            Err(StoreError::Unavailable("connection refused".into()))
        }
        fn write(&self, _: Write<'_>) -> std::result::Result<u64, StoreError> {
            Err(StoreError::Unavailable("connection refused".into()))
        }
        fn delete(&self, _: &str, _: Option<u64>) -> std::result::Result<bool, StoreError> {
            Err(StoreError::Unavailable("connection refused".into()))
        }
        fn list(&self, _: Page<'_>) -> std::result::Result<Vec<(String, Entry)>, StoreError> {
            Err(StoreError::Unavailable("connection refused".into()))
        }
    }
    let f = Fixture::new();
    let sesame = crate::Sesame::new(&Unreachable, &f.env, &f.config).unwrap();
    let login = Request::new("POST", "/login")
        .with_header("content-type", "application/json")
        .with_body(br#"{"email":"ada@example.com","password":"analytical engine"}"#.to_vec());
    let failed = handle(&sesame, &login);
    assert_eq!(failed.status, 503);
    let fault = failed.fault.as_deref().unwrap();
    assert!(fault.starts_with("POST /login: "), "{fault}");
    assert!(fault.contains("connection refused"), "{fault}");
    let body = String::from_utf8(failed.body).unwrap();
    assert!(!body.contains("connection refused"), "{body}");

    let refused = f.send(
        Request::new("POST", "/login")
            .with_header("content-type", "application/json")
            .with_body(br#"{"email":"ada@example.com","password":"wrong"}"#.to_vec()),
    );
    assert_eq!(refused.status, 401);
    assert_eq!(refused.fault, None);

    // Readiness says whether the store answers; liveness does not ask it.
    let ready = handle(&sesame, &Request::new("GET", "/readyz"));
    assert_eq!(
        (ready.status, error_code(&ready).as_str()),
        (503, "store-unavailable")
    );
    assert_eq!(
        handle(&sesame, &Request::new("GET", "/healthz")).status,
        200
    );
    let ready = f.send(Request::new("GET", "/readyz"));
    assert_eq!(ready.status, 200);
    assert_eq!(body_json(&ready)["status"], "ready");
}

/// Every answer names the route that answered (a bounded set of values, for the adapter's
/// metrics) and the user whose login a route checked (for its log); neither is a header.
#[test]
fn answers_name_their_route_and_checked_user_for_the_adapter() {
    let f = Fixture::registered();
    let r = f.sign("/login", "ada@example.com", "analytical engine");
    assert_eq!(r.route, Some("/login"));
    let pair = cookie_pair(&r);
    let me = f.send(Request::new("GET", "/me").with_header("cookie", &pair));
    let id = body_json(&me)["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (me.route, me.user_id.as_deref()),
        (Some("/me"), Some(id.as_str()))
    );
    let unknown = f.send(Request::new("GET", "/no/such/thing/4d1f"));
    assert_eq!((unknown.route, unknown.user_id), (None, None));
    let stranger = f.send(Request::new("GET", "/me"));
    assert_eq!((stranger.route, stranger.user_id), (Some("/me"), None));
    assert!(
        me.headers
            .iter()
            .all(|(name, _)| !name.starts_with("sesame-internal"))
    );
}
