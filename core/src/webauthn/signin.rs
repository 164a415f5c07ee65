//! Signing in (WebAuthn Level 3 §7.2) with a passkey as the first factor or a security key as
//! the second, and re-authenticating a signed-in user before a sensitive action.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ceremony::{CeremonyKind, check_session};
use super::credentials::descriptors;
use super::wire::{self, AssertionCredential};
use super::{Ceremony, RelyingParty, WebAuthnError};
use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::sessions::{ClientInfo, IssuedSession, SessionInfo};
use crate::throttle::Scope;

impl Sesame<'_> {
    /// Starts a first-factor sign-in. With an email or username, only that user's passkeys
    /// are offered; an unknown user, or one without passkeys, gets one made-up credential,
    /// so the answer does not reveal who has an account or a passkey. Without one, the
    /// browser offers its discoverable passkeys. Throttled per account named; see
    /// [`Sesame::begin_passkey_signin_from`] to throttle per client address too.
    ///
    /// WIT: `sesame:auth/webauthn.authenticate-begin`.
    pub fn begin_passkey_signin(
        &self,
        identity: Option<&str>,
        rp: &RelyingParty,
    ) -> Result<Ceremony> {
        self.begin_passkey_signin_from(identity, rp, &ClientInfo::default())
    }

    /// [`Sesame::begin_passkey_signin`] for a client. One naming an identity is an attempt,
    /// throttled per client address and per identity with the limits and counters of a
    /// password sign-in, so a passkey sign-in is no way around them. A usernameless one (what
    /// the sign-in page asks for autofill at every view) only counts against the address's
    /// allowance of challenges; the answer to it is the attempt, counted at
    /// [`Sesame::finish_passkey_signin`].
    pub fn begin_passkey_signin_from(
        &self,
        identity: Option<&str>,
        rp: &RelyingParty,
        client: &ClientInfo,
    ) -> Result<Ceremony> {
        self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Passkey)?;
        let identity = identity.map(str::trim).filter(|i| !i.is_empty());
        match (identity, &client.address) {
            // Without an identity nothing is tried yet: the sign-in page asks this for passkey
            // autofill at every view. The answer is the attempt, counted when it is finished.
            (None, Some(address)) => self.throttle(Scope::ChallengeByAddress, address)?,
            (None, None) => {}
            (Some(_), _) => self.throttle_sign_in(client, identity)?,
        }
        let (user_id, allow) = match identity {
            None => (None, Vec::new()),
            Some(identity) => {
                let (user_id, allow) = self.signin_allow_list(identity)?;
                (Some(user_id), allow)
            }
        };
        self.start_request(
            CeremonyKind::SignIn {
                user_id,
                identity: identity.map(str::to_owned),
            },
            rp,
            allow,
            "required",
        )
    }

    /// Starts the second factor of a pending password sign-in: the user's credentials of
    /// either usage are offered. `unauthenticated` when the pending sign-in is gone.
    ///
    /// WIT: `sesame:auth/webauthn.second-factor-begin`.
    pub fn begin_passkey_second_factor(
        &self,
        pending_token: &str,
        rp: &RelyingParty,
    ) -> Result<Ceremony> {
        let user_id = self.pending_user(pending_token)?;
        let allow = descriptors(&self.credential_records(&user_id)?);
        if allow.is_empty() {
            return Err(WebAuthnError::NoSecondFactorCredential.into());
        }
        self.start_request(
            CeremonyKind::SecondFactor {
                pending_hash: hex::encode(Sha256::digest(pending_token.as_bytes())),
            },
            rp,
            allow,
            "preferred",
        )
    }

    /// Finishes a sign-in started by [`Sesame::begin_passkey_signin`] (first factor: a
    /// fresh session for the credential's owner) or by
    /// [`Sesame::begin_passkey_second_factor`] (second factor: `pending_token` must be the
    /// pending sign-in that asked, and a failed check counts as a wrong code would).
    ///
    /// Every attempt is throttled per client address; a first-factor one also per account
    /// (the identity typed, or without one the user handle sent), as a password sign-in is.
    /// A forged assertion for a real credential and one for a made-up credential get the
    /// same `unknown-credential` answer.
    ///
    /// WIT: `sesame:auth/webauthn.authenticate-finish`.
    pub fn finish_passkey_signin(
        &self,
        state: &str,
        credential: &AssertionCredential,
        pending_token: Option<&str>,
        client: &ClientInfo,
    ) -> Result<IssuedSession> {
        // The account is known only from the ceremony or the answer; it is counted below.
        self.throttle_sign_in(client, None)?;
        let ceremony = self.take_ceremony(state)?;
        match &ceremony.kind {
            CeremonyKind::SignIn { user_id, identity } => {
                match (identity, &credential.response.user_handle) {
                    (Some(identity), _) => self.throttle(Scope::LoginByAccount, identity)?,
                    (None, Some(handle)) => {
                        // Re-encoded, so padding or other spellings of one handle share a
                        // counter; one that does not decode is refused before any look-up.
                        if let Ok(bytes) = wire::b64("userHandle", handle) {
                            let subject = format!("wan-handle:{}", URL_SAFE_NO_PAD.encode(bytes));
                            self.throttle(Scope::LoginByAccount, &subject)?;
                        }
                    }
                    // Refused as incomplete before any credential is read.
                    (None, None) => {}
                }
                let expected = user_id.as_deref();
                let user_id = match self.verify_assertion(&ceremony, credential, expected, true) {
                    Ok(verified) => verified.user_id,
                    Err(error) => {
                        self.emit(
                            EventKind::LoginFailed,
                            expected.filter(|u| !u.is_empty()),
                            client.address.as_deref(),
                        );
                        return Err(error);
                    }
                };
                let Some((user, _)) = self.load_user(&user_id)? else {
                    return Err(WebAuthnError::UnknownCredential.into());
                };
                if !user.active {
                    return Err(Error::AccountDisabled);
                }
                // A first-factor passkey always asserts user verification (checked above):
                // possession and a PIN or biometric, two factors in one gesture.
                self.issue_session(user.public(), client, crate::sessions::SignInProof::PASSKEY)
            }
            CeremonyKind::SecondFactor { pending_hash } => {
                let pending_token = pending_token.ok_or(WebAuthnError::WrongCeremony)?;
                let hash = hex::encode(Sha256::digest(pending_token.as_bytes()));
                if !bool::from(hash.as_bytes().ct_eq(pending_hash.as_bytes())) {
                    return Err(WebAuthnError::WrongCeremony.into());
                }
                self.complete(
                    pending_token,
                    client,
                    crate::two_factor::Method::Webauthn,
                    |user_id| {
                        self.verify_assertion(&ceremony, credential, Some(user_id), false)
                            .map(|_| ())
                    },
                )
            }
            CeremonyKind::Register { .. } | CeremonyKind::Verify { .. } => {
                Err(WebAuthnError::WrongCeremony.into())
            }
        }
    }

    /// Starts re-authenticating the signed-in user with one of their credentials.
    ///
    /// WIT: `sesame:auth/webauthn.verify-begin`.
    pub fn begin_passkey_verify(
        &self,
        session: &SessionInfo,
        rp: &RelyingParty,
    ) -> Result<Ceremony> {
        let allow = descriptors(&self.credential_records(&session.user.id)?);
        if allow.is_empty() {
            return Err(WebAuthnError::NoCredentialToVerify.into());
        }
        self.start_request(
            CeremonyKind::Verify {
                user_id: session.user.id.clone(),
                session_id: session.id.clone(),
            },
            rp,
            allow,
            "preferred",
        )
    }

    /// Finishes re-authentication: the login counts as fresh for the freshness window. Returns
    /// when that ends, ms since the epoch.
    ///
    /// WIT: `sesame:auth/webauthn.verify-finish`.
    pub fn finish_passkey_verify(
        &self,
        session: &SessionInfo,
        state: &str,
        credential: &AssertionCredential,
    ) -> Result<u64> {
        let ceremony = self.take_ceremony(state)?;
        let CeremonyKind::Verify {
            user_id,
            session_id,
        } = &ceremony.kind
        else {
            return Err(WebAuthnError::WrongCeremony.into());
        };
        check_session(user_id, session_id, session)?;
        let verified = self.verify_assertion(&ceremony, credential, Some(user_id), false)?;
        self.record_reauthentication(
            session,
            crate::freshness::ReauthMethod::Passkey,
            verified.user_verified,
        )
    }

    /// Starts a sign-in or verification ceremony offering the credentials in `allow`.
    fn start_request(
        &self,
        kind: CeremonyKind,
        rp: &RelyingParty,
        allow: Vec<serde_json::Value>,
        user_verification: &str,
    ) -> Result<Ceremony> {
        let challenge = random_array::<32>(self.host)?;
        let options = request_options(rp, &challenge, allow, user_verification, self.config);
        self.start_ceremony(kind, challenge, rp, options)
    }
}

/// The request options of a sign-in or verification.
fn request_options(
    rp: &RelyingParty,
    challenge: &[u8; 32],
    allow: Vec<serde_json::Value>,
    user_verification: &str,
    config: &crate::Config,
) -> serde_json::Value {
    serde_json::json!({"publicKey": {
        "rpId": rp.id,
        "challenge": URL_SAFE_NO_PAD.encode(challenge),
        "timeout": config.webauthn.challenge_ms,
        "allowCredentials": allow,
        "userVerification": user_verification,
    }})
}
