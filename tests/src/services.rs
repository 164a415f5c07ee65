//! The shared database servers the multi-node tests run on, and a fresh, private corner of
//! each for every test.
//!
//! `scripts/test-services` starts PostgreSQL and Redis on loopback and prints
//! `SESAME_TEST_POSTGRES_URL` and `SESAME_TEST_REDIS_URL`. A test whose server is not configured
//! is skipped, unless `SESAME_TEST_REQUIRE_SERVICES=1` (as `.ci/run` sets), which makes it fail.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A shared store back end the tests can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// PostgreSQL, one fresh schema per store.
    Postgres,
    /// Redis, one fresh key prefix per store.
    Redis,
}

impl Shared {
    fn variable(self) -> &'static str {
        match self {
            Shared::Postgres => "SESAME_TEST_POSTGRES_URL",
            Shared::Redis => "SESAME_TEST_REDIS_URL",
        }
    }

    /// A `--store` URL for a fresh, empty store on this back end's test server, or `None` (with
    /// a note on stderr) when the server is not configured and not required.
    pub fn fresh_store(self) -> Option<String> {
        let var = self.variable();
        let url = match std::env::var(var) {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("SESAME_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
                    "{var} is not set but SESAME_TEST_REQUIRE_SERVICES=1: run scripts/test-services"
                );
                eprintln!(
                    "{var} is not set: skipping (eval \"$(scripts/test-services)\" to run it)"
                );
                return None;
            }
        };
        let name = unique_name();
        let param = match self {
            Shared::Postgres => format!("schema={name}"),
            Shared::Redis => format!("prefix={name}"),
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(format!("{url}{sep}{param}"))
    }
}

/// A schema or prefix name no other test, run or process uses.
fn unique_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    format!(
        "e2e_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}
