//! The storage contract, checked against every back end. Each case takes a fresh back end.

use std::sync::Arc;

use super::*;

/// Runs every case on back ends made by `make`.
async fn run_all(make: impl Fn() -> Arc<dyn StoreBackend>) {
    cas_rules(make()).await;
    ttl_hides_entries(make()).await;
    scan_orders_and_pages(make()).await;
    versions_never_repeat_after_delete(make()).await;
    limits(make()).await;
    concurrent_increments_are_exact(make()).await;
    host_secret_is_created_once(make()).await;
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

async fn concurrent_increments_are_exact(b: Arc<dyn StoreBackend>) {
    const TASKS: u64 = 200;
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let b = b.clone();
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
    let value = b.get("counter").await.unwrap().unwrap().value;
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

#[test]
fn prefix_bounds() {
    assert_eq!(prefix_upper_bound("p/").as_deref(), Some("p0"));
    assert_eq!(prefix_upper_bound(""), None);
    assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    run_all(|| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Arc::new(SqliteBackend::open(&dir.path().join(format!("{i}.db"))).unwrap())
    })
    .await;
}
