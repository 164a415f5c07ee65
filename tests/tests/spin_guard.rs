//! Sesame in front of another Spin app: `examples/spin-guard/spin.toml` (Sesame on `/...`, the
//! guard on `/app/...`, the app private) under `spin-test-host`, with the components built for
//! wasm32-wasip2, real HTTP on loopback. The app echoes the identity headers it got and every
//! other header, so every case sees exactly what reached it. The app's public URL is the
//! example's default, `http://127.0.0.1:3000`, not the address the tests connect to: the guard
//! describes requests on the public URL, never on the `Host` a client sends.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use sesame_tests::accounts::{EMAIL, PASSWORD, tokens};
use sesame_tests::{Reply, Server, repo_root, spin_guard_command};

/// The example's default `public_url`, on which the guard describes every request.
const PUBLIC_URL: &str = "http://127.0.0.1:3000";

/// The host and port of [`PUBLIC_URL`].
const PUBLIC_HOST: &str = "127.0.0.1:3000";

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

/// Every header the app got, as it echoes them (`header <name>: <value>`).
fn headers_at_app(reply: &Reply) -> Vec<(String, String)> {
    reply
        .text()
        .lines()
        .filter_map(|line| line.strip_prefix("header "))
        .filter_map(|line| line.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
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
    assert_eq!(
        r.header("location"),
        Some(
            format!("{PUBLIC_URL}/login?rd=http%3A%2F%2F127.0.0.1%3A3000%2Fapp%2Fx%3Fy%3D1")
                .as_str()
        )
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
        // What a CGI/WSGI-style server files under the same variables as the dashed names.
        ("remote_user", "admin"),
        ("remote_groups", "admin"),
        ("x_sesame_user", "someone-else"),
        ("x_forwarded_host", "evil.example"),
        ("x_forwarded_for", "203.0.113.9"),
        ("x_real_ip", "203.0.113.9"),
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
    assert_eq!(echoed(&r, "x-forwarded-host").as_deref(), Some(PUBLIC_HOST));
    // Of every header the app got, those that read as identity or forwarding headers once
    // `_` is `-` are the guard's and Sesame's only.
    let ours = [
        "remote-user",
        "remote-email",
        "remote-groups",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
    ];
    for (name, value) in headers_at_app(&r) {
        let n = name.replace('_', "-");
        let spoofable = n.starts_with("remote-")
            || n.starts_with("x-sesame-")
            || n.starts_with("x-forwarded-")
            || n.starts_with("x-real-")
            || n == "forwarded";
        // `spin-*` are the host's own, set on the app's request as on any other.
        if n.starts_with("spin-") {
            assert!(!name.contains('_'), "{name}");
            assert!(!value.contains("203.0.113.9"), "{name}: {value}");
        } else if spoofable {
            let dashed = !name.contains('_');
            assert!(
                dashed && (ours.contains(&name.as_str()) || name.starts_with("x-sesame-")),
                "{name}"
            );
            assert!(
                !value.contains("admin") && !value.contains("203.0.113.9"),
                "{name}: {value}"
            );
            assert!(
                !value.contains("evil") && !value.contains("someone-else"),
                "{name}: {value}"
            );
        }
    }
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
    raw_request(server, &format!("GET {path}"), &[("Host", host)], b"")
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
    let location = browser.header("location").unwrap();
    assert!(
        location.ends_with("/login?rd=http%3A%2F%2F127.0.0.1%3A3000%2Fapp%2Fx"),
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
/// first 64 KiB and answers, and that answer reaches the client. The client reads while it
/// sends, as a browser does: the answer may come (and the connection close) before the rest
/// of the body is sent.
#[test]
fn a_large_body_is_streamed_to_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST /app/upload HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        4 << 20
    );
    let sending = std::thread::spawn(move || {
        // Fails once the server has answered and closed; the answer is what counts.
        let _ = writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&vec![b'x'; 4 << 20]));
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    sending.join().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let echoed = body.lines().find_map(|l| l.strip_prefix("body: "));
    assert_eq!(echoed.map(str::len), Some(64 * 1024));
}

/// A chunked HTTP/1.1 body, decoded.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// The sign-in redirect never leaves the app's public origin: whatever `Host` a client names,
/// the guard's `Location` is Sesame's sign-in page on the public URL and the URL in `rd` is on
/// the public origin too (Sesame accepts or drops it: it keeps only hosts its access rules
/// protect, core's `return_to.rs`).
#[test]
fn the_sign_in_redirect_stays_on_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let answer = raw_request(
        &server,
        "GET /app/x",
        &[("Host", "evil.example"), ("Accept", "text/html")],
        b"",
    );
    assert!(answer.starts_with("HTTP/1.1 302"), "{answer}");
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap();
    assert_eq!(
        location,
        format!("{PUBLIC_URL}/login?rd=http%3A%2F%2F127.0.0.1%3A3000%2Fapp%2Fx")
    );
}

/// A request sent over a plain socket: `line` (`GET /path`), `headers` (the `Host` among them,
/// when it matters) and `body` as they are, then, after a body, the write side closed (so a
/// body shorter than its `Content-Length` ends there); the whole answer.
fn raw_request(server: &Server, line: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!("{line} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    if !body.is_empty() {
        stream.write_all(body).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
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

/// Rules more permissive for another host than for the app's: `public.example.com` bypasses
/// sign-in. A client naming that host in `Host` (any spelling) is still judged as a request
/// for the app's public URL: anonymous, refused; signed in without the role, refused on the
/// role-gated path.
#[test]
fn the_clients_host_never_chooses_the_rules_that_judge_it() {
    let rules =
        format!("{RULES}\n[[rule]]\ndomain = \"public.example.com\"\npolicy = \"bypass\"\n");
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(
        dir.path(),
        &[("access_rules", &rules), ("trusted_proxies", "0.0.0.0")],
    );
    for host in [
        "public.example.com",
        "PUBLIC.example.com.:80",
        "public.example.com:3000",
    ] {
        let answer = raw_request(&server, "GET /app/x", &[("Host", host)], b"");
        assert!(answer.starts_with("HTTP/1.1 401"), "{host}: {answer}");
        assert!(!answer.contains("request: "), "{host}: {answer}");
    }
    let cookie = signed_in(&server);
    let headers = [
        ("Host", "public.example.com"),
        ("Cookie", cookie.as_str()),
        ("Accept", "application/json"),
    ];
    let admin = raw_request(&server, "GET /app/admin", &headers, b"");
    assert!(admin.starts_with("HTTP/1.1 403"), "{admin}");
    assert!(admin.contains("\"forbidden\""), "{admin}");
    assert!(!admin.contains("request: "), "{admin}");
    // Elsewhere the same person passes, and the app is told the public host.
    let app = raw_request(&server, "GET /app/x", &headers, b"");
    assert!(app.starts_with("HTTP/1.1 200"), "{app}");
    assert!(
        app.contains(&format!("x-forwarded-host: {PUBLIC_HOST}\n")),
        "{app}"
    );
}

/// Without `public_url` the guard cannot describe a request truthfully, so it answers every
/// one with its own 500 JSON `guard-misconfigured` (naming the variable in the log) and
/// forwards nothing, even with a valid session.
#[test]
fn without_a_public_url_the_guard_forwards_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    server.stop();
    let text = std::fs::read_to_string(example_manifest()).unwrap();
    let passed = "public_url = \"{{ public_url }}\"\ncheck_query";
    assert!(
        text.contains(passed),
        "the example passes public_url to the guard"
    );
    let copy = dir.path().join("spin.toml");
    std::fs::write(&copy, text.replace(passed, "check_query")).unwrap();
    let server = guarded_with(&copy, dir.path(), &[]);
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    r.assert_failure(500, "guard-misconfigured");
    assert!(!from_app(&r));
    server.stop();
    let log = std::fs::read_to_string(dir.path().join("spin.log")).unwrap();
    assert!(log.contains("`public_url` is not set"), "{log}");
}

/// Header fields over the guard's limit (64 KiB in all, each field counted with some overhead)
/// are answered `431 headers-too-large` JSON before Sesame is asked, never forwarded and
/// never a trap: one huge header, a huge cookie beside a valid session, or many small fields.
/// A request well under the limit passes.
#[test]
fn oversized_headers_are_refused_with_431_and_never_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    let big = "a".repeat(130_000);
    let junk = format!("{cookie}; junk={}", "a".repeat(200_000));
    let names: Vec<String> = (0..90).map(|i| format!("x-many-{i}")).collect();
    let value = "b".repeat(700);
    let mut many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), value.as_str())).collect();
    many.push(("cookie", &cookie));
    for headers in [
        vec![("cookie", cookie.as_str()), ("x-big", big.as_str())],
        vec![("cookie", junk.as_str())],
        many,
    ] {
        let answer = raw_request(&server, "GET /app/x", &headers, b"");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with("HTTP/1.1 431"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            body.contains(r#"{"error":{"code":"headers-too-large","#),
            "{body}"
        );
    }

    let fine = "c".repeat(32 * 1024);
    let r = server.get("/app/x", &[("cookie", &cookie), ("x-fine", &fine)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(from_app(&r));
    let log = std::fs::read_to_string(dir.path().join("spin.log")).unwrap();
    assert!(!log.contains("trapped"), "{log}");
}

/// Sesame's own cookies (the session, the pending and code sign-in cookies, the return-to and
/// ceremony cookies, with or without `__Host-`/`__Secure-`) stay between the browser and
/// Sesame: the app gets its own cookies, as sent and in order, and the identity headers.
/// Another `Authorization` scheme is the app's and passes.
#[test]
fn sesames_cookies_never_reach_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    assert!(cookie.starts_with("sesame_session="), "{cookie}");
    let sent = format!(
        "theme=dark; {cookie}; sesame_tf=t; __Host-sesame_rd=r; lang=de; sesame_us=u; __Secure-sesame_session=x"
    );
    let r = server.get("/app/x", &[("cookie", &sent)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(echoed(&r, "remote-user").as_deref(), Some(EMAIL));
    let cookies: Vec<String> = headers_at_app(&r)
        .into_iter()
        .filter(|(n, _)| n == "cookie")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(cookies, ["theme=dark; lang=de"]);
    assert!(!r.text().contains("sesame_"), "{}", r.text());

    // Only Sesame's cookie: no Cookie header reaches the app at all.
    let r = server.get("/app/x", &[("cookie", &cookie)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(headers_at_app(&r).iter().all(|(n, _)| n != "cookie"));
}

/// A body the client stops sending before its `Content-Length` reaches the app as a failed
/// body, never as a shorter complete one, and the example app refuses it with 400.
#[test]
fn an_incomplete_body_is_refused_not_read_as_complete() {
    let dir = tempfile::tempdir().unwrap();
    let server = guarded(dir.path(), &[]);
    let cookie = signed_in(&server);
    let answer = raw_request(
        &server,
        "POST /app/submit",
        &[("Cookie", &cookie), ("Content-Length", "1000")],
        &[b'z'; 500],
    );
    assert!(!answer.contains("request: POST"), "{answer}");
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("could not be read whole"),
        "{answer}"
    );
}
