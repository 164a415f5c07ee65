//! The second step of a sign-in: the pending state between a right password and a session,
//! its attempts (per pending sign-in and per account), and finishing it with a second factor.

use super::{FailureRecord, FirstFactor, Method, PendingRecord};
use crate::Sesame;
use crate::accounts::UserRecord;
use crate::accounts::lock_ms;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, CAS_ATTEMPTS, pending_sign_in_key, second_factor_failures_key};
use crate::secret::OneTimeToken;
use crate::sessions::{ClientInfo, IssuedSession};
use crate::store::StoreError;

/// A sign-in whose password was right and which now waits for a second factor. The token is
/// the only copy of the secret: only its SHA-256 is stored.
#[derive(Debug)]
pub struct PendingLogin {
    /// Opaque bearer secret of the pending state (256 bits, base64url).
    pub token: PendingToken,
    /// The methods the user can finish with.
    pub methods: Vec<Method>,
    /// When the pending state ends, ms since the epoch.
    pub expires_at_ms: u64,
}

/// The outcome of a password sign-in.
#[derive(Debug)]
pub enum LoginOutcome {
    /// No second factor needed: a full session (boxed: it is much larger than the other case).
    SignedIn(Box<IssuedSession>),
    /// The user has two-factor on: no session yet.
    SecondFactor(PendingLogin),
}

/// A pending sign-in's token, handed to the client once.
pub type PendingToken = OneTimeToken;

/// Length of a pending token in characters (32 bytes, base64url without padding).
const PENDING_TOKEN_CHARS: usize = 43;

impl Sesame<'_> {
    /// Checks a password and, when the user has two-factor on, stops at a [`PendingLogin`]
    /// instead of a session. Throttled like [`Sesame::login`].
    ///
    /// WIT: `sesame:auth/two-factor.begin-login`.
    pub fn begin_login(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome> {
        let user = self.check_password(identity, password, client)?;
        self.second_step_or_session(&user, client, FirstFactor::Password)
    }

    /// What follows a first step that proved `first` for `user`: a session, or, when the user
    /// has two-factor on, a [`PendingLogin`] awaiting the second.
    pub(crate) fn second_step_or_session(
        &self,
        user: &UserRecord,
        client: &ClientInfo,
        first: FirstFactor,
    ) -> Result<LoginOutcome> {
        if !self.two_factor_required(&user.id)? {
            return self
                .issue_session(user.public(), client, first.alone())
                .map(|session| LoginOutcome::SignedIn(Box::new(session)));
        }
        // A first step that used up the account's only second factor (its app, its mailbox)
        // has nothing left to finish with: refused here rather than left pending.
        let methods = self.methods_of(&user.id, first)?;
        if methods.is_empty() {
            return Err(Error::SecondFactorRequired);
        }
        let token = PendingToken::generate(self.host)?;
        let now = self.host.now_ms();
        let pending_ms = self.config.two_factor.pending_ms;
        let record = PendingRecord {
            v: 1,
            user_id: user.id.clone(),
            created_at_ms: now,
            attempts: 0,
            first,
            mailed_code: None,
        };
        records::save(
            self.store,
            &pending_sign_in_key(token.expose()),
            &record,
            Some(0),
            Some(pending_ms),
        )?;
        Ok(LoginOutcome::SecondFactor(PendingLogin {
            token,
            methods,
            expires_at_ms: now.saturating_add(pending_ms),
        }))
    }

    /// The methods the pending sign-in of `token` can finish with; `unauthenticated` when it is
    /// unknown, used or expired.
    ///
    /// WIT: `sesame:auth/two-factor.pending-methods`.
    pub fn pending_methods(&self, token: &str) -> Result<Vec<Method>> {
        let (record, _) = self.load_pending(token)?;
        self.methods_of(&record.user_id, record.first)
    }

    /// Finishes a pending sign-in with a TOTP code and issues a fresh session. A wrong code
    /// counts an attempt (`invalid-code`); the last allowed attempt ends the pending sign-in.
    ///
    /// WIT: `sesame:auth/two-factor.complete-totp`.
    pub fn complete_totp(
        &self,
        token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        self.complete(token, client, Method::Totp, |user_id| {
            self.verify_totp(user_id, code)
        })
    }

    /// Finishes a pending sign-in with a recovery code (which is used up) and issues a fresh
    /// session. Attempts count as for [`Sesame::complete_totp`].
    ///
    /// WIT: `sesame:auth/two-factor.complete-recovery`.
    pub fn complete_recovery(
        &self,
        token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        self.complete(token, client, Method::RecoveryCode, |user_id| {
            self.consume_recovery_code(user_id, code)
        })
    }

    /// The shared end of a pending sign-in. The attempt is counted *before* the factor is
    /// looked at, per account and per pending sign-in, each by compare-and-swap: of any number
    /// of parallel requests, on any number of nodes, no more than the limits are ever checked.
    /// A right factor then uses up the pending state (compare-and-swap delete, so it yields at
    /// most one session) and clears the account's count.
    pub(crate) fn complete(
        &self,
        token: &str,
        client: &ClientInfo,
        method: Method,
        verify: impl FnOnce(&str) -> Result<()>,
    ) -> Result<IssuedSession> {
        let (pending, _) = self.load_pending(token)?;
        // The factor that was the first step is no second one.
        let repeated = match method {
            Method::Totp => pending.first == FirstFactor::AuthenticatorCode,
            Method::Email => !super::email::email_may_follow(pending.first),
            Method::RecoveryCode | Method::Webauthn => false,
        };
        if repeated && method == Method::Email {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "A mailed code was the first step of this sign-in; finish it another way.",
            ));
        }
        if repeated {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "The authenticator app was the first step of this sign-in; finish it another way.",
            ));
        }
        let proof = match method {
            Method::Webauthn => pending.first.with_key(),
            Method::Totp | Method::RecoveryCode | Method::Email => pending.first.with_code(),
        };
        self.reserve_second_factor_attempt(&pending.user_id)?;
        let pending = self.reserve_pending_attempt(token)?;
        // A failed attempt deletes nothing: once its attempts are reserved, the pending
        // sign-in refuses every further one and expires on its own, while a right factor
        // checked in parallel (its attempt reserved earlier) can still use it up.
        verify(&pending.user_id)?;
        self.store
            .delete(&second_factor_failures_key(&pending.user_id), None)?;
        self.consume_pending(token)?;
        let Some((user, _)) = self.load_user(&pending.user_id)? else {
            return Err(Error::NoFlow("user deleted"));
        };
        if !user.active {
            return Err(Error::NoFlow("user disabled"));
        }
        self.issue_session(user.public(), client, proof)
    }

    /// Counts one second-factor attempt for the user before it is checked, or refuses
    /// (429 with the time left) without counting while the second step is locked. From the
    /// lockout threshold on, each attempt locks the second step for the lockout's base time
    /// doubled per further attempt, up to its maximum (the password lockout's settings); a
    /// right factor clears the count. A right password does not.
    pub(crate) fn reserve_second_factor_attempt(&self, user_id: &str) -> Result<()> {
        self.reserve_failure_slot(&second_factor_failures_key(user_id))
    }

    /// [`Sesame::reserve_second_factor_attempt`] for the count under `key` (an account's, or
    /// the stand-in of an identity naming none).
    pub(crate) fn reserve_failure_slot(&self, key: &str) -> Result<()> {
        let config = self.config;
        let now = self.host.now_ms();
        for _ in 0..CAS_ATTEMPTS {
            let (mut record, version) =
                records::load::<FailureRecord>(self.store, key)?.unwrap_or((
                    FailureRecord {
                        v: 1,
                        ..FailureRecord::default()
                    },
                    0,
                ));
            if let Some(until) = record.locked_until_ms.filter(|until| *until > now) {
                return Err(Error::Throttled {
                    retry_after_ms: until - now,
                });
            }
            record.count = record.count.saturating_add(1);
            if let Some(lock) = lock_ms(config, record.count) {
                record.locked_until_ms = Some(now.saturating_add(lock));
            }
            match records::save(
                self.store,
                key,
                &record,
                Some(version),
                Some(config.lockout.max_ms.saturating_mul(2)),
            ) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("second-factor attempts"))
    }

    /// The user of a live pending sign-in; `unauthenticated` when it is unknown, used or
    /// expired.
    pub(crate) fn pending_user(&self, token: &str) -> Result<String> {
        Ok(self.load_pending(token)?.0.user_id)
    }

    pub(super) fn load_pending(&self, token: &str) -> Result<(PendingRecord, u64)> {
        if token.len() != PENDING_TOKEN_CHARS {
            return Err(Error::NoFlow("malformed pending token"));
        }
        let (record, version) =
            records::load::<PendingRecord>(self.store, &pending_sign_in_key(token))?
                .ok_or(Error::NoFlow("no pending sign-in"))?;
        // Used up: as good as gone (it expires on its own), refused before anything is counted.
        if record.attempts >= self.config.two_factor.max_attempts {
            return Err(Error::NoFlow("pending sign-in out of attempts"));
        }
        // The account was erased or disabled since the password was checked: the pending
        // sign-in goes too, before anything is counted against an account that is gone.
        match self.load_user(&record.user_id)? {
            Some((user, _)) if user.active => Ok((record, version)),
            _ => {
                self.store.delete(&pending_sign_in_key(token), None)?;
                Err(Error::NoFlow("the account is gone or disabled"))
            }
        }
    }

    /// Counts one attempt on the pending sign-in before its factor is checked and returns the
    /// record with the count; `unauthenticated` once its attempts are used up, so a pending
    /// sign-in never has more than `max_attempts` factors checked.
    fn reserve_pending_attempt(&self, token: &str) -> Result<PendingRecord> {
        let key = pending_sign_in_key(token);
        for _ in 0..CAS_ATTEMPTS {
            let (mut record, version) = self.load_pending(token)?;
            record.attempts = record.attempts.saturating_add(1);
            let ttl = self.pending_ttl(&record);
            match records::save(self.store, &key, &record, Some(version), Some(ttl)) {
                Ok(_) => return Ok(record),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("pending sign-in"))
    }

    /// Deletes the pending state by compare-and-swap; only one caller can succeed.
    fn consume_pending(&self, token: &str) -> Result<()> {
        let key = pending_sign_in_key(token);
        for _ in 0..CAS_ATTEMPTS {
            let Some(entry) = self.store.get(&key)? else {
                return Err(Error::NoFlow("pending sign-in already used"));
            };
            match self.store.delete(&key, Some(entry.version)) {
                Ok(true) => return Ok(()),
                Ok(false) => return Err(Error::NoFlow("pending sign-in already used")),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention("pending sign-in"))
    }

    pub(super) fn methods_of(&self, user_id: &str, first: FirstFactor) -> Result<Vec<Method>> {
        let mut methods = Vec::new();
        if self.has_passkey(user_id)? {
            methods.push(Method::Webauthn);
        }
        if first != FirstFactor::AuthenticatorCode && self.totp_enabled(user_id)? {
            methods.push(Method::Totp);
        }
        if super::email::email_may_follow(first) && self.email_factor_enabled(user_id)? {
            methods.push(Method::Email);
        }
        if self.recovery_codes_left(user_id)? > 0 {
            methods.push(Method::RecoveryCode);
        }
        Ok(methods)
    }
}
