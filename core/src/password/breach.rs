//! The breached-password check: a new password found in a corpus of breached passwords (the
//! haveibeenpwned.com "Pwned Passwords" range API, or a mirror of it) is refused, as
//! Flask-Security's `SECURITY_PASSWORD_CHECK_BREACHED` and Kratos do.
//!
//! By k-anonymity: core computes the password's SHA-1 and hands the host only its first 5 hex
//! digits ([`BreachLookup`]); the host fetches every suffix listed under that prefix (hundreds,
//! padded), and core compares the remaining 35 digits itself, looking at every line whatever it
//! finds. The password and its full hash never leave the component, and the component never
//! gets network: the host alone decides where the request goes and how long it may take.
//!
//! A lookup that fails lets the password through (the host logs why) unless the deployment
//! chose to refuse what it cannot check (`SESAME_PWNED_FAIL_CLOSED`): then the answer is
//! `breach-check-unavailable`, a 503 with `Retry-After`.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::Password;
use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};

/// Seconds a client is asked to wait after `breach-check-unavailable`.
pub const RETRY_AFTER_SECS: u64 = 5;

/// Hex digits of the SHA-1 sent to the host: 5, so about a million prefixes share the work of
/// hiding any one password among some 500 to 1000 listed suffixes.
pub const PREFIX_LEN: usize = 5;

/// Why the host gave no range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupFailure {
    /// The host has no range service (or no way to reach one, as on Spin).
    NotConfigured,
    /// The range service could not be asked or answered badly; the text is for logs.
    Unavailable(String),
}

/// Fetching a range of breached-password hashes, if the host can. The default answers
/// [`LookupFailure::NotConfigured`]: hosts without network access (the `embed` world, Spin)
/// keep it.
pub trait BreachLookup {
    /// The lines the range service lists for `prefix` (5 upper-case hex digits of a SHA-1):
    /// `SUFFIX:COUNT` each.
    fn breach_range(&self, prefix: &str) -> std::result::Result<Vec<String>, LookupFailure> {
        let _ = prefix;
        Err(LookupFailure::NotConfigured)
    }
}

/// The SHA-1 of `password`'s bytes in upper-case hex, split into the prefix sent to the host
/// and the suffix kept.
fn split_hash(password: &Password) -> (String, String) {
    let digest = hex::encode_upper(Sha1::digest(password.as_bytes()));
    let (prefix, suffix) = digest.split_at(PREFIX_LEN);
    (prefix.to_owned(), suffix.to_owned())
}

/// Whether `lines` list `suffix` with a count above zero. Every line is compared in full, in
/// time that does not depend on where (or whether) the suffix is found; padding lines (count
/// 0) never match.
pub(crate) fn listed(suffix: &str, lines: &[String]) -> bool {
    let mut found = subtle::Choice::from(0);
    let wanted = suffix.as_bytes();
    for line in lines {
        let (listed_suffix, count) = line.trim().split_once(':').unwrap_or((line.trim(), "0"));
        let seen = count.trim().parse::<u64>().is_ok_and(|n| n > 0);
        let mut upper = [0u8; 35];
        let bytes = listed_suffix.as_bytes();
        let same_length = bytes.len() == upper.len();
        if same_length {
            upper.copy_from_slice(bytes);
            upper.make_ascii_uppercase();
        }
        let equal = upper[..].ct_eq(wanted) & subtle::Choice::from(u8::from(same_length && seen));
        found |= equal;
    }
    found.into()
}

impl Sesame<'_> {
    /// Refuses `password` with `breached-password` when the deployment checks breached
    /// passwords and the range service lists it. Without `SESAME_PWNED_URL` nothing is asked.
    /// A failed lookup passes (the host has logged it), or is `breach-check-unavailable` under
    /// `SESAME_PWNED_FAIL_CLOSED`.
    pub(crate) fn refuse_breached(&self, password: &Password) -> Result<()> {
        let settings = &self.config.password;
        if settings.pwned_url.is_none() {
            return Ok(());
        }
        let (prefix, suffix) = split_hash(password);
        match self.host.breach_range(&prefix) {
            Ok(lines) if listed(&suffix, &lines) => Err(Error::rejected(
                ErrorCode::BreachedPassword,
                "This password has appeared in a data breach, so attackers try it first; choose another one.",
            )),
            Ok(_) => Ok(()),
            Err(_) if settings.pwned_fail_closed => Err(Error::rejected(
                ErrorCode::BreachCheckUnavailable,
                "The password could not be checked against known breaches; nothing was changed. Try again shortly.",
            )),
            Err(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
