//! OpenID provider settings: a section of their own, so reading settings needs nothing of the
//! OAuth logic.

use crate::settings::{Setting, boolean, seconds_as_ms, section};

/// OpenID provider settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// Whether anyone may register a client at `/oauth/register` (RFC 7591). Off by default:
    /// clients are added with `sesame client add`.
    pub dynamic_registration: bool,
    /// How long an authorization code can be exchanged, in ms (at most 60 s).
    pub code_ttl_ms: u64,
    /// Lifetime of an ID token, in ms.
    pub id_token_ttl_ms: u64,
}

impl Default for OAuthSettings {
    /// No dynamic registration; codes for 60 s, ID tokens for 5 minutes.
    fn default() -> Self {
        OAuthSettings {
            dynamic_registration: false,
            code_ttl_ms: 60_000,
            id_token_ttl_ms: 5 * 60 * 1000,
        }
    }
}

/// The OpenID provider variables.
pub const SETTINGS: &[Setting<OAuthSettings>] = section! {
    "SESAME_OAUTH_DYNAMIC_REGISTRATION" = "false", dynamic_registration <- boolean, "`true` lets anyone register an OAuth client at /oauth/register (RFC 7591; MCP clients use it)";
    "SESAME_OAUTH_CODE_SECS" = "60", code_ttl_ms <- seconds_as_ms, "how long an authorization code can be exchanged, in seconds (1 to 60)";
    "SESAME_OAUTH_ID_TOKEN_SECS" = "300", id_token_ttl_ms <- seconds_as_ms, "lifetime of an OpenID Connect ID token, in seconds";
};
