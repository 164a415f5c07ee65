//! ID tokens: what they say, how they are signed, and reading one back as an `id_token_hint`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::OAuthClient;
use crate::Sesame;
use crate::accounts::User;
use crate::error::{Error, Result};
use crate::keyring::jose::SigningAlg;
use crate::tokens::GrantFacts;

/// The `acr` of a sign-in with one factor.
pub(super) const ACR_ONE_FACTOR: &str = "urn:sesame:acr:1fa";
/// The `acr` of a sign-in with two factors (a second factor, or a passkey with user
/// verification).
pub(super) const ACR_TWO_FACTORS: &str = "urn:sesame:acr:2fa";

/// Longest ID token read back as a hint, in bytes.
const MAX_HINT_BYTES: usize = 8192;

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    azp: String,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    amr: Vec<String>,
    acr: String,
    /// The Sesame session the sign-in happened in (hashed), for RP-initiated logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
}

/// What an `id_token_hint` says, once its signature is checked (its expiry is not: a hint
/// is often presented after its token expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenHint {
    /// The user (`sub`).
    pub user_id: String,
    /// The client it was issued to (`aud`).
    pub client_id: String,
    /// The session it came from (`sid`), hashed.
    pub sid: Option<String>,
}

impl Sesame<'_> {
    /// Signs the ID token of `grant` for `client`, about `user`.
    pub(super) fn sign_id_token(
        &self,
        client: &OAuthClient,
        user: &User,
        grant: &GrantFacts,
        nonce: Option<&str>,
    ) -> Result<String> {
        let alg = client.signing_alg();
        let keyring = if alg == SigningAlg::Rs256 {
            self.keyring_with_rsa()?
        } else {
            self.keyring()?
        };
        let now = self.host.now_ms() / 1000;
        let scopes: Vec<&str> = grant
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .collect();
        let multi_factor = grant.proof.multi_factor();
        let claims = Claims {
            iss: self.config.public_url.clone(),
            sub: user.id.clone(),
            aud: client.id.clone(),
            azp: client.id.clone(),
            exp: now + self.config.oauth.id_token_ttl_ms / 1000,
            iat: now,
            auth_time: grant.authenticated_at_ms / 1000,
            nonce: nonce.map(str::to_owned),
            amr: grant
                .proof
                .methods()
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            acr: if multi_factor {
                ACR_TWO_FACTORS
            } else {
                ACR_ONE_FACTOR
            }
            .to_owned(),
            sid: grant.session_id.as_deref().map(session_sid),
            email: scopes.contains(&"email").then(|| user.email.clone()),
            email_verified: scopes
                .contains(&"email")
                .then_some(user.confirmed_at_ms.is_some()),
            preferred_username: if scopes.contains(&"profile") {
                user.username.clone()
            } else {
                None
            },
        };
        let key = keyring.signing_key(alg)?;
        let header = Header {
            alg: alg.name().to_owned(),
            typ: "JWT".to_owned(),
            kid: key.kid.clone(),
        };
        let input = format!("{}.{}", encode(&header)?, encode(&claims)?);
        let signature = key.sign(self.host, input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// Reads an ID token Sesame issued, checking its signature, type and issuer but not its
    /// expiry; `None` when it is not one.
    pub fn read_id_token_hint(&self, token: &str) -> Result<Option<IdTokenHint>> {
        if token.len() > MAX_HINT_BYTES {
            return Ok(None);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let Some(header) = decode::<Header>(header_b64) else {
            return Ok(None);
        };
        let Some(alg) = SigningAlg::from_name(&header.alg) else {
            return Ok(None);
        };
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature_b64) else {
            return Ok(None);
        };
        let input = &token[..header_b64.len() + 1 + claims_b64.len()];
        if header.typ != "JWT"
            || !self
                .keyring()?
                .verify_jws(alg, &header.kid, input.as_bytes(), &signature)
        {
            return Ok(None);
        }
        let Some(claims) = decode::<Claims>(claims_b64) else {
            return Ok(None);
        };
        if claims.iss != self.config.public_url {
            return Ok(None);
        }
        Ok(Some(IdTokenHint {
            user_id: claims.sub,
            client_id: claims.aud,
            sid: claims.sid,
        }))
    }
}

/// The `sid` of a Sesame session: a hash of its id, so the ID token does not carry the id
/// that revokes it.
pub(crate) fn session_sid(session_id: &str) -> String {
    let digest = Sha256::digest(format!("sesame oidc sid\0{session_id}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_vec(value)
        .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
        .map_err(|e| Error::Corrupt {
            key: "id token".into(),
            reason: e.to_string(),
        })
}

fn decode<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}
