//! The cookies Sesame sets: the session, a pending sign-in that awaits its second factor, and a
//! started WebAuthn ceremony. Each has a plain name for plain-HTTP loopback deployments and a
//! `__Host-` name when cookies are `Secure`; all are `HttpOnly` and `Path=/`.

use crate::Sesame;

/// Name of the session cookie on plain-HTTP loopback deployments.
pub const COOKIE_NAME: &str = "sesame_session";
/// Name of the session cookie when `Secure`: the `__Host-` prefix makes browsers refuse it
/// unless it is Secure, host-only and `Path=/`, so a sibling subdomain cannot plant one.
pub const SECURE_COOKIE_NAME: &str = "__Host-sesame_session";
/// Name of the pending-sign-in cookie on plain-HTTP loopback deployments.
pub const PENDING_COOKIE_NAME: &str = "sesame_tf";
/// Name of the pending-sign-in cookie when `Secure` (host-only, see the session cookie).
pub const SECURE_PENDING_COOKIE_NAME: &str = "__Host-sesame_tf";
/// Name of the ceremony cookie on plain-HTTP loopback deployments.
pub const CEREMONY_COOKIE_NAME: &str = "sesame_wan";
/// Name of the ceremony cookie when `Secure`.
pub const SECURE_CEREMONY_COOKIE_NAME: &str = "__Host-sesame_wan";

/// One of Sesame's cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cookie {
    /// The session token.
    Session,
    /// The token of a sign-in whose password was right and that awaits its second factor.
    Pending,
    /// The state of a started WebAuthn ceremony. `SameSite=Strict`: only Sesame's own pages
    /// finish a ceremony.
    Ceremony,
}

impl Cookie {
    /// The cookie's name on a deployment whose cookies are `Secure` or not.
    pub(crate) fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Cookie::Session, true) => SECURE_COOKIE_NAME,
            (Cookie::Session, false) => COOKIE_NAME,
            (Cookie::Pending, true) => SECURE_PENDING_COOKIE_NAME,
            (Cookie::Pending, false) => PENDING_COOKIE_NAME,
            (Cookie::Ceremony, true) => SECURE_CEREMONY_COOKIE_NAME,
            (Cookie::Ceremony, false) => CEREMONY_COOKIE_NAME,
        }
    }

    /// The Set-Cookie value that stores `value` for as long as what it carries lives.
    pub(crate) fn set(self, sesame: &Sesame<'_>, value: &str) -> String {
        let config = sesame.config();
        let lifetime_ms = match self {
            Cookie::Session => config.sessions.absolute_ms,
            Cookie::Pending => config.two_factor.pending_ms,
            Cookie::Ceremony => config.webauthn.challenge_ms,
        };
        self.header(sesame, value, lifetime_ms / 1000)
    }

    /// The Set-Cookie value that removes the cookie.
    pub(crate) fn clear(self, sesame: &Sesame<'_>) -> String {
        self.header(sesame, "", 0)
    }

    fn header(self, sesame: &Sesame<'_>, value: &str, max_age: u64) -> String {
        let secure = sesame.config().cookie_secure;
        let same_site = match self {
            Cookie::Session | Cookie::Pending => "Lax",
            Cookie::Ceremony => "Strict",
        };
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{}",
            self.name(secure),
            if secure { "; Secure" } else { "" }
        )
    }
}
