//! Changing the password of a signed-in user, proven by the current password or a recent
//! passkey verification.

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::password::Password;
use crate::sessions::{ClientInfo, IssuedSession};

impl Sesame<'_> {
    /// Changes the password of the signed-in user after checking the current one, ends every
    /// session of the user, and returns a fresh session for the caller.
    ///
    /// WIT: `sesame:auth/accounts.change-password`.
    pub fn change_password(
        &self,
        token: &str,
        current: &str,
        new: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        self.replace_password(token, Some(current), new, client)
    }

    /// Like [`Sesame::change_password`] without the current password, for a session that
    /// passed a passkey verification (`/wan-verify`) within the freshness window; otherwise
    /// `reauthentication-required`.
    pub fn change_password_after_passkey(
        &self,
        token: &str,
        new: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        self.replace_password(token, None, new, client)
    }

    /// The shared body of both password changes: `current` is checked when given, otherwise
    /// a recent passkey verification of this session must exist.
    fn replace_password(
        &self,
        token: &str,
        current: Option<&str>,
        new: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Password)?;
        let info = self.validate_credential(token)?;
        let user_id = info.user.id.clone();
        // The record as the check left it (it may have upgraded the hash).
        let record = match current {
            Some(current) => self.check_password_of(&user_id, current, client)?,
            None if self.verified_with_passkey_recently(&info)? => {
                let Some((record, _)) = self.load_user(&user_id)? else {
                    return Err(Error::NoSession("user deleted"));
                };
                record
            }
            None => {
                return Err(Error::rejected(
                    ErrorCode::ReauthenticationRequired,
                    "Give your current password, or verify with your passkey (/wan-verify, with its PIN or biometric) first.",
                ));
            }
        };
        let mut identities = vec![record.email.as_str()];
        if let Some(u) = &record.username {
            identities.push(u.as_str());
        }
        let new = Password::new_checked(new, &identities)?;
        self.refuse_breached(&new)?;
        let new_hash = self.hasher.hash(&new, self.host)?;
        let verified_hash = record.password_hash;
        self.update_user(&user_id, |r| {
            if r.password_hash != verified_hash {
                // Changed by someone else since we verified: refuse rather than overwrite.
                return Err(Error::rejected(
                    ErrorCode::InvalidCredentials,
                    "The password was changed meanwhile; sign in again.",
                ));
            }
            r.password_hash = new_hash.clone();
            // Every session and token login ends in this same write.
            r.session_epoch += 1;
            Ok(())
        })?;
        self.forget_ended_sessions(&user_id);
        self.security_notice(
            &user_id,
            crate::notices::Notice::PasswordChanged,
            client.address.as_deref(),
        )?;
        // The replacement keeps the factors of the session it replaces.
        self.issue_session(info.user, client, info.proof)
    }
}
