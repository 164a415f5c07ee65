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
//! WIT: `sesame:auth/tokens`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Sesame;
use crate::accounts::User;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::records::{self, CAS_ATTEMPTS};
use crate::sessions::{ClientInfo, SessionInfo};
use crate::store::StoreError;

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
}

/// Prefix of the [`SessionInfo::id`] of a token login, which sets it apart from a session's.
pub const TOKEN_LOGIN_ID_PREFIX: &str = "tokens-";

/// Prefix of refresh tokens, so secret scanners and people recognise them.
pub const REFRESH_TOKEN_PREFIX: &str = "sesame_rt_";

/// Longest access token accepted, in bytes; ours are about 600.
const MAX_ACCESS_TOKEN_BYTES: usize = 4096;

/// Clock skew tolerated on `iat`, in seconds.
const MAX_FUTURE_SKEW_SECS: u64 = 60;

/// The `typ` header of access tokens (RFC 9068).
const ACCESS_TOKEN_TYPE: &str = "at+jwt";

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
}

/// How a token login comes to be.
struct FamilyOrigin {
    /// The session it is made from, if any.
    session_id: Option<String>,
    /// When the person last really authenticated.
    authenticated_at_ms: u64,
    /// Whether that included a second factor.
    second_factor: bool,
    /// The latest the login may end: the session's absolute end for one made from a session.
    ends_by_ms: Option<u64>,
}

/// `refresh/{sha256}`: which family a refresh token (current or replaced) belongs to. Kept
/// after rotation so a replayed token is recognised as such.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    v: u32,
    family_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JwtHeader {
    alg: String,
    typ: String,
    kid: String,
}

#[derive(Serialize, Deserialize)]
struct JwtClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    jti: String,
    sid: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl Sesame<'_> {
    /// Signs in with an identity and password and starts a token login. Throttled and locked
    /// out exactly like [`Sesame::login`]; refused with `second-factor-required` when the user
    /// has two-factor on.
    ///
    /// WIT: `sesame:auth/tokens.issue`.
    pub fn issue_tokens(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<TokenPair> {
        let user = self.check_password(identity, password, client)?;
        // A password alone never yields tokens for a user with two-factor on: they sign in with
        // both factors, then exchange the session (`issue_tokens_for_session`).
        if self.two_factor_required(&user.id)? {
            return Err(Error::SecondFactorRequired);
        }
        let origin = FamilyOrigin {
            session_id: None,
            authenticated_at_ms: self.env.now_ms(),
            second_factor: false,
            ends_by_ms: None,
        };
        self.start_token_family(user.public(), client, origin)
    }

    /// Starts a token login for the holder of a live session (a web app handing tokens to its
    /// own scripts or a companion app). The login is the session's in every respect that
    /// matters to security: it carries the session's authentication time and factors (so it
    /// is never fresher than the session), and it ends when the session ends (sign-out,
    /// sign-out everywhere, idle or absolute expiry), at the latest at the session's absolute
    /// end.
    ///
    /// WIT: `sesame:auth/tokens.issue-for-session`.
    pub fn issue_tokens_for_session(
        &self,
        session_token: &str,
        client: &ClientInfo,
    ) -> Result<TokenPair> {
        let info = self.validate_session(session_token)?;
        let origin = FamilyOrigin {
            session_id: Some(info.id.clone()),
            authenticated_at_ms: self.authenticated_at(&info)?,
            second_factor: info.second_factor,
            ends_by_ms: Some(info.expires_at_ms),
        };
        self.start_token_family(info.user, client, origin)
    }

    /// Whether a token login may still be used: one made from a session only while that
    /// session lives.
    fn family_parent_alive(&self, family: &FamilyRecord) -> Result<bool> {
        match &family.session_id {
            Some(session_id) => self.session_alive(session_id),
            None => Ok(true),
        }
    }

    /// Exchanges a refresh token for a new pair. The old refresh token stops working; using it
    /// again revokes the whole login.
    ///
    /// WIT: `sesame:auth/tokens.refresh`.
    pub fn refresh_tokens(&self, refresh_token: &str) -> Result<TokenPair> {
        let hash = parse_refresh_token(refresh_token)?;
        let Some((link, _)) = records::load::<RefreshRecord>(self.store, &refresh_key(&hash))?
        else {
            return Err(refresh_refused());
        };
        let family_id = link.family_id;
        let key = family_key(&family_id);
        let (new_token, new_hash) = self.new_refresh_token()?;
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut family, version)) = records::load::<FamilyRecord>(self.store, &key)?
            else {
                return Err(refresh_refused());
            };
            let now = self.env.now_ms();
            if now >= family.expires_at_ms
                || now
                    >= family
                        .refreshed_at_ms
                        .saturating_add(self.config.refresh_idle_ms)
            {
                self.end_token_family(&family.user_id, &family_id)?;
                return Err(refresh_refused());
            }
            if !self.family_parent_alive(&family)? {
                self.end_token_family(&family.user_id, &family_id)?;
                return Err(refresh_refused());
            }
            if family.refresh_hash != hash {
                // A replaced token came back: someone holds a copy. End the login for everyone.
                self.end_token_family(&family.user_id, &family_id)?;
                self.emit(EventKind::RefreshTokenReused, Some(&family.user_id), None);
                return Err(Error::rejected(
                    ErrorCode::Unauthenticated,
                    "This refresh token was already used, so this sign-in has been ended on every device. Sign in again.",
                ));
            }
            let user = match self.load_user(&family.user_id)? {
                Some((record, _)) if record.active => record.public(),
                _ => {
                    self.end_token_family(&family.user_id, &family_id)?;
                    return Err(refresh_refused());
                }
            };
            // The link first: if the swap below loses, it points at a family that never names
            // it, which only ever reads as a replayed token.
            let link = RefreshRecord {
                v: 1,
                family_id: family_id.clone(),
            };
            let remaining = family.expires_at_ms.saturating_sub(now).max(1);
            records::save(
                self.store,
                &refresh_key(&new_hash),
                &link,
                None,
                Some(remaining),
            )?;
            family.refresh_hash = new_hash.clone();
            family.refreshed_at_ms = now;
            let ttl = self.family_ttl(&family, now);
            match records::save(self.store, &key, &family, Some(version), Some(ttl)) {
                Ok(_) => {
                    return self.token_pair(user, &family_id, &family, new_token);
                }
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("token family"))
    }

    /// Ends the login that `token` (an access or a refresh token) belongs to.
    ///
    /// WIT: `sesame:auth/tokens.revoke`.
    pub fn revoke_tokens(&self, token: &str) -> Result<()> {
        if token.starts_with(REFRESH_TOKEN_PREFIX) {
            let hash = parse_refresh_token(token)?;
            if let Some((link, _)) =
                records::load::<RefreshRecord>(self.store, &refresh_key(&hash))?
                && let Some((family, _)) =
                    records::load::<FamilyRecord>(self.store, &family_key(&link.family_id))?
            {
                self.end_token_family(&family.user_id, &link.family_id)?;
                self.emit(EventKind::SessionRevoked, Some(&family.user_id), None);
            }
            return Ok(());
        }
        let claims = self.verify_access_token(token)?;
        self.end_token_family(&claims.user_id, &claims.family_id)?;
        self.emit(EventKind::SessionRevoked, Some(&claims.user_id), None);
        Ok(())
    }

    /// Checks an access token's signature, key, type, issuer, audience and times, without
    /// looking at the store beyond the keyring. This is what a third party does with the JWKS.
    ///
    /// WIT: `sesame:auth/tokens.verify-access`.
    pub fn verify_access_token(&self, token: &str) -> Result<AccessClaims> {
        if token.len() > MAX_ACCESS_TOKEN_BYTES {
            return Err(access_refused("The access token is too long."));
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(access_refused(
                "The access token is not a JWT (three dot-separated parts).",
            ));
        };
        let header: JwtHeader = decode_json(header_b64)?;
        if header.alg != "EdDSA" {
            return Err(access_refused(
                "The access token's algorithm is not accepted; Sesame signs with EdDSA only.",
            ));
        }
        if header.typ != ACCESS_TOKEN_TYPE {
            return Err(access_refused("This is not an access token (typ at+jwt)."));
        }
        let Some(key) = self.keyring()?.access_verifying_key(&header.kid) else {
            return Err(access_refused(
                "The access token was signed by an unknown or retired key.",
            ));
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or_else(|| access_refused("The access token's signature is malformed."))?;
        let signed = &token[..header_b64.len() + 1 + claims_b64.len()];
        key.verify_strict(signed.as_bytes(), &signature)
            .map_err(|_| access_refused("The access token's signature does not verify."))?;
        let claims: JwtClaims = decode_json(claims_b64)?;
        let now = self.env.now_ms() / 1000;
        if claims.iss != self.config.public_url || claims.aud != self.token_audience() {
            return Err(access_refused(
                "The access token was issued for another issuer or audience.",
            ));
        }
        if now >= claims.exp {
            return Err(access_refused("The access token has expired; refresh it."));
        }
        if claims.iat > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return Err(access_refused("The access token is issued in the future."));
        }
        Ok(AccessClaims {
            user_id: claims.sub,
            family_id: claims.sid,
            roles: claims.roles,
            issued_at_secs: claims.iat,
            expires_at_secs: claims.exp,
        })
    }

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
            records::load::<FamilyRecord>(self.store, &family_key(&claims.family_id))?
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
        })
    }

    /// Ends every token login of `user_id`; returns how many.
    pub(crate) fn end_all_token_families(&self, user_id: &str) -> Result<usize> {
        let prefix = format!("user-token-family/{user_id}/");
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

    /// Starts a family for `user` and issues its first pair.
    fn start_token_family(
        &self,
        user: User,
        client: &ClientInfo,
        origin: FamilyOrigin,
    ) -> Result<TokenPair> {
        let family_id = hex::encode(random_array::<16>(self.env)?);
        let (token, hash) = self.new_refresh_token()?;
        let now = self.env.now_ms();
        let own_end = now.saturating_add(self.config.refresh_absolute_ms);
        let family = FamilyRecord {
            v: 1,
            user_id: user.id.clone(),
            created_at_ms: now,
            expires_at_ms: origin.ends_by_ms.map_or(own_end, |end| end.min(own_end)),
            refresh_hash: hash.clone(),
            refreshed_at_ms: now,
            address: client.address.clone(),
            user_agent: client.kept_user_agent(),
            session_id: origin.session_id,
            authenticated_at_ms: Some(origin.authenticated_at_ms),
            second_factor: origin.second_factor,
        };
        // The index first, so log-out-everywhere can always find a family that exists.
        self.store.put(
            &user_family_key(&user.id, &family_id),
            b"",
            None,
            Some(self.config.refresh_absolute_ms),
        )?;
        let link = RefreshRecord {
            v: 1,
            family_id: family_id.clone(),
        };
        records::save(
            self.store,
            &refresh_key(&hash),
            &link,
            Some(0),
            Some(self.config.refresh_absolute_ms),
        )?;
        let ttl = self.family_ttl(&family, now);
        records::save(
            self.store,
            &family_key(&family_id),
            &family,
            Some(0),
            Some(ttl),
        )?;
        self.emit(
            EventKind::LoginSucceeded,
            Some(&user.id),
            client.address.as_deref(),
        );
        self.token_pair(user, &family_id, &family, token)
    }

    /// Signs an access token for `user` in `family_id`, and pairs it with `refresh_token`.
    fn token_pair(
        &self,
        user: User,
        family_id: &str,
        family: &FamilyRecord,
        refresh_token: Zeroizing<String>,
    ) -> Result<TokenPair> {
        let now_ms = self.env.now_ms();
        let now = now_ms / 1000;
        // An access token never outlives its login.
        let exp = (now_ms.saturating_add(self.config.access_token_ttl_ms))
            .min(family.expires_at_ms)
            / 1000;
        let (key, kid) = self.keyring()?.access_signing_key();
        let header = JwtHeader {
            alg: "EdDSA".into(),
            typ: ACCESS_TOKEN_TYPE.into(),
            kid,
        };
        let claims = JwtClaims {
            iss: self.config.public_url.clone(),
            sub: user.id.clone(),
            aud: self.token_audience().to_owned(),
            iat: now,
            exp,
            jti: URL_SAFE_NO_PAD.encode(random_array::<16>(self.env)?),
            sid: family_id.to_owned(),
            roles: user.roles.clone(),
        };
        let signing_input = format!("{}.{}", encode_json(&header)?, encode_json(&claims)?);
        let signature = key.sign(signing_input.as_bytes());
        let access_token = Zeroizing::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ));
        Ok(TokenPair {
            access_token,
            expires_in_secs: exp.saturating_sub(now),
            refresh_token,
            refresh_expires_at_ms: family.expires_at_ms,
            user,
        })
    }

    /// Deletes a family and its index entry. Its refresh links stay until they expire and then
    /// name a family that is gone, which reads as revoked.
    fn end_token_family(&self, user_id: &str, family_id: &str) -> Result<()> {
        self.store.delete(&family_key(family_id), None)?;
        self.store
            .delete(&user_family_key(user_id, family_id), None)?;
        Ok(())
    }

    fn new_refresh_token(&self) -> Result<(Zeroizing<String>, String)> {
        let token = Zeroizing::new(format!(
            "{REFRESH_TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.env)?)
        ));
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        Ok((token, hash))
    }

    /// Time until the family would end if not refreshed: the sooner of idle and absolute end.
    fn family_ttl(&self, family: &FamilyRecord, now: u64) -> u64 {
        family
            .refreshed_at_ms
            .saturating_add(self.config.refresh_idle_ms)
            .min(family.expires_at_ms)
            .saturating_sub(now)
            .max(1)
    }

    fn token_audience(&self) -> &str {
        self.config
            .token_audience
            .as_deref()
            .unwrap_or(&self.config.public_url)
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

/// Checks the shape of a refresh token and returns its SHA-256 in hex.
fn parse_refresh_token(raw: &str) -> Result<String> {
    let well_formed = raw.strip_prefix(REFRESH_TOKEN_PREFIX).is_some_and(|body| {
        body.len() == 43
            && body
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    });
    if !well_formed {
        return Err(Error::rejected(
            ErrorCode::Unauthenticated,
            "The refresh token is malformed.",
        ));
    }
    Ok(hex::encode(Sha256::digest(raw.as_bytes())))
}

fn refresh_refused() -> Error {
    Error::rejected(
        ErrorCode::Unauthenticated,
        "The refresh token is unknown, expired or revoked. Sign in again.",
    )
}

fn access_refused(message: &str) -> Error {
    Error::rejected(ErrorCode::Unauthenticated, message)
}

fn encode_json<T: Serialize>(value: &T) -> Result<String> {
    let bytes = serde_json::to_vec(value).map_err(|e| Error::Corrupt {
        key: "jwt".into(),
        reason: e.to_string(),
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| access_refused("The access token is not valid base64url."))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| access_refused("The access token's header or claims are not as issued."))
}

/// Key of a token family.
fn family_key(id: &str) -> String {
    format!("token-family/{id}")
}

/// Key listing one of a user's token families.
fn user_family_key(user_id: &str, family_id: &str) -> String {
    format!("user-token-family/{user_id}/{family_id}")
}

/// Key linking a refresh token hash to its family.
fn refresh_key(hash: &str) -> String {
    format!("refresh/{hash}")
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 2] = [
    ("token-family/", records::reencode::<FamilyRecord>),
    ("refresh/", records::reencode::<RefreshRecord>),
];

#[cfg(test)]
mod tests;
