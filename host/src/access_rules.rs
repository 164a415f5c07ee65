//! `sesame serve --access-rules FILE`: the access rules for `/auth/check`, read from a file,
//! checked before serving, and reloaded when the file changes.
//!
//! The component reads its rules from `SESAME_ACCESS_RULES` like any setting; the host puts
//! the file's text there. The file is read again every second (cheap for a file of rules, and
//! it sees every way of changing it: an editor's rename, a Kubernetes ConfigMap's symlink
//! swap, a copy over it). A change that does not parse is logged with its line and reason and
//! the rules in force stay; a file that cannot be read keeps them too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use sesame_core::access::AccessRules;

use crate::engine::Runtime;

/// The setting the rules travel in.
pub(crate) const VARIABLE: &str = "SESAME_ACCESS_RULES";

/// How often the file is read again.
const POLL: Duration = Duration::from_secs(1);

/// The largest rules file read; a thousand rules fit in far less.
const MAX_BYTES: u64 = 1024 * 1024;

/// Reads and checks the rules file; an unusable one stops the server with its line and reason.
pub(crate) fn read(path: &Path) -> Result<String> {
    let text = read_text(path)?;
    AccessRules::parse(&text).with_context(|| format!("{}", path.display()))?;
    Ok(text)
}

fn read_text(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read the access rules {}", path.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_BYTES,
        "{}: the access rules are larger than {MAX_BYTES} bytes",
        path.display()
    );
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the access rules {}", path.display()))
}

/// Watches `path` and hands each good change to `runtime`; `current` is the text in force.
pub(crate) fn watch(runtime: Runtime, path: PathBuf, mut current: String) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let text = match read_text(&path) {
                Ok(text) => text,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "access rules not read; the rules in force stay");
                    continue;
                }
            };
            if text == current {
                continue;
            }
            match AccessRules::parse(&text) {
                Ok(rules) => {
                    runtime.change_setting(VARIABLE, &text);
                    tracing::info!(file = %path.display(), rules = rules.rules.len(), "access rules reloaded");
                    current = text;
                }
                Err(e) => {
                    tracing::error!(file = %path.display(), line = e.line, reason = %e.reason, "access rules not reloaded; the rules in force stay");
                    // Not logged again until the file changes once more.
                    current = text;
                }
            }
        }
    });
}
