//! Rotating refresh tokens, recognising a replaced one coming back, and ending a login on
//! request.

use sha2::{Digest, Sha256};

use super::grants::{GrantFacts, grant_facts};
use super::{FamilyRecord, REFRESH_TOKEN_PREFIX, RefreshRecord, TokenPair};
use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::records::{self, CAS_ATTEMPTS, refresh_key, token_family_key};
use crate::store::StoreError;

impl Sesame<'_> {
    /// Exchanges a refresh token for a new pair. The old refresh token stops working; using it
    /// again revokes the whole login.
    ///
    /// WIT: `sesame:auth/tokens.refresh`.
    pub fn refresh_tokens(&self, refresh_token: &str) -> Result<TokenPair> {
        Ok(self.refresh_family(refresh_token, None)?.0)
    }

    /// Rotates the refresh token of a login granted to the OAuth client `client_id`; the new
    /// pair and the facts of the login it continues (for the ID token), as just checked.
    pub(crate) fn refresh_oauth_tokens(
        &self,
        refresh_token: &str,
        client_id: &str,
    ) -> Result<(TokenPair, GrantFacts)> {
        let (pair, family) = self.refresh_family(refresh_token, Some(client_id))?;
        let grant = grant_facts(&pair.login_id, family);
        Ok((pair, grant))
    }

    /// Rotates a refresh token of a login granted to `client_id` (`None`: a login of Sesame's
    /// own token API). A token of another kind of login is refused without touching it, so a
    /// client's refresh token cannot be turned into a Sesame login or another client's.
    fn refresh_family(
        &self,
        refresh_token: &str,
        client_id: Option<&str>,
    ) -> Result<(TokenPair, FamilyRecord)> {
        let hash = parse_refresh_token(refresh_token)?;
        let Some((link, _)) = records::load::<RefreshRecord>(self.store, &refresh_key(&hash))?
        else {
            return Err(refresh_refused());
        };
        let family_id = link.family_id;
        let key = token_family_key(&family_id);
        let (new_token, new_hash) = self.new_refresh_token()?;
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut family, version)) = records::load::<FamilyRecord>(self.store, &key)?
            else {
                return Err(refresh_refused());
            };
            if family.client_id.as_deref() != client_id {
                return Err(refresh_refused());
            }
            let now = self.host.now_ms();
            if now >= family.expires_at_ms
                || now
                    >= family
                        .refreshed_at_ms
                        .saturating_add(self.config.tokens.refresh_idle_ms)
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
                Some((record, _)) if record.active && family.epoch >= record.session_epoch => {
                    record.public()
                }
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
                    let pair = self.token_pair(user, &family_id, &family, new_token)?;
                    return Ok((pair, family));
                }
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("token family"))
    }

    /// Ends the login that `token` (an access or a refresh token) of Sesame's own token API
    /// belongs to; another kind of token is answered the same way and left alone.
    ///
    /// WIT: `sesame:auth/tokens.revoke`.
    pub fn revoke_tokens(&self, token: &str) -> Result<()> {
        if token.starts_with(REFRESH_TOKEN_PREFIX) {
            let hash = parse_refresh_token(token)?;
            // A login granted to an OAuth client is revoked by that client, authenticated
            // (`/oauth/revoke`, RFC 7009), not by whoever holds its refresh token here.
            if let Some((link, _)) =
                records::load::<RefreshRecord>(self.store, &refresh_key(&hash))?
                && let Some((family, _)) =
                    records::load::<FamilyRecord>(self.store, &token_family_key(&link.family_id))?
                && family.client_id.is_none()
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
