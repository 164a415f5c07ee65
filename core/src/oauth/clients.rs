//! The OAuth clients Sesame signs people in for: who they are, where their users may be sent
//! back, what they may ask for, and how they prove who they are at the token endpoint.
//!
//! A confidential client gets a secret, shown once (`sesame_cs_` and 43 base64url
//! characters, 256 random bits); the store keeps its SHA-256, compared in constant time. A
//! public client (a single-page or native app) has no secret and must use PKCE.
//!
//! WIT: `sesame:auth/oauth-clients`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::redirect;
use super::{OAuthError, SCOPES};
use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::keyring::jose::SigningAlg;
use crate::records::{self, OAUTH_CLIENT_PREFIX, oauth_client_key};
use crate::throttle::Scope;

/// Prefix of client secrets, so secret scanners and people recognise them.
pub const CLIENT_SECRET_PREFIX: &str = "sesame_cs_";

/// Most redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 16;

/// An OAuth client as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    /// The `client_id`: random, never chosen.
    pub id: String,
    /// What the consent page calls it.
    pub name: String,
    /// Whether it holds a secret (a server-side app) rather than being public (PKCE only).
    pub confidential: bool,
    /// Where its users may be sent back after signing in.
    pub redirect_uris: Vec<String>,
    /// Where its users may be sent after signing out (RP-initiated logout).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The scopes it may ask for.
    pub scopes: Vec<String>,
    /// How its ID tokens are signed (`RS256`, `ES256` or `EdDSA`).
    pub id_token_alg: String,
    /// A first-party app: its users are not asked for consent.
    #[serde(default)]
    pub first_party: bool,
    /// Registered by itself at `/oauth/register` rather than by an administrator.
    #[serde(default)]
    pub dynamic: bool,
    /// Creation time, ms since the epoch.
    pub created_at_ms: u64,
}

/// What an administrator (or a dynamic registration) gives to create a client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewOAuthClient {
    /// Display name, 1 to 64 printable characters.
    pub name: String,
    /// Confidential (gets a secret) or public.
    pub confidential: bool,
    /// At least one redirect URI.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs (same rules as redirect URIs).
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed scopes; empty means `openid profile email offline_access`.
    pub scopes: Vec<String>,
    /// ID token algorithm; empty means `RS256`.
    pub id_token_alg: String,
    /// Skip consent.
    pub first_party: bool,
}

/// A new client and, for a confidential one, the only copy of its secret.
#[derive(Debug)]
pub struct CreatedOAuthClient {
    /// The client.
    pub client: OAuthClient,
    /// Its secret (`sesame_cs_...`), for confidential clients.
    pub secret: Option<Zeroizing<String>>,
}

/// The stored form (`oauth-client/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClientRecord {
    v: u32,
    #[serde(flatten)]
    client: OAuthClient,
    /// SHA-256 of the secret, hex; none for public clients.
    #[serde(default)]
    secret_hash: Option<String>,
}

/// The scopes a client may ask for when none are given.
const DEFAULT_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

impl Sesame<'_> {
    /// Registers a client; a confidential one gets its secret, shown only here.
    ///
    /// WIT: `sesame:auth/oauth-clients.add`.
    pub fn add_oauth_client(&self, spec: &NewOAuthClient) -> Result<CreatedOAuthClient> {
        self.create_client(spec, false)
    }

    pub(super) fn create_client(
        &self,
        spec: &NewOAuthClient,
        dynamic: bool,
    ) -> Result<CreatedOAuthClient> {
        let name = spec.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(hides_text) {
            return Err(invalid("A client name is 1 to 64 printable characters."));
        }
        if spec.redirect_uris.is_empty()
            || spec.redirect_uris.len() > MAX_REDIRECT_URIS
            || spec.post_logout_redirect_uris.len() > MAX_REDIRECT_URIS
        {
            return Err(invalid("A client has 1 to 16 redirect URIs."));
        }
        for uri in spec
            .redirect_uris
            .iter()
            .chain(&spec.post_logout_redirect_uris)
        {
            if let Some(problem) = redirect::registration_problem(uri) {
                return Err(invalid(format!("{problem}: {}", super::clip(uri))));
            }
        }
        let scopes: Vec<String> = if spec.scopes.is_empty() {
            DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            spec.scopes.clone()
        };
        if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(invalid(format!(
                "Unknown scope {}; Sesame knows {}.",
                super::clip(unknown),
                SCOPES.join(", ")
            )));
        }
        let alg = if spec.id_token_alg.is_empty() {
            SigningAlg::Rs256
        } else {
            SigningAlg::from_name(&spec.id_token_alg)
                .ok_or_else(|| invalid("The ID token algorithm is RS256, ES256 or EdDSA."))?
        };
        let id = URL_SAFE_NO_PAD.encode(random_array::<16>(self.host)?);
        let (secret, secret_hash) = if spec.confidential {
            let (secret, hash) = self.new_client_secret()?;
            (Some(secret), Some(hash))
        } else {
            (None, None)
        };
        let client = OAuthClient {
            id: id.clone(),
            name: name.to_owned(),
            confidential: spec.confidential,
            redirect_uris: spec.redirect_uris.clone(),
            post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
            scopes,
            id_token_alg: alg.name().to_owned(),
            first_party: spec.first_party && !dynamic,
            dynamic,
            created_at_ms: self.host.now_ms(),
        };
        let record = ClientRecord {
            v: 1,
            client: client.clone(),
            secret_hash,
        };
        records::save(self.store, &oauth_client_key(&id), &record, Some(0), None)?;
        Ok(CreatedOAuthClient { client, secret })
    }

    /// Every client, by id.
    ///
    /// WIT: `sesame:auth/oauth-clients.list`.
    pub fn oauth_clients(&self) -> Result<Vec<OAuthClient>> {
        let mut clients = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .scan(OAUTH_CLIENT_PREFIX, after.as_deref(), 500)?;
            let Some((last, _)) = page.last() else {
                return Ok(clients);
            };
            after = Some(last.clone());
            for (key, entry) in page {
                clients.push(records::decode::<ClientRecord>(&key, &entry.value)?.client);
            }
        }
    }

    /// The client `id`, if there is one.
    ///
    /// WIT: `sesame:auth/oauth-clients.get`.
    pub fn oauth_client(&self, id: &str) -> Result<Option<OAuthClient>> {
        Ok(self.client_record(id)?.map(|r| r.client))
    }

    /// Removes a client. Its tokens stop working at once on Sesame's endpoints (userinfo,
    /// refresh, introspection); access tokens others verify offline live out their minutes.
    ///
    /// WIT: `sesame:auth/oauth-clients.remove`.
    pub fn remove_oauth_client(&self, id: &str) -> Result<()> {
        if self.client_record(id)?.is_none() {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "There is no such client.",
            ));
        }
        self.store.delete(&oauth_client_key(id), None)?;
        Ok(())
    }

    /// Gives a confidential client a new secret; the old one stops working at once.
    ///
    /// WIT: `sesame:auth/oauth-clients.rotate-secret`.
    pub fn rotate_oauth_client_secret(&self, id: &str) -> Result<Zeroizing<String>> {
        for _ in 0..records::CAS_ATTEMPTS {
            let Some((mut record, version)) =
                records::load::<ClientRecord>(self.store, &oauth_client_key(id))?
            else {
                return Err(Error::rejected(
                    ErrorCode::NotFound,
                    "There is no such client.",
                ));
            };
            if !record.client.confidential {
                return Err(invalid("A public client has no secret."));
            }
            let (secret, hash) = self.new_client_secret()?;
            record.secret_hash = Some(hash);
            match records::save(
                self.store,
                &oauth_client_key(id),
                &record,
                Some(version),
                None,
            ) {
                Ok(_) => return Ok(secret),
                Err(Error::Store(crate::store::StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("oauth client"))
    }

    fn client_record(&self, id: &str) -> Result<Option<ClientRecord>> {
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(None);
        }
        Ok(records::load::<ClientRecord>(self.store, &oauth_client_key(id))?.map(|(r, _)| r))
    }

    fn new_client_secret(&self) -> Result<(Zeroizing<String>, String)> {
        let secret = Zeroizing::new(format!(
            "{CLIENT_SECRET_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?)
        ));
        let hash = hex::encode(Sha256::digest(secret.as_bytes()));
        Ok((secret, hash))
    }

    /// The client a request to a direct endpoint (token, introspection, revocation) names,
    /// once it has proven who it is: a confidential client by its secret, a public client by
    /// naming itself (its codes are bound to PKCE). `secret` is `None` when the request
    /// carried none; `address` is the caller's network address, when known.
    ///
    /// Each check is counted against the address's allowance of failures before it is made,
    /// and given back when it succeeds: parallel guesses cannot all be checked, and an
    /// address that used up its allowance is refused whatever it sends, the right secret too.
    pub(crate) fn authenticate_client(
        &self,
        id: &str,
        secret: Option<&str>,
        address: Option<&str>,
    ) -> std::result::Result<OAuthClient, OAuthError> {
        if let Some(address) = address {
            self.throttle(Scope::ClientAuthFailuresByAddress, address)?;
        }
        let client = self.check_client(id, secret)?;
        if let Some(address) = address {
            self.refund(Scope::ClientAuthFailuresByAddress, address)?;
        }
        Ok(client)
    }

    /// The client `id` when `secret` proves it (see `authenticate_client`).
    fn check_client(
        &self,
        id: &str,
        secret: Option<&str>,
    ) -> std::result::Result<OAuthClient, OAuthError> {
        let Some(record) = self.client_record(id)? else {
            return Err(OAuthError::invalid_client());
        };
        match (&record.secret_hash, secret) {
            (Some(expected), Some(given)) => {
                let given = hex::encode(Sha256::digest(given.as_bytes()));
                if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                    Ok(record.client)
                } else {
                    Err(OAuthError::invalid_client())
                }
            }
            (None, None) => Ok(record.client),
            _ => Err(OAuthError::invalid_client()),
        }
    }
}

impl OAuthClient {
    /// The algorithm its ID tokens are signed with.
    pub fn signing_alg(&self) -> SigningAlg {
        SigningAlg::from_name(&self.id_token_alg).unwrap_or_default()
    }

    /// The registered redirect URI `requested` stands for, if any.
    pub(crate) fn redirect_uri<'r>(&self, requested: &'r str) -> Option<&'r str> {
        self.redirect_uris
            .iter()
            .find(|registered| redirect::matches(registered, requested, !self.confidential))
            .map(|_| requested)
    }
}

/// Characters that hide or reorder what a name shows (controls, bidirectional overrides,
/// zero-width and other invisible format characters): a name on the consent page must read
/// as what it is.
fn hides_text(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

fn invalid(message: impl Into<String>) -> Error {
    Error::rejected(ErrorCode::InvalidRequest, message)
}

/// The codec of stored clients, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 1] =
    [(OAUTH_CLIENT_PREFIX, records::reencode::<ClientRecord>)];
