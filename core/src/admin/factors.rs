//! A user's second factors, as an administrator sees and resets them: the help desk's
//! "I lost my phone".

use super::{Actor, Sesame};
use crate::error::Result;
use crate::notices::Notice;
use crate::webauthn::CredentialInfo;

/// Where a user stands with their factors.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorSummary {
    /// A confirmed TOTP credential.
    pub totp_enabled: bool,
    /// A TOTP enrolment awaiting its first code.
    pub totp_enrolment_pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Passkeys and security keys (no key material).
    pub passkeys: Vec<CredentialInfo>,
}

impl Sesame<'_> {
    /// The factors of the user named by `id_or_email`.
    pub fn admin_list_factors(&self, id_or_email: &str) -> Result<FactorSummary> {
        let id = self.admin_user_id(id_or_email)?;
        let status = self.two_factor_status(&id)?;
        Ok(FactorSummary {
            totp_enabled: status.totp_enabled,
            totp_enrolment_pending: status.enrolment_pending,
            recovery_codes_left: status.recovery_codes_left,
            passkeys: self.list_passkeys(&id)?,
        })
    }

    /// Turns the user's TOTP off (credential, enrolment and recovery codes, and email as a
    /// second factor), ends every session and token login (a session signed in with the lost
    /// factor should not outlive it), and mails the user. Returns whether either was on.
    pub fn admin_reset_totp(&self, actor: &Actor, id_or_email: &str) -> Result<bool> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        let status = self.two_factor_status(&id)?;
        // The reset takes email as a second factor too: it is the same help-desk case.
        let was_on = status.totp_enabled || status.email_enabled;
        self.remove_two_factor(&id)?;
        self.revoke_all_sessions(&id)?;
        if was_on {
            self.security_notice(&id, Notice::TwoFactorOff, None)?;
        }
        self.admin_did(actor, "user.totp.reset", Some(&id));
        Ok(was_on)
    }

    /// Removes one of the user's passkeys (by credential ID or name) and mails the user;
    /// `not-found` when it is not theirs.
    pub fn admin_remove_passkey(
        &self,
        actor: &Actor,
        id_or_email: &str,
        credential: &str,
    ) -> Result<CredentialInfo> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        let removed = self.remove_passkey(&id, credential)?;
        self.admin_did(actor, "user.passkey.remove", Some(&id));
        Ok(removed)
    }
}
