//! Unified sign-in (Flask-Security's name): signing in with a one-time code mailed to the
//! account's address, or with the link mailed beside it, instead of a password; a TOTP code in
//! place of a password; and which of the ways a deployment offers (`SESAME_US_METHODS`).
//!
//! Rules (each is tested in `unified_sign_in/tests.rs` and end to end in
//! `tests/tests/passwordless.rs`):
//!
//! - Asking for a code starts a *code sign-in*: a record keyed by the SHA-256 of a 256-bit
//!   token that only the asking client holds (a cookie for browsers, a body field for others).
//!   The mailed code works only together with that token, so a code read from a forwarded or
//!   intercepted mail signs in nobody else. Naming no account starts the same record without
//!   an account (and sends nothing), so the answer, its shape and the work behind it are the
//!   same either way.
//! - A code has 8 digits, works 10 minutes and once. Each attempt is counted before the code
//!   is looked at, twice by compare-and-swap: on the code sign-in (`SESAME_TWO_FACTOR_MAX_ATTEMPTS`,
//!   5, then it ends) and on the account's count of wrong second-factor codes, whose lockout
//!   (the password lockout's back-off) mailed codes share with TOTP and recovery codes. An
//!   identity naming no account is counted under its own key the same way, so the lockout does
//!   not tell the two apart.
//! - The link works 15 minutes and only in the browser that asked (the one holding the token).
//!   Opened anywhere else it signs nobody in: the page asks for the short *device code* the
//!   asking browser was shown, so a forwarded mail, a mail scanner that follows links, or a
//!   link planted by someone else cannot sign a stranger's browser in. Device codes count
//!   attempts like mailed codes.
//! - Sending is throttled per client address and per named identity.
//! - A code or link proves the address, so it confirms it. An account with a second factor
//!   still needs it after a code: a mailed code replaces the password, never the second step.
//! - The methods not offered are refused where they would be used: `password` at every
//!   password sign-in, `passkey` at passkey sign-in, `email` and `authenticator` here. When
//!   `email` is offered, an account may be registered without a password.
//!
//! WIT: `sesame:auth/unified-sign-in`.

mod authenticator;
mod flow;
pub mod settings;

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::error::{Error, Result};
use crate::secret::OneTimeToken;
use crate::two_factor::LoginOutcome;
pub use settings::{SignInMethod, UnifiedSignInSettings};

/// A code sign-in just started: what the asking client keeps.
#[derive(Debug)]
pub struct CodeSent {
    /// The bearer secret that binds the code sign-in to this client (256 bits, base64url):
    /// the mailed code and link work only with it. Handed over once.
    pub token: OneTimeToken,
    /// The code a link opened on another device asks for (6 digits), shown to this client
    /// only.
    pub device_code: String,
    /// When the mailed code stops working, ms since the epoch.
    pub expires_at_ms: u64,
}

/// What opening a mailed sign-in link did.
#[derive(Debug)]
pub enum LinkOutcome {
    /// The link was opened by the client that asked for it (or with the device code): signed
    /// in, or at the second step.
    SignedIn(LoginOutcome),
    /// The link was opened elsewhere: nothing happened; the device code shown to the asking
    /// client is needed.
    DeviceCodeNeeded,
}

/// The stored code sign-in (`us-flow/{sha256(token) hex}`, expiring with its link).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeFlowRecord {
    v: u32,
    /// The account, or none when the identity named none (nothing is mailed then, and no code
    /// can match).
    user_id: Option<String>,
    /// The key of the failure count its wrong codes go to.
    failures_key: String,
    /// SHA-256 of the token and the mailed code: the store alone cannot give the code back.
    code_hash: String,
    /// SHA-256 of the flow's id and the device code.
    device_code_hash: String,
    created_at_ms: u64,
    /// Codes tried so far.
    attempts: u32,
}

impl Sesame<'_> {
    /// Whether the deployment offers `method`; refuses with `forbidden` when not.
    pub(crate) fn require_sign_in_method(&self, method: SignInMethod) -> Result<()> {
        if self.config.unified_sign_in.offers(method) {
            return Ok(());
        }
        use crate::error::ErrorCode::Forbidden;
        Err(match method {
            SignInMethod::Password => {
                Error::rejected(Forbidden, "Signing in with a password is not enabled here.")
            }
            SignInMethod::Email => Error::rejected(
                Forbidden,
                "Signing in with a mailed code is not enabled here.",
            ),
            SignInMethod::Authenticator => Error::rejected(
                Forbidden,
                "Signing in with an authenticator app alone is not enabled here.",
            ),
            SignInMethod::Passkey => {
                Error::rejected(Forbidden, "Signing in with a passkey is not enabled here.")
            }
        })
    }

    /// The ways of signing in offered that the account `user_id` can use: a password when it
    /// has one, mailed codes (every account has an address), its authenticator app when it has
    /// one confirmed, its passkeys when it has any.
    ///
    /// WIT: `sesame:auth/accounts.active-sign-in-methods`.
    pub fn active_sign_in_methods(&self, user_id: &str) -> Result<Vec<SignInMethod>> {
        let Some((user, _)) = self.load_user(user_id)? else {
            return Err(Error::UnknownAccount);
        };
        let mut active = Vec::new();
        for method in self.sign_in_methods() {
            let has = match method {
                SignInMethod::Password => !user.password_hash.is_empty(),
                SignInMethod::Email => true,
                SignInMethod::Authenticator => self.totp_enabled(user_id)?,
                SignInMethod::Passkey => self.has_passkey(user_id)?,
            };
            if has {
                active.push(method);
            }
        }
        Ok(active)
    }

    /// The ways of signing in this deployment offers.
    ///
    /// WIT: `sesame:auth/accounts.sign-in-methods`.
    pub fn sign_in_methods(&self) -> Vec<SignInMethod> {
        self.config.unified_sign_in.methods.clone()
    }
}

/// The codec of this module's stored record, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODEC: crate::records::Codec = (
    crate::records::CODE_FLOW_PREFIX,
    crate::records::reencode::<CodeFlowRecord>,
);

#[cfg(test)]
mod tests;
