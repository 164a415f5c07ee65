//! When repeated failures lock an account: settings of their own, so reading settings needs
//! nothing of the sign-in logic.

use crate::settings::{Setting, number, seconds_as_ms, set};

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
pub const SETTINGS: &[Setting<LockoutSettings>] = &[
    Setting {
        name: "SESAME_LOCKOUT_THRESHOLD",
        default: "5",
        doc: "failed sign-ins in a row before an account locks",
        apply: |c, name, v| set(&mut c.threshold, number(name, v)),
    },
    Setting {
        name: "SESAME_LOCKOUT_BASE_SECS",
        default: "60",
        doc: "first lock, in seconds; each further failure doubles it",
        apply: |c, name, v| set(&mut c.base_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_LOCKOUT_MAX_SECS",
        default: "86400",
        doc: "longest lock, in seconds",
        apply: |c, name, v| set(&mut c.max_ms, seconds_as_ms(name, v)),
    },
];
