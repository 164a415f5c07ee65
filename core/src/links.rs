//! Email links: confirming an address and resetting a forgotten password.
//!
//! Links carry a token from [`crate::signer::Signer`] (HMAC with a key of the current
//! [`crate::keyring`] generation, with an
//! issue time checked against a maximum age). Each token is also bound to the state it changes,
//! which makes it single-use without storing anything:
//!
//! - a confirmation token names the user and email; once the address is confirmed (by it,
//!   a reset link or a confirmed change), it is refused, and it dies when the address changes;
//! - a reset token names the user and a fingerprint of the current password hash; the reset
//!   replaces the hash, so the same token (and every other outstanding one) stops working.
//!
//! Requests for either link answer the same whether or not the account exists. The mails are
//! written in the language of the request that caused them.
//!
//! WIT: `sesame:auth/accounts.request-reset`, `reset-password`, `confirm-email`.

pub mod settings;

use fluent_bundle::FluentValue;
use sha2::{Digest, Sha256};

use crate::Sesame;
use crate::accounts::{Email, User};
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::password::Password;

/// Signer purpose of confirmation links.
const CONFIRM_PURPOSE: &str = "confirm-email";
/// Signer purpose of reset links.
const RESET_PURPOSE: &str = "reset-password";

/// An account id no account has (ids are 32 hex digits): what requests for unknown addresses
/// read and sign in place of one, to cost what a request for an account costs.
const UNKNOWN_ACCOUNT: &str = "unknown-account:0";

impl Sesame<'_> {
    /// Sends a confirmation link to a newly registered user.
    pub(crate) fn send_confirmation(&self, user: &User) -> Result<()> {
        let payload = format!("{}:{}", user.id, user.email.to_lowercase());
        let hours = self.config.links.confirm_max_age_secs / 3600;
        self.mail_signed_link(
            &user.email,
            ("mail-confirm-subject", "mail-confirm-body"),
            CONFIRM_PURPOSE,
            "/confirm",
            &payload,
            &[("hours", hours.into())],
        )
    }

    /// Tells the owner of an address that someone tried to register it again, instead of
    /// telling the person registering.
    pub(crate) fn send_already_registered(&self, email: &Email) {
        // In the owner's language; a failed look-up leaves the request's.
        let owner = self
            .user_id_for_email(email)
            .ok()
            .flatten()
            .and_then(|id| self.load_user(&id).ok().flatten());
        match owner {
            Some((record, _)) => {
                self.in_language_of(&record, || self.write_already_registered(email))
            }
            None => self.write_already_registered(email),
        }
    }

    /// The mail of [`Sesame::send_already_registered`], in the current language.
    fn write_already_registered(&self, email: &Email) {
        let url = &self.config.public_url;
        let what_happened = self.mail_text(
            "mail-already-registered-body",
            &[
                ("login", format!("{url}/login").into()),
                ("reset", format!("{url}/reset").into()),
            ],
        );
        self.tell_address_owner(email, "mail-already-registered-subject", what_happened);
    }

    /// Tells the person registering with `email` that the username they chose is taken, so no
    /// account was created, instead of answering so to whoever sent the request.
    pub(crate) fn send_username_taken(&self, email: &Email) {
        let url = &self.config.public_url;
        let what_happened = self.mail_text(
            "mail-username-taken-body",
            &[("register", format!("{url}/register").into())],
        );
        self.tell_address_owner(email, "mail-username-taken-subject", what_happened);
    }

    /// Mails the owner of `email` what someone did with their address (under the catalog
    /// subject `subject_id`), adding that they need do nothing if it was not them.
    pub(crate) fn tell_address_owner(
        &self,
        email: &Email,
        subject_id: &str,
        what_happened: String,
    ) {
        let not_you = self.mail_text("mail-not-you", &[]);
        self.send_branded_mail(email.as_str(), subject_id, &[what_happened, not_you]);
    }

    /// Confirms the email address named by a confirmation token. A link works once: an
    /// address already confirmed (by this link, a reset link, or a confirmed change) is
    /// `invalid-token` saying so, so a link kept in a mailbox for its whole lifetime confirms
    /// nothing more and answers nothing about the account.
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
            if record.confirmed_at_ms.is_some() {
                return Err(already_confirmed());
            }
            record.confirmed_at_ms = Some(now);
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
        self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Password)?;
        let email = Email::parse(email)?;
        // Counted per address mailed, before the address is looked up (see registration).
        self.throttle(crate::throttle::Scope::MailByRecipient, email.as_str())?;
        let minutes = self.config.links.reset_max_age_secs / 60;
        let known = match self.user_id_for_email(&email)? {
            Some(id) => self.load_user(&id)?.map(|(record, _)| record),
            // The read an existing account costs, of a record that is never there.
            None => self
                .load_user(UNKNOWN_ACCOUNT)
                .ok()
                .flatten()
                .map(|(record, _)| record),
        };
        let Some(record) = known else {
            // The mail an account would get, composed and dropped: the answer for an unknown
            // address takes as long as the one for an account.
            let link = self.signed_link(RESET_PURPOSE, "/reset", UNKNOWN_ACCOUNT)?;
            let body = self.mail_text(
                "mail-reset-body",
                &[("minutes", minutes.into()), ("link", link.as_str().into())],
            );
            drop(self.branded_mail(email.as_str(), "mail-reset-subject", &[body]));
            return Ok(());
        };
        let payload = format!("{}:{}", record.id, fingerprint(&record.password_hash));
        self.in_language_of(&record, || {
            self.mail_signed_link(
                &record.email,
                ("mail-reset-subject", "mail-reset-body"),
                RESET_PURPOSE,
                "/reset",
                &payload,
                &[("minutes", minutes.into())],
            )
        })
    }

    /// Sets a new password with a reset token, ends every session of the user and clears any
    /// lock. The token stops working once used.
    ///
    /// WIT: `sesame:auth/accounts.reset-password`.
    pub fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Password)?;
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
        self.refuse_breached(&password)?;
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
            // Every session and token login ends in this same write.
            r.session_epoch += 1;
            Ok(())
        })?;
        self.forget_ended_sessions(id);
        self.security_notice(id, crate::notices::Notice::PasswordReset, None)?;
        Ok(updated.public())
    }

    /// A link to `path` on the public URL carrying a token that signs `payload` for `purpose`.
    pub(crate) fn signed_link(
        &self,
        purpose: &'static str,
        path: &str,
        payload: &str,
    ) -> Result<String> {
        let token = self
            .keyring()?
            .signer(purpose)
            .sign(payload.as_bytes(), self.now_secs());
        Ok(format!("{}{path}?token={token}", self.config.public_url))
    }

    /// Mails `to` a link to `path` signed for `purpose` over `payload`, in a message of the
    /// catalog `(subject id, body id)`; the body gets the link as `$link` besides `args`.
    pub(crate) fn mail_signed_link(
        &self,
        to: &str,
        (subject_id, body_id): (&str, &str),
        purpose: &'static str,
        path: &str,
        payload: &str,
        args: &[(&str, FluentValue<'_>)],
    ) -> Result<()> {
        let link = self.signed_link(purpose, path, payload)?;
        let mut all = args.to_vec();
        all.push(("link", FluentValue::from(link.as_str())));
        let body = self.mail_text(body_id, &all);
        self.send_branded_mail(to, subject_id, &[body]);
        Ok(())
    }

    /// Verifies a link token for `purpose` and splits its `first:second` payload; every
    /// failure is the one public `invalid-token` answer.
    pub(crate) fn open_token(
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

/// The one answer to a link that does not work, whatever the reason.
pub(crate) fn invalid_link() -> Error {
    Error::rejected(
        ErrorCode::InvalidToken,
        "This link is invalid, expired or already used. Ask for a new one.",
    )
}

/// The answer to a confirmation link of an address that is confirmed already.
fn already_confirmed() -> Error {
    Error::rejected(
        ErrorCode::InvalidToken,
        "This address is already confirmed, or the link was already used.",
    )
}

#[cfg(test)]
mod tests;
