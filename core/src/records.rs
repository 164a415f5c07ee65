//! How core's records are laid out in the [`Store`]: key names and the value codec.
//!
//! Values are JSON objects with a schema version field, so a later Sesame can read what an
//! earlier one wrote. Keys:
//!
//! | key                                  | value                                    |
//! |--------------------------------------|------------------------------------------|
//! | `user/{id}`                          | [`crate::accounts::UserRecord`]          |
//! | `email/{lower-cased email}`          | the user id (claims the email)           |
//! | `username/{lower-cased username}`    | the user id (claims the username)        |
//! | `identity-lock/{id}`                 | empty; a change of claims under way (30 s)|
//! | `shadow-failures/{hash}`             | failures naming no account (equal work)  |
//! | `role/{name}`                        | [`crate::roles::Role`]                   |
//! | `api-key/{id}`                       | an API key's hash, name and scopes       |
//! | `reauth/{login id}`                  | a login's last re-verification (expiring)|
//! | `throttle/{scope}/{hash}/{window}`   | attempt count in a window (expiring)     |
//! | `keyring`                            | the key generations and their retirement |
//! | `event/{time}-{nonce}`               | [`crate::events::Event`], 90 days        |
//! | `user-event/{id}/{time}-{nonce}`     | empty; lists a user's events, 90 days    |
//! | `totp/{id}`                          | sealed TOTP credential, last used step   |
//! | `totp-enrolment/{id}`                | unconfirmed TOTP credential (expiring)   |
//! | `tf-pending/{sha256(token) hex}`     | pending sign-in awaiting a second factor |
//! | `tf-failures/{id}`                   | wrong second-factor codes in a row       |
//! | `tf-failures/~{hash}`                | wrong mailed codes naming no account     |
//! | `tf-email/{id}`                      | email is the user's second factor        |
//! | `tf-email-enrolment/{id}`            | turning it on: the mailed code (expiring)|
//! | `us-flow/{sha256(token) hex}`        | a code sign-in: its code and attempts    |
//! | `recovery/{id}`                      | tags of the unused recovery codes        |
//! | `token-family/{id}`                  | a token login: its one valid refresh hash|
//! | `user-token-family/{id}/{family id}` | empty; lists a user's token logins       |
//! | `refresh/{sha256(token) hex}`        | the family a refresh token belongs to    |
//! | `session/{sha256(token) hex}`        | [`crate::sessions::SessionRecord`]       |
//! | `user-session/{id}/{sha256 hex}`     | empty; lists a user's sessions           |
//! | `wan-ceremony/{sha256(token) hex}`   | started WebAuthn ceremony (expiring)     |
//! | `wan-cred/{credential id}`           | a WebAuthn credential and its owner      |
//! | `wan-user-cred/{id}/{credential id}` | empty; lists a user's credentials        |
//! | `wan-user/{id}`                      | the user's random WebAuthn user handle   |
//! | `wan-handle/{handle}`                | the user id (claims the user handle)     |
//! | `oauth-client/{client id}`           | an OAuth client and its secret's hash    |
//! | `oauth-code/{sha256(code) hex}`      | an authorization code's grant (expiring) |
//! | `oauth-consent/{id}/{client id}`     | the scopes a user let a client have      |
//! | `outbound/pending/{due}-{id}`        | a mail or event to deliver over HTTP     |
//! | `outbound/dead/{id}`                 | one given up (30 days)                   |
//! | `outbound/admitted/{kind}/{hour}`    | items queued in an hour (expiring)       |
//!
//! The host's mail queue keeps its messages under `mailq/pending/` and `mailq/dead/` (the
//! host writes them; core only reads them for the admin API, moves dead letters back and
//! deletes them, see `crate::admin`).
//!
//! Every key is built by a function (or named by a constant) of this module, so no two record
//! kinds can come to share a prefix unnoticed.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::Store;

/// How many times a compare-and-swap loop retries before giving up with
/// [`Error::Contention`]. Each retry re-reads, so the loop only fails if the record is rewritten
/// this many times during one request.
pub(crate) const CAS_ATTEMPTS: usize = 256;

/// Reads and decodes the record under `key` with its version.
pub(crate) fn load<T: DeserializeOwned>(store: &dyn Store, key: &str) -> Result<Option<(T, u64)>> {
    let Some(entry) = store.get(key)? else {
        return Ok(None);
    };
    let value = decode(key, &entry.value)?;
    Ok(Some((value, entry.version)))
}

/// Decodes a stored value, naming the key when it is unreadable.
pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

/// Encodes and writes `value` under `key` (see [`Store::put`] for `expect` and `ttl_ms`).
pub(crate) fn save<T: Serialize>(
    store: &dyn Store,
    key: &str,
    value: &T,
    expect: Option<u64>,
    ttl_ms: Option<u64>,
) -> Result<u64> {
    let bytes = serde_json::to_vec(value).map_err(|e| Error::Corrupt {
        key: key.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(store.put(key, &bytes, expect, ttl_ms)?)
}

/// Decodes `bytes` as a `T` and encodes it again: the fuzz targets check that every value the
/// decoder accepts survives a second round unchanged.
#[cfg(feature = "fuzzing")]
pub(crate) fn reencode<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<Vec<u8>> {
    let value: T = decode("fuzz", bytes)?;
    serde_json::to_vec(&value).map_err(|e| Error::Corrupt {
        key: "fuzz".to_owned(),
        reason: e.to_string(),
    })
}

/// A record codec for the fuzz targets: the key prefix it is stored under and [`reencode`] of
/// its type.
#[cfg(feature = "fuzzing")]
pub(crate) type Codec = (&'static str, fn(&[u8]) -> Result<Vec<u8>>);

// Prefixes named outside their key functions: by scans that list records, and by the fuzz
// targets' record codecs.

/// Prefix of user records, for listing them in id order.
pub(crate) const USER_PREFIX: &str = "user/";

/// Prefix of roles, for listing them.
pub(crate) const ROLE_PREFIX: &str = "role/";

/// Prefix of API key records, for listing them.
pub(crate) const API_KEY_RECORD_PREFIX: &str = "api-key/";

/// Prefix of re-verification records.
pub(crate) const REAUTH_PREFIX: &str = "reauth/";

/// Prefix of confirmed TOTP credentials.
pub(crate) const TOTP_PREFIX: &str = "totp/";

/// Prefix of pending sign-ins awaiting a second factor.
pub(crate) const PENDING_SIGN_IN_PREFIX: &str = "tf-pending/";

/// Prefix of the second-factor failure counts.
pub(crate) const SECOND_FACTOR_FAILURES_PREFIX: &str = "tf-failures/";

/// Prefix of the records of email as a user's second factor.
pub(crate) const EMAIL_FACTOR_PREFIX: &str = "tf-email/";

/// Prefix of code sign-ins (a mailed code and link awaiting use).
pub(crate) const CODE_FLOW_PREFIX: &str = "us-flow/";

/// Prefix of recovery code sets.
pub(crate) const RECOVERY_PREFIX: &str = "recovery/";

/// Prefix of token families.
pub(crate) const TOKEN_FAMILY_PREFIX: &str = "token-family/";

/// Prefix of refresh token links.
pub(crate) const REFRESH_PREFIX: &str = "refresh/";

/// Prefix of OAuth clients, for listing them.
pub(crate) const OAUTH_CLIENT_PREFIX: &str = "oauth-client/";

/// Prefix of authorization codes.
pub(crate) const OAUTH_CODE_PREFIX: &str = "oauth-code/";

/// Prefix of messages waiting in the host's mail queue.
pub(crate) const MAIL_PENDING_PREFIX: &str = "mailq/pending/";

/// Prefix of the host's dead letters.
pub(crate) const MAIL_DEAD_PREFIX: &str = "mailq/dead/";

// OpenID provider (`crate::oauth`).

/// Key of an OAuth client.
pub(crate) fn oauth_client_key(client_id: &str) -> String {
    format!("{OAUTH_CLIENT_PREFIX}{client_id}")
}

/// Key of an authorization code (`code_hash`: hex SHA-256 of the code).
pub(crate) fn oauth_code_key(code_hash: &str) -> String {
    format!("{OAUTH_CODE_PREFIX}{code_hash}")
}

/// Prefix of a user's consents, for listing them.
pub(crate) fn oauth_consents_prefix(user_id: &str) -> String {
    format!("oauth-consent/{user_id}/")
}

/// Key of the consent a user gave a client.
pub(crate) fn oauth_consent_key(user_id: &str, client_id: &str) -> String {
    format!("{}{client_id}", oauth_consents_prefix(user_id))
}

// Accounts (`crate::accounts`).

/// Key of a user record.
pub(crate) fn user_key(id: &str) -> String {
    format!("{USER_PREFIX}{id}")
}

/// Key claiming an email address (already normalised).
pub(crate) fn email_key(normalised: &str) -> String {
    format!("email/{normalised}")
}

/// Key held while one change of a user's email or username claims is under way.
pub(crate) fn identity_lock_key(user_id: &str) -> String {
    format!("identity-lock/{user_id}")
}

/// Key claiming a username (already normalised).
pub(crate) fn username_key(normalised: &str) -> String {
    format!("username/{normalised}")
}

/// Key counting the failed sign-ins of an identity that names no account (`identity_hash`:
/// hex of a truncated SHA-256 of the trimmed, lower-cased identity).
pub(crate) fn shadow_failures_key(identity_hash: &str) -> String {
    format!("shadow-failures/{identity_hash}")
}

// Roles (`crate::roles`).

/// Key of a role.
pub(crate) fn role_key(name: &str) -> String {
    format!("{ROLE_PREFIX}{name}")
}

// API keys (`crate::api_keys`).

/// Key of an API key record.
pub(crate) fn api_key_key(id: &str) -> String {
    format!("{API_KEY_RECORD_PREFIX}{id}")
}

// Re-verification (`crate::freshness`).

/// Key of the last re-verification of a login.
pub(crate) fn reauth_key(login_id: &str) -> String {
    format!("{REAUTH_PREFIX}{login_id}")
}

// Throttling (`crate::throttle`).

/// Key counting the attempts of one subject (`subject_hash`) in one scope and time window.
pub(crate) fn throttle_key(scope: &str, subject_hash: &str, window: u64) -> String {
    format!("throttle/{scope}/{subject_hash}/{window}")
}

// Delivery over HTTP (`crate::outbound`).

/// Prefix of the mail and events waiting for delivery, in the order they are due.
pub(crate) const OUTBOUND_PENDING_PREFIX: &str = "outbound/pending/";

/// Key of a waiting item: when it is due, zero-padded so keys sort by it, then its id.
pub(crate) fn outbound_pending_key(due_ms: u64, id: &str) -> String {
    format!("{OUTBOUND_PENDING_PREFIX}{due_ms:020}-{id}")
}

/// When the waiting item under `key` is due (`None`: not a pending key).
pub(crate) fn outbound_due_ms(key: &str) -> Option<u64> {
    let rest = key.strip_prefix(OUTBOUND_PENDING_PREFIX)?;
    rest.get(..20)?.parse().ok()
}

/// Key of an item given up.
pub(crate) fn outbound_dead_key(id: &str) -> String {
    format!("outbound/dead/{id}")
}

/// Key counting the items queued in one hour for one bucket: `mail/{hash of the recipient}`,
/// `event/{hash of the user id}` or `event/anonymous`.
pub(crate) fn outbound_admitted_key(bucket: &str, hour: u64) -> String {
    format!("outbound/admitted/{bucket}/{hour}")
}

// Events (`crate::events`).

/// Prefix of events, for listing them in time order.
pub(crate) const EVENT_PREFIX: &str = "event/";

/// The part of an event's key after [`EVENT_PREFIX`]: its time, zero-padded so keys sort by
/// time, then a random nonce (hex) so events of one millisecond do not collide.
pub(crate) fn event_suffix(at_ms: u64, nonce: &[u8]) -> String {
    format!("{at_ms:016}-{}", hex::encode(nonce))
}

/// Key of an event (`suffix` from [`event_suffix`]).
pub(crate) fn event_key(suffix: &str) -> String {
    format!("{EVENT_PREFIX}{suffix}")
}

/// Prefix listing a user's events (followed by the event's [`event_suffix`]).
pub(crate) fn user_events_prefix(user_id: &str) -> String {
    format!("user-event/{user_id}/")
}

/// Key listing one of a user's events.
pub(crate) fn user_event_key(user_id: &str, suffix: &str) -> String {
    format!("{}{suffix}", user_events_prefix(user_id))
}

// Keys (`crate::keyring`).

/// Key of the keyring record (there is one).
pub(crate) const KEYRING_KEY: &str = "keyring";

// Two-factor authentication (`crate::two_factor`).

/// Key of a user's confirmed TOTP credential.
pub(crate) fn totp_key(user_id: &str) -> String {
    format!("{TOTP_PREFIX}{user_id}")
}

/// Key of a user's TOTP enrolment awaiting its first code.
pub(crate) fn totp_enrolment_key(user_id: &str) -> String {
    format!("totp-enrolment/{user_id}")
}

/// Key of the pending sign-in of `token`: only the token's SHA-256 names it, so the store never
/// holds the bearer secret.
pub(crate) fn pending_sign_in_key(token: &str) -> String {
    format!(
        "{PENDING_SIGN_IN_PREFIX}{}",
        hex::encode(Sha256::digest(token.as_bytes()))
    )
}

/// Key of the code sign-in `flow_id` (the SHA-256 of its token, hex).
pub(crate) fn code_flow_key(flow_id: &str) -> String {
    format!("{CODE_FLOW_PREFIX}{flow_id}")
}

/// Key counting the wrong mailed codes of an identity that names no account, beside the
/// accounts' own counts (user ids never begin with `~`), so both lock alike.
pub(crate) fn shadow_code_failures_key(identity: &str) -> String {
    let digest = Sha256::digest(crate::accounts::identity_key(identity).as_bytes());
    format!(
        "{SECOND_FACTOR_FAILURES_PREFIX}~{}",
        hex::encode(&digest[..16])
    )
}

/// Key of a user's count of wrong second-factor codes in a row.
pub(crate) fn second_factor_failures_key(user_id: &str) -> String {
    format!("{SECOND_FACTOR_FAILURES_PREFIX}{user_id}")
}

/// Key of a user's recovery codes.
pub(crate) fn recovery_codes_key(user_id: &str) -> String {
    format!("{RECOVERY_PREFIX}{user_id}")
}

// Token logins (`crate::tokens`).

/// Key of a token family.
pub(crate) fn token_family_key(id: &str) -> String {
    format!("{TOKEN_FAMILY_PREFIX}{id}")
}

/// Prefix listing a user's token families (followed by the family id).
pub(crate) fn user_token_families_prefix(user_id: &str) -> String {
    format!("user-token-family/{user_id}/")
}

/// Key listing one of a user's token families.
pub(crate) fn user_token_family_key(user_id: &str, family_id: &str) -> String {
    format!("{}{family_id}", user_token_families_prefix(user_id))
}

/// Key linking a refresh token hash to its family.
pub(crate) fn refresh_key(hash: &str) -> String {
    format!("{REFRESH_PREFIX}{hash}")
}

// Sessions (`crate::sessions`).

/// Prefix listing a user's sessions (followed by the session's token hash).
pub(crate) fn user_sessions_prefix(user_id: &str) -> String {
    format!("user-session/{user_id}/")
}

/// Key of a session record.
pub(crate) fn session_key(token_hash: &str) -> String {
    format!("session/{token_hash}")
}

/// Key listing one of a user's sessions.
pub(crate) fn user_session_key(user_id: &str, token_hash: &str) -> String {
    format!("user-session/{user_id}/{token_hash}")
}

// WebAuthn (core/src/webauthn). Credential IDs and user handles appear in keys as base64url.

/// Key of a started WebAuthn ceremony: the SHA-256 of its token, so the store never holds a
/// token that could finish the ceremony.
pub(crate) fn wan_ceremony_key(token: &str) -> String {
    use sha2::{Digest as _, Sha256};
    format!(
        "wan-ceremony/{}",
        hex::encode(Sha256::digest(token.as_bytes()))
    )
}

/// Key of a WebAuthn credential (claims the credential ID across all users).
pub(crate) fn wan_credential_key(id_b64: &str) -> String {
    format!("wan-cred/{id_b64}")
}

/// Prefix under which a user's WebAuthn credentials are listed.
pub(crate) fn wan_user_credentials_prefix(user_id: &str) -> String {
    format!("wan-user-cred/{user_id}/")
}

/// Key listing one of a user's WebAuthn credentials.
pub(crate) fn wan_user_credential_key(user_id: &str, id_b64: &str) -> String {
    format!("{}{id_b64}", wan_user_credentials_prefix(user_id))
}

/// Key of a user's WebAuthn user handle.
pub(crate) fn wan_user_handle_key(user_id: &str) -> String {
    format!("wan-user/{user_id}")
}

/// Key claiming a WebAuthn user handle for its user.
pub(crate) fn wan_handle_key(handle: &str) -> String {
    format!("wan-handle/{handle}")
}
