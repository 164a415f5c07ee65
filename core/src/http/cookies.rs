//! The cookies Sesame sets: the session, a pending sign-in that awaits its second factor, a
//! code sign-in awaiting its mailed code, a started WebAuthn ceremony, and the page to return to after signing in. Each has a plain
//! name for plain-HTTP loopback deployments and a `__Host-` name when cookies are `Secure`;
//! all are `HttpOnly` and `Path=/`.
//!
//! With `SESAME_COOKIE_DOMAIN` (single sign-on across subdomains) the session cookie alone
//! carries `Domain=`, which `__Host-` forbids: it is then `__Secure-sesame_session`, which
//! browsers still accept only over HTTPS with `Secure`. Every host below the domain can then
//! read and set that cookie, so the setting is for domains whose every subdomain is trusted
//! (see `docs/proxy.md`). The other cookies stay host-only.

use crate::Sesame;
use crate::config::Config;

/// Name of the session cookie on plain-HTTP loopback deployments.
pub const COOKIE_NAME: &str = "sesame_session";
/// Name of the session cookie when `Secure`: the `__Host-` prefix makes browsers refuse it
/// unless it is Secure, host-only and `Path=/`, so a sibling subdomain cannot plant one.
pub const SECURE_COOKIE_NAME: &str = "__Host-sesame_session";
/// Name of the pending-sign-in cookie on plain-HTTP loopback deployments.
pub const PENDING_COOKIE_NAME: &str = "sesame_tf";
/// Name of the pending-sign-in cookie when `Secure` (host-only, see the session cookie).
pub const SECURE_PENDING_COOKIE_NAME: &str = "__Host-sesame_tf";
/// Name of the session cookie when `Secure` and shared with subdomains (`Domain=` set).
pub const SHARED_SECURE_COOKIE_NAME: &str = "__Secure-sesame_session";
/// Name of the return-to cookie on plain-HTTP loopback deployments.
pub const RETURN_COOKIE_NAME: &str = "sesame_rd";
/// Name of the return-to cookie when `Secure`.
pub const SECURE_RETURN_COOKIE_NAME: &str = "__Host-sesame_rd";
/// Name of the code sign-in cookie on plain-HTTP loopback deployments.
pub const CODE_SIGN_IN_COOKIE_NAME: &str = "sesame_us";
/// Name of the code sign-in cookie when `Secure`.
pub const SECURE_CODE_SIGN_IN_COOKIE_NAME: &str = "__Host-sesame_us";
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
    /// The token of a code sign-in this browser asked for: the mailed code and link work only
    /// with it. `Lax`, so a link opened from a mail client (a top-level navigation) carries it.
    CodeSignIn,
    /// Where to send the browser once it has signed in (a protected application's URL, from
    /// forward-auth's `rd`), for as long as a sign-in may take.
    Return,
}

/// How long the return-to cookie lives, in seconds: long enough for a sign-in with a second
/// factor, short enough that a later visit to the account page is not sent elsewhere.
const RETURN_MAX_AGE_SECS: u64 = 15 * 60;

impl Cookie {
    /// The cookie's name on a deployment configured by `config`.
    pub(crate) fn name(self, config: &Config) -> &'static str {
        let secure = config.cookie_secure;
        match (self, secure) {
            (Cookie::Session, true) if config.access.cookie_domain.is_some() => {
                SHARED_SECURE_COOKIE_NAME
            }
            (Cookie::Session, true) => SECURE_COOKIE_NAME,
            (Cookie::Session, false) => COOKIE_NAME,
            (Cookie::Pending, true) => SECURE_PENDING_COOKIE_NAME,
            (Cookie::Pending, false) => PENDING_COOKIE_NAME,
            (Cookie::Ceremony, true) => SECURE_CEREMONY_COOKIE_NAME,
            (Cookie::Ceremony, false) => CEREMONY_COOKIE_NAME,
            (Cookie::CodeSignIn, true) => SECURE_CODE_SIGN_IN_COOKIE_NAME,
            (Cookie::CodeSignIn, false) => CODE_SIGN_IN_COOKIE_NAME,
            (Cookie::Return, true) => SECURE_RETURN_COOKIE_NAME,
            (Cookie::Return, false) => RETURN_COOKIE_NAME,
        }
    }

    /// The Set-Cookie value that stores `value` for as long as what it carries lives.
    pub(crate) fn set(self, sesame: &Sesame<'_>, value: &str) -> String {
        let config = sesame.config();
        let max_age = match self {
            Cookie::Session => config.sessions.absolute_ms / 1000,
            Cookie::Pending => config.two_factor.pending_ms / 1000,
            Cookie::Ceremony => config.webauthn.challenge_ms / 1000,
            Cookie::CodeSignIn => config.unified_sign_in.link_ms / 1000,
            Cookie::Return => RETURN_MAX_AGE_SECS,
        };
        self.header(sesame, value, max_age)
    }

    /// The Set-Cookie value that removes the cookie.
    pub(crate) fn clear(self, sesame: &Sesame<'_>) -> String {
        self.header(sesame, "", 0)
    }

    fn header(self, sesame: &Sesame<'_>, value: &str, max_age: u64) -> String {
        let config = sesame.config();
        let same_site = match self {
            // The return-to cookie is set by a page reached from a proxy's redirect, and read
            // on Sesame's own pages: Lax, like the session's.
            Cookie::Session | Cookie::Pending | Cookie::CodeSignIn | Cookie::Return => "Lax",
            Cookie::Ceremony => "Strict",
        };
        let domain = match (self, &config.access.cookie_domain) {
            (Cookie::Session, Some(domain)) => format!("; Domain={domain}"),
            _ => String::new(),
        };
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{}{domain}",
            self.name(config),
            if config.cookie_secure { "; Secure" } else { "" }
        )
    }
}
