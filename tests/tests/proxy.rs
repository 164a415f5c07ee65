//! Sesame behind real reverse proxies: Debian's nginx (`auth_request`) and Caddy
//! (`forward_auth`), configured with the recipes in `docs/proxy/` (only addresses and ports
//! changed), in front of a small upstream that records what reaches it.
//!
//! Covered: a signed-out browser sent to the sign-in page and back, rules per path and method,
//! a two-factor rule, a bypass rule, one sign-in across subdomains, forged identity headers
//! replaced, malformed and ambiguous URIs denied before the upstream sees them, and rules
//! reloaded when their file changes.
//!
//! Requests go over raw TCP: the client must be able to send URIs that HTTP libraries would
//! clean up first, and any Host it likes (every name here resolves to the proxies by Host
//! header alone).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use sesame_tests::artifacts::repo_root;
use sesame_tests::server::{Server, add_root_admin, sesame_command};
use sesame_tests::totp::Enrolled;

/// A recorded request head at the upstream.
type Seen = Arc<Mutex<Vec<String>>>;

/// A raw HTTP/1.1 answer.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    fn set_cookies(&self) -> Vec<String> {
        self.head
            .lines()
            .filter_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case("set-cookie")
                    .then(|| v.trim().to_owned())
            })
            .collect()
    }

    /// The `name=value` pair of the Set-Cookie named `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
    }
}

/// Sends one request over a new connection and reads the answer to its end.
fn raw(
    port: u16,
    method: &str,
    host: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Raw {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request = format!("{method} {uri} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    Raw {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// The application behind the proxies: answers 200 with the request head it saw, and records
/// it.
fn upstream() -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let record = record.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                record.lock().unwrap().push(head.clone());
                let mut stream = stream;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
                    head.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            });
        }
    });
    (port, seen)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether `program` runs here; without it the test is skipped, unless CI said it must run.
fn available(program: &str) -> bool {
    let found = Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
        || Command::new(program)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
    if !found {
        assert!(
            std::env::var_os("SESAME_TEST_REQUIRE_PROXIES").is_none(),
            "{program} is required (SESAME_TEST_REQUIRE_PROXIES) but not installed"
        );
        eprintln!("skipped: {program} is not installed");
    }
    found
}

/// A process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `port` accepts connections.
fn wait_for(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "port {port} never opened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A recipe from `docs/proxy/` with its example addresses replaced by the test's.
fn recipe(name: &str, sesame: u16, app: u16) -> String {
    std::fs::read_to_string(repo_root().join("docs/proxy").join(name))
        .unwrap()
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{sesame}"))
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{app}"))
}

fn start_nginx(dir: &Path, port: u16, sesame: u16, app: u16) -> Running {
    // nginx listens on a port of its own here, which the URL must name (as the recipe says).
    let site = recipe("nginx.conf", sesame, app)
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace(
            "$scheme://$host$request_uri",
            "$scheme://$host:$server_port$request_uri",
        );
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log;\nevents {{}}\nhttp {{\n\
         access_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
         {site}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new("nginx")
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    wait_for(port);
    Running(child)
}

fn start_caddy(dir: &Path, port: u16, sesame: u16, app: u16) -> Running {
    let site = recipe("Caddyfile", sesame, app)
        .replace("auth.example.com {", &format!("http://auth.example.com:{port} {{"))
        .replace(
            "app.example.com, wiki.example.com, public.example.com {",
            &format!("http://app.example.com:{port}, http://wiki.example.com:{port}, http://public.example.com:{port} {{"),
        );
    let conf = format!("{{\n\tadmin off\n\tauto_https off\n}}\n\n{site}");
    let path = dir.join("Caddyfile");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caddy");
    wait_for(port);
    Running(child)
}

/// Sesame with the rules file `rules`, its public URL behind the nginx on `proxy_port`, and one
/// session cookie for every host below example.com.
fn start_sesame(db: &Path, rules: &Path, proxy_port: u16) -> Server {
    let mut cmd = sesame_command(db);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--trusted-proxy",
        "127.0.0.1",
    ])
    .arg("--public-url")
    .arg(format!("http://auth.example.com:{proxy_port}"))
    .arg("--access-rules")
    .arg(rules)
    .env("SESAME_COOKIE_DOMAIN", "example.com")
    .stderr(Stdio::inherit());
    Server::spawn(cmd)
}

fn port_of(server: &Server) -> u16 {
    server.base.rsplit(':').next().unwrap().parse().unwrap()
}

const ADA: &str = "ada@example.com";
const PASSWORD: &str = "analytical engine";
const HTML: (&str, &str) = ("accept", "text/html");

/// Signs in through the proxy's sign-in host as a browser would: the login page with `rd`
/// (when given), the form post, then the account page, which sends the browser on. Returns
/// the session cookie pair and where the account page sent the browser.
fn browser_sign_in(
    port: u16,
    login_location: &str,
    email: &str,
    password: &str,
) -> (String, Option<String>) {
    let host = format!("auth.example.com:{port}");
    let path = login_location
        .split_once(&host)
        .map(|(_, path)| path.to_owned())
        .unwrap_or_else(|| panic!("{login_location} is not on {host}"));
    let page = raw(port, "GET", &host, &path, &[HTML], "");
    assert_eq!(page.status, 200, "{}", page.head);
    let return_to = page.cookie("sesame_rd");
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let posted = raw(
        port,
        "POST",
        &host,
        "/login",
        &[HTML, ("content-type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(posted.status, 303, "{}{}", posted.head, posted.body);
    let session_cookie = posted
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("sesame_session="))
        .expect("a session cookie");
    assert!(
        session_cookie.contains("Domain=example.com"),
        "{session_cookie}"
    );
    let session = session_cookie.split(';').next().unwrap().to_owned();
    let cookies = match &return_to {
        Some(rd) => format!("{session}; {rd}"),
        None => session.clone(),
    };
    let me = raw(port, "GET", &host, "/me", &[HTML, ("cookie", &cookies)], "");
    let sent_to = (me.status == 303).then(|| me.header("location")).flatten();
    (session, sent_to)
}

#[test]
fn nginx_and_caddy_guard_an_app_by_the_rules() {
    if !available("nginx") || !available("caddy") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::copy(repo_root().join("docs/proxy/rules.toml"), &rules).unwrap();
    let (app_port, seen) = upstream();
    let nginx_port = free_port();
    let sesame = start_sesame(&dir.path().join("sesame.db"), &rules, nginx_port);
    let sesame_port = port_of(&sesame);
    sesame.register(ADA, PASSWORD);
    let _nginx = start_nginx(dir.path(), nginx_port, sesame_port, app_port);
    let caddy_port = free_port();
    let _caddy = start_caddy(dir.path(), caddy_port, sesame_port, app_port);
    let app = |port: u16| format!("app.example.com:{port}");
    let hits = || seen.lock().unwrap().len();

    // A signed-out browser goes to the sign-in page, carrying where it was going.
    let first = raw(
        nginx_port,
        "GET",
        &app(nginx_port),
        "/notes?id=7",
        &[HTML],
        "",
    );
    assert_eq!(first.status, 302, "{}", first.head);
    let login = first.header("location").unwrap();
    assert_eq!(
        login,
        format!(
            "http://auth.example.com:{nginx_port}/login?rd=http%3A%2F%2Fapp.example.com%3A{nginx_port}%2Fnotes%3Fid%3D7"
        )
    );
    // A program gets 401, and the upstream saw nothing.
    let api = raw(
        nginx_port,
        "GET",
        &app(nginx_port),
        "/notes",
        &[("accept", "application/json")],
        "",
    );
    assert_eq!(api.status, 401);
    assert_eq!(hits(), 0);

    // Signing in sends the browser back where it was going.
    let (session, sent_to) = browser_sign_in(nginx_port, &login, ADA, PASSWORD);
    assert_eq!(
        sent_to.as_deref(),
        Some(format!("http://app.example.com:{nginx_port}/notes?id=7").as_str())
    );
    let cookie = ("cookie", session.as_str());

    // Signed in: through, with the identity from Sesame and never the client's own.
    let through = raw(
        nginx_port,
        "GET",
        &app(nginx_port),
        "/notes?id=7",
        &[
            cookie,
            ("remote-user", "mallory"),
            ("Remote-Groups", "admin"),
        ],
        "",
    );
    assert_eq!(through.status, 200, "{}", through.head);
    let upstream_head = through.body.to_ascii_lowercase();
    assert!(
        upstream_head.contains("remote-user: ada@example.com\r\n"),
        "{upstream_head}"
    );
    assert!(
        upstream_head.contains("remote-email: ada@example.com"),
        "{upstream_head}"
    );
    assert!(
        !upstream_head.contains("mallory") && !upstream_head.contains("remote-groups: admin"),
        "{upstream_head}"
    );

    // One sign-in covers the other subdomains (the cookie's Domain), through both proxies.
    assert_eq!(
        raw(
            nginx_port,
            "GET",
            &format!("wiki.example.com:{nginx_port}"),
            "/",
            &[cookie],
            ""
        )
        .status,
        200
    );
    assert_eq!(
        raw(
            caddy_port,
            "GET",
            &format!("wiki.example.com:{caddy_port}"),
            "/",
            &[cookie],
            ""
        )
        .status,
        200
    );

    // Bypass: the public host and the static files need nobody, and a forged identity is
    // dropped or overwritten on the way.
    for port in [nginx_port, caddy_port] {
        let public = raw(
            port,
            "POST",
            &format!("public.example.com:{port}"),
            "/",
            &[("remote-user", "mallory")],
            "",
        );
        assert_eq!(public.status, 200, "{}", public.head);
        assert!(!public.body.contains("mallory"), "{}", public.body);
        assert_eq!(
            raw(port, "GET", &app(port), "/static/site.css", &[], "").status,
            200
        );
    }

    // Rules per path and method: ada may read the API but not write to it, nor reach /admin.
    for port in [nginx_port, caddy_port] {
        assert_eq!(
            raw(port, "GET", &app(port), "/api/v1/items", &[cookie], "").status,
            200
        );
        assert_eq!(
            raw(port, "POST", &app(port), "/api/v1/items", &[cookie], "{}").status,
            403
        );
        assert_eq!(
            raw(port, "GET", &app(port), "/admin", &[cookie], "").status,
            403
        );
    }

    // Caddy sends a signed-out browser to the same sign-in page, and a program a 401.
    let caddy_first = raw(caddy_port, "GET", &app(caddy_port), "/x", &[HTML], "");
    assert_eq!(caddy_first.status, 302, "{}", caddy_first.head);
    assert!(caddy_first.header("location").unwrap().ends_with(&format!(
        "/login?rd=http%3A%2F%2Fapp.example.com%3A{caddy_port}%2Fx"
    )));
    assert_eq!(
        raw(caddy_port, "GET", &app(caddy_port), "/x", &[], "").status,
        401
    );

    // Malformed and ambiguous URIs never reach the upstream (CVE-2021-32637's class).
    let before = hits();
    for uri in [
        "/static/..%2fadmin",
        "/static/%2e%2e/admin",
        "/static/..;/admin",
        "/static/%252e%252e/admin",
        "/static/..%5cadmin",
        "/static/a%00",
        "/static/%zz",
        "/admin%2f",
        "//admin",
        "/static/../admin",
    ] {
        for port in [nginx_port, caddy_port] {
            let r = raw(port, "GET", &app(port), uri, &[cookie], "");
            assert_ne!(r.status, 200, "{uri} through port {port}: {}", r.head);
        }
    }
    assert_eq!(hits(), before, "a malformed URI reached the upstream");

    // A client's own description of the request never steers the check: through Caddy, which
    // passes the client's headers on, and through nginx with an absolute URL naming another
    // host than the Host header.
    let forged = raw(
        caddy_port,
        "GET",
        &app(caddy_port),
        "/admin",
        &[
            ("x-original-url", "http://public.example.com/"),
            ("x-original-method", "GET"),
        ],
        "",
    );
    assert_ne!(forged.status, 200, "{}", forged.head);
    let absolute = raw(
        nginx_port,
        "GET",
        &format!("public.example.com:{nginx_port}"),
        &format!("http://app.example.com:{nginx_port}/admin"),
        &[],
        "",
    );
    assert_ne!(absolute.status, 200, "{}", absolute.head);
    // The same request line against the Host header, the other way round: the application
    // gets the host the check was about.
    let swapped = raw(
        nginx_port,
        "GET",
        &app(nginx_port),
        &format!("http://public.example.com:{nginx_port}/admin"),
        &[],
        "",
    );
    assert_eq!(swapped.status, 200, "{}", swapped.head);
    assert!(
        swapped
            .body
            .to_ascii_lowercase()
            .contains("host: public.example.com"),
        "{}",
        swapped.body
    );
    let before = hits();
    // Forged key headers are overwritten for people too.
    let r = raw(
        caddy_port,
        "GET",
        &app(caddy_port),
        "/",
        &[cookie, ("x-sesame-api-key", "forged")],
        "",
    );
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("forged"), "{}", r.body);
    let r = raw(
        nginx_port,
        "GET",
        &app(nginx_port),
        "/",
        &[cookie, ("x-sesame-api-key", "forged")],
        "",
    );
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("forged"), "{}", r.body);
    assert_eq!(hits(), before + 2);

    // A two-factor rule: root (role admin) signed in with a password only is sent to sign in
    // again; with TOTP enrolled and used, through.
    add_root_admin(&sesame_tests_store(&dir));
    let root = sesame.sign_in("root@example.com", "correct horse battery");
    let one_factor = ("cookie", root.cookie.as_str());
    let r = raw(
        nginx_port,
        "GET",
        &app(nginx_port),
        "/admin",
        &[one_factor, HTML],
        "",
    );
    assert_eq!(r.status, 302, "{}", r.head);
    let enrolled = Enrolled::enrol(&sesame, &root);
    let pending = sesame.attempt_login("root@example.com", "correct horse battery");
    let pending_pair = pending.cookie_pair().unwrap();
    let done = sesame.post_json(
        "/tf-validate",
        &json!({"code": enrolled.next()}),
        &[("cookie", &pending_pair)],
    );
    assert_eq!(done.status, 200, "{}", done.text());
    let two_factor = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("sesame_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for port in [nginx_port, caddy_port] {
        let r = raw(
            port,
            "GET",
            &app(port),
            "/admin/users",
            &[("cookie", &two_factor)],
            "",
        );
        assert_eq!(r.status, 200, "{}", r.head);
        assert!(
            r.body.to_ascii_lowercase().contains("remote-groups: admin"),
            "{}",
            r.body
        );
    }

    // The rules file changes: the new rules apply within seconds, without a restart.
    std::fs::write(
        &rules,
        std::fs::read_to_string(&rules).unwrap().replace(
            "path = \"/static/\"\npolicy = \"bypass\"",
            "path = \"/static/\"\npolicy = \"deny\"",
        ),
    )
    .unwrap();
    let changed = eventually(|| {
        raw(
            nginx_port,
            "GET",
            &app(nginx_port),
            "/static/site.css",
            &[],
            "",
        )
        .status
            == 403
    });
    assert!(changed, "the changed rules were not picked up");
    // A broken change is refused and the rules in force stay.
    std::fs::write(&rules, "[[rule]]\npolicy = \"sometimes\"\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        raw(
            nginx_port,
            "GET",
            &app(nginx_port),
            "/static/site.css",
            &[],
            ""
        )
        .status,
        403
    );
    assert_eq!(
        raw(nginx_port, "GET", &app(nginx_port), "/", &[cookie], "").status,
        200
    );
}

/// The SQLite file of the test's Sesame.
fn sesame_tests_store(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("sesame.db")
}

/// Whether `check` holds within ten seconds.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn a_bad_rules_file_stops_the_server_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "default_policy = \"deny\"\n\n[[rule]]\npath_regex = \"(\"\npolicy = \"deny\"\n",
    )
    .unwrap();
    let out = sesame_command(&dir.path().join("sesame.db"))
        .args(["serve", "--listen", "127.0.0.1:0", "--access-rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("path_regex"),
        "{stderr}"
    );
}

/// One check of the table both hosts answer: what is asked, by whom, and the status.
struct Case {
    method: &'static str,
    url: &'static str,
    signed_in: bool,
    html: bool,
    nginx: bool,
    status: u16,
}

const CASES: &[Case] = &[
    Case {
        method: "GET",
        url: "https://public.example.com/",
        signed_in: false,
        html: false,
        nginx: false,
        status: 200,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/",
        signed_in: false,
        html: false,
        nginx: false,
        status: 401,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/",
        signed_in: false,
        html: true,
        nginx: false,
        status: 302,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/",
        signed_in: false,
        html: true,
        nginx: true,
        status: 401,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/",
        signed_in: true,
        html: false,
        nginx: false,
        status: 200,
    },
    Case {
        method: "GET",
        url: "https://wiki.example.com/page",
        signed_in: true,
        html: false,
        nginx: true,
        status: 200,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/static/site.css",
        signed_in: false,
        html: false,
        nginx: false,
        status: 200,
    },
    Case {
        method: "POST",
        url: "https://app.example.com/api/v1/items",
        signed_in: true,
        html: false,
        nginx: false,
        status: 403,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/api/v1/items",
        signed_in: true,
        html: false,
        nginx: false,
        status: 200,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/admin",
        signed_in: true,
        html: false,
        nginx: false,
        status: 403,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/static/..%2fadmin",
        signed_in: true,
        html: false,
        nginx: true,
        status: 403,
    },
    Case {
        method: "GET",
        url: "https://app.example.com/static/%2e%2e/admin",
        signed_in: true,
        html: false,
        nginx: false,
        status: 403,
    },
    Case {
        method: "GET",
        url: "https://other.example.com/",
        signed_in: true,
        html: false,
        nginx: false,
        status: 403,
    },
];

/// What a check answered: status, `Location`, `Remote-Email`.
type Answered = (u16, Option<String>, Option<String>);

/// `sesame serve` and the Spin component decide alike from the same rules.
#[test]
fn the_spin_component_decides_as_sesame_serve_does() {
    let rules = std::fs::read_to_string(repo_root().join("docs/proxy/rules.toml")).unwrap();
    let env = [
        ("SESAME_ACCESS_RULES", rules.as_str()),
        ("SESAME_TRUSTED_PROXIES", "127.0.0.1"),
        ("SESAME_PUBLIC_URL", "https://auth.example.com"),
    ];
    let mut answers: Vec<Vec<Answered>> = Vec::new();
    for host in [sesame_tests::Host::Sesame, sesame_tests::Host::Spin] {
        let server = host.start_fresh_with_env(&env);
        server.register(ADA, PASSWORD);
        let ada = server.sign_in(ADA, PASSWORD);
        let mut seen = Vec::new();
        for case in CASES {
            let (proto, rest) = case.url.split_once("://").unwrap();
            let (authority, uri) = rest.split_at(rest.find('/').unwrap());
            let mut headers: Vec<(&str, &str)> = if case.nginx {
                vec![
                    ("x-original-method", case.method),
                    ("x-original-url", case.url),
                ]
            } else {
                vec![
                    ("x-forwarded-method", case.method),
                    ("x-forwarded-proto", proto),
                    ("x-forwarded-host", authority),
                    ("x-forwarded-uri", uri),
                ]
            };
            headers.push((
                "accept",
                if case.html {
                    "text/html"
                } else {
                    "application/json"
                },
            ));
            if case.signed_in {
                headers.push(("cookie", &ada.cookie));
            }
            let r = server.get("/auth/check", &headers);
            assert_eq!(
                r.status,
                case.status,
                "{host:?} {} {}: {}",
                case.method,
                case.url,
                r.text()
            );
            seen.push((
                r.status,
                r.header("location").map(str::to_owned),
                r.header("remote-email").map(str::to_owned),
            ));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
    assert!(
        answers[0]
            .iter()
            .any(|(_, _, email)| email.as_deref() == Some(ADA))
    );
    assert!(answers[0].iter().any(|(status, location, _)| *status == 302
        && location.as_deref()
            == Some("https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2F")));
}
