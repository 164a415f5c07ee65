//! The PostgreSQL back end, for several `sesame serve` nodes (and Spin replicas) sharing one
//! user base.
//!
//! Every call is one SQL statement on a pooled connection, and every compare-and-swap is decided
//! inside that statement, so nodes never hold locks across a round trip and no interleaving of
//! nodes can lose an update. The schema and the statements are core's
//! ([`sesame_core::store::postgres`]), the very ones the Spin component runs, so both can share
//! one database.
//!
//! Plain TCP only (no TLS stack is linked): run PostgreSQL on loopback or a private network.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::{
    BackendError, Entry, MAX_SCAN_LIMIT, Page, Record, StoreBackend, Write, prefix_upper_bound,
};

/// Connections one node keeps at most. Each call holds one for a single statement, so a few
/// connections serve many concurrent requests.
const POOL_SIZE: usize = 16;
/// How long a call waits for a connection before answering `unavailable`.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening one connection may take; a database that is down answers within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

use sesame_core::store::postgres as sql;

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
        let (url, schema) = sesame_core::store::take_url_param(url, "schema");
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
            if !sql::is_schema_name(schema) {
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

    /// Applies the migrations this schema has not had yet, one node at a time: core's single
    /// migration statement, which the Spin component runs too, under the same lock.
    async fn migrate(&self, schema: Option<&str>) -> Result<(), BackendError> {
        let statement = sql::migration_statement(schema).ok_or_else(|| {
            BackendError::Unavailable("postgres: the schema is not a plain name".to_owned())
        })?;
        self.client()
            .await?
            .batch_execute(&statement)
            .await
            .map_err(unavailable)
    }

    /// Drops the schema this back end was opened on, with everything in it (test clean-up).
    #[cfg(test)]
    pub(crate) async fn drop_schema(&self, schema: &str) -> Result<(), BackendError> {
        if !sql::is_schema_name(schema) {
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
        let row = self.query_opt(sql::GET, &[&key.as_bytes()]).await?;
        Ok(row.map(|row| Entry {
            value: row.get(0),
            version: version_of(row.get(1)),
        }))
    }

    async fn write(&self, write: Write<'_>) -> Result<u64, BackendError> {
        let (key, value) = (write.key.as_bytes(), write.value);
        let (expect_version, ttl) = (write.expect_version, ttl_param(write.ttl_ms));
        let row = match expect_version {
            None => self.query_opt(sql::WRITE, &[&key, &value, &ttl]).await?,
            // Must not exist: an expired row counts as absent and is overwritten.
            Some(0) => {
                self.query_opt(sql::WRITE_IF_ABSENT, &[&key, &value, &ttl])
                    .await?
            }
            Some(expected) => {
                let expected = i64::try_from(expected).map_err(|_| BackendError::Conflict)?;
                self.query_opt(sql::WRITE_IF_VERSION, &[&key, &value, &ttl, &expected])
                    .await?
            }
        };
        row.map(|row| version_of(row.get(0)))
            .ok_or(BackendError::Conflict)
    }

    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError> {
        let bytes = key.as_bytes();
        let deleted = match expect_version {
            None => self.query_opt(sql::DELETE, &[&bytes]).await?.is_some(),
            Some(expected) => {
                let expected = i64::try_from(expected).unwrap_or(-1);
                self.query_opt(sql::DELETE_IF_VERSION, &[&bytes, &expected])
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
                sql::LIST,
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
        let mut purged = 0;
        loop {
            let batch = client.execute(sql::PURGE, &[]).await.map_err(unavailable)?;
            purged += usize::try_from(batch).unwrap_or(usize::MAX);
            if batch < sql::PURGE_BATCH {
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
            .query(sql::EXPORT, &[&after.map(str::as_bytes), &limit])
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
