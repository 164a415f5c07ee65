//! When repeated failures lock an account: settings of their own, so reading settings needs
//! nothing of the sign-in logic.

use crate::settings::{Setting, number, seconds_as_ms, section};

/// Lockout after failed sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutSettings {
    /// Failed sign-ins in a row before an account locks.
    pub threshold: u32,
    /// First lock duration, in ms; each further failure doubles it.
    pub base_ms: u64,
    /// Longest lock duration, in ms.
    pub max_ms: u64,
}

impl Default for LockoutSettings {
    /// 5 failures; a first lock of 1 minute, doubling up to 1 day.
    fn default() -> Self {
        LockoutSettings {
            threshold: 5,
            base_ms: 60 * 1000,
            max_ms: 24 * 60 * 60 * 1000,
        }
    }
}

/// The lockout variables.
pub const SETTINGS: &[Setting<LockoutSettings>] = section! {
    "SESAME_LOCKOUT_THRESHOLD" = "5", threshold <- number, "failed sign-ins in a row before an account locks";
    "SESAME_LOCKOUT_BASE_SECS" = "60", base_ms <- seconds_as_ms, "first lock, in seconds; each further failure doubles it";
    "SESAME_LOCKOUT_MAX_SECS" = "86400", max_ms <- seconds_as_ms, "longest lock, in seconds";
};
