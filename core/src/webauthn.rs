//! WebAuthn: passkeys and security keys, as a first factor (with or without a username), as a
//! second factor after a password, and to re-authenticate before sensitive actions.
//!
//! Verification is Sesame's own, over RustCrypto primitives (see [`cose`] and [`wire`]), and
//! follows WebAuthn Level 3 §7.1 (registration) and §7.2 (authentication).
//!
//! Rules (each is tested in `webauthn/tests.rs` and end to end in `tests/tests/webauthn.rs`):
//!
//! - Every ceremony starts with a fresh 256-bit challenge kept server-side under a random
//!   ceremony token (`wan-ceremony/{sha256(token)}`, expiring after `challenge_ms`). Finishing
//!   deletes it by compare-and-swap *before* anything is verified, so a challenge works at most
//!   once, even for two racing requests: a replay gets `challenge-invalid`.
//! - A ceremony is bound to who asked: registration and re-authentication to the session that
//!   started them, a second factor to its pending sign-in, a first-factor sign-in to the
//!   holder of the ceremony token (a cookie, or the `state` field for apps).
//! - The client data must say the right ceremony type, carry the challenge, come from an
//!   allowed origin and not from a cross-origin frame; the authenticator data must hash the
//!   RP ID and show user presence. A first-factor sign-in also needs user verification, which
//!   makes a passkey two factors in one (so it signs in users who have two-factor on).
//! - Credential IDs are unique across all users (claimed by compare-and-swap at
//!   registration). A sign-in only ever signs in the credential's owner: when the user was
//!   named, a credential of anyone else is `unknown-credential`; the user handle, when sent,
//!   must be the owner's.
//! - Nothing tells a stranger who has an account or a credential: a named sign-in offers one
//!   made-up credential for unknown names and accounts without passkeys, and a forged
//!   assertion gets one answer whatever it names (see `webauthn/assertion.rs`). Both sign-in
//!   steps are throttled with the limits and counters of a password sign-in.
//! - BS (backed up) without BE (backup eligible) is refused; BE never changes after
//!   registration; BS is kept up to date. CBOR must be exactly one item without repeated map
//!   keys (see `webauthn/cbor.rs`).
//! - A `/wan-verify` records whether the user was verified, since only then may it stand in
//!   for the password ([`Sesame::verified_with_passkey_recently`]).
//! - The user handle is 32 random bytes per user, never the email or the user id.
//! - A signature counter that does not grow (when either side is non-zero) suggests a cloned
//!   authenticator: it is recorded as an event and, by default, refused
//!   (`sign-count-regression`). Counters are updated by compare-and-swap.
//! - Algorithms ES256, EdDSA (Ed25519) and RS256; attestation formats `none` and `packed`
//!   (self attestation) by default, configurable.
//!
//! WIT: `sesame:auth/webauthn`.

mod assertion;
mod cbor;
pub mod cose;
pub mod wire;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::records::{self, CAS_ATTEMPTS};
use crate::sessions::{ClientInfo, IssuedSession, SessionInfo};
use crate::store::StoreError;
use crate::throttle::Scope;
use assertion::check_backup_flags;
use cose::{Algorithm, PublicKey, rejected};
use wire::{AssertionCredential, RegistrationCredential};

/// Most credentials one user may register; bounds listing and the options sent to browsers.
pub const MAX_CREDENTIALS_PER_USER: usize = 32;
/// Longest credential name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// WebAuthn settings, read from `SESAME_WEBAUTHN_*` variables (see [`crate::Config::from_vars`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnConfig {
    /// The relying party ID (a registrable domain, like `example.com`). When unset it is the
    /// host of the public URL, or, when the public URL is on loopback, the host the browser
    /// used (`localhost`).
    pub rp_id: Option<String>,
    /// Name shown by authenticators.
    pub rp_name: String,
    /// Origins allowed to run ceremonies (`https://example.com`). When empty: the public URL's
    /// origin, or on loopback the origin the browser used.
    pub origins: Vec<String>,
    /// How long a challenge may be answered, in ms.
    pub challenge_ms: u64,
    /// Attestation statement formats accepted at registration.
    pub attestation_formats: Vec<AttestationFormat>,
    /// What to do when a signature counter does not grow.
    pub sign_count_policy: SignCountPolicy,
}

impl Default for WebAuthnConfig {
    /// RP ID and origins from the public URL, name "Sesame", 5 minutes per challenge,
    /// formats `none` and `packed`, counter regressions refused.
    fn default() -> Self {
        WebAuthnConfig {
            rp_id: None,
            rp_name: "Sesame".into(),
            origins: Vec::new(),
            challenge_ms: 5 * 60 * 1000,
            attestation_formats: vec![AttestationFormat::None, AttestationFormat::Packed],
            sign_count_policy: SignCountPolicy::Reject,
        }
    }
}

impl WebAuthnConfig {
    /// Rejects unusable settings.
    pub fn validate(&self) -> Result<()> {
        if self.challenge_ms == 0 {
            return Err(Error::Config(
                "the WebAuthn challenge lifetime must be positive".into(),
            ));
        }
        if self.attestation_formats.is_empty() {
            return Err(Error::Config(
                "SESAME_WEBAUTHN_ATTESTATION must name at least one format".into(),
            ));
        }
        if let Some(id) = &self.rp_id
            && (id.is_empty() || id.contains(['/', ':', ' ']))
        {
            return Err(Error::Config(
                "SESAME_WEBAUTHN_RP_ID must be a bare host name like example.com".into(),
            ));
        }
        if let Some(bad) = self
            .origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")) || o.ends_with('/'))
        {
            return Err(Error::Config(format!(
                "SESAME_WEBAUTHN_ORIGINS: '{bad}' must be scheme://host[:port] without a path"
            )));
        }
        Ok(())
    }
}

/// An attestation statement format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationFormat {
    /// No attestation (what browsers send unless asked otherwise).
    None,
    /// `packed` self attestation: signed with the new credential's own key.
    Packed,
}

impl AttestationFormat {
    /// The format's name in attestation objects.
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationFormat::None => "none",
            AttestationFormat::Packed => "packed",
        }
    }

    /// Parses [`AttestationFormat::as_str`]'s names.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(AttestationFormat::None),
            "packed" => Some(AttestationFormat::Packed),
            _ => None,
        }
    }
}

/// What a non-increasing signature counter leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCountPolicy {
    /// Refuse the sign-in (`sign-count-regression`) and record an event.
    Reject,
    /// Record an event and let the sign-in through (for authenticators known to misbehave).
    Flag,
}

/// What a credential is for (Flask-Security's `usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Usage {
    /// A passkey: signs in on its own (with user verification), usually discoverable.
    First,
    /// A second factor after the password.
    Secondary,
}

impl Usage {
    /// `first` or `secondary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::First => "first",
            Usage::Secondary => "secondary",
        }
    }

    /// Parses [`Usage::as_str`]'s names (also `first-factor`, `second-factor`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "first" | "first-factor" => Some(Usage::First),
            "secondary" | "second-factor" => Some(Usage::Secondary),
            _ => None,
        }
    }
}

/// Who the relying party is for one request: its ID and the origins allowed to speak for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID (a host name).
    pub id: String,
    /// Allowed origins, exact `scheme://host[:port]`.
    pub origins: Vec<String>,
}

/// A started ceremony: the options to hand to `navigator.credentials`, and the token that
/// finishes it.
#[derive(Debug)]
pub struct Ceremony {
    /// Opaque, single-use token of the server-side state (256 bits, base64url).
    pub state: CeremonyToken,
    /// `{"publicKey": {...}}`, the JSON form of the creation or request options.
    pub options: serde_json::Value,
    /// When the challenge stops being accepted, ms since the epoch.
    pub expires_at_ms: u64,
}

/// A ceremony token. Wiped on drop; `Debug` hides it.
pub struct CeremonyToken(Zeroizing<String>);

impl CeremonyToken {
    /// The token text, to hand to the client once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CeremonyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CeremonyToken(..)")
    }
}

/// One of a user's credentials, as listed to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    /// Credential ID, base64url.
    pub id: String,
    /// The name the user gave it.
    pub name: String,
    /// What it is for.
    pub usage: Usage,
    /// Its signature algorithm.
    pub algorithm: Algorithm,
    /// When it was registered, ms since the epoch.
    pub created_at_ms: u64,
    /// When it last signed in or verified, ms since the epoch.
    pub last_used_at_ms: Option<u64>,
    /// The last signature counter seen.
    pub sign_count: u32,
    /// Transports the authenticator reported.
    pub transports: Vec<String>,
    /// `platform` or `cross-platform`, when the browser said.
    pub attachment: Option<String>,
    /// Whether the authenticator keeps it as a discoverable (resident) credential, when known.
    pub discoverable: Option<bool>,
    /// Whether it may be backed up (a synced passkey), fixed when it was created; `None` for
    /// a credential stored before Sesame kept it and not used since.
    pub backup_eligible: Option<bool>,
    /// Whether it is backed up (synced), as of its last use.
    pub backed_up: bool,
}

/// A stored credential (`wan-cred/{credential id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CredentialRecord {
    v: u32,
    user_id: String,
    name: String,
    usage: Usage,
    /// The COSE key, base64url.
    public_key: String,
    alg: i64,
    sign_count: u32,
    created_at_ms: u64,
    last_used_at_ms: Option<u64>,
    transports: Vec<String>,
    attachment: Option<String>,
    discoverable: Option<bool>,
    /// BE at registration; never changes (`None`: stored before Sesame kept it, learnt at
    /// the next use).
    #[serde(default)]
    backup_eligible: Option<bool>,
    /// BS at the last registration or use.
    #[serde(default)]
    backed_up: bool,
    aaguid: String,
}

/// The user's WebAuthn handle (`wan-user/{user id}`); `wan-handle/{handle}` points back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct HandleRecord {
    v: u32,
    handle: String,
}

/// A started ceremony's server-side state (`wan-ceremony/{sha256(token) hex}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CeremonyRecord {
    v: u32,
    kind: CeremonyKind,
    /// The challenge, base64url.
    challenge: String,
    rp_id: String,
    origins: Vec<String>,
    created_at_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum CeremonyKind {
    Register {
        user_id: String,
        session_id: String,
        name: String,
        usage: Usage,
    },
    SignIn {
        /// The user named at the start; `None` for a usernameless sign-in.
        user_id: Option<String>,
        /// The identity as typed, which the finishing attempt is throttled by (as `/login`
        /// is); `None` for a usernameless sign-in.
        #[serde(default)]
        identity: Option<String>,
    },
    SecondFactor {
        /// SHA-256 of the pending sign-in's token, hex.
        pending_hash: String,
    },
    Verify {
        user_id: String,
        session_id: String,
    },
}

/// Length of a ceremony token in characters (32 bytes, base64url without padding).
const CEREMONY_TOKEN_CHARS: usize = 43;

fn ceremony_key(token: &str) -> String {
    format!(
        "wan-ceremony/{}",
        hex::encode(Sha256::digest(token.as_bytes()))
    )
}

fn credential_key(id_b64: &str) -> String {
    format!("wan-cred/{id_b64}")
}

fn user_credential_key(user_id: &str, id_b64: &str) -> String {
    format!("wan-user-cred/{user_id}/{id_b64}")
}

fn user_handle_key(user_id: &str) -> String {
    format!("wan-user/{user_id}")
}

fn handle_key(handle: &str) -> String {
    format!("wan-handle/{handle}")
}

impl Sesame<'_> {
    /// The relying party for a request that arrived with `host` (the `Host` header): the
    /// configured RP ID and origins, or those of the public URL; only when the public URL is
    /// on loopback does the request's own host decide (so `localhost` and `127.0.0.1` both
    /// work in development, and nothing a remote client sends can move a real deployment).
    pub fn relying_party(&self, host: Option<&str>) -> Result<RelyingParty> {
        let wan = &self.config.webauthn;
        let public = self.config.public_url.as_str();
        let public_host = public
            .split_once("://")
            .map_or(public, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default();
        let (origin, host_port) = match host {
            Some(host) if is_loopback(public_host) && is_loopback(host) && valid_host(host) => {
                let scheme = public.split_once("://").map_or("http", |(s, _)| s);
                (format!("{scheme}://{host}"), host.to_owned())
            }
            _ => (
                public
                    .trim_end_matches('/')
                    .split('/')
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("/"),
                public_host.to_owned(),
            ),
        };
        let id = match &wan.rp_id {
            Some(id) => id.clone(),
            None => strip_port(&host_port).to_owned(),
        };
        let origins = if wan.origins.is_empty() {
            vec![origin]
        } else {
            wan.origins.clone()
        };
        Ok(RelyingParty { id, origins })
    }

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
        if existing.len() >= MAX_CREDENTIALS_PER_USER {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                format!(
                    "At most {MAX_CREDENTIALS_PER_USER} credentials per account; delete one first."
                ),
            ));
        }
        if existing
            .iter()
            .any(|(_, r)| r.name.eq_ignore_ascii_case(&name))
        {
            return Err(Error::rejected(
                ErrorCode::AlreadyExists,
                "You already have a credential with this name.",
            ));
        }
        let handle = self.user_handle(&session.user.id)?;
        let challenge = random_array::<32>(self.env)?;
        let resident = usage == Usage::First;
        let exclude: Vec<serde_json::Value> = existing
            .iter()
            .map(|(id, r)| descriptor(id, &r.transports))
            .collect();
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
        let CeremonyRecord {
            v: _,
            kind,
            challenge,
            rp_id,
            origins,
            created_at_ms: _,
        } = ceremony;
        let CeremonyKind::Register {
            user_id,
            session_id,
            name,
            usage,
        } = kind
        else {
            return Err(wrong_ceremony());
        };
        if session_id != session.id || user_id != session.user.id {
            return Err(wrong_ceremony());
        }
        if credential.kind != "public-key" {
            return Err(rejected("The credential type must be 'public-key'."));
        }
        let client_data_bytes = wire::b64("clientDataJSON", &credential.response.client_data_json)?;
        let client_data = wire::client_data(&client_data_bytes)?;
        check_client_data(&client_data, "webauthn.create", &challenge, &origins)?;
        let attestation = wire::attestation_object(&wire::b64(
            "attestationObject",
            &credential.response.attestation_object,
        )?)?;
        let auth_data = wire::auth_data(&attestation.auth_data)?;
        check_rp(&auth_data, &rp_id)?;
        check_backup_flags(auth_data.flags)?;
        if usage == Usage::First && !auth_data.user_verified() {
            return Err(rejected(
                "A passkey must verify the user (PIN or biometrics) when it is created.",
            ));
        }
        let Some(attested) = &auth_data.attested else {
            return Err(rejected("The authenticator data holds no new credential."));
        };
        let raw_id = wire::b64("rawId", &credential.raw_id)?;
        if raw_id != attested.credential_id {
            return Err(rejected(
                "The credential ID does not match the authenticator data.",
            ));
        }
        let key = PublicKey::from_cose(&attested.public_key)?;
        let client_data_hash = Sha256::digest(&client_data_bytes);
        self.check_attestation(&attestation, &key, &client_data_hash)?;

        let id_b64 = URL_SAFE_NO_PAD.encode(&attested.credential_id);
        let now = self.env.now_ms();
        let discoverable = credential
            .client_extension_results
            .as_ref()
            .and_then(|e| e.pointer("/credProps/rk"))
            .and_then(serde_json::Value::as_bool);
        let record = CredentialRecord {
            v: 1,
            user_id: user_id.clone(),
            name,
            usage,
            public_key: URL_SAFE_NO_PAD.encode(&attested.public_key),
            alg: key.algorithm().cose_id(),
            sign_count: auth_data.sign_count,
            created_at_ms: now,
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
            backup_eligible: Some(auth_data.flags & wire::FLAG_BE != 0),
            backed_up: auth_data.flags & wire::FLAG_BS != 0,
            aaguid: hex::encode(attested.aaguid),
        };
        if self.credential_records(&user_id)?.len() >= MAX_CREDENTIALS_PER_USER {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                format!(
                    "At most {MAX_CREDENTIALS_PER_USER} credentials per account; delete one first."
                ),
            ));
        }
        // The index first, as for sessions: a crash leaves an index entry pointing at nothing,
        // which listing skips. The claim on the credential ID decides uniqueness.
        self.store
            .put(&user_credential_key(&user_id, &id_b64), b"", None, None)?;
        match records::save(self.store, &credential_key(&id_b64), &record, Some(0), None) {
            Ok(_) => {}
            Err(Error::Store(StoreError::Conflict)) => {
                self.store
                    .delete(&user_credential_key(&user_id, &id_b64), None)?;
                return Err(Error::rejected(
                    ErrorCode::AlreadyExists,
                    "This credential is already registered.",
                ));
            }
            Err(e) => return Err(e),
        }
        self.security_notice(&user_id, crate::notices::Notice::PasskeyAdded, None)?;
        Ok(info(&id_b64, &record))
    }

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

    /// [`Sesame::begin_passkey_signin`] for a client: attempts are throttled per client
    /// address and per identity named, with the limits and counters of a password sign-in,
    /// so a passkey sign-in is no way around them.
    pub fn begin_passkey_signin_from(
        &self,
        identity: Option<&str>,
        rp: &RelyingParty,
        client: &ClientInfo,
    ) -> Result<Ceremony> {
        let identity = identity.map(str::trim).filter(|i| !i.is_empty());
        self.throttle_sign_in(client, identity)?;
        let (user_id, allow) = match identity {
            None => (None, Vec::new()),
            Some(identity) => {
                let (user_id, allow) = self.signin_allow_list(identity)?;
                (Some(user_id), allow)
            }
        };
        let challenge = random_array::<32>(self.env)?;
        let options = request_options(rp, &challenge, allow, "required", self.config);
        self.start_ceremony(
            CeremonyKind::SignIn {
                user_id,
                identity: identity.map(str::to_owned),
            },
            challenge,
            rp,
            options,
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
        let allow: Vec<serde_json::Value> = self
            .credential_records(&user_id)?
            .iter()
            .map(|(id, r)| descriptor(id, &r.transports))
            .collect();
        if allow.is_empty() {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "This account has no security key or passkey.",
            ));
        }
        let challenge = random_array::<32>(self.env)?;
        let options = request_options(rp, &challenge, allow, "preferred", self.config);
        self.start_ceremony(
            CeremonyKind::SecondFactor {
                pending_hash: hex::encode(Sha256::digest(pending_token.as_bytes())),
            },
            challenge,
            rp,
            options,
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
                    return Err(unknown_credential());
                };
                if !user.active {
                    return Err(Error::AccountDisabled);
                }
                // A first-factor passkey always asserts user verification (checked above):
                // possession and a PIN or biometric, two factors in one gesture.
                self.issue_session(
                    user.public(),
                    client,
                    crate::sessions::SignInProof::MultiFactor,
                )
            }
            CeremonyKind::SecondFactor { pending_hash } => {
                let pending_token = pending_token.ok_or_else(wrong_ceremony)?;
                let hash = hex::encode(Sha256::digest(pending_token.as_bytes()));
                if !bool::from(hash.as_bytes().ct_eq(pending_hash.as_bytes())) {
                    return Err(wrong_ceremony());
                }
                self.complete(pending_token, client, |user_id| {
                    self.verify_assertion(&ceremony, credential, Some(user_id), false)
                        .map(|_| ())
                })
            }
            CeremonyKind::Register { .. } | CeremonyKind::Verify { .. } => Err(wrong_ceremony()),
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
        let allow: Vec<serde_json::Value> = self
            .credential_records(&session.user.id)?
            .iter()
            .map(|(id, r)| descriptor(id, &r.transports))
            .collect();
        if allow.is_empty() {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "You have no security key or passkey to verify with.",
            ));
        }
        let challenge = random_array::<32>(self.env)?;
        let options = request_options(rp, &challenge, allow, "preferred", self.config);
        self.start_ceremony(
            CeremonyKind::Verify {
                user_id: session.user.id.clone(),
                session_id: session.id.clone(),
            },
            challenge,
            rp,
            options,
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
            return Err(wrong_ceremony());
        };
        if *session_id != session.id || *user_id != session.user.id {
            return Err(wrong_ceremony());
        }
        let verified = self.verify_assertion(&ceremony, credential, Some(user_id), false)?;
        self.record_reauthentication(
            session,
            crate::freshness::ReauthMethod::Passkey,
            verified.user_verified,
        )
    }

    /// The user's credentials, oldest first.
    ///
    /// WIT: `sesame:auth/webauthn.list-credentials`.
    pub fn list_passkeys(&self, user_id: &str) -> Result<Vec<CredentialInfo>> {
        let mut list: Vec<CredentialInfo> = self
            .credential_records(user_id)?
            .iter()
            .map(|(id, r)| info(id, r))
            .collect();
        list.sort_by(|a, b| a.created_at_ms.cmp(&b.created_at_ms).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    /// Deletes one of the signed-in user's credentials, named by ID or by name. Needs a fresh
    /// session (`reauthentication-required`); another user's credential is `not-found`.
    ///
    /// WIT: `sesame:auth/webauthn.delete`.
    pub fn delete_passkey(
        &self,
        session: &SessionInfo,
        id_or_name: &str,
    ) -> Result<CredentialInfo> {
        self.require_fresh(session)?;
        let found = self
            .credential_records(&session.user.id)?
            .into_iter()
            .find(|(id, r)| id == id_or_name || r.name == id_or_name)
            .ok_or_else(|| {
                Error::rejected(
                    ErrorCode::NotFound,
                    "You have no credential with this ID or name.",
                )
            })?;
        let (id, record) = found;
        self.store.delete(&credential_key(&id), None)?;
        self.store
            .delete(&user_credential_key(&session.user.id, &id), None)?;
        self.security_notice(
            &session.user.id,
            crate::notices::Notice::PasskeyRemoved,
            None,
        )?;
        Ok(info(&id, &record))
    }

    /// Whether the user has a credential registered as a second factor (which makes a password
    /// alone insufficient, like TOTP).
    pub(crate) fn has_secondary_passkey(&self, user_id: &str) -> Result<bool> {
        Ok(self
            .credential_records(user_id)?
            .iter()
            .any(|(_, r)| r.usage == Usage::Secondary))
    }

    /// Whether the user has any credential (usable as a second factor).
    pub(crate) fn has_passkey(&self, user_id: &str) -> Result<bool> {
        Ok(!self
            .store
            .scan(&format!("wan-user-cred/{user_id}/"), None, 1)?
            .is_empty())
    }

    /// Saves a new ceremony and returns its token with the options.
    fn start_ceremony(
        &self,
        kind: CeremonyKind,
        challenge: [u8; 32],
        rp: &RelyingParty,
        options: serde_json::Value,
    ) -> Result<Ceremony> {
        let token = CeremonyToken(Zeroizing::new(
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.env)?),
        ));
        let now = self.env.now_ms();
        let ttl = self.config.webauthn.challenge_ms;
        let record = CeremonyRecord {
            v: 1,
            kind,
            challenge: URL_SAFE_NO_PAD.encode(challenge),
            rp_id: rp.id.clone(),
            origins: rp.origins.clone(),
            created_at_ms: now,
        };
        records::save(
            self.store,
            &ceremony_key(token.expose()),
            &record,
            Some(0),
            Some(ttl),
        )?;
        Ok(Ceremony {
            state: token,
            options,
            expires_at_ms: now.saturating_add(ttl),
        })
    }

    /// Loads the ceremony of `token` and deletes it by compare-and-swap, so only one caller
    /// ever gets it: a challenge is answered at most once.
    fn take_ceremony(&self, token: &str) -> Result<CeremonyRecord> {
        if token.len() != CEREMONY_TOKEN_CHARS {
            return Err(challenge_invalid());
        }
        let key = ceremony_key(token);
        for _ in 0..CAS_ATTEMPTS {
            let Some((record, version)) = records::load::<CeremonyRecord>(self.store, &key)? else {
                return Err(challenge_invalid());
            };
            match self.store.delete(&key, Some(version)) {
                Ok(true) => return Ok(record),
                Ok(false) => return Err(challenge_invalid()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention("webauthn ceremony"))
    }

    /// Verifies the attestation statement under the configured policy.
    fn check_attestation(
        &self,
        attestation: &wire::AttestationObject,
        key: &PublicKey,
        client_data_hash: &[u8],
    ) -> Result<()> {
        let format = AttestationFormat::parse(&attestation.fmt)
            .filter(|f| self.config.webauthn.attestation_formats.contains(f))
            .ok_or_else(|| {
                rejected(format!(
                    "Attestation format '{}' is not accepted here.",
                    attestation.fmt.chars().take(32).collect::<String>()
                ))
            })?;
        match format {
            AttestationFormat::None => {
                if attestation.att_stmt.is_empty() {
                    Ok(())
                } else {
                    Err(rejected(
                        "A 'none' attestation must have an empty statement.",
                    ))
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
                    return Err(rejected(
                        "Only self attestation is accepted in 'packed'; request attestation 'none'.",
                    ));
                }
                let alg = field("alg")
                    .and_then(ciborium::Value::as_integer)
                    .and_then(|i| i64::try_from(i128::from(i)).ok());
                if alg != Some(key.algorithm().cose_id()) {
                    return Err(rejected(
                        "The packed attestation's algorithm does not match the credential's.",
                    ));
                }
                let sig = field("sig")
                    .and_then(ciborium::Value::as_bytes)
                    .ok_or_else(|| rejected("The packed attestation has no signature."))?;
                let mut signed = attestation.auth_data.clone();
                signed.extend_from_slice(client_data_hash);
                key.verify(&signed, sig)
            }
        }
    }

    /// The user's random WebAuthn handle (base64url), created on first use. Never the email
    /// or the user id, so an authenticator's stored data says nothing about the account.
    fn user_handle(&self, user_id: &str) -> Result<String> {
        let key = user_handle_key(user_id);
        if let Some((record, _)) = records::load::<HandleRecord>(self.store, &key)? {
            return Ok(record.handle);
        }
        let handle = URL_SAFE_NO_PAD.encode(random_array::<32>(self.env)?);
        let record = HandleRecord {
            v: 1,
            handle: handle.clone(),
        };
        match records::save(self.store, &key, &record, Some(0), None) {
            Ok(_) => {
                self.store
                    .put(&handle_key(&handle), user_id.as_bytes(), Some(0), None)?;
                Ok(handle)
            }
            // Another request created it first: use theirs.
            Err(Error::Store(StoreError::Conflict)) => {
                records::load::<HandleRecord>(self.store, &key)?
                    .map(|(r, _)| r.handle)
                    .ok_or(Error::Contention("webauthn user handle"))
            }
            Err(e) => Err(e),
        }
    }

    /// Every credential of the user, with its ID.
    fn credential_records(&self, user_id: &str) -> Result<Vec<(String, CredentialRecord)>> {
        let prefix = format!("wan-user-cred/{user_id}/");
        let page = self
            .store
            .scan(&prefix, None, (MAX_CREDENTIALS_PER_USER * 2) as u32)?;
        let mut list = Vec::new();
        for (key, _) in page {
            let Some(id) = key.strip_prefix(&prefix) else {
                continue;
            };
            if let Some((record, _)) =
                records::load::<CredentialRecord>(self.store, &credential_key(id))?
                && record.user_id == user_id
            {
                list.push((id.to_owned(), record));
            }
        }
        Ok(list)
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

/// A `PublicKeyCredentialDescriptor` in JSON form.
fn descriptor(id: &str, transports: &[String]) -> serde_json::Value {
    serde_json::json!({"type": "public-key", "id": id, "transports": transports})
}

fn info(id: &str, record: &CredentialRecord) -> CredentialInfo {
    CredentialInfo {
        id: id.to_owned(),
        name: record.name.clone(),
        usage: record.usage,
        algorithm: Algorithm::from_cose_id(record.alg).unwrap_or(Algorithm::Es256),
        created_at_ms: record.created_at_ms,
        last_used_at_ms: record.last_used_at_ms,
        sign_count: record.sign_count,
        transports: record.transports.clone(),
        attachment: record.attachment.clone(),
        discoverable: record.discoverable,
        backup_eligible: record.backup_eligible,
        backed_up: record.backed_up,
    }
}

/// Client data checks shared by both ceremonies (§7.1 steps 7–10, §7.2 steps 10–13).
fn check_client_data(
    client_data: &wire::ClientData,
    kind: &str,
    challenge_b64: &str,
    origins: &[String],
) -> Result<()> {
    if client_data.kind != kind {
        return Err(rejected(format!(
            "The client data is for another ceremony (expected '{kind}')."
        )));
    }
    let expected = URL_SAFE_NO_PAD.decode(challenge_b64).unwrap_or_default();
    if !bool::from(client_data.challenge.ct_eq(&expected)) {
        return Err(Error::rejected(
            ErrorCode::ChallengeInvalid,
            "The answer is for another challenge.",
        ));
    }
    if !origins.contains(&client_data.origin) {
        return Err(Error::rejected(
            ErrorCode::WebauthnRejected,
            format!(
                "The origin '{}' is not allowed for this site.",
                client_data.origin.chars().take(100).collect::<String>()
            ),
        ));
    }
    if client_data.cross_origin {
        return Err(rejected("Ceremonies from cross-origin frames are refused."));
    }
    Ok(())
}

/// The RP ID hash and user presence (§7.1 steps 13–14, §7.2 steps 15–16).
fn check_rp(auth_data: &wire::AuthData, rp_id: &str) -> Result<()> {
    let expected = Sha256::digest(rp_id.as_bytes());
    if !bool::from(auth_data.rp_id_hash.ct_eq(expected.as_slice())) {
        return Err(rejected(
            "The credential is scoped to another site (RP ID).",
        ));
    }
    if !auth_data.user_present() {
        return Err(rejected(
            "The authenticator did not check that a user was present.",
        ));
    }
    Ok(())
}

/// Validates a credential name: trimmed, 1 to 64 characters, no control characters.
fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(Error::rejected(
            ErrorCode::InvalidRequest,
            format!("Give the credential a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name.to_owned())
}

fn is_loopback(host_port: &str) -> bool {
    matches!(strip_port(host_port), "localhost" | "127.0.0.1" | "[::1]")
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `host[:port]` without the port (IPv6 literals keep their brackets).
fn strip_port(host_port: &str) -> &str {
    if host_port.starts_with('[') {
        return host_port
            .split_once(']')
            .map_or(host_port, |(h, _)| &host_port[..=h.len()]);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

fn challenge_invalid() -> Error {
    Error::rejected(
        ErrorCode::ChallengeInvalid,
        "This challenge is unknown, expired or already used; start again.",
    )
}

fn wrong_ceremony() -> Error {
    Error::rejected(
        ErrorCode::ChallengeInvalid,
        "This challenge was issued for another sign-in or session; start again.",
    )
}

fn unknown_credential() -> Error {
    Error::rejected(
        ErrorCode::UnknownCredential,
        "This passkey or security key is not registered for this account, or its answer does not verify.",
    )
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 3] = [
    ("wan-cred/", records::reencode::<CredentialRecord>),
    ("wan-user/", records::reencode::<HandleRecord>),
    ("wan-ceremony/", records::reencode::<CeremonyRecord>),
];

#[cfg(test)]
mod tests;
