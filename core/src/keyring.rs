//! Key generations: which keys sign Sesame's tokens, and how keys are rotated without breaking
//! what was signed before.
//!
//! Every key is derived from the host's master secret and a generation number, so no private
//! key is ever written to the store: the store only records which generations exist and when
//! each was retired. Rotation starts a new generation that signs from then on; a retired
//! generation still verifies until everything it could have signed has expired
//! ([`Keyring::retention_ms`]), then it is dropped.
//!
//! Each generation yields:
//! - an HMAC-SHA256 key for [`crate::signer::Signer`] (email links, the WIT `signer` export);
//! - JWT signing keys ([`jose`]): Ed25519 for access tokens, and RSA, P-256 and Ed25519 for
//!   OpenID Connect ID tokens, published in the JWKS with a `kid` that is each key's RFC 7638
//!   thumbprint. The RSA key is the one key that is generated rather than derived; it is kept
//!   sealed in the keyring record.
//!
//! WIT: `sesame:auth/tokens.rotate-keys` and `list-keys`.

pub mod jose;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Sesame;
use crate::error::{Error, Result};
use crate::records::{self, CAS_ATTEMPTS, KEYRING_KEY};
use crate::settings::MasterSecret;
use crate::signer::Signer;

/// One key generation as listed to administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGeneration {
    /// Generation number, from 1.
    pub number: u32,
    /// When it began signing (0 for the implicit first generation).
    pub created_at_ms: u64,
    /// When a newer generation replaced it; `None` for the current one.
    pub retired_at_ms: Option<u64>,
}

/// The key generations in use: the current one signs, all of them verify.
#[derive(Debug, Clone)]
pub struct Keyring {
    generations: Vec<KeyGeneration>,
    /// Sealed RSA keys by generation ([`jose`]).
    rsa_keys: BTreeMap<u32, String>,
    secret: MasterSecret,
}

/// The stored form of the keyring (`keyring`). Holds no key material.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyringRecord {
    v: u32,
    generations: Vec<KeyGeneration>,
    /// Each generation's RSA key, sealed; generations without one get it when first needed.
    #[serde(default)]
    rsa_keys: BTreeMap<u32, String>,
}

impl Sesame<'_> {
    /// The keyring as stored, or the implicit first generation when keys were never rotated.
    pub fn keyring(&self) -> Result<Keyring> {
        let (record, _) = self.keyring_record()?;
        Ok(Keyring {
            generations: record.generations,
            rsa_keys: record.rsa_keys,
            secret: self.config.secret.clone(),
        })
    }

    /// The stored keyring record and its version, or the implicit first generation (version 0).
    fn keyring_record(&self) -> Result<(KeyringRecord, u64)> {
        Ok(
            records::load::<KeyringRecord>(self.store, KEYRING_KEY)?.unwrap_or_else(|| {
                (
                    KeyringRecord {
                        v: 1,
                        generations: vec![first_generation()],
                        rsa_keys: BTreeMap::new(),
                    },
                    0,
                )
            }),
        )
    }

    /// The keyring, with an RSA key for the current generation: made and stored on the first
    /// need (by compare-and-swap, so parallel first needs agree on one key).
    pub fn keyring_with_rsa(&self) -> Result<Keyring> {
        let keyring = self.keyring()?;
        if keyring.can_sign(jose::SigningAlg::Rs256) {
            return Ok(keyring);
        }
        let current = keyring.current();
        let sealed = jose::new_sealed_rsa_key(&self.config.secret, self.host, current)?;
        for _ in 0..CAS_ATTEMPTS {
            let (mut record, version) = self.keyring_record()?;
            if record.rsa_keys.contains_key(&current)
                || !record.generations.iter().any(|g| g.number == current)
            {
                break;
            }
            record.rsa_keys.insert(current, sealed.clone());
            match records::save(self.store, KEYRING_KEY, &record, Some(version), None) {
                Ok(_) => break,
                Err(Error::Store(crate::store::StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        self.keyring()
    }

    /// Starts a new key generation: it signs from now on, and the previous ones keep verifying
    /// until what they signed has expired. Generations past that are dropped.
    ///
    /// WIT: `sesame:auth/tokens.rotate-keys`.
    pub fn rotate_keys(&self) -> Result<Vec<KeyGeneration>> {
        let now = self.host.now_ms();
        let retention = self.keyring_retention_ms();
        // The new generation's RSA key is made once, before the loop: it takes a while.
        let mut sealed_rsa: Option<(u32, String)> = None;
        for _ in 0..CAS_ATTEMPTS {
            let (record, version) = self.keyring_record()?;
            let mut generations = record.generations;
            let next = generations.iter().map(|g| g.number).max().unwrap_or(0) + 1;
            let sealed = match sealed_rsa.take() {
                Some((number, sealed)) if number == next => sealed,
                _ => jose::new_sealed_rsa_key(&self.config.secret, self.host, next)?,
            };
            sealed_rsa = Some((next, sealed.clone()));
            for generation in &mut generations {
                generation.retired_at_ms.get_or_insert(now);
            }
            generations.retain(|g| g.retired_at_ms.is_none_or(|r| r + retention > now));
            generations.push(KeyGeneration {
                number: next,
                created_at_ms: now,
                retired_at_ms: None,
            });
            let mut rsa_keys = record.rsa_keys;
            rsa_keys.retain(|number, _| generations.iter().any(|g| g.number == *number));
            rsa_keys.insert(next, sealed);
            let record = KeyringRecord {
                v: 1,
                generations,
                rsa_keys,
            };
            match records::save(self.store, KEYRING_KEY, &record, Some(version), None) {
                Ok(_) => return Ok(record.generations),
                Err(Error::Store(crate::store::StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("keyring"))
    }

    /// How long a retired generation must keep verifying: the longest life of anything it
    /// signs (links in mail, access tokens), plus a minute of clock skew.
    fn keyring_retention_ms(&self) -> u64 {
        let links_secs = self
            .config
            .links
            .confirm_max_age_secs
            .max(self.config.links.reset_max_age_secs);
        links_secs
            .saturating_mul(1000)
            .max(self.config.tokens.access_ttl_ms)
            .saturating_add(60_000)
    }
}

impl Keyring {
    /// Every generation still held, oldest first.
    pub fn generations(&self) -> &[KeyGeneration] {
        &self.generations
    }

    /// The generation that signs.
    pub(crate) fn current(&self) -> u32 {
        self.generations
            .iter()
            .filter(|g| g.retired_at_ms.is_none())
            .map(|g| g.number)
            .max()
            .unwrap_or(1)
    }

    /// The HMAC signer of the current generation for `purpose`.
    pub fn signer(&self, purpose: &str) -> Signer {
        Signer::new(hmac_key(&self.secret, self.current()), purpose)
    }

    /// Verifies an HMAC-signed token against every generation held, newest first, and returns
    /// the payload and issue time of the first that accepts it.
    pub fn verify(
        &self,
        purpose: &str,
        token: &str,
        now_secs: u64,
        max_age_secs: u64,
    ) -> std::result::Result<(Vec<u8>, u64), crate::signer::SignatureError> {
        let mut last = crate::signer::SignatureError::BadSignature;
        for generation in self.generations.iter().rev() {
            let signer = Signer::new(hmac_key(&self.secret, generation.number), purpose);
            match signer.verify(token, now_secs, max_age_secs) {
                Ok(found) => return Ok(found),
                // Malformed or expired is the same under every key; stop early.
                Err(e @ crate::signer::SignatureError::Malformed) => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The Ed25519 signing key of the current generation and its `kid`.
    pub(crate) fn access_signing_key(&self) -> (SigningKey, String) {
        let key = ed25519_key(&self.secret, self.current());
        let kid = thumbprint(&key.verifying_key());
        (key, kid)
    }

    /// The Ed25519 verifying key whose `kid` is `kid`, among the generations held.
    pub(crate) fn access_verifying_key(&self, kid: &str) -> Option<VerifyingKey> {
        self.generations
            .iter()
            .map(|g| ed25519_key(&self.secret, g.number).verifying_key())
            .find(|key| thumbprint(key) == kid)
    }

    /// The public keys as a JWK Set (RFC 7517), current generation first.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.public_jwks() })
    }
}

/// The Ed25519 public key of `generation` as a JWK.
fn ed25519_jwk(secret: &MasterSecret, generation: u32) -> serde_json::Value {
    let public = ed25519_key(secret, generation).verifying_key();
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(public.as_bytes()),
        "kid": thumbprint(&public),
        "use": "sig",
        "alg": "EdDSA",
    })
}

/// The generation that exists before any rotation.
fn first_generation() -> KeyGeneration {
    KeyGeneration {
        number: 1,
        created_at_ms: 0,
        retired_at_ms: None,
    }
}

/// HMAC key of `generation`. Generation 1 keeps the derivation links have always used, so
/// links mailed before keys were ever rotated still open.
fn hmac_key(secret: &MasterSecret, generation: u32) -> Zeroizing<[u8; 32]> {
    if generation <= 1 {
        derive(secret, b"sesame signer v1")
    } else {
        derive(secret, format!("sesame signer v1/{generation}").as_bytes())
    }
}

/// Ed25519 key of `generation`; the seed is a purpose-labelled HMAC of the master secret.
fn ed25519_key(secret: &MasterSecret, generation: u32) -> SigningKey {
    let seed = derive(
        secret,
        format!("sesame access-token ed25519 v1/{generation}").as_bytes(),
    );
    SigningKey::from_bytes(&seed)
}

/// HMAC-SHA256(master, label): a 32-byte key for one purpose.
fn derive(secret: &MasterSecret, label: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // HMAC takes keys of any length, so `new_from_slice` cannot fail; the fallback keeps this
    // panic-free without ever producing a usable key from nothing.
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose()) {
        mac.update(label);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// RFC 7638 JWK thumbprint of an Ed25519 public key: the `kid`.
fn thumbprint(key: &VerifyingKey) -> String {
    jose::thumbprint_of(&format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn rotation_keeps_old_generations_verifying_until_retention() {
        let f = Fixture::new();
        let before = f.sesame().keyring().unwrap();
        let link = before.signer("reset").sign(b"payload", 1000);
        let (_, old_kid) = before.access_signing_key();

        let generations = f.sesame().rotate_keys().unwrap();
        assert_eq!(generations.len(), 2);
        let after = f.sesame().keyring().unwrap();
        let (_, new_kid) = after.access_signing_key();
        assert_ne!(old_kid, new_kid);
        assert!(after.access_verifying_key(&old_kid).is_some());
        assert_eq!(
            after.verify("reset", &link, 1000, 60).unwrap().0,
            b"payload"
        );
        // Per generation Ed25519 and P-256; RSA only for the one made by rotation.
        let keys = after.jwks()["keys"].as_array().unwrap().clone();
        let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
        assert_eq!(algs, ["EdDSA", "ES256", "RS256", "EdDSA", "ES256"]);
        assert_eq!(keys[0]["kid"], new_kid.as_str());
        assert!(after.can_sign(jose::SigningAlg::Rs256));

        // Past the retention of the first generation, the next rotation drops it.
        f.advance(f.sesame().keyring_retention_ms() + 1);
        let generations = f.sesame().rotate_keys().unwrap();
        assert_eq!(
            generations.iter().map(|g| g.number).collect::<Vec<_>>(),
            vec![2, 3]
        );
        let latest = f.sesame().keyring().unwrap();
        assert!(latest.access_verifying_key(&old_kid).is_none());
        assert_eq!(
            latest.rsa_keys.keys().copied().collect::<Vec<_>>(),
            vec![2, 3],
            "RSA keys go with their generations"
        );
        assert!(latest.verify("reset", &link, 1000, 60).is_err());
    }

    #[test]
    fn the_first_rsa_key_is_made_once_and_sealed() {
        let f = Fixture::new();
        assert!(
            !f.sesame()
                .keyring()
                .unwrap()
                .can_sign(jose::SigningAlg::Rs256)
        );
        let first = f.sesame().keyring_with_rsa().unwrap();
        let again = f.sesame().keyring_with_rsa().unwrap();
        assert_eq!(first.rsa_keys, again.rsa_keys, "made once, then read");
        let stored = crate::store::Store::get(&f.store, KEYRING_KEY)
            .unwrap()
            .unwrap()
            .value;
        let text = String::from_utf8(stored).unwrap();
        assert!(!text.contains("MII"), "no DER key in the clear: {text}");
        let key = first.signing_key(jose::SigningAlg::Rs256).unwrap();
        let signature = key.sign(&f.env, b"input").unwrap();
        assert!(first.verify_jws(jose::SigningAlg::Rs256, &key.kid, b"input", &signature));
        assert!(!first.verify_jws(jose::SigningAlg::Rs256, &key.kid, b"other", &signature));
        assert!(!first.verify_jws(jose::SigningAlg::Es256, &key.kid, b"input", &signature));
    }

    #[test]
    fn first_generation_keeps_the_original_link_key() {
        let f = Fixture::new();
        let keyring = f.sesame().keyring().unwrap();
        let legacy = Signer::new(derive(&f.config.secret, b"sesame signer v1"), "confirm");
        let token = legacy.sign(b"x", 5);
        assert!(keyring.verify("confirm", &token, 5, 10).is_ok());
    }
}

/// The codec of the stored keyring, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 1] =
    [("keyring", records::reencode::<KeyringRecord>)];
