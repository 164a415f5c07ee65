//! The mail queue against a real SMTP exchange on loopback (a small relay speaking enough of
//! RFC 5321 for lettre), on every store back end: SQLite always; PostgreSQL and Redis when
//! `SESAME_TEST_POSTGRES_URL` / `SESAME_TEST_REDIS_URL` name a server.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::mail_queue::*;
use crate::queue::{Queued, RetryPolicy, encode};
use crate::store::StoreBackend;
use crate::store::conformance::{service_url, sqlite_pair, unique_name, with_param};
use crate::store::{PostgresBackend, RedisBackend};

/// How the test relay answers `RCPT TO`.
#[derive(Clone, Copy)]
enum Relay {
    /// Takes every message.
    Accepting,
    /// Refuses every recipient for good (550).
    Refusing,
}

/// A relay on a loopback port; each accepted message's DATA comes down the channel.
async fn relay(kind: Relay) -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, serve_relay(listener, kind))
}

fn serve_relay(listener: TcpListener, kind: Relay) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match (verb.as_str(), kind) {
                        ("EHLO" | "HELO", _) => b"250-test\r\n250 8BITMIME\r\n",
                        ("RCPT", Relay::Refusing) => b"550 no such mailbox\r\n",
                        ("DATA", _) => {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut message = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                message.push_str(&line);
                                message.push('\n');
                            }
                            let _ = tx.send(message);
                            b"250 queued\r\n"
                        }
                        ("QUIT", _) => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    rx
}

fn queue(port: u16, policy: RetryPolicy) -> Arc<MailQueue> {
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(5)))
        .build();
    Arc::new(mail_queue(
        smtp,
        "Sesame <sesame@localhost>".parse().unwrap(),
        policy,
    ))
}

const QUICK: RetryPolicy = RetryPolicy {
    base: Duration::from_millis(20),
    max_attempts: 3,
};

async fn pending(backend: &dyn StoreBackend) -> Vec<QueuedMail> {
    backend
        .scan(PENDING_PREFIX, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| serde_json::from_slice(&e.value).unwrap())
        .collect()
}

async fn dead(backend: &dyn StoreBackend) -> Vec<QueuedMail> {
    backend
        .scan(DEAD_PREFIX, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| serde_json::from_slice(&e.value).unwrap())
        .collect()
}

/// The subject lines of `count` messages from `rx`, waiting at most 20 s in all.
async fn subjects(rx: &mut mpsc::UnboundedReceiver<String>, count: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.len() < count {
        let message = tokio::time::timeout_at(until, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} messages arrived", seen.len()))
            .unwrap();
        let subject = message
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap()
            .to_owned();
        seen.push(subject);
    }
    seen
}

/// Two nodes on one store, each queueing half the messages: every message is sent exactly
/// once, whichever node claims it.
async fn two_nodes_send_each_message_once(a: Arc<dyn StoreBackend>, b: Arc<dyn StoreBackend>) {
    let (port, mut received) = relay(Relay::Accepting).await;
    let (one, two) = (queue(port, QUICK), queue(port, QUICK));
    one.start(a.clone());
    two.start(b.clone());
    for n in 0..20 {
        let node = if n % 2 == 0 { &one } else { &two };
        node.submit(MailJob::new(
            "ada@example.com",
            &format!("message {n}"),
            "hello",
            None,
        ))
        .unwrap();
    }
    assert!(one.flush(Duration::from_secs(10)).await);
    assert!(two.flush(Duration::from_secs(10)).await);
    let mut got = subjects(&mut received, 20).await;
    // Time for any second sending to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(extra) = received.try_recv() {
        got.push(extra);
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for subject in got {
        *counts.entry(subject).or_default() += 1;
    }
    assert_eq!(counts.len(), 20, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "sent twice: {counts:?}");
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while !pending(&*a).await.is_empty() {
        assert!(
            tokio::time::Instant::now() < until,
            "sent mail stays queued"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With the relay down, a message stays queued with its failures counted, and goes out once
/// the relay is back.
async fn retries_until_the_relay_is_back(backend: Arc<dyn StoreBackend>) {
    // A port with nothing listening: connections are refused.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = queue(
        port,
        RetryPolicy {
            base: Duration::from_millis(20),
            max_attempts: 100,
        },
    );
    down.start(backend.clone());
    down.submit(MailJob::new("ada@example.com", "while down", "text", None))
        .unwrap();
    assert!(down.flush(Duration::from_secs(10)).await);
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let queued = pending(&*backend).await;
        if queued.first().is_some_and(|m| m.attempts >= 2) {
            assert_eq!(queued.len(), 1);
            assert!(queued[0].last_error.is_some());
            break;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "no retries: {queued:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The relay comes up on that port.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let mut received = serve_relay(listener, Relay::Accepting);
    assert_eq!(subjects(&mut received, 1).await, ["while down"]);
}

/// Stores `mail` in the queue's pending list directly, as a node that queued it would have.
async fn enqueue(queue: &MailQueue, backend: &dyn StoreBackend, mail: QueuedMail) {
    let key = queue.new_key(mail.queued_at_ms);
    backend
        .put(&key, encode(&mail), Some(0), None)
        .await
        .unwrap();
}

/// A message the relay refuses for good becomes a dead letter at once.
async fn permanent_refusal_is_a_dead_letter(backend: Arc<dyn StoreBackend>) {
    let (refusing, _never) = relay(Relay::Refusing).await;
    let refused = queue(refusing, QUICK);
    let dead_before = dead(&*backend).await.len();
    // Driven by hand (not started), so only this pass touches the queue.
    enqueue(
        &refused,
        &*backend,
        Queued::new(MailJob::new("nobody@example.com", "refused", "text", None)),
    )
    .await;
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while pending(&*backend)
        .await
        .iter()
        .any(|m| m.job.subject == "refused")
    {
        assert!(tokio::time::Instant::now() < until, "never given up");
        refused.deliver_due(&*backend).await;
    }
    let dead = dead(&*backend).await;
    assert_eq!(dead.len(), dead_before + 1);
    let letter = dead.iter().find(|m| m.job.subject == "refused").unwrap();
    assert_eq!(letter.attempts, 1, "a permanent refusal is not retried");
    assert!(letter.last_error.as_deref().unwrap().contains("550"));
}

/// A message that keeps failing is given up after the last allowed attempt.
async fn attempts_run_out(backend: Arc<dyn StoreBackend>) {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = queue(port, QUICK);
    enqueue(
        &down,
        &*backend,
        Queued::new(MailJob::new("ada@example.com", "never", "text", None)),
    )
    .await;
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while !pending(&*backend).await.is_empty() {
        assert!(tokio::time::Instant::now() < until, "never given up");
        down.deliver_due(&*backend).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let letters = dead(&*backend).await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attempts, QUICK.max_attempts);
    assert_eq!(letters[0].claimed_by, None);
}

async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (Arc<dyn StoreBackend>, Arc<dyn StoreBackend>)>,
{
    let (a, b) = make().await;
    two_nodes_send_each_message_once(a, b).await;
    retries_until_the_relay_is_back(make().await.0).await;
    permanent_refusal_is_a_dead_letter(make().await.0).await;
    attempts_run_out(make().await.0).await;
}

#[test]
fn retry_waits_double_up_to_the_cap() {
    let policy = RetryPolicy {
        base: Duration::from_secs(10),
        max_attempts: 12,
    };
    for (attempts, plain) in [(1, 10), (2, 20), (3, 40), (8, 1280), (9, 1800), (40, 1800)] {
        let wait = policy.wait_after(attempts);
        let plain = Duration::from_secs(plain);
        assert!(
            wait >= plain && wait <= plain + plain / 4,
            "{attempts}: {wait:?}"
        );
    }
}

#[test]
fn submitted_mail_waits_for_the_queue_to_run() {
    let q = queue(25, QUICK);
    let refused = q
        .submit(MailJob::new("ada@example.com", "s", "t", None))
        .unwrap_err();
    assert_eq!(
        refused.job.subject, "s",
        "an admin command's mail is handed back to be logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queue_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    run_all(|| sqlite_pair(dir.path(), &n)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queue_on_postgres() {
    let Some(url) = service_url("SESAME_TEST_POSTGRES_URL") else {
        return;
    };
    let schemas = std::sync::Mutex::new(Vec::new());
    run_all(|| {
        let schema = unique_name("mailq_pg");
        schemas.lock().unwrap().push(schema.clone());
        let url = with_param(&url, &format!("schema={schema}"));
        async move {
            let a: Arc<dyn StoreBackend> = Arc::new(PostgresBackend::open(&url).await.unwrap());
            let b: Arc<dyn StoreBackend> = Arc::new(PostgresBackend::open(&url).await.unwrap());
            (a, b)
        }
    })
    .await;
    let cleaner = PostgresBackend::open(&with_param(
        &url,
        &format!("schema={}", unique_name("mailq_pg")),
    ))
    .await
    .unwrap();
    let schemas = schemas.lock().unwrap().clone();
    for schema in schemas {
        cleaner.drop_schema(&schema).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queue_on_redis() {
    let Some(url) = service_url("SESAME_TEST_REDIS_URL") else {
        return;
    };
    run_all(|| {
        let url = with_param(&url, &format!("prefix={}", unique_name("mailq_redis")));
        async move {
            let a: Arc<dyn StoreBackend> = Arc::new(RedisBackend::open(&url).await.unwrap());
            let b: Arc<dyn StoreBackend> = Arc::new(RedisBackend::open(&url).await.unwrap());
            (a, b)
        }
    })
    .await;
}

/// A queued message keeps the id it was given for every attempt; its JSON stays flat, as
/// core's admin API reads it; and messages queued by earlier versions (no id) still read.
#[test]
fn a_message_keeps_its_id_in_the_stored_form_core_reads() {
    let job = MailJob::new("ada@example.com", "s", "t", None);
    let id = job.message_id.clone().unwrap();
    assert_eq!(id.len(), 32);
    assert_ne!(
        MailJob::new("ada@example.com", "s", "t", None).message_id,
        Some(id.clone())
    );
    let stored = encode(&Queued::new(job));
    let json: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(
        (json["to"].as_str(), json["attempts"].as_u64()),
        (Some("ada@example.com"), Some(0))
    );
    let back: QueuedMail = serde_json::from_slice(&stored).unwrap();
    assert_eq!(back.job.message_id.as_deref(), Some(id.as_str()));
    let earlier =
        br#"{"to":"ada@example.com","subject":"s","text":"t","queued_at_ms":1,"attempts":2}"#;
    let earlier: QueuedMail = serde_json::from_slice(earlier).unwrap();
    assert_eq!((earlier.job.message_id, earlier.attempts), (None, 2));
    assert_eq!(
        earlier.job.html, None,
        "queued before HTML parts: sent as text alone"
    );
    // An HTML part is kept beside the text, and a message without one stores no field.
    let both = MailJob::new("ada@example.com", "s", "t", Some("<p>t</p>"));
    let back: QueuedMail = serde_json::from_slice(&encode(&Queued::new(both))).unwrap();
    assert_eq!(back.job.html.as_deref(), Some("<p>t</p>"));
    assert!(json.get("html").is_none());
}

/// Only a refusal of the mailbox itself ends a message at once; other 5xx replies (a 554
/// greeting, a 535 while credentials change, either forged before TLS) are retried.
#[test]
fn only_mailbox_refusals_are_final() {
    for code in [550, 551, 552, 553] {
        assert!(refuses_for_good(code), "{code}");
    }
    for code in [421, 450, 535, 554, 530, 500] {
        assert!(!refuses_for_good(code), "{code}");
    }
}
