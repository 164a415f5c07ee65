//! How many attempts each throttle allows: a setting of its own, so reading settings needs
//! nothing of the counting.

use crate::settings::{Setting, number, section};

/// Attempts allowed per window for each scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Window length in ms.
    pub window_ms: u64,
    /// Sign-ins per window from one address.
    pub login_per_address: u64,
    /// Sign-ins per window naming one account.
    pub login_per_account: u64,
    /// Mail-sending requests (registrations, reset links) per window from one address; also
    /// dynamic OAuth client registrations.
    pub register_per_address: u64,
    /// Mailed sign-in codes per window naming one account.
    pub mail_per_account: u64,
    /// Requests to the OAuth token endpoint per window naming one client.
    pub token_per_client: u64,
    /// Mails per window that requests of anyone may cause to one address (a new address
    /// to confirm, a recovered username).
    pub mail_per_recipient: u64,
    /// Email and username changes an account may ask for per window.
    pub changes_per_account: u64,
}

impl Default for ThrottleLimits {
    /// One minute windows: 30 sign-ins per address, 10 per account, 10 registrations per
    /// address, 3 mailed sign-in codes per account. Far above what a person types, far below
    /// what guessing needs. 600 token requests per OAuth client: ten a second, for one client's
    /// whole user base. 3 mails to one address and 5 email or username changes of one account.
    fn default() -> Self {
        ThrottleLimits {
            window_ms: 60_000,
            login_per_address: 30,
            login_per_account: 10,
            register_per_address: 10,
            mail_per_account: 3,
            token_per_client: 600,
            mail_per_recipient: 3,
            changes_per_account: 5,
        }
    }
}

/// The throttle variables.
pub const SETTINGS: &[Setting<ThrottleLimits>] = section! {
    "SESAME_THROTTLE_LOGIN_PER_IP" = "30", login_per_address <- number, "sign-in attempts per minute from one address";
    "SESAME_THROTTLE_LOGIN_PER_ACCOUNT" = "10", login_per_account <- number, "sign-in attempts per minute naming one account";
    "SESAME_THROTTLE_REGISTER_PER_IP" = "10", register_per_address <- number, "registrations and reset-link requests per minute from one address";
    "SESAME_THROTTLE_MAIL_PER_ACCOUNT" = "3", mail_per_account <- number, "mailed sign-in codes per minute naming one account";
    "SESAME_THROTTLE_TOKEN_PER_CLIENT" = "600", token_per_client <- number, "requests to the OAuth token endpoint per minute naming one client";
    "SESAME_THROTTLE_MAIL_PER_RECIPIENT" = "3", mail_per_recipient <- number, "mails per minute that requests may cause to one address (new-address links, recovered usernames)";
    "SESAME_THROTTLE_CHANGES_PER_ACCOUNT" = "5", changes_per_account <- number, "email and username changes per minute one account may ask for";
};
