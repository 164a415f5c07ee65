//! The storage contract core runs on, mirroring the WIT `sesame:auth/store` interface, and an
//! in-memory implementation for tests and embedders.

use std::collections::BTreeMap;
use std::sync::Mutex;

pub mod postgres;

/// A key no record uses, read by readiness probes (see [`crate::Sesame::probe_store`]).
pub const PROBE_KEY: &str = "probe";
/// Longest key a store must accept, in bytes. Keys Sesame builds are far shorter; the bound
/// exists so back ends can index keys efficiently.
pub const MAX_KEY_BYTES: usize = 512;

/// Largest value a store must accept, in bytes. Sesame's records are a few KiB at most.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Most entries one scan returns; larger `limit`s are capped.
pub const MAX_SCAN_LIMIT: u32 = 1000;

/// A stored value and its version (never 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The bytes last written.
    pub value: Vec<u8>,
    /// Changes on every successful write.
    pub version: u64,
}

/// Why a store call did not happen. Matches WIT `store-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// `expect-version` did not match; nothing written.
    #[error("version conflict")]
    Conflict,
    /// The back end failed; nothing is known to be written.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Key or value too large.
    #[error("key or value too large")]
    TooLarge,
}

/// One write as a back end receives it from [`Store::put`], sizes already checked.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// The key, at most [`MAX_KEY_BYTES`].
    pub key: &'a str,
    /// The value, at most [`MAX_VALUE_BYTES`].
    pub value: &'a [u8],
    /// `None`: unconditional; `Some(0)`: the key must be absent; `Some(v)`: it must be at `v`.
    pub expect_version: Option<u64>,
    /// Lifetime from now, in ms; `None`: no expiry.
    pub ttl_ms: Option<u64>,
}

/// One page of a prefix scan as a back end receives it from [`Store::scan`].
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Only keys strictly after this one (the last key of the previous page).
    pub after: Option<&'a str>,
    /// At most this many entries, at most [`MAX_SCAN_LIMIT`].
    pub limit: u32,
}

/// Durable key-value storage with versions, compare-and-swap and expiry.
///
/// The semantics are those documented on the WIT `store` interface: expired entries behave as
/// absent everywhere; `expect_version` is `None` (unconditional), `Some(0)` (must be absent) or
/// `Some(v)` (must be at `v`).
///
/// # Example
///
/// ```
/// use sesame_core::store::{MemStore, Store, StoreError};
/// let store = MemStore::new();
/// let v1 = store.put("k", b"a", Some(0), None).unwrap();
/// assert_eq!(store.put("k", b"b", Some(0), None), Err(StoreError::Conflict));
/// let v2 = store.put("k", b"b", Some(v1), None).unwrap();
/// assert_ne!(v1, v2);
/// ```
pub trait Store {
    /// Reads a live entry.
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError>;
    /// Writes, optionally conditionally, optionally expiring; returns the new version. A key
    /// over [`MAX_KEY_BYTES`] or a value over [`MAX_VALUE_BYTES`] is refused here, once for
    /// every back end, with [`StoreError::TooLarge`].
    fn put(
        &self,
        key: &str,
        value: &[u8],
        expect_version: Option<u64>,
        ttl_ms: Option<u64>,
    ) -> Result<u64, StoreError> {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            return Err(StoreError::TooLarge);
        }
        self.write(Write {
            key,
            value,
            expect_version,
            ttl_ms,
        })
    }
    /// Carries out a [`Store::put`] whose sizes are checked: what a back end implements.
    fn write(&self, write: Write<'_>) -> Result<u64, StoreError>;
    /// Deletes; `Ok(true)` if a live entry was removed.
    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError>;
    /// Lists live entries under `prefix`, ascending, strictly after `after`, at most `limit`
    /// (capped here at [`MAX_SCAN_LIMIT`], once for every back end).
    fn scan(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Entry)>, StoreError> {
        self.list(Page {
            prefix,
            after,
            limit: limit.min(MAX_SCAN_LIMIT),
        })
    }
    /// Carries out a [`Store::scan`] whose limit is capped: what a back end implements.
    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError>;
}

/// Splits Sesame's own query parameter `name` (a PostgreSQL `schema`, a Redis `prefix`) off a
/// database URL, so the driver sees only parameters it knows. Returns the URL without it and
/// the parameter's value.
pub fn take_url_param(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some((k, v)) if k == name => {
                value = Some(v.to_owned());
                false
            }
            _ => !pair.is_empty(),
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, value)
}

/// The smallest string greater than every string that starts with `prefix`, if there is one,
/// so that back ends keeping keys in byte order can answer a prefix scan as the key range
/// `[prefix, bound)`. UTF-8 bytes order like code points, so it is `prefix` with its last
/// character replaced by the next one (surrogates skipped, trailing U+10FFFF dropped);
/// `None` when every string is past the prefix (empty, or only U+10FFFF).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// An in-memory [`Store`] with a settable clock, for tests and for embedders that want no
/// durability.
#[derive(Debug, Default)]
pub struct MemStore {
    inner: Mutex<MemInner>,
}

#[derive(Debug, Default)]
struct MemInner {
    entries: BTreeMap<String, MemEntry>,
    next_version: u64,
    now_ms: u64,
}

#[derive(Debug, Clone)]
struct MemEntry {
    value: Vec<u8>,
    version: u64,
    expires_at_ms: Option<u64>,
}

impl MemStore {
    /// An empty store whose clock reads 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the clock used for expiry, in ms since the epoch.
    pub fn set_now_ms(&self, now_ms: u64) {
        self.lock().now_ms = now_ms;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemInner> {
        // A panic while holding the lock cannot leave an entry half-written (every mutation is a
        // single map operation), so a poisoned lock is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl MemInner {
    fn live(&self, key: &str) -> Option<&MemEntry> {
        self.entries.get(key).filter(|e| is_live(e, self.now_ms))
    }
}

fn is_live(entry: &MemEntry, now_ms: u64) -> bool {
    entry.expires_at_ms.is_none_or(|at| at > now_ms)
}

impl Store for MemStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        let inner = self.lock();
        Ok(inner.live(key).map(|e| Entry {
            value: e.value.clone(),
            version: e.version,
        }))
    }

    fn write(&self, write: Write<'_>) -> Result<u64, StoreError> {
        let (key, value) = (write.key, write.value);
        let (expect_version, ttl_ms) = (write.expect_version, write.ttl_ms);
        let mut inner = self.lock();
        let current = inner.live(key).map(|e| e.version).unwrap_or(0);
        if expect_version.is_some_and(|expected| expected != current) {
            return Err(StoreError::Conflict);
        }
        inner.next_version += 1;
        let version = inner.next_version;
        let expires_at_ms = ttl_ms.map(|ttl| inner.now_ms.saturating_add(ttl));
        inner.entries.insert(
            key.to_owned(),
            MemEntry {
                value: value.to_vec(),
                version,
                expires_at_ms,
            },
        );
        Ok(version)
    }

    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(current) = inner.live(key).map(|e| e.version) else {
            return Ok(false);
        };
        if expect_version.is_some_and(|v| v != current) {
            return Err(StoreError::Conflict);
        }
        inner.entries.remove(key);
        Ok(true)
    }

    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        let inner = self.lock();
        let limit = limit as usize;
        let start = match after {
            Some(after) if after >= prefix => std::ops::Bound::Excluded(after.to_owned()),
            _ => std::ops::Bound::Included(prefix.to_owned()),
        };
        Ok(inner
            .entries
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, e)| is_live(e, inner.now_ms))
            .take(limit)
            .map(|(k, e)| {
                (
                    k.clone(),
                    Entry {
                        value: e.value.clone(),
                        version: e.version,
                    },
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_absent_everywhere() {
        let store = MemStore::new();
        store.put("a/1", b"x", Some(0), Some(10)).unwrap();
        store.set_now_ms(10);
        assert_eq!(store.get("a/1").unwrap(), None);
        assert!(store.scan("a/", None, 10).unwrap().is_empty());
        assert!(!store.delete("a/1", None).unwrap());
        store.put("a/1", b"y", Some(0), None).unwrap();
        assert_eq!(store.get("a/1").unwrap().unwrap().value, b"y");
    }

    #[test]
    fn scan_pages_in_key_order() {
        let store = MemStore::new();
        for k in ["p/c", "p/a", "q/a", "p/b"] {
            store.put(k, b"", None, None).unwrap();
        }
        let first = store.scan("p/", None, 2).unwrap();
        assert_eq!(
            first.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["p/a", "p/b"]
        );
        let rest = store.scan("p/", Some("p/b"), 2).unwrap();
        assert_eq!(
            rest.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["p/c"]
        );
    }

    #[test]
    fn prefix_upper_bounds_close_the_key_range() {
        assert_eq!(prefix_upper_bound("user/"), Some("user0".to_owned()));
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("a\u{10FFFF}"), Some("b".to_owned()));
        assert_eq!(prefix_upper_bound("\u{D7FF}"), Some("\u{E000}".to_owned()));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
        let bound = prefix_upper_bound("p/").unwrap();
        for inside in ["p/", "p/a", "p/\u{10FFFF}\u{10FFFF}"] {
            assert!(inside < bound.as_str(), "{inside:?}");
        }
        assert!("p0" >= bound.as_str());
    }

    /// `put` checks the size limits before any back end's `write` (MemStore has no check of
    /// its own).
    #[test]
    fn oversized_keys_and_values_never_reach_the_back_end() {
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        let big_value = vec![0u8; MAX_VALUE_BYTES + 1];
        let store = MemStore::new();
        assert_eq!(
            store.put(&long_key, b"", None, None),
            Err(StoreError::TooLarge)
        );
        assert_eq!(
            store.put("k", &big_value, None, None),
            Err(StoreError::TooLarge)
        );
        let at_limit = "k".repeat(MAX_KEY_BYTES);
        assert!(store.put(&at_limit, &big_value[1..], None, None).is_ok());
    }

    #[test]
    fn delete_checks_version() {
        let store = MemStore::new();
        let v = store.put("k", b"", None, None).unwrap();
        assert_eq!(store.delete("k", Some(v + 1)), Err(StoreError::Conflict));
        assert!(store.delete("k", Some(v)).unwrap());
        assert!(!store.delete("k", Some(v)).unwrap());
    }
}
