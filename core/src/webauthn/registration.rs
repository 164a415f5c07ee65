//! Registering a credential (WebAuthn Level 3 §7.1): the creation options a signed-in user's
//! browser gets, and the answer checked against its ceremony and stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::ceremony::{CeremonyKind, CeremonyRecord, check_session};
use super::cose::Algorithm;
use super::credentials::{CredentialRecord, descriptors, ensure_room, info, parse_name};
use super::verify::{RegistrationPolicy, VerifiedCredential, verify_registration};
use super::wire::RegistrationCredential;
use super::{Ceremony, CredentialInfo, RelyingParty, Usage, WebAuthnError};
use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, Result};
use crate::records::{self, wan_credential_key, wan_user_credential_key};
use crate::sessions::SessionInfo;
use crate::store::{MAX_KEY_BYTES, StoreError};

/// What a registration ceremony was started for.
struct Registering<'a> {
    user_id: &'a str,
    name: &'a str,
    usage: Usage,
}

impl Sesame<'_> {
    /// Starts registering a credential for the signed-in user. Needs a fresh session (signed
    /// in or re-verified within the freshness window): a stolen session must not add a passkey.
    /// `name` is 1 to 64 characters and unique among the user's credentials.
    ///
    /// WIT: `sesame:auth/webauthn.register-begin`.
    pub fn begin_passkey_registration(
        &self,
        session: &SessionInfo,
        name: &str,
        usage: Usage,
        rp: &RelyingParty,
    ) -> Result<Ceremony> {
        self.require_fresh(session)?;
        let name = parse_name(name)?;
        let existing = self.credential_records(&session.user.id)?;
        ensure_room(&existing)?;
        if existing
            .iter()
            .any(|(_, r)| r.name.eq_ignore_ascii_case(&name))
        {
            return Err(WebAuthnError::NameTaken.into());
        }
        let handle = self.user_handle(&session.user.id)?;
        let challenge = random_array::<32>(self.host)?;
        let resident = usage == Usage::First;
        let exclude = descriptors(&existing);
        let options = serde_json::json!({"publicKey": {
            "rp": {"id": rp.id, "name": self.config.webauthn.rp_name},
            "user": {
                "id": handle,
                "name": session.user.email,
                "displayName": session.user.username.as_deref().unwrap_or(&session.user.email),
            },
            "challenge": URL_SAFE_NO_PAD.encode(challenge),
            "pubKeyCredParams": Algorithm::ALL.iter()
                .map(|a| serde_json::json!({"type": "public-key", "alg": a.cose_id()}))
                .collect::<Vec<_>>(),
            "timeout": self.config.webauthn.challenge_ms,
            "excludeCredentials": exclude,
            "authenticatorSelection": {
                "residentKey": if resident { "required" } else { "discouraged" },
                "requireResidentKey": resident,
                "userVerification": if resident { "required" } else { "preferred" },
            },
            "attestation": "none",
            "extensions": {"credProps": true},
        }});
        self.start_ceremony(
            CeremonyKind::Register {
                user_id: session.user.id.clone(),
                session_id: session.id.clone(),
                name,
                usage,
            },
            challenge,
            rp,
            options,
        )
    }

    /// Finishes a registration: checks the answer against the ceremony (type, challenge,
    /// origin, RP ID, user presence, algorithm, attestation) and stores the credential, whose
    /// ID must not be registered to anyone yet.
    ///
    /// WIT: `sesame:auth/webauthn.register-finish`.
    pub fn finish_passkey_registration(
        &self,
        session: &SessionInfo,
        state: &str,
        credential: &RegistrationCredential,
    ) -> Result<CredentialInfo> {
        let ceremony = self.take_ceremony(state)?;
        // Fresh at the start is not enough: the challenge may be answered minutes later.
        self.require_fresh(session)?;
        let registering = registering(&ceremony, session)?;
        let challenge = ceremony.challenge_bytes();
        let verified = verify_registration(
            credential,
            &ceremony.expected(&challenge),
            &RegistrationPolicy {
                attestation_formats: &self.config.webauthn.attestation_formats,
                user_verification: registering.usage == Usage::First,
            },
        )?;
        let record = credential_record(&registering, &verified, credential, self.host.now_ms());
        let id_b64 = URL_SAFE_NO_PAD.encode(&verified.id);
        self.store_credential(&id_b64, &record)?;
        self.security_notice(
            registering.user_id,
            crate::notices::Notice::PasskeyAdded,
            None,
        )?;
        Ok(info(&id_b64, &record))
    }

    /// Stores a new credential for its owner, unless they have as many as allowed or its ID is
    /// registered to anyone already (`already-exists`).
    fn store_credential(&self, id_b64: &str, record: &CredentialRecord) -> Result<()> {
        let user_id = &record.user_id;
        ensure_room(&self.credential_records(user_id)?)?;
        // The index first, as for sessions: a crash leaves an index entry pointing at nothing,
        // which listing skips. The claim on the credential ID decides uniqueness.
        let index = wan_user_credential_key(user_id, id_b64);
        // WebAuthn allows IDs of up to 1023 bytes, a store key holds MAX_KEY_BYTES: an ID that
        // cannot be keyed is the request's fault (400), never a store failure (500).
        if index.len() > MAX_KEY_BYTES || wan_credential_key(id_b64).len() > MAX_KEY_BYTES {
            let room = MAX_KEY_BYTES.saturating_sub(index.len() - id_b64.len());
            return Err(WebAuthnError::CredentialIdUnstorable(room * 3 / 4).into());
        }
        self.store.put(&index, b"", None, None)?;
        match records::save(
            self.store,
            &wan_credential_key(id_b64),
            record,
            Some(0),
            None,
        ) {
            Ok(_) => Ok(()),
            Err(Error::Store(StoreError::Conflict)) => {
                self.store.delete(&index, None)?;
                Err(WebAuthnError::CredentialTaken.into())
            }
            Err(e) => Err(e),
        }
    }
}

/// The registration `ceremony` started, if it is one and `session` started it.
fn registering<'a>(ceremony: &'a CeremonyRecord, session: &SessionInfo) -> Result<Registering<'a>> {
    let CeremonyKind::Register {
        user_id,
        session_id,
        name,
        usage,
    } = &ceremony.kind
    else {
        return Err(WebAuthnError::WrongCeremony.into());
    };
    check_session(user_id, session_id, session)?;
    Ok(Registering {
        user_id,
        name,
        usage: *usage,
    })
}

/// The record of a verified new credential, with what the browser reported about it
/// (transports, attachment, whether it is discoverable) trimmed to sane sizes.
fn credential_record(
    registering: &Registering<'_>,
    verified: &VerifiedCredential,
    credential: &RegistrationCredential,
    now_ms: u64,
) -> CredentialRecord {
    let discoverable = credential
        .client_extension_results
        .as_ref()
        .and_then(|e| e.pointer("/credProps/rk"))
        .and_then(serde_json::Value::as_bool);
    CredentialRecord {
        v: 1,
        user_id: registering.user_id.to_owned(),
        name: registering.name.to_owned(),
        usage: registering.usage,
        public_key: URL_SAFE_NO_PAD.encode(&verified.public_key),
        alg: verified.algorithm.cose_id(),
        sign_count: verified.sign_count,
        created_at_ms: now_ms,
        last_used_at_ms: None,
        transports: credential
            .response
            .transports
            .iter()
            .take(8)
            .map(|t| t.chars().take(16).collect())
            .collect(),
        attachment: credential
            .authenticator_attachment
            .as_deref()
            .filter(|a| matches!(*a, "platform" | "cross-platform"))
            .map(str::to_owned),
        discoverable,
        backup_eligible: Some(verified.backup_eligible),
        backed_up: verified.backed_up,
        aaguid: hex::encode(verified.aaguid),
    }
}
