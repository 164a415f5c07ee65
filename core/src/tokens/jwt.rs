//! Access tokens as JWTs (RFC 9068 profile, `typ: at+jwt`, `alg: EdDSA`): signing with the
//! current key generation, and the offline verification any service can do with the JWKS.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{AccessClaims, FamilyRecord};
use crate::Sesame;
use crate::accounts::User;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};

/// Longest access token accepted, in bytes; ours are about 600.
const MAX_ACCESS_TOKEN_BYTES: usize = 4096;

/// Clock skew tolerated on `iat`, in seconds.
const MAX_FUTURE_SKEW_SECS: u64 = 60;

/// The `typ` header of access tokens (RFC 9068).
const ACCESS_TOKEN_TYPE: &str = "at+jwt";

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
    /// The OAuth client the token was issued to (RFC 9068), for tokens of OAuth grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// The scopes granted (RFC 9068), for tokens of OAuth grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl Sesame<'_> {
    /// Checks an access token's signature, key, type, issuer, audience and times, without
    /// looking at the store beyond the keyring. This is what a third party does with the JWKS.
    ///
    /// WIT: `sesame:auth/tokens.verify-access`.
    pub fn verify_access_token(&self, token: &str) -> Result<AccessClaims> {
        self.verify_access_token_for(token, None)
    }

    /// Like [`Sesame::verify_access_token`] for the token of an OAuth grant: the audience must
    /// be `client_id` when given, or any OAuth client's when `None` is given through
    /// [`Audience::AnyClient`].
    pub(crate) fn verify_access_token_for(
        &self,
        token: &str,
        audience: Option<Audience<'_>>,
    ) -> Result<AccessClaims> {
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
        let now = self.host.now_ms() / 1000;
        let audience_ok = match audience {
            None => claims.aud == self.token_audience() && claims.client_id.is_none(),
            Some(Audience::Client(client)) => {
                claims.aud == client && claims.client_id.as_deref() == Some(client)
            }
            Some(Audience::AnyClient) => {
                claims.client_id.is_some() && claims.client_id.as_deref() == Some(&claims.aud)
            }
        };
        if claims.iss != self.config.public_url || !audience_ok {
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
            client_id: claims.client_id,
            scope: claims.scope,
        })
    }

    /// Signs the access token of `user` in the login `family_id`, issued at `now` and expiring
    /// at `exp` (seconds since the epoch), with the current key generation.
    pub(super) fn sign_access_token(
        &self,
        user: &User,
        family_id: &str,
        family: &FamilyRecord,
        now: u64,
        exp: u64,
    ) -> Result<Zeroizing<String>> {
        let (key, kid) = self.keyring()?.access_signing_key();
        let header = JwtHeader {
            alg: "EdDSA".into(),
            typ: ACCESS_TOKEN_TYPE.into(),
            kid,
        };
        let claims = JwtClaims {
            iss: self.config.public_url.clone(),
            sub: user.id.clone(),
            aud: family
                .client_id
                .clone()
                .unwrap_or_else(|| self.token_audience().to_owned()),
            iat: now,
            exp,
            jti: URL_SAFE_NO_PAD.encode(random_array::<16>(self.host)?),
            sid: family_id.to_owned(),
            roles: user.roles.clone(),
            client_id: family.client_id.clone(),
            scope: family.scope.clone(),
        };
        let signing_input = format!("{}.{}", encode_json(&header)?, encode_json(&claims)?);
        let signature = key.sign(signing_input.as_bytes());
        Ok(Zeroizing::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )))
    }
    fn token_audience(&self) -> &str {
        self.config
            .tokens
            .audience
            .as_deref()
            .unwrap_or(&self.config.public_url)
    }
}

/// Whose access tokens a check accepts besides Sesame's own.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Audience<'a> {
    /// Tokens issued to this OAuth client.
    Client(&'a str),
    /// Tokens issued to any OAuth client (userinfo).
    AnyClient,
}

pub(super) fn access_refused(message: &str) -> Error {
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
