//! How long mailed links work: settings of their own, so reading settings needs nothing of
//! the link logic.

use crate::settings::{Setting, number, section};

/// Mailed-link lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSettings {
    /// How long a confirmation link works, in seconds.
    pub confirm_max_age_secs: u64,
    /// How long a password-reset link works, in seconds.
    pub reset_max_age_secs: u64,
    /// How long the link confirming a new email address works, in seconds.
    pub change_email_max_age_secs: u64,
    /// How long the link sent to the old address, which undoes an email change, works, in
    /// seconds.
    pub restore_email_max_age_secs: u64,
}

impl Default for LinkSettings {
    /// Confirmation links for 5 days, reset links for 1 hour, links confirming a new address
    /// for 24 hours and links restoring the old one for 7 days.
    fn default() -> Self {
        LinkSettings {
            confirm_max_age_secs: 5 * 24 * 3600,
            reset_max_age_secs: 3600,
            change_email_max_age_secs: 24 * 3600,
            restore_email_max_age_secs: 7 * 24 * 3600,
        }
    }
}

/// The link variables.
pub const SETTINGS: &[Setting<LinkSettings>] = section! {
    "SESAME_CONFIRM_LINK_MAX_AGE_SECS" = "432000", confirm_max_age_secs <- number, "how long an address-confirmation link works, in seconds";
    "SESAME_RESET_LINK_MAX_AGE_SECS" = "3600", reset_max_age_secs <- number, "how long a password-reset link works, in seconds";
    "SESAME_CHANGE_EMAIL_LINK_MAX_AGE_SECS" = "86400", change_email_max_age_secs <- number, "how long the link confirming a new email address works, in seconds";
    "SESAME_RESTORE_EMAIL_LINK_MAX_AGE_SECS" = "604800", restore_email_max_age_secs <- number, "how long the link mailed to the old address, which undoes an email change, works, in seconds";
};
