//! Security notices: a mail to the account's address, and an account event, whenever one of
//! its ways in changes (password, two-factor, recovery codes, passkeys). If someone else made
//! the change, the owner learns of it at once and can act (reset the password, sign out
//! everywhere).
//!
//! The notice names what changed and when, never a secret, and points to the sign-in page
//! rather than carrying a link that does anything. It is written in the language of the
//! request that made the change.

use crate::Sesame;
use crate::error::Result;
use crate::events::EventKind;

/// A change to an account's ways in that its owner is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The password was changed by its owner.
    PasswordChanged,
    /// The password was replaced through an emailed reset link.
    PasswordReset,
    /// Two-factor authentication was turned on.
    TwoFactorOn,
    /// Two-factor authentication was turned off.
    TwoFactorOff,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// A passkey or security key was added.
    PasskeyAdded,
    /// A passkey or security key was removed.
    PasskeyRemoved,
    /// The owner changed the account's username.
    UsernameChanged,
}

impl Notice {
    /// The event recorded with the notice.
    pub fn event(self) -> EventKind {
        match self {
            Notice::PasswordChanged => EventKind::PasswordChanged,
            Notice::PasswordReset => EventKind::PasswordReset,
            Notice::TwoFactorOn => EventKind::TwoFactorEnabled,
            Notice::TwoFactorOff => EventKind::TwoFactorDisabled,
            Notice::RecoveryCodesRegenerated => EventKind::RecoveryCodesGenerated,
            Notice::PasskeyAdded => EventKind::PasskeyRegistered,
            Notice::PasskeyRemoved => EventKind::PasskeyDeleted,
            Notice::UsernameChanged => EventKind::UsernameChanged,
        }
    }

    /// The catalog ids of the subject and of the sentence saying what happened.
    fn message_ids(self) -> (&'static str, &'static str) {
        match self {
            Notice::PasswordChanged => (
                "mail-notice-password-changed-subject",
                "mail-notice-password-changed",
            ),
            Notice::PasswordReset => (
                "mail-notice-password-reset-subject",
                "mail-notice-password-reset",
            ),
            Notice::TwoFactorOn => (
                "mail-notice-two-factor-on-subject",
                "mail-notice-two-factor-on",
            ),
            Notice::TwoFactorOff => (
                "mail-notice-two-factor-off-subject",
                "mail-notice-two-factor-off",
            ),
            Notice::RecoveryCodesRegenerated => (
                "mail-notice-recovery-codes-subject",
                "mail-notice-recovery-codes",
            ),
            Notice::PasskeyAdded => (
                "mail-notice-passkey-added-subject",
                "mail-notice-passkey-added",
            ),
            Notice::PasskeyRemoved => (
                "mail-notice-passkey-removed-subject",
                "mail-notice-passkey-removed",
            ),
            Notice::UsernameChanged => (
                "mail-notice-username-changed-subject",
                "mail-notice-username-changed",
            ),
        }
    }
}

impl Sesame<'_> {
    /// Tells the owner of `user_id` about `notice` by mail and records it as an event (with the
    /// client address when known). A user that no longer exists gets no mail; the event is
    /// still recorded.
    pub(crate) fn security_notice(
        &self,
        user_id: &str,
        notice: Notice,
        address: Option<&str>,
    ) -> Result<()> {
        self.emit(notice.event(), Some(user_id), address);
        let Some((user, _)) = self.load_user(user_id)? else {
            return Ok(());
        };
        self.in_language_of(&user, || {
            let (subject, what) = notice.message_ids();
            let mut what_happened = self.mail_text(what, &[]);
            if let Some(address) = address {
                // Two whole sentences of one paragraph; every shipped language separates
                // sentences with a space.
                what_happened.push(' ');
                what_happened.push_str(
                    &self.mail_text("mail-notice-origin", &[("address", address.into())]),
                );
            }
            let url = &self.config.public_url;
            let advice = self.mail_text(
                "mail-notice-advice",
                &[
                    ("reset", format!("{url}/reset").into()),
                    ("login", format!("{url}/login").into()),
                ],
            );
            self.send_branded_mail(&user.email, subject, &[what_happened, advice]);
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
