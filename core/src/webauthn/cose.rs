//! Credential public keys: COSE keys (RFC 9052/9053) as authenticators send them, and the
//! signature checks of the three algorithms Sesame offers.
//!
//! | COSE alg | name   | key                          | signature                  |
//! |----------|--------|------------------------------|----------------------------|
//! | -7       | ES256  | EC2, curve P-256 (crv 1)     | ECDSA over SHA-256, ASN.1 DER |
//! | -8       | EdDSA  | OKP, curve Ed25519 (crv 6)   | Ed25519, 64 bytes (strict)  |
//! | -257     | RS256  | RSA, modulus 2048–8192 bits  | RSASSA-PKCS1-v1_5, SHA-256  |
//!
//! Only verification happens here; no private key ever exists in core.

use ciborium::Value;
use p256::ecdsa::signature::Verifier as _;

use super::cbor;
use super::error::{Result, WebAuthnError as E};

/// COSE algorithm identifier of ES256.
pub const ALG_ES256: i64 = -7;
/// COSE algorithm identifier of EdDSA.
pub const ALG_EDDSA: i64 = -8;
/// COSE algorithm identifier of RS256.
pub const ALG_RS256: i64 = -257;

/// Smallest RSA modulus accepted, in bits: smaller keys are breakable or close to it.
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits: bounds the work one verification costs.
const MAX_RSA_BITS: usize = 8192;

/// A signature algorithm Sesame accepts for credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA with P-256 and SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl Algorithm {
    /// Every algorithm, in the order offered to authenticators (most preferred first).
    pub const ALL: [Algorithm; 3] = [Algorithm::Es256, Algorithm::EdDsa, Algorithm::Rs256];

    /// The COSE identifier.
    pub fn cose_id(self) -> i64 {
        match self {
            Algorithm::Es256 => ALG_ES256,
            Algorithm::EdDsa => ALG_EDDSA,
            Algorithm::Rs256 => ALG_RS256,
        }
    }

    /// The JOSE-style name (`ES256`, `EdDSA`, `RS256`) shown in listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Rs256 => "RS256",
        }
    }

    /// The algorithm of a COSE identifier, if Sesame accepts it.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        Algorithm::ALL.into_iter().find(|a| a.cose_id() == id)
    }
}

/// A credential's public key, parsed and checked, ready to verify signatures.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
    Rs256(rsa::PublicKey),
}

impl PublicKey {
    /// Parses a COSE key (exactly one CBOR map, no key twice). Refuses algorithms Sesame does not offer, keys whose type or
    /// curve does not match their algorithm, and RSA moduli outside 2048–8192 bits.
    pub(crate) fn from_cose(bytes: &[u8]) -> Result<Self> {
        let value = cbor::decode_exact(bytes, "credential public key")?;
        let map = value.as_map().ok_or(E::NotCoseKey)?;
        let kty = int_field(map, 1).ok_or(E::CoseNoKeyType)?;
        let alg = int_field(map, 3).ok_or(E::CoseNoAlgorithm)?;
        let algorithm = Algorithm::from_cose_id(alg).ok_or(E::AlgorithmRefused(alg))?;
        match (algorithm, kty) {
            (Algorithm::Es256, 2) => {
                if int_field(map, -1) != Some(1) {
                    return Err(E::Es256Curve);
                }
                let x = bytes_field(map, -2).filter(|x| x.len() == 32);
                let y = bytes_field(map, -3).filter(|y| y.len() == 32);
                let (Some(x), Some(y)) = (x, y) else {
                    return Err(E::P256Coordinates);
                };
                let mut sec1 = Vec::with_capacity(65);
                sec1.push(0x04);
                sec1.extend_from_slice(x);
                sec1.extend_from_slice(y);
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                    .map(PublicKey::Es256)
                    .map_err(|_| E::P256NotOnCurve)
            }
            (Algorithm::EdDsa, 1) => {
                if int_field(map, -1) != Some(6) {
                    return Err(E::EdDsaCurve);
                }
                let x: &[u8; 32] = bytes_field(map, -2)
                    .and_then(|x| x.try_into().ok())
                    .ok_or(E::Ed25519Malformed)?;
                let key =
                    ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| E::Ed25519NotPoint)?;
                // A small-order key would accept signatures made without any private key.
                if key.is_weak() {
                    return Err(E::Ed25519Weak);
                }
                Ok(PublicKey::EdDsa(key))
            }
            (Algorithm::Rs256, 3) => {
                let n = bytes_field(map, -1).ok_or(E::RsaNoModulus)?;
                let e = bytes_field(map, -2).ok_or(E::RsaNoExponent)?;
                let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                if !(MIN_RSA_BITS..=MAX_RSA_BITS + 7).contains(&bits) || e.len() > 8 {
                    return Err(E::RsaSize);
                }
                let n = rsa::BoxedUint::from_be_slice_vartime(n);
                let e = rsa::BoxedUint::from_be_slice_vartime(e);
                rsa::PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=MAX_RSA_BITS)
                    .map(PublicKey::Rs256)
                    .map_err(|_| E::RsaInvalid)
            }
            _ => Err(E::CoseKeyTypeMismatch),
        }
    }

    /// The key's algorithm.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Es256(_) => Algorithm::Es256,
            PublicKey::EdDsa(_) => Algorithm::EdDsa,
            PublicKey::Rs256(_) => Algorithm::Rs256,
        }
    }

    /// Checks `signature` over `message`; `webauthn-rejected` when it does not verify.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let ok = match self {
            PublicKey::Es256(key) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
            PublicKey::EdDsa(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
            PublicKey::Rs256(key) => {
                let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone());
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|sig| verifier.verify(message, &sig).is_ok())
            }
        };
        if ok { Ok(()) } else { Err(E::BadSignature) }
    }
}

/// The integer under integer label `label` of a COSE map.
fn int_field(map: &[(Value, Value)], label: i64) -> Option<i64> {
    field(map, label)?
        .as_integer()
        .and_then(|i| i64::try_from(i128::from(i)).ok())
}

/// The byte string under integer label `label` of a COSE map.
fn bytes_field(map: &[(Value, Value)], label: i64) -> Option<&[u8]> {
    field(map, label)?.as_bytes().map(Vec::as_slice)
}

fn field(map: &[(Value, Value)], label: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| {
            k.as_integer()
                .is_some_and(|i| i128::from(i) == i128::from(label))
        })
        .map(|(_, v)| v)
}
