//! Email as a second factor: an 8-digit code mailed to the account's address finishes a
//! pending sign-in, counted like every second-factor code (per pending sign-in, per account,
//! before it is checked). Turning it on needs a fresh sign-in and a first code, so a stale
//! session cannot plant it and a mistyped address cannot lock anyone out.
//!
//! A code for a pending sign-in is kept (as a hash under the pending sign-in's token, which
//! the store never holds) in the pending sign-in itself, so it works only for that sign-in,
//! once, for [`CODE_MS`].

use fluent_bundle::FluentValue;
use serde::{Deserialize, Serialize};

use super::{FirstFactor, Method, PendingRecord, invalid_code};
use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::notices::Notice;
use crate::records::{self, CAS_ATTEMPTS, pending_sign_in_key};
use crate::secret::{code_digest, decimal_code, digests_match};
use crate::sessions::{ClientInfo, IssuedSession, SessionInfo};
use crate::store::StoreError;
use crate::throttle::Scope;

/// How long a mailed second-factor code works: 10 minutes.
pub(crate) const CODE_MS: u64 = 10 * 60 * 1000;
/// Digits of a mailed second-factor code.
const CODE_DIGITS: u32 = 8;

/// The record of email as a user's second factor (`tf-email/{user id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EmailFactorRecord {
    v: u32,
    enabled_at_ms: u64,
}

/// Turning email on as a second factor, awaiting its first code
/// (`tf-email-enrolment/{user id}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EmailEnrolmentRecord {
    v: u32,
    /// SHA-256 of the login's id and the code.
    code_hash: String,
    created_at_ms: u64,
    attempts: u32,
}

/// The mailed code of a pending sign-in, kept in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MailedCode {
    /// SHA-256 of the pending token and the code.
    hash: String,
    sent_at_ms: u64,
}

fn email_factor_key(user_id: &str) -> String {
    format!("{}{user_id}", crate::records::EMAIL_FACTOR_PREFIX)
}

fn email_enrolment_key(user_id: &str) -> String {
    format!("tf-email-enrolment/{user_id}")
}

impl Sesame<'_> {
    /// Whether the user has email on as a second factor.
    pub(crate) fn email_factor_enabled(&self, user_id: &str) -> Result<bool> {
        Ok(self.store.get(&email_factor_key(user_id))?.is_some())
    }

    /// Starts turning email on as the signed-in user's second factor: mails a code to the
    /// account's address, which [`Sesame::confirm_email_factor`] takes. Needs a fresh login;
    /// throttled like mailed sign-in codes; `already-exists` when it is on.
    ///
    /// WIT: `sesame:auth/two-factor.start-email`.
    pub fn start_email_factor(&self, login: &SessionInfo) -> Result<()> {
        self.require_fresh(login)?;
        let user = &login.user;
        if self.email_factor_enabled(&user.id)? {
            return Err(Error::rejected(
                ErrorCode::AlreadyExists,
                "Email is already a second factor of this account.",
            ));
        }
        self.throttle(Scope::MailByAccount, &user.email)?;
        let code = decimal_code(self.host, CODE_DIGITS)?;
        let record = EmailEnrolmentRecord {
            v: 1,
            code_hash: code_digest(&login.id, &code),
            created_at_ms: self.host.now_ms(),
            attempts: 0,
        };
        records::save(
            self.store,
            &email_enrolment_key(&user.id),
            &record,
            None,
            Some(CODE_MS),
        )?;
        self.mail_second_factor_code(&user.id, &code, "mail-tf-enrol-body")
    }

    /// Turns email on as the signed-in user's second factor with the code
    /// [`Sesame::start_email_factor`] mailed. Each attempt is counted before the code is
    /// looked at; the fifth wrong one ends the enrolment.
    ///
    /// WIT: `sesame:auth/two-factor.confirm-email`.
    pub fn confirm_email_factor(&self, login: &SessionInfo, code: &str) -> Result<()> {
        self.require_fresh(login)?;
        let user_id = login.user.id.as_str();
        let key = email_enrolment_key(user_id);
        let max = self.config.two_factor.max_attempts;
        let record = loop_cas(|| {
            let Some((mut record, version)) =
                records::load::<EmailEnrolmentRecord>(self.store, &key)?
            else {
                return Err(no_enrolment());
            };
            if record.attempts >= max {
                return Err(no_enrolment());
            }
            record.attempts += 1;
            records::save(self.store, &key, &record, Some(version), Some(CODE_MS))?;
            Ok(record)
        })?;
        let fresh = self.host.now_ms() < record.created_at_ms.saturating_add(CODE_MS);
        if !fresh || !digests_match(&record.code_hash, &code_digest(&login.id, code.trim())) {
            return Err(invalid_code());
        }
        let enabled = EmailFactorRecord {
            v: 1,
            enabled_at_ms: self.host.now_ms(),
        };
        match records::save(
            self.store,
            &email_factor_key(user_id),
            &enabled,
            Some(0),
            None,
        ) {
            Ok(_) => {}
            Err(Error::Store(StoreError::Conflict)) => {
                return Err(Error::rejected(
                    ErrorCode::AlreadyExists,
                    "Email is already a second factor of this account.",
                ));
            }
            Err(e) => return Err(e),
        }
        self.store.delete(&key, None)?;
        self.security_notice(user_id, Notice::TwoFactorOn, None)
    }

    /// Mails a code that finishes the pending sign-in of `token`, replacing any code mailed
    /// for it before. Only where email is one of its methods; throttled per account.
    ///
    /// WIT: `sesame:auth/two-factor.send-email-code`.
    pub fn send_second_factor_code(&self, token: &str) -> Result<()> {
        let (pending, _) = self.load_pending(token)?;
        if !self
            .methods_of(&pending.user_id, pending.first)?
            .contains(&Method::Email)
        {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "Email cannot finish this sign-in.",
            ));
        }
        let Some((user, _)) = self.load_user(&pending.user_id)? else {
            return Err(Error::NoFlow("user deleted"));
        };
        self.throttle(Scope::MailByAccount, &user.email)?;
        let code = decimal_code(self.host, CODE_DIGITS)?;
        let mailed = MailedCode {
            hash: code_digest(token, &code),
            sent_at_ms: self.host.now_ms(),
        };
        let key = pending_sign_in_key(token);
        loop_cas(|| {
            let (mut record, version) = self.load_pending(token)?;
            record.mailed_code = Some(mailed.clone());
            let ttl = self.pending_ttl(&record);
            records::save(self.store, &key, &record, Some(version), Some(ttl))?;
            Ok(())
        })?;
        self.mail_second_factor_code(&user.id, &code, "mail-tf-code-body")
    }

    /// Finishes the pending sign-in of `token` with the code mailed for it and issues a fresh
    /// session; attempts count as for [`Sesame::complete_totp`].
    ///
    /// WIT: `sesame:auth/two-factor.complete-email`.
    pub fn complete_email(
        &self,
        token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        self.complete(token, client, Method::Email, |_| {
            // Read as stored: this attempt is already counted, and may be the last allowed.
            let record = records::load::<PendingRecord>(self.store, &pending_sign_in_key(token))?
                .map(|(record, _)| record);
            let Some(mailed) = record.and_then(|r| r.mailed_code) else {
                return Err(invalid_code());
            };
            let fresh = self.host.now_ms() < mailed.sent_at_ms.saturating_add(CODE_MS);
            if fresh && digests_match(&mailed.hash, &code_digest(token, code.trim())) {
                Ok(())
            } else {
                Err(invalid_code())
            }
        })
    }

    /// Deletes email as the user's second factor and any enrolment of it.
    pub(super) fn remove_email_factor(&self, user_id: &str) -> Result<()> {
        self.store.delete(&email_factor_key(user_id), None)?;
        self.store.delete(&email_enrolment_key(user_id), None)?;
        Ok(())
    }

    /// Mails `code` to the account `user_id` in the catalog message `body_id` (turning email
    /// on, or finishing a sign-in), in its owner's language.
    fn mail_second_factor_code(&self, user_id: &str, code: &str, body_id: &str) -> Result<()> {
        let Some((user, _)) = self.load_user(user_id)? else {
            return Err(Error::NoSession("user deleted"));
        };
        self.in_language_of(&user, || {
            let body = self.mail_text(
                body_id,
                &[
                    ("code", FluentValue::from(code)),
                    ("minutes", (CODE_MS / 60_000).into()),
                ],
            );
            self.send_branded_mail(&user.email, "mail-tf-code-subject", &[body]);
        });
        Ok(())
    }

    /// What is left of the pending sign-in's life, at least 1 ms.
    pub(super) fn pending_ttl(&self, record: &PendingRecord) -> u64 {
        record
            .created_at_ms
            .saturating_add(self.config.two_factor.pending_ms)
            .saturating_sub(self.host.now_ms())
            .max(1)
    }
}

/// Whether email may finish a sign-in whose first step proved `first`: not after a mailed
/// code, which was the same mailbox.
pub(super) fn email_may_follow(first: FirstFactor) -> bool {
    first != FirstFactor::MailedCode
}

/// Runs a compare-and-swap step until it does not conflict.
fn loop_cas<T>(mut step: impl FnMut() -> Result<T>) -> Result<T> {
    for _ in 0..CAS_ATTEMPTS {
        match step() {
            Err(Error::Store(StoreError::Conflict)) => continue,
            other => return other,
        }
    }
    Err(Error::Contention("mailed second-factor code"))
}

fn no_enrolment() -> Error {
    Error::rejected(
        ErrorCode::NotFound,
        "No set-up is in progress (or it expired); start again.",
    )
}
