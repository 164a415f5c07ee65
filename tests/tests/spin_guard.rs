//! Sesame in front of another Spin app: `examples/spin-guard/spin.toml` (Sesame on `/...`, the
//! guard on `/app/...`, the app private) under `spin-test-host`, with the components built for
//! wasm32-wasip2, real HTTP on loopback. The app echoes the identity headers it got, so every
//! case sees exactly what reached it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use sesame_tests::accounts::{EMAIL, PASSWORD, tokens};
use sesame_tests::{Reply, Server, repo_root, spin_guard_command};

/// The example's manifest.
fn example_manifest() -> PathBuf {
    repo_root().join("examples/spin-guard/spin.toml")
}

/// `spin-test-host` serving the app of `manifest` with the built components, Sesame's database
/// in `dir`, and the application variables `variables`; its log in `dir`.
fn guarded_with(manifest: &Path, dir: &Path, variables: &[(&str, &str)]) -> Server {
    let mut cmd = spin_guard_command(manifest, &dir.join("sesame.db"));
    for (name, value) in variables {
        cmd.args(["--variable", &format!("{name}={value}")]);
    }
    cmd.stderr(std::fs::File::create(dir.join("spin.log")).expect("the log file"));
    Server::spawn(cmd)
}

/// The example app as its manifest says, with `variables`.
fn guarded(dir: &Path, variables: &[(&str, &str)]) -> Server {
    guarded_with(&example_manifest(), dir, variables)
}

/// A signed-in session cookie of [`EMAIL`], registered and signed in through Sesame's routes
/// on the app's origin.
fn signed_in(server: &Server) -> String {
    server.register(EMAIL, PASSWORD);
    server.login(EMAIL, PASSWORD)
}

/// The value the app echoes for header `name` (`-` when it got none); `None` when the answer
/// is not the app's.
fn echoed(reply: &Reply, name: &str) -> Option<String> {
    let text = reply.text();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .map(str::to_owned)
}

/// Whether the answer came from the app.
fn from_app(reply: &Reply) -> bool {
    echoed(reply, "request").is_some()
}

/// An anonymous browser is sent to Sesame's sign-in page with the URL it wanted; a program
/// gets Sesame's 401 JSON, and so does a browser's form post (a redirect would drop its
/// body); nothing reaches the app.
#[test]
fn the_anonymous_are_sent_to_sign_in_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let r = server.get("/app/x?y=1", &[("accept", "text/html,*/*")]);
    assert_eq!(r.status, 302, "{}", r.text());
    let port = server.base.rsplit(':').next().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/login?rd=http%3A%2F%2F127.0.0.1%3A{port}%2Fapp%2Fx%3Fy%3D1").as_str())
    );
    // The page it names is Sesame's sign-in page, on the same origin.
    let page = server.get("/login", &[("accept", "text/html")]);
    assert_eq!(page.status, 200);

    let api = server.get("/app/x", &[("accept", "application/json")]);
    api.assert_failure(401, "unauthenticated");
    let post = server.send("POST", "/app/x", &[("accept", "text/html")], b"a=1");
    post.assert_failure(401, "unauthenticated");
    assert!(!from_app(&r) && !from_app(&api) && !from_app(&post));
}

/// Signed in through Sesame's routes on the same origin, the browser reaches the app, which is
/// told who it serves; a POST body arrives whole; after logout the same cookie no longer
/// passes.
#[test]
fn a_session_passes_until_logout_and_the_app_learns_who() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(echoed(&r, "remote-user").as_deref(), Some(EMAIL));
    assert_eq!(echoed(&r, "remote-email").as_deref(), Some(EMAIL));
    assert_eq!(echoed(&r, "request").as_deref(), Some("GET /app/x"));

    let body: String = (0..4000).map(|i| format!("{i},")).collect();
    let posted = server.send(
        "POST",
        "/app/submit?q=2",
        &[("cookie", &cookie), ("content-type", "text/plain")],
        body.as_bytes(),
    );
    assert_eq!(posted.status, 200, "{}", posted.text());
    assert_eq!(
        echoed(&posted, "request").as_deref(),
        Some("POST /app/submit?q=2")
    );
    assert_eq!(echoed(&posted, "body").as_deref(), Some(body.as_str()));

    let who = server.signed(cookie.clone());
    let out = server.post_signed(&who, "/logout", &json!({}));
    assert!(out.status < 300, "logout: {}", out.text());
    let after = server.get("/app/x", &[("cookie", &cookie)]);
    after.assert_failure(401, "unauthenticated");
    assert!(!from_app(&after));
}

/// An access token from `POST /tokens` passes as `Authorization: Bearer`: Sesame's check
/// accepts it, so the guard needs no key of its own.
#[test]
fn a_bearer_access_token_passes() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    server.register(EMAIL, PASSWORD);
    let pair = tokens(&server);
    let token = pair["access_token"].as_str().unwrap();
    let r = server.get("/app/api", &[("authorization", &format!("Bearer {token}"))]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(echoed(&r, "remote-user").as_deref(), Some(EMAIL));
    let forged = server.get("/app/api", &[("authorization", "Bearer not-a-token")]);
    assert_eq!(forged.status, 401, "{}", forged.text());
    assert!(!from_app(&forged));
}

/// Identity and forwarding headers a client sends never reach the app: signed in, the app
/// sees only the person Sesame names and the address and host the guard saw; anonymous, the
/// request does not reach the app at all.
#[test]
fn identity_and_forwarding_headers_from_the_client_never_reach_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let spoofed = [
        ("remote-user", "admin"),
        ("remote-email", "admin@example.com"),
        ("remote-groups", "admin"),
        ("x-sesame-user", "someone-else"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-uri", "/public"),
        ("x-forwarded-method", "GET"),
        ("forwarded", "for=203.0.113.9"),
        ("spin-client-addr", "203.0.113.9:1"),
    ];
    let anonymous = server.get("/app/x", &spoofed);
    anonymous.assert_failure(401, "unauthenticated");
    assert!(!from_app(&anonymous));

    let cookie = signed_in(&server);
    let mut headers = spoofed.to_vec();
    headers.push(("cookie", &cookie));
    let r = server.get("/app/x", &headers);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(echoed(&r, "remote-user").as_deref(), Some(EMAIL));
    assert_eq!(echoed(&r, "remote-email").as_deref(), Some(EMAIL));
    let user = echoed(&r, "x-sesame-user").unwrap();
    assert!(
        !user.contains("someone-else") && !user.contains('|'),
        "{user}"
    );
    assert_eq!(echoed(&r, "x-forwarded-for").as_deref(), Some("127.0.0.1"));
    let host = server.base.trim_start_matches("http://");
    assert_eq!(echoed(&r, "x-forwarded-host").as_deref(), Some(host));
}

/// The app's component has no route: nothing from outside reaches it but through the guard,
/// whatever the path or the `Host` a client names (`app.spin.internal` included).
#[test]
fn the_private_app_is_not_reachable_around_the_guard() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let r = server.get("/hello", &[]);
    r.assert_failure(404, "not-found");
    let raw = raw_get(&server, "/", "app.spin.internal");
    assert!(!raw.contains("request: "), "{raw}");
    let raw = raw_get(&server, "/hello", "app.spin.internal");
    assert!(raw.starts_with("HTTP/1.1 404"), "{raw}");
}

/// A GET sent over a plain socket with `host` as the `Host` header; the whole answer.
fn raw_get(server: &Server, path: &str, host: &str) -> String {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// The access rules of the rules cases: `/app/admin` needs the `admin` role, the rest of the
/// app anyone signed in, everything else nobody.
const RULES: &str = r#"
default_policy = "deny"

[[rule]]
domain = "127.0.0.1"
path = "/app/admin"
subject = "role:admin"
policy = "one_factor"

[[rule]]
domain = "127.0.0.1"
path = "/app/admin"
policy = "deny"

[[rule]]
domain = "127.0.0.1"
path = "/app/"
policy = "one_factor"
"#;

/// With access rules in Sesame (and the guard's chained requests trusted as a proxy's), the
/// rules judge the request the guard describes: a person without the role gets 403 on the
/// role-gated path however the client describes its request, and passes elsewhere; an
/// anonymous browser gets Sesame's own redirect with the URL to return to.
#[test]
fn access_rules_judge_the_request_the_guard_describes() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(
        dir.path(),
        &[("access_rules", RULES), ("trusted_proxies", "0.0.0.0")],
    );
    let browser = server.get("/app/x", &[("accept", "text/html")]);
    assert_eq!(browser.status, 302, "{}", browser.text());
    let port = server.base.rsplit(':').next().unwrap();
    let location = browser.header("location").unwrap();
    assert!(
        location.ends_with(&format!(
            "/login?rd=http%3A%2F%2F127.0.0.1%3A{port}%2Fapp%2Fx"
        )),
        "{location}"
    );

    let cookie = signed_in(&server);
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(echoed(&r, "remote-user").as_deref(), Some(EMAIL));

    let admin = server.get(
        "/app/admin/panel",
        &[
            ("cookie", &cookie),
            ("x-forwarded-uri", "/app/x"),
            ("x-forwarded-method", "GET"),
        ],
    );
    admin.assert_failure(403, "forbidden");
    assert!(!from_app(&admin));
}

/// The guard fails closed: when it cannot ask Sesame (a component its manifest does not let it
/// reach, a host it does not list, Sesame failing), the answer is 503 `auth-unavailable` and
/// the request never reaches the app, even with a valid session.
#[test]
fn without_an_answer_from_sesame_nothing_is_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    server.stop();

    for sesame_url in ["http://other.spin.internal", "http://127.0.0.1:9"] {
        let server = guarded(dir.path(), &[("sesame_url", sesame_url)]);
        let r = server.get("/app/x", &[("cookie", &cookie)]);
        r.assert_failure(503, "auth-unavailable");
        assert!(!from_app(&r), "{sesame_url}");
        server.stop();
    }

    // A manifest whose guard may reach the app but not Sesame.
    let text = std::fs::read_to_string(example_manifest()).unwrap();
    let listed =
        r#"allowed_outbound_hosts = ["http://sesame.spin.internal", "http://app.spin.internal"]"#;
    assert!(
        text.contains(listed),
        "the example lists Sesame and the app"
    );
    let copy = dir.path().join("spin.toml");
    std::fs::write(
        &copy,
        text.replace(
            listed,
            r#"allowed_outbound_hosts = ["http://app.spin.internal"]"#,
        ),
    )
    .unwrap();
    let server = guarded_with(&copy, dir.path(), &[]);
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    r.assert_failure(503, "auth-unavailable");
    assert!(!from_app(&r));
    server.stop();

    // Sesame itself failing (an unusable secret: every answer is its 500).
    let server = guarded(dir.path(), &[("secret", "dG9vLXNob3J0")]);
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    r.assert_failure(503, "auth-unavailable");
    assert!(!from_app(&r));
}

/// A body larger than the app reads is streamed, not gathered by the guard: the app reads its
/// first 64 KiB and answers, and that answer reaches the client.
#[test]
fn a_large_body_is_streamed_to_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    let body = vec![b'x'; 4 << 20];
    let r = server.send("POST", "/app/upload", &[("cookie", &cookie)], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(echoed(&r, "body").map(|b| b.len()), Some(64 * 1024));
}

/// The sign-in redirect never leaves the origin: whatever `Host` a client names, the guard's
/// `Location` is a path on the origin the browser used, and the URL in `rd` is Sesame's to
/// accept or drop (it keeps only hosts its access rules protect, core's `return_to.rs`).
#[test]
fn the_sign_in_redirect_stays_on_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /app/x HTTP/1.1\r\nHost: evil.example\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 302"), "{answer}");
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap();
    assert!(location.starts_with("/login?rd="), "{location}");
}

/// Without access rules, `check_query` asks Sesame for more than a sign-in: a person without
/// the role it names gets Sesame's 403, and the app nothing.
#[test]
fn check_query_asks_for_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[("check_query", "role=admin")]);
    let cookie = signed_in(&server);
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    r.assert_failure(403, "forbidden");
    assert!(!from_app(&r));
}
