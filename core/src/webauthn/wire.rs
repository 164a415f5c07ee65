//! Parsing what browsers send: `PublicKeyCredential` JSON (its `toJSON()` form), client data,
//! authenticator data and attestation objects. Bytes in, typed values or a 4xx out; no policy.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value;
use serde::Deserialize;

use super::cbor;
use super::error::{Result, WebAuthnError as E};

/// Longest credential JSON accepted, in bytes: the most any request body may carry, so the
/// WIT interface, which receives the JSON without an HTTP request around it, refuses what the
/// routes would.
pub const MAX_CREDENTIAL_JSON_BYTES: usize = 64 * 1024;

/// Longest credential ID accepted, in bytes (WebAuthn Level 3 caps it at 1023).
pub(crate) const MAX_CREDENTIAL_ID_BYTES: usize = 1023;

/// Authenticator data flag: the user was present (touched the key).
pub(crate) const FLAG_UP: u8 = 0x01;
/// Authenticator data flag: the user was verified (PIN, biometrics).
pub(crate) const FLAG_UV: u8 = 0x04;
/// Authenticator data flag: the credential may be backed up (synced passkey).
pub(crate) const FLAG_BE: u8 = 0x08;
/// Authenticator data flag: the credential is backed up.
pub(crate) const FLAG_BS: u8 = 0x10;
/// Authenticator data flag: attested credential data follows.
const FLAG_AT: u8 = 0x40;
/// Authenticator data flag: extensions follow.
const FLAG_ED: u8 = 0x80;

/// A registration answer (`navigator.credentials.create()` result, `toJSON()` form).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationCredential {
    /// Credential ID, base64url.
    pub raw_id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The authenticator's answer.
    pub response: RegistrationResponse,
    /// `platform` or `cross-platform`, when the browser says.
    #[serde(default)]
    pub authenticator_attachment: Option<String>,
    /// Extension outputs; Sesame reads `credProps.rk`.
    #[serde(default)]
    pub client_extension_results: Option<serde_json::Value>,
}

/// The `response` member of a registration answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    /// Client data JSON, base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// CBOR attestation object, base64url.
    pub attestation_object: String,
    /// Transports the authenticator supports (`usb`, `internal`, `hybrid`, ...).
    #[serde(default)]
    pub transports: Vec<String>,
}

/// A sign-in answer (`navigator.credentials.get()` result, `toJSON()` form).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionCredential {
    /// Credential ID, base64url.
    pub raw_id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The authenticator's answer.
    pub response: AssertionResponse,
}

/// The `response` member of a sign-in answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    /// Client data JSON, base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// Authenticator data, base64url.
    pub authenticator_data: String,
    /// Signature over authenticator data and the client data's hash, base64url.
    pub signature: String,
    /// The user handle the credential was created with (discoverable credentials), base64url.
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// The client data a browser signed over, parsed.
#[derive(Debug)]
pub(crate) struct ClientData {
    pub(crate) kind: String,
    pub(crate) challenge: Vec<u8>,
    pub(crate) origin: String,
    pub(crate) cross_origin: bool,
}

/// Authenticator data, parsed.
#[derive(Debug)]
pub(crate) struct AuthData {
    pub(crate) rp_id_hash: [u8; 32],
    pub(crate) flags: u8,
    pub(crate) sign_count: u32,
    pub(crate) attested: Option<AttestedCredential>,
}

/// The new credential inside registration's authenticator data.
#[derive(Debug)]
pub(crate) struct AttestedCredential {
    pub(crate) aaguid: [u8; 16],
    pub(crate) credential_id: Vec<u8>,
    /// The COSE key exactly as sent (stored as-is).
    pub(crate) public_key: Vec<u8>,
}

/// An attestation object, parsed.
#[derive(Debug)]
pub(crate) struct AttestationObject {
    pub(crate) fmt: String,
    pub(crate) att_stmt: Vec<(Value, Value)>,
    pub(crate) auth_data: Vec<u8>,
}

impl AuthData {
    pub(crate) fn user_present(&self) -> bool {
        self.flags & FLAG_UP != 0
    }

    pub(crate) fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }
}

/// Parses a registration answer from JSON text (how the WIT interface receives it).
pub fn parse_registration(json: &str) -> crate::error::Result<RegistrationCredential> {
    Ok(parse_json(json)?)
}

/// Parses a sign-in answer from JSON text (how the WIT interface receives it).
pub fn parse_assertion(json: &str) -> crate::error::Result<AssertionCredential> {
    Ok(parse_json(json)?)
}

fn parse_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    if json.len() > MAX_CREDENTIAL_JSON_BYTES {
        return Err(E::CredentialTooLarge);
    }
    // Not the array form serde would also read a struct from.
    if !json.trim_start().starts_with('{') {
        return Err(E::CredentialNotObject);
    }
    serde_json::from_str(json).map_err(|e| E::CredentialNotJson(e.to_string()))
}

/// Decodes base64url (padding tolerated), naming the field in the error.
pub(crate) fn b64(field: &'static str, text: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| E::NotBase64(field))
}

/// Parses client data JSON (only the members Sesame checks).
pub(crate) fn client_data(bytes: &[u8]) -> Result<ClientData> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        #[serde(rename = "type")]
        kind: String,
        challenge: String,
        origin: String,
        #[serde(default)]
        cross_origin: Option<bool>,
    }
    // serde would also read the members from a JSON array, positionally; browsers send an
    // object, and anything else is not client data.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(E::ClientDataNotJson);
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|_| E::ClientDataNotJson)?;
    Ok(ClientData {
        challenge: URL_SAFE_NO_PAD
            .decode(raw.challenge.trim_end_matches('='))
            .map_err(|_| E::ClientDataChallengeNotBase64)?,
        kind: raw.kind,
        origin: raw.origin,
        cross_origin: raw.cross_origin.unwrap_or(false),
    })
}

/// Parses authenticator data: RP ID hash, flags, signature counter and, when flagged, the
/// attested credential (whose COSE key's length is found by decoding it).
pub(crate) fn auth_data(bytes: &[u8]) -> Result<AuthData> {
    if bytes.len() < 37 {
        return Err(E::AuthDataTooShort);
    }
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(&bytes[..32]);
    let flags = bytes[32];
    let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
    let mut rest = &bytes[37..];
    let attested = if flags & FLAG_AT != 0 {
        if rest.len() < 18 {
            return Err(E::AttestedDataTruncated);
        }
        let mut aaguid = [0u8; 16];
        aaguid.copy_from_slice(&rest[..16]);
        let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        rest = &rest[18..];
        if id_len == 0 || id_len > MAX_CREDENTIAL_ID_BYTES || rest.len() < id_len {
            return Err(E::CredentialIdLength);
        }
        let credential_id = rest[..id_len].to_vec();
        rest = &rest[id_len..];
        let (_, used) = cbor::decode_prefix(rest, "credential public key")?;
        let public_key = rest[..used].to_vec();
        rest = &rest[used..];
        Some(AttestedCredential {
            aaguid,
            credential_id,
            public_key,
        })
    } else {
        None
    };
    if flags & FLAG_ED != 0 {
        let (_, used) = cbor::decode_prefix(rest, "authenticator extensions map")?;
        rest = &rest[used..];
    }
    if !rest.is_empty() {
        return Err(E::AuthDataTrailingBytes);
    }
    Ok(AuthData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
    })
}

/// Parses an attestation object: `fmt`, `attStmt` and `authData`; exactly one CBOR item
/// without duplicate keys (see [`cbor`]).
pub(crate) fn attestation_object(bytes: &[u8]) -> Result<AttestationObject> {
    let value = cbor::decode_exact(bytes, "attestation object")?;
    let Value::Map(map) = value else {
        return Err(E::AttestationNotMap);
    };
    let mut fmt = None;
    let mut att_stmt = None;
    let mut auth_data = None;
    for (key, value) in map {
        match (key.as_text(), value) {
            (Some("fmt"), Value::Text(text)) => fmt = Some(text),
            (Some("attStmt"), Value::Map(stmt)) => att_stmt = Some(stmt),
            (Some("authData"), Value::Bytes(bytes)) => auth_data = Some(bytes),
            _ => {}
        }
    }
    match (fmt, att_stmt, auth_data) {
        (Some(fmt), Some(att_stmt), Some(auth_data)) => Ok(AttestationObject {
            fmt,
            att_stmt,
            auth_data,
        }),
        _ => Err(E::AttestationIncomplete),
    }
}
