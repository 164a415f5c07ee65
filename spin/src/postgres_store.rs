//! core's [`Store`] over PostgreSQL, through Spin's outbound `spin:postgres/postgres@3.0.0`
//! interface: the version every Spin runtime from 3.1 on (Spin 4, SpinKube's shim, Akamai
//! Functions) accepts.
//!
//! It runs core's PostgreSQL schema and statements ([`sesame_core::store::postgres`]), the very
//! ones `sesame serve` runs on PostgreSQL, so Spin replicas and `sesame serve` nodes can share
//! one database: each compare-and-swap is one statement, decided by the database whichever
//! runs it, and expiry is read from the database's clock, which all of them share.
//!
//! The database is migrated by `sesame migrate`/`sesame serve`, or at first use: a statement
//! that finds no table runs core's single migration statement, which takes the same advisory
//! lock as the host's, so replicas starting together never race (the loser waits, then finds
//! the work done) and the statement is rerun once.
//!
//! # The address
//!
//! The `postgres_url` Spin variable, a PostgreSQL connection string Spin's runtime accepts
//! (`postgres://user:password@host:5432/db`), plus Sesame's own `?schema=NAME` as
//! `sesame serve` takes it: it becomes the connection's `search_path`, so several deployments
//! can share a database in schemas of their own. The host must be in the component's
//! `allowed_outbound_hosts` (`postgres://host:5432`).

use sesame_core::Error;
use sesame_core::store::postgres as sql;
use sesame_core::store::{
    Entry, MAX_SCAN_LIMIT, Page, Store, StoreError, Write, prefix_upper_bound, take_url_param,
};
use spin_sdk::pg3::{Connection, DbValue, ParameterValue, PgError, RowSet};

/// Sesame's records in a PostgreSQL database.
pub struct PostgresStore {
    /// Where to connect (the schema passed as the connection's `search_path`).
    address: String,
    /// Opened at the first statement, so a request that needs no record (`/healthz`) answers
    /// whether or not the database is reachable.
    connection: std::cell::OnceCell<Connection>,
    /// The schema from `?schema=`, if any: migrations create it.
    schema: Option<String>,
}

impl PostgresStore {
    /// The store at `url` (see the module's documentation); a bad schema name is a
    /// configuration error. It connects at its first statement: a statement then fails with a
    /// store error (503 `store-unavailable`) when Spin refuses the address (not in
    /// `allowed_outbound_hosts`) or the database cannot be reached. No error repeats the
    /// address, which may hold a password.
    pub fn open(url: &str) -> Result<Self, Error> {
        let (address, schema) = connection_address(url)?;
        Ok(PostgresStore {
            address,
            connection: std::cell::OnceCell::new(),
            schema,
        })
    }

    /// The connection, opened on first use.
    fn connection(&self) -> Result<&Connection, StoreError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection);
        }
        let connection = Connection::open(&self.address).map_err(|e| {
            StoreError::Unavailable(format!(
                "PostgreSQL (Spin variable `postgres_url`): {}",
                describe(&e)
            ))
        })?;
        Ok(self.connection.get_or_init(|| connection))
    }

    /// Deletes one batch of expired records. They already read as absent; this only gives
    /// their space back.
    pub fn sweep_expired(&self) -> Result<(), StoreError> {
        self.run(|c| c.execute(sql::PURGE, &[]).map(drop))
    }

    /// Runs `call`; when the database has no table yet, migrates it and runs `call` once more.
    fn run<T>(&self, call: impl Fn(&Connection) -> Result<T, PgError>) -> Result<T, StoreError> {
        let connection = self.connection()?;
        match call(connection) {
            Err(e) if is_missing_table(&e) => {
                self.migrate()?;
                call(connection).map_err(|e| unavailable(&e))
            }
            outcome => outcome.map_err(|e| unavailable(&e)),
        }
    }

    /// Brings the database to the latest migration with core's single statement.
    fn migrate(&self) -> Result<(), StoreError> {
        let statement = sql::migration_statement(self.schema.as_deref())
            .ok_or_else(|| StoreError::Unavailable("PostgreSQL: bad schema name".into()))?;
        self.connection()?
            .execute(&statement, &[])
            .map(drop)
            .map_err(|e| unavailable(&e))?;
        eprintln!("sesame: migrated the PostgreSQL database to Sesame's latest schema");
        Ok(())
    }

    /// The rows of `statement`.
    fn query(&self, statement: &str, params: &[ParameterValue]) -> Result<RowSet, StoreError> {
        self.run(|c| c.query(statement, params))
    }

    /// Whether `statement` (one returning at most a version) returned a row.
    fn first_version(
        &self,
        statement: &str,
        params: &[ParameterValue],
    ) -> Result<Option<u64>, StoreError> {
        self.query(statement, params)?
            .rows
            .first()
            .map(|row| version_at(row, 0))
            .transpose()
    }
}

impl Store for PostgresStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        let found = self.query(sql::GET, &[bytes(key)])?;
        found.rows.first().map(|row| entry_at(row, 0)).transpose()
    }

    fn write(&self, write: Write<'_>) -> Result<u64, StoreError> {
        let ttl = match write.ttl_ms {
            Some(ttl) => ParameterValue::Int64(i64::try_from(ttl).unwrap_or(i64::MAX / 2)),
            None => ParameterValue::DbNull,
        };
        let mut params = vec![
            bytes(write.key),
            ParameterValue::Binary(write.value.to_vec()),
            ttl,
        ];
        let statement = match write.expect_version {
            None => sql::WRITE,
            Some(0) => sql::WRITE_IF_ABSENT,
            Some(expected) => {
                let expected = i64::try_from(expected).map_err(|_| StoreError::Conflict)?;
                params.push(ParameterValue::Int64(expected));
                sql::WRITE_IF_VERSION
            }
        };
        self.first_version(statement, &params)?
            .ok_or(StoreError::Conflict)
    }

    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError> {
        let deleted = match expect_version {
            None => self.first_version(sql::DELETE, &[bytes(key)])?,
            Some(expected) => {
                let expected = ParameterValue::Int64(i64::try_from(expected).unwrap_or(-1));
                self.first_version(sql::DELETE_IF_VERSION, &[bytes(key), expected])?
            }
        };
        if deleted.is_some() || expect_version.is_none() {
            return Ok(deleted.is_some());
        }
        // Nothing deleted under a condition: a live entry means the condition failed.
        match self.get(key)? {
            Some(_) => Err(StoreError::Conflict),
            None => Ok(false),
        }
    }

    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        let start = match after {
            Some(after) if after >= prefix => after,
            _ => "",
        };
        let upper = prefix_upper_bound(prefix).map_or(ParameterValue::DbNull, |u| bytes(&u));
        let found = self.query(
            sql::LIST,
            &[
                bytes(prefix),
                bytes(start),
                upper,
                ParameterValue::Int64(i64::from(limit.min(MAX_SCAN_LIMIT))),
            ],
        )?;
        found
            .rows
            .iter()
            .map(|row| match row.first() {
                Some(DbValue::Binary(key)) => {
                    let key = String::from_utf8(key.clone()).map_err(|_| malformed())?;
                    Ok((key, entry_at(row, 1)?))
                }
                _ => Err(malformed()),
            })
            .collect()
    }
}

/// The address Spin connects to, and the schema Sesame's `?schema=` names. The schema is
/// passed as the connection's `search_path` (`options=-c search_path=NAME`, a parameter of
/// PostgreSQL's connection URLs), so no statement has to set it.
fn connection_address(url: &str) -> Result<(String, Option<String>), Error> {
    let (address, schema) = take_url_param(url, "schema");
    let Some(schema) = schema else {
        return Ok((address, None));
    };
    if !sql::is_schema_name(&schema) {
        return Err(Error::Config(
            "Spin variable `postgres_url`: `schema` must be 1 to 48 of a-z, 0-9 and _, not starting with a digit"
                .into(),
        ));
    }
    if !(address.starts_with("postgres://") || address.starts_with("postgresql://")) {
        return Err(Error::Config(
            "Spin variable `postgres_url`: `?schema=` needs the URL form postgres://...".into(),
        ));
    }
    let separator = if address.contains('?') { '&' } else { '?' };
    let address = format!("{address}{separator}options=-c%20search_path%3D{schema}");
    Ok((address, Some(schema)))
}

fn bytes(text: &str) -> ParameterValue {
    ParameterValue::Binary(text.as_bytes().to_vec())
}

fn version_at(row: &[DbValue], at: usize) -> Result<u64, StoreError> {
    match row.get(at) {
        Some(DbValue::Int64(v)) => u64::try_from(*v).map_err(|_| malformed()),
        _ => Err(malformed()),
    }
}

/// The `value, version` columns starting at `at`.
fn entry_at(row: &[DbValue], at: usize) -> Result<Entry, StoreError> {
    let value = match row.get(at) {
        Some(DbValue::Binary(bytes)) => bytes.clone(),
        _ => return Err(malformed()),
    };
    Ok(Entry {
        value,
        version: version_at(row, at + 1)?,
    })
}

/// Whether a statement failed because Sesame's table does not exist yet (SQLSTATE 42P01, which
/// Spin passes on only inside its message).
fn is_missing_table(e: &PgError) -> bool {
    match e {
        PgError::QueryFailed(why) => why.contains(sql::TABLE) && why.contains("does not exist"),
        _ => false,
    }
}

fn malformed() -> StoreError {
    StoreError::Unavailable("a row of sesame_kv does not have Sesame's layout".into())
}

/// A store error for `e`, naming its cause; the answer's fault line carries it to the log.
fn unavailable(e: &PgError) -> StoreError {
    StoreError::Unavailable(format!("PostgreSQL: {}", describe(e)))
}

fn describe(e: &PgError) -> String {
    match e {
        PgError::ConnectionFailed(why) => format!(
            "connection failed (is the host in the component's `allowed_outbound_hosts`?): {why}"
        ),
        PgError::BadParameter(why) => format!("bad parameter: {why}"),
        PgError::QueryFailed(why) => format!("query failed: {why}"),
        PgError::ValueConversionFailed(why) => format!("value conversion failed: {why}"),
        PgError::Other(why) => why.clone(),
    }
}
