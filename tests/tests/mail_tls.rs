//! Mail to relays that want TLS, as mail providers do: a real SMTP server (aiosmtpd, see
//! tests/smtp/server.py) with a throw-away CA, speaking STARTTLS or implicit TLS and requiring
//! AUTH after TLS. Sesame must deliver over TLS, verify the certificate, and send nothing when
//! TLS is missing or untrusted.
//!
//! The server runs in the Python environment `scripts/test-mail` prepares, named by
//! `SESAME_TEST_MAIL_PYTHON`; without it these tests are skipped, unless
//! `SESAME_TEST_REQUIRE_MAIL=1` (CI) makes that a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sesame_tests::Server;
use sesame_tests::accounts::PASSWORD;

const EMAIL: &str = "ada@example.com";

/// The interpreter with aiosmtpd and trustme, or `None` (the test is skipped).
fn python() -> Option<String> {
    match std::env::var("SESAME_TEST_MAIL_PYTHON") {
        Ok(python) => Some(python),
        Err(_) if std::env::var("SESAME_TEST_REQUIRE_MAIL").as_deref() == Ok("1") => {
            panic!("SESAME_TEST_MAIL_PYTHON is not set; run scripts/test-mail")
        }
        Err(_) => {
            eprintln!("skipped: SESAME_TEST_MAIL_PYTHON is not set (scripts/test-mail sets it)");
            None
        }
    }
}

/// How the test server speaks.
#[derive(Clone, Copy)]
enum Mode {
    StartTls,
    Implicit,
    /// No TLS offered: what a relay looks like after an attacker stripped STARTTLS.
    Plain,
}

/// A running SMTP server and where it writes what it receives.
struct SmtpServer {
    child: Child,
    port: u16,
    ca_file: PathBuf,
    out: PathBuf,
}

impl SmtpServer {
    /// Starts the server in `mode`, requiring `auth` when given; with `foreign_ca` its
    /// certificate is not from the CA it writes to `ca_file`.
    fn start(
        python: &str,
        dir: &Path,
        mode: Mode,
        auth: Option<(&str, &str)>,
        foreign_ca: bool,
    ) -> SmtpServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/server.py");
        let ca_file = dir.join("smtp-ca.pem");
        let out = dir.join("received.jsonl");
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .arg("--mode")
            .arg(match mode {
                Mode::StartTls => "starttls",
                Mode::Implicit => "implicit",
                Mode::Plain => "plain",
            })
            .arg("--ca-file")
            .arg(&ca_file)
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if let Some((user, password)) = auth {
            cmd.args(["--user", user, "--password", password]);
        }
        if foreign_ca {
            cmd.arg("--foreign-ca");
        }
        let mut child = cmd.spawn().expect("the SMTP test server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the SMTP test server said {line:?}"))
            .parse()
            .unwrap();
        SmtpServer {
            child,
            port,
            ca_file,
            out,
        }
    }

    /// Every message received so far.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// The first message, waiting at most 30 s.
    fn first_message(&self) -> Value {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(first) = self.received().into_iter().next() {
                return first;
            }
            assert!(Instant::now() < until, "no message reached the SMTP server");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sesame on a fresh store in `dir`, sending through `smtp` trusting `ca_file`, retrying fast
/// and giving up after three attempts.
fn sesame(dir: &Path, smtp: &str, ca_file: &Path) -> Server {
    Server::start_with_env(
        &dir.join("sesame.db"),
        &[
            ("SESAME_SMTP", smtp),
            ("SESAME_SMTP_CA_FILE", ca_file.to_str().unwrap()),
            ("SESAME_MAIL_RETRY_BASE_MS", "100"),
            ("SESAME_MAIL_MAX_ATTEMPTS", "3"),
        ],
    )
}

/// The dead letters in the SQLite store at `db`: messages Sesame gave up on, with why.
fn dead_letters(db: &Path) -> Vec<Value> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT value FROM kv WHERE key >= 'mailq/dead/' AND key < 'mailq/dead0'")
        .unwrap();
    stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|value| serde_json::from_slice(&value.unwrap()).unwrap())
        .collect()
}

/// Waits (at most 30 s) until the confirmation mail became a dead letter, and returns why.
fn given_up(db: &Path) -> String {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(dead) = dead_letters(db).into_iter().next() {
            assert_eq!(dead["to"], EMAIL);
            return dead["last_error"].as_str().unwrap_or_default().to_owned();
        }
        assert!(
            Instant::now() < until,
            "the mail was neither sent nor given up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A header's value in a raw message.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[test]
fn starttls_with_auth_delivers_over_tls_with_the_headers_providers_want() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(
        &python,
        dir.path(),
        Mode::StartTls,
        Some(("mailer@example.com", "p@ss:word")),
        false,
    );
    // The credentials are percent-encoded in the URL, as in any URL.
    let url = format!(
        "smtp://mailer%40example.com:p%40ss%3Aword@127.0.0.1:{}",
        smtp.port
    );
    let server = sesame(dir.path(), &url, &smtp.ca_file);
    server.register(EMAIL, PASSWORD);

    let mail = smtp.first_message();
    assert_eq!(mail["tls"], true, "{mail}");
    assert_eq!(mail["auth"], "mailer@example.com", "{mail}");
    assert_eq!(mail["rcpt_tos"], serde_json::json!([EMAIL]));
    let data = mail["data"].as_str().unwrap();
    let message_id = header(data, "Message-ID").expect("a Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with('>') && message_id.contains('@'),
        "{message_id}"
    );
    assert!(header(data, "Date").is_some(), "{data}");
    assert_eq!(header(data, "Auto-Submitted"), Some("auto-generated"));
    let (text, html) = text_and_html(&mail);
    assert!(text.contains("/confirm?token="), "{text}");
    assert!(!text.contains('<'), "the text part is plain text: {text}");
    // The HTML part carries the same link as a link, shown as its URL.
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/confirm?token="))
        .unwrap();
    assert!(html.contains(&format!("<a href=\"{link}\"")), "{html}");
    assert!(html.contains(&format!(">{link}</a>")), "{html}");
    assert!(html.contains("Sesame"), "{html}");
}

/// The text and HTML parts of a received `multipart/alternative` message, decoded, checking
/// it has exactly those two, text first (clients show the last part they can).
fn text_and_html(mail: &Value) -> (String, String) {
    assert_eq!(mail["content_type"], "multipart/alternative", "{mail}");
    let parts = mail["parts"].as_array().unwrap();
    let types: Vec<&str> = parts
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text/plain", "text/html"], "{mail}");
    let body = |n: usize| parts[n]["body"].as_str().unwrap().to_owned();
    (body(0), body(1))
}

#[test]
fn implicit_tls_delivers() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&python, dir.path(), Mode::Implicit, None, false);
    let server = sesame(
        dir.path(),
        &format!("smtps://127.0.0.1:{}", smtp.port),
        &smtp.ca_file,
    );
    server.register(EMAIL, PASSWORD);
    let mail = smtp.first_message();
    assert_eq!(mail["tls"], true, "{mail}");
    assert!(text_and_html(&mail).0.contains("/confirm?token="));
}

/// A relay that does not offer STARTTLS (or an attacker who removed the offer) gets nothing:
/// no clear-text fallback; the message ends as a dead letter the operator can list and retry.
/// The same relay gets it once the operator says clear text is fine, which shows the refusal
/// is about TLS and nothing else.
#[test]
fn no_starttls_offer_means_no_mail_unless_clear_text_is_allowed_on_loopback() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&python, dir.path(), Mode::Plain, None, false);
    let server = sesame(
        dir.path(),
        &format!("smtp://127.0.0.1:{}", smtp.port),
        &smtp.ca_file,
    );
    server.register(EMAIL, PASSWORD);
    let db = dir.path().join("sesame.db");
    let why = given_up(&db);
    assert!(why.to_ascii_lowercase().contains("tls"), "{why}");
    assert!(smtp.received().is_empty(), "mail went out in clear text");
    server.stop();

    // The operator sees the dead letter (never its body, which holds the link) and puts it
    // back in line.
    let listed = cli(&db, &["mail", "list", "--dead"]);
    let letters: Vec<Value> = listed
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(letters.len(), 1, "{listed}");
    assert_eq!(letters[0]["to"], EMAIL);
    assert_eq!(letters[0]["state"], "dead");
    assert!(
        letters[0]["last_error"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("tls")
    );
    assert!(!listed.contains("token="), "{listed}");
    cli(&db, &["mail", "retry", letters[0]["id"].as_str().unwrap()]);
    assert_eq!(cli(&db, &["mail", "list", "--dead"]).trim(), "");
    assert_eq!(cli(&db, &["mail", "list"]).lines().count(), 1);

    // Once clear text is allowed for this loopback relay, the retried letter goes out.
    let _server = sesame(
        dir.path(),
        &format!("smtp://127.0.0.1:{}?tls=off", smtp.port),
        &smtp.ca_file,
    );
    let mail = smtp.first_message();
    assert_eq!(mail["tls"], false, "{mail}");
    assert!(text_and_html(&mail).0.contains("/confirm?token="));
}

/// Runs `sesame ARGS` on the store `db` and returns its standard output; it must succeed.
fn cli(db: &Path, args: &[&str]) -> String {
    let output = sesame_tests::sesame_command(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sesame {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A certificate from another CA than the configured one is refused: the mail is not sent
/// and ends as a dead letter.
#[test]
fn an_untrusted_certificate_gets_no_mail() {
    let Some(python) = python() else { return };
    for mode in [Mode::StartTls, Mode::Implicit] {
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpServer::start(&python, dir.path(), mode, None, true);
        let scheme = match mode {
            Mode::Implicit => "smtps",
            _ => "smtp",
        };
        let server = sesame(
            dir.path(),
            &format!("{scheme}://127.0.0.1:{}", smtp.port),
            &smtp.ca_file,
        );
        server.register(EMAIL, PASSWORD);
        let why = given_up(&dir.path().join("sesame.db"));
        assert!(!why.is_empty());
        assert!(
            smtp.received().is_empty(),
            "mail went to an untrusted server"
        );
    }
}

/// Settings that would send mail in clear text across a network, or trust nothing, stop the
/// server at start with a message naming the problem, and never echo the password.
#[test]
fn unsafe_or_broken_smtp_settings_stop_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let empty_ca = dir.path().join("empty.pem");
    std::fs::write(&empty_ca, "").unwrap();
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[(
                "SESAME_SMTP",
                "smtp://ada:hunter2@relay.example.com?tls=off",
            )],
            "loopback",
        ),
        (
            &[(
                "SESAME_SMTP",
                "smtp://ada:hunter2@relay.example.com?tls=sometimes",
            )],
            "unknown parameter",
        ),
        (
            &[
                ("SESAME_SMTP", "smtps://relay.example.com"),
                ("SESAME_SMTP_CA_FILE", empty_ca.to_str().unwrap()),
            ],
            "no PEM certificate",
        ),
    ];
    for (env, expected) in cases {
        let mut cmd = sesame_tests::sesame_command(&dir.path().join("sesame.db"));
        cmd.envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"]);
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{env:?} started");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}
