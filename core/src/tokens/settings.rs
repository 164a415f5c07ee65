//! Token lifetimes and audience: settings of their own, so reading settings needs nothing of
//! the token logic.

use crate::settings::{Setting, given_text, seconds_as_ms, section};

/// API token settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// Lifetime of an access token (JWT), in ms; also how long a revoked login may still pass
    /// a third party that verifies tokens offline with the JWKS.
    pub access_ttl_ms: u64,
    /// Longest life of a token login (a refresh family), however often it is refreshed, in ms.
    pub refresh_absolute_ms: u64,
    /// A refresh token unused for this long stops working, in ms.
    pub refresh_idle_ms: u64,
    /// The `aud` of access tokens; the public URL when unset.
    pub audience: Option<String>,
}

impl Default for TokenSettings {
    /// Access tokens for 5 minutes; token logins for at most 30 days, 7 days idle.
    fn default() -> Self {
        TokenSettings {
            access_ttl_ms: 5 * 60 * 1000,
            refresh_absolute_ms: 30 * 24 * 60 * 60 * 1000,
            refresh_idle_ms: 7 * 24 * 60 * 60 * 1000,
            audience: None,
        }
    }
}

/// The token variables.
pub const SETTINGS: &[Setting<TokenSettings>] = section! {
    "SESAME_ACCESS_TOKEN_SECS" = "300", access_ttl_ms <- seconds_as_ms, "lifetime of an access token (JWT), in seconds";
    "SESAME_REFRESH_ABSOLUTE_SECS" = "2592000", refresh_absolute_ms <- seconds_as_ms, "longest life of a token login, however often refreshed, in seconds";
    "SESAME_REFRESH_IDLE_SECS" = "604800", refresh_idle_ms <- seconds_as_ms, "a refresh token unused for this many seconds stops working";
    "SESAME_TOKEN_AUDIENCE" = "", audience <- given_text, "the `aud` of access tokens (default: the public URL)";
};
