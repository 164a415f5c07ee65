//! A code sign-in from start to end: mailing the code and link, counting and checking what
//! comes back, and handing the account on to the second step or a session.

use fluent_bundle::FluentValue;
use sha2::{Digest, Sha256};

use super::{CodeFlowRecord, CodeSent, LinkOutcome, SignInMethod};
use crate::Sesame;
use crate::accounts::UserRecord;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::records::{
    self, CAS_ATTEMPTS, code_flow_key, second_factor_failures_key, shadow_code_failures_key,
};
use crate::secret::{OneTimeToken, code_digest, decimal_code, digests_match};
use crate::sessions::ClientInfo;
use crate::store::StoreError;
use crate::throttle::Scope;
use crate::two_factor::{FirstFactor, LoginOutcome};

/// Signer purpose of mailed sign-in links.
const LINK_PURPOSE: &str = "us-signin-link";
/// Length of a code sign-in's token (32 bytes, base64url without padding).
const TOKEN_CHARS: usize = 43;
/// Digits of a mailed code: 10⁸ values, of which 5 may be tried per code.
const CODE_DIGITS: u32 = 8;
/// Digits of a device code, typed from one screen into another.
const DEVICE_CODE_DIGITS: u32 = 6;

impl Sesame<'_> {
    /// Starts a code sign-in for `identity` (an email or username): mails the account's address
    /// an 8-digit code and a link, and returns what the asking client keeps. Answers the same,
    /// after the same work, when `identity` names no account (or a disabled one), which is then
    /// sent nothing. Throttled per client address and per identity.
    ///
    /// WIT: `sesame:auth/accounts.send-sign-in-code`.
    pub fn send_sign_in_code(&self, identity: &str, client: &ClientInfo) -> Result<CodeSent> {
        self.require_sign_in_method(SignInMethod::Email)?;
        if let Some(address) = &client.address {
            self.throttle(Scope::MailByAddress, address)?;
        }
        self.throttle(Scope::MailByAccount, identity)?;
        let user = match self.resolve_identity(identity)? {
            Some(id) => self.load_user(&id)?.map(|(user, _)| user),
            None => None,
        }
        .filter(|user| user.active);
        let token = OneTimeToken::generate(self.host)?;
        let flow_id = flow_id(token.expose());
        let code = decimal_code(self.host, CODE_DIGITS)?;
        let device_code = decimal_code(self.host, DEVICE_CODE_DIGITS)?;
        let now = self.host.now_ms();
        let settings = &self.config.unified_sign_in;
        let record = CodeFlowRecord {
            v: 1,
            user_id: user.as_ref().map(|u| u.id.clone()),
            failures_key: match &user {
                Some(user) => second_factor_failures_key(&user.id),
                None => shadow_code_failures_key(identity),
            },
            code_hash: code_digest(token.expose(), &code),
            device_code_hash: code_digest(&flow_id, &device_code),
            created_at_ms: now,
            attempts: 0,
        };
        records::save(
            self.store,
            &code_flow_key(&flow_id),
            &record,
            Some(0),
            Some(settings.link_ms),
        )?;
        let link = self.sign_in_link(&flow_id)?;
        match &user {
            Some(user) => self.in_language_of(user, || {
                let body = self.sign_in_mail_body(&code, &link);
                self.send_branded_mail(&user.email, "mail-us-code-subject", &[body]);
            }),
            // The same writing, for the same time; nothing goes out.
            None => drop(self.sign_in_mail_body(&code, &link)),
        }
        Ok(CodeSent {
            token,
            device_code,
            expires_at_ms: now.saturating_add(settings.code_ms),
        })
    }

    /// Finishes the code sign-in of `token` with the mailed `code`: a session, or the second
    /// step when the account has two-factor on. A wrong, expired or used code is
    /// `invalid-code`; an unknown or finished code sign-in is `unauthenticated`.
    ///
    /// WIT: `sesame:auth/accounts.sign-in-with-code`.
    pub fn sign_in_with_code(
        &self,
        token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome> {
        self.require_sign_in_method(SignInMethod::Email)?;
        if token.len() != TOKEN_CHARS {
            return Err(Error::NoFlow("malformed code sign-in token"));
        }
        let flow_id = flow_id(token);
        self.attempt_code(&flow_id, client, |record| {
            let fresh = self.host.now_ms()
                < record
                    .created_at_ms
                    .saturating_add(self.config.unified_sign_in.code_ms);
            fresh && digests_match(&record.code_hash, &code_digest(token, code))
        })
    }

    /// Opens a mailed sign-in link. In the client that asked for it (`token` is its code
    /// sign-in's) it signs in; anywhere else it does nothing but ask for the device code, and
    /// with `device_code` it signs in once that is right (counted like a mailed code).
    ///
    /// WIT: `sesame:auth/accounts.open-sign-in-link`.
    pub fn open_sign_in_link(
        &self,
        link: &str,
        token: Option<&str>,
        device_code: Option<&str>,
        client: &ClientInfo,
    ) -> Result<LinkOutcome> {
        self.require_sign_in_method(SignInMethod::Email)?;
        let (payload, _) = self
            .keyring()?
            .verify(
                LINK_PURPOSE,
                link,
                self.host.now_ms() / 1000,
                self.config.unified_sign_in.link_ms / 1000,
            )
            .map_err(|_| invalid_link())?;
        let flow_id = String::from_utf8(payload).map_err(|_| invalid_link())?;
        let key = code_flow_key(&flow_id);
        let Some((record, _)) = records::load::<CodeFlowRecord>(self.store, &key)? else {
            return Err(invalid_link());
        };
        if record.attempts >= self.config.two_factor.max_attempts {
            return Err(invalid_link());
        }
        let asker = token.is_some_and(|t| digests_match(&self::flow_id(t), &flow_id));
        if asker {
            let Some(user_id) = record.user_id else {
                return Err(invalid_link());
            };
            self.consume_code_flow(&key)?;
            return self
                .finish_code_sign_in(&user_id, client)
                .map(LinkOutcome::SignedIn);
        }
        let Some(device_code) = device_code else {
            return Ok(LinkOutcome::DeviceCodeNeeded);
        };
        self.attempt_code(&flow_id, client, |record| {
            digests_match(
                &record.device_code_hash,
                &code_digest(&flow_id, device_code),
            )
        })
        .map(LinkOutcome::SignedIn)
    }

    /// One attempt at the code sign-in `flow_id`: counted on the account's (or identity's)
    /// failures and on the code sign-in before `right` looks at it; when right, the code
    /// sign-in is used up (compare-and-swap delete: one success at most) and the account
    /// goes on to its second step or a session.
    fn attempt_code(
        &self,
        flow_id: &str,
        client: &ClientInfo,
        right: impl FnOnce(&CodeFlowRecord) -> bool,
    ) -> Result<LoginOutcome> {
        let key = code_flow_key(flow_id);
        let Some((record, _)) = records::load::<CodeFlowRecord>(self.store, &key)? else {
            return Err(Error::NoFlow("no code sign-in"));
        };
        if record.attempts >= self.config.two_factor.max_attempts {
            return Err(Error::NoFlow("code sign-in out of attempts"));
        }
        self.throttle_sign_in(client, None)?;
        self.reserve_failure_slot(&record.failures_key)?;
        let record = self.reserve_code_attempt(&key)?;
        // Checked for a code sign-in without an account too: the same work either way.
        let right = right(&record);
        let Some(user_id) = record.user_id.clone().filter(|_| right) else {
            return Err(crate::two_factor::invalid_code());
        };
        self.store.delete(&record.failures_key, None)?;
        self.consume_code_flow(&key)?;
        self.finish_code_sign_in(&user_id, client)
    }

    /// Counts one attempt on the code sign-in under `key` and returns it with the count;
    /// `unauthenticated` once its attempts are used up.
    fn reserve_code_attempt(&self, key: &str) -> Result<CodeFlowRecord> {
        let max = self.config.two_factor.max_attempts;
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, version)) = records::load::<CodeFlowRecord>(self.store, key)?
            else {
                return Err(Error::NoFlow("no code sign-in"));
            };
            if record.attempts >= max {
                return Err(Error::NoFlow("code sign-in out of attempts"));
            }
            record.attempts += 1;
            let ttl = record
                .created_at_ms
                .saturating_add(self.config.unified_sign_in.link_ms)
                .saturating_sub(self.host.now_ms())
                .max(1);
            match records::save(self.store, key, &record, Some(version), Some(ttl)) {
                Ok(_) => return Ok(record),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("code sign-in"))
    }

    /// Deletes the code sign-in by compare-and-swap; only one caller can succeed.
    fn consume_code_flow(&self, key: &str) -> Result<()> {
        for _ in 0..CAS_ATTEMPTS {
            let Some(entry) = self.store.get(key)? else {
                return Err(invalid_link());
            };
            match self.store.delete(key, Some(entry.version)) {
                Ok(true) => return Ok(()),
                Ok(false) => return Err(invalid_link()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention("code sign-in"))
    }

    /// The account proved its address: on to [`Sesame::sign_in_proven`].
    fn finish_code_sign_in(&self, user_id: &str, client: &ClientInfo) -> Result<LoginOutcome> {
        self.sign_in_proven(user_id, client, FirstFactor::MailedCode)
    }

    /// The first step proved `first` for `user_id`: the sign-in is recorded (a mailed code
    /// also confirms the address), and the account goes on to its second step or a session.
    pub(super) fn sign_in_proven(
        &self,
        user_id: &str,
        client: &ClientInfo,
        first: FirstFactor,
    ) -> Result<LoginOutcome> {
        let now = self.host.now_ms();
        let language = self.language().tag();
        let updated = self.update_user(user_id, |record| {
            if !record.active {
                return Err(Error::AccountDisabled);
            }
            if first == FirstFactor::MailedCode {
                record.confirmed_at_ms.get_or_insert(now);
            }
            record.note_sign_in(now, client.address.as_deref(), language);
            Ok(())
        });
        let user: UserRecord = match updated {
            Ok(user) => user,
            Err(Error::UnknownAccount) => return Err(Error::NoFlow("user deleted")),
            Err(e) => return Err(e),
        };
        self.emit(
            EventKind::LoginSucceeded,
            Some(&user.id),
            client.address.as_deref(),
        );
        self.second_step_or_session(&user, client, first)
    }

    /// A link that opens the code sign-in `flow_id`.
    fn sign_in_link(&self, flow_id: &str) -> Result<String> {
        let token = self
            .keyring()?
            .signer(LINK_PURPOSE)
            .sign(flow_id.as_bytes(), self.host.now_ms() / 1000);
        Ok(format!(
            "{}/us-verify-link?token={token}",
            self.config.public_url
        ))
    }

    /// The body of the sign-in mail, in the current language.
    fn sign_in_mail_body(&self, code: &str, link: &str) -> String {
        let settings = &self.config.unified_sign_in;
        self.mail_text(
            "mail-us-code-body",
            &[
                ("code", FluentValue::from(code)),
                ("link", FluentValue::from(link)),
                ("minutes", (settings.code_ms / 60_000).into()),
                ("link_minutes", (settings.link_ms / 60_000).into()),
            ],
        )
    }
}

/// The id of the code sign-in of `token`: its SHA-256, hex.
fn flow_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The one answer for a link that is forged, expired, used or out of attempts.
fn invalid_link() -> Error {
    Error::rejected(
        ErrorCode::InvalidToken,
        "This sign-in link is invalid, expired or already used. Ask for a new code.",
    )
}
