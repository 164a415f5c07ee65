//! End to end: the real `sesame` binary, a real SQLite file, real HTTP on loopback.

use serde_json::json;
use sesame_tests::{Server, admin};

const PW: &str = "analytical engine";

#[test]
fn register_login_me_logout_then_me_is_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);
    let cookie = server.login("ada@example.com", PW);

    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let user = &me.json()["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["id"].as_str().unwrap().len(), 32);
    assert!(
        !me.text().contains("argon2"),
        "no hash leaks: {}",
        me.text()
    );

    let out = server.send("POST", "/logout", &[("cookie", &cookie)], b"");
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

#[test]
fn restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = Server::start(&db);
    server.register("ada@example.com", PW);
    let cookie = server.login("ada@example.com", PW);
    server.stop();

    let server = Server::start(&db);
    // The user, the session and the host's secret all survived.
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let again = server.login("ada@example.com", PW);
    assert_ne!(again, cookie, "every login gets a fresh token");
}

#[test]
fn session_cookie_attributes_on_plain_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);
    let r = server.post_json(
        "/login",
        &json!({"email": "ada@example.com", "password": PW}),
        &[],
    );
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

#[test]
fn bearer_token_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);
    let r = server.post_json(
        "/login",
        &json!({"email": "ada@example.com", "password": PW, "include_token": true}),
        &[],
    );
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let me = server.get("/me", &[("authorization", &format!("Bearer {token}"))]);
    assert_eq!(me.status, 200);
}

#[test]
fn wrong_password_and_unknown_email_answer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);
    let wrong = server.post_json(
        "/login",
        &json!({"email": "ada@example.com", "password": "not it at all"}),
        &[],
    );
    let unknown = server.post_json(
        "/login",
        &json!({"email": "eve@example.com", "password": "not it at all"}),
        &[],
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        (wrong.status, wrong.body.clone()),
        (unknown.status, unknown.body.clone())
    );
    assert_eq!(wrong.error_code(), "invalid-credentials");
    assert!(wrong.header("set-cookie").is_none() && unknown.header("set-cookie").is_none());

    // Registering a taken email answers exactly like a new one, and does not take it over.
    let again = server.post_json(
        "/register",
        &json!({"email": "ada@example.com", "password": "another password"}),
        &[],
    );
    let fresh = server.post_json(
        "/register",
        &json!({"email": "bob@example.com", "password": "another password"}),
        &[],
    );
    assert_eq!(
        (again.status, again.body.clone()),
        (fresh.status, fresh.body.clone())
    );
    server.login("ada@example.com", PW);
}

#[test]
fn bad_input_gets_clear_4xx_never_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    server.register("ada@example.com", PW);
    let json_ct = ("content-type", "application/json");
    let huge = vec![b' '; 70 * 1024];
    let cases: Vec<(&str, &str, Vec<(&str, &str)>, &[u8], u16, &str)> = vec![
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
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    // Nothing was lost along the way.
    server.login("ada@example.com", PW);
}

#[test]
fn expired_session_is_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        &dir.path().join("sesame.db"),
        &[("SESAME_SESSION_ABSOLUTE_SECS", "1")],
    );
    server.register("ada@example.com", PW);
    let cookie = server.login("ada@example.com", PW);
    assert_eq!(server.get("/me", &[("cookie", &cookie)]).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(
        (me.status, me.error_code().as_str()),
        (401, "unauthenticated")
    );
}

#[test]
fn html_forms_for_browsers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
    let html = ("accept", "text/html,application/xhtml+xml");
    let form = ("content-type", "application/x-www-form-urlencoded");
    let page = server.get("/login", &[html]);
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains("<form method=\"post\" action=\"/login\">")
    );
    let r = server.send(
        "POST",
        "/register",
        &[html, form],
        b"email=ada%40example.com&password=analytical+engine",
    );
    assert_eq!(r.status, 202);
    let r = server.send(
        "POST",
        "/login",
        &[html, form],
        b"email=ada%40example.com&password=analytical+engine",
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/me"));
    let cookie = r.cookie_pair().unwrap();
    let me = server.get("/me", &[html, ("cookie", &cookie)]);
    assert_eq!(me.status, 200);
    assert!(me.header("content-type").unwrap().starts_with("text/html"));
    assert!(me.text().contains("ada@example.com"));
    let bad = server.send(
        "POST",
        "/login",
        &[html, form],
        b"email=ada%40example.com&password=wrong",
    );
    assert_eq!(bad.status, 401);
    assert!(bad.text().contains("role=\"alert\""));
}

#[test]
fn admin_cli_adds_and_lists_users_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let (ok, out, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "root@example.com",
            "--password-stdin",
            "--role",
            "admin",
        ],
        "correct horse battery\n",
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("root@example.com"));

    // The component's rules apply to the CLI too.
    let (ok, _, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "weak@example.com",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok);
    assert!(err.contains("at least 8"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "root@example.com",
            "--password-stdin",
        ],
        "another long one\n",
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");

    let (ok, out, err) = admin(&db, &["user", "list", "--json"], "");
    assert!(ok, "{err}");
    let users: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "root@example.com");
    assert_eq!(users[0]["roles"], json!(["admin"]));

    let server = Server::start(&db);
    let cookie = server.login("root@example.com", "correct horse battery");
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.json()["user"]["roles"], json!(["admin"]));
}
