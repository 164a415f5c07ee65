//! `sesame serve --access-rules FILE`: the access rules for `/auth/check`, read from a file,
//! checked before serving, and reloaded when the file changes.
//!
//! The component reads its rules from `SESAME_ACCESS_RULES` like any setting; the host puts
//! the file's text there. The file is read again every second (cheap for a file of rules, and
//! it sees every way of changing it: an editor's rename, a Kubernetes ConfigMap's symlink
//! swap, a copy over it). A change takes effect only once two reads a second apart agree, so
//! a file caught half-written is never applied; one that does not parse is logged with its
//! line and reason and the rules in force stay; so do they when the file cannot be read or is
//! empty (an empty setting would mean "no rules", which a truncated file must never mean).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use sesame_core::access::AccessRules;

use crate::engine::Runtime;

/// The setting the rules travel in.
pub(crate) const VARIABLE: &str = "SESAME_ACCESS_RULES";

/// How often the file is read again.
const POLL: Duration = Duration::from_secs(1);

/// The largest rules file read (core's own limit on a rules document).
const MAX_BYTES: u64 = sesame_core::access::rules::MAX_DOCUMENT_BYTES as u64;

/// Reads and checks the rules file; an unusable one stops the server with its line and reason.
pub(crate) fn read(path: &Path) -> Result<String> {
    let text = read_text(path)?;
    check(&text).with_context(|| format!("{}", path.display()))?;
    Ok(text)
}

/// Parses `text` as rules; an empty document is refused too.
fn check(text: &str) -> Result<AccessRules> {
    anyhow::ensure!(
        !text.trim().is_empty(),
        "the access rules are empty; to let every signed-in person through, say so: default_policy = \"one_factor\""
    );
    Ok(AccessRules::parse(text)?)
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
pub(crate) fn watch(runtime: Runtime, path: PathBuf, current: String) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watcher = Watcher::new(current);
        loop {
            ticks.tick().await;
            let read = read_text(&path);
            match watcher.next(read) {
                Step::Same | Step::Settling => {}
                Step::Apply(text, rules) => {
                    runtime.change_setting(VARIABLE, &text);
                    tracing::info!(file = %path.display(), rules, "access rules reloaded");
                }
                Step::Refused(why) => {
                    tracing::error!(file = %path.display(), reason = %why, "access rules not reloaded; the rules in force stay");
                }
                Step::Unreadable(why) => {
                    tracing::warn!(file = %path.display(), error = %why, "access rules not read; the rules in force stay");
                }
            }
        }
    });
}

/// What one read of the file leads to.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Nothing changed (or a refused change is still there).
    Same,
    /// A change, seen once: applied only if the next read agrees.
    Settling,
    /// A change seen twice in a row that parses: the text, and how many rules it holds.
    Apply(String, usize),
    /// A change seen twice in a row that cannot be used, and why.
    Refused(String),
    /// The file could not be read.
    Unreadable(String),
}

/// The reload decisions, apart from the clock and the file system so they can be tested.
struct Watcher {
    /// The text whose rules are in force.
    current: String,
    /// The last text read that differs from `current`.
    seen: Option<String>,
    /// The last text refused (so it is reported once).
    refused: Option<String>,
}

impl Watcher {
    fn new(current: String) -> Self {
        Watcher {
            current,
            seen: None,
            refused: None,
        }
    }

    fn next(&mut self, read: Result<String>) -> Step {
        let text = match read {
            Ok(text) => text,
            Err(e) => {
                self.seen = None;
                return Step::Unreadable(format!("{e:#}"));
            }
        };
        if text == self.current {
            self.seen = None;
            return Step::Same;
        }
        if self.seen.as_deref() != Some(text.as_str()) {
            self.seen = Some(text);
            return Step::Settling;
        }
        if self.refused.as_deref() == Some(text.as_str()) {
            return Step::Same;
        }
        match check(&text) {
            Ok(rules) => {
                self.seen = None;
                self.refused = None;
                self.current = text.clone();
                Step::Apply(text, rules.rules.len())
            }
            Err(e) => {
                self.refused = Some(text);
                Step::Refused(format!("{e:#}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[[rule]]\npolicy = \"deny\"\n";
    const OTHER: &str = "[[rule]]\npolicy = \"bypass\"\ndomain = \"public.example\"\n";

    #[test]
    fn a_change_applies_only_when_two_reads_agree() {
        let mut watcher = Watcher::new(GOOD.to_owned());
        assert_eq!(watcher.next(Ok(GOOD.to_owned())), Step::Same);
        // Caught half-written: the first part of OTHER would be a bypass for every host.
        let half = "[[rule]]\npolicy = \"bypass\"\n".to_owned();
        assert_eq!(watcher.next(Ok(half)), Step::Settling);
        assert_eq!(watcher.next(Ok(OTHER.to_owned())), Step::Settling);
        assert_eq!(
            watcher.next(Ok(OTHER.to_owned())),
            Step::Apply(OTHER.to_owned(), 1)
        );
        assert_eq!(watcher.next(Ok(OTHER.to_owned())), Step::Same);
    }

    #[test]
    fn empty_unreadable_or_broken_files_keep_the_rules_in_force() {
        let mut watcher = Watcher::new(GOOD.to_owned());
        assert_eq!(watcher.next(Ok(String::new())), Step::Settling);
        assert!(
            matches!(watcher.next(Ok(String::new())), Step::Refused(why) if why.contains("empty"))
        );
        assert_eq!(watcher.next(Ok(String::new())), Step::Same, "reported once");
        assert!(matches!(
            watcher.next(Err(anyhow::anyhow!("gone"))),
            Step::Unreadable(_)
        ));
        let broken = "[[rule]]\npolicy = \"sometimes\"\n".to_owned();
        assert_eq!(watcher.next(Ok(broken.clone())), Step::Settling);
        assert!(matches!(watcher.next(Ok(broken)), Step::Refused(why) if why.contains("line 2")));
        assert_eq!(watcher.current, GOOD);
        assert!(check("  \n").is_err());
    }
}
