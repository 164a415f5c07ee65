//! Two-factor authentication: TOTP authenticator apps and single-use recovery codes, and the
//! "pending second factor" state between a correct password and a full session.
//!
//! Rules (each is tested in `two_factor/tests.rs` and end to end in `tests/tests/two_factor.rs`):
//!
//! - A user with a confirmed TOTP credential never gets a session from a password alone:
//!   [`Sesame::begin_login`] returns a [`PendingLogin`] (a single-use, short-lived opaque token
//!   whose state is kept server-side, attempts counted), and only a valid second factor turns it
//!   into a fresh session. [`required`] says whether a user is in that case.
//! - Wrong codes are limited twice: per pending sign-in (`max_attempts`, then it ends) and per
//!   account (after the lockout threshold of consecutive failures the second step locks, with
//!   the same doubling back-off as password lockout; a right password does not reset it).
//! - TOTP follows RFC 6238 (SHA-1, 30 s, 6 digits by default; SHA-256/512 and 8 digits
//!   configurable) with ±1 step of skew. A code is accepted at most once: the last used step
//!   is stored with compare-and-swap, so two racing requests with one code give one success.
//! - The TOTP secret is sealed at rest (see [`sealed`]) and never logged; it is shown once, at
//!   enrolment, which a first valid code confirms.
//! - Recovery codes are random (80 bits each), shown once, stored only as keyed hashes, each
//!   consumed by compare-and-swap so it works exactly once; generating a new set replaces the
//!   old one.
//!
//! WIT: `sesame:auth/two-factor`.

pub mod recovery;
pub(crate) mod sealed;
pub mod totp;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Sesame;
use crate::accounts::User;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::notices::Notice;
use crate::records::{self, CAS_ATTEMPTS};
use crate::sessions::{ClientInfo, IssuedSession, SessionInfo, SignInProof};
use crate::store::StoreError;
use totp::{Algorithm, TotpCode, TotpSecret};

/// Two-factor settings, read from `SESAME_TOTP_*`, `SESAME_RECOVERY_CODES` and
/// `SESAME_TWO_FACTOR_*` variables (see [`crate::Config::from_vars`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorConfig {
    /// HMAC hash of new TOTP credentials (existing ones keep theirs).
    pub totp_algorithm: Algorithm,
    /// Digits of new TOTP credentials: 6 or 8.
    pub totp_digits: u32,
    /// Issuer shown by authenticator apps next to the account.
    pub totp_issuer: String,
    /// Recovery codes per generated set.
    pub recovery_codes: u32,
    /// Wrong second-factor codes one pending sign-in may try before it ends.
    pub max_attempts: u32,
    /// How long a pending sign-in waits for its second factor, in ms.
    pub pending_ms: u64,
    /// How long an unconfirmed TOTP enrolment is kept, in ms.
    pub enrolment_ms: u64,
}

impl Default for TwoFactorConfig {
    /// SHA-1, 6 digits (what every authenticator app supports), issuer "Sesame", 10 recovery
    /// codes, 5 attempts per pending sign-in, 5 minutes to enter the code, 15 minutes to
    /// confirm an enrolment.
    fn default() -> Self {
        TwoFactorConfig {
            totp_algorithm: Algorithm::Sha1,
            totp_digits: 6,
            totp_issuer: "Sesame".into(),
            recovery_codes: 10,
            max_attempts: 5,
            pending_ms: 5 * 60 * 1000,
            enrolment_ms: 15 * 60 * 1000,
        }
    }
}

impl TwoFactorConfig {
    /// Rejects unusable settings.
    pub fn validate(&self) -> Result<()> {
        if !matches!(self.totp_digits, 6 | 8) {
            return Err(Error::Config("SESAME_TOTP_DIGITS must be 6 or 8".into()));
        }
        if !(1..=recovery::MAX_CODES).contains(&self.recovery_codes) {
            return Err(Error::Config(format!(
                "SESAME_RECOVERY_CODES must be 1 to {}",
                recovery::MAX_CODES
            )));
        }
        if self.max_attempts == 0 || self.pending_ms == 0 || self.enrolment_ms == 0 {
            return Err(Error::Config(
                "two-factor attempts and lifetimes must be positive".into(),
            ));
        }
        if self.totp_issuer.is_empty() || self.totp_issuer.contains(':') {
            return Err(Error::Config(
                "SESAME_TOTP_ISSUER must be non-empty and contain no ':'".into(),
            ));
        }
        Ok(())
    }
}

/// A way to pass the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A code from an authenticator app.
    Totp,
    /// One of the user's recovery codes.
    RecoveryCode,
    /// A passkey or security key (`/wan-signin`).
    Webauthn,
}

impl Method {
    /// The name used in JSON answers and the `/tf-select` form (`totp`, `recovery-code`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery-code",
            Method::Webauthn => "webauthn",
        }
    }

    /// Parses [`Method::as_str`]'s names.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "totp" => Some(Method::Totp),
            "recovery-code" => Some(Method::RecoveryCode),
            "webauthn" => Some(Method::Webauthn),
            _ => None,
        }
    }
}

/// Where a user stands with two-factor authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorStatus {
    /// A TOTP credential is confirmed: sign-in needs a second factor.
    pub totp_enabled: bool,
    /// An enrolment was started and awaits its first code.
    pub enrolment_pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
}

/// A TOTP enrolment to show the user once: the secret, its URI and QR code.
pub struct TotpEnrolment {
    /// The secret in base32, for typing into an app by hand.
    pub secret_base32: Zeroizing<String>,
    /// The `otpauth://` URI the QR code encodes.
    pub otpauth_uri: Zeroizing<String>,
    /// The QR code of the URI as an SVG element, ready to inline in a page.
    pub qr_svg: String,
    /// HMAC hash of the credential.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step.
    pub period_secs: u64,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

/// How a user proves themselves again before turning two-factor off.
#[derive(Debug, Clone, Copy)]
pub enum Reauth<'a> {
    /// The account password.
    Password(&'a str),
    /// A current TOTP code or an unused recovery code.
    Code(&'a str),
    /// The login passed a passkey verification with user verification (`/wan-verify`)
    /// within the freshness window.
    RecentPasskey,
}

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

/// A pending sign-in token. Wiped on drop; `Debug` hides it.
pub struct PendingToken(Zeroizing<String>);

impl PendingToken {
    /// The token text, to hand to the client once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PendingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingToken(..)")
    }
}

/// The stored TOTP credential (`totp/{user id}`), or an enrolment awaiting confirmation
/// (`totp-enrolment/{user id}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TotpRecord {
    v: u32,
    /// The secret, sealed (see [`sealed`]).
    sealed_secret: String,
    algorithm: Algorithm,
    digits: u32,
    /// The last step whose code was accepted; codes of this step or earlier are refused.
    last_step: Option<u64>,
    created_at_ms: u64,
}

/// The stored pending sign-in (`tf-pending/{sha256(token) hex}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingRecord {
    v: u32,
    user_id: String,
    created_at_ms: u64,
    /// Wrong codes tried so far.
    attempts: u32,
}

/// Consecutive wrong second-factor codes of a user, across pending sign-ins
/// (`tf-failures/{user id}`). Unlike the password's failure count, a right password does not
/// reset it: only a right second factor does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FailureRecord {
    v: u32,
    count: u32,
    locked_until_ms: Option<u64>,
}

fn failures_key(user_id: &str) -> String {
    format!("tf-failures/{user_id}")
}

fn totp_key(user_id: &str) -> String {
    format!("totp/{user_id}")
}

fn enrolment_key(user_id: &str) -> String {
    format!("totp-enrolment/{user_id}")
}

fn pending_key(token: &str) -> String {
    format!(
        "tf-pending/{}",
        hex::encode(Sha256::digest(token.as_bytes()))
    )
}

/// Length of a pending token in characters (32 bytes, base64url without padding).
const PENDING_TOKEN_CHARS: usize = 43;

/// Whether `user` must pass a second factor after their password: true once a TOTP
/// credential is confirmed. Every way of signing in with a password alone (the sign-in routes,
/// the WIT `sessions.login`, API-token issuance) must refuse such a user a session.
pub fn required(sesame: &Sesame<'_>, user: &User) -> Result<bool> {
    sesame.two_factor_required(&user.id)
}

impl Sesame<'_> {
    /// Whether the user with this id must pass a second factor (see [`required`]).
    ///
    /// WIT: `sesame:auth/two-factor.required`.
    /// True once a TOTP credential is confirmed or a WebAuthn credential is registered as a
    /// second factor.
    pub fn two_factor_required(&self, user_id: &str) -> Result<bool> {
        Ok(self.totp_enabled(user_id)? || self.has_secondary_passkey(user_id)?)
    }

    fn totp_enabled(&self, user_id: &str) -> Result<bool> {
        Ok(self.store.get(&totp_key(user_id))?.is_some())
    }

    /// Where the user stands: TOTP on or not, enrolment pending, recovery codes left.
    ///
    /// WIT: `sesame:auth/two-factor.status`.
    pub fn two_factor_status(&self, user_id: &str) -> Result<TwoFactorStatus> {
        Ok(TwoFactorStatus {
            totp_enabled: self.totp_enabled(user_id)?,
            enrolment_pending: self.store.get(&enrolment_key(user_id))?.is_some(),
            recovery_codes_left: self.recovery_codes_left(user_id)?,
        })
    }

    /// Starts a TOTP enrolment: a new secret from the OS generator, kept sealed until a first
    /// valid code confirms it. Starting again replaces an unconfirmed enrolment;
    /// `already-exists` when TOTP is already on (turn it off first). Needs a freshly
    /// authenticated login (`reauthentication-required`): a stale session must not plant a
    /// factor.
    ///
    /// WIT: `sesame:auth/two-factor.start-totp`.
    pub fn start_totp(&self, login: &SessionInfo) -> Result<TotpEnrolment> {
        self.require_fresh(login)?;
        let user = &login.user;
        if self.totp_enabled(&user.id)? {
            return Err(Error::rejected(
                ErrorCode::AlreadyExists,
                "Two-factor authentication is already on; turn it off before setting up a new app.",
            ));
        }
        let tf = &self.config.two_factor;
        let mut bytes = Zeroizing::new(vec![0u8; tf.totp_algorithm.secret_len()]);
        self.env
            .fill_random(&mut bytes)
            .map_err(|_| Error::Random)?;
        let secret = TotpSecret::new(bytes.to_vec());
        let record = TotpRecord {
            v: 1,
            sealed_secret: sealed::seal(&self.config.secret, self.env, &user.id, &secret)?,
            algorithm: tf.totp_algorithm,
            digits: tf.totp_digits,
            last_step: None,
            created_at_ms: self.env.now_ms(),
        };
        records::save(
            self.store,
            &enrolment_key(&user.id),
            &record,
            None,
            Some(tf.enrolment_ms),
        )?;
        self.enrolment_view(user, &secret, &record)
    }

    /// The enrolment in progress, to show its QR code again (for example after a wrong code).
    /// `None` unless the login is fresh: the secret of an enrolment the owner is about to
    /// confirm must not leak to a stale session.
    pub fn current_totp_enrolment(&self, login: &SessionInfo) -> Result<Option<TotpEnrolment>> {
        if self.fresh_until(login)?.is_none() {
            return Ok(None);
        }
        let user = &login.user;
        let Some((record, _)) = records::load::<TotpRecord>(self.store, &enrolment_key(&user.id))?
        else {
            return Ok(None);
        };
        let secret = sealed::open(&self.config.secret, &user.id, &record.sealed_secret)?;
        self.enrolment_view(user, &secret, &record).map(Some)
    }

    fn enrolment_view(
        &self,
        user: &User,
        secret: &TotpSecret,
        record: &TotpRecord,
    ) -> Result<TotpEnrolment> {
        let uri = totp::otpauth_uri(
            secret,
            &self.config.two_factor.totp_issuer,
            &user.email,
            record.algorithm,
            record.digits,
        );
        Ok(TotpEnrolment {
            qr_svg: qr_svg(&uri)?,
            secret_base32: secret.to_base32(),
            otpauth_uri: uri,
            algorithm: record.algorithm,
            digits: record.digits,
            period_secs: totp::PERIOD_SECS,
        })
    }

    /// Confirms the enrolment with a first valid code, which turns two-factor on. The code's
    /// step is recorded as used, so it cannot also sign in. `invalid-code` for a wrong code,
    /// `not-found` when no enrolment is in progress (or it expired).
    ///
    /// WIT: `sesame:auth/two-factor.confirm-totp`.
    pub fn confirm_totp(&self, login: &SessionInfo, code: &str) -> Result<()> {
        self.require_fresh(login)?;
        let user = &login.user;
        let key = enrolment_key(&user.id);
        let Some((mut record, version)) = records::load::<TotpRecord>(self.store, &key)? else {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "No set-up is in progress (or it expired); start again.",
            ));
        };
        let code = TotpCode::parse(code, record.digits)?;
        let secret = sealed::open(&self.config.secret, &user.id, &record.sealed_secret)?;
        let step = self
            .matching_step(&secret, &record, &code)
            .ok_or_else(invalid_code)?;
        record.last_step = Some(step);
        match records::save(self.store, &totp_key(&user.id), &record, Some(0), None) {
            Ok(_) => {}
            Err(Error::Store(StoreError::Conflict)) => {
                return Err(Error::rejected(
                    ErrorCode::AlreadyExists,
                    "Two-factor authentication is already on.",
                ));
            }
            Err(e) => return Err(e),
        }
        // Whoever deletes it, the enrolment is over; a concurrent restart simply stays pending.
        match self.store.delete(&key, Some(version)) {
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        self.security_notice(&user.id, Notice::TwoFactorOn, None)
    }

    /// Turns two-factor off after the person proves themselves again, and deletes the TOTP
    /// credential, any enrolment and the recovery codes. The proof is itself a fresh
    /// authentication: the password (a sign-in attempt in every respect: throttled, counted
    /// into the lockout), a current second factor (counted before it is checked), or a passkey
    /// re-verification with user verification within the freshness window.
    ///
    /// WIT: `sesame:auth/two-factor.disable`.
    pub fn disable_two_factor(
        &self,
        login: &SessionInfo,
        proof: Reauth<'_>,
        client: &ClientInfo,
    ) -> Result<()> {
        let user_id = login.user.id.as_str();
        if !self.totp_enabled(user_id)? {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "Two-factor authentication is not on.",
            ));
        }
        match proof {
            Reauth::Password(password) => {
                self.check_password_of(user_id, password, client)?;
            }
            // A sign-in alone is not enough here: only an explicit passkey verification with
            // user verification counts, since it stands in for the password.
            Reauth::RecentPasskey => {
                if !self.verified_with_passkey_recently(login)? {
                    return Err(Error::rejected(
                        ErrorCode::ReauthenticationRequired,
                        "Verify with your passkey and its PIN or biometric (/wan-verify), or give your password or a code.",
                    ));
                }
            }
            // A stolen session must not be a way around the per-account limit on guesses.
            // A code proves the factor, not a recent sign-in: a stale session with a leaked
            // code must not drop the account to a password alone.
            Reauth::Code(code) => {
                self.require_fresh(login)?;
                self.reserve_second_factor_attempt(user_id)?;
                self.verify_any_factor(user_id, code)?;
            }
        }
        self.store.delete(&totp_key(user_id), None)?;
        self.store.delete(&enrolment_key(user_id), None)?;
        self.store.delete(&recovery::key(user_id), None)?;
        self.store.delete(&failures_key(user_id), None)?;
        self.security_notice(user_id, Notice::TwoFactorOff, client.address.as_deref())?;
        Ok(())
    }

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
        if !self.two_factor_required(&user.id)? {
            return self
                .issue_session(user.public(), client, SignInProof::OneFactor)
                .map(|session| LoginOutcome::SignedIn(Box::new(session)));
        }
        let token = PendingToken(Zeroizing::new(
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.env)?),
        ));
        let now = self.env.now_ms();
        let pending_ms = self.config.two_factor.pending_ms;
        let record = PendingRecord {
            v: 1,
            user_id: user.id.clone(),
            created_at_ms: now,
            attempts: 0,
        };
        records::save(
            self.store,
            &pending_key(token.expose()),
            &record,
            Some(0),
            Some(pending_ms),
        )?;
        Ok(LoginOutcome::SecondFactor(PendingLogin {
            token,
            methods: self.methods_of(&user.id)?,
            expires_at_ms: now.saturating_add(pending_ms),
        }))
    }

    /// The methods the pending sign-in of `token` can finish with; `unauthenticated` when it is
    /// unknown, used or expired.
    ///
    /// WIT: `sesame:auth/two-factor.pending-methods`.
    pub fn pending_methods(&self, token: &str) -> Result<Vec<Method>> {
        let (record, _) = self.load_pending(token)?;
        self.methods_of(&record.user_id)
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
        self.complete(token, client, |user_id| self.verify_totp(user_id, code))
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
        self.complete(token, client, |user_id| {
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
        verify: impl FnOnce(&str) -> Result<()>,
    ) -> Result<IssuedSession> {
        let (pending, _) = self.load_pending(token)?;
        self.reserve_second_factor_attempt(&pending.user_id)?;
        let pending = self.reserve_pending_attempt(token)?;
        if let Err(error) = verify(&pending.user_id) {
            if pending.attempts >= self.config.two_factor.max_attempts {
                // That was the last attempt this pending sign-in had.
                self.store.delete(&pending_key(token), None)?;
            }
            return Err(error);
        }
        self.store.delete(&failures_key(&pending.user_id), None)?;
        self.consume_pending(token)?;
        let Some((user, _)) = self.load_user(&pending.user_id)? else {
            return Err(Error::NoSession("user deleted"));
        };
        if !user.active {
            return Err(Error::NoSession("user disabled"));
        }
        self.issue_session(user.public(), client, SignInProof::MultiFactor)
    }

    /// Counts one second-factor attempt for the user before it is checked, or refuses
    /// (429 with the time left) without counting while the second step is locked. From the
    /// lockout threshold on, each attempt locks the second step for the lockout's base time
    /// doubled per further attempt, up to its maximum (the password lockout's settings); a
    /// right factor clears the count. A right password does not.
    pub(crate) fn reserve_second_factor_attempt(&self, user_id: &str) -> Result<()> {
        let key = failures_key(user_id);
        let config = self.config;
        let now = self.env.now_ms();
        for _ in 0..CAS_ATTEMPTS {
            let (mut record, version) = records::load::<FailureRecord>(self.store, &key)?
                .unwrap_or((
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
            if record.count >= config.lockout_threshold {
                let doublings = (record.count - config.lockout_threshold).min(40);
                let lock = config
                    .lockout_base_ms
                    .saturating_mul(1u64 << doublings)
                    .min(config.lockout_max_ms);
                record.locked_until_ms = Some(now.saturating_add(lock));
            }
            match records::save(
                self.store,
                &key,
                &record,
                Some(version),
                Some(config.lockout_max_ms.saturating_mul(2)),
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

    fn load_pending(&self, token: &str) -> Result<(PendingRecord, u64)> {
        if token.len() != PENDING_TOKEN_CHARS {
            return Err(Error::NoSession("malformed pending token"));
        }
        records::load::<PendingRecord>(self.store, &pending_key(token))?
            .ok_or(Error::NoSession("no pending sign-in"))
    }

    /// Counts one attempt on the pending sign-in before its factor is checked and returns the
    /// record with the count; `unauthenticated` once its attempts are used up (it is then
    /// deleted), so a pending sign-in never has more than `max_attempts` factors checked.
    fn reserve_pending_attempt(&self, token: &str) -> Result<PendingRecord> {
        let key = pending_key(token);
        let max = self.config.two_factor.max_attempts;
        for _ in 0..CAS_ATTEMPTS {
            let (mut record, version) = self.load_pending(token)?;
            if record.attempts >= max {
                match self.store.delete(&key, Some(version)) {
                    Ok(_) | Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
                return Err(Error::NoSession("pending sign-in out of attempts"));
            }
            record.attempts = record.attempts.saturating_add(1);
            let ttl = record
                .created_at_ms
                .saturating_add(self.config.two_factor.pending_ms)
                .saturating_sub(self.env.now_ms())
                .max(1);
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
        let key = pending_key(token);
        for _ in 0..CAS_ATTEMPTS {
            let Some(entry) = self.store.get(&key)? else {
                return Err(Error::NoSession("pending sign-in already used"));
            };
            match self.store.delete(&key, Some(entry.version)) {
                Ok(true) => return Ok(()),
                Ok(false) => return Err(Error::NoSession("pending sign-in already used")),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention("pending sign-in"))
    }

    fn methods_of(&self, user_id: &str) -> Result<Vec<Method>> {
        let mut methods = Vec::new();
        if self.has_passkey(user_id)? {
            methods.push(Method::Webauthn);
        }
        if self.totp_enabled(user_id)? {
            methods.push(Method::Totp);
        }
        if self.recovery_codes_left(user_id)? > 0 {
            methods.push(Method::RecoveryCode);
        }
        Ok(methods)
    }

    /// Accepts a TOTP code for the user's credential at most once: finds a step within ±1 of
    /// now, later than the last used one, whose code matches, and records it as used by
    /// compare-and-swap. Of two racing requests with one code, the second re-reads the record,
    /// sees the step used, and fails.
    pub(crate) fn verify_totp(&self, user_id: &str, code: &str) -> Result<()> {
        let key = totp_key(user_id);
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, version)) = records::load::<TotpRecord>(self.store, &key)? else {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "This account has no authenticator app set up.",
                ));
            };
            let code = TotpCode::parse(code, record.digits)?;
            let secret = sealed::open(&self.config.secret, user_id, &record.sealed_secret)?;
            let step = self
                .matching_step(&secret, &record, &code)
                .ok_or_else(invalid_code)?;
            record.last_step = Some(step);
            match records::save(self.store, &key, &record, Some(version), None) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("totp credential"))
    }

    /// The step within ±1 of now, after the last used one, whose code is `code`. Every
    /// candidate is computed and compared, so timing does not tell which step matched.
    fn matching_step(
        &self,
        secret: &TotpSecret,
        record: &TotpRecord,
        code: &TotpCode,
    ) -> Option<u64> {
        let now_step = totp::step_at(self.env.now_ms() / 1000);
        let mut found = None;
        for step in now_step.saturating_sub(1)..=now_step.saturating_add(1) {
            let expected = totp::code_at(secret, record.algorithm, record.digits, step);
            let fresh = record.last_step.is_none_or(|last| step > last);
            if code.matches(&expected) && fresh && found.is_none() {
                found = Some(step);
            }
        }
        found
    }

    /// Accepts either a TOTP code or a recovery code (used up), for re-authentication.
    fn verify_any_factor(&self, user_id: &str, code: &str) -> Result<()> {
        let digits_only = code
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .all(|c| c.is_ascii_digit());
        if digits_only {
            self.verify_totp(user_id, code)
        } else {
            self.consume_recovery_code(user_id, code)
        }
    }
}

/// The one answer for a wrong, reused or out-of-window code.
pub(crate) fn invalid_code() -> Error {
    Error::rejected(
        ErrorCode::InvalidCode,
        "The code is not correct, has expired or was already used.",
    )
}

/// The QR code of `uri` as an inline `<svg>` element (without the XML prologue).
fn qr_svg(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::Config(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 4] = [
    ("totp/", records::reencode::<TotpRecord>),
    ("tf-pending/", records::reencode::<PendingRecord>),
    ("tf-failures/", records::reencode::<FailureRecord>),
    recovery::RECORD_CODEC,
];

#[cfg(test)]
mod tests;
