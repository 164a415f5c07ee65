//! A software WebAuthn authenticator for tests: it answers `navigator.credentials.create()`
//! and `.get()` options the way a browser and a CTAP2 authenticator together would, with
//! real keys (ES256, EdDSA, RS256) and real signatures, and lets a test bend any part of the
//! answer (origin, counter, flags, user handle) to check that Sesame refuses it.
//!
//! Used by core's unit tests, the end-to-end tests and the fuzz targets, so all of them
//! exercise one implementation. It depends on no part of Sesame, so what it sends is built
//! from the specification alone. No OpenSSL: RustCrypto and ed25519-dalek only.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test authenticator: a failure here is a test failure"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value as Cbor;
use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The signature algorithm of a software credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256 (COSE -7).
    Es256,
    /// Ed25519 (COSE -8).
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (COSE -257).
    Rs256,
}

enum Key {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
    Rs256(Box<rsa::pkcs1v15::SigningKey<Sha256>>, Vec<u8>, Vec<u8>),
}

/// The primes of the one fixed RSA test key (2048 bits); generating one per test is slow.
const RSA_P: &str = "d2d12bac946bb6cf4468cfc5c5a0a026f64fe9d290d595b7eb89132d2428e524a709c2f6a02039625802035e2c8b7e77a8b6a9159a7ce46e8dc6cbd3204c3c17123208e4b6ccf307acfc44ffda16e62a270d0098aaf24b9067bc1281190490de5692089eb4a20616ca103385e2738999123cec51688204a28d93dc3e77239ebf";
const RSA_Q: &str = "c77f46a8e02348edfa699af5b958bf745fb78e8fba3644d2b7f4651f00c6806dd1e8a209c66d029e23e22846c26aad86b63b5b8778efcefd6c10e10db03de90f8fd30c0257d505cd4f7cb30b46309892e04b37bc574da5a0e909ed7b74c4b8e64f2e6262b0ac11ea74a903438c78d81b2adfe01d9a67bac37cb9186035e2db93";

/// One credential on a software authenticator, with the knobs tests turn.
pub struct SoftCredential {
    key: Key,
    /// The credential ID.
    pub id: Vec<u8>,
    /// The user handle given at registration (sent back in assertions).
    pub user_handle: Option<Vec<u8>>,
    /// The signature counter; incremented before each assertion when `counting`.
    pub sign_count: u32,
    /// Whether the counter moves (many passkeys keep it at 0).
    pub counting: bool,
    /// Whether the user-verified flag is set.
    pub user_verified: bool,
    /// Whether assertions include the user handle.
    pub send_user_handle: bool,
    /// The attestation format produced at registration: `none` or `packed` (self).
    pub attestation: &'static str,
    /// Whether the backup-eligible flag (BE) is set: a passkey that may be synced.
    pub backup_eligible: bool,
    /// Whether the backed-up flag (BS) is set: the passkey is synced now.
    pub backed_up: bool,
}

impl SoftCredential {
    /// A new credential with the algorithm, keys derived from `seed` (deterministic).
    pub fn new(alg: Alg, seed: u8) -> Self {
        let secret: [u8; 32] = Sha256::digest([seed, alg as u8, 0x5e]).into();
        let key = match alg {
            Alg::Es256 => Key::Es256(p256::ecdsa::SigningKey::from_slice(&secret).unwrap()),
            Alg::EdDsa => Key::EdDsa(ed25519_dalek::SigningKey::from_bytes(&secret)),
            Alg::Rs256 => {
                let p = rsa::BoxedUint::from_be_slice_vartime(&hex::decode(RSA_P).unwrap());
                let q = rsa::BoxedUint::from_be_slice_vartime(&hex::decode(RSA_Q).unwrap());
                let private =
                    rsa::PrivateKey::from_p_q(p, q, rsa::BoxedUint::from(65537u64)).unwrap();
                use rsa::traits::PublicKeyParts as _;
                let n = private.n().to_be_bytes_trimmed_vartime().to_vec();
                let e = private.e().to_be_bytes_trimmed_vartime().to_vec();
                Key::Rs256(
                    Box::new(rsa::pkcs1v15::SigningKey::<Sha256>::new(private)),
                    n,
                    e,
                )
            }
        };
        SoftCredential {
            key,
            id: Sha256::digest([seed, alg as u8, 0x1d]).to_vec(),
            user_handle: None,
            sign_count: 0,
            counting: true,
            user_verified: true,
            send_user_handle: true,
            attestation: "none",
            backup_eligible: false,
            backed_up: false,
        }
    }

    /// The COSE form of the public key.
    pub fn cose_key(&self) -> Vec<u8> {
        let int = |i: i64| Cbor::Integer(i.into());
        let map = match &self.key {
            Key::Es256(k) => {
                let point = k.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                vec![
                    (int(1), int(2)),
                    (int(3), int(-7)),
                    (int(-1), int(1)),
                    (int(-2), Cbor::Bytes(bytes[1..33].to_vec())),
                    (int(-3), Cbor::Bytes(bytes[33..65].to_vec())),
                ]
            }
            Key::EdDsa(k) => vec![
                (int(1), int(1)),
                (int(3), int(-8)),
                (int(-1), int(6)),
                (int(-2), Cbor::Bytes(k.verifying_key().to_bytes().to_vec())),
            ],
            Key::Rs256(_, n, e) => vec![
                (int(1), int(3)),
                (int(3), int(-257)),
                (int(-1), Cbor::Bytes(n.clone())),
                (int(-2), Cbor::Bytes(e.clone())),
            ],
        };
        cbor(&Cbor::Map(map))
    }

    fn alg_id(&self) -> i64 {
        match self.key {
            Key::Es256(_) => -7,
            Key::EdDsa(_) => -8,
            Key::Rs256(..) => -257,
        }
    }

    /// Signs like the authenticator would (ES256 signatures are DER).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.key {
            Key::Es256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Key::EdDsa(k) => {
                use ed25519_dalek::Signer as _;
                k.sign(message).to_bytes().to_vec()
            }
            Key::Rs256(k, ..) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                k.sign(message).to_vec()
            }
        }
    }

    fn flags(&self, extra: u8) -> u8 {
        0x01 | if self.user_verified { 0x04 } else { 0 }
            | if self.backup_eligible { 0x08 } else { 0 }
            | if self.backed_up { 0x10 } else { 0 }
            | extra
    }

    /// Answers creation options (`{"publicKey": ...}` or the inner object) from `origin`:
    /// the `toJSON()` form of the new credential.
    pub fn register(&mut self, options: &Value, origin: &str) -> Value {
        let pk = options.get("publicKey").unwrap_or(options);
        let rp_id = pk["rp"]["id"].as_str().expect("rp.id");
        self.user_handle = Some(b64d(pk["user"]["id"].as_str().expect("user.id")));
        let client_data = client_data("webauthn.create", pk["challenge"].as_str().unwrap(), origin);
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags(0x40));
        auth_data.extend_from_slice(&self.sign_count.to_be_bytes());
        auth_data.extend_from_slice(&[0x5e; 16]);
        auth_data.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&self.cose_key());
        let att_stmt = if self.attestation == "packed" {
            let mut signed = auth_data.clone();
            signed.extend_from_slice(&Sha256::digest(&client_data));
            vec![
                (
                    Cbor::Text("alg".into()),
                    Cbor::Integer(self.alg_id().into()),
                ),
                (Cbor::Text("sig".into()), Cbor::Bytes(self.sign(&signed))),
            ]
        } else {
            Vec::new()
        };
        let attestation = cbor(&Cbor::Map(vec![
            (
                Cbor::Text("fmt".into()),
                Cbor::Text(self.attestation.into()),
            ),
            (Cbor::Text("attStmt".into()), Cbor::Map(att_stmt)),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]));
        json!({
            "id": b64e(&self.id),
            "rawId": b64e(&self.id),
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {"credProps": {"rk": true}},
            "response": {
                "clientDataJSON": b64e(&client_data),
                "attestationObject": b64e(&attestation),
                "transports": ["usb"],
            },
        })
    }

    /// Answers request options from `origin` for RP `rp_id` (or the options' `rpId`): the
    /// `toJSON()` form of the assertion. Moves the counter first when `counting`.
    pub fn assert(&mut self, options: &Value, origin: &str) -> Value {
        let pk = options.get("publicKey").unwrap_or(options);
        let rp_id = pk["rpId"].as_str().expect("rpId").to_owned();
        self.assert_for(&rp_id, pk["challenge"].as_str().unwrap(), origin)
    }

    /// An assertion for any RP ID and challenge (base64url), to build bad answers.
    pub fn assert_for(&mut self, rp_id: &str, challenge: &str, origin: &str) -> Value {
        if self.counting {
            self.sign_count += 1;
        }
        let client_data = client_data("webauthn.get", challenge, origin);
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags(0));
        auth_data.extend_from_slice(&self.sign_count.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let user_handle = match (&self.user_handle, self.send_user_handle) {
            (Some(h), true) => Value::String(b64e(h)),
            _ => Value::Null,
        };
        json!({
            "id": b64e(&self.id),
            "rawId": b64e(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64e(&client_data),
                "authenticatorData": b64e(&auth_data),
                "signature": b64e(&self.sign(&signed)),
                "userHandle": user_handle,
            },
        })
    }
}

/// Client data JSON as a browser writes it.
pub fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": kind,
        "challenge": challenge,
        "origin": origin,
        "crossOrigin": false,
    }))
    .unwrap()
}

/// base64url without padding.
pub fn b64e(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url.
pub fn b64d(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

/// `value` with every string, number and boolean replaced by its type, and lists of strings
/// (transports, which differ between real credentials too) by one type: what a client can see
/// of a JSON answer's shape. Tests compare the options Sesame gives a real and an unknown
/// account with it.
pub fn json_shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), json_shape(v)))
                .collect(),
        ),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            "strings".into()
        }
        Value::Array(items) => Value::Array(items.iter().map(json_shape).collect()),
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Null => Value::Null,
    }
}
