//! Storage back ends behind one trait, [`StoreBackend`], whose contract is the WIT
//! `sesame:auth/store` interface (see `wit/sesame.wit`): versions never repeat for a key,
//! expired entries behave as absent everywhere, keys ≤ 512 bytes, values ≤ 1 MiB.
//!
//! [`open`] is the only place a back end is chosen: an SQLite file (the zero-configuration
//! default), or PostgreSQL or Redis when several `sesame serve` nodes share one user base.

mod migrate;
mod postgres;
mod redis;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use self::migrate::copy_all;
pub(crate) use self::postgres::PostgresBackend;
pub(crate) use self::redis::RedisBackend;
pub(crate) use self::sqlite::SqliteBackend;

/// The store contract's limits and errors are core's: the component and every back end here
/// agree on them by construction (the WIT `store` interface states the same).
pub(crate) use sesame_core::store::{
    MAX_KEY_BYTES, MAX_SCAN_LIMIT, MAX_VALUE_BYTES, StoreError as BackendError,
};

/// Refuses a write whose key or value is over the WIT contract's sizes, before any back end
/// spends a round trip on it.
pub(crate) fn check_sizes(key: &str, value: &[u8]) -> Result<(), BackendError> {
    if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
        return Err(BackendError::TooLarge);
    }
    Ok(())
}

/// One write as a back end receives it from [`StoreBackend::put`], sizes already checked.
#[derive(Debug)]
pub(crate) struct Write<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: Vec<u8>,
    /// `None`: unconditional; `Some(0)`: the key must be absent; `Some(v)`: it must be at `v`.
    pub(crate) expect_version: Option<u64>,
    /// Lifetime from now, in ms; `None`: no expiry.
    pub(crate) ttl_ms: Option<u64>,
}

/// One page of a prefix scan as a back end receives it from [`StoreBackend::scan`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) after: Option<&'a str>,
    /// At most [`MAX_SCAN_LIMIT`].
    pub(crate) limit: u32,
}

/// A stored value and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) value: Vec<u8>,
    pub(crate) version: u64,
}

/// One live entry as `sesame migrate` copies it: its time to live is relative, so a copy made
/// between machines with different clocks keeps the same remaining lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) key: String,
    pub(crate) value: Vec<u8>,
    /// Milliseconds left to live, or `None` for an entry that never expires.
    pub(crate) ttl_ms: Option<u64>,
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
    /// Writes with optional compare-and-swap and time-to-live; returns the new version. A key
    /// or value over the contract's sizes is refused here, for every back end, before any
    /// round trip ([`BackendError::TooLarge`]).
    async fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        expect_version: Option<u64>,
        ttl_ms: Option<u64>,
    ) -> Result<u64, BackendError> {
        check_sizes(key, &value)?;
        self.write(Write {
            key,
            value,
            expect_version,
            ttl_ms,
        })
        .await
    }
    /// Carries out a [`StoreBackend::put`] whose sizes are checked: what a back end implements.
    async fn write(&self, write: Write<'_>) -> Result<u64, BackendError>;
    /// Removes a live entry; `conflict` if `expect_version` is given and differs.
    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError>;
    /// Lists live entries under `prefix` in ascending key order, after `after`, at most `limit`
    /// (capped here at [`MAX_SCAN_LIMIT`], for every back end).
    async fn scan(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Entry)>, BackendError> {
        self.list(Page {
            prefix,
            after,
            limit: limit.min(MAX_SCAN_LIMIT),
        })
        .await
    }
    /// Carries out a [`StoreBackend::scan`] whose limit is capped: what a back end implements.
    async fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, BackendError>;
    /// Deletes expired entries to reclaim space (they are already invisible); returns how many.
    async fn purge_expired(&self) -> Result<usize, BackendError>;
    /// Puts everything written so far where a copy of the store's files would see it, at a
    /// graceful stop (SQLite: the write-ahead log checkpointed into the database file and
    /// truncated). Back ends whose server owns the files have nothing to do.
    async fn settle(&self) -> Result<(), BackendError> {
        Ok(())
    }
    /// Returns the host secret `name`, storing `fresh` first if there is none. Atomic, so
    /// several hosts on one database agree on one value.
    async fn host_secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, BackendError>;
    /// Lists live entries of the whole key space in ascending key order, after `after`, at most
    /// `limit` (capped at [`MAX_SCAN_LIMIT`]), with their remaining lifetime: what `sesame
    /// migrate` copies.
    async fn export(&self, after: Option<&str>, limit: u32) -> Result<Vec<Record>, BackendError>;
    /// Every host secret, by name (never the internal version counter).
    async fn host_secrets(&self) -> Result<Vec<(String, Vec<u8>)>, BackendError>;
    /// Deletes the host secret `name` (once the operator keeps it elsewhere); whether it was
    /// there.
    async fn forget_host_secret(&self, name: &str) -> Result<bool, BackendError>;
}

/// Where data lives, as given on the command line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum StoreUrl {
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database: `postgres://user:password@host:port/db`, plus Sesame's own
    /// `schema=NAME` parameter to keep Sesame's tables in one schema of a shared database.
    Postgres(String),
    /// A Redis server: `redis://[:password@]host:port/db`, plus Sesame's own `prefix=NAME`
    /// parameter to keep Sesame's keys apart from other users of the server.
    Redis(String),
}

impl std::fmt::Debug for StoreUrl {
    // The URLs may carry a password; logs and `--help` output must not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StoreUrl::Postgres(url) => f.debug_tuple("Postgres").field(&redact(url)).finish(),
            StoreUrl::Redis(url) => f.debug_tuple("Redis").field(&redact(url)).finish(),
        }
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Postgres(url) | StoreUrl::Redis(url) => f.write_str(&redact(url)),
        }
    }
}

/// `url` with any password between `://user:` and `@` replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite:") {
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(s.to_owned()));
        }
        if s.starts_with("redis://") {
            return Ok(StoreUrl::Redis(s.to_owned()));
        }
        if s.contains("://") {
            return Err(format!(
                "unsupported store '{}': use sqlite:PATH (or a plain file path), postgres://... or redis://...",
                redact(s)
            ));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(s)))
    }
}

/// Opens the back end `url` names, applying its schema (PostgreSQL migrations, SQLite tables)
/// and checking that the server answers.
pub(crate) async fn open(url: &StoreUrl) -> Result<Arc<dyn StoreBackend>, BackendError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(Arc::new(SqliteBackend::open(path)?)),
        StoreUrl::Postgres(url) => Ok(Arc::new(PostgresBackend::open(url).await?)),
        StoreUrl::Redis(url) => Ok(Arc::new(RedisBackend::open(url).await?)),
    }
}

/// Whether `name` may name a PostgreSQL schema or a Redis key prefix: it is spliced into SQL
/// identifiers and keys, so only lower-case ASCII letters, digits and `_`, 1 to 48 of them.
fn is_plain_name(name: &str) -> bool {
    (1..=48).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
        .map(duration_ms)
        .unwrap_or(0)
}

/// A duration in whole milliseconds (saturating: no duration Sesame uses comes near it).
pub(crate) fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
pub(crate) mod conformance;
