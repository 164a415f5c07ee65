//! Two-factor settings: what new TOTP credentials look like, how many recovery codes a set
//! holds, and how long pending sign-ins and enrolments last. Nothing here depends on how
//! two-factor works, so the configuration can read these without the logic.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::{Setting, number, seconds_as_ms, section, text};

/// The HMAC hash of a TOTP credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    /// HMAC-SHA-1: RFC 6238's default and the only one every app supports.
    #[serde(rename = "SHA1")]
    Sha1,
    /// HMAC-SHA-256.
    #[serde(rename = "SHA256")]
    Sha256,
    /// HMAC-SHA-512.
    #[serde(rename = "SHA512")]
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs and configuration (`SHA1`, `SHA256`, `SHA512`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Parses a configuration value, ignoring case and an optional dash (`sha-256`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Algorithm::Sha1),
            "SHA256" => Some(Algorithm::Sha256),
            "SHA512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    /// Secret length for new credentials: the hash's output size, as RFC 4226 §4 recommends
    /// (160, 256 or 512 bits).
    pub fn secret_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }
}

/// Most recovery codes one set may hold.
pub const MAX_RECOVERY_CODES: u32 = 32;

/// Two-factor settings, read from `SESAME_TOTP_*`, `SESAME_RECOVERY_CODES` and
/// `SESAME_TWO_FACTOR_*` variables (see [`crate::Config::from_vars`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorConfig {
    /// HMAC hash of new TOTP credentials (existing ones keep theirs).
    pub totp_algorithm: Algorithm,
    /// Digits of new TOTP credentials: 6 or 8.
    pub totp_digits: u32,
    /// Issuer shown by authenticator apps next to the account.
    pub totp_issuer: String,
    /// Recovery codes per generated set.
    pub recovery_codes: u32,
    /// Wrong second-factor codes one pending sign-in may try before it ends.
    pub max_attempts: u32,
    /// How long a pending sign-in waits for its second factor, in ms.
    pub pending_ms: u64,
    /// How long an unconfirmed TOTP enrolment is kept, in ms.
    pub enrolment_ms: u64,
}

impl Default for TwoFactorConfig {
    /// SHA-1, 6 digits (what every authenticator app supports), issuer "Sesame", 10 recovery
    /// codes, 5 attempts per pending sign-in, 5 minutes to enter the code, 15 minutes to
    /// confirm an enrolment.
    fn default() -> Self {
        TwoFactorConfig {
            totp_algorithm: Algorithm::Sha1,
            totp_digits: 6,
            totp_issuer: "Sesame".into(),
            recovery_codes: 10,
            max_attempts: 5,
            pending_ms: 5 * 60 * 1000,
            enrolment_ms: 15 * 60 * 1000,
        }
    }
}

impl TwoFactorConfig {
    /// Rejects unusable settings.
    pub fn validate(&self) -> Result<()> {
        if !matches!(self.totp_digits, 6 | 8) {
            return Err(Error::Config("SESAME_TOTP_DIGITS must be 6 or 8".into()));
        }
        if !(1..=MAX_RECOVERY_CODES).contains(&self.recovery_codes) {
            return Err(Error::Config(format!(
                "SESAME_RECOVERY_CODES must be 1 to {}",
                MAX_RECOVERY_CODES
            )));
        }
        if self.max_attempts == 0 || self.pending_ms == 0 || self.enrolment_ms == 0 {
            return Err(Error::Config(
                "two-factor attempts and lifetimes must be positive".into(),
            ));
        }
        if self.totp_issuer.is_empty() || self.totp_issuer.contains(':') {
            return Err(Error::Config(
                "SESAME_TOTP_ISSUER must be non-empty and contain no ':'".into(),
            ));
        }
        Ok(())
    }
}

/// The two-factor variables, in the order they are applied.
pub const SETTINGS: &[Setting<TwoFactorConfig>] = section! {
    "SESAME_TOTP_ALGORITHM" = "SHA1", totp_algorithm <- algorithm, "HMAC of new TOTP credentials: SHA1, SHA256 or SHA512";
    "SESAME_TOTP_DIGITS" = "6", totp_digits <- number, "digits of new TOTP credentials: 6 or 8";
    "SESAME_TOTP_ISSUER" = "Sesame", totp_issuer <- text, "issuer authenticator apps show next to the account";
    "SESAME_RECOVERY_CODES" = "10", recovery_codes <- number, "recovery codes per generated set";
    "SESAME_TWO_FACTOR_MAX_ATTEMPTS" = "5", max_attempts <- number, "wrong second-factor codes one pending sign-in may try";
    "SESAME_TWO_FACTOR_PENDING_SECS" = "300", pending_ms <- seconds_as_ms, "how long a pending sign-in waits for its second factor, in seconds";
    "SESAME_TWO_FACTOR_ENROLMENT_SECS" = "900", enrolment_ms <- seconds_as_ms, "how long an unconfirmed TOTP enrolment is kept, in seconds";
};

/// `SHA1`, `SHA256` or `SHA512` (any case, dashes allowed).
fn algorithm(name: &str, value: &str) -> Result<Algorithm> {
    Algorithm::parse(value)
        .ok_or_else(|| Error::Config(format!("{name} must be SHA1, SHA256 or SHA512")))
}
