use super::*;
use crate::config::Config;
use crate::store::MemStore;
use crate::testing::{FixedEnv, test_config};

struct Fixture {
    store: MemStore,
    env: FixedEnv,
    config: Config,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            store: MemStore::new(),
            env: FixedEnv::new(),
            config: test_config(),
        }
    }
    fn send(&self, req: Request) -> Response {
        let sesame = Sesame::new(&self.store, &self.env, &self.config).unwrap();
        handle(&sesame, &req)
    }
    fn json(&self, method: &str, path: &str, body: &str) -> Response {
        self.send(
            Request::new(method, path)
                .with_header("content-type", "application/json")
                .with_body(body.as_bytes().to_vec()),
        )
    }
}

fn body_json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn error_code(r: &Response) -> String {
    body_json(r)["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn register_login_me_logout() {
    let f = Fixture::new();
    let r = f.json(
        "POST",
        "/register",
        r#"{"email":"ada@example.com","password":"analytical engine"}"#,
    );
    assert_eq!(r.status, 202);
    let r = f.json(
        "POST",
        "/login",
        r#"{"email":"ada@example.com","password":"analytical engine"}"#,
    );
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
    let out = f.send(Request::new("POST", "/logout").with_header("cookie", &pair));
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
    f.json(
        "POST",
        "/register",
        r#"{"email":"ada@example.com","password":"analytical engine"}"#,
    );
    let r = f.json(
        "POST",
        "/login",
        r#"{"email":"ada@example.com","password":"analytical engine"}"#,
    );
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
    let cases: &[(&str, &str, Option<&str>, &[u8], u16, &str)] = &[
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
    let r = f.send(
        Request::new("GET", "/me")
            .with_header("cookie", &format!("sesame_session={}", "A".repeat(43))),
    );
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = f.send(Request::new("GET", "/me"));
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());
}

#[test]
fn every_code_has_a_distinct_spelling_and_a_4xx_or_5xx_status() {
    let mut seen = std::collections::HashSet::new();
    for code in ErrorCode::ALL {
        assert!(seen.insert(code.as_str()));
        assert!((400..600).contains(&code.http_status()));
    }
}
