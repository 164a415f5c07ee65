//! The SQLite back end: one file, WAL journal, `synchronous=FULL` so a write the component saw
//! acknowledged survives a crash of the process or the machine.
//!
//! Writes go through one connection behind a mutex: SQLite serialises writers anyway, and every
//! statement here touches one row by primary key or a short index range. They run on tokio's
//! blocking pool, since a commit waits for an fsync.
//!
//! Reads (`get`, `scan`) are answered on the calling thread by one of a few read-only
//! connections: in WAL mode a reader never waits for the writer, and a point read from the page
//! cache takes microseconds, far less than the two thread hand-offs of the blocking pool, which
//! profiles of the session check showed as a quarter of its time. A reader never blocks: when
//! all are taken, or SQLite reports the database busy, the read falls back to the blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    BackendError, Entry, MAX_SCAN_LIMIT, Page, Record, StoreBackend, Write, now_ms,
    prefix_upper_bound,
};

/// Schema, applied idempotently at open.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    version    INTEGER NOT NULL,
    expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS host_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
";

/// The host-meta row holding the last version handed out. Versions come from one counter for
/// the whole store so a key deleted and created again never reuses a version a stale
/// compare-and-swap could still expect.
const VERSION_COUNTER: &str = "version-counter";

/// Expired entries deleted per statement when purging.
const PURGE_BATCH: usize = 500;

/// Read-only connections per store: enough for the async workers of a small machine to read at
/// once; beyond that, reads queue on the blocking pool as writes do.
const READERS: usize = 4;

/// An SQLite file as a [`StoreBackend`].
#[derive(Clone)]
pub(crate) struct SqliteBackend {
    conn: Arc<Mutex<Connection>>,
    readers: Arc<[Mutex<Connection>]>,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path` and applies the schema.
    pub(crate) fn open(path: &Path) -> Result<Self, BackendError> {
        // A new store is readable by its owner only (SQLite gives its WAL and shared-memory
        // files the database file's permissions).
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| {
                    BackendError::Unavailable(format!("cannot create {}: {e}", path.display()))
                })?;
        }
        {
            use std::os::unix::fs::PermissionsExt as _;
            // Stores made before they were created private keep their permissions: said, not
            // changed behind the operator's back.
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(
                    store = %path.display(),
                    "the store file is readable by others than its owner; chmod 600 it (and its -wal and -shm files)"
                );
            }
        }
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(unavailable)?;
        // Deleted records are overwritten, not just unlinked: an erased user's email must not
        // linger in free space of the file.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(unavailable)?;
        // The write-ahead log is cut back to this size after each checkpoint, so a burst of
        // writes does not leave a large file behind for good.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
            .map_err(unavailable)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        let readers = (0..READERS)
            .map(|_| open_reader(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteBackend {
            conn: Arc::new(Mutex::new(conn)),
            readers: readers.into(),
        })
    }

    /// Runs the read `f` on a free reader connection on this thread, or, when none is free or
    /// the database is busy, on the writer connection on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl Fn(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, BackendError> {
        for reader in self.readers.iter() {
            let Ok(conn) = reader.try_lock() else {
                continue;
            };
            match f(&conn) {
                Err(e) if is_busy(&e) => break,
                answered => return answered.map_err(unavailable),
            }
        }
        self.with_conn(move |conn| f(conn).map_err(unavailable))
            .await
    }

    /// Runs `f` on the connection on the blocking pool. Statements go through the connection's
    /// prepared-statement cache: parsing SQL showed up in profiles of the session check.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, BackendError> + Send + 'static,
    ) -> Result<T, BackendError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&conn)))
            .await
            .map_err(|e| BackendError::Unavailable(format!("store task failed: {e}")))?
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // SQLite rolls back an unfinished transaction when its guard drops during a panic, so the
    // connection is consistent even if a holder panicked.
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A read-only connection that fails at once instead of waiting when the database is busy.
fn open_reader(path: &Path) -> Result<Connection, BackendError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(unavailable)?;
    conn.busy_timeout(std::time::Duration::ZERO)
        .map_err(unavailable)?;
    Ok(conn)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn unavailable(e: rusqlite::Error) -> BackendError {
    BackendError::Unavailable(e.to_string())
}

/// The live version of `key`, or 0.
fn live_version(conn: &Connection, key: &str, now: i64) -> Result<u64, BackendError> {
    let version: Option<i64> = conn
        .prepare_cached(
            "SELECT version FROM kv WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
        )
        .map_err(unavailable)?
        .query_row(params![key, now], |row| row.get(0))
        .optional()
        .map_err(unavailable)?;
    Ok(version.map_or(0, |v| v as u64))
}

#[async_trait::async_trait]
impl StoreBackend for SqliteBackend {
    async fn get(&self, key: &str) -> Result<Option<Entry>, BackendError> {
        let key = key.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT value, version FROM kv WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row(params![key, now_ms() as i64], |row| {
                Ok(Entry {
                    value: row.get(0)?,
                    version: row.get::<_, i64>(1)? as u64,
                })
            })
            .optional()
        })
        .await
    }

    async fn write(&self, write: Write<'_>) -> Result<u64, BackendError> {
        let (key, value) = (write.key.to_owned(), write.value);
        let (expect_version, ttl_ms) = (write.expect_version, write.ttl_ms);
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let now = now_ms() as i64;
            if let Some(expected) = expect_version
                && live_version(&tx, &key, now)? != expected
            {
                return Err(BackendError::Conflict);
            }
            let version: i64 = tx
                .prepare_cached(
                    "INSERT INTO host_meta (name, value) VALUES (?1, 1)
                     ON CONFLICT (name) DO UPDATE SET value = value + 1
                     RETURNING value",
                )
                .map_err(unavailable)?
                .query_row(params![VERSION_COUNTER], |row| row.get(0))
                .map_err(unavailable)?;
            let expires_at =
                ttl_ms.map(|ttl| now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)));
            tx.prepare_cached(
                "INSERT INTO kv (key, value, version, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                     version = excluded.version, expires_at = excluded.expires_at",
            )
            .map_err(unavailable)?
            .execute(params![key, value, version, expires_at])
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(version as u64)
        })
        .await
    }

    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError> {
        let key = key.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let current = live_version(&tx, &key, now_ms() as i64)?;
            if current == 0 {
                return Ok(false);
            }
            if expect_version.is_some_and(|v| v != current) {
                return Err(BackendError::Conflict);
            }
            tx.prepare_cached("DELETE FROM kv WHERE key = ?1")
                .map_err(unavailable)?
                .execute(params![key])
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, BackendError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        let start = match after {
            Some(after) if after >= prefix => after.to_owned(),
            _ => String::new(),
        };
        let prefix = prefix.to_owned();
        let upper = prefix_upper_bound(&prefix);
        let limit = limit.min(MAX_SCAN_LIMIT);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT key, value, version FROM kv
                 WHERE key >= ?1 AND key > ?2 AND (?3 IS NULL OR key < ?3)
                   AND (expires_at IS NULL OR expires_at > ?4)
                 ORDER BY key LIMIT ?5",
            )?;
            let rows = stmt.query_map(
                params![prefix, start, upper, now_ms() as i64, limit],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        Entry {
                            value: row.get(1)?,
                            version: row.get::<_, i64>(2)? as u64,
                        },
                    ))
                },
            )?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .await
    }

    async fn settle(&self) -> Result<(), BackendError> {
        self.with_conn(|conn| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(unavailable)
        })
        .await
    }

    async fn purge_expired(&self) -> Result<usize, BackendError> {
        // In batches, each its own short transaction, so sign-ins waiting for the writer
        // wait for one batch at most, however much expired at once.
        let mut purged = 0;
        loop {
            let now = now_ms() as i64;
            let batch = self
                .with_conn(move |conn| {
                    conn.execute(
                        "DELETE FROM kv WHERE key IN (SELECT key FROM kv \
                         WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)",
                        params![now, PURGE_BATCH as i64],
                    )
                    .map_err(unavailable)
                })
                .await?;
            purged += batch;
            if batch < PURGE_BATCH {
                return Ok(purged);
            }
            tokio::task::yield_now().await;
        }
    }

    async fn host_secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, BackendError> {
        let name = name.to_owned();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO host_meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, fresh],
            )
            .map_err(unavailable)?;
            conn.query_row(
                "SELECT value FROM host_meta WHERE name = ?1",
                params![name],
                |row| row.get(0),
            )
            .map_err(unavailable)
        })
        .await
    }

    async fn export(&self, after: Option<&str>, limit: u32) -> Result<Vec<Record>, BackendError> {
        let after = after.map(str::to_owned);
        let limit = limit.min(MAX_SCAN_LIMIT);
        self.with_conn(move |conn| {
            let now = now_ms() as i64;
            let mut stmt = conn
                .prepare_cached(
                    "SELECT key, value, expires_at FROM kv
                     WHERE (?1 IS NULL OR key > ?1) AND (expires_at IS NULL OR expires_at > ?2)
                     ORDER BY key LIMIT ?3",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![after, now, limit], |row| {
                    let expires_at: Option<i64> = row.get(2)?;
                    Ok(Record {
                        key: row.get(0)?,
                        value: row.get(1)?,
                        ttl_ms: expires_at.map(|at| at.saturating_sub(now).max(1) as u64),
                    })
                })
                .map_err(unavailable)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
        })
        .await
    }

    async fn forget_host_secret(&self, name: &str) -> Result<bool, BackendError> {
        let name = name.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM host_meta WHERE name = ?1", params![name])
                .map(|n| n > 0)
                .map_err(unavailable)
        })
        .await
    }

    async fn host_secrets(&self) -> Result<Vec<(String, Vec<u8>)>, BackendError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare("SELECT name, value FROM host_meta WHERE name <> ?1 ORDER BY name")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![VERSION_COUNTER], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(unavailable)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// A read is answered while a write transaction holds the writer connection, sees only what
    /// was committed, and sees the commit once it is made.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_do_not_wait_for_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteBackend::open(&dir.path().join("sesame.db")).unwrap();
        store.put("k", b"one".to_vec(), None, None).await.unwrap();

        let writer = store.conn.clone();
        let (held, is_held) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let mut conn = lock(&writer);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .unwrap();
            tx.execute("UPDATE kv SET value = x'74776f' WHERE key = 'k'", [])
                .unwrap();
            held.send(()).unwrap();
            released.recv().unwrap();
            tx.commit().unwrap();
        });
        is_held.recv().unwrap();

        let during = tokio::time::timeout(Duration::from_secs(2), store.get("k"))
            .await
            .expect("the read waited for the writer")
            .unwrap()
            .unwrap();
        assert_eq!(during.value, b"one");

        release.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(store.get("k").await.unwrap().unwrap().value, b"two");
    }
}
