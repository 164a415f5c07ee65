//! Storage back ends behind one trait, [`StoreBackend`], whose contract is the WIT
//! `sesame:auth/store` interface (see `wit/sesame.wit`): versions never repeat for a key,
//! expired entries behave as absent everywhere, keys ≤ 512 bytes, values ≤ 1 MiB.
//!
//! [`open`] is the only place a back end is chosen.

mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use sqlite::SqliteBackend;

/// Longest key accepted, in bytes (WIT contract).
pub(crate) const MAX_KEY_BYTES: usize = 512;
/// Largest value accepted, in bytes (WIT contract).
pub(crate) const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Most entries one scan returns (WIT contract lets the host cap `limit`).
pub(crate) const MAX_SCAN_LIMIT: u32 = 1000;

/// A stored value and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) value: Vec<u8>,
    pub(crate) version: u64,
}

/// Why a back-end call did not happen; mirrors WIT `store-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BackendError {
    /// `expect-version` did not match; nothing written.
    #[error("version conflict")]
    Conflict,
    /// The database failed; nothing is known to be written.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Key or value over the limits.
    #[error("key or value too large")]
    TooLarge,
}

/// A durable store for the component, plus a small host-only area for the host's own secrets
/// that the component cannot reach.
///
/// # Example
///
/// ```ignore
/// let backend = store::open(&StoreUrl::Sqlite("sesame.db".into()))?;
/// let v = backend.put("k", b"v".to_vec(), Some(0), None).await?;
/// assert_eq!(backend.get("k").await?.map(|e| e.version), Some(v));
/// ```
#[async_trait::async_trait]
pub(crate) trait StoreBackend: Send + Sync {
    /// Reads a live entry.
    async fn get(&self, key: &str) -> Result<Option<Entry>, BackendError>;
    /// Writes with optional compare-and-swap and time-to-live; returns the new version.
    async fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        expect_version: Option<u64>,
        ttl_ms: Option<u64>,
    ) -> Result<u64, BackendError>;
    /// Removes a live entry; `conflict` if `expect_version` is given and differs.
    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError>;
    /// Lists live entries under `prefix` in ascending key order, after `after`, at most `limit`.
    async fn scan(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Entry)>, BackendError>;
    /// Deletes expired entries to reclaim space (they are already invisible); returns how many.
    async fn purge_expired(&self) -> Result<usize, BackendError>;
    /// Returns the host secret `name`, storing `fresh` first if there is none. Atomic, so
    /// several hosts on one database agree on one value.
    async fn host_secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, BackendError>;
}

/// Where data lives, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreUrl {
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
}

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite:") {
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if s.contains("://") {
            return Err(format!(
                "unsupported store '{s}': use sqlite:PATH or a plain file path"
            ));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(s)))
    }
}

/// Opens the back end `url` names.
pub(crate) fn open(url: &StoreUrl) -> Result<Arc<dyn StoreBackend>, BackendError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(Arc::new(SqliteBackend::open(path)?)),
    }
}

/// The smallest string greater than every string starting with `prefix`, if there is one.
/// UTF-8 byte order equals code point order, so bumping the last code point works.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod conformance;
