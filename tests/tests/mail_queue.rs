//! Mail through a real SMTP exchange on loopback: the request only queues it in the store, a
//! background worker of `sesame serve` delivers it, retrying while the relay is down, across a
//! restart too.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sesame_tests::Server;
use sesame_tests::accounts::PASSWORD;
use sesame_tests::mail::{Gate, gated_smtp_relay, smtp_relay};

/// A loopback port with nothing listening on it (yet).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The next message's subject and recipient, waiting at most 30 s.
fn next_mail(messages: &Receiver<String>) -> (String, String) {
    let message = messages
        .recv_timeout(Duration::from_secs(30))
        .expect("a message reached the relay");
    let header = |name: &str| {
        message
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {message}"))
            .trim()
            .to_owned()
    };
    (header("Subject:"), header("To:"))
}

/// The queued (not yet delivered) messages in the SQLite store at `db`.
fn queued(db: &Path) -> Vec<Value> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT value FROM kv WHERE key >= 'mailq/pending/' AND key < 'mailq/pending0' ORDER BY key")
        .unwrap();
    stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|value| serde_json::from_slice(&value.unwrap()).unwrap())
        .collect()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The request only queues the mail: registration and `/reset` answer while the relay has
/// not even greeted (an SMTP exchange inside the request would hold them until it did), known
/// and unknown addresses answer alike, and the known one's mail arrives once the relay answers.
#[test]
fn reset_answers_alike_and_the_known_address_gets_its_mail_through_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}?tls=off", listener.local_addr().unwrap());
    let gate = Gate::default();
    let messages = gated_smtp_relay(listener, gate.clone());
    let server = Server::start_with_env(&dir.path().join("sesame.db"), &[("SESAME_SMTP", &url)]);
    server.register("ada@example.com", PASSWORD);

    let unknown = server.post_json("/reset", &json!({"email": "nobody@example.com"}), &[]);
    let known = server.post_json("/reset", &json!({"email": "ada@example.com"}), &[]);
    assert_eq!(known.status, 202, "{}", known.text());
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (known.status, known.body.clone())
    );
    assert!(
        messages.try_recv().is_err(),
        "nothing was delivered before the relay answered"
    );

    gate.release();
    let mut mails = vec![next_mail(&messages), next_mail(&messages)];
    mails.sort();
    assert_eq!(
        mails,
        [
            (
                "Confirm your email address - Sesame".into(),
                "ada@example.com".into()
            ),
            (
                "Reset your password - Sesame".into(),
                "ada@example.com".into()
            ),
        ]
    );
    // Nothing for the unknown address, and nothing left queued.
    assert!(messages.recv_timeout(Duration::from_secs(2)).is_err());
    let until = Instant::now() + Duration::from_secs(10);
    while !queued(&dir.path().join("sesame.db")).is_empty() {
        assert!(Instant::now() < until, "delivered mail stays queued");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn mail_is_retried_until_the_relay_is_up_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let port = closed_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=off");
    let env = [
        ("SESAME_SMTP", url.as_str()),
        ("SESAME_MAIL_RETRY_BASE_MS", "100"),
        ("SESAME_MAIL_MAX_ATTEMPTS", "50"),
    ];
    let first = Server::start_with_env(&db, &env);
    first.register("ada@example.com", PASSWORD);

    // The relay is down: the confirmation waits in the store, its failures counted. Stop the
    // server between two attempts (not mid-claim), with SIGKILL: nothing depends on a clean
    // stop.
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let queue = queued(&db);
        let ready = queue.len() == 1
            && queue[0]["attempts"].as_u64().unwrap() >= 3
            && queue[0]["claimed_by"].is_null()
            && queue[0]["next_attempt_ms"].as_u64().unwrap() > now_ms() + 300;
        if ready {
            assert_eq!(queue[0]["to"], "ada@example.com");
            assert!(queue[0]["last_error"].is_string());
            break;
        }
        assert!(Instant::now() < until, "not retried as expected: {queue:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.stop();

    // A new process picks the queue up and keeps retrying; mail queued now waits too.
    let second = Server::start_with_env(&db, &env);
    let reset = second.post_json("/reset", &json!({"email": "ada@example.com"}), &[]);
    assert_eq!(reset.status, 202);
    let until = Instant::now() + Duration::from_secs(30);
    while queued(&db).len() < 2 {
        assert!(Instant::now() < until, "the reset mail was not queued");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The relay comes up: both messages arrive, once each, and the queue empties.
    let messages = smtp_relay(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let mut subjects = vec![next_mail(&messages).0, next_mail(&messages).0];
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Confirm your email address - Sesame",
            "Reset your password - Sesame"
        ]
    );
    let until = Instant::now() + Duration::from_secs(30);
    while !queued(&db).is_empty() {
        assert!(Instant::now() < until, "delivered mail stays queued");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(messages.recv_timeout(Duration::from_secs(1)).is_err());
}

/// SIGTERM stops the server cleanly, and mail it accepted before is in the store for the next
/// start to deliver.
#[test]
fn a_stop_by_sigterm_keeps_accepted_mail() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let mut child = sesame_tests::sesame_command(&db)
        .env(
            "SESAME_SMTP",
            format!("smtp://127.0.0.1:{}?tls=off", closed_port()),
        )
        .env("SESAME_MAIL_RETRY_BASE_MS", "600000")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let address = first_line
        .trim()
        .rsplit_once("http://")
        .unwrap()
        .1
        .to_owned();
    let body = json!({"email": "ada@example.com", "password": PASSWORD}).to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /register HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let until = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < until, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let queue = queued(&db);
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["subject"], "Confirm your email address - Sesame");
}
