//! Access tokens as JWTs (RFC 9068 profile, `typ: at+jwt`, `alg: EdDSA`): signing with the
//! current key generation, and the offline verification any service can do with the JWKS.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::AccessClaims;
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
}

impl Sesame<'_> {
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
        let now = self.host.now_ms() / 1000;
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

    /// Signs the access token of `user` in the login `family_id`, issued at `now` and expiring
    /// at `exp` (seconds since the epoch), with the current key generation.
    pub(super) fn sign_access_token(
        &self,
        user: &User,
        family_id: &str,
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
            aud: self.token_audience().to_owned(),
            iat: now,
            exp,
            jti: URL_SAFE_NO_PAD.encode(random_array::<16>(self.host)?),
            sid: family_id.to_owned(),
            roles: user.roles.clone(),
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
