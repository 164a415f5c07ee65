//! How long sessions live: settings of their own, so reading settings needs nothing of the
//! session logic.

use crate::settings::{Setting, seconds_as_ms, section};

/// Default idle timeout: 30 minutes.
pub const DEFAULT_IDLE_MS: u64 = 30 * 60 * 1000;
/// Default absolute session lifetime: 12 hours.
pub const DEFAULT_ABSOLUTE_MS: u64 = 12 * 60 * 60 * 1000;

/// Session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// A session unused for this long ends, in ms.
    pub idle_ms: u64,
    /// A session ends this long after sign-in, however active, in ms.
    pub absolute_ms: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_ms: DEFAULT_IDLE_MS,
            absolute_ms: DEFAULT_ABSOLUTE_MS,
        }
    }
}

/// The session variables.
pub const SETTINGS: &[Setting<SessionSettings>] = section! {
    "SESAME_SESSION_IDLE_SECS" = "1800", idle_ms <- seconds_as_ms, "a session unused for this many seconds ends";
    "SESAME_SESSION_ABSOLUTE_SECS" = "43200", absolute_ms <- seconds_as_ms, "a session ends this many seconds after sign-in, however active";
};
