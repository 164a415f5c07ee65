//! Token logins as the OpenID provider sees them: what a login granted to an OAuth client
//! holds, whether it is still alive, and ending it.

use sha2::{Digest, Sha256};

use super::{FamilyRecord, REFRESH_TOKEN_PREFIX, RefreshRecord};
use crate::Sesame;
use crate::error::Result;
use crate::records::{self, refresh_key, token_family_key, user_token_families_prefix};
use crate::sessions::SignInProof;

/// What a live token login holds, for ID tokens, userinfo and introspection.
#[derive(Debug, Clone)]
pub(crate) struct GrantFacts {
    /// The login (family) id.
    pub family_id: String,
    /// Whose login.
    pub user_id: String,
    /// The OAuth client it was granted to, if any.
    pub client_id: Option<String>,
    /// The scopes granted (space-separated), if any.
    pub scope: Option<String>,
    /// The session it was made from, if any.
    pub session_id: Option<String>,
    /// The person's last authentication.
    pub authenticated_at_ms: u64,
    /// How the person signed in.
    pub proof: SignInProof,
    /// When the login began.
    pub created_at_ms: u64,
    /// When it ends at the latest.
    pub expires_at_ms: u64,
}

impl Sesame<'_> {
    /// The login `family_id` while it lives: not ended, not past its ends, its session (if
    /// any) alive and its user active.
    pub(crate) fn live_grant(&self, family_id: &str) -> Result<Option<GrantFacts>> {
        Ok(self
            .live_family(family_id)?
            .map(|family| grant_facts(family_id, family)))
    }

    /// The record of login `family_id` while it lives (see `live_grant`).
    fn live_family(&self, family_id: &str) -> Result<Option<FamilyRecord>> {
        let Some((family, _)) =
            records::load::<FamilyRecord>(self.store, &token_family_key(family_id))?
        else {
            return Ok(None);
        };
        let now = self.host.now_ms();
        let idle_end = family
            .refreshed_at_ms
            .saturating_add(self.config.tokens.refresh_idle_ms);
        if now >= family.expires_at_ms || now >= idle_end || !self.family_parent_alive(&family)? {
            return Ok(None);
        }
        match self.load_user(&family.user_id)? {
            Some((user, _)) if user.active => Ok(Some(family)),
            _ => Ok(None),
        }
    }

    /// The live login whose current refresh token is `token`; `None` for a replaced, unknown
    /// or malformed one.
    pub(crate) fn grant_of_refresh_token(&self, token: &str) -> Result<Option<GrantFacts>> {
        if !token.starts_with(REFRESH_TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        let Some((link, _)) = records::load::<RefreshRecord>(self.store, &refresh_key(&hash))?
        else {
            return Ok(None);
        };
        let Some(family) = self.live_family(&link.family_id)? else {
            return Ok(None);
        };
        Ok((family.refresh_hash == hash).then(|| grant_facts(&link.family_id, family)))
    }

    /// Ends a login.
    pub(crate) fn end_grant(&self, grant: &GrantFacts) -> Result<()> {
        self.end_token_family(&grant.user_id, &grant.family_id)
    }

    /// Ends every login of `user_id` granted to `client_id`; returns how many.
    pub(crate) fn end_client_grants(&self, user_id: &str, client_id: &str) -> Result<usize> {
        let prefix = user_token_families_prefix(user_id);
        let mut after: Option<String> = None;
        let mut ended = 0;
        loop {
            let page = self.store.scan(&prefix, after.as_deref(), 500)?;
            let Some((last, _)) = page.last() else {
                return Ok(ended);
            };
            after = Some(last.clone());
            for (key, _) in page {
                let Some(family_id) = key.strip_prefix(&prefix) else {
                    continue;
                };
                let granted =
                    records::load::<FamilyRecord>(self.store, &token_family_key(family_id))?
                        .is_some_and(|(family, _)| family.client_id.as_deref() == Some(client_id));
                if granted {
                    self.end_token_family(user_id, family_id)?;
                    ended += 1;
                }
            }
        }
    }
}

pub(super) fn grant_facts(family_id: &str, family: FamilyRecord) -> GrantFacts {
    GrantFacts {
        family_id: family_id.to_owned(),
        proof: SignInProof::from_stored(&family.methods, family.second_factor),
        user_id: family.user_id,
        client_id: family.client_id,
        scope: family.scope,
        session_id: family.session_id,
        authenticated_at_ms: family.authenticated_at_ms.unwrap_or(family.created_at_ms),
        created_at_ms: family.created_at_ms,
        expires_at_ms: family.expires_at_ms,
    }
}
