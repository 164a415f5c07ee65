//! Two-factor authentication: TOTP authenticator apps and single-use recovery codes, and the
//! "pending second factor" state between a correct password and a full session.
//!
//! Rules (each is tested in `two_factor/tests.rs` and end to end in `tests/tests/two_factor.rs`):
//!
//! - A user with a confirmed TOTP credential never gets a session from a password alone:
//!   [`Sesame::begin_login`] returns a [`PendingLogin`] (a single-use, short-lived opaque token
//!   whose state is kept server-side, attempts counted), and only a valid second factor turns it
//!   into a fresh session. [`required`] says whether a user is in that case.
//! - Wrong codes are limited twice: per pending sign-in (`max_attempts`, then it ends) and per
//!   account (after the lockout threshold of consecutive failures the second step locks, with
//!   the same doubling back-off as password lockout; a right password does not reset it).
//! - TOTP follows RFC 6238 (SHA-1, 30 s, 6 digits by default; SHA-256/512 and 8 digits
//!   configurable) with ±1 step of skew. A code is accepted at most once: the last used step
//!   is stored with compare-and-swap, so two racing requests with one code give one success.
//! - The TOTP secret is sealed at rest (see the `sealed` module) and never logged; it is shown
//!   once, at enrolment, which a first valid code confirms.
//! - Recovery codes are random (80 bits each), shown once, stored only as keyed hashes, each
//!   consumed by compare-and-swap so it works exactly once; generating a new set replaces the
//!   old one.
//!
//! This module holds the stored records and where a user stands; turning TOTP on and off is
//! `enrolment`, checking a TOTP code `credential`, email as a second factor `email`, the second step of a sign-in `sign_in`,
//! recovery codes [`recovery`], and the settings [`settings`].
//!
//! WIT: `sesame:auth/two-factor`.

mod credential;
mod email;
mod enrolment;
pub mod recovery;
pub(crate) mod sealed;
pub mod settings;
mod sign_in;
pub mod totp;

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::accounts::User;
use crate::error::{Error, ErrorCode, Result};
use crate::records::totp_enrolment_key;
use crate::sessions::SignInProof;
use totp::Algorithm;

pub use enrolment::{Reauth, TotpEnrolment};
pub use settings::TwoFactorConfig;
pub use sign_in::{LoginOutcome, PendingLogin, PendingToken};

/// The stored TOTP credential (`totp/{user id}`), or an enrolment awaiting confirmation
/// (`totp-enrolment/{user id}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TotpRecord {
    v: u32,
    /// The secret, sealed (see [`sealed`]).
    sealed_secret: String,
    algorithm: Algorithm,
    digits: u32,
    /// The last step whose code was accepted; codes of this step or earlier are refused.
    last_step: Option<u64>,
    created_at_ms: u64,
}

/// The stored pending sign-in (`tf-pending/{sha256(token) hex}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingRecord {
    v: u32,
    user_id: String,
    created_at_ms: u64,
    /// Wrong codes tried so far.
    attempts: u32,
    /// What the first step proved (a password in records written before there were others).
    #[serde(default)]
    first: FirstFactor,
    /// The code last mailed for this sign-in, when email is one of its methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mailed_code: Option<email::MailedCode>,
}

/// What the first step of a sign-in proved, which decides what may finish it and what the
/// session says it was proven by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirstFactor {
    /// A password.
    #[default]
    Password,
    /// A code mailed to the account's address (or its link).
    MailedCode,
    /// A code from the account's authenticator app: the second step cannot be that app again.
    AuthenticatorCode,
}

impl FirstFactor {
    /// The proof of a session from this step alone.
    pub(crate) fn alone(self) -> SignInProof {
        match self {
            FirstFactor::Password => SignInProof::PASSWORD,
            FirstFactor::MailedCode | FirstFactor::AuthenticatorCode => SignInProof::CODE,
        }
    }

    /// The proof of a session from this step and a code (TOTP or recovery code).
    pub(crate) fn with_code(self) -> SignInProof {
        match self {
            FirstFactor::Password => SignInProof::PASSWORD_AND_CODE,
            FirstFactor::MailedCode | FirstFactor::AuthenticatorCode => SignInProof::CODE_AND_CODE,
        }
    }

    /// The proof of a session from this step and a security key.
    pub(crate) fn with_key(self) -> SignInProof {
        match self {
            FirstFactor::Password => SignInProof::PASSWORD_AND_KEY,
            FirstFactor::MailedCode | FirstFactor::AuthenticatorCode => SignInProof::CODE_AND_KEY,
        }
    }
}

/// Consecutive wrong second-factor codes of a user, across pending sign-ins
/// (`tf-failures/{user id}`). Unlike the password's failure count, a right password does not
/// reset it: only a right second factor does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FailureRecord {
    v: u32,
    count: u32,
    locked_until_ms: Option<u64>,
}

/// A way to pass the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A code from an authenticator app.
    Totp,
    /// One of the user's recovery codes.
    RecoveryCode,
    /// A passkey or security key (`/wan-signin`).
    Webauthn,
    /// A code mailed to the account's address (`/tf-email`).
    Email,
}

impl Method {
    /// The name used in JSON answers and the `/tf-select` form (`totp`, `recovery-code`,
    /// `webauthn`, `email`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery-code",
            Method::Webauthn => "webauthn",
            Method::Email => "email",
        }
    }

    /// Parses [`Method::as_str`]'s names.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "totp" => Some(Method::Totp),
            "recovery-code" => Some(Method::RecoveryCode),
            "webauthn" => Some(Method::Webauthn),
            "email" => Some(Method::Email),
            _ => None,
        }
    }
}

/// Where a user stands with two-factor authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorStatus {
    /// A TOTP credential is confirmed: sign-in needs a second factor.
    pub totp_enabled: bool,
    /// Email is a second factor: a mailed code finishes a sign-in.
    pub email_enabled: bool,
    /// An enrolment was started and awaits its first code.
    pub enrolment_pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
}

/// Whether `user` must pass a second factor after their password: true once a TOTP
/// credential is confirmed. Every way of signing in with a password alone (the sign-in routes,
/// the WIT `sessions.login`, API-token issuance) must refuse such a user a session.
pub fn required(sesame: &Sesame<'_>, user: &User) -> Result<bool> {
    sesame.two_factor_required(&user.id)
}

impl Sesame<'_> {
    /// Whether the user with this id must pass a second factor (see [`required`]).
    ///
    /// WIT: `sesame:auth/two-factor.required`.
    /// True once a TOTP credential is confirmed, email is turned on as a second factor, or a
    /// WebAuthn credential is registered as one.
    pub fn two_factor_required(&self, user_id: &str) -> Result<bool> {
        Ok(self.totp_enabled(user_id)?
            || self.email_factor_enabled(user_id)?
            || self.has_secondary_passkey(user_id)?)
    }

    /// Where the user stands: TOTP on or not, enrolment pending, recovery codes left.
    ///
    /// WIT: `sesame:auth/two-factor.status`.
    pub fn two_factor_status(&self, user_id: &str) -> Result<TwoFactorStatus> {
        Ok(TwoFactorStatus {
            totp_enabled: self.totp_enabled(user_id)?,
            email_enabled: self.email_factor_enabled(user_id)?,
            enrolment_pending: self.store.get(&totp_enrolment_key(user_id))?.is_some(),
            recovery_codes_left: self.recovery_codes_left(user_id)?,
        })
    }
}

/// The one answer for a wrong, reused or out-of-window code.
pub(crate) fn invalid_code() -> Error {
    Error::rejected(
        ErrorCode::InvalidCode,
        "The code is not correct, has expired or was already used.",
    )
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [crate::records::Codec; 4] = [
    (
        crate::records::TOTP_PREFIX,
        crate::records::reencode::<TotpRecord>,
    ),
    (
        crate::records::PENDING_SIGN_IN_PREFIX,
        crate::records::reencode::<PendingRecord>,
    ),
    (
        crate::records::SECOND_FACTOR_FAILURES_PREFIX,
        crate::records::reencode::<FailureRecord>,
    ),
    recovery::RECORD_CODEC,
];

#[cfg(test)]
mod email_tests;
#[cfg(test)]
mod tests;
