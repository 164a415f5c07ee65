//! core's [`Store`] over Spin's SQLite database (`fermyon:spin/sqlite@2.0.0`, the database
//! `default`). That interface version, not `spin:sqlite@3.0.0`, because every Spin 2 and 3
//! runtime (and SpinKube's shim) provides it, and Sesame needs nothing the newer one adds.
//!
//! # Why SQLite and not Spin's key-value store
//!
//! Every read-modify-write in core (counters, single-use codes, refresh rotation, unique email
//! addresses) is a compare-and-swap, including "create only if absent" and "delete only if
//! unchanged". Spin's key-value store cannot give those atomically:
//!
//! - `wasi:keyvalue/atomics` compares values, and a CAS handle that saw no value swaps by
//!   upsert: Spin 3's SQLite-backed store runs `INSERT ... ON CONFLICT DO UPDATE` for it, so two
//!   requests that both saw "absent" both succeed, and one overwrites the other (two accounts
//!   on one address, a single-use code used twice).
//! - `delete` has no condition at all, so consuming a record cannot be made single-use.
//! - Keys are listed unordered and whole (`list-keys`), with no prefix, and nothing expires.
//!
//! SQLite decides each conditional write inside one statement: the check (a sub-query on the
//! record's version) and the write happen in the statement's own transaction, which SQLite
//! serialises against every other writer of the database, in one process or many (Spin's
//! local file, or a shared libSQL/Turso database behind several replicas). No transaction is
//! held across host calls, which Spin's remote databases would not allow.
//!
//! # Layout
//!
//! One table, `sesame_records`, created on first use. A record's version is its row id under
//! `AUTOINCREMENT`: every write replaces the row, SQLite hands out a larger id than any ever
//! used, so versions never repeat, even after a delete (no ABA on re-created keys), and are
//! never 0. Expiry is a column compared with the component's clock; expired rows read as
//! absent everywhere and are swept now and then ([`SqliteStore::sweep_expired`]). Replicas
//! compare expiry against their own clocks, so clock skew between them shifts expiry by as
//! much.

use sesame_core::Error;
use sesame_core::store::{Entry, Page, Store, StoreError, Write, prefix_upper_bound};
use spin_sdk::sqlite::{Connection, Error as SqliteError, Value};

use sesame_wasi::env::now_ms;

/// The Spin database Sesame uses; `spin.toml` grants the component access to it.
pub const DATABASE: &str = "default";

/// Most expired rows one sweep deletes, so a sweep stays a short statement however many
/// records expired since the last one.
const SWEEP_BATCH: i64 = 256;

/// Statements creating the schema, run when a statement finds no table (once per database).
const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS sesame_records (
        version INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        value BLOB NOT NULL,
        expires_at_ms INTEGER
    )",
    "CREATE INDEX IF NOT EXISTS sesame_records_expiry
        ON sesame_records (expires_at_ms) WHERE expires_at_ms IS NOT NULL",
];

/// How long SQLite itself waits for another connection's lock before answering "busy"; Spin
/// opens every connection without a busy timeout, so without this a write that meets another
/// request's write fails at once.
const BUSY_TIMEOUT_MS: u32 = 2_000;

/// Runs of a statement that SQLite answered "busy" or "locked" without waiting (it does so
/// when waiting could deadlock, or when a WAL snapshot went stale), the first included. A run
/// that waited out [`BUSY_TIMEOUT_MS`] is not rerun: that would multiply the wait.
const BUSY_ATTEMPTS: u32 = 7;

/// The wait before the first rerun; each further one waits twice as long (2 to 64 ms, about
/// 126 ms in all, plus up to as much again of jitter so contenders do not rerun in step).
const BUSY_FIRST_WAIT_MS: u64 = 2;

/// The condition "the row is live at `?now`", for a statement whose parameter `?2` is now.
const LIVE: &str = "(expires_at_ms IS NULL OR expires_at_ms > ?2)";

/// Sesame's records in the Spin database.
pub struct SqliteStore {
    connection: Connection,
}

impl SqliteStore {
    /// Opens the database [`DATABASE`]. Fails with a store error (503 `store-unavailable`) when
    /// Spin refuses it, for example because `spin.toml` does not list it for the component.
    ///
    /// Spin opens a new connection for every `open`, with SQLite's defaults: each connection is
    /// given a busy timeout, and the database write-ahead logging (WAL), under which readers
    /// never wait for the writer and writers wait only for each other. Both are best effort: a
    /// remote database (libSQL, Turso) refuses such pragmas and decides locking itself.
    pub fn open() -> Result<Self, Error> {
        let connection = Connection::open(DATABASE).map_err(|e| {
            Error::Store(StoreError::Unavailable(format!(
                "the Spin SQLite database `{DATABASE}`: {}",
                describe(&e)
            )))
        })?;
        let store = SqliteStore { connection };
        let _ = store
            .connection
            .execute(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"), &[]);
        // Already WAL (the mode is kept in the file), this is a read of one header field.
        let _ = store.connection.execute("PRAGMA journal_mode = WAL", &[]);
        Ok(store)
    }

    /// Deletes up to [`SWEEP_BATCH`] expired records. They already read as absent; this only
    /// gives their space back.
    pub fn sweep_expired(&self) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM sesame_records WHERE version IN (
                SELECT version FROM sesame_records WHERE expires_at_ms <= ?1 LIMIT ?2)",
            &[Value::Integer(now()), Value::Integer(SWEEP_BATCH)],
        )
        .map(drop)
    }

    /// Runs one statement; creates the schema and retries once if the table does not exist
    /// yet, so steady-state requests pay no schema statement.
    fn execute(&self, statement: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        match self.run_while_busy(statement, params) {
            Ok(result) => Ok(rows(result)),
            Err(SqliteError::Io(why)) if why.contains("no such table") => {
                for schema in SCHEMA {
                    self.run_while_busy(schema, &[])
                        .map_err(|e| unavailable(&e))?;
                }
                self.run_while_busy(statement, params)
                    .map(rows)
                    .map_err(|e| unavailable(&e))
            }
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// Runs one statement, rerunning it after a short, growing, jittered wait while SQLite
    /// answers "busy" or "locked" at once, at most [`BUSY_ATTEMPTS`] times. A statement refused
    /// so changed nothing (SQLite rolled its implicit transaction back), so a rerun is the same
    /// compare-and-swap again, never a second write. Its "now" parameter is the first run's,
    /// at most [`BUSY_TIMEOUT_MS`] and the reruns' waits (about 0.25 s) old.
    fn run_while_busy(
        &self,
        statement: &str,
        params: &[Value],
    ) -> Result<spin_sdk::sqlite::QueryResult, SqliteError> {
        let mut wait_ms = BUSY_FIRST_WAIT_MS;
        let mut waited_ms = 0;
        let mut attempt = 1;
        loop {
            let run_started = monotonic_ms();
            match self.connection.execute(statement, params) {
                Err(e)
                    if is_busy(&e)
                        && attempt < BUSY_ATTEMPTS
                        && monotonic_ms().saturating_sub(run_started)
                            < u64::from(BUSY_TIMEOUT_MS / 2) =>
                {
                    let wait = wait_ms + jitter_ms(wait_ms);
                    sleep_ms(wait);
                    waited_ms += wait;
                    wait_ms = wait_ms.saturating_mul(2);
                    attempt += 1;
                }
                Err(e) if is_busy(&e) => {
                    // The request fails with `store-unavailable`; say how hard this tried.
                    eprintln!(
                        "sesame: Spin SQLite still busy after {attempt} runs over {waited_ms} ms: {}",
                        describe(&e)
                    );
                    return Err(e);
                }
                outcome => return outcome,
            }
        }
    }

    /// The `columns` of `key`'s live row, if there is one.
    fn live_row(&self, columns: &str, key: &str) -> Result<Option<Vec<Value>>, StoreError> {
        let found = self.execute(
            &format!("SELECT {columns} FROM sesame_records WHERE key = ?1 AND {LIVE}"),
            &[Value::Text(key.to_owned()), Value::Integer(now())],
        )?;
        Ok(found.into_iter().next())
    }

    /// The live row's version, if any.
    fn live_version(&self, key: &str) -> Result<Option<u64>, StoreError> {
        self.live_row("version", key)?
            .map(|row| version_at(&row, 0))
            .transpose()
    }
}

impl Store for SqliteStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        self.live_row("value, version", key)?
            .map(|row| entry_at(&row, 0))
            .transpose()
    }

    fn write(&self, write: Write<'_>) -> Result<u64, StoreError> {
        let (key, value) = (write.key, write.value);
        let (expect_version, ttl_ms) = (write.expect_version, write.ttl_ms);
        let now_ms = now();
        let expires = match ttl_ms {
            Some(ttl) => {
                Value::Integer(now_ms.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)))
            }
            None => Value::Null,
        };
        // `REPLACE` deletes the old row and inserts a new one, so the new version is a fresh
        // AUTOINCREMENT id; the `WHERE` of the SELECT is the compare, in the same statement.
        let condition = match expect_version {
            None => "",
            Some(0) => {
                "WHERE NOT EXISTS (SELECT 1 FROM sesame_records WHERE key = ?1 AND (expires_at_ms IS NULL OR expires_at_ms > ?2))"
            }
            Some(_) => {
                "WHERE EXISTS (SELECT 1 FROM sesame_records WHERE key = ?1 AND version = ?5 AND (expires_at_ms IS NULL OR expires_at_ms > ?2))"
            }
        };
        let statement = format!(
            "REPLACE INTO sesame_records (key, value, expires_at_ms)
             SELECT ?1, ?3, ?4 {condition} RETURNING version"
        );
        // SQLite counts a statement's parameters by the highest `?N` it uses; `?5` (the
        // expected version) is passed only to the statement that uses it.
        let mut params = vec![
            Value::Text(key.to_owned()),
            Value::Integer(now_ms),
            Value::Blob(value.to_vec()),
            expires,
        ];
        if let Some(expected @ 1..) = expect_version {
            params.push(Value::Integer(version_param(expected)?));
        }
        let written = self.execute(&statement, &params)?;
        match written.first() {
            Some(row) => version_at(row, 0),
            None => Err(StoreError::Conflict),
        }
    }

    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError> {
        let expected = match expect_version {
            Some(v) => Value::Integer(version_param(v)?),
            None => Value::Null,
        };
        let deleted = self.execute(
            &format!(
                "DELETE FROM sesame_records WHERE key = ?1 AND {LIVE}
                 AND (?3 IS NULL OR version = ?3) RETURNING version"
            ),
            &[Value::Text(key.to_owned()), Value::Integer(now()), expected],
        )?;
        if !deleted.is_empty() {
            return Ok(true);
        }
        // Nothing was deleted, and nothing will be: tell "absent" from "changed meanwhile".
        match (expect_version, self.live_version(key)?) {
            (Some(_), Some(_)) => Err(StoreError::Conflict),
            _ => Ok(false),
        }
    }

    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        // A prefix is the key range [prefix, upper bound): the index answers it in key order,
        // without reading past the prefix.
        let upper = prefix_upper_bound(prefix).map_or(Value::Null, Value::Text);
        let after = after.map_or(Value::Null, |a| Value::Text(a.to_owned()));
        let found = self.execute(
            &format!(
                "SELECT key, value, version FROM sesame_records
                 WHERE key >= ?1 AND (?3 IS NULL OR key < ?3) AND (?4 IS NULL OR key > ?4)
                 AND {LIVE} ORDER BY key LIMIT ?5"
            ),
            &[
                Value::Text(prefix.to_owned()),
                Value::Integer(now()),
                upper,
                after,
                Value::Integer(i64::from(limit)),
            ],
        )?;
        found
            .iter()
            .map(|row| match row.first() {
                Some(Value::Text(key)) => Ok((key.clone(), entry_at(row, 1)?)),
                _ => Err(malformed()),
            })
            .collect()
    }
}

/// The component's clock, as SQLite's integer.
fn now() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

fn rows(result: spin_sdk::sqlite::QueryResult) -> Vec<Vec<Value>> {
    result.rows.into_iter().map(|row| row.values).collect()
}

/// A version as a statement parameter; versions beyond SQLite's integers cannot exist.
fn version_param(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::Conflict)
}

fn version_at(row: &[Value], at: usize) -> Result<u64, StoreError> {
    match row.get(at) {
        Some(Value::Integer(v)) => u64::try_from(*v).map_err(|_| malformed()),
        _ => Err(malformed()),
    }
}

/// The `value, version` columns starting at `at`.
fn entry_at(row: &[Value], at: usize) -> Result<Entry, StoreError> {
    let value = match row.get(at) {
        Some(Value::Blob(bytes)) => bytes.clone(),
        _ => return Err(malformed()),
    };
    Ok(Entry {
        value,
        version: version_at(row, at + 1)?,
    })
}

/// Whether SQLite refused a statement for another connection's lock (`SQLITE_BUSY`,
/// `SQLITE_LOCKED`), which a later run can get past.
fn is_busy(e: &SqliteError) -> bool {
    match e {
        SqliteError::Io(why) => {
            let why = why.to_ascii_lowercase();
            why.contains("database is locked")
                || why.contains("database table is locked")
                || why.contains("database is busy")
                || why.contains("sqlite_busy")
        }
        _ => false,
    }
}

/// The monotonic clock, in milliseconds.
fn monotonic_ms() -> u64 {
    wasi::clocks::monotonic_clock::now() / 1_000_000
}

/// Blocks this instance for `ms` milliseconds (the runtime serves other requests meanwhile).
fn sleep_ms(ms: u64) {
    wasi::clocks::monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
}

/// A random extra wait in `0..=up_to` milliseconds; none when randomness fails.
fn jitter_ms(up_to: u64) -> u64 {
    let mut roll = [0u8; 2];
    if sesame_wasi::env::fill_random(&mut roll).is_err() {
        return 0;
    }
    u64::from(u16::from_le_bytes(roll)) % (up_to + 1)
}

fn malformed() -> StoreError {
    StoreError::Unavailable("a row of sesame_records does not have Sesame's layout".into())
}

/// A store error for `e`, naming its cause; the answer's fault line carries it to the log.
fn unavailable(e: &SqliteError) -> StoreError {
    StoreError::Unavailable(format!("Spin SQLite: {}", describe(e)))
}

fn describe(e: &SqliteError) -> String {
    match e {
        SqliteError::NoSuchDatabase => {
            "no such database (is it listed in the component's `sqlite_databases`?)".into()
        }
        SqliteError::AccessDenied => {
            "access denied (list it in the component's `sqlite_databases`)".into()
        }
        SqliteError::InvalidConnection => "invalid connection".into(),
        SqliteError::DatabaseFull => "the database is full".into(),
        SqliteError::Io(why) => why.clone(),
    }
}
