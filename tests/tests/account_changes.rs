//! Changing the email address and the username, recovering the username, and the confirmation
//! link's hardening, through the real `sesame` binary delivering to a real SMTP server
//! (aiosmtpd, tests/smtp/server.py): every link is read from the mail that carried it.
//!
//! The server runs in the Python environment `scripts/test-mail` prepares, named by
//! `SESAME_TEST_MAIL_PYTHON`; without it these tests are skipped, unless
//! `SESAME_TEST_REQUIRE_MAIL=1` (CI) makes that a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sesame_tests::accounts::PASSWORD;
use sesame_tests::{Server, Signed};

const ADA: &str = "ada@example.com";
const GRACE: &str = "grace@example.com";

/// The interpreter with aiosmtpd, or `None` (the test is skipped).
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

/// The SMTP server (no TLS: a loopback relay Sesame may use in clear text) and where it writes
/// what it receives.
struct Smtp {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Smtp {
    fn start(python: &str, dir: &Path) -> Smtp {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/server.py");
        let out = dir.join("received.jsonl");
        let mut child = Command::new(python)
            .arg(script)
            .args(["--mode", "plain", "--ca-file"])
            .arg(dir.join("ca.pem"))
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP test server starts");
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
        Smtp { child, port, out }
    }

    /// Every message received so far, as (recipient, decoded text).
    fn received(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let record: Value = serde_json::from_str(line).unwrap();
                let to = record["rcpt_tos"][0].as_str().unwrap().to_owned();
                (to, text_part(&record))
            })
            .collect()
    }

    /// Waits (at most 30 s) until `count` messages went to `to`, and returns them.
    fn wait_for(&self, to: &str, count: usize) -> Vec<String> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let mails: Vec<String> = self
                .received()
                .into_iter()
                .filter(|(rcpt, _)| rcpt.eq_ignore_ascii_case(to))
                .map(|(_, text)| text)
                .collect();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                Instant::now() < until,
                "{count} mails to {to} did not come: {mails:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The latest mail to `to` once there are `count`.
    fn nth(&self, to: &str, count: usize) -> String {
        self.wait_for(to, count).pop().unwrap()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text part of a received message as a mail client shows it (the SMTP test server
/// decodes every part: transfer encoding, charset, multipart).
fn text_part(record: &Value) -> String {
    record["parts"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["content_type"] == "text/plain"))
        .and_then(|p| p["body"].as_str())
        .unwrap_or_else(|| panic!("no text part in {record}"))
        .to_owned()
}

/// The token of the link to `path` in `text`.
fn token(text: &str, path: &str) -> String {
    let marker = format!("{path}?token=");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {path} link in {text}"))
        + marker.len();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Sesame on a fresh store in `dir`, delivering through `smtp`.
fn sesame(dir: &Path, smtp: &Smtp, env: &[(&str, &str)]) -> Server {
    let relay = format!("smtp://127.0.0.1:{}?tls=off", smtp.port);
    let mut all = vec![
        ("SESAME_SMTP", relay.as_str()),
        ("SESAME_MAIL_RETRY_BASE_MS", "100"),
    ];
    all.extend_from_slice(env);
    Server::start_with_env(&dir.join("sesame.db"), &all)
}

/// A JSON POST with a browser's HTML answer asked for.
fn html_get(server: &Server, path: &str, cookie: Option<&str>) -> sesame_tests::Reply {
    let mut headers = vec![("accept", "text/html")];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    server.get(path, &headers)
}

fn me(server: &Server, who: &Signed) -> sesame_tests::Reply {
    server.get("/me", &[("cookie", &who.cookie)])
}

#[test]
fn a_confirmation_link_works_once_and_shows_the_account_to_no_one_else() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(dir.path(), &smtp, &[]);
    server.register(ADA, PASSWORD);
    server.register(GRACE, PASSWORD);
    let link = token(&smtp.nth(ADA, 1), "/confirm");
    // Opened by a browser signed in as grace: confirmed, nothing of ada's shown.
    let grace = server.sign_in(GRACE, PASSWORD);
    let r = server.get(
        &format!("/confirm?token={link}"),
        &[("cookie", &grace.cookie)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"status": "confirmed"}));
    // Opened again, signed in or not: refused, no account data.
    let r = server.get(&format!("/confirm?token={link}"), &[]);
    r.assert_failure(400, "invalid-token");
    assert!(!r.text().contains(ADA));
    let page = html_get(&server, &format!("/confirm?token={link}"), None);
    assert_eq!(page.status, 400);
    assert!(!page.text().contains(ADA));
    // Grace's own link, opened while signed in as her, shows her account.
    let own = token(&smtp.nth(GRACE, 1), "/confirm");
    let r = server.get(
        &format!("/confirm?token={own}"),
        &[("cookie", &grace.cookie)],
    );
    assert_eq!(r.json()["user"]["email"], GRACE);
}

/// A stolen session moves ada's account to the thief's address: the notice at her old
/// address undoes it, ends every session (the thief's too) and says to reset the password.
#[test]
fn a_hijacked_address_is_restored_from_the_old_mailbox_once() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(dir.path(), &smtp, &[]);
    server.register(ADA, PASSWORD);
    let owner = server.sign_in(ADA, PASSWORD);
    let thief = server.sign_in(ADA, PASSWORD);
    let r = server.post_signed(
        &thief,
        "/change-email",
        &json!({"email": "thief@example.net"}),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let confirm = token(&smtp.nth("thief@example.net", 1), "/change-email/confirm");
    let notice = smtp.nth(ADA, 2);
    assert!(notice.contains("t***@e***.net"), "{notice}");
    assert!(!notice.contains("thief@example.net"));
    // Not changed before the link is opened; then changed, confirmed.
    assert_eq!(me(&server, &owner).json()["user"]["email"], ADA);
    let page = html_get(
        &server,
        &format!("/change-email/confirm?token={confirm}"),
        None,
    );
    assert_eq!(page.status, 200, "{}", page.text());
    let user = me(&server, &owner).json()["user"].clone();
    assert_eq!(user["email"], "thief@example.net");
    assert!(user["confirmed_at_ms"].is_u64());
    // The confirmation link again: used.
    server
        .post_json("/change-email/confirm", &json!({"token": confirm}), &[])
        .assert_failure(400, "invalid-token");

    let restore = token(&notice, "/change-email/restore");
    // Opening the link shows a form and changes nothing.
    let form = html_get(
        &server,
        &format!("/change-email/restore?token={restore}"),
        None,
    );
    assert_eq!(form.status, 200);
    assert_eq!(me(&server, &thief).status, 200);
    let r = server.post_json("/change-email/restore", &json!({"token": restore}), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "restored");
    for who in [&owner, &thief] {
        assert_eq!(me(&server, who).status, 401, "every session ended");
    }
    let told = smtp.nth(ADA, 3);
    assert!(told.contains("/reset"), "{told}");
    assert_eq!(
        server.attempt_login("thief@example.net", PASSWORD).status,
        401
    );
    let back = server.sign_in(ADA, PASSWORD);
    assert_eq!(me(&server, &back).json()["user"]["email"], ADA);
    // Once.
    server
        .post_json("/change-email/restore", &json!({"token": restore}), &[])
        .assert_failure(400, "invalid-token");
}

#[test]
fn a_taken_address_is_answered_like_a_free_one_and_links_do_not_cross_accounts() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(dir.path(), &smtp, &[]);
    server.register(ADA, PASSWORD);
    server.register(GRACE, PASSWORD);
    let ada = server.sign_in(ADA, PASSWORD);
    let grace = server.sign_in(GRACE, PASSWORD);
    let free = server.post_signed(&ada, "/change-email", &json!({"email": "free@example.org"}));
    let taken = server.post_signed(&ada, "/change-email", &json!({"email": GRACE}));
    assert_eq!(
        (free.status, free.body.clone()),
        (taken.status, taken.body.clone())
    );
    let to_grace = smtp.nth(GRACE, 2);
    assert!(!to_grace.contains("token="), "{to_grace}");
    // Ada's link opened by grace's browser: ada's account moves, grace's does not, and the
    // page shows neither account.
    let link = token(&smtp.nth("free@example.org", 1), "/change-email/confirm");
    let page = html_get(
        &server,
        &format!("/change-email/confirm?token={link}"),
        Some(&grace.cookie),
    );
    assert_eq!(page.status, 200);
    assert!(!page.text().contains(ADA) && !page.text().contains("free@example.org"));
    assert_eq!(me(&server, &grace).json()["user"]["email"], GRACE);
    assert_eq!(
        me(&server, &ada).json()["user"]["email"],
        "free@example.org"
    );
}

#[test]
fn two_accounts_racing_to_one_address_end_with_one_owner() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(dir.path(), &smtp, &[]);
    server.register(ADA, PASSWORD);
    server.register(GRACE, PASSWORD);
    for email in [ADA, GRACE] {
        let who = server.sign_in(email, PASSWORD);
        let r = server.post_signed(
            &who,
            "/change-email",
            &json!({"email": "shared@example.org"}),
        );
        assert_eq!(r.status, 202);
    }
    let tokens: Vec<String> = smtp
        .wait_for("shared@example.org", 2)
        .iter()
        .map(|text| token(text, "/change-email/confirm"))
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens
            .iter()
            .map(|t| {
                let server = &server;
                scope.spawn(move || {
                    server
                        .post_json("/change-email/confirm", &json!({"token": t}), &[])
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        server.attempt_login("shared@example.org", PASSWORD).status,
        200
    );
    let still: usize = [ADA, GRACE]
        .iter()
        .filter(|e| server.attempt_login(e, PASSWORD).status == 200)
        .count();
    assert_eq!(still, 1, "the loser keeps its address");
}

#[test]
fn a_stale_session_cannot_change_the_email_or_the_username() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(dir.path(), &smtp, &[("SESAME_FRESHNESS_SECS", "1")]);
    server.register(ADA, PASSWORD);
    let ada = server.sign_in(ADA, PASSWORD);
    std::thread::sleep(Duration::from_millis(1500));
    server
        .post_signed(&ada, "/change-email", &json!({"email": "new@example.org"}))
        .assert_failure(401, "reauthentication-required");
    server
        .post_signed(&ada, "/change-username", &json!({"username": "countess"}))
        .assert_failure(401, "reauthentication-required");
    // Confirming the password again makes it fresh.
    let r = server.post_signed(&ada, "/verify", &json!({"password": PASSWORD}));
    assert_eq!(r.status, 200);
    let r = server.post_signed(&ada, "/change-username", &json!({"username": "countess"}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(smtp.nth(ADA, 2).contains("username"));
}

#[test]
fn usernames_change_under_the_index_and_are_recovered_by_mail_alike_for_every_address() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(dir.path(), &smtp, &[]);
    for (email, name) in [(ADA, "ada"), (GRACE, "grace")] {
        let r = server.post_json(
            "/register",
            &json!({"email": email, "password": PASSWORD, "username": name}),
            &[],
        );
        assert_eq!(r.status, 202);
    }
    server.register("nameless@example.com", PASSWORD);
    let ada = server.sign_in(ADA, PASSWORD);
    server
        .post_signed(&ada, "/change-username", &json!({"username": "Grace"}))
        .assert_failure(409, "already-exists");
    let r = server.post_signed(&ada, "/change-username", &json!({"username": "countess"}));
    assert_eq!(r.json()["user"]["username"], "countess");
    assert_eq!(server.attempt_login("countess", PASSWORD).status, 200);
    assert_eq!(server.attempt_login("ada", PASSWORD).status, 401);

    let answers: Vec<(u16, Vec<u8>)> = [ADA, "nameless@example.com", "nobody@example.com"]
        .iter()
        .map(|email| {
            let r = server.post_json("/recover-username", &json!({"email": email}), &[]);
            (r.status, r.body)
        })
        .collect();
    assert_eq!(answers[0].0, 202);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    let recovered = smtp.nth(ADA, 3);
    assert!(recovered.contains("countess"), "{recovered}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        smtp.wait_for("nameless@example.com", 1).len(),
        1,
        "only its registration"
    );
}

/// Parallel requests mailing one address: the per-recipient count holds (3 a minute).
#[test]
fn the_throttles_hold_under_parallel_requests() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&python, dir.path());
    let server = sesame(
        dir.path(),
        &smtp,
        &[("SESAME_THROTTLE_REGISTER_PER_IP", "1000")],
    );
    server.register(ADA, PASSWORD);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                let server = &server;
                scope.spawn(move || {
                    server
                        .post_json(
                            "/recover-username",
                            &json!({"email": "victim@example.org"}),
                            &[],
                        )
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        3,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 202 || *s == 429));

    let ada = server.sign_in(ADA, PASSWORD);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|n| {
                let (server, ada) = (&server, &ada);
                scope.spawn(move || {
                    server
                        .post_signed(
                            ada,
                            "/change-email",
                            &json!({"email": format!("n{n}@example.org")}),
                        )
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        5,
        "{statuses:?}"
    );
}
