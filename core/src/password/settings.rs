//! The breached-password check's settings: of their own, so reading settings needs nothing of
//! the check.

use crate::error::{Error, Result};
use crate::settings::{Setting, boolean, section};

/// Whether, and how strictly, new passwords are checked against a breached-password corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordSettings {
    /// The range service the host asks (`https://api.pwnedpasswords.com` or a mirror); `None`
    /// (the default) checks nothing. The component only learns that there is one: the host
    /// makes the request (`sesame:auth/breach-lookup`).
    pub pwned_url: Option<String>,
    /// Whether a password is refused when the check cannot be made (`breach-check-unavailable`)
    /// rather than let through; off by default, so an outage of the range service does not stop
    /// registrations and resets.
    pub pwned_fail_closed: bool,
}

/// The breached-password variables.
pub const SETTINGS: &[Setting<PasswordSettings>] = section! {
    "SESAME_PWNED_URL" = "", pwned_url <- range_url, "base URL of a breached-password range service (the haveibeenpwned.com range API or a mirror; https://, http:// only on loopback) new passwords are checked against by SHA-1 prefix; `sesame serve` makes the requests, never the component";
    "SESAME_PWNED_FAIL_CLOSED" = "false", pwned_fail_closed <- boolean, "refuse a new password when the breached-password check cannot be made, instead of letting it through";
};

/// A range service's base URL: absolute `https://`, or `http://` on loopback, without spaces,
/// quotes or a query; a trailing `/` is dropped.
fn range_url(name: &str, value: &str) -> Result<Option<String>> {
    let value = value.trim().trim_end_matches('/');
    if value.is_empty() {
        return Ok(None);
    }
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| value.starts_with(p));
    let plain = value.len() <= 2048
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'<>?#".contains(c));
    if !(value.starts_with("https://") || loopback) || !plain {
        return Err(Error::Config(format!(
            "{name} is an absolute https:// URL (http:// only on loopback) without a query, spaces or quotes"
        )));
    }
    Ok(Some(value.to_owned()))
}
