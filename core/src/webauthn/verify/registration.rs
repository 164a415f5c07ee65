//! Registration answers (WebAuthn Level 3 §7.1) and their attestation statements.

use sha2::{Digest, Sha256};

use super::Expected;
use super::checks::{check_backup_flags, check_client_data, check_rp};
use crate::webauthn::cose::{Algorithm, PublicKey};
use crate::webauthn::error::{Result, WebAuthnError};
use crate::webauthn::settings::AttestationFormat;
use crate::webauthn::wire::{self, RegistrationCredential};

/// What a registration demands beyond the challenge and the relying party.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationPolicy<'a> {
    /// The attestation formats accepted.
    pub attestation_formats: &'a [AttestationFormat],
    /// Whether the authenticator must have verified the user (a passkey must).
    pub user_verification: bool,
}

/// A new credential whose registration answer passed every check: what there is to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCredential {
    /// The credential ID.
    pub id: Vec<u8>,
    /// The COSE public key exactly as the authenticator sent it.
    pub public_key: Vec<u8>,
    /// The key's algorithm.
    pub algorithm: Algorithm,
    /// The signature counter at creation.
    pub sign_count: u32,
    /// The authenticator model's AAGUID.
    pub aaguid: [u8; 16],
    /// Whether the credential may be backed up (BE); fixed for its lifetime.
    pub backup_eligible: bool,
    /// Whether it is backed up now (BS).
    pub backed_up: bool,
}

/// Verifies a registration answer against what its ceremony expects: type, client data,
/// attestation object, RP ID, flags, credential ID, public key and attestation statement, in
/// the order of §7.1.
pub fn verify_registration(
    credential: &RegistrationCredential,
    expected: &Expected<'_>,
    policy: &RegistrationPolicy<'_>,
) -> Result<VerifiedCredential> {
    if credential.kind != "public-key" {
        return Err(WebAuthnError::CredentialType);
    }
    let client_data_bytes = wire::b64("clientDataJSON", &credential.response.client_data_json)?;
    let client_data = wire::client_data(&client_data_bytes)?;
    check_client_data(&client_data, "webauthn.create", expected)?;
    let attestation = wire::attestation_object(&wire::b64(
        "attestationObject",
        &credential.response.attestation_object,
    )?)?;
    let auth_data = wire::auth_data(&attestation.auth_data)?;
    check_rp(&auth_data, expected.rp_id)?;
    check_backup_flags(auth_data.flags)?;
    if policy.user_verification && !auth_data.user_verified() {
        return Err(WebAuthnError::PasskeyCreatedUnverified);
    }
    let Some(attested) = auth_data.attested else {
        return Err(WebAuthnError::NoNewCredential);
    };
    if wire::b64("rawId", &credential.raw_id)? != attested.credential_id {
        return Err(WebAuthnError::CredentialIdMismatch);
    }
    let key = PublicKey::from_cose(&attested.public_key)?;
    let client_data_hash = Sha256::digest(&client_data_bytes);
    check_attestation(
        &attestation,
        &key,
        &client_data_hash,
        policy.attestation_formats,
    )?;
    Ok(VerifiedCredential {
        id: attested.credential_id,
        public_key: attested.public_key,
        algorithm: key.algorithm(),
        sign_count: auth_data.sign_count,
        aaguid: attested.aaguid,
        backup_eligible: auth_data.flags & wire::FLAG_BE != 0,
        backed_up: auth_data.flags & wire::FLAG_BS != 0,
    })
}

/// Verifies the attestation statement (§7.1 steps 19–21) in one of the `accepted` formats:
/// `none`, or `packed` self attestation signed by the new credential's own key.
fn check_attestation(
    attestation: &wire::AttestationObject,
    key: &PublicKey,
    client_data_hash: &[u8],
    accepted: &[AttestationFormat],
) -> Result<()> {
    let format = AttestationFormat::parse(&attestation.fmt)
        .filter(|f| accepted.contains(f))
        .ok_or_else(|| {
            WebAuthnError::AttestationFormatRefused(attestation.fmt.chars().take(32).collect())
        })?;
    match format {
        AttestationFormat::None => {
            if attestation.att_stmt.is_empty() {
                Ok(())
            } else {
                Err(WebAuthnError::NoneWithStatement)
            }
        }
        AttestationFormat::Packed => {
            let field = |name: &str| {
                attestation
                    .att_stmt
                    .iter()
                    .find(|(k, _)| k.as_text() == Some(name))
                    .map(|(_, v)| v)
            };
            if field("x5c").is_some() || field("ecdaaKeyId").is_some() {
                return Err(WebAuthnError::PackedNotSelf);
            }
            let alg = field("alg")
                .and_then(ciborium::Value::as_integer)
                .and_then(|i| i64::try_from(i128::from(i)).ok());
            if alg != Some(key.algorithm().cose_id()) {
                return Err(WebAuthnError::PackedAlgorithmMismatch);
            }
            let sig = field("sig")
                .and_then(ciborium::Value::as_bytes)
                .ok_or(WebAuthnError::PackedWithoutSignature)?;
            let mut signed = attestation.auth_data.clone();
            signed.extend_from_slice(client_data_hash);
            key.verify(&signed, sig)
        }
    }
}
