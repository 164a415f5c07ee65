//! Webhook delivery (`crate::webhooks` over `crate::queue`) against a real HTTP receiver on
//! loopback: two nodes on one store deliver each event once, on every store back end (SQLite
//! always; PostgreSQL and Redis when `SESAME_TEST_POSTGRES_URL` / `SESAME_TEST_REDIS_URL` name
//! a server); a 410 Gone disables the endpoint; a stop leaves nothing claimed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::bindings::outbox::{Event, EventKind};
use crate::queue::RetryPolicy;
use crate::store::conformance::{service_url, sqlite_pair, unique_name, with_param};
use crate::store::{PostgresBackend, RedisBackend, StoreBackend};
use crate::webhooks::endpoints::{self, EventFilter};
use crate::webhooks::{DEAD_PREFIX, Options, PENDING_PREFIX, Webhooks};

/// One request the receiver got: its headers (lower-case names) and body.
#[derive(Debug)]
struct Request {
    headers: HashMap<String, String>,
    body: String,
}

/// A receiver on a loopback port answering every request with the status it holds (204 at
/// first); each request comes down the channel.
async fn receiver() -> (String, Arc<AtomicU16>, mpsc::UnboundedReceiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    let status = Arc::new(AtomicU16::new(204));
    let (tx, rx) = mpsc::unbounded_channel();
    let answer = status.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, answer) = (tx.clone(), answer.clone());
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                let mut headers = HashMap::new();
                loop {
                    line.clear();
                    reader.read_line(&mut line).await.unwrap();
                    if line == "\r\n" {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap();
                    headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
                }
                let mut body = vec![0; headers["content-length"].parse().unwrap()];
                reader.read_exact(&mut body).await.unwrap();
                let status = answer.load(Ordering::SeqCst);
                let _ = tx.send(Request {
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
                let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                let _ = write.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, status, rx)
}

const QUICK: RetryPolicy = RetryPolicy {
    base: Duration::from_millis(20),
    max_attempts: 100,
};

fn options() -> Options {
    Options {
        flag: None,
        ca_file: None,
        policy: QUICK,
    }
}

fn event(n: u64) -> Event {
    Event {
        kind: EventKind::LoginFailed,
        user_id: Some(format!("user-{n}")),
        address: None,
        at_ms: 1_700_000_000_000 + n,
    }
}

async fn entries(backend: &dyn StoreBackend, prefix: &str) -> Vec<serde_json::Value> {
    backend
        .scan(prefix, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| serde_json::from_slice(&e.value).unwrap())
        .collect()
}

async fn wait_until_empty(backend: &dyn StoreBackend, prefix: &str) {
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = entries(backend, prefix).await;
        if left.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "still queued: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two nodes on one store, each handed half the events: every event reaches the endpoint
/// exactly once, signed with the endpoint's secret, whichever node claims it.
async fn two_nodes_deliver_each_event_once(a: Arc<dyn StoreBackend>, b: Arc<dyn StoreBackend>) {
    let (url, _, mut received) = receiver().await;
    let (endpoint, secret) = endpoints::add(&*a, &url.parse().unwrap(), &EventFilter::all())
        .await
        .unwrap();
    let one = Webhooks::start(a.clone(), options()).await.unwrap();
    let two = Webhooks::start(b.clone(), options()).await.unwrap();
    for n in 0..20 {
        let node = if n % 2 == 0 { &one } else { &two };
        node.submit(&event(n), "login-failed");
    }
    assert!(one.flush(Duration::from_secs(10)).await);
    assert!(two.flush(Duration::from_secs(10)).await);
    let mut ids: HashMap<String, usize> = HashMap::new();
    while ids.values().sum::<usize>() < 20 {
        let request = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .unwrap_or_else(|_| panic!("only these arrived: {ids:?}"))
            .unwrap();
        let id = request.headers["webhook-id"].clone();
        let timestamp: u64 = request.headers["webhook-timestamp"].parse().unwrap();
        assert_eq!(
            request.headers["webhook-signature"],
            secret.sign(&id, timestamp, &request.body)
        );
        *ids.entry(id).or_default() += 1;
    }
    // Time for any second delivery to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(extra) = received.try_recv() {
        *ids.entry(extra.headers["webhook-id"].clone()).or_default() += 1;
    }
    assert_eq!(ids.len(), 20, "{ids:?}");
    assert!(ids.values().all(|&n| n == 1), "delivered twice: {ids:?}");
    wait_until_empty(&*a, PENDING_PREFIX).await;
    assert!(one.stop(Duration::from_secs(10)).await);
    assert!(two.stop(Duration::from_secs(10)).await);
    assert!(endpoints::remove(&*a, &endpoint.id).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = sqlite_pair(dir.path(), &AtomicUsize::new(0)).await;
    two_nodes_deliver_each_event_once(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_postgres() {
    let Some(url) = service_url("SESAME_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = unique_name("hooks_pg");
    let url = with_param(&url, &format!("schema={schema}"));
    let a = Arc::new(PostgresBackend::open(&url).await.unwrap());
    let b: Arc<dyn StoreBackend> = Arc::new(PostgresBackend::open(&url).await.unwrap());
    two_nodes_deliver_each_event_once(a.clone(), b).await;
    a.drop_schema(&schema).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_redis() {
    let Some(url) = service_url("SESAME_TEST_REDIS_URL") else {
        return;
    };
    let url = with_param(&url, &format!("prefix={}", unique_name("hooks_redis")));
    let a: Arc<dyn StoreBackend> = Arc::new(RedisBackend::open(&url).await.unwrap());
    let b: Arc<dyn StoreBackend> = Arc::new(RedisBackend::open(&url).await.unwrap());
    two_nodes_deliver_each_event_once(a, b).await;
}

/// An endpoint gets only the kinds its filter names; one whose receiver answers 410 Gone is
/// disabled, its delivery kept as a dead letter, and no more events are queued for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_apply_and_410_gone_disables_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (backend, _) = sqlite_pair(dir.path(), &AtomicUsize::new(0)).await;
    let (url, status, mut received) = receiver().await;
    let (endpoint, _) = endpoints::add(
        &*backend,
        &url.parse().unwrap(),
        &"locked,login-failed".parse().unwrap(),
    )
    .await
    .unwrap();
    let webhooks = Webhooks::start(backend.clone(), options()).await.unwrap();
    webhooks.submit(&event(1), "registered");
    webhooks.submit(&event(2), "login-failed");
    let first = tokio::time::timeout(Duration::from_secs(20), received.recv())
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["type"], "login-failed");
    assert_eq!(body["data"]["user_id"], "user-2");
    wait_until_empty(&*backend, PENDING_PREFIX).await;
    assert!(
        received.try_recv().is_err(),
        "the filtered-out kind was sent"
    );

    status.store(410, Ordering::SeqCst);
    webhooks.submit(&event(3), "locked");
    tokio::time::timeout(Duration::from_secs(20), received.recv())
        .await
        .unwrap()
        .unwrap();
    wait_until_empty(&*backend, PENDING_PREFIX).await;
    let dead = entries(&*backend, DEAD_PREFIX).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["last_error"], "the receiver answered 410 Gone");
    let listed = endpoints::list(&*backend).await.unwrap();
    assert!(listed[0].disabled.is_some(), "{listed:?}");
    // The deliverer's next pass reads the endpoint as disabled: nothing more is queued.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    webhooks.submit(&event(4), "locked");
    assert!(webhooks.flush(Duration::from_secs(10)).await);
    assert!(entries(&*backend, PENDING_PREFIX).await.is_empty());
    assert!(received.try_recv().is_err());

    endpoints::set_disabled(&*backend, &endpoint.id, None)
        .await
        .unwrap();
    assert!(webhooks.stop(Duration::from_secs(10)).await);
}

/// A stop lets the attempt under way end and settles it, so nothing stays claimed; what is
/// pending is left for the next start, which delivers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_leaves_nothing_claimed_and_the_next_start_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let (backend, _) = sqlite_pair(dir.path(), &AtomicUsize::new(0)).await;
    let (url, status, mut received) = receiver().await;
    status.store(503, Ordering::SeqCst);
    endpoints::add(&*backend, &url.parse().unwrap(), &EventFilter::all())
        .await
        .unwrap();
    let first = Webhooks::start(backend.clone(), options()).await.unwrap();
    for n in 0..3 {
        first.submit(&event(n), "login-failed");
    }
    assert!(first.flush(Duration::from_secs(10)).await);
    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .unwrap()
            .unwrap();
    }
    assert!(first.stop(Duration::from_secs(10)).await);
    let pending = entries(&*backend, PENDING_PREFIX).await;
    assert_eq!(pending.len(), 3);
    assert!(
        pending.iter().all(|d| d["claimed_by"].is_null()),
        "{pending:?}"
    );
    // Stopped: nothing more is attempted.
    while received.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(received.try_recv().is_err());

    status.store(200, Ordering::SeqCst);
    let second = Webhooks::start(backend.clone(), options()).await.unwrap();
    wait_until_empty(&*backend, PENDING_PREFIX).await;
    assert!(second.stop(Duration::from_secs(10)).await);
}
