//! Server-side sessions: opaque 256-bit tokens of which only the SHA-256 is stored, with idle
//! and absolute expiry and a fresh token at every sign-in.
//!
//! WIT: `sesame:auth/sessions`.

pub mod settings;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Sesame;
use crate::accounts::{User, UserRecord};
use crate::env::random_array;
use crate::error::{Error, Result};
use crate::records::{self, session_key, user_session_key, user_sessions_prefix};

/// How stale `last_seen` may get before a request writes it back. Bounds the writes a busy
/// session causes to one a minute; idle expiry is accordingly precise to a minute.
pub const TOUCH_INTERVAL_MS: u64 = 60_000;

/// Length of a session token in characters (32 bytes, base64url without padding).
const TOKEN_CHARS: usize = 43;

/// A session token: the bearer secret. Wiped on drop; `Debug` hides it.
pub struct SessionToken(Zeroizing<String>);

impl SessionToken {
    /// Parses a token as sent by a client; anything but 43 base64url characters is refused.
    pub fn parse(raw: &str) -> Result<Self> {
        if raw.len() != TOKEN_CHARS
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::NoSession("malformed token"));
        }
        Ok(SessionToken(Zeroizing::new(raw.to_owned())))
    }

    /// The token text, to hand to the client once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hex SHA-256 of the token: the only form that is stored.
    fn hash_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// Facts about the client, recorded with a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// Network address as the host saw it.
    pub address: Option<String>,
    /// User-Agent header.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The user agent as stored with a login: cut to [`MAX_USER_AGENT_CHARS`] characters.
    pub(crate) fn kept_user_agent(&self) -> Option<String> {
        self.user_agent
            .as_ref()
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect())
    }
}

/// A freshly issued session. `token` is its only copy.
#[derive(Debug)]
pub struct IssuedSession {
    /// The bearer secret.
    pub token: SessionToken,
    /// Who signed in.
    pub user: User,
    /// Anti-CSRF token of this session.
    pub csrf_token: String,
    /// Absolute expiry, ms since the epoch.
    pub expires_at_ms: u64,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Stable identifier of the session (hex SHA-256 of its token), safe to show: the token
    /// cannot be derived from it.
    pub id: String,
    /// Whose session.
    pub user: User,
    /// Anti-CSRF token of this session.
    pub csrf_token: String,
    /// When it began.
    pub created_at_ms: u64,
    /// Absolute expiry.
    pub expires_at_ms: u64,
    /// When the person last really authenticated for this login: the sign-in itself (password,
    /// passkey, second factor). A token login made from a session carries the session's time,
    /// so minting or refreshing never makes anything fresher. Re-verification (`/verify`,
    /// `/wan-verify`) is kept beside it, see [`Sesame::fresh_until`].
    pub authenticated_at_ms: u64,
    /// Whether that authentication included a second factor (TOTP, a recovery code, a
    /// security key) or a passkey with user verification.
    pub second_factor: bool,
    /// When the person behind this login last authenticated with two factors, ms since the
    /// epoch (0: never): a session's sign-in when it had a second factor; for a token login,
    /// its session's at minting, so a later one-factor re-verification never counts as one.
    /// Re-verification of this login itself is kept beside it, see
    /// [`Sesame::authentication_times`].
    pub two_factor_at_ms: u64,
    /// How the person signed in (for a token login: how its session was signed in to).
    pub proof: SignInProof,
}

/// How a person proved who they are when a session began: the authentication methods, as
/// RFC 8176 names them (the `amr` of OpenID Connect ID tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInProof(&'static [&'static str]);

impl SignInProof {
    /// A password alone.
    pub const PASSWORD: SignInProof = SignInProof(&["pwd"]);
    /// A password and a one-time code (TOTP or a recovery code).
    pub const PASSWORD_AND_CODE: SignInProof = SignInProof(&["pwd", "otp", "mfa"]);
    /// A password and a security key.
    pub const PASSWORD_AND_KEY: SignInProof = SignInProof(&["pwd", "hwk", "mfa"]);
    /// A passkey with user verification: possession of the key and a PIN or biometric in one
    /// gesture. Without attestation Sesame cannot tell a hardware key from a synced one, and
    /// names it by what the protocol proves, a key held by the authenticator (`hwk`).
    pub const PASSKEY: SignInProof = SignInProof(&["hwk", "user", "mfa"]);
    /// A passkey or security key without user verification: possession alone, one factor
    /// (only ever a re-verification; sign-in with a passkey requires user verification).
    pub const KEY: SignInProof = SignInProof(&["hwk"]);

    /// A one-time code alone: mailed to the account's address, or from its authenticator app
    /// where a deployment lets that replace the password.
    pub const CODE: SignInProof = SignInProof(&["otp"]);
    /// A one-time code, then a second one (TOTP or a recovery code).
    pub const CODE_AND_CODE: SignInProof = SignInProof(&["otp", "mfa"]);
    /// A one-time code, then a security key.
    pub const CODE_AND_KEY: SignInProof = SignInProof(&["otp", "hwk", "mfa"]);

    const ALL: [SignInProof; 8] = [
        SignInProof::PASSWORD,
        SignInProof::PASSWORD_AND_CODE,
        SignInProof::PASSWORD_AND_KEY,
        SignInProof::PASSKEY,
        SignInProof::KEY,
        SignInProof::CODE,
        SignInProof::CODE_AND_CODE,
        SignInProof::CODE_AND_KEY,
    ];

    /// Whether two factors were proven.
    pub fn multi_factor(self) -> bool {
        self.0.contains(&"mfa")
    }

    /// The RFC 8176 method names.
    pub fn methods(self) -> &'static [&'static str] {
        self.0
    }

    /// The proof a stored list of method names stands for; records written before methods
    /// were kept read as a password, with a second factor when they had one.
    pub(crate) fn from_stored(methods: &[String], second_factor: bool) -> SignInProof {
        SignInProof::ALL
            .into_iter()
            .find(|proof| {
                proof
                    .0
                    .iter()
                    .copied()
                    .eq(methods.iter().map(String::as_str))
            })
            .unwrap_or(if second_factor {
                SignInProof::PASSWORD_AND_CODE
            } else {
                SignInProof::PASSWORD
            })
    }
}

/// One of a user's sessions, as listed to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    /// Identifier to revoke it with.
    pub id: String,
    /// Sign-in time.
    pub created_at_ms: u64,
    /// Last use, to the minute.
    pub last_seen_at_ms: u64,
    /// Absolute expiry.
    pub expires_at_ms: u64,
    /// Client address at sign-in.
    pub address: Option<String>,
    /// Client User-Agent at sign-in.
    pub user_agent: Option<String>,
}

/// The stored form of a session (`session/{sha256}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    v: u32,
    user_id: String,
    created_at_ms: u64,
    last_seen_ms: u64,
    expires_at_ms: u64,
    csrf_token: String,
    address: Option<String>,
    user_agent: Option<String>,
    /// Last real authentication; records written before it was kept count from their
    /// creation.
    #[serde(default)]
    authenticated_at_ms: Option<u64>,
    /// Whether the sign-in included a second factor.
    #[serde(default)]
    second_factor: bool,
    /// How the person signed in ([`SignInProof::methods`]); empty in records written before
    /// it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    methods: Vec<String>,
    /// The user's [`UserRecord::session_epoch`](crate::accounts) when the session began; it
    /// is over once the user's count is higher.
    #[serde(default)]
    epoch: u64,
}

/// Longest user agent kept with a session; the rest is cut.
const MAX_USER_AGENT_CHARS: usize = 256;

impl Sesame<'_> {
    /// Signs in with an identity and password and creates a fresh session. Attempts are
    /// throttled per client address and per account before any password is checked. A user
    /// with two-factor on gets [`Error::SecondFactorRequired`] and no session; such users sign
    /// in through [`Sesame::begin_login`].
    ///
    /// WIT: `sesame:auth/sessions.login`.
    pub fn login(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        let user = self.password_only_sign_in(identity, password, client)?;
        self.issue_session(user.public(), client, SignInProof::PASSWORD)
    }

    /// The whole of a sign-in by password alone: throttled and checked like every password
    /// sign-in, and refused with [`Error::SecondFactorRequired`] for a user with two-factor on,
    /// who signs in through [`Sesame::begin_login`] and a second factor instead. A password
    /// alone never yields a session or tokens for them.
    pub(crate) fn password_only_sign_in(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<UserRecord> {
        let user = self.check_password(identity, password, client)?;
        if self.two_factor_required(&user.id)? {
            return Err(Error::SecondFactorRequired);
        }
        Ok(user)
    }

    /// Throttles, then checks the password: the first factor of every password sign-in.
    pub(crate) fn check_password(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<crate::accounts::UserRecord> {
        self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Password)?;
        self.throttle_sign_in(client, Some(identity))?;
        self.authenticate(identity, password, client)
    }

    /// Finds the live session of `token`, refreshing its idle timer.
    ///
    /// WIT: `sesame:auth/sessions.validate`.
    pub fn validate_session(&self, token: &str) -> Result<SessionInfo> {
        let token = SessionToken::parse(token)?;
        let key = session_key(&token.hash_hex());
        let Some((mut record, version)) = records::load::<SessionRecord>(self.store, &key)? else {
            return Err(Error::NoSession("unknown or expired"));
        };
        let now = self.host.now_ms();
        if now >= record.expires_at_ms {
            return Err(Error::NoSession("past absolute expiry"));
        }
        if now
            >= record
                .last_seen_ms
                .saturating_add(self.config.sessions.idle_ms)
        {
            return Err(Error::NoSession("idle too long"));
        }
        let Some((user, _)) = self.load_user(&record.user_id)? else {
            return Err(Error::NoSession("user deleted"));
        };
        if !user.active {
            return Err(Error::NoSession("user disabled"));
        }
        if record.epoch < user.session_epoch {
            return Err(Error::NoSession("ended everywhere"));
        }
        if now.saturating_sub(record.last_seen_ms) >= TOUCH_INTERVAL_MS {
            record.last_seen_ms = now;
            let ttl = self.session_ttl(&record, now);
            // A concurrent request may have touched it first; either write is as good.
            match records::save(self.store, &key, &record, Some(version), Some(ttl)) {
                Ok(_) | Err(Error::Store(crate::store::StoreError::Conflict)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(SessionInfo {
            id: token.hash_hex(),
            user: user.public(),
            csrf_token: record.csrf_token,
            created_at_ms: record.created_at_ms,
            expires_at_ms: record.expires_at_ms,
            authenticated_at_ms: record.authenticated_at_ms.unwrap_or(record.created_at_ms),
            second_factor: record.second_factor,
            two_factor_at_ms: if record.second_factor {
                record.authenticated_at_ms.unwrap_or(record.created_at_ms)
            } else {
                0
            },
            proof: SignInProof::from_stored(&record.methods, record.second_factor),
        })
    }

    /// Ends the session of `token`; unknown tokens are fine.
    ///
    /// WIT: `sesame:auth/sessions.logout`.
    pub fn logout(&self, token: &str) -> Result<()> {
        let Ok(token) = SessionToken::parse(token) else {
            return Ok(());
        };
        let hash = token.hash_hex();
        let key = session_key(&hash);
        if let Some((record, _)) = records::load::<SessionRecord>(self.store, &key)? {
            self.store.delete(&key, None)?;
            self.store
                .delete(&user_session_key(&record.user_id, &hash), None)?;
            self.forget_reauthentication(&hash)?;
        }
        Ok(())
    }

    /// Lists the live sessions of `user_id`, newest first.
    pub fn list_sessions(&self, user_id: &str) -> Result<Vec<SessionSummary>> {
        let epoch = self.session_epoch_of(user_id)?;
        let mut out = Vec::new();
        for id in self.session_ids(user_id)? {
            if let Some((record, _)) =
                records::load::<SessionRecord>(self.store, &session_key(&id))?
                    .filter(|(record, _)| record.epoch >= epoch)
            {
                out.push(SessionSummary {
                    id,
                    created_at_ms: record.created_at_ms,
                    last_seen_at_ms: record.last_seen_ms,
                    expires_at_ms: record.expires_at_ms,
                    address: record.address,
                    user_agent: record.user_agent,
                });
            }
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.created_at_ms));
        Ok(out)
    }

    /// Ends one session of `user_id`. Fails with `not-found` when the id is not one of the
    /// user's sessions, so nobody can end another user's session.
    pub fn revoke_session(&self, user_id: &str, session_id: &str) -> Result<()> {
        let index = user_session_key(user_id, session_id);
        if self.store.get(&index)?.is_none() {
            return Err(Error::rejected(
                crate::ErrorCode::NotFound,
                "You have no session with this id.",
            ));
        }
        self.store.delete(&session_key(session_id), None)?;
        self.store.delete(&index, None)?;
        self.emit(
            crate::events::EventKind::SessionRevoked,
            Some(user_id),
            None,
        );
        Ok(())
    }

    /// Ends every session and every token login of `user_id` in one write (raising the user's
    /// session count), then deletes their records; returns how many records went. Fails, with
    /// nothing ended, only when that one write fails.
    pub fn revoke_all_sessions(&self, user_id: &str) -> Result<usize> {
        // The one write that ends them all; a deleted user has nothing left to end.
        match self.update_user(user_id, |r| {
            r.session_epoch += 1;
            Ok(())
        }) {
            Ok(_) | Err(Error::UnknownAccount) => {}
            Err(e) => return Err(e),
        }
        Ok(self.forget_ended_sessions(user_id))
    }

    /// Deletes the records of sessions and token logins of `user_id`, all of them over since
    /// the write that raised [`UserRecord::session_epoch`](crate::accounts); returns how many.
    /// A store failure here changes nothing about who is signed in, so it only leaves records
    /// for their expiry to remove.
    pub(crate) fn forget_ended_sessions(&self, user_id: &str) -> usize {
        let mut ended = 0;
        if let Ok(ids) = self.session_ids(user_id) {
            for id in &ids {
                if self.store.delete(&session_key(id), None).is_ok() {
                    ended += 1;
                }
                let _ = self.store.delete(&user_session_key(user_id, id), None);
            }
        }
        ended += self.end_all_token_families(user_id).unwrap_or(0);
        self.emit(
            crate::events::EventKind::SessionRevoked,
            Some(user_id),
            None,
        );
        ended
    }

    /// The user's current [`UserRecord::session_epoch`](crate::accounts) (0 for a user that
    /// is gone: no session of theirs validates anyway).
    pub(crate) fn session_epoch_of(&self, user_id: &str) -> Result<u64> {
        Ok(self
            .load_user(user_id)?
            .map_or(0, |(record, _)| record.session_epoch))
    }

    /// Ids of the user's sessions, from the per-user index, all pages.
    fn session_ids(&self, user_id: &str) -> Result<Vec<String>> {
        let prefix = user_sessions_prefix(user_id);
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.scan(&prefix, after.as_deref(), 500)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            ids.extend(
                page.iter()
                    .filter_map(|(k, _)| k.strip_prefix(&prefix).map(str::to_owned)),
            );
        }
        Ok(ids)
    }

    /// Whether the session with this id (see [`SessionInfo::id`]) is still live: not ended,
    /// not idle too long, not past its absolute end. Token logins made from a session ask this
    /// at every use, so they end with it.
    pub(crate) fn session_alive(&self, session_id: &str) -> Result<bool> {
        let Some((record, _)) =
            records::load::<SessionRecord>(self.store, &session_key(session_id))?
        else {
            return Ok(false);
        };
        let now = self.host.now_ms();
        Ok(now < record.expires_at_ms
            && now
                < record
                    .last_seen_ms
                    .saturating_add(self.config.sessions.idle_ms))
    }

    /// Creates a session for `user` with a new random token; `proof` is how the person just
    /// authenticated, which makes the session fresh.
    pub(crate) fn issue_session(
        &self,
        user: User,
        client: &ClientInfo,
        proof: SignInProof,
    ) -> Result<IssuedSession> {
        let token = SessionToken(Zeroizing::new(
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?),
        ));
        let csrf_token = URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?);
        let now = self.host.now_ms();
        // Read now, so a "sign out everywhere" that lands while this session is being made
        // ends it too.
        let epoch = self.session_epoch_of(&user.id)?;
        let record = SessionRecord {
            v: 1,
            user_id: user.id.clone(),
            created_at_ms: now,
            last_seen_ms: now,
            expires_at_ms: now.saturating_add(self.config.sessions.absolute_ms),
            csrf_token: csrf_token.clone(),
            address: client.address.clone(),
            user_agent: client.kept_user_agent(),
            authenticated_at_ms: Some(now),
            second_factor: proof.multi_factor(),
            methods: proof.methods().iter().map(|m| (*m).to_owned()).collect(),
            epoch,
        };
        let hash = token.hash_hex();
        let ttl = self.session_ttl(&record, now);
        // The index first: a crash then leaves an index entry pointing at nothing, which
        // listing skips, rather than a session that logout-everywhere cannot find.
        self.store.put(
            &user_session_key(&user.id, &hash),
            b"",
            None,
            Some(self.config.sessions.absolute_ms),
        )?;
        records::save(self.store, &session_key(&hash), &record, Some(0), Some(ttl))?;
        Ok(IssuedSession {
            token,
            user,
            csrf_token,
            expires_at_ms: record.expires_at_ms,
        })
    }

    /// Time until the session would end if unused: the sooner of idle and absolute expiry.
    fn session_ttl(&self, record: &SessionRecord, now: u64) -> u64 {
        let idle_end = record
            .last_seen_ms
            .saturating_add(self.config.sessions.idle_ms);
        idle_end
            .min(record.expires_at_ms)
            .saturating_sub(now)
            .max(1)
    }
}

#[cfg(test)]
mod tests;
