//! Email links: confirming an address and resetting a forgotten password.
//!
//! Links carry a token from [`crate::signer::Signer`] (HMAC with a key of the current
//! [`crate::keyring`] generation, with an
//! issue time checked against a maximum age). Each token is also bound to the state it changes,
//! which makes it single-use without storing anything:
//!
//! - a confirmation token names the user and email; once confirmed, it changes nothing more;
//! - a reset token names the user and a fingerprint of the current password hash; the reset
//!   replaces the hash, so the same token (and every other outstanding one) stops working.
//!
//! Requests for either link answer the same whether or not the account exists.
//!
//! WIT: `sesame:auth/accounts.request-reset`, `reset-password`, `confirm-email`.

pub mod settings;

use sha2::{Digest, Sha256};

use crate::Sesame;
use crate::accounts::{Email, User};
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::mail::Mail;
use crate::password::Password;

/// Signer purpose of confirmation links.
const CONFIRM_PURPOSE: &str = "confirm-email";
/// Signer purpose of reset links.
const RESET_PURPOSE: &str = "reset-password";

impl Sesame<'_> {
    /// Sends a confirmation link to a newly registered user.
    pub(crate) fn send_confirmation(&self, user: &User) -> Result<()> {
        let payload = format!("{}:{}", user.id, user.email.to_lowercase());
        let hours = self.config.links.confirm_max_age_secs / 3600;
        self.mail_signed_link(
            &user.email,
            "Confirm your email address",
            CONFIRM_PURPOSE,
            "/confirm",
            &payload,
            |link| format!(
                "Welcome! Confirm your email address by opening this link within {hours} hours:\n\n{link}\n\nIf you did not create an account, ignore this message.\n"
            ),
        )
    }

    /// Tells the owner of an address that someone tried to register it again, instead of
    /// telling the person registering.
    pub(crate) fn send_already_registered(&self, email: &Email) {
        let url = &self.config.public_url;
        let what_happened = format!(
            "An account already exists for this address. If it was you, sign in at {url}/login, or reset your password at {url}/reset."
        );
        self.tell_address_owner(
            email,
            "Someone tried to register with your email address",
            &what_happened,
        );
    }

    /// Tells the person registering with `email` that the username they chose is taken, so no
    /// account was created, instead of answering so to whoever sent the request.
    pub(crate) fn send_username_taken(&self, email: &Email) {
        let url = &self.config.public_url;
        let what_happened = format!(
            "Someone, probably you, asked to create an account for this address with a username that is already taken, so no account was created. Register again at {url}/register with another username, or without one."
        );
        self.tell_address_owner(email, "Your account was not created", &what_happened);
    }

    /// Mails the owner of `email` what someone did with their address, adding that they need
    /// do nothing if it was not them.
    fn tell_address_owner(&self, email: &Email, subject: &str, what_happened: &str) {
        self.host.send_mail(&Mail {
            to: email.as_str().to_owned(),
            subject: subject.to_owned(),
            text: format!("{what_happened}\n\nIf it was not you, no action is needed.\n"),
        });
    }

    /// Confirms the email address named by a confirmation token.
    ///
    /// WIT: `sesame:auth/accounts.confirm-email`.
    pub fn confirm_email(&self, token: &str) -> Result<User> {
        let (id, email) = self.open_token(
            CONFIRM_PURPOSE,
            token,
            self.config.links.confirm_max_age_secs,
        )?;
        let (id, email) = (id.as_str(), email.as_str());
        let now = self.host.now_ms();
        let user = self.update_user(id, |record| {
            if record.email.to_lowercase() != email {
                return Err(invalid_link());
            }
            record.confirmed_at_ms.get_or_insert(now);
            Ok(())
        });
        match user {
            Ok(record) => {
                self.emit(EventKind::Confirmed, Some(&record.id), None);
                Ok(record.public())
            }
            Err(Error::UnknownAccount) => Err(invalid_link()),
            Err(e) => Err(e),
        }
    }

    /// Mails a reset link if `email` belongs to an account; does the same work and answers the
    /// same either way.
    ///
    /// WIT: `sesame:auth/accounts.request-reset`.
    pub fn request_reset(&self, email: &str) -> Result<()> {
        let email = Email::parse(email)?;
        let Some(id) = self.user_id_for_email(&email)? else {
            return Ok(());
        };
        let Some((record, _)) = self.load_user(&id)? else {
            return Ok(());
        };
        let payload = format!("{id}:{}", fingerprint(&record.password_hash));
        let minutes = self.config.links.reset_max_age_secs / 60;
        self.mail_signed_link(
            &record.email,
            "Reset your password",
            RESET_PURPOSE,
            "/reset",
            &payload,
            |link| format!(
                "Someone asked to reset the password of your account. To choose a new one, open this link within {minutes} minutes:\n\n{link}\n\nThe link works once. If you did not ask, ignore this message; your password stays as it is.\n"
            ),
        )
    }

    /// Sets a new password with a reset token, ends every session of the user and clears any
    /// lock. The token stops working once used.
    ///
    /// WIT: `sesame:auth/accounts.reset-password`.
    pub fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        let (id, expected_fingerprint) =
            self.open_token(RESET_PURPOSE, token, self.config.links.reset_max_age_secs)?;
        let (id, expected_fingerprint) = (id.as_str(), expected_fingerprint.as_str());
        let Some((record, _)) = self.load_user(id)? else {
            return Err(invalid_link());
        };
        if fingerprint(&record.password_hash) != expected_fingerprint {
            return Err(invalid_link());
        }
        let mut identities = vec![record.email.as_str()];
        if let Some(u) = &record.username {
            identities.push(u.as_str());
        }
        let password = Password::new_checked(new_password, &identities)?;
        let hash = self.hasher.hash(&password, self.host)?;
        let now = self.host.now_ms();
        let updated = self.update_user(id, |r| {
            // The same check under compare-and-swap: two racing uses of one token cannot both win.
            if fingerprint(&r.password_hash) != expected_fingerprint {
                return Err(invalid_link());
            }
            r.password_hash = hash.clone();
            r.lockout = Default::default();
            // Receiving the link proves the address.
            r.confirmed_at_ms.get_or_insert(now);
            Ok(())
        })?;
        self.revoke_all_sessions(id)?;
        self.security_notice(id, crate::notices::Notice::PasswordReset, None)?;
        Ok(updated.public())
    }

    /// A link to `path` on the public URL carrying a token that signs `payload` for `purpose`.
    fn signed_link(&self, purpose: &'static str, path: &str, payload: &str) -> Result<String> {
        let token = self
            .keyring()?
            .signer(purpose)
            .sign(payload.as_bytes(), self.now_secs());
        Ok(format!("{}{path}?token={token}", self.config.public_url))
    }

    /// Mails `to` a link to `path` signed for `purpose` over `payload`, in a message whose
    /// text `text` writes around the link.
    fn mail_signed_link(
        &self,
        to: &str,
        subject: &str,
        purpose: &'static str,
        path: &str,
        payload: &str,
        text: impl FnOnce(&str) -> String,
    ) -> Result<()> {
        let link = self.signed_link(purpose, path, payload)?;
        self.host.send_mail(&Mail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: text(&link),
        });
        Ok(())
    }

    /// Verifies a link token for `purpose` and splits its `first:second` payload; every
    /// failure is the one public `invalid-token` answer.
    fn open_token(
        &self,
        purpose: &'static str,
        token: &str,
        max_age_secs: u64,
    ) -> Result<(String, String)> {
        let (payload, _) = self
            .keyring()?
            .verify(purpose, token, self.now_secs(), max_age_secs)
            .map_err(|_| invalid_link())?;
        let payload = String::from_utf8(payload).map_err(|_| invalid_link())?;
        let (first, second) = payload.split_once(':').ok_or_else(invalid_link)?;
        Ok((first.to_owned(), second.to_owned()))
    }

    fn now_secs(&self) -> u64 {
        self.host.now_ms() / 1000
    }
}

/// A short, non-reversible stand-in for a password hash, so a reset token names the hash it
/// replaces without carrying it.
fn fingerprint(password_hash: &str) -> String {
    hex::encode(&Sha256::digest(password_hash.as_bytes())[..12])
}

fn invalid_link() -> Error {
    Error::rejected(
        ErrorCode::InvalidToken,
        "This link is invalid, expired or already used. Ask for a new one.",
    )
}

#[cfg(test)]
mod tests;
