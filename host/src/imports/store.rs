//! `sesame:auth/store`: the component's storage, over the host's [`StoreBackend`](crate::store::StoreBackend).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::bindings::store::{self, Entry, StoreError};
use crate::ctx::SesameCtxView;
use crate::store::{BackendError, MAX_SCAN_LIMIT};

impl store::Host for SesameCtxView<'_> {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Entry>, StoreError>> {
        Ok(timed(self.host_wait, "get", self.backend.get(&key))
            .await
            .map(|e| e.map(entry))
            .map_err(error))
    }

    async fn put(
        &mut self,
        key: String,
        value: Vec<u8>,
        expect_version: Option<u64>,
        ttl_ms: Option<u64>,
    ) -> wasmtime::Result<Result<u64, StoreError>> {
        Ok(timed(
            self.host_wait,
            "put",
            self.backend.put(&key, value, expect_version, ttl_ms),
        )
        .await
        .map_err(error))
    }

    async fn delete(
        &mut self,
        key: String,
        expect_version: Option<u64>,
    ) -> wasmtime::Result<Result<bool, StoreError>> {
        Ok(timed(
            self.host_wait,
            "delete",
            self.backend.delete(&key, expect_version),
        )
        .await
        .map_err(error))
    }

    async fn scan(
        &mut self,
        prefix: String,
        after: Option<String>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<(String, Entry)>, StoreError>> {
        Ok(timed(
            self.host_wait,
            "scan",
            self.backend
                .scan(&prefix, after.as_deref(), limit.min(MAX_SCAN_LIMIT)),
        )
        .await
        .map(|list| list.into_iter().map(|(k, e)| (k, entry(e))).collect())
        .map_err(error))
    }
}

/// Runs one back-end call (`op`), adds how long it took to `waited` and counts it.
async fn timed<T>(
    waited: &mut Duration,
    op: &'static str,
    call: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    let started = Instant::now();
    let out = call.await;
    let took = started.elapsed();
    *waited += took;
    let failed = matches!(out, Err(BackendError::Unavailable(_)));
    crate::metrics::metrics().store_operation(op, took, failed);
    out
}

fn entry(e: crate::store::Entry) -> Entry {
    Entry {
        value: e.value,
        version: e.version,
    }
}

fn error(e: BackendError) -> StoreError {
    match e {
        BackendError::Conflict => StoreError::Conflict,
        BackendError::Unavailable(why) => {
            tracing::warn!(error = %why, "store unavailable");
            StoreError::Unavailable(why)
        }
        BackendError::TooLarge => StoreError::TooLarge,
    }
}
