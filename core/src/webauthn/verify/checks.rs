//! Checks both ceremonies make: the client data against the ceremony, and the authenticator
//! data's RP ID hash and flags.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Expected;
use crate::webauthn::error::{Result, WebAuthnError};
use crate::webauthn::wire;

/// The client data's type, challenge, origin and frame (§7.1 steps 7–10, §7.2 steps 10–13).
/// `kind` is `webauthn.create` or `webauthn.get`.
pub(super) fn check_client_data(
    client_data: &wire::ClientData,
    kind: &'static str,
    expected: &Expected<'_>,
) -> Result<()> {
    if client_data.kind != kind {
        return Err(WebAuthnError::WrongClientDataType(kind));
    }
    if !bool::from(client_data.challenge.ct_eq(expected.challenge)) {
        return Err(WebAuthnError::ChallengeMismatch);
    }
    if !expected.origins.contains(&client_data.origin) {
        return Err(WebAuthnError::OriginNotAllowed(
            client_data.origin.chars().take(100).collect(),
        ));
    }
    if client_data.cross_origin {
        return Err(WebAuthnError::CrossOrigin);
    }
    Ok(())
}

/// The RP ID hash and user presence (§7.1 steps 13–14, §7.2 steps 15–16).
pub(super) fn check_rp(auth_data: &wire::AuthData, rp_id: &str) -> Result<()> {
    let expected = Sha256::digest(rp_id.as_bytes());
    if !bool::from(auth_data.rp_id_hash.ct_eq(expected.as_slice())) {
        return Err(WebAuthnError::RpIdMismatch);
    }
    if !auth_data.user_present() {
        return Err(WebAuthnError::UserNotPresent);
    }
    Ok(())
}

/// WebAuthn Level 3 §6.1.3: a credential that is backed up (BS) must be backup eligible (BE).
pub(super) fn check_backup_flags(flags: u8) -> Result<()> {
    if flags & wire::FLAG_BS != 0 && flags & wire::FLAG_BE == 0 {
        return Err(WebAuthnError::BackedUpNotEligible);
    }
    Ok(())
}
