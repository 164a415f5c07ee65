//! API tokens for single-page apps, mobile apps and services: a short-lived access token that
//! anyone can verify offline, and a refresh token that rotates at every use.
//!
//! - **Access token**: a JWT (RFC 9068 profile, `typ: at+jwt`) signed with Ed25519
//!   (`alg: EdDSA`) by the current [`crate::keyring`] generation, `kid` naming the key. Other
//!   services verify it with the JWKS alone. Sesame itself also checks, on its own routes, that
//!   the login it belongs to was not ended, so revocation is immediate here and bounded by the
//!   token's lifetime elsewhere. Verification accepts exactly one header shape: `alg` must be
//!   `EdDSA`, so `none`, HMAC-with-the-public-key and other algorithm confusions cannot arise.
//! - **Refresh token**: 256 random bits, of which only the SHA-256 is stored. Each login is a
//!   *family*; refreshing replaces the family's one valid refresh token. Presenting a replaced
//!   token means it was copied: the whole family is revoked, the thief's and the victim's tokens
//!   alike. The family's absolute end is fixed at sign-in and never moves.
//!
//! Ending every session of a user (log out everywhere, password change or reset, disabling the
//! account) ends every family too.
//!
//! This module holds the stored records and what a login is while it lives (checking an access
//! token against it, ending it); starting logins and issuing pairs is `issue`, rotation and
//! reuse detection `refresh`, the JWT format and its offline verification `jwt`.
//!
//! WIT: `sesame:auth/tokens`.

pub mod settings;

mod grants;
mod issue;
mod jwt;
mod refresh;

pub(crate) use grants::GrantFacts;
pub(crate) use issue::{FamilyOrigin, new_family_id};
pub(crate) use jwt::Audience;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::Sesame;
use crate::accounts::User;
use crate::error::Result;
use crate::records::{self, token_family_key, user_token_families_prefix, user_token_family_key};
use crate::sessions::SessionInfo;
use jwt::access_refused;

/// A new access and refresh token, handed to the client once.
#[derive(Debug)]
pub struct TokenPair {
    /// The JWT to send as `Authorization: Bearer`.
    pub access_token: Zeroizing<String>,
    /// Seconds until the access token expires.
    pub expires_in_secs: u64,
    /// The refresh token; works once.
    pub refresh_token: Zeroizing<String>,
    /// When the login ends, however often it is refreshed (ms since the epoch).
    pub refresh_expires_at_ms: u64,
    /// Whose tokens.
    pub user: User,
    /// The login they belong to (`sid` of the access token).
    pub login_id: String,
}

/// What a verified access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user (`sub`).
    pub user_id: String,
    /// The login (refresh family) it belongs to (`sid`).
    pub family_id: String,
    /// Roles at issue time.
    pub roles: Vec<String>,
    /// Issue time, seconds since the epoch.
    pub issued_at_secs: u64,
    /// Expiry, seconds since the epoch.
    pub expires_at_secs: u64,
    /// The OAuth client it was issued to, for tokens of OAuth grants.
    pub client_id: Option<String>,
    /// The scopes granted, for tokens of OAuth grants (space-separated).
    pub scope: Option<String>,
}

/// Prefix of the [`SessionInfo::id`] of a token login, which sets it apart from a session's.
pub const TOKEN_LOGIN_ID_PREFIX: &str = "tokens-";

/// Prefix of refresh tokens, so secret scanners and people recognise them.
pub const REFRESH_TOKEN_PREFIX: &str = "sesame_rt_";

/// The stored form of a login through tokens (`token-family/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FamilyRecord {
    v: u32,
    user_id: String,
    created_at_ms: u64,
    expires_at_ms: u64,
    /// SHA-256 of the one refresh token that may be used next.
    refresh_hash: String,
    refreshed_at_ms: u64,
    address: Option<String>,
    user_agent: Option<String>,
    /// The session this login was made from (its id), when it was: the login ends with it.
    #[serde(default)]
    session_id: Option<String>,
    /// Last real authentication of the person; for a login made from a session, the
    /// session's. Records written before it was kept count from their creation.
    #[serde(default)]
    authenticated_at_ms: Option<u64>,
    /// Whether that authentication included a second factor.
    #[serde(default)]
    second_factor: bool,
    /// When the login last authenticated with two factors (0: never); absent in records
    /// written before it was kept, which fall back to `authenticated_at_ms`.
    #[serde(default)]
    two_factor_at_ms: Option<u64>,
    /// How the person signed in ([`crate::sessions::SignInProof::methods`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    methods: Vec<String>,
    /// The OAuth client the login was granted to, for logins made through `/oauth/token`;
    /// such a login is refreshed and ended only through the OAuth endpoints by that client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// The scopes granted to that client (space-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// The user's session count when the login began (see `UserRecord::session_epoch`): it is
    /// over once the user's count is higher.
    #[serde(default)]
    epoch: u64,
}

/// One of a user's token logins, as listed to an administrator. Holds no token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenLoginSummary {
    /// The login's id (an access token's `sid`).
    pub id: String,
    /// Sign-in time, ms since the epoch.
    pub created_at_ms: u64,
    /// Last refresh, ms since the epoch.
    pub refreshed_at_ms: u64,
    /// When it ends however often it is refreshed.
    pub expires_at_ms: u64,
    /// Client address at sign-in.
    pub address: Option<String>,
    /// Client User-Agent at sign-in.
    pub user_agent: Option<String>,
    /// The OAuth client it was granted to, if any.
    pub client_id: Option<String>,
    /// The scopes granted to that client.
    pub scope: Option<String>,
}

/// `refresh/{sha256}`: which family a refresh token (current or replaced) belongs to. Kept
/// after rotation so a replayed token is recognised as such.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    v: u32,
    family_id: String,
}

impl Sesame<'_> {
    /// The signed-in user of an access token, for Sesame's own routes: the token must verify
    /// and its login must not have been ended, and the account must still be active.
    pub fn validate_access_token(&self, token: &str) -> Result<SessionInfo> {
        let claims = self.verify_access_token(token)?;
        let ended = || {
            access_refused(
                "This sign-in was ended (signed out, password changed, or revoked). Sign in again.",
            )
        };
        let Some((family, _)) =
            records::load::<FamilyRecord>(self.store, &token_family_key(&claims.family_id))?
        else {
            return Err(ended());
        };
        if family.user_id != claims.user_id || !self.family_parent_alive(&family)? {
            return Err(ended());
        }
        let user = match self.load_user(&claims.user_id)? {
            Some((record, _)) if record.active => record.public(),
            _ => return Err(ended()),
        };
        Ok(SessionInfo {
            id: format!("{TOKEN_LOGIN_ID_PREFIX}{}", claims.family_id),
            user,
            csrf_token: String::new(),
            created_at_ms: family.created_at_ms,
            expires_at_ms: claims.expires_at_secs.saturating_mul(1000),
            authenticated_at_ms: family.authenticated_at_ms.unwrap_or(family.created_at_ms),
            second_factor: family.second_factor,
            two_factor_at_ms: family.two_factor_at_ms.unwrap_or(if family.second_factor {
                family.authenticated_at_ms.unwrap_or(family.created_at_ms)
            } else {
                0
            }),
            proof: crate::sessions::SignInProof::from_stored(&family.methods, family.second_factor),
        })
    }

    /// Whether a token login may still be used: one made from a session only while that
    /// session lives.
    fn family_parent_alive(&self, family: &FamilyRecord) -> Result<bool> {
        match &family.session_id {
            Some(session_id) => self.session_alive(session_id),
            None => Ok(true),
        }
    }

    /// Ends every token login of `user_id`; returns how many.
    pub(crate) fn end_all_token_families(&self, user_id: &str) -> Result<usize> {
        let prefix = user_token_families_prefix(user_id);
        let mut ended = 0;
        loop {
            // Each page is deleted before the next scan, so scanning from the start is enough.
            let page = self.store.scan(&prefix, None, 500)?;
            if page.is_empty() {
                return Ok(ended);
            }
            for (key, _) in page {
                if let Some(id) = key.strip_prefix(&prefix) {
                    self.end_token_family(user_id, id)?;
                    ended += 1;
                }
            }
        }
    }

    /// The live token logins of `user_id`, newest first.
    pub fn list_token_logins(&self, user_id: &str) -> Result<Vec<TokenLoginSummary>> {
        let prefix = user_token_families_prefix(user_id);
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.scan(&prefix, after.as_deref(), 500)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (key, _) in &page {
                let Some(id) = key.strip_prefix(&prefix) else {
                    continue;
                };
                if let Some((r, _)) =
                    records::load::<FamilyRecord>(self.store, &token_family_key(id))?
                {
                    out.push(TokenLoginSummary {
                        id: id.to_owned(),
                        created_at_ms: r.created_at_ms,
                        refreshed_at_ms: r.refreshed_at_ms,
                        expires_at_ms: r.expires_at_ms,
                        address: r.address,
                        user_agent: r.user_agent,
                        client_id: r.client_id,
                        scope: r.scope,
                    });
                }
            }
        }
        out.sort_by_key(|l| std::cmp::Reverse(l.created_at_ms));
        Ok(out)
    }

    /// Ends one token login of `user_id`; `not-found` when `login_id` is not one of theirs.
    pub fn end_token_login(&self, user_id: &str, login_id: &str) -> Result<()> {
        if self
            .store
            .get(&user_token_family_key(user_id, login_id))?
            .is_none()
        {
            return Err(crate::Error::rejected(
                crate::ErrorCode::NotFound,
                "The user has no token login with this id.",
            ));
        }
        self.end_token_family(user_id, login_id)?;
        self.forget_reauthentication(&format!("{TOKEN_LOGIN_ID_PREFIX}{login_id}"))?;
        Ok(())
    }

    /// Deletes a family and its index entry. Its refresh links stay until they expire and then
    /// name a family that is gone, which reads as revoked.
    fn end_token_family(&self, user_id: &str, family_id: &str) -> Result<()> {
        self.store.delete(&token_family_key(family_id), None)?;
        self.store
            .delete(&user_token_family_key(user_id, family_id), None)?;
        Ok(())
    }
}

impl Sesame<'_> {
    /// The signed-in user of a session token or of an access token (a JWT).
    pub fn validate_credential(&self, token: &str) -> Result<SessionInfo> {
        if is_access_token(token) {
            self.validate_access_token(token)
        } else {
            self.validate_session(token)
        }
    }
}

/// Whether a bearer token is an access token (a JWT, with dots) rather than a session token
/// (base64url, never a dot).
pub fn is_access_token(token: &str) -> bool {
    token.contains('.')
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 2] = [
    (
        records::TOKEN_FAMILY_PREFIX,
        records::reencode::<FamilyRecord>,
    ),
    (records::REFRESH_PREFIX, records::reencode::<RefreshRecord>),
];

#[cfg(test)]
mod tests;
