//! The request deadline counts the component's own running time: waiting on a slow store back
//! end does not use it up. (The deadline firing on a runaway guest is proven end to end in
//! `tests/tests/sandbox.rs`.)

use std::sync::Arc;
use std::time::Duration;

use super::support::{instance, runtime};
use crate::sandbox::SandboxLimits;
use crate::store::{BackendError, Entry, Page, Record, SqliteBackend, StoreBackend, Write};

/// How long every call to [`SlowBackend`] waits before answering.
const STORE_DELAY: Duration = Duration::from_millis(150);

/// A real SQLite back end behind a slow link: each call first waits [`STORE_DELAY`].
struct SlowBackend(SqliteBackend);

#[async_trait::async_trait]
impl StoreBackend for SlowBackend {
    async fn get(&self, key: &str) -> Result<Option<Entry>, BackendError> {
        tokio::time::sleep(STORE_DELAY).await;
        self.0.get(key).await
    }
    async fn write(&self, write: Write<'_>) -> Result<u64, BackendError> {
        tokio::time::sleep(STORE_DELAY).await;
        self.0.write(write).await
    }
    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError> {
        tokio::time::sleep(STORE_DELAY).await;
        self.0.delete(key, expect_version).await
    }
    async fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, BackendError> {
        tokio::time::sleep(STORE_DELAY).await;
        self.0.list(page).await
    }
    async fn purge_expired(&self) -> Result<usize, BackendError> {
        self.0.purge_expired().await
    }
    async fn host_secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, BackendError> {
        self.0.host_secret(name, fresh).await
    }
    async fn export(&self, after: Option<&str>, limit: u32) -> Result<Vec<Record>, BackendError> {
        self.0.export(after, limit).await
    }
    async fn host_secrets(&self) -> Result<Vec<(String, Vec<u8>)>, BackendError> {
        self.0.host_secrets().await
    }
    async fn forget_host_secret(&self, name: &str) -> Result<bool, BackendError> {
        self.0.forget_host_secret(name).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_on_the_store_does_not_count_against_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(SlowBackend(
        SqliteBackend::open(&dir.path().join("sesame.db")).unwrap(),
    ));
    let env = vec![
        ("SESAME_SECRET".to_owned(), format!("{}A", "B".repeat(42))),
        // Cheap hashing keeps the component's own work far below the deadline.
        ("SESAME_ARGON2_M_KIB".to_owned(), "1024".to_owned()),
        ("SESAME_ARGON2_T".to_owned(), "1".to_owned()),
    ];
    let deadline = Duration::from_millis(400);
    let runtime = runtime(
        backend,
        env,
        None,
        None,
        SandboxLimits {
            request_deadline: deadline,
            ..SandboxLimits::default()
        },
    );
    let (mut store, service) = instance(&runtime).await;
    let started = std::time::Instant::now();
    service
        .sesame_auth_accounts()
        .call_register(&mut store, "ada@example.com", "analytical engine", None)
        .await
        .expect("the component must not be stopped while it waits on the store")
        .unwrap();
    // The call really did wait longer than the deadline, so a wall-clock deadline would have
    // stopped it.
    assert!(started.elapsed() > deadline, "{:?}", started.elapsed());
}
