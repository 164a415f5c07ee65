//! Security notices: a mail to the account's address, and an account event, whenever one of
//! its ways in changes (password, two-factor, recovery codes, passkeys). If someone else made
//! the change, the owner learns of it at once and can act (reset the password, sign out
//! everywhere).
//!
//! The notice names what changed and when, never a secret, and points to the sign-in page
//! rather than carrying a link that does anything.

use crate::Sesame;
use crate::error::Result;
use crate::events::EventKind;
use crate::mail::Mail;

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
        }
    }

    /// Subject line and the sentence saying what happened.
    fn wording(self) -> (&'static str, &'static str) {
        match self {
            Notice::PasswordChanged => ("Your password was changed", "Your password was changed."),
            Notice::PasswordReset => (
                "Your password was reset",
                "Your password was reset through a link sent to this address.",
            ),
            Notice::TwoFactorOn => (
                "Two-factor authentication is on",
                "Two-factor authentication was turned on for your account.",
            ),
            Notice::TwoFactorOff => (
                "Two-factor authentication is off",
                "Two-factor authentication was turned off for your account, and its recovery codes were deleted.",
            ),
            Notice::RecoveryCodesRegenerated => (
                "New recovery codes",
                "A new set of recovery codes was generated for your account; the old codes no longer work.",
            ),
            Notice::PasskeyAdded => (
                "A passkey or security key was added",
                "A passkey or security key was added to your account.",
            ),
            Notice::PasskeyRemoved => (
                "A passkey or security key was removed",
                "A passkey or security key was removed from your account.",
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
        let (subject, what) = notice.wording();
        let from = address
            .map(|a| format!(" The request came from the address {a}."))
            .unwrap_or_default();
        self.host.send_mail(&Mail {
            to: user.email.clone(),
            subject: subject.into(),
            text: format!(
                "{what}{from}\n\nIf this was you, no action is needed.\n\nIf it was not you, reset your password at {0}/reset now, then sign in at {0}/login and sign out every other session.\n",
                self.config.public_url
            ),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
