//! How core's records are laid out in the [`Store`]: key names and the value codec.
//!
//! Values are JSON objects with a schema version field, so a later Sesame can read what an
//! earlier one wrote. Keys:
//!
//! | key                               | value                                   |
//! |-----------------------------------|-----------------------------------------|
//! | `user/{id}`                       | [`crate::accounts::UserRecord`]         |
//! | `email/{lower-cased email}`       | the user id (claims the email)          |
//! | `username/{lower-cased username}` | the user id (claims the username)       |
//! | `session/{sha256(token) hex}`     | [`crate::sessions::SessionRecord`]      |
//! | `user-session/{id}/{sha256 hex}`  | empty; lists a user's sessions          |
//! | `role/{name}`                     | [`crate::roles::Role`]                  |
//! | `throttle/{scope}/{hash}/{window}`| attempt count in a window (expiring)    |
//! | `shadow-failures/{hash}`          | failures naming no account (equal work) |
//! | `event/{time}-{nonce}`            | [`crate::events::Event`], 90 days       |
//! | `totp/{id}`                       | sealed TOTP credential, last used step  |
//! | `totp-enrolment/{id}`             | unconfirmed TOTP credential (expiring)  |
//! | `tf-pending/{sha256(token) hex}`  | pending sign-in awaiting a second factor|
//! | `tf-failures/{id}`                | wrong second-factor codes in a row      |
//! | `recovery/{id}`                   | tags of the unused recovery codes       |
//! | `wan-ceremony/{sha256(token) hex}`| started WebAuthn ceremony (expiring)    |
//! | `wan-cred/{credential id}`        | a WebAuthn credential and its owner     |
//! | `wan-user-cred/{id}/{credential id}`| empty; lists a user's credentials     |
//! | `wan-user/{id}`                   | the user's random WebAuthn user handle  |
//! | `wan-handle/{handle}`             | the user id (claims the user handle)    |

use serde::Serialize;
use serde::de::DeserializeOwned;

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

/// Key of a user record.
pub(crate) fn user_key(id: &str) -> String {
    format!("user/{id}")
}

/// Key claiming an email address (already normalised).
pub(crate) fn email_key(normalised: &str) -> String {
    format!("email/{normalised}")
}

/// Key claiming a username (already normalised).
pub(crate) fn username_key(normalised: &str) -> String {
    format!("username/{normalised}")
}

/// Key of a role.
pub(crate) fn role_key(name: &str) -> String {
    format!("role/{name}")
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
