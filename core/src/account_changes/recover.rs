//! Mailing a forgotten username to the account's address.

use crate::Sesame;
use crate::accounts::Email;
use crate::error::Result;
use crate::throttle::Scope;

impl Sesame<'_> {
    /// Mails the username of the account using `email` to that address, when the account has
    /// a username. Answers the same, after the same reads and the same message written, for an
    /// unknown address and for an account without a username. Counted per address mailed.
    pub fn recover_username(&self, email: &str) -> Result<()> {
        let email = Email::parse(email)?;
        self.throttle(Scope::MailByRecipient, email.as_str())?;
        let id = self.user_id_for_email(&email)?;
        let record = self.load_user(id.as_deref().unwrap_or(super::NO_ACCOUNT))?;
        let username = record
            .as_ref()
            .and_then(|(r, _)| r.username.clone())
            .unwrap_or_default();
        let write = || {
            let url = &self.config.public_url;
            self.mail_text(
                "mail-recover-username-body",
                &[
                    ("username", username.as_str().into()),
                    ("login", format!("{url}/login").into()),
                ],
            )
        };
        match record.as_ref().filter(|(r, _)| r.username.is_some()) {
            Some((record, _)) => {
                let body = self.in_language_of(record, write);
                self.in_language_of(record, || {
                    let not_you = self.mail_text("mail-not-you", &[]);
                    self.send_branded_mail(
                        &record.email,
                        "mail-recover-username-subject",
                        &[body, not_you],
                    );
                });
            }
            // Written and dropped: the answer leaves after the same work.
            None => drop(write()),
        }
        Ok(())
    }
}
