//! Copying every record and host secret from one store to another (`sesame migrate`), then
//! checking that the target holds exactly what the source holds.

use super::{BackendError, MAX_SCAN_LIMIT, Record, StoreBackend};

/// Why a migration stopped. Nothing is deleted from the source in any case.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrateError {
    /// A store failed; the copy may be partial (the source is untouched).
    #[error("{side} store: {source}")]
    Backend {
        /// `source` or `target`.
        side: &'static str,
        /// What failed.
        source: BackendError,
    },
    /// The target already holds entries; merging two user bases is not a migration.
    #[error("the target store already holds data (first key '{0}'); migrate into an empty store")]
    TargetNotEmpty(String),
    /// The target already has a different value for a host secret (it served before).
    #[error(
        "the target store already has a different host secret '{0}'; migrate into a fresh store"
    )]
    SecretMismatch(String),
    /// An entry appeared in the target while copying: something else writes to it.
    #[error("'{0}' was written to the target during the copy; stop every node and retry")]
    ConcurrentWrite(String),
    /// After the copy the two stores differ.
    #[error("verification failed: {0}")]
    Mismatch(String),
}

/// What a successful migration copied, and verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Migrated {
    /// Entries copied; the target holds exactly these.
    pub(crate) records: usize,
    /// Host secrets copied (the master secret among them).
    pub(crate) host_secrets: usize,
}

fn source(e: BackendError) -> MigrateError {
    MigrateError::Backend {
        side: "source",
        source: e,
    }
}

fn target(e: BackendError) -> MigrateError {
    MigrateError::Backend {
        side: "target",
        source: e,
    }
}

/// Copies every live entry (with its remaining lifetime) and every host secret from `from` to
/// the empty store `to`, then reads both back in key order and checks that they hold the same
/// keys with the same values. Nodes must be stopped: writes during the copy are not carried.
pub(crate) async fn copy_all(
    from: &dyn StoreBackend,
    to: &dyn StoreBackend,
) -> Result<Migrated, MigrateError> {
    if let Some(first) = to.export(None, 1).await.map_err(target)?.first() {
        return Err(MigrateError::TargetNotEmpty(first.key.clone()));
    }
    let secrets = from.host_secrets().await.map_err(source)?;
    for (name, value) in &secrets {
        let kept = to.host_secret(name, value.clone()).await.map_err(target)?;
        if &kept != value {
            return Err(MigrateError::SecretMismatch(name.clone()));
        }
    }
    let mut records = 0usize;
    let mut after: Option<String> = None;
    loop {
        let page = next_page(from, &after).await.map_err(source)?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for Record { key, value, ttl_ms } in page {
            match to.put(&key, value, Some(0), ttl_ms).await {
                Ok(_) => records += 1,
                Err(BackendError::Conflict) => return Err(MigrateError::ConcurrentWrite(key)),
                Err(e) => return Err(target(e)),
            }
        }
    }
    let verified = verify(from, to).await?;
    if verified != records {
        return Err(MigrateError::Mismatch(format!(
            "copied {records} entries but the stores now hold {verified}"
        )));
    }
    Ok(Migrated {
        records,
        host_secrets: secrets.len(),
    })
}

/// The largest page of `store`'s entries after `after` (from the start when `None`).
async fn next_page(
    store: &dyn StoreBackend,
    after: &Option<String>,
) -> Result<Vec<Record>, BackendError> {
    store.export(after.as_deref(), MAX_SCAN_LIMIT).await
}

/// Walks both stores in key order and compares them entry by entry; returns how many match.
async fn verify(from: &dyn StoreBackend, to: &dyn StoreBackend) -> Result<usize, MigrateError> {
    let mut count = 0usize;
    let mut after: Option<String> = None;
    loop {
        let left = next_page(from, &after).await.map_err(source)?;
        let right = next_page(to, &after).await.map_err(target)?;
        if left.len() != right.len() {
            return Err(MigrateError::Mismatch(format!(
                "after {} matching entries the source has {} more and the target {} more in the next page",
                count,
                left.len(),
                right.len()
            )));
        }
        let Some(last) = left.last() else {
            return Ok(count);
        };
        after = Some(last.key.clone());
        for (a, b) in left.iter().zip(&right) {
            if a.key != b.key || a.value != b.value {
                return Err(MigrateError::Mismatch(format!(
                    "source entry '{}' differs from target entry '{}'",
                    a.key, b.key
                )));
            }
            count += 1;
        }
    }
}
