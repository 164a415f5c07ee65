//! Account events as signed webhooks, end to end: the real `sesame` binary delivers to
//! receivers that check every delivery with an independent implementation of Standard
//! Webhooks, the `standardwebhooks` library from PyPI (tests/webhooks/receiver.py), through
//! failures, restarts and TLS.
//!
//! The receiver needs a Python with tests/webhooks/requirements.txt installed, named by
//! `SESAME_TEST_WEBHOOK_PYTHON`: `scripts/test-webhooks` makes the venv and sets it. Without
//! it these cases are skipped, unless `SESAME_TEST_REQUIRE_WEBHOOKS=1`. The command-line checks
//! at the end need no receiver and always run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sesame_tests::accounts::PASSWORD;
use sesame_tests::webhooks::{
    Answers, PATIENCE, Receiver, accepted, accepted_types, python, refused,
};
use sesame_tests::{Server, admin, sesame_command};

/// Asserts what every delivery that `standardwebhooks` verified must hold.
fn assert_well_formed(delivery: &Value) {
    assert_eq!(delivery["verified"], true, "{delivery:#}");
    assert_eq!(delivery["wrong_secret_rejected"], true, "{delivery:#}");
    assert_eq!(delivery["tampered_rejected"], true, "{delivery:#}");
    assert_eq!(delivery["content_type"], "application/json", "{delivery:#}");
    assert_eq!(delivery["path"], "/hooks", "{delivery:#}");
    let id = delivery["id"].as_str().unwrap();
    assert!(id.starts_with("msg_") && id.len() == 36, "{id}");
    let sent: u64 = delivery["timestamp"].as_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        sent.abs_diff(now) < 120,
        "webhook-timestamp {sent}, now {now}"
    );
    assert!(
        delivery["signature"].as_str().unwrap().starts_with("v1,"),
        "{delivery:#}"
    );
    let payload = &delivery["payload"];
    assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(payload["data"]["at_ms"].as_u64().unwrap() > 0);
    assert!(
        !payload.to_string().contains(PASSWORD),
        "no secrets in events"
    );
}

/// `sesame webhook add URL [--events KINDS]` on the store `db`: the new endpoint's id and
/// secret.
fn add_endpoint(db: &Path, url: &str, events: Option<&str>) -> (String, String) {
    let mut args = vec!["webhook", "add", url];
    if let Some(events) = events {
        args.extend(["--events", events]);
    }
    let (ok, out, err) = admin(db, &args, "");
    assert!(ok, "{out}{err}");
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .trim()
            .to_owned()
    };
    let secret = field("secret:");
    assert!(secret.starts_with("whsec_"), "{secret}");
    (field("id:"), secret)
}

/// The queue entries under `prefix` in the SQLite store at `db`.
fn entries(db: &Path, prefix: &str) -> Vec<Value> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT value FROM kv WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key")
        .unwrap();
    stmt.query_map([prefix], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|value| serde_json::from_slice(&value.unwrap()).unwrap())
        .collect()
}

fn pending(db: &Path) -> Vec<Value> {
    entries(db, "hooks/pending/")
}

/// Waits until the pending deliveries satisfy `done`.
fn wait_pending(db: &Path, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let until = Instant::now() + PATIENCE;
    loop {
        let queue = pending(db);
        if done(&queue) {
            return queue;
        }
        assert!(Instant::now() < until, "{what}: {queue:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Quick retries, so the cases do not wait for the default back-off.
const QUICK_RETRIES: [(&str, &str); 2] = [
    ("SESAME_WEBHOOK_RETRY_BASE_MS", "100"),
    ("SESAME_WEBHOOK_MAX_ATTEMPTS", "1000"),
];

/// Three endpoints on one store: one for every event, one filtered to sign-ins, one whose
/// receiver holds another secret. Each delivery verifies with `standardwebhooks` (and fails
/// its negative controls), each endpoint gets only its kinds, once each, an event has one id
/// at every endpoint, the refusing receiver's deliveries stay queued, a rotated secret takes
/// over, and the CLI never shows a secret after `add` and `rotate`.
#[test]
fn signed_events_reach_each_endpoint_by_its_filter() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let every = Receiver::start(&python, Answers::default());
    let sign_ins = Receiver::start(&python, Answers::default());
    let stranger = Receiver::start(&python, Answers::default());
    let (every_id, every_secret) = add_endpoint(&db, &every.url, None);
    let (sign_ins_id, sign_ins_secret) =
        add_endpoint(&db, &sign_ins.url, Some("login-failed,login-succeeded"));
    let (stranger_id, _) = add_endpoint(&db, &stranger.url, Some("registered"));
    every.set_secret(&every_secret);
    sign_ins.set_secret(&sign_ins_secret);
    let (ok, other_secret, err) = admin(&db, &["webhook", "new-secret"], "");
    assert!(ok, "{err}");
    stranger.set_secret(other_secret.trim());

    for args in [vec!["webhook", "list"], vec!["webhook", "list", "--json"]] {
        let (ok, out, err) = admin(&db, &args, "");
        assert!(ok, "{err}");
        for shown in [&every_id, &sign_ins_id, &stranger_id, &every.url] {
            assert!(out.contains(shown.as_str()), "{shown} missing: {out}");
        }
        assert!(out.contains("login-failed,login-succeeded"), "{out}");
        assert!(!out.contains("whsec_"), "a secret in the listing: {out}");
        for secret in [&every_secret, &sign_ins_secret] {
            assert!(!out.contains(&secret["whsec_".len()..]), "{out}");
        }
    }

    let server = Server::start_with_env(&db, &QUICK_RETRIES);
    server.register("ada@example.com", PASSWORD);
    assert_eq!(
        server
            .attempt_login("ada@example.com", "not the password")
            .status,
        401
    );
    server.login("ada@example.com", PASSWORD);

    let to_every = every.wait_for("three events at the catch-all endpoint", |d| {
        accepted(d).len() >= 3
    });
    let to_sign_ins = sign_ins.wait_for("two sign-in events", |d| accepted(d).len() >= 2);
    let to_stranger = stranger.wait_for("the refused registration, twice", |d| d.len() >= 2);
    // Two more passes of the deliverer: nothing else arrives.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(every.deliveries().len(), to_every.len());
    assert_eq!(sign_ins.deliveries().len(), to_sign_ins.len());

    assert_eq!(
        accepted_types(&to_every),
        ["login-failed", "login-succeeded", "registered"]
    );
    assert_eq!(
        accepted_types(&to_sign_ins),
        ["login-failed", "login-succeeded"]
    );
    for delivery in to_every.iter().chain(&to_sign_ins) {
        assert_eq!(delivery["status"], 204, "{delivery:#}");
        assert_well_formed(delivery);
        assert_eq!(
            delivery["payload"]["data"]["user_id"]
                .as_str()
                .map(str::len),
            Some(32),
            "{delivery:#}"
        );
    }
    assert!(accepted(&to_every).values().all(|n| *n == 1));
    assert!(accepted(&to_sign_ins).values().all(|n| *n == 1));
    // One event, one id, whichever endpoint gets it.
    let every_ids: BTreeSet<String> = accepted(&to_every).into_keys().collect();
    let sign_in_ids: BTreeSet<String> = accepted(&to_sign_ins).into_keys().collect();
    assert!(
        sign_in_ids.is_subset(&every_ids),
        "{sign_in_ids:?} {every_ids:?}"
    );

    // Signed with the wrong secret for that receiver: refused, and still queued for later.
    for delivery in &to_stranger {
        assert_eq!(delivery["status"], 400, "{delivery:#}");
        assert_eq!(delivery["verified"], false, "{delivery:#}");
        assert_eq!(delivery["payload"], Value::Null);
    }
    let queue = wait_pending(&db, "the refused delivery stays queued", |q| {
        q.iter()
            .any(|d| d["endpoint"] == stranger_id.as_str() && d["attempts"].as_u64() >= Some(2))
    });
    let refused_entry = queue
        .iter()
        .find(|d| d["endpoint"] == stranger_id.as_str())
        .unwrap();
    assert_eq!(refused_entry["kind"], "registered");
    assert!(
        refused_entry["last_error"]
            .as_str()
            .unwrap()
            .contains("answered 400"),
        "{refused_entry:#}"
    );

    // A new secret for the sign-in endpoint: printed once, and what deliveries use from then.
    let (ok, out, err) = admin(&db, &["webhook", "rotate", &sign_ins_id], "");
    assert!(ok, "{err}");
    let rotated = out.trim().strip_prefix("secret: ").unwrap().to_owned();
    assert!(rotated.starts_with("whsec_") && rotated != sign_ins_secret);
    sign_ins.set_secret(&rotated);
    assert_eq!(
        server
            .attempt_login("ada@example.com", "still not it")
            .status,
        401
    );
    let after = sign_ins.wait_for("the sign-in after the rotation", |d| accepted(d).len() >= 3);
    let last = after.iter().rfind(|d| d["status"] == 204).unwrap();
    assert_well_formed(last);
    assert_eq!(last["payload"]["type"], "login-failed");

    // Removed: gone from the list, and its queued delivery is dropped.
    let (ok, _, err) = admin(&db, &["webhook", "remove", &stranger_id], "");
    assert!(ok, "{err}");
    let (_, out, _) = admin(&db, &["webhook", "list"], "");
    assert!(!out.contains(&stranger_id), "{out}");
    wait_pending(&db, "the removed endpoint's delivery is dropped", |q| {
        !q.iter().any(|d| d["endpoint"] == stranger_id.as_str())
    });
}

/// A receiver answering 503 gets every event again and again, and once it answers 204, each
/// exactly once.
#[test]
fn a_failing_receiver_gets_every_event_once_it_recovers() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let receiver = Receiver::start(
        &python,
        Answers {
            failing: true,
            ..Answers::default()
        },
    );
    let (_, secret) = add_endpoint(&db, &receiver.url, Some("registered"));
    receiver.set_secret(&secret);
    let server = Server::start_with_env(&db, &QUICK_RETRIES);
    for who in ["ada", "grace", "alan"] {
        server.register(&format!("{who}@example.com"), PASSWORD);
    }
    let failed = receiver.wait_for("every event refused at least twice", |d| {
        let refused = refused(d);
        refused.len() == 3 && refused.values().all(|n| *n >= 2)
    });
    assert!(accepted(&failed).is_empty());
    let queue = pending(&db);
    assert_eq!(queue.len(), 3, "{queue:#?}");
    assert!(
        queue
            .iter()
            .all(|d| d["last_error"].as_str().unwrap_or("").contains("503")),
        "{queue:#?}"
    );

    let once = recover_and_accept_each_once(&receiver, &db, 3);
    assert_eq!(
        once.keys().collect::<Vec<_>>(),
        refused(&failed).keys().collect::<Vec<_>>(),
        "the ids refused are the ids accepted"
    );
}

/// Lets the refusing `receiver` accept again, waits until it accepted `count` events and the
/// queue at `db` is empty, and a little longer for any repeat; checks that it accepted each
/// event exactly once, each delivery well formed, and returns how often it accepted each id.
fn recover_and_accept_each_once(
    receiver: &Receiver,
    db: &Path,
    count: usize,
) -> BTreeMap<String, usize> {
    receiver.recover();
    receiver.wait_for("every event accepted", |d| accepted(d).len() == count);
    wait_pending(db, "the queue empties", <[Value]>::is_empty);
    std::thread::sleep(Duration::from_secs(2));
    let all = receiver.deliveries();
    let once = accepted(&all);
    assert!(once.values().all(|n| *n == 1), "{once:?}");
    for delivery in all.iter().filter(|d| d["status"] == 204) {
        assert_well_formed(delivery);
    }
    once
}

/// Deliveries pending at a stop are picked up by the next `sesame serve`: none lost, none
/// accepted twice, the same webhook-id before and after. The stop (SIGTERM) leaves nothing
/// claimed.
#[test]
fn pending_deliveries_survive_a_restart() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let receiver = Receiver::start(
        &python,
        Answers {
            failing: true,
            ..Answers::default()
        },
    );
    let (_, secret) = add_endpoint(&db, &receiver.url, Some("registered"));
    receiver.set_secret(&secret);

    let first = Server::start_with_env(&db, &QUICK_RETRIES);
    first.register("ada@example.com", PASSWORD);
    first.register("grace@example.com", PASSWORD);
    receiver.wait_for("both events refused", |d| refused(d).len() == 2);
    assert!(first.terminate().success());
    let queue = pending(&db);
    assert_eq!(queue.len(), 2, "{queue:#?}");
    assert!(
        queue.iter().all(|d| d["claimed_by"].is_null()),
        "a graceful stop leaves nothing claimed: {queue:#?}"
    );
    let before: BTreeSet<String> = queue
        .iter()
        .map(|d| d["msg_id"].as_str().unwrap().to_owned())
        .collect();

    let second = Server::start_with_env(&db, &QUICK_RETRIES);
    second.register("alan@example.com", PASSWORD);
    receiver.wait_for("the new event refused too", |d| refused(d).len() == 3);
    let once = recover_and_accept_each_once(&receiver, &db, 3);
    assert!(
        before.iter().all(|id| once.contains_key(id)),
        "{before:?} {once:?}"
    );
}

/// https:// to a receiver whose certificate comes from a private CA: delivered when the CA is
/// given with --webhook-ca-file.
#[test]
fn https_deliveries_trust_the_ca_file() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let receiver = Receiver::start(
        &python,
        Answers {
            tls: true,
            ..Answers::default()
        },
    );
    assert!(receiver.url.starts_with("https://127.0.0.1:"));
    let (_, secret) = add_endpoint(&db, &receiver.url, None);
    receiver.set_secret(&secret);
    let ca = receiver.ca_file();
    let server = Server::start_with_env(&db, &[("SESAME_WEBHOOK_CA_FILE", ca.to_str().unwrap())]);
    server.register("ada@example.com", PASSWORD);
    let delivered = receiver.wait_for("the registration", |d| !accepted(d).is_empty());
    assert_eq!(accepted_types(&delivered), ["registered"]);
    assert_well_formed(&delivered[0]);
}

/// https:// to a receiver whose certificate nothing trusts: never delivered, retried, then
/// given up, kept under hooks/dead/ and logged.
#[test]
fn an_untrusted_certificate_gets_nothing_delivered() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let receiver = Receiver::start(
        &python,
        Answers {
            tls: true,
            ..Answers::default()
        },
    );
    let (endpoint, secret) = add_endpoint(&db, &receiver.url, Some("registered"));
    receiver.set_secret(&secret);
    let log_path = dir.path().join("sesame.log");
    let mut cmd = sesame_command(&db);
    cmd.env("SESAME_WEBHOOK_RETRY_BASE_MS", "100")
        .env("SESAME_WEBHOOK_MAX_ATTEMPTS", "3")
        .stderr(std::fs::File::create(&log_path).unwrap());
    let server = Server::start_command(cmd);
    server.register("ada@example.com", PASSWORD);

    let until = Instant::now() + PATIENCE;
    let dead = loop {
        let dead = entries(&db, "hooks/dead/");
        if !dead.is_empty() {
            break dead;
        }
        assert!(Instant::now() < until, "not given up: {:#?}", pending(&db));
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["endpoint"], endpoint.as_str());
    assert_eq!(dead[0]["attempts"], 3);
    let why = dead[0]["last_error"].as_str().unwrap();
    assert!(why.contains("certificate"), "{why}");
    assert!(pending(&db).is_empty());
    assert!(receiver.deliveries().is_empty(), "no request got through");
    server.stop();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("webhook delivery given up"), "{log}");
    assert!(log.contains("certificate"), "{log}");
}

/// What cannot work is refused at once: --webhook without a secret, a malformed secret, a URL
/// that is neither http:// nor https://, an unknown event kind, an unknown endpoint.
#[test]
fn the_cli_refuses_webhooks_that_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let serve = |env: &[(&str, &str)]| {
        let out = sesame_command(&db)
            .envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = serve(&[("SESAME_WEBHOOK", "http://127.0.0.1:9/hooks")]);
    assert!(err.contains("--webhook needs --webhook-secret"), "{err}");
    let err = serve(&[
        ("SESAME_WEBHOOK", "http://127.0.0.1:9/hooks"),
        ("SESAME_WEBHOOK_SECRET", "not-a-secret"),
    ]);
    assert!(err.contains("whsec_"), "{err}");
    assert!(
        !err.contains("not-a-secret"),
        "the value is not echoed: {err}"
    );
    let err = serve(&[("SESAME_WEBHOOK_CA_FILE", "/nonexistent/ca.pem")]);
    assert!(err.contains("cannot read the CA file"), "{err}");

    let (ok, _, err) = admin(&db, &["webhook", "add", "ftp://127.0.0.1/hooks"], "");
    assert!(!ok);
    assert!(err.contains("http:// or https://"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &[
            "webhook",
            "add",
            "https://127.0.0.1/hooks",
            "--events",
            "logged-in",
        ],
        "",
    );
    assert!(!ok);
    assert!(err.contains("'logged-in' is not an event kind"), "{err}");
    let (ok, _, err) = admin(&db, &["webhook", "rotate", "ep_0000000000000000"], "");
    assert!(!ok);
    assert!(err.contains("there is no webhook endpoint"), "{err}");
    let (ok, out, err) = admin(&db, &["webhook", "list"], "");
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "only the heading: {out}");
}
