//! `sesame backup` and `sesame restore`, for an SQLite store. PostgreSQL and Redis have better
//! tools of their own (`pg_dump`, `redis-cli --rdb`; docs/operations.md).
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so it is a consistent snapshot
//! taken while the server keeps writing (the write-ahead log lets readers and the writer
//! proceed together), and the copy is compact. Both commands check the file they produce or
//! read with `PRAGMA integrity_check`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags};

use crate::store::StoreUrl;

/// The SQLite file behind `url`, or a refusal naming the other back ends' tools.
fn sqlite_path(url: &StoreUrl) -> Result<&Path> {
    match url {
        StoreUrl::Sqlite(path) => Ok(path),
        StoreUrl::Postgres(_) => {
            bail!(
                "back up PostgreSQL with pg_dump and restore with pg_restore (docs/operations.md)"
            )
        }
        StoreUrl::Redis(_) => {
            bail!(
                "back up Redis with its RDB or AOF files, e.g. redis-cli --rdb (docs/operations.md)"
            )
        }
    }
}

/// Fails unless SQLite finds the database at `conn` sound.
fn check_integrity(conn: &Connection, what: &Path) -> Result<()> {
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .with_context(|| format!("cannot check {}", what.display()))?;
    if verdict != "ok" {
        bail!("{} failed its integrity check: {verdict}", what.display());
    }
    Ok(())
}

/// Entries in the store's table, for the message.
fn entries(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM kv", [], |row| row.get(0))?)
}

/// `sesame backup PATH`.
pub(crate) fn backup(store: &StoreUrl, target: &Path) -> Result<()> {
    let source = sqlite_path(store)?;
    if target.exists() {
        bail!("{} exists already; give a new path", target.display());
    }
    if !source.exists() {
        bail!("there is no store at {}", source.display());
    }
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("cannot open {}", source.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let target_text = target
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target_text])
        .with_context(|| format!("cannot write {}", target.display()))?;
    let copy = Connection::open_with_flags(target, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check_integrity(&copy, target)?;
    println!(
        "backed up {} entries from {} to {}",
        entries(&copy)?,
        source.display(),
        target.display()
    );
    Ok(())
}

/// `sesame restore PATH`: the backup, checked first, copied page by page into the store (the
/// store's own file, write-ahead log and all, stays consistent for SQLite).
pub(crate) fn restore(store: &StoreUrl, backup: &Path) -> Result<()> {
    let target = sqlite_path(store)?;
    let source = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", backup.display()))?;
    check_integrity(&source, backup)?;
    let restored =
        entries(&source).with_context(|| format!("{} is not a Sesame store", backup.display()))?;
    let mut conn =
        Connection::open(target).with_context(|| format!("cannot open {}", target.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    {
        let copy = rusqlite::backup::Backup::new(&source, &mut conn)?;
        copy.run_to_completion(256, std::time::Duration::ZERO, None)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    check_integrity(&conn, target)?;
    println!(
        "restored {restored} entries from {} into {}",
        backup.display(),
        target.display()
    );
    Ok(())
}
