//! Sign-in answers (WebAuthn Level 3 §7.2), in two steps: [`check_assertion`] makes every
//! check that needs only the answer and the ceremony, before the credential is looked up;
//! [`CheckedAssertion::verify_signature`] then checks the signature with the stored key.

use sha2::{Digest, Sha256};

use super::Expected;
use super::checks::{check_backup_flags, check_client_data, check_rp};
use crate::webauthn::cose::PublicKey;
use crate::webauthn::error::{Result, WebAuthnError};
use crate::webauthn::wire::{self, AssertionCredential};

/// What a sign-in demands beyond the challenge and the relying party.
#[derive(Debug, Clone, Copy)]
pub struct AssertionPolicy {
    /// Whether the authenticator must have verified the user (a first-factor sign-in).
    pub user_verification: bool,
    /// Whether the answer must carry a user handle (a sign-in that named nobody).
    pub user_handle_required: bool,
}

/// An answer whose checks of the request alone passed (§7.2 steps 5–17): the credential it
/// names and the user handle it sent, with its signature still to verify.
#[derive(Debug)]
pub struct CheckedAssertion {
    /// The credential ID the answer names.
    pub credential_id: Vec<u8>,
    /// The user handle sent, decoded.
    pub user_handle: Option<Vec<u8>>,
    auth_data: wire::AuthData,
    /// Authenticator data followed by the client data's SHA-256: what was signed.
    signed: Vec<u8>,
    signature: Vec<u8>,
}

/// What a verified assertion says about the authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The signature counter.
    pub sign_count: u32,
    /// Whether the user was verified (PIN, biometrics), not only present.
    pub user_verified: bool,
    /// Whether the credential may be backed up (BE).
    pub backup_eligible: bool,
    /// Whether it is backed up (BS).
    pub backed_up: bool,
}

/// The checks of an assertion that depend only on the answer and the ceremony: type,
/// encodings, user handle presence, client data, RP ID, flags. Their answers are the same
/// whichever credential the assertion names.
pub fn check_assertion(
    credential: &AssertionCredential,
    expected: &Expected<'_>,
    policy: AssertionPolicy,
) -> Result<CheckedAssertion> {
    if credential.kind != "public-key" {
        return Err(WebAuthnError::CredentialType);
    }
    let credential_id = wire::b64("rawId", &credential.raw_id)?;
    let user_handle = credential
        .response
        .user_handle
        .as_deref()
        .map(|h| wire::b64("userHandle", h))
        .transpose()?;
    if user_handle.is_none() && policy.user_handle_required {
        return Err(WebAuthnError::UserHandleRequired);
    }
    let client_data_bytes = wire::b64("clientDataJSON", &credential.response.client_data_json)?;
    let client_data = wire::client_data(&client_data_bytes)?;
    check_client_data(&client_data, "webauthn.get", expected)?;
    let mut signed = wire::b64("authenticatorData", &credential.response.authenticator_data)?;
    let auth_data = wire::auth_data(&signed)?;
    check_rp(&auth_data, expected.rp_id)?;
    if policy.user_verification && !auth_data.user_verified() {
        return Err(WebAuthnError::SignInUnverified);
    }
    check_backup_flags(auth_data.flags)?;
    let signature = wire::b64("signature", &credential.response.signature)?;
    signed.extend_from_slice(&Sha256::digest(&client_data_bytes));
    Ok(CheckedAssertion {
        credential_id,
        user_handle,
        auth_data,
        signed,
        signature,
    })
}

impl CheckedAssertion {
    /// Checks the signature with the credential's COSE key (§7.2 step 21). A key that does not
    /// parse is refused for what it is; a signature that does not verify is
    /// [`WebAuthnError::UnknownCredential`], the answer for every credential that cannot
    /// answer.
    pub fn verify_signature(&self, cose_key: &[u8]) -> Result<VerifiedAssertion> {
        let key = PublicKey::from_cose(cose_key)?;
        if key.verify(&self.signed, &self.signature).is_err() {
            return Err(WebAuthnError::UnknownCredential);
        }
        Ok(VerifiedAssertion {
            sign_count: self.auth_data.sign_count,
            user_verified: self.auth_data.user_verified(),
            backup_eligible: self.auth_data.flags & wire::FLAG_BE != 0,
            backed_up: self.auth_data.flags & wire::FLAG_BS != 0,
        })
    }
}
