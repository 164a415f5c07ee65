//! `sesame:auth/store`: the component's storage, over the host's [`StoreBackend`](crate::store::StoreBackend).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::bindings::store::{self, Entry, StoreError};
use crate::ctx::SesameCtxView;
use crate::store::{BackendError, MAX_SCAN_LIMIT};

/// Keys the host keeps for itself in the shared store: the webhooks' endpoints and queued
/// deliveries. The component never reads or writes them (core has no key under this prefix):
/// an endpoint URL or a queued delivery written by the component would have the host sign
/// whatever body the component chose with an endpoint's secret and send it wherever the
/// component said. The secrets themselves are in the store's host-only area, which this
/// import cannot reach at all.
const HOST_KEYS: &str = crate::webhooks::KEY_PREFIX;

/// Whether `key` is one of the host's.
fn is_host_key(key: &str) -> bool {
    key.starts_with(HOST_KEYS)
}

/// Whether a scan of `prefix` could return host keys: it is under them, or they are under it.
fn reaches_host_keys(prefix: &str) -> bool {
    prefix.starts_with(HOST_KEYS) || HOST_KEYS.starts_with(prefix)
}

/// The answer to a component's attempt at a host key (logged: core never makes one).
fn refused(op: &str, key: &str) -> StoreError {
    tracing::warn!(
        op,
        key,
        "the component asked for a key the host keeps for itself; refused"
    );
    StoreError::Unavailable(format!("keys under {HOST_KEYS} belong to the host"))
}

impl store::Host for SesameCtxView<'_> {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Entry>, StoreError>> {
        if is_host_key(&key) {
            return Ok(Err(refused("get", &key)));
        }
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
        if is_host_key(&key) {
            return Ok(Err(refused("put", &key)));
        }
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
        if is_host_key(&key) {
            return Ok(Err(refused("delete", &key)));
        }
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
        if reaches_host_keys(&prefix) {
            return Ok(Err(refused("scan", &prefix)));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_and_scans_reaching_them_are_recognised() {
        for key in ["hooks/endpoints/ep_1", "hooks/pending/x", "hooks/"] {
            assert!(is_host_key(key), "{key}");
        }
        for key in ["hook", "user/hooks/x", "mailq/pending/x", "hooksx"] {
            assert!(!is_host_key(key), "{key}");
        }
        for prefix in ["", "h", "hooks", "hooks/", "hooks/pending/"] {
            assert!(reaches_host_keys(prefix), "{prefix}");
        }
        for prefix in ["user/", "mailq/", "i", "hooksx/"] {
            assert!(!reaches_host_keys(prefix), "{prefix}");
        }
    }
}
