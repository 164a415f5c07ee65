//! Test support for the fuzz targets in `fuzz/`, compiled only with the `fuzzing` feature and
//! hidden from the documentation: a deterministic [`Sesame`] over an in-memory store, and
//! handles on the parsers and record codecs that are otherwise private to core. Not part of
//! the API: nothing here is stable, and nothing here is secure (the random stream is a counter).

use crate::error::{AuthError, Result};
use crate::http::Request;
use crate::store::MemStore;
use crate::testing::Fixture;
use crate::webauthn::cose::{Algorithm, PublicKey};
use crate::webauthn::wire;
use crate::{Config, Env as _, Sesame};

/// An empty in-memory store, a fixed clock (2023-11-14T22:13:20Z), a deterministic random
/// stream and a configuration with cheap argon2 parameters. Two harnesses given the same calls
/// answer byte for byte the same.
pub struct Harness(Fixture);

impl Harness {
    /// A fresh harness.
    pub fn new() -> Self {
        Harness(Fixture::new())
    }

    /// Sesame over this harness.
    pub fn sesame(&self) -> Sesame<'_> {
        self.0.sesame()
    }

    /// The configuration in use (cheap hashing, Secure cookies).
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The store.
    pub fn store(&self) -> &MemStore {
        &self.0.store
    }

    /// The clock, in ms since the epoch.
    pub fn now_ms(&self) -> u64 {
        self.0.env.now_ms()
    }

    /// Moves both clocks (core's and the store's expiry clock) forward.
    pub fn advance(&self, ms: u64) {
        self.0.advance(ms);
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Client data JSON as Sesame reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientData {
    /// `webauthn.create` or `webauthn.get` (not checked here).
    pub kind: String,
    /// The decoded challenge.
    pub challenge: Vec<u8>,
    /// The origin the browser saw.
    pub origin: String,
    /// `crossOrigin`, false when absent.
    pub cross_origin: bool,
}

/// Parses client data JSON.
pub fn client_data(bytes: &[u8]) -> Result<ClientData> {
    let parsed = wire::client_data(bytes)?;
    Ok(ClientData {
        kind: parsed.kind,
        challenge: parsed.challenge,
        origin: parsed.origin,
        cross_origin: parsed.cross_origin,
    })
}

/// Authenticator data as Sesame reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthData {
    /// SHA-256 of the RP ID.
    pub rp_id_hash: [u8; 32],
    /// Flags byte.
    pub flags: u8,
    /// Signature counter.
    pub sign_count: u32,
    /// The attested credential: AAGUID, credential ID and COSE key bytes.
    pub attested: Option<([u8; 16], Vec<u8>, Vec<u8>)>,
}

/// Parses authenticator data.
pub fn auth_data(bytes: &[u8]) -> Result<AuthData> {
    let parsed = wire::auth_data(bytes)?;
    Ok(AuthData {
        rp_id_hash: parsed.rp_id_hash,
        flags: parsed.flags,
        sign_count: parsed.sign_count,
        attested: parsed
            .attested
            .map(|a| (a.aaguid, a.credential_id, a.public_key)),
    })
}

/// Parses an attestation object: its format, the number of attestation statement entries and
/// the authenticator data bytes.
pub fn attestation_object(bytes: &[u8]) -> Result<(String, usize, Vec<u8>)> {
    let parsed = wire::attestation_object(bytes)?;
    Ok((parsed.fmt, parsed.att_stmt.len(), parsed.auth_data))
}

/// Parses a COSE key, returning its algorithm.
pub fn cose_key(bytes: &[u8]) -> Result<Algorithm> {
    Ok(PublicKey::from_cose(bytes)?.algorithm())
}

/// Parses a COSE key and checks `signature` over `message` with it.
pub fn cose_verify(key: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
    Ok(PublicKey::from_cose(key)?.verify(message, signature)?)
}

/// The names of the request body types the routes decode.
pub const BODY_TYPES: [&str; 20] = crate::http::BODY_TYPES;

/// Decodes `req`'s body as the body type named `name` (one of [`BODY_TYPES`]), exactly as its
/// route does; `None` for an unknown name.
pub fn parse_body_as(name: &str, req: &Request) -> Option<std::result::Result<(), AuthError>> {
    crate::http::parse_body_as(name, req)
}

/// A stored record type: the key prefix it lives under, and a function that decodes a value
/// the way core reads it and encodes the result the way core writes it.
pub type RecordCodec = (&'static str, fn(&[u8]) -> Result<Vec<u8>>);

/// Every stored record type.
pub fn record_codecs() -> Vec<RecordCodec> {
    use crate::records::reencode;
    let mut codecs: Vec<RecordCodec> = vec![
        ("user/", reencode::<crate::accounts::UserRecord>),
        ("session/", reencode::<crate::sessions::SessionRecord>),
        ("role/", reencode::<crate::roles::Role>),
        ("event/", reencode::<crate::events::Event>),
        ("throttle/", reencode::<u64>),
        crate::api_keys::RECORD_CODEC,
    ];
    codecs.extend(crate::freshness::RECORD_CODECS);
    codecs.extend(crate::keyring::RECORD_CODECS);
    codecs.extend(crate::oauth::RECORD_CODECS);
    codecs.extend(crate::tokens::RECORD_CODECS);
    codecs.extend(crate::two_factor::RECORD_CODECS);
    codecs.extend(crate::webauthn::RECORD_CODECS);
    codecs.push(crate::unified_sign_in::RECORD_CODEC);
    codecs
}
