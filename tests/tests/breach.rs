//! The breached-password check through the real `sesame serve`, against a fake range service
//! on loopback started by each test: what is refused where, what the service sees (a 5-digit
//! prefix, never the hash or the password), and what a slow service or none at all does.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use sesame_tests::accounts::{EMAIL, PASSWORD};
use sesame_tests::mail::{link_path, outbox_mails};
use sesame_tests::{Server, sesame_command};
use sha1::{Digest, Sha1};

/// In the fake corpus.
const BREACHED: &str = "password in a breach";
/// Not in it.
const FRESH: &str = "difference engine";

/// Upper-case hex SHA-1, as the range API spells it.
fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// How the fake service answers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 with a padded range, listing [`BREACHED`] under its prefix.
    Answer,
    /// Accepts the connection and says nothing for 10 s.
    Hang,
    /// 200 with an endless range (4 MiB of lines), listing [`BREACHED`] at the very end.
    Huge,
}

/// A range service on loopback that keeps every request head it read.
struct RangeService {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl RangeService {
    fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || serve(stream, behaviour, &seen));
            }
        });
        RangeService { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, behaviour: Behaviour, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    seen.lock().unwrap().push(head.clone());
    let mut stream = stream;
    if let Behaviour::Hang = behaviour {
        std::thread::sleep(Duration::from_secs(10));
        return;
    }
    let path = head.split_whitespace().nth(1).unwrap_or_default();
    let prefix = path.rsplit('/').next().unwrap_or_default();
    let breached = sha1_hex(BREACHED);
    if let Behaviour::Huge = behaviour {
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n"
        );
        let line = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n".repeat(1024);
        for _ in 0..100 {
            if stream.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
        let _ = write!(stream, "{}:1\r\n", &sha1_hex(BREACHED)[5..]);
        return;
    }
    let mut body = String::from("0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n");
    body.push_str("00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2\r\n");
    if breached.starts_with(prefix) {
        body.push_str(&format!("{}:4242\r\n", &breached[5..]));
    }
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// `sesame serve` on a fresh store in `dir` with mail in `dir/outbox` and `env`, its log
/// written to `dir/sesame.log`.
fn sesame(dir: &Path, env: &[(&str, &str)]) -> Server {
    let log = std::fs::File::create(dir.join("sesame.log")).unwrap();
    let mut cmd = sesame_command(&dir.join("sesame.db"));
    cmd.env("SESAME_MAIL_OUTBOX", dir.join("outbox"))
        .envs(env.iter().copied())
        .stderr(Stdio::from(log));
    Server::start_command(cmd)
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("sesame.log")).unwrap()
}

fn register(server: &Server, password: &str) -> sesame_tests::Reply {
    server.post_credentials("/register", EMAIL, password)
}

#[test]
fn a_listed_password_is_refused_at_registration_change_and_reset_and_only_a_prefix_leaves() {
    let range = RangeService::start(Behaviour::Answer);
    let dir = tempfile::tempdir().unwrap();
    let server = sesame(dir.path(), &[("SESAME_PWNED_URL", &range.url)]);

    register(&server, BREACHED).assert_failure(422, "breached-password");
    assert_eq!(register(&server, PASSWORD).status, 202);

    let who = server.sign_in(EMAIL, PASSWORD);
    let change = |new: &str| {
        server.post_signed(
            &who,
            "/change",
            &json!({"password": PASSWORD, "new_password": new, "new_password_confirm": new}),
        )
    };
    change(BREACHED).assert_failure(422, "breached-password");

    assert_eq!(
        server
            .post_json("/reset", &json!({"email": EMAIL}), &[])
            .status,
        202
    );
    let outbox = dir.path().join("outbox");
    let mails = outbox_mails(&outbox);
    let reset = link_path(&mails.last().unwrap().2, &server.base);
    let token = reset.trim_start_matches("/reset?token=").to_owned();
    let reset_to = |password: &str| {
        server.post_json(
            "/reset",
            &json!({"token": token, "password": password}),
            &[],
        )
    };
    reset_to(BREACHED).assert_failure(422, "breached-password");
    let accepted = reset_to(FRESH);
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    server.login(EMAIL, FRESH);

    // The service saw GET /range/PREFIX with padding asked for, and nothing more of any
    // password: not the rest of a hash, not the password.
    let requests = range.requests();
    assert_eq!(
        requests.len(),
        5,
        "one lookup per new password: {requests:?}"
    );
    for (request, password) in requests
        .iter()
        .zip([BREACHED, PASSWORD, BREACHED, BREACHED, FRESH])
    {
        let hash = sha1_hex(password);
        let line = request.lines().next().unwrap();
        assert_eq!(line, format!("GET /range/{} HTTP/1.1", &hash[..5]));
        let lower = request.to_ascii_lowercase();
        assert!(lower.contains("\r\nadd-padding: true\r\n"), "{request}");
        assert!(!request.contains(&hash[5..]), "{request}");
        assert!(!lower.contains(&hash[5..].to_ascii_lowercase()));
        assert!(!request.contains(password), "{request}");
    }
}

#[test]
fn a_slow_range_service_is_cut_off_and_the_password_let_through_and_logged() {
    let range = RangeService::start(Behaviour::Hang);
    let dir = tempfile::tempdir().unwrap();
    let server = sesame(
        dir.path(),
        &[
            ("SESAME_PWNED_URL", &range.url),
            ("SESAME_PWNED_TIMEOUT_MS", "300"),
        ],
    );
    let started = Instant::now();
    let r = register(&server, BREACHED);
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout bounds the lookup: {:?}",
        started.elapsed()
    );
    let logged = log(dir.path());
    assert!(
        logged.contains("breached-password lookup failed") && logged.contains("300 ms"),
        "{logged}"
    );
    assert!(
        !logged.contains(&sha1_hex(BREACHED)[..5]),
        "the prefix is not logged"
    );
    assert_eq!(range.requests().len(), 1);
}

#[test]
fn failing_closed_refuses_what_cannot_be_checked_with_a_retryable_answer() {
    let range = RangeService::start(Behaviour::Hang);
    let dir = tempfile::tempdir().unwrap();
    let server = sesame(
        dir.path(),
        &[
            ("SESAME_PWNED_URL", &range.url),
            ("SESAME_PWNED_TIMEOUT_MS", "300"),
            ("SESAME_PWNED_FAIL_CLOSED", "true"),
        ],
    );
    let r = register(&server, FRESH);
    r.assert_failure(503, "breach-check-unavailable");
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    // Nothing was created: the address can register once the service answers again.
    assert_eq!(range.requests().len(), 1);
}

#[test]
fn a_deployment_without_a_range_service_never_calls_out() {
    let range = RangeService::start(Behaviour::Answer);
    let dir = tempfile::tempdir().unwrap();
    let server = sesame(dir.path(), &[]);
    assert_eq!(register(&server, BREACHED).status, 202);
    let who = server.sign_in(EMAIL, BREACHED);
    let r = server.post_signed(
        &who,
        "/change",
        &json!({"password": BREACHED, "new_password": FRESH, "new_password_confirm": FRESH}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(range.requests().is_empty());
}

#[test]
fn a_range_service_off_the_machine_must_be_https() {
    let dir = tempfile::tempdir().unwrap();
    let out = sesame_command(&dir.path().join("sesame.db"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("SESAME_PWNED_URL", "http://api.pwnedpasswords.com")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.to_ascii_lowercase().contains("pwned") && stderr.contains("https://"),
        "{stderr}"
    );
}

#[test]
fn an_oversized_answer_is_not_read_to_its_end_and_counts_as_a_failed_lookup() {
    let range = RangeService::start(Behaviour::Huge);
    let dir = tempfile::tempdir().unwrap();
    let server = sesame(
        dir.path(),
        &[
            ("SESAME_PWNED_URL", &range.url),
            ("SESAME_PWNED_FAIL_CLOSED", "true"),
        ],
    );
    register(&server, BREACHED).assert_failure(503, "breach-check-unavailable");
    let logged = log(dir.path());
    assert!(logged.contains("exceeds"), "{logged}");
}
