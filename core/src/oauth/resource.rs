//! What resource servers and clients ask about tokens: userinfo (OpenID Connect Core §5.3),
//! revocation (RFC 7009) and introspection (RFC 7662).

use serde::Serialize;

use super::{OAuthClient, OAuthError};
use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::tokens::{Audience, GrantFacts, REFRESH_TOKEN_PREFIX, is_access_token};

/// An introspection answer (RFC 7662 §2.2); inactive tokens say nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Whether the token is live.
    pub active: bool,
    /// The scopes granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `access_token` or `refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// Issue time, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience (the client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

impl Introspection {
    fn inactive() -> Self {
        Introspection {
            active: false,
            scope: None,
            client_id: None,
            sub: None,
            token_type: None,
            exp: None,
            iat: None,
            iss: None,
            aud: None,
        }
    }
}

impl Sesame<'_> {
    /// The claims about the user of an OAuth access token (`openid` scope), as its scopes
    /// allow: `sub`; `email` and `email_verified` (scope `email`); `preferred_username`
    /// (scope `profile`); `roles` (scope `roles`).
    pub fn userinfo(&self, access_token: &str) -> Result<serde_json::Value> {
        let grant = self.live_access_grant(access_token, Audience::AnyClient)?;
        let scope = grant.scope.clone().unwrap_or_default();
        let scopes: Vec<&str> = scope.split(' ').collect();
        if !scopes.contains(&"openid") {
            return Err(Error::rejected(
                ErrorCode::Forbidden,
                "This access token was not granted the openid scope.",
            ));
        }
        let Some((user, _)) = self.load_user(&grant.user_id)? else {
            return Err(ended());
        };
        let user = user.public();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), user.id.clone().into());
        if scopes.contains(&"email") {
            claims.insert("email".into(), user.email.clone().into());
            claims.insert(
                "email_verified".into(),
                user.confirmed_at_ms.is_some().into(),
            );
        }
        if scopes.contains(&"profile")
            && let Some(username) = &user.username
        {
            claims.insert("preferred_username".into(), username.clone().into());
        }
        if scopes.contains(&"roles") {
            claims.insert("roles".into(), user.roles.clone().into());
        }
        Ok(serde_json::Value::Object(claims))
    }

    /// The live grant of an OAuth access token: the token verifies for `audience`, its login
    /// lives and its client still exists.
    fn live_access_grant(&self, access_token: &str, audience: Audience<'_>) -> Result<GrantFacts> {
        let claims = self.verify_access_token_for(access_token, Some(audience))?;
        let grant = self.live_grant(&claims.family_id)?.ok_or_else(ended)?;
        let client_alive = match &grant.client_id {
            Some(client_id) => self.oauth_client(client_id)?.is_some(),
            None => false,
        };
        if grant.user_id != claims.user_id || !client_alive {
            return Err(ended());
        }
        Ok(grant)
    }

    /// Revokes `token` (an access or refresh token) if it was issued to `client`, ending its
    /// login; tokens that are unknown, already ended or another client's are left alone and
    /// answered alike (RFC 7009 §2.2).
    pub fn revoke_oauth_token(&self, client: &OAuthClient, token: &str) -> Result<()> {
        let grant = if token.starts_with(REFRESH_TOKEN_PREFIX) {
            self.grant_of_refresh_token(token)?
        } else if is_access_token(token) {
            self.live_access_grant(token, Audience::Client(&client.id))
                .ok()
        } else {
            None
        };
        if let Some(grant) = grant.filter(|g| g.client_id.as_deref() == Some(client.id.as_str())) {
            self.end_grant(&grant)?;
            self.emit(
                crate::events::EventKind::SessionRevoked,
                Some(&grant.user_id),
                None,
            );
        }
        Ok(())
    }

    /// Introspects `token` for a resource server holding an API key with scope
    /// `introspect` (`client: None`), or for a client, which only learns about its own tokens.
    pub fn introspect(
        &self,
        token: &str,
        client: Option<&OAuthClient>,
    ) -> Result<Introspection, OAuthError> {
        let (grant, token_type, exp, iat) = if token.starts_with(REFRESH_TOKEN_PREFIX) {
            match self.grant_of_refresh_token(token)? {
                Some(grant) => {
                    let (exp, iat) = (grant.expires_at_ms / 1000, grant.created_at_ms / 1000);
                    (grant, "refresh_token", exp, iat)
                }
                None => return Ok(Introspection::inactive()),
            }
        } else {
            let audience = match client {
                Some(client) => Audience::Client(&client.id),
                None => Audience::AnyClient,
            };
            let Ok(claims) = self.verify_access_token_for(token, Some(audience)) else {
                return Ok(Introspection::inactive());
            };
            match self.live_access_grant(token, audience) {
                Ok(grant) => (
                    grant,
                    "access_token",
                    claims.expires_at_secs,
                    claims.issued_at_secs,
                ),
                Err(_) => return Ok(Introspection::inactive()),
            }
        };
        let Some(client_id) = grant.client_id.clone() else {
            return Ok(Introspection::inactive());
        };
        if client.is_some_and(|c| c.id != client_id) {
            return Ok(Introspection::inactive());
        }
        Ok(Introspection {
            active: true,
            scope: grant.scope.clone(),
            aud: Some(client_id.clone()),
            client_id: Some(client_id),
            sub: Some(grant.user_id.clone()),
            token_type: Some(token_type),
            exp: Some(exp),
            iat: Some(iat),
            iss: Some(self.config.public_url.clone()),
        })
    }
}

fn ended() -> Error {
    Error::rejected(
        ErrorCode::Unauthenticated,
        "This access token's sign-in has ended, or its client was removed.",
    )
}
