//! The PostgreSQL back end, for several `sesame serve` nodes sharing one user base.
//!
//! Every call is one SQL statement on a pooled connection, and every compare-and-swap is decided
//! inside that statement (`INSERT .. ON CONFLICT .. WHERE`, `UPDATE .. WHERE version = $n`), so
//! nodes never hold locks across a round trip and no interleaving of nodes can lose an update.
//! Versions come from one sequence, which never hands out a number twice, even across deletes,
//! rollbacks and nodes. Expiry is decided by the database's clock, the one clock all nodes share.
//!
//! Plain TCP only (no TLS stack is linked): run PostgreSQL on loopback or a private network.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::{
    BackendError, Entry, MAX_SCAN_LIMIT, Page, Record, StoreBackend, Write, is_plain_name,
    prefix_upper_bound, take_param,
};

/// Connections one node keeps at most. Each call holds one for a single statement, so a few
/// connections serve many concurrent requests.
const POOL_SIZE: usize = 16;
/// How long a call waits for a connection before answering `unavailable`.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening one connection may take; a database that is down answers within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Expired entries deleted per statement when purging.
const PURGE_BATCH: u64 = 500;

/// Milliseconds since the epoch by the database's clock.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Schema changes, applied in order at start; each runs once per schema (recorded in
/// `sesame_migrations`). Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &["
CREATE TABLE sesame_kv (
    key        BYTEA PRIMARY KEY,
    value      BYTEA NOT NULL,
    version    BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX sesame_kv_expiry ON sesame_kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE SEQUENCE sesame_version AS BIGINT;
CREATE TABLE sesame_host_meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
"];

/// Advisory-lock key that serialises migrations of nodes starting at the same moment.
const MIGRATION_LOCK: i64 = 0x5E5A_3E00_0001;

/// A PostgreSQL database as a [`StoreBackend`].
pub(crate) struct PostgresBackend {
    pool: Pool,
}

fn unavailable(e: impl std::error::Error) -> BackendError {
    // tokio-postgres puts the server's message in the error's source; keep the whole chain.
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    BackendError::Unavailable(format!("postgres: {text}"))
}

fn version_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn ttl_param(ttl_ms: Option<u64>) -> Option<i64> {
    ttl_ms.map(|ttl| i64::try_from(ttl).unwrap_or(i64::MAX / 2))
}

fn key_of(bytes: Vec<u8>) -> Result<String, BackendError> {
    String::from_utf8(bytes)
        .map_err(|_| BackendError::Unavailable("postgres: a stored key is not UTF-8".to_owned()))
}

impl PostgresBackend {
    /// Connects to `url` (`postgres://user:password@host:port/db`, optionally
    /// `?schema=NAME`), creates the schema if asked to, and applies pending migrations.
    pub(crate) async fn open(url: &str) -> Result<Self, BackendError> {
        let (url, schema) = take_param(url, "schema");
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| BackendError::Unavailable(format!("postgres: bad URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("sesame");
        }
        if let Some(schema) = &schema {
            if !is_plain_name(schema) {
                return Err(BackendError::Unavailable(format!(
                    "postgres: schema '{schema}' must be 1 to 48 of a-z, 0-9 and _"
                )));
            }
            config.options(format!("-c search_path={schema}"));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection the server ended (restart, fail-over, idle kill) is found out
                // before a call uses it, so the call gets a fresh one instead of an error.
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(unavailable)?;
        let backend = PostgresBackend { pool };
        backend.migrate(schema.as_deref()).await?;
        Ok(backend)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, BackendError> {
        self.pool.get().await.map_err(unavailable)
    }

    /// Applies the migrations this schema has not had yet, one node at a time.
    async fn migrate(&self, schema: Option<&str>) -> Result<(), BackendError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(unavailable)?;
        if let Some(schema) = schema {
            // `schema` passed `is_plain_name`, so it is a safe bare identifier.
            tx.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}"
            ))
            .await
            .map_err(unavailable)?;
        }
        tx.batch_execute("CREATE TABLE IF NOT EXISTS sesame_migrations (version INT PRIMARY KEY)")
            .await
            .map_err(unavailable)?;
        let done: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM sesame_migrations",
                &[],
            )
            .await
            .map_err(unavailable)?
            .get(0);
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
            if version <= done {
                continue;
            }
            tx.batch_execute(migration).await.map_err(unavailable)?;
            tx.execute(
                "INSERT INTO sesame_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(unavailable)?;
            tracing::info!(version, "applied PostgreSQL migration");
        }
        tx.commit().await.map_err(unavailable)
    }

    /// Drops the schema this back end was opened on, with everything in it (test clean-up).
    #[cfg(test)]
    pub(crate) async fn drop_schema(&self, schema: &str) -> Result<(), BackendError> {
        if !is_plain_name(schema) {
            return Err(BackendError::Unavailable("bad schema name".to_owned()));
        }
        self.client()
            .await?
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .map_err(unavailable)
    }

    /// The first row of `sql`, if any (every caller's statement returns at most one).
    async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, BackendError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, BackendError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(unavailable)?;
        client.query(&statement, params).await.map_err(unavailable)
    }
}

#[async_trait::async_trait]
impl StoreBackend for PostgresBackend {
    async fn get(&self, key: &str) -> Result<Option<Entry>, BackendError> {
        let row = self
            .query_opt(
                &format!(
                    "SELECT value, version FROM sesame_kv
                     WHERE key = $1 AND (expires_at IS NULL OR expires_at > {NOW_MS})"
                ),
                &[&key.as_bytes()],
            )
            .await?;
        Ok(row.map(|row| Entry {
            value: row.get(0),
            version: version_of(row.get(1)),
        }))
    }

    async fn write(&self, write: Write<'_>) -> Result<u64, BackendError> {
        let (key, value) = (write.key.as_bytes(), write.value);
        let (expect_version, ttl) = (write.expect_version, ttl_param(write.ttl_ms));
        let row = match expect_version {
            None => {
                self.query_opt(
                    &format!(
                        "INSERT INTO sesame_kv (key, value, version, expires_at)
                         VALUES ($1, $2, nextval('sesame_version'), $3::bigint + {NOW_MS})
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                             version = excluded.version, expires_at = excluded.expires_at
                         RETURNING version"
                    ),
                    &[&key, &value, &ttl],
                )
                .await?
            }
            // Must not exist: an expired row counts as absent and is overwritten.
            Some(0) => {
                self.query_opt(
                    &format!(
                        "INSERT INTO sesame_kv (key, value, version, expires_at)
                         VALUES ($1, $2, nextval('sesame_version'), $3::bigint + {NOW_MS})
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                             version = excluded.version, expires_at = excluded.expires_at
                         WHERE sesame_kv.expires_at IS NOT NULL
                           AND sesame_kv.expires_at <= {NOW_MS}
                         RETURNING version"
                    ),
                    &[&key, &value, &ttl],
                )
                .await?
            }
            Some(expected) => {
                let expected = i64::try_from(expected).map_err(|_| BackendError::Conflict)?;
                self.query_opt(
                    &format!(
                        "UPDATE sesame_kv SET value = $2, version = nextval('sesame_version'),
                             expires_at = $3::bigint + {NOW_MS}
                         WHERE key = $1 AND version = $4
                           AND (expires_at IS NULL OR expires_at > {NOW_MS})
                         RETURNING version"
                    ),
                    &[&key, &value, &ttl, &expected],
                )
                .await?
            }
        };
        row.map(|row| version_of(row.get(0)))
            .ok_or(BackendError::Conflict)
    }

    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError> {
        let live = format!("(expires_at IS NULL OR expires_at > {NOW_MS})");
        let bytes = key.as_bytes();
        let deleted = match expect_version {
            None => self
                .query_opt(
                    &format!("DELETE FROM sesame_kv WHERE key = $1 AND {live} RETURNING version"),
                    &[&bytes],
                )
                .await?
                .is_some(),
            Some(expected) => {
                let expected = i64::try_from(expected).unwrap_or(-1);
                self.query_opt(
                    &format!(
                        "DELETE FROM sesame_kv WHERE key = $1 AND version = $2 AND {live}
                         RETURNING version"
                    ),
                    &[&bytes, &expected],
                )
                .await?
                .is_some()
            }
        };
        if deleted || expect_version.is_none() {
            return Ok(deleted);
        }
        // Nothing deleted under a condition: a live entry means the condition failed.
        match self.get(key).await? {
            Some(_) => Err(BackendError::Conflict),
            None => Ok(false),
        }
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, BackendError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        let start = match after {
            Some(after) if after >= prefix => after,
            _ => "",
        };
        let upper = prefix_upper_bound(prefix);
        let limit = i64::from(limit.min(MAX_SCAN_LIMIT));
        let rows = self
            .query(
                &format!(
                    "SELECT key, value, version FROM sesame_kv
                     WHERE key >= $1 AND key > $2 AND ($3::bytea IS NULL OR key < $3)
                       AND (expires_at IS NULL OR expires_at > {NOW_MS})
                     ORDER BY key LIMIT $4"
                ),
                &[
                    &prefix.as_bytes(),
                    &start.as_bytes(),
                    &upper.as_deref().map(str::as_bytes),
                    &limit,
                ],
            )
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    key_of(row.get(0))?,
                    Entry {
                        value: row.get(1),
                        version: version_of(row.get(2)),
                    },
                ))
            })
            .collect()
    }

    async fn purge_expired(&self) -> Result<usize, BackendError> {
        // In batches, so no statement holds many row locks or runs long.
        let client = self.client().await?;
        let statement = format!(
            "DELETE FROM sesame_kv WHERE key IN (SELECT key FROM sesame_kv \
             WHERE expires_at <= {NOW_MS} LIMIT {PURGE_BATCH} FOR UPDATE SKIP LOCKED)"
        );
        let mut purged = 0;
        loop {
            let batch = client.execute(&statement, &[]).await.map_err(unavailable)?;
            purged += usize::try_from(batch).unwrap_or(usize::MAX);
            if batch < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }

    async fn host_secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, BackendError> {
        // Two statements on purpose: a concurrent insert by another node makes ours wait and
        // then do nothing, and the SELECT, with a snapshot taken after that, sees its value.
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO sesame_host_meta (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &fresh],
            )
            .await
            .map_err(unavailable)?;
        let row = client
            .query_one(
                "SELECT value FROM sesame_host_meta WHERE name = $1",
                &[&name],
            )
            .await
            .map_err(unavailable)?;
        Ok(row.get(0))
    }

    async fn export(&self, after: Option<&str>, limit: u32) -> Result<Vec<Record>, BackendError> {
        let limit = i64::from(limit.min(MAX_SCAN_LIMIT));
        let rows = self
            .query(
                &format!(
                    "SELECT key, value, expires_at - {NOW_MS} FROM sesame_kv
                     WHERE ($1::bytea IS NULL OR key > $1)
                       AND (expires_at IS NULL OR expires_at > {NOW_MS})
                     ORDER BY key LIMIT $2"
                ),
                &[&after.map(str::as_bytes), &limit],
            )
            .await?;
        rows.into_iter()
            .map(|row| {
                let ttl: Option<i64> = row.get(2);
                Ok(Record {
                    key: key_of(row.get(0))?,
                    value: row.get(1),
                    ttl_ms: ttl.map(|t| u64::try_from(t.max(1)).unwrap_or(1)),
                })
            })
            .collect()
    }

    async fn forget_host_secret(&self, name: &str) -> Result<bool, BackendError> {
        let client = self.client().await?;
        let deleted = client
            .execute("DELETE FROM sesame_host_meta WHERE name = $1", &[&name])
            .await
            .map_err(unavailable)?;
        Ok(deleted > 0)
    }

    async fn host_secrets(&self) -> Result<Vec<(String, Vec<u8>)>, BackendError> {
        let rows = self
            .query(
                "SELECT name, value FROM sesame_host_meta ORDER BY name",
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }
}
