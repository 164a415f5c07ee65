//! The storage contract, checked against every back end. Each case takes a fresh store, opened
//! twice where it matters: two handles on one database behave like two `sesame serve` nodes.
//!
//! SQLite always runs. PostgreSQL and Redis run against the servers named by
//! `SESAME_TEST_POSTGRES_URL` and `SESAME_TEST_REDIS_URL` (`scripts/test-services` starts them
//! and prints both); without them these tests pass vacuously, unless
//! `SESAME_TEST_REQUIRE_SERVICES=1` (set by `.ci/run`) turns a missing URL into a failure.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// Two handles on one fresh store.
pub(crate) type Pair = (Arc<dyn StoreBackend>, Arc<dyn StoreBackend>);

/// Runs every case on fresh stores made by `make`.
async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Pair>,
{
    cas_rules(make().await.0).await;
    ttl_hides_entries(make().await.0).await;
    scan_orders_and_pages(make().await.0).await;
    versions_never_repeat_after_delete(make().await.0).await;
    limits(make().await.0).await;
    concurrent_increments_are_exact(make().await).await;
    host_secret_is_created_once(make().await.0).await;
    create_race_has_one_winner(make().await).await;
    host_secret_race_across_nodes(make().await).await;
    scan_pages_through_many_keys_and_expired_ones(make().await.0).await;
    large_values_round_trip(make().await.0).await;
    export_lists_everything_with_lifetimes(make().await.0).await;
    purge_keeps_live_entries(make().await.0).await;
}

async fn cas_rules(b: Arc<dyn StoreBackend>) {
    let v1 = b.put("k", b"a".to_vec(), Some(0), None).await.unwrap();
    assert_ne!(v1, 0);
    assert_eq!(
        b.put("k", b"b".to_vec(), Some(0), None).await,
        Err(BackendError::Conflict)
    );
    assert_eq!(
        b.put("k", b"b".to_vec(), Some(v1 + 1000), None).await,
        Err(BackendError::Conflict)
    );
    let v2 = b.put("k", b"b".to_vec(), Some(v1), None).await.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(
        b.get("k").await.unwrap(),
        Some(Entry {
            value: b"b".to_vec(),
            version: v2
        })
    );
    assert_eq!(b.delete("k", Some(v1)).await, Err(BackendError::Conflict));
    assert!(b.delete("k", Some(v2)).await.unwrap());
    assert!(!b.delete("k", None).await.unwrap());
    assert_eq!(b.get("k").await.unwrap(), None);
    // Unconditional writes always succeed.
    b.put("k", b"c".to_vec(), None, None).await.unwrap();
    b.put("k", b"d".to_vec(), None, None).await.unwrap();
    assert_eq!(b.get("k").await.unwrap().unwrap().value, b"d");
}

async fn ttl_hides_entries(b: Arc<dyn StoreBackend>) {
    b.put("t/1", b"x".to_vec(), Some(0), Some(1)).await.unwrap();
    b.put("t/2", b"y".to_vec(), Some(0), Some(60_000))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(b.get("t/1").await.unwrap(), None);
    assert!(b.get("t/2").await.unwrap().is_some());
    let keys: Vec<String> = b
        .scan("t/", None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["t/2"]);
    assert!(!b.delete("t/1", None).await.unwrap());
    // An expired key counts as absent for "must not exist".
    b.put("t/1", b"z".to_vec(), Some(0), None).await.unwrap();
}

async fn scan_orders_and_pages(b: Arc<dyn StoreBackend>) {
    for k in ["p/c", "p/a", "q/a", "p/b", "p", "o/z", "p/é"] {
        b.put(k, k.as_bytes().to_vec(), None, None).await.unwrap();
    }
    let page = |after: Option<&'static str>| {
        let b = b.clone();
        async move {
            b.scan("p/", after, 2)
                .await
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page(None).await, ["p/a", "p/b"]);
    assert_eq!(page(Some("p/b")).await, ["p/c", "p/é"]);
    assert!(page(Some("p/é")).await.is_empty());
    let all = b.scan("", None, 100).await.unwrap();
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(b.scan("p/", None, 100_000).await.unwrap().len(), 4);
}

async fn versions_never_repeat_after_delete(b: Arc<dyn StoreBackend>) {
    let v1 = b.put("r", b"1".to_vec(), Some(0), None).await.unwrap();
    b.delete("r", None).await.unwrap();
    let v2 = b.put("r", b"2".to_vec(), Some(0), None).await.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(
        b.put("r", b"3".to_vec(), Some(v1), None).await,
        Err(BackendError::Conflict)
    );
}

async fn limits(b: Arc<dyn StoreBackend>) {
    let big = vec![7u8; MAX_VALUE_BYTES];
    b.put("big", big.clone(), None, None).await.unwrap();
    assert_eq!(b.get("big").await.unwrap().unwrap().value, big);
    assert_eq!(
        b.put("big", vec![0; MAX_VALUE_BYTES + 1], None, None).await,
        Err(BackendError::TooLarge)
    );
    assert_eq!(
        b.put(&"k".repeat(MAX_KEY_BYTES + 1), vec![], None, None)
            .await,
        Err(BackendError::TooLarge)
    );
}

async fn concurrent_increments_are_exact((a, b): Pair) {
    const TASKS: u64 = 200;
    let mut handles = Vec::new();
    for i in 0..TASKS {
        // Spread over both handles, as two nodes would.
        let b = if i % 2 == 0 { a.clone() } else { b.clone() };
        handles.push(tokio::spawn(async move {
            loop {
                let current = b.get("counter").await.unwrap();
                let (n, expect) = match current {
                    Some(e) => (u64::from_le_bytes(e.value.try_into().unwrap()), e.version),
                    None => (0, 0),
                };
                match b
                    .put(
                        "counter",
                        (n + 1).to_le_bytes().to_vec(),
                        Some(expect),
                        None,
                    )
                    .await
                {
                    Ok(_) => break,
                    Err(BackendError::Conflict) => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let value = a.get("counter").await.unwrap().unwrap().value;
    assert_eq!(u64::from_le_bytes(value.try_into().unwrap()), TASKS);
}

async fn host_secret_is_created_once(b: Arc<dyn StoreBackend>) {
    let first = b.host_secret("secret:test", vec![1; 32]).await.unwrap();
    let second = b.host_secret("secret:test", vec![2; 32]).await.unwrap();
    assert_eq!(first, vec![1; 32]);
    assert_eq!(second, first);
    // Host secrets are not visible through the component's key space.
    assert!(b.scan("", None, 100).await.unwrap().is_empty());
}

async fn create_race_has_one_winner((a, b): Pair) {
    let mut handles = Vec::new();
    for i in 0..50u8 {
        let b = if i % 2 == 0 { a.clone() } else { b.clone() };
        handles.push(tokio::spawn(async move {
            b.put("once", vec![i], Some(0), None).await
        }));
    }
    let mut winners = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(version) => winners.push(version),
            Err(BackendError::Conflict) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert_eq!(b.get("once").await.unwrap().unwrap().version, winners[0]);
}

async fn host_secret_race_across_nodes((a, b): Pair) {
    let mut handles = Vec::new();
    for i in 0..20u8 {
        let b = if i % 2 == 0 { a.clone() } else { b.clone() };
        handles.push(tokio::spawn(async move {
            b.host_secret("secret:race", vec![i; 32]).await.unwrap()
        }));
    }
    let mut seen = Vec::new();
    for h in handles {
        seen.push(h.await.unwrap());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "one secret for all");
    assert_eq!(
        b.host_secrets().await.unwrap(),
        [("secret:race".to_owned(), seen[0].clone())]
    );
}

async fn scan_pages_through_many_keys_and_expired_ones(b: Arc<dyn StoreBackend>) {
    let mut live = Vec::new();
    for i in 0..1500u32 {
        let key = format!("m/{i:05}");
        if i % 5 == 0 {
            b.put(&key, vec![1], None, Some(1)).await.unwrap();
        } else {
            b.put(&key, i.to_le_bytes().to_vec(), None, None)
                .await
                .unwrap();
            live.push(key);
        }
    }
    b.put("n/after", vec![], None, None).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for page_size in [7, 1000, 5000] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = b.scan("m/", after.as_deref(), page_size).await.unwrap();
            assert!(page.len() <= page_size.min(MAX_SCAN_LIMIT) as usize);
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            seen.extend(page.into_iter().map(|(k, _)| k));
        }
        assert_eq!(seen, live, "page size {page_size}");
    }
}

async fn large_values_round_trip(b: Arc<dyn StoreBackend>) {
    let value = |i: u8| {
        (0..MAX_VALUE_BYTES)
            .map(|j| (j as u8) ^ i)
            .collect::<Vec<u8>>()
    };
    for i in 0..8u8 {
        b.put(&format!("big/{i}"), value(i), None, None)
            .await
            .unwrap();
    }
    let all = b.scan("big/", None, 100).await.unwrap();
    assert_eq!(all.len(), 8);
    for (i, (_, entry)) in all.iter().enumerate() {
        assert!(entry.value == value(i as u8), "value {i} intact");
    }
}

async fn export_lists_everything_with_lifetimes(b: Arc<dyn StoreBackend>) {
    b.put("e/1", b"one".to_vec(), None, None).await.unwrap();
    b.put("e/2", b"two".to_vec(), None, Some(3_600_000))
        .await
        .unwrap();
    b.put("e/3", b"gone".to_vec(), None, Some(1)).await.unwrap();
    b.host_secret("secret:x", vec![9; 4]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let all = b.export(None, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].key.as_str(), all[0].ttl_ms), ("e/1", None));
    assert_eq!(all[1].key, "e/2");
    let ttl = all[1].ttl_ms.unwrap();
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");
    assert_eq!(b.export(Some("e/1"), 10).await.unwrap().len(), 1);
    assert_eq!(
        b.host_secrets().await.unwrap(),
        [("secret:x".to_owned(), vec![9; 4])]
    );
}

async fn purge_keeps_live_entries(b: Arc<dyn StoreBackend>) {
    b.put("x/live", b"1".to_vec(), None, None).await.unwrap();
    b.put("x/dead", b"2".to_vec(), None, Some(1)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    b.purge_expired().await.unwrap();
    let keys: Vec<String> = b
        .scan("x/", None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["x/live"]);
}

/// Copies a filled SQLite store into `to` and checks the copy; a second copy is refused.
async fn migrate_into(to: Arc<dyn StoreBackend>) {
    let dir = tempfile::tempdir().unwrap();
    let from = SqliteBackend::open(&dir.path().join("from.db")).unwrap();
    for i in 0..2100u32 {
        let ttl = (i % 3 == 0).then_some(3_600_000);
        from.put(&format!("user/{i}"), i.to_be_bytes().to_vec(), None, ttl)
            .await
            .unwrap();
    }
    from.host_secret("secret:master", vec![42; 32])
        .await
        .unwrap();
    let copied = copy_all(&from, &*to).await.unwrap();
    assert_eq!(
        copied,
        migrate::Migrated {
            records: 2100,
            host_secrets: 1
        }
    );
    assert_eq!(
        to.get("user/7").await.unwrap().unwrap().value,
        7u32.to_be_bytes()
    );
    assert_eq!(
        to.host_secret("secret:master", vec![0; 32]).await.unwrap(),
        vec![42; 32]
    );
    assert!(matches!(
        copy_all(&from, &*to).await,
        Err(migrate::MigrateError::TargetNotEmpty(_))
    ));
}

/// A server URL from the environment, or `None` when the back end is to be skipped.
pub(crate) fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("SESAME_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1") => {
            panic!("{var} is not set but SESAME_TEST_REQUIRE_SERVICES=1: run scripts/test-services")
        }
        _ => {
            eprintln!("{var} is not set: skipping (eval \"$(scripts/test-services)\" to run it)");
            None
        }
    }
}

/// A name no other test run uses.
pub(crate) fn unique_name(kind: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "t_{kind}_{}_{}_{}",
        std::process::id(),
        now_ms() % 1_000_000_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// `url` with one more query parameter.
pub(crate) fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

#[test]
fn prefix_bounds() {
    assert_eq!(prefix_upper_bound("p/").as_deref(), Some("p0"));
    assert_eq!(prefix_upper_bound(""), None);
    assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
}

/// Two handles on a fresh SQLite database in `dir`, named by the count `n` of those made there.
pub(crate) fn sqlite_pair(dir: &Path, n: &AtomicUsize) -> impl Future<Output = Pair> + use<> {
    let path = dir.join(format!("{}.db", n.fetch_add(1, Ordering::SeqCst)));
    async move {
        let a: Arc<dyn StoreBackend> = Arc::new(SqliteBackend::open(&path).unwrap());
        let b: Arc<dyn StoreBackend> = Arc::new(SqliteBackend::open(&path).unwrap());
        (a, b)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    run_all(|| sqlite_pair(dir.path(), &n)).await;
    let to = dir.path().join("to.db");
    migrate_into(Arc::new(SqliteBackend::open(&to).unwrap())).await;
}

/// Runs every case and the migration check on a server shared with other tests: each pair of
/// clients and the migration target get a namespace of their own (a schema, a key prefix)
/// named after `kind`, opened by `open`. Returns the namespaces, for the caller to remove.
async fn conforms_in_namespaces<B, F, Fut>(kind: &str, open: &F) -> Vec<String>
where
    B: StoreBackend + 'static,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Arc<B>>,
{
    let names = std::sync::Mutex::new(Vec::new());
    let fresh = || {
        let name = unique_name(kind);
        names.lock().unwrap().push(name.clone());
        name
    };
    run_all(|| {
        let name = fresh();
        async move {
            let a: Arc<dyn StoreBackend> = open(name.clone()).await;
            let b: Arc<dyn StoreBackend> = open(name).await;
            (a, b)
        }
    })
    .await;
    migrate_into(open(fresh()).await).await;
    names.into_inner().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms() {
    let Some(url) = service_url("SESAME_TEST_POSTGRES_URL") else {
        return;
    };
    let open = |schema: String| {
        let url = with_param(&url, &format!("schema={schema}"));
        async move { Arc::new(PostgresBackend::open(&url).await.unwrap()) }
    };
    let schemas = conforms_in_namespaces("pg", &open).await;
    let cleaner = open(unique_name("pg")).await;
    for schema in schemas {
        cleaner.drop_schema(&schema).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_conforms() {
    let Some(url) = service_url("SESAME_TEST_REDIS_URL") else {
        return;
    };
    let open = |prefix: String| {
        let url = with_param(&url, &format!("prefix={prefix}"));
        async move { Arc::new(RedisBackend::open(&url).await.unwrap()) }
    };
    let prefixes = conforms_in_namespaces("redis", &open).await;
    let mut admin = ::redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    for prefix in prefixes {
        remove_prefix(&mut admin, &prefix).await;
    }
}

/// Deletes every key a Redis back end with `prefix` wrote, so shared servers stay clean.
async fn remove_prefix(admin: &mut ::redis::aio::MultiplexedConnection, prefix: &str) {
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{{{prefix}}}:*"))
        .query_async(admin)
        .await
        .unwrap();
    for key in keys {
        let _: () = ::redis::cmd("DEL")
            .arg(key)
            .query_async(admin)
            .await
            .unwrap();
    }
}

/// A database that is down gives a clear `unavailable` at start, naming the back end, and
/// within the connect timeout.
#[tokio::test]
async fn unreachable_servers_are_a_clear_error() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let pg = PostgresBackend::open("postgres://nobody:secret@127.0.0.1:1/none").await;
    match pg {
        Err(BackendError::Unavailable(why)) => {
            assert!(why.starts_with("postgres: "), "{why}");
            assert!(!why.contains("secret"), "no password in errors: {why}");
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("connected to nothing"),
    }
    match RedisBackend::open("redis://:secret@127.0.0.1:1/").await {
        Err(BackendError::Unavailable(why)) => {
            assert!(why.starts_with("redis: "), "{why}");
            assert!(!why.contains("secret"), "no password in errors: {why}");
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("connected to nothing"),
    }
    assert!(matches!(
        "mysql://x".parse::<StoreUrl>(),
        Err(why) if why.contains("postgres://")
    ));
    assert_eq!(
        format!("{:?}", "postgres://u:pw@h/db".parse::<StoreUrl>().unwrap()),
        "Postgres(\"postgres://u:***@h/db\")"
    );
}

/// Connections the server ends under a running node (a restart, a fail-over) cost no
/// acknowledged write, and the node carries on without being restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_killed_connections() {
    let Some(url) = service_url("SESAME_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = unique_name("pgkill");
    let url = with_param(&url, &format!("schema={schema}&application_name={schema}"));
    let b = PostgresBackend::open(&url).await.unwrap();
    let mut acknowledged = Vec::new();
    for round in 0..3u32 {
        for i in 0..20u32 {
            let key = format!("k/{round}/{i}");
            b.put(&key, i.to_le_bytes().to_vec(), Some(0), None)
                .await
                .unwrap();
            acknowledged.push(key);
        }
        let (client, connection) =
            tokio_postgres::connect(&url_without_params(&url), tokio_postgres::NoTls)
                .await
                .unwrap();
        tokio::spawn(connection);
        let killed = client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&schema],
            )
            .await
            .unwrap();
        assert!(killed >= 1, "the node's connections were found");
    }
    for key in &acknowledged {
        assert!(b.get(key).await.unwrap().is_some(), "{key} survived");
    }
    b.drop_schema(&schema).await.unwrap();
}

fn url_without_params(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

/// Redis: the node's connection is killed; calls in flight may answer `unavailable` (never
/// anything else), the connection comes back by itself, and no acknowledged write is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_survives_killed_connections() {
    let Some(url) = service_url("SESAME_TEST_REDIS_URL") else {
        return;
    };
    let prefix = unique_name("rkill");
    let b = RedisBackend::open(&with_param(&url, &format!("prefix={prefix}")))
        .await
        .unwrap();
    let mut admin = ::redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for round in 0..3u32 {
        let id = b.client_id().await.unwrap();
        let _: () = ::redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut admin)
            .await
            .unwrap();
        for i in 0..20u32 {
            let key = format!("k/{round}/{i}");
            // Retry as a client would: `unavailable` is the only acceptable failure.
            for attempt in 0.. {
                match b.put(&key, vec![1], None, None).await {
                    Ok(_) => {
                        acknowledged.push(key.clone());
                        break;
                    }
                    Err(BackendError::Unavailable(why)) if attempt < 5 => {
                        assert!(why.starts_with("redis: "), "{why}");
                        refused += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
    assert!(refused <= 3 * 5, "the connection came back");
    for key in &acknowledged {
        assert!(b.get(key).await.unwrap().is_some(), "{key} survived");
    }
    assert_eq!(acknowledged.len(), 60);
    remove_prefix(&mut admin, &prefix).await;
}
