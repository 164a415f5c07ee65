//! Assertions (WebAuthn Level 3 §7.2) and what a named sign-in offers before one, written so
//! that the answers never tell a stranger whether an account or a credential exists.
//!
//! - Every check that depends only on the request (client data, RP ID, flags, encodings) runs
//!   before the credential is looked up, so its answer is the same for a real credential and a
//!   made-up one.
//! - From the look-up to the signature, every failure is one answer, `unknown-credential` with
//!   one message: no such credential, another user's, a second-factor key presented alone, a
//!   user handle that is not the owner's, a signature that does not verify.
//! - Only after the signature proves the authenticator holds the key do checks that read the
//!   stored credential (backup eligibility, counter) say what they found.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::ceremony::CeremonyRecord;
use super::credentials::{CredentialRecord, descriptor};
use super::verify::{AssertionPolicy, VerifiedAssertion, check_assertion};
use super::wire::{self, AssertionCredential};
use super::{SignCountPolicy, Usage, WebAuthnError};
use crate::Sesame;
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::records::{self, CAS_ATTEMPTS, wan_credential_key};
use crate::store::StoreError;

/// Transport lists a made-up credential may show, as browsers report them (sorted): a
/// platform passkey usable from a phone, a USB key, an NFC-and-USB key, a platform-only
/// passkey. One is picked per identity, so a made-up entry looks like one of these real ones.
const PLAUSIBLE_TRANSPORTS: [&[&str]; 4] = [
    &["hybrid", "internal"],
    &["usb"],
    &["nfc", "usb"],
    &["internal"],
];

/// Whom a verified assertion signed in.
#[derive(Debug)]
pub(super) struct AssertedUser {
    /// The credential's owner.
    pub(super) user_id: String,
    /// Whether the authenticator verified the user (PIN, biometrics), not only their presence.
    pub(super) user_verified: bool,
}

impl Sesame<'_> {
    /// The `allowCredentials` of a sign-in started with `identity`, and the user the ceremony
    /// is for (`""` when the identity names nobody, which no credential matches).
    ///
    /// An unknown identity and an account without passkeys get one made-up credential
    /// ([`Sesame::made_up_descriptor`]), exactly like an account with one passkey; both also
    /// scan and read the store as often as that account does. Accounts with several passkeys
    /// list them all (the browser needs them): their count is the one signal left, described
    /// in `docs/security.md`.
    pub(super) fn signin_allow_list(
        &self,
        identity: &str,
    ) -> Result<(String, Vec<serde_json::Value>)> {
        let user_id = self.resolve_identity(identity)?;
        // An id no user has: its scan finds nothing, at the cost of a real one.
        let scanned = self.credential_records(user_id.as_deref().unwrap_or("-"))?;
        let allow: Vec<serde_json::Value> = scanned
            .iter()
            .filter(|(_, r)| r.usage == Usage::First)
            .map(|(id, r)| descriptor(id, &r.transports))
            .collect();
        if !allow.is_empty() {
            return Ok((user_id.unwrap_or_default(), allow));
        }
        let (id, transports) = self.made_up_credential(identity);
        if scanned.is_empty() {
            // The read a listed credential costs (it finds nothing: the ID was never
            // registered), so no passkey at all costs what one does.
            records::load::<CredentialRecord>(self.store, &wan_credential_key(&id))?;
        }
        Ok((
            user_id.unwrap_or_default(),
            vec![descriptor(&id, &transports)],
        ))
    }

    /// A credential ID and transports for an identity without passkeys: the same every time
    /// for the same identity (any case or surrounding spaces), unpredictable without the
    /// master secret. HMAC-SHA256 under a key derived from the master secret for this purpose
    /// alone (as `keyring.rs` derives its keys), so it says nothing about other keys.
    fn made_up_credential(&self, identity: &str) -> (String, Vec<String>) {
        let mut tag = [0u8; 32];
        // HMAC takes keys of any length, so `new_from_slice` cannot fail; the fallback keeps
        // this panic-free.
        if let Ok(mut kdf) = Hmac::<Sha256>::new_from_slice(self.config.secret.expose()) {
            kdf.update(b"sesame webauthn made-up credential v1");
            let key = kdf.finalize().into_bytes();
            if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) {
                mac.update(identity.trim().to_lowercase().as_bytes());
                tag.copy_from_slice(&mac.finalize().into_bytes());
            }
        }
        let transports = PLAUSIBLE_TRANSPORTS[usize::from(tag[31]) % PLAUSIBLE_TRANSPORTS.len()]
            .iter()
            .map(|t| (*t).to_owned())
            .collect();
        (URL_SAFE_NO_PAD.encode(tag), transports)
    }

    /// The checks of WebAuthn §7.2 for one assertion. `expected_user` is the user the
    /// ceremony is for (`Some("")` for an unknown name, which no credential matches);
    /// `first_factor` demands user verification and a passkey (usage `first`).
    pub(super) fn verify_assertion(
        &self,
        ceremony: &CeremonyRecord,
        credential: &AssertionCredential,
        expected_user: Option<&str>,
        first_factor: bool,
    ) -> Result<AssertedUser> {
        // Checks of the request alone (§7.2 steps 5–17): the same answer whoever's credential
        // it names.
        let challenge = ceremony.challenge_bytes();
        let checked = check_assertion(
            credential,
            &ceremony.expected(&challenge),
            AssertionPolicy {
                user_verification: first_factor,
                user_handle_required: expected_user.is_none(),
            },
        )?;

        // The credential, its owner and the signature (§7.2 steps 6, 21): one answer for
        // every way this fails.
        let Some((id_b64, record)) = self.matching_credential(
            &checked.credential_id,
            expected_user,
            first_factor,
            checked.user_handle.as_deref(),
        )?
        else {
            return Err(WebAuthnError::UnknownCredential.into());
        };
        let verified = checked.verify_signature(&wire::b64("publicKey", &record.public_key)?)?;

        // The authenticator holds the key: what it says about the credential may be told.
        self.record_use(&id_b64, &record.user_id, &verified)?;
        Ok(AssertedUser {
            user_id: record.user_id,
            user_verified: verified.user_verified,
        })
    }

    /// The stored credential `raw_id` names, if it may answer this ceremony: registered,
    /// owned by `expected_user` when one is named, a passkey for a first factor, and owned by
    /// the user of `sent_handle` when one was sent. `None` in every other case alike.
    fn matching_credential(
        &self,
        raw_id: &[u8],
        expected_user: Option<&str>,
        first_factor: bool,
        sent_handle: Option<&[u8]>,
    ) -> Result<Option<(String, CredentialRecord)>> {
        if raw_id.is_empty() || raw_id.len() > wire::MAX_CREDENTIAL_ID_BYTES {
            return Ok(None);
        }
        let id_b64 = URL_SAFE_NO_PAD.encode(raw_id);
        let Some((record, _)) =
            records::load::<CredentialRecord>(self.store, &wan_credential_key(&id_b64))?
        else {
            return Ok(None);
        };
        if expected_user.is_some_and(|u| u != record.user_id) {
            return Ok(None);
        }
        // A second-factor key alone is no sign-in, and saying so would tell that it exists.
        if first_factor && record.usage != Usage::First {
            return Ok(None);
        }
        if let Some(sent) = sent_handle {
            let owner_handle = self.user_handle(&record.user_id)?;
            let owner = URL_SAFE_NO_PAD.decode(&owner_handle).unwrap_or_default();
            if !bool::from(sent.ct_eq(&owner)) {
                return Ok(None);
            }
        }
        Ok(Some((id_b64, record)))
    }

    /// Stores the new signature counter, backup state and last use by compare-and-swap.
    /// Refuses a credential whose backup eligibility changed (§7.2 step 19: BE is fixed when a
    /// credential is created, so a change means another authenticator or a forgery); a
    /// counter that did not grow is flagged (event) and, by policy, refused. Credentials
    /// stored before Sesame kept BE learn it here, once.
    fn record_use(&self, id_b64: &str, user_id: &str, verified: &VerifiedAssertion) -> Result<()> {
        let key = wan_credential_key(id_b64);
        let eligible = verified.backup_eligible;
        let count = verified.sign_count;
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, version)) = records::load::<CredentialRecord>(self.store, &key)?
            else {
                return Err(WebAuthnError::UnknownCredential.into());
            };
            if record
                .backup_eligible
                .is_some_and(|stored| stored != eligible)
            {
                return Err(WebAuthnError::BackupEligibilityChanged.into());
            }
            let regressed = (count != 0 || record.sign_count != 0) && count <= record.sign_count;
            if regressed {
                self.emit(EventKind::PasskeySignCountRegression, Some(user_id), None);
                if self.config.webauthn.sign_count_policy == SignCountPolicy::Reject {
                    return Err(WebAuthnError::SignCountRegression.into());
                }
            }
            record.sign_count = record.sign_count.max(count);
            record.last_used_at_ms = Some(self.host.now_ms());
            record.backup_eligible = Some(eligible);
            record.backed_up = verified.backed_up;
            match records::save(self.store, &key, &record, Some(version), None) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("webauthn credential"))
    }
}
