//! Signing in with a code from the account's authenticator app instead of a password, where a
//! deployment offers it (`authenticator` in `SESAME_US_METHODS`).
//!
//! The attempt is throttled like a password sign-in and counted, before the code is looked
//! at, into the account's second-factor lockout (an identity naming no account into its
//! stand-in count, so both lock alike). An unknown account, an account without an app, a
//! disabled account and a wrong code give one answer, `invalid-credentials`. A code accepted
//! here is used up like any TOTP code, and the second step, when the account has one, cannot
//! be the same app.

use super::SignInMethod;
use crate::Sesame;
use crate::error::{Error, Result};
use crate::records::{second_factor_failures_key, shadow_code_failures_key};
use crate::sessions::ClientInfo;
use crate::two_factor::{FirstFactor, LoginOutcome};

impl Sesame<'_> {
    /// Signs in with `identity` (email or username) and a code from its authenticator app: a
    /// session, or the second step when the account has another factor.
    ///
    /// WIT: `sesame:auth/unified-sign-in.sign-in-with-authenticator`.
    pub fn sign_in_with_authenticator(
        &self,
        identity: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome> {
        self.require_sign_in_method(SignInMethod::Authenticator)?;
        self.throttle_sign_in(client, Some(identity))?;
        let user = match self.resolve_identity(identity)? {
            Some(id) => self.load_user(&id)?.map(|(user, _)| user),
            None => None,
        };
        let failures = match &user {
            Some(user) => second_factor_failures_key(&user.id),
            None => shadow_code_failures_key(identity),
        };
        self.reserve_failure_slot(&failures)?;
        let Some(user) = user.filter(|user| user.active) else {
            return Err(Error::WrongPassword);
        };
        if !self.totp_enabled(&user.id)? || self.verify_totp(&user.id, code).is_err() {
            return Err(Error::WrongPassword);
        }
        self.store.delete(&failures, None)?;
        self.sign_in_proven(&user.id, client, FirstFactor::AuthenticatorCode)
    }
}
