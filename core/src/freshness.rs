//! Re-authentication ("freshness"): how recently the *person* behind a login proved who they
//! are, and the one rule every sensitive change asks.
//!
//! A login (a session, or a token login) counts as fresh for [`Config::freshness_ms`] after
//! the last real authentication: the sign-in itself (password, passkey, second factor), or a
//! re-verification through `/verify` (the password again) or `/wan-verify` (a passkey).
//! Nothing derived from a login is fresher than the login: a token login minted from a session
//! carries the session's authentication time and factors, and refreshing never moves them.
//!
//! Fresh authentication is needed to add or delete a passkey or security key, to enrol,
//! confirm, replace or turn off TOTP, to generate recovery codes, and to change the password
//! without the current one. Where a passkey stands in for the password, its assertion must
//! carry user verification: a touch alone is possession, not knowledge.
//!
//! Re-verifications are kept as `reauth/{login id}` records expiring with the window, so a
//! login's own record never needs rewriting and every node sees them at once.
//!
//! [`Config::freshness_ms`]: crate::Config::freshness_ms

pub mod settings;

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, reauth_key};
use crate::sessions::{ClientInfo, SessionInfo, SignInProof};

/// How a login was re-verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReauthMethod {
    /// The account password, entered again (`/verify`).
    Password,
    /// A passkey or security key assertion (`/wan-verify`).
    Passkey,
}

/// A re-verification of one login (`reauth/{login id}`, expiring with the window).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReauthRecord {
    v: u32,
    at_ms: u64,
    method: ReauthMethod,
    /// Whether a passkey assertion carried user verification (PIN or biometric).
    #[serde(default)]
    user_verified: bool,
}

/// When a login's person last authenticated ([`Sesame::authentication_times`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticationTimes {
    /// The last authentication of any kind: sign-in, `/verify`, `/wan-verify`.
    pub any_ms: u64,
    /// The last authentication with two factors; 0 when never.
    pub two_factor_ms: u64,
    /// How the last authentication (at `any_ms`) was made: a re-verification's own proof
    /// when one came after the sign-in (a password alone is one factor, whatever the
    /// sign-in had), else the sign-in's. What an ID token's `amr` and `acr` describe.
    pub latest_proof: SignInProof,
}

impl Sesame<'_> {
    /// When the person behind `login` last really authenticated, ms since the epoch: the
    /// later of its sign-in and its last re-verification.
    pub fn authenticated_at(&self, login: &SessionInfo) -> Result<u64> {
        let reverified = self.reauth_record(login)?.map_or(0, |r| r.at_ms);
        Ok(login.authenticated_at_ms.max(reverified))
    }

    /// When the person behind `login` last authenticated at all, and last with two factors
    /// (0 when never), ms since the epoch, from one read of its re-verification. Two factors
    /// means the login's own two-factor time ([`SessionInfo::two_factor_at_ms`]), or a later
    /// re-verification with a user-verified passkey; a password re-verification is one factor
    /// and counts only for the first.
    pub fn authentication_times(&self, login: &SessionInfo) -> Result<AuthenticationTimes> {
        let reauth = self.reauth_record(login)?;
        let reverified = reauth.as_ref().map_or(0, |r| r.at_ms);
        let reverified_two_factor = reauth
            .as_ref()
            .filter(|r| r.method == ReauthMethod::Passkey && r.user_verified)
            .map_or(0, |r| r.at_ms);
        let latest_proof = match reauth {
            Some(r) if r.at_ms > login.authenticated_at_ms => match (r.method, r.user_verified) {
                (ReauthMethod::Password, _) => SignInProof::PASSWORD,
                (ReauthMethod::Passkey, true) => SignInProof::PASSKEY,
                (ReauthMethod::Passkey, false) => SignInProof::KEY,
            },
            _ => login.proof,
        };
        Ok(AuthenticationTimes {
            any_ms: login.authenticated_at_ms.max(reverified),
            two_factor_ms: login.two_factor_at_ms.max(reverified_two_factor),
            latest_proof,
        })
    }

    /// Until when `login` counts as freshly authenticated, ms since the epoch; `None` when it
    /// no longer does.
    pub fn fresh_until(&self, login: &SessionInfo) -> Result<Option<u64>> {
        let until = self
            .authenticated_at(login)?
            .saturating_add(self.config.freshness.window_ms);
        Ok(Some(until).filter(|until| *until > self.host.now_ms()))
    }

    /// `reauthentication-required` unless `login` is fresh.
    pub(crate) fn require_fresh(&self, login: &SessionInfo) -> Result<()> {
        match self.fresh_until(login)? {
            Some(_) => Ok(()),
            None => Err(reauthentication_required()),
        }
    }

    /// Whether `login` was re-verified within the window with a passkey whose assertion
    /// carried user verification: the only proof that stands in for the password (changing
    /// it without the current one, turning two-factor off). A sign-in alone does not count.
    pub fn verified_with_passkey_recently(&self, login: &SessionInfo) -> Result<bool> {
        Ok(self
            .reauth_record(login)?
            .is_some_and(|r| r.method == ReauthMethod::Passkey && r.user_verified))
    }

    /// Records that the person behind `login` just authenticated again with `method`, and
    /// returns until when the login now counts as fresh.
    pub(crate) fn record_reauthentication(
        &self,
        login: &SessionInfo,
        method: ReauthMethod,
        user_verified: bool,
    ) -> Result<u64> {
        let now = self.host.now_ms();
        let window = self.config.freshness.window_ms;
        records::save(
            self.store,
            &reauth_key(&login.id),
            &ReauthRecord {
                v: 1,
                at_ms: now,
                method,
                user_verified,
            },
            None,
            Some(window),
        )?;
        Ok(now.saturating_add(window))
    }

    /// Re-verifies `login` with the account password (`/verify`). The check is a sign-in
    /// attempt in every respect: throttled per address and account, counted into the
    /// account's lockout, refused while locked. Returns until when the login is fresh.
    ///
    /// WIT: `sesame:auth/accounts.verify-password`.
    pub fn verify_password(
        &self,
        login: &SessionInfo,
        password: &str,
        client: &ClientInfo,
    ) -> Result<u64> {
        self.check_password_of(&login.user.id, password, client)?;
        self.record_reauthentication(login, ReauthMethod::Password, false)
    }

    /// Forgets the re-verification of a login that ended.
    pub(crate) fn forget_reauthentication(&self, login_id: &str) -> Result<()> {
        self.store.delete(&reauth_key(login_id), None)?;
        Ok(())
    }

    fn reauth_record(&self, login: &SessionInfo) -> Result<Option<ReauthRecord>> {
        let window = self.config.freshness.window_ms;
        let now = self.host.now_ms();
        Ok(
            records::load::<ReauthRecord>(self.store, &reauth_key(&login.id))?
                .map(|(record, _)| record)
                // The store's expiry may lag; the window is decided here.
                .filter(|r| r.at_ms.saturating_add(window) > now),
        )
    }
}

/// The answer when a change needs a recent authentication.
pub(crate) fn reauthentication_required() -> Error {
    Error::rejected(
        ErrorCode::ReauthenticationRequired,
        "This needs a recent sign-in: confirm your password at /verify or your passkey at /wan-verify first.",
    )
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 1] =
    [(records::REAUTH_PREFIX, records::reencode::<ReauthRecord>)];

#[cfg(test)]
mod tests;
