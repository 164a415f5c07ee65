//! `sesame backup` and `sesame restore`, for an SQLite store. PostgreSQL and Redis have better
//! tools of their own (`pg_dump`, `redis-cli --rdb`; docs/operations.md).
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so it is a consistent snapshot
//! taken while the server keeps writing (the write-ahead log lets readers and the writer
//! proceed together), and the copy is compact. Both commands check the file they produce or
//! read with `PRAGMA integrity_check`. A backup is readable by its owner only and leaves out
//! the master secret a store may hold (unless `--include-secrets`): with the secret, a copy
//! of the data would also be the key to what is sealed and signed in it.

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

/// Host-only rows that are secrets (the master secret a store may hold): left out of backups
/// unless asked for, and kept by a restore from a backup without them.
const SECRET_ROWS: &str = "name LIKE 'secret:%'";

/// Creates `path` empty and readable by its owner only, so a backup is never readable by
/// other local users, not even for the moment before SQLite writes it.
fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}

/// `sesame backup PATH [--include-secrets]`.
pub(crate) fn backup(store: &StoreUrl, target: &Path, include_secrets: bool) -> Result<()> {
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
    // VACUUM INTO writes into an empty file: created first with the owner's permissions only.
    create_private(target)?;
    if let Err(e) = conn.execute("VACUUM INTO ?1", [target_text]) {
        let _ = std::fs::remove_file(target);
        return Err(e).with_context(|| format!("cannot write {}", target.display()));
    }
    let copy = Connection::open(target)?;
    if !include_secrets {
        // Overwritten, not just unlinked, then the file rebuilt without the freed pages.
        copy.pragma_update(None, "secure_delete", "ON")?;
        copy.execute(&format!("DELETE FROM host_meta WHERE {SECRET_ROWS}"), [])?;
        copy.execute("VACUUM", [])?;
    }
    check_integrity(&copy, target)?;
    println!(
        "backed up {} entries from {} to {}{}",
        entries(&copy)?,
        source.display(),
        target.display(),
        if include_secrets {
            ", with the store's secrets: keep it as safe as the secrets themselves"
        } else {
            " (without a master secret the store may hold: keep that apart, as SESAME_SECRET)"
        }
    );
    Ok(())
}

/// `sesame restore PATH`: the backup, checked first, copied page by page into the store (the
/// store's own file, write-ahead log and all, stays consistent for SQLite). A master secret
/// the store holds stays when the backup has none.
pub(crate) fn restore(store: &StoreUrl, backup: &Path) -> Result<()> {
    let target = sqlite_path(store)?;
    let source = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", backup.display()))?;
    check_integrity(&source, backup)?;
    let restored =
        entries(&source).with_context(|| format!("{} is not a Sesame store", backup.display()))?;
    if !target.exists() {
        create_private(target)?;
    }
    let mut conn =
        Connection::open(target).with_context(|| format!("cannot open {}", target.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // A backup made without the master secret must not take the store's own away.
    let kept: Vec<(String, Vec<u8>)> = conn
        .prepare(&format!(
            "SELECT name, value FROM host_meta WHERE {SECRET_ROWS}"
        ))
        .and_then(|mut stmt| {
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .unwrap_or_default();
    {
        let copy = rusqlite::backup::Backup::new(&source, &mut conn)?;
        copy.run_to_completion(256, std::time::Duration::ZERO, None)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    let restored_secret: bool = conn
        .query_row(
            &format!("SELECT count(*) > 0 FROM host_meta WHERE {SECRET_ROWS}"),
            [],
            |row| row.get(0),
        )
        .unwrap_or(false);
    if kept.is_empty() && !restored_secret {
        eprintln!(
            "note: neither the backup nor the store holds a master secret: give the one the \
             backup was made with as SESAME_SECRET, or TOTP secrets and signed links in it \
             cannot be read"
        );
    }
    for (name, value) in kept {
        conn.execute(
            "INSERT INTO host_meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            rusqlite::params![name, value],
        )?;
    }
    check_integrity(&conn, target)?;
    println!(
        "restored {restored} entries from {} into {}",
        backup.display(),
        target.display()
    );
    Ok(())
}
