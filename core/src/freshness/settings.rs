//! How long an authentication counts as recent: a setting of its own, so reading settings
//! needs nothing of the freshness rules.

use crate::settings::{Setting, seconds_as_ms, section};

/// The freshness window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessSettings {
    /// How long after the last real authentication (sign-in, `/verify`, `/wan-verify`) a login
    /// may make sensitive changes, in ms.
    pub window_ms: u64,
}

impl Default for FreshnessSettings {
    /// 10 minutes: OWASP ASVS 5.0 V7.5.3 asks for re-authentication before sensitive changes,
    /// and 10 minutes is long enough to finish what one signed in for.
    fn default() -> Self {
        FreshnessSettings {
            window_ms: 10 * 60 * 1000,
        }
    }
}

/// The freshness variables. The old name, from when only passkeys re-verified, stays as an
/// alias; it is listed before the current name, so the current one wins when both are set.
pub const SETTINGS: &[Setting<FreshnessSettings>] = section! {
    "SESAME_WEBAUTHN_FRESHNESS_SECS" = "", window_ms <- seconds_as_ms, "an alias of SESAME_FRESHNESS_SECS";
    "SESAME_FRESHNESS_SECS" = "600", window_ms <- seconds_as_ms, "how long a sign-in, /verify or /wan-verify allows sensitive changes, in seconds";
};
