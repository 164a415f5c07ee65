//! Changing the account's email address: the request (fresh login, mails to both addresses),
//! the confirmation by the new address and the restore by the old one.

use sha2::{Digest, Sha256};

use crate::Sesame;
use crate::accounts::{Email, RestoreMark, User, UserRecord};
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::links::invalid_link;
use crate::sessions::{ClientInfo, SessionInfo};
use crate::throttle::Scope;

/// Signer purpose of the link confirming a new address.
const CHANGE_PURPOSE: &str = "change-email";
/// Signer purpose of the link restoring the old address.
const RESTORE_PURPOSE: &str = "restore-email";

/// Where the link confirming a new address leads.
pub(crate) const CONFIRM_PATH: &str = "/change-email/confirm";
/// Where the link restoring the old address leads.
pub(crate) const RESTORE_PATH: &str = "/change-email/restore";

impl Sesame<'_> {
    /// Asks to move `login`'s account to `new_email`: mails a link confirming it to the new
    /// address and a notice with a restore link to the current one. Needs a fresh login.
    /// Answers the same (and mails as many messages) when the new address belongs to another
    /// account, whose owner is told instead; the address changes only at
    /// [`Sesame::confirm_email_change`].
    pub fn request_email_change(
        &self,
        login: &SessionInfo,
        new_email: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        self.require_fresh(login)?;
        let new = Email::parse(new_email)?;
        let user_id = login.user.id.as_str();
        let Some((record, _)) = self.load_user(user_id)? else {
            return Err(Error::NoSession("user deleted"));
        };
        if claim_of(&record).as_deref() == Some(new.claim_key().as_str()) {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "This is already the address of your account.",
            ));
        }
        // Counted before anything is looked up or sent.
        self.throttle(Scope::ChangeByAccount, user_id)?;
        self.throttle(Scope::MailByRecipient, new.as_str())?;

        let confirm_payload = format!("{user_id}:{}:{}", email_state(&record), new.as_str());
        let confirm_link = self.signed_link(CHANGE_PURPOSE, CONFIRM_PATH, &confirm_payload)?;
        let restore_payload = format!("{user_id}:{}:{}", record.email_epoch, record.email);
        let restore_link = self.signed_link(RESTORE_PURPOSE, RESTORE_PATH, &restore_payload)?;

        // The same reads, the same number of mails and the same links made either way; the
        // link for another account's address is dropped.
        let owner = self.user_id_for_email(&new)?;
        let owner = self.load_user(owner.as_deref().unwrap_or(super::NO_ACCOUNT))?;
        match owner.filter(|(owner, _)| owner.id != user_id) {
            Some((owner, _)) => {
                self.in_language_of(&owner, || self.write_move_attempted(&new));
            }
            None => {
                let hours = self.config.links.change_email_max_age_secs / 3600;
                let body = self.mail_text(
                    "mail-change-email-confirm-body",
                    &[
                        ("hours", hours.into()),
                        ("link", confirm_link.as_str().into()),
                    ],
                );
                let not_you = self.mail_text("mail-not-you", &[]);
                self.send_branded_mail(
                    new.as_str(),
                    "mail-change-email-confirm-subject",
                    &[body, not_you],
                );
            }
        }
        self.in_language_of(&record, || {
            let days = self.config.links.restore_email_max_age_secs / 86_400;
            let mut what = self.mail_text(
                "mail-change-email-requested",
                &[("new", mask_email(new.as_str()).into())],
            );
            if let Some(address) = client.address.as_deref() {
                what.push(' ');
                what.push_str(
                    &self.mail_text("mail-notice-origin", &[("address", address.into())]),
                );
            }
            let undo = self.mail_text(
                "mail-change-email-undo",
                &[
                    ("days", days.into()),
                    ("link", restore_link.as_str().into()),
                ],
            );
            self.send_branded_mail(
                &record.email,
                "mail-change-email-requested-subject",
                &[what, undo],
            );
        });
        Ok(())
    }

    /// Moves the account to the address named by a link [`Sesame::request_email_change`]
    /// mailed it, as a confirmed address. The link works once, and not after any other change
    /// of the account's address; an address claimed by another account meanwhile is refused
    /// like a used link (the email index is claimed by compare-and-swap).
    pub fn confirm_email_change(&self, token: &str) -> Result<User> {
        let (id, rest) = self.open_token(
            CHANGE_PURPOSE,
            token,
            self.config.links.change_email_max_age_secs,
        )?;
        let (state, new) = rest.split_once(':').ok_or_else(invalid_link)?;
        let new = Email::parse(new).map_err(|_| invalid_link())?;
        let Some((record, _)) = self.load_user(&id)? else {
            return Err(invalid_link());
        };
        if email_state(&record) != state {
            return Err(invalid_link());
        }
        let now = self.host.now_ms();
        let record = self
            .move_claim(&id, Some(&new.claim_key()), claim_of, invalid_link(), |r| {
                // Again under compare-and-swap: of two uses of one link, one wins.
                if email_state(r) != state {
                    return Err(invalid_link());
                }
                r.email = new.as_str().to_owned();
                r.confirmed_at_ms = Some(now);
                r.email_epoch += 1;
                Ok(())
            })
            .map_err(gone_is_invalid)?;
        self.emit(EventKind::EmailChanged, Some(&id), None);
        Ok(record.public())
    }

    /// Puts back the address a restore link names, ends every session and token login of the
    /// account, removes its passkeys and second factors, and tells the address to reset the
    /// password and set them up again. When the address was not changed
    /// (the change still awaits its confirmation), the pending change is cancelled instead.
    /// Works once; refused when the address is already back.
    pub fn restore_email(&self, token: &str) -> Result<()> {
        let (id, rest) = self.open_token(
            RESTORE_PURPOSE,
            token,
            self.config.links.restore_email_max_age_secs,
        )?;
        let (epoch, old) = rest.split_once(':').ok_or_else(invalid_link)?;
        let epoch: u64 = epoch.parse().map_err(|_| invalid_link())?;
        let old = Email::parse(old).map_err(|_| invalid_link())?;
        let old_claim = old.claim_key();
        let now = self.host.now_ms();
        // Whether the link may act on the record, and whether the address must move back.
        let check = |r: &UserRecord| -> Result<bool> {
            if epoch > r.email_epoch || r.last_restore.is_some_and(|mark| !mark.allows(epoch)) {
                return Err(invalid_link());
            }
            let moved = claim_of(r).as_deref() != Some(old_claim.as_str());
            // Back at the old address after a change since: nothing left to restore.
            if !moved && r.email_epoch != epoch {
                return Err(invalid_link());
            }
            Ok(moved)
        };
        let Some((record, _)) = self.load_user(&id)? else {
            return Err(invalid_link());
        };
        let moved = check(&record)?;
        // The link is spent, and with it every later one issued before this restore: a thief's
        // own restore links (to an address they hold) cannot spend the owner's older one.
        let spend = |r: &mut UserRecord| {
            r.email_epoch += 1;
            r.last_restore = Some(RestoreMark {
                used: epoch,
                after: r.email_epoch,
            });
        };
        if moved {
            self.move_claim(&id, Some(&old_claim), claim_of, Error::EmailTaken, |r| {
                if !check(r)? {
                    return Err(invalid_link());
                }
                r.email = old.as_str().to_owned();
                // The link came to this address: it is proven again.
                r.confirmed_at_ms = Some(now);
                spend(r);
                Ok(())
            })
        } else {
            self.update_user(&id, |r| {
                if check(r)? {
                    return Err(invalid_link());
                }
                spend(r);
                Ok(())
            })
        }
        .or_else(|e| match e {
            // Someone registered the old address meanwhile: it cannot come back, but the
            // sessions still end and the link is spent, then the owner is told.
            Error::EmailTaken => {
                self.update_user(&id, |r| {
                    check(r)?;
                    spend(r);
                    Ok(())
                })?;
                self.revoke_all_sessions(&id)?;
                Err(Error::rejected(
                    ErrorCode::AlreadyExists,
                    "Another account uses this address now, so it could not be put back; every session of your account was signed out. Contact support.",
                ))
            }
            other => Err(gone_is_invalid(other)),
        })?;
        self.revoke_all_sessions(&id)?;
        // Whoever moved the account may have added a passkey, an authenticator app or email
        // as a factor with the same session: they all go, and the owner sets them up again
        // after the password reset the mail asks for.
        self.remove_all_factors(&id)?;
        if moved {
            self.emit(EventKind::EmailChanged, Some(&id), None);
        }
        let Some((record, _)) = self.load_user(&id)? else {
            return Ok(());
        };
        self.in_language_of(&record, || {
            let url = &self.config.public_url;
            let what = self.mail_text(
                if moved {
                    "mail-email-restored"
                } else {
                    "mail-email-change-cancelled"
                },
                &[("reset", format!("{url}/reset").into())],
            );
            self.send_branded_mail(&record.email, "mail-email-restored-subject", &[what]);
        });
        Ok(())
    }

    /// Tells the owner of `email` that someone asked to move another account to it, in the
    /// current language.
    fn write_move_attempted(&self, email: &Email) {
        let url = &self.config.public_url;
        let what = self.mail_text(
            "mail-change-email-taken-body",
            &[("login", format!("{url}/login").into())],
        );
        self.tell_address_owner(email, "mail-change-email-taken-subject", what);
    }
}

/// The key claiming `record`'s email address.
fn claim_of(record: &UserRecord) -> Option<String> {
    Email::parse(&record.email).ok().map(|e| e.claim_key())
}

/// What an email-change link is bound to: the account's address and its change count, as a
/// short fingerprint. Any change of the address (this link's, another, a restore, an
/// administrator's) moves the count, so the link dies with it.
fn email_state(record: &UserRecord) -> String {
    let state = format!("{}:{}", record.email_epoch, record.email.to_lowercase());
    hex::encode(&Sha256::digest(state.as_bytes())[..12])
}

/// An account deleted under a link: the link no longer works.
fn gone_is_invalid(error: Error) -> Error {
    match error {
        Error::UnknownAccount => invalid_link(),
        other => other,
    }
}

/// An address with most of it hidden, for telling an address's owner where their account is
/// asked to move without handing the full address to whoever reads their mail: the first
/// character of the local part and of the domain, and the domain's last label
/// (`m***@e***.org`).
pub fn mask_email(email: &str) -> String {
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let tld = domain.rsplit_once('.').map_or("", |(_, tld)| tld);
    format!("{}***@{}***.{tld}", first(local), first(domain))
}
