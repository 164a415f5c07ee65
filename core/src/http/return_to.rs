//! Sending a browser back to the protected application it came from, once it has signed in.
//!
//! Forward-auth sends a browser that must sign in to `/login?rd=<original URL>`. The sign-in
//! page keeps `rd` in the return-to cookie when it is a place Sesame may send people: an
//! absolute URL on a host the access rules protect, over HTTPS when cookies are `Secure`, on
//! the scheme's default port or the port of Sesame's own public URL (the proxy's port; rules
//! do not match ports, so another port of a protected host could be anyone's service).
//! Anything else is dropped, so `rd` cannot be used as an open redirect. Every browser
//! sign-in (password, second factor, passkey) ends on the account page, which sends the
//! browser on when the cookie is there and still allowed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::access::{Scheme, Target};
use crate::config::Config;

/// `url`, normalised, when a signed-in browser may be sent there; `None` otherwise.
pub(crate) fn allowed(config: &Config, url: &str) -> Option<String> {
    let rules = config.access.rules.as_ref()?;
    let target = Target::from_url("GET", url).ok()?;
    if config.cookie_secure && target.scheme != Scheme::Https {
        return None;
    }
    let default_port = match target.scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    let port_allowed = match target.port {
        None => true,
        Some(port) => port == default_port || Some(port) == config.public_port(),
    };
    (port_allowed && rules.protects(&target.host)).then(|| target.url())
}

/// The return-to cookie's value for an allowed `url`.
pub(crate) fn cookie_value(url: &str) -> String {
    URL_SAFE_NO_PAD.encode(url)
}

/// The URL a return-to cookie holds, when it is still a place the browser may be sent: an
/// allowed application URL, or Sesame's own authorization endpoint (an OAuth sign-in under
/// way), which only Sesame's authorization endpoint puts there.
pub(crate) fn from_cookie(config: &Config, value: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
    let url = std::str::from_utf8(&bytes).ok()?;
    if is_authorization(url) {
        return Some(url.to_owned());
    }
    allowed(config, url)
}

/// Whether `url` is a request to Sesame's own authorization endpoint.
pub(crate) fn is_authorization(url: &str) -> bool {
    url.strip_prefix(crate::oauth::paths::AUTHORIZE)
        .is_some_and(|rest| rest.starts_with('?'))
}
