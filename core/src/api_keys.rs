//! Service-to-service API keys: named, scoped keys that services present as
//! `Authorization: Bearer`, created and revoked by administrators.
//!
//! A key is shown once, at creation. The store keeps its SHA-256, compared in constant time, so
//! a copy of the database does not yield usable keys. The format,
//! `sesame_ak_{16 hex id}_{43 base64url}`, carries the id for a direct lookup and a prefix that
//! secret scanners and people recognise.
//!
//! WIT: `sesame:auth/api-keys`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{API_KEY_RECORD_PREFIX, api_key_key};

/// An API key's public facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    /// Identifier (16 hex digits), part of the key and safe to show.
    pub id: String,
    /// What the administrator called it.
    pub name: String,
    /// What it may do; checked by `/auth/check?scope=` and by hosts.
    pub scopes: Vec<String>,
    /// Creation time, ms since the epoch.
    pub created_at_ms: u64,
}

/// A new key and its only copy of the secret.
#[derive(Debug)]
pub struct CreatedApiKey {
    /// Its public facts.
    pub info: ApiKeyInfo,
    /// The key to hand to the service.
    pub key: Zeroizing<String>,
}

/// Prefix of every API key.
pub const API_KEY_PREFIX: &str = "sesame_ak_";

/// Most scopes one key may hold.
const MAX_SCOPES: usize = 32;

/// The stored form (`api-key/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ApiKeyRecord {
    v: u32,
    #[serde(flatten)]
    info: ApiKeyInfo,
    /// SHA-256 of the whole key, hex.
    key_hash: String,
}

impl Sesame<'_> {
    /// Creates a key named `name` holding `scopes`.
    ///
    /// WIT: `sesame:auth/api-keys.create`.
    pub fn create_api_key(&self, name: &str, scopes: &[String]) -> Result<CreatedApiKey> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(|c| c.is_control()) {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "An API key needs a name of 1 to 64 printable characters.",
            ));
        }
        if scopes.len() > MAX_SCOPES {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                format!("An API key may hold at most {MAX_SCOPES} scopes."),
            ));
        }
        for scope in scopes {
            if !valid_scope(scope) {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "Scopes are 1 to 64 characters of a-z, 0-9, ':', '.', '_' and '-'.",
                ));
            }
        }
        let id = hex::encode(random_array::<8>(self.host)?);
        let key = Zeroizing::new(format!(
            "{API_KEY_PREFIX}{id}_{}",
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?)
        ));
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let info = ApiKeyInfo {
            id: id.clone(),
            name: name.to_owned(),
            scopes,
            created_at_ms: self.host.now_ms(),
        };
        let record = ApiKeyRecord {
            v: 1,
            info: info.clone(),
            key_hash: hex::encode(Sha256::digest(key.as_bytes())),
        };
        crate::records::save(self.store, &api_key_key(&id), &record, Some(0), None)?;
        Ok(CreatedApiKey { info, key })
    }

    /// Every key, by name.
    ///
    /// WIT: `sesame:auth/api-keys.list`.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .scan(API_KEY_RECORD_PREFIX, after.as_deref(), 500)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (key, entry) in &page {
                let record: ApiKeyRecord = crate::records::decode(key, &entry.value)?;
                out.push(record.info);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Revokes the key `id`; `not-found` when there is none.
    ///
    /// WIT: `sesame:auth/api-keys.revoke`.
    pub fn revoke_api_key(&self, id: &str) -> Result<()> {
        let key = api_key_key(id);
        if !valid_id(id) || self.store.get(&key)?.is_none() {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "There is no API key with this id.",
            ));
        }
        self.store.delete(&key, None)?;
        Ok(())
    }

    /// The facts of the key with this id, if there is one.
    pub(crate) fn api_key_info(&self, id: &str) -> Result<Option<ApiKeyInfo>> {
        if !valid_id(id) {
            return Ok(None);
        }
        Ok(
            crate::records::load::<ApiKeyRecord>(self.store, &api_key_key(id))?
                .map(|(record, _)| record.info),
        )
    }

    /// The key's facts if `key` is a live API key; `unauthenticated` otherwise.
    ///
    /// WIT: `sesame:auth/api-keys.verify`.
    pub fn verify_api_key(&self, key: &str) -> Result<ApiKeyInfo> {
        let refused = || {
            Error::rejected(
                ErrorCode::Unauthenticated,
                "The API key is malformed, unknown or revoked.",
            )
        };
        let id = key
            .strip_prefix(API_KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .filter(|(id, secret)| valid_id(id) && secret.len() == 43)
            .map(|(id, _)| id)
            .ok_or_else(refused)?;
        let Some((record, _)) = crate::records::load::<ApiKeyRecord>(self.store, &api_key_key(id))?
        else {
            return Err(refused());
        };
        let presented = hex::encode(Sha256::digest(key.as_bytes()));
        if !bool::from(presented.as_bytes().ct_eq(record.key_hash.as_bytes())) {
            return Err(refused());
        }
        Ok(record.info)
    }
}

fn valid_scope(scope: &str) -> bool {
    (1..=64).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":._-".contains(&b))
}

fn valid_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The codec of the stored API keys, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODEC: crate::records::Codec = (
    API_KEY_RECORD_PREFIX,
    crate::records::reencode::<ApiKeyRecord>,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::testing::Fixture;

    #[test]
    fn keys_verify_until_revoked_and_only_hashes_are_stored() {
        let f = Fixture::new();
        let sesame = f.sesame();
        let created = sesame
            .create_api_key("billing", &["users:read".into(), "users:read".into()])
            .unwrap();
        assert_eq!(created.info.scopes, ["users:read"]);
        assert!(created.key.starts_with(API_KEY_PREFIX));
        assert_eq!(sesame.verify_api_key(&created.key).unwrap(), created.info);
        let secret = created.key.rsplit_once('_').unwrap().1;
        for (_, entry) in f.store.scan("", None, 100).unwrap() {
            assert!(!String::from_utf8_lossy(&entry.value).contains(secret));
        }
        assert_eq!(
            sesame.list_api_keys().unwrap(),
            std::slice::from_ref(&created.info)
        );

        // One changed character, or a well-formed key that was never issued, is refused.
        let mut altered = created.key.to_string();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        for bad in [altered.as_str(), "sesame_ak_", "", "sesame_ak_zz_yy"] {
            let err = sesame.verify_api_key(bad).unwrap_err();
            assert_eq!(crate::AuthError::from(err).code, ErrorCode::Unauthenticated);
        }

        sesame.revoke_api_key(&created.info.id).unwrap();
        assert!(sesame.verify_api_key(&created.key).is_err());
        let again = sesame.revoke_api_key(&created.info.id).unwrap_err();
        assert_eq!(crate::AuthError::from(again).code, ErrorCode::NotFound);
    }

    #[test]
    fn names_and_scopes_are_validated() {
        let f = Fixture::new();
        let sesame = f.sesame();
        for (name, scopes) in [
            ("", vec![]),
            ("x".repeat(65).as_str(), vec![]),
            ("ok", vec!["Has Upper".to_owned()]),
            ("ok", vec![String::new()]),
            ("ok", (0..33).map(|i| format!("s{i}")).collect()),
        ] {
            let err = sesame.create_api_key(name, &scopes).unwrap_err();
            assert_eq!(crate::AuthError::from(err).code, ErrorCode::InvalidRequest);
        }
    }
}
