//! The keyring's JSON Web Signature keys: which algorithms sign Sesame's JWTs, their public
//! keys as JWKs, and signing and verifying with them.
//!
//! Every generation has three signing keys:
//! - Ed25519 (`EdDSA`): access tokens, and ID tokens of clients that ask for it;
//! - P-256 (`ES256`): ID tokens of clients that ask for it;
//! - RSA-2048 (`RS256`): ID tokens by default, since OpenID Connect requires every provider to
//!   offer it and most client libraries expect it.
//!
//! The Ed25519 and P-256 keys are derived from the master secret and the generation number,
//! so they are never stored. An RSA key cannot be derived cheaply (finding primes takes a
//! second or more), so each generation's RSA key is generated once, sealed under a key derived
//! from the master secret ([`crate::sealed`]) and kept in the keyring record.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature as EdSignature, Signer as _};
use p256::ecdsa::signature::Verifier as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use rsa::traits::PublicKeyParts as _;
use sha2::{Digest, Sha256};

use super::{Keyring, derive};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sealed::{self, Purpose};
use crate::settings::MasterSecret;

/// Size of the RSA keys, in bits: what RFC 7518 requires for RS256 at least, and what every
/// client library accepts.
const RSA_BITS: usize = 2048;

/// Sealing of RSA private keys in the keyring record.
const RSA_KEY: Purpose = Purpose {
    key_label: b"sesame rsa-signing-key aead v1",
    aad_prefix: b"sesame:rsa-signing-key:v1:generation:",
    name: "rsa signing key",
};

/// A JWS algorithm Sesame signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[default]
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlg {
    /// Every algorithm, as discovery lists them.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE name (`alg`).
    pub fn name(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    /// The algorithm named `name` exactly (JOSE names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        SigningAlg::ALL.into_iter().find(|alg| alg.name() == name)
    }
}

/// One signing key with its `kid`.
pub(crate) struct JwsSigningKey {
    /// The key's RFC 7638 thumbprint.
    pub kid: String,
    key: SigningKeyOf,
}

enum SigningKeyOf {
    EdDsa(ed25519_dalek::SigningKey),
    Es256(p256::ecdsa::SigningKey),
    Rs256(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

impl JwsSigningKey {
    /// The JWS signature of `input` (`r || s` for ES256; RSA blinded with host randomness).
    pub(crate) fn sign(&self, env: &dyn Env, input: &[u8]) -> Result<Vec<u8>> {
        Ok(match &self.key {
            SigningKeyOf::EdDsa(key) => key.sign(input).to_bytes().to_vec(),
            SigningKeyOf::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(input);
                signature.to_bytes().to_vec()
            }
            SigningKeyOf::Rs256(key) => key
                .try_sign_with_rng(&mut HostRng(env), input)
                .map_err(|_| Error::Random)?
                .to_vec(),
        })
    }
}

/// The host's randomness as the random source the RSA code asks for.
pub(crate) struct HostRng<'a>(pub &'a dyn Env);

impl rsa::rand_core::TryRng for HostRng<'_> {
    type Error = Error;

    fn try_next_u32(&mut self) -> Result<u32> {
        let mut buf = [0u8; 4];
        self.try_fill_bytes(&mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn try_next_u64(&mut self) -> Result<u64> {
        let mut buf = [0u8; 8];
        self.try_fill_bytes(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<()> {
        self.0.fill_random(dst).map_err(|_| Error::Random)
    }
}

impl rsa::rand_core::TryCryptoRng for HostRng<'_> {}

/// A new RSA key for `generation`, sealed for the keyring record.
pub(crate) fn new_sealed_rsa_key(
    master: &MasterSecret,
    env: &dyn Env,
    generation: u32,
) -> Result<String> {
    let key = rsa::PrivateKey::new(&mut HostRng(env), RSA_BITS).map_err(|e| Error::Corrupt {
        key: "keyring".into(),
        reason: format!("RSA key generation failed: {e}"),
    })?;
    let der = key.to_pkcs8_der().map_err(|e| Error::Corrupt {
        key: "keyring".into(),
        reason: format!("RSA key encoding failed: {e}"),
    })?;
    sealed::seal(
        RSA_KEY,
        master,
        env,
        &generation.to_string(),
        der.as_bytes(),
    )
}

impl Keyring {
    /// The RSA private key of `generation`, when it has one.
    fn rsa_key(&self, generation: u32) -> Result<Option<rsa::PrivateKey>> {
        let Some(sealed_key) = self.rsa_keys.get(&generation) else {
            return Ok(None);
        };
        let der = sealed::open(RSA_KEY, &self.secret, &generation.to_string(), sealed_key)?;
        rsa::PrivateKey::from_pkcs8_der(&der)
            .map(Some)
            .map_err(|e| Error::Corrupt {
                key: "keyring".into(),
                reason: format!("RSA key of generation {generation} unreadable: {e}"),
            })
    }

    /// Whether the current generation can sign with `alg` (RSA keys are made on first need).
    pub(crate) fn can_sign(&self, alg: SigningAlg) -> bool {
        alg != SigningAlg::Rs256 || self.rsa_keys.contains_key(&self.current())
    }

    /// The current generation's signing key for `alg`.
    pub(crate) fn signing_key(&self, alg: SigningAlg) -> Result<JwsSigningKey> {
        let generation = self.current();
        Ok(match alg {
            SigningAlg::EdDsa => {
                let key = super::ed25519_key(&self.secret, generation);
                JwsSigningKey {
                    kid: super::thumbprint(&key.verifying_key()),
                    key: SigningKeyOf::EdDsa(key),
                }
            }
            SigningAlg::Es256 => {
                let key = p256_key(&self.secret, generation)?;
                JwsSigningKey {
                    kid: p256_jwk(key.verifying_key()).1,
                    key: SigningKeyOf::Es256(key),
                }
            }
            SigningAlg::Rs256 => {
                let Some(key) = self.rsa_key(generation)? else {
                    return Err(Error::Corrupt {
                        key: "keyring".into(),
                        reason: format!("generation {generation} has no RSA key yet"),
                    });
                };
                JwsSigningKey {
                    kid: rsa_jwk(&key.to_public_key()).1,
                    key: SigningKeyOf::Rs256(Box::new(rsa::pkcs1v15::SigningKey::new(key))),
                }
            }
        })
    }

    /// Checks `signature` over `input` with the key `kid` of any generation held, for `alg`.
    pub(crate) fn verify_jws(
        &self,
        alg: SigningAlg,
        kid: &str,
        input: &[u8],
        signature: &[u8],
    ) -> bool {
        self.generations.iter().any(|g| match alg {
            SigningAlg::EdDsa => {
                let key = super::ed25519_key(&self.secret, g.number).verifying_key();
                super::thumbprint(&key) == kid
                    && EdSignature::from_slice(signature)
                        .is_ok_and(|s| key.verify_strict(input, &s).is_ok())
            }
            SigningAlg::Es256 => p256_key(&self.secret, g.number).is_ok_and(|key| {
                let public = key.verifying_key();
                p256_jwk(public).1 == kid
                    && p256::ecdsa::Signature::from_slice(signature)
                        .is_ok_and(|s| public.verify(input, &s).is_ok())
            }),
            SigningAlg::Rs256 => self.rsa_key(g.number).ok().flatten().is_some_and(|key| {
                let public = key.to_public_key();
                rsa_jwk(&public).1 == kid
                    && rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| {
                        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public)
                            .verify(input, &s)
                            .is_ok()
                    })
            }),
        })
    }

    /// The public keys of every generation as JWKs, current generation first; per generation
    /// Ed25519, then P-256, then RSA when it has one.
    pub(crate) fn public_jwks(&self) -> Vec<serde_json::Value> {
        let mut keys = Vec::new();
        for g in self.generations.iter().rev() {
            keys.push(super::ed25519_jwk(&self.secret, g.number));
            if let Ok(key) = p256_key(&self.secret, g.number) {
                keys.push(p256_jwk(key.verifying_key()).0);
            }
            if let Ok(Some(key)) = self.rsa_key(g.number) {
                keys.push(rsa_jwk(&key.to_public_key()).0);
            }
        }
        keys
    }
}

/// The P-256 key of `generation`: a scalar derived from the master secret. A derived value
/// outside the curve's order (odds about 2^-32) takes the next counter.
fn p256_key(secret: &MasterSecret, generation: u32) -> Result<p256::ecdsa::SigningKey> {
    for counter in 0..8u32 {
        let seed = derive(
            secret,
            format!("sesame id-token p256 v1/{generation}/{counter}").as_bytes(),
        );
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&seed[..]) {
            return Ok(key);
        }
    }
    Err(Error::Corrupt {
        key: "keyring".into(),
        reason: "no P-256 key derivable".into(),
    })
}

/// A P-256 public key as a JWK, and its RFC 7638 thumbprint (the `kid`).
fn p256_jwk(key: &p256::ecdsa::VerifyingKey) -> (serde_json::Value, String) {
    let point = key.to_sec1_point(false);
    let point = point.as_bytes();
    // Uncompressed SEC1: 0x04 || x || y.
    let (x, y) = point
        .get(1..)
        .map(|xy| xy.split_at(xy.len() / 2))
        .unwrap_or_default();
    let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
    let kid = thumbprint_of(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ));
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "x": x, "y": y,
        "kid": kid, "use": "sig", "alg": "ES256",
    });
    (jwk, kid)
}

/// An RSA public key as a JWK, and its RFC 7638 thumbprint (the `kid`).
fn rsa_jwk(key: &rsa::PublicKey) -> (serde_json::Value, String) {
    let n = URL_SAFE_NO_PAD.encode(trim_leading_zeros(&key.n_bytes()));
    let e = URL_SAFE_NO_PAD.encode(trim_leading_zeros(&key.e_bytes()));
    let kid = thumbprint_of(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
    let jwk = serde_json::json!({
        "kty": "RSA", "n": n, "e": e,
        "kid": kid, "use": "sig", "alg": "RS256",
    });
    (jwk, kid)
}

/// Big-endian bytes without leading zeros, as JWK integers are written (RFC 7518 §6.3.1).
fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// base64url(SHA-256(canonical JWK)).
pub(super) fn thumbprint_of(canonical: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
