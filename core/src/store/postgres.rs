//! The PostgreSQL schema and statements of Sesame's record store, shared by every store that
//! keeps Sesame's records in PostgreSQL: `sesame serve`'s (tokio-postgres) and the Spin
//! component's (Spin's outbound `spin:postgres` interface).
//!
//! Both run exactly these statements, so `sesame serve` nodes and Spin replicas can share one
//! database: a record one writes, the other reads, and every compare-and-swap is decided by the
//! same single statement whichever runs it. Nothing here touches a connection; each store binds
//! the parameters its own way, in the order each statement documents.
//!
//! # Layout and guarantees
//!
//! One table, `sesame_kv`. Keys and values are `BYTEA`; versions come from one sequence, which
//! never hands out a number twice, even across deletes, rollbacks and nodes (no ABA on a
//! re-created key). Expiry is an absolute time in milliseconds by the database's clock, the one
//! clock every node and replica shares; an expired row reads as absent everywhere and is purged
//! in batches. Every conditional write is one statement (`INSERT .. ON CONFLICT .. WHERE`,
//! `UPDATE .. WHERE version = $n`), so no lock is held across a round trip.

/// Milliseconds since the epoch by the database's clock, as SQL.
macro_rules! now_ms {
    () => {
        "(extract(epoch from clock_timestamp()) * 1000)::bigint"
    };
}

/// The condition "the row is live now", as SQL.
macro_rules! live {
    () => {
        concat!("(expires_at IS NULL OR expires_at > ", now_ms!(), ")")
    };
}

/// Schema changes in order; each runs once per schema, recorded in `sesame_migrations`.
/// Append only: a released migration never changes, since databases already ran it.
pub const MIGRATIONS: &[&str] = &["
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

/// Advisory-lock key that serialises migrations: whichever node or replica migrates first
/// holds it, and every other one waits, then finds the work done.
pub const MIGRATION_LOCK: i64 = 0x5E5A_3E00_0001;

/// The longest schema name [`migration_statement`] and the stores accept.
const SCHEMA_NAME_LIMIT: usize = 48;

/// Whether `name` can be a schema name as given: 1 to 48 of `a-z`, `0-9` and `_`, not starting
/// with a digit. Such a name is a bare SQL identifier, safe to write into a statement.
pub fn is_schema_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= SCHEMA_NAME_LIMIT
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// One statement that brings the database (or `schema`, created if missing) to the latest
/// migration: under [`MIGRATION_LOCK`], inside the statement's own transaction, it applies
/// each migration not yet recorded and records it. One statement, because a Spin component
/// cannot hold a transaction across host calls; running it anywhere, any number of times at
/// once, leaves the same result.
///
/// `None` when `schema` is given but not a plain name ([`is_schema_name`]).
pub fn migration_statement(schema: Option<&str>) -> Option<String> {
    let mut body = format!("PERFORM pg_advisory_xact_lock({MIGRATION_LOCK});\n");
    if let Some(schema) = schema {
        if !is_schema_name(schema) {
            return None;
        }
        // A plain name (checked above) is a safe bare identifier.
        body.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};\nSET LOCAL search_path TO {schema};\n"
        ));
    }
    body.push_str(
        "CREATE TABLE IF NOT EXISTS sesame_migrations (version INT PRIMARY KEY);\n\
         SELECT coalesce(max(version), 0) INTO done FROM sesame_migrations;\n",
    );
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let version = index + 1;
        body.push_str(&format!(
            "IF done < {version} THEN\n{migration}\n\
             INSERT INTO sesame_migrations (version) VALUES ({version});\n\
             RAISE NOTICE 'sesame: applied PostgreSQL migration {version}';\nEND IF;\n"
        ));
    }
    Some(format!(
        "DO $sesame_migrate$\nDECLARE done INT;\nBEGIN\n{body}END\n$sesame_migrate$"
    ))
}

/// The live value and version of key `$1`.
pub const GET: &str = concat!(
    "SELECT value, version FROM sesame_kv WHERE key = $1 AND ",
    live!()
);

/// The upsert both writes start with: key `$1` = `$2` under a fresh version, living `$3` ms
/// (`NULL`: forever), replacing the row there.
macro_rules! upsert {
    () => {
        concat!(
            "INSERT INTO sesame_kv (key, value, version, expires_at)
     VALUES ($1, $2, nextval('sesame_version'), $3::bigint + ",
            now_ms!(),
            ")
     ON CONFLICT (key) DO UPDATE SET value = excluded.value,
         version = excluded.version, expires_at = excluded.expires_at"
        )
    };
}

/// Writes key `$1` = `$2`, living `$3` ms (`NULL`: forever), whatever is there; returns the new
/// version.
pub const WRITE: &str = concat!(upsert!(), "\n     RETURNING version");

/// Like [`WRITE`], only if no live row has key `$1` (an expired one is overwritten); returns
/// no row when one does.
pub const WRITE_IF_ABSENT: &str = concat!(
    upsert!(),
    "\n     WHERE sesame_kv.expires_at IS NOT NULL AND sesame_kv.expires_at <= ",
    now_ms!(),
    "\n     RETURNING version"
);

/// Like [`WRITE`], only if key `$1` is live at version `$4`; returns no row otherwise.
pub const WRITE_IF_VERSION: &str = concat!(
    "UPDATE sesame_kv SET value = $2, version = nextval('sesame_version'),
         expires_at = $3::bigint + ",
    now_ms!(),
    "
     WHERE key = $1 AND version = $4 AND ",
    live!(),
    "
     RETURNING version"
);

/// Deletes key `$1` if live; returns its version when it did.
pub const DELETE: &str = concat!(
    "DELETE FROM sesame_kv WHERE key = $1 AND ",
    live!(),
    " RETURNING version"
);

/// Deletes key `$1` if live at version `$2`; returns its version when it did.
pub const DELETE_IF_VERSION: &str = concat!(
    "DELETE FROM sesame_kv WHERE key = $1 AND version = $2 AND ",
    live!(),
    " RETURNING version"
);

/// Up to `$4` live entries (key, value, version) with keys in [`$1`, `$3`) (`$3` `NULL`: no
/// upper bound) and above `$2`, in key order: one page of a prefix scan.
pub const LIST: &str = concat!(
    "SELECT key, value, version FROM sesame_kv
     WHERE key >= $1 AND key > $2 AND ($3::bytea IS NULL OR key < $3) AND ",
    live!(),
    "
     ORDER BY key LIMIT $4"
);

/// Expired entries one [`PURGE`] deletes at most, so no statement holds many row locks.
pub const PURGE_BATCH: u64 = 500;

/// Deletes up to [`PURGE_BATCH`] expired entries, skipping rows another purge holds.
pub const PURGE: &str = concat!(
    "DELETE FROM sesame_kv WHERE key IN (SELECT key FROM sesame_kv WHERE expires_at <= ",
    now_ms!(),
    " LIMIT 500 FOR UPDATE SKIP LOCKED)"
);

/// Up to `$2` live entries (key, value, milliseconds left to live or `NULL`) with keys above
/// `$1` (`NULL`: from the first), in key order: one page of a copy to another store.
pub const EXPORT: &str = concat!(
    "SELECT key, value, expires_at - ",
    now_ms!(),
    " FROM sesame_kv
     WHERE ($1::bytea IS NULL OR key > $1) AND ",
    live!(),
    "
     ORDER BY key LIMIT $2"
);

/// The table a statement failing with "relation does not exist" names when the database has
/// not been migrated yet.
pub const TABLE: &str = "sesame_kv";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_batch_constant_is_the_one_in_the_statement() {
        assert!(PURGE.contains(&format!("LIMIT {PURGE_BATCH} ")));
    }

    #[test]
    fn schema_names_are_bare_identifiers_only() {
        for good in ["sesame", "e2e_12_34", "a"] {
            assert!(is_schema_name(good), "{good}");
        }
        let long = "a".repeat(49);
        for bad in [
            "",
            "Sesame",
            "1abc",
            "a-b",
            "a;drop",
            "a b",
            "é",
            long.as_str(),
        ] {
            assert!(!is_schema_name(bad), "{bad}");
            assert!(migration_statement(Some(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_migration_statement_applies_every_migration_under_the_lock() {
        let statement = migration_statement(Some("tenant_a")).unwrap_or_default();
        let lock = statement
            .find("pg_advisory_xact_lock")
            .unwrap_or(usize::MAX);
        let schema = statement.find("CREATE SCHEMA").unwrap_or(usize::MAX);
        let table = statement
            .find("CREATE TABLE sesame_kv")
            .unwrap_or(usize::MAX);
        assert!(lock < schema && schema < table, "{statement}");
        for version in 1..=MIGRATIONS.len() {
            assert!(statement.contains(&format!("IF done < {version} THEN")));
            assert!(statement.contains(&format!("VALUES ({version})")));
        }
        let plain = migration_statement(None).unwrap_or_default();
        assert!(!plain.contains("CREATE SCHEMA") && plain.contains("CREATE TABLE sesame_kv"));
    }
}
