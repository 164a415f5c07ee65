//! A user's stored credentials and WebAuthn user handle: reading, listing, deleting, and the
//! limits on names and numbers that registration enforces.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::cose::Algorithm;
use super::{CredentialInfo, MAX_CREDENTIALS_PER_USER, MAX_NAME_CHARS, Usage, WebAuthnError};
use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, Result};
use crate::records::{
    self, wan_credential_key, wan_handle_key, wan_user_credential_key, wan_user_credentials_prefix,
    wan_user_handle_key,
};
use crate::sessions::SessionInfo;
use crate::store::StoreError;

/// A stored credential (`wan-cred/{credential id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CredentialRecord {
    pub(super) v: u32,
    pub(super) user_id: String,
    pub(super) name: String,
    pub(super) usage: Usage,
    /// The COSE key, base64url.
    pub(super) public_key: String,
    pub(super) alg: i64,
    pub(super) sign_count: u32,
    pub(super) created_at_ms: u64,
    pub(super) last_used_at_ms: Option<u64>,
    pub(super) transports: Vec<String>,
    pub(super) attachment: Option<String>,
    pub(super) discoverable: Option<bool>,
    /// BE at registration; never changes (`None`: stored before Sesame kept it, learnt at
    /// the next use).
    #[serde(default)]
    pub(super) backup_eligible: Option<bool>,
    /// BS at the last registration or use.
    #[serde(default)]
    pub(super) backed_up: bool,
    pub(super) aaguid: String,
}

/// The user's WebAuthn handle (`wan-user/{user id}`); `wan-handle/{handle}` points back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct HandleRecord {
    pub(super) v: u32,
    pub(super) handle: String,
}

impl Sesame<'_> {
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
        self.remove_passkey(&session.user.id, id_or_name)
    }

    /// Deletes one of `user_id`'s credentials, named by ID or by name, and tells the user;
    /// another user's credential is `not-found`. The caller has checked who may do this.
    pub(crate) fn remove_passkey(&self, user_id: &str, id_or_name: &str) -> Result<CredentialInfo> {
        let found = self
            .credential_records(user_id)?
            .into_iter()
            .find(|(id, r)| id == id_or_name || r.name == id_or_name)
            .ok_or(WebAuthnError::NoSuchCredential)?;
        let (id, record) = found;
        self.remove_passkey_silently(user_id, &id)?;
        self.security_notice(user_id, crate::notices::Notice::PasskeyRemoved, None)?;
        Ok(info(&id, &record))
    }

    /// Deletes `user_id`'s credential `id` without telling anyone: the caller does.
    pub(crate) fn remove_passkey_silently(&self, user_id: &str, id: &str) -> Result<()> {
        self.store.delete(&wan_credential_key(id), None)?;
        self.store
            .delete(&wan_user_credential_key(user_id, id), None)?;
        Ok(())
    }

    /// Deletes every credential of `user_id` and their WebAuthn user handle, silently: for
    /// erasing the account.
    pub(crate) fn erase_webauthn(&self, user_id: &str) -> Result<()> {
        for (id, _) in self.credential_records(user_id)? {
            self.store.delete(&wan_credential_key(&id), None)?;
            self.store
                .delete(&wan_user_credential_key(user_id, &id), None)?;
        }
        let handle_key = wan_user_handle_key(user_id);
        if let Some((record, _)) = records::load::<HandleRecord>(self.store, &handle_key)? {
            self.store.delete(&wan_handle_key(&record.handle), None)?;
            self.store.delete(&handle_key, None)?;
        }
        Ok(())
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
            .scan(&wan_user_credentials_prefix(user_id), None, 1)?
            .is_empty())
    }

    /// The user's random WebAuthn handle (base64url), created on first use. Never the email
    /// or the user id, so an authenticator's stored data says nothing about the account.
    pub(super) fn user_handle(&self, user_id: &str) -> Result<String> {
        let key = wan_user_handle_key(user_id);
        if let Some((record, _)) = records::load::<HandleRecord>(self.store, &key)? {
            return Ok(record.handle);
        }
        let handle = URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?);
        let record = HandleRecord {
            v: 1,
            handle: handle.clone(),
        };
        match records::save(self.store, &key, &record, Some(0), None) {
            Ok(_) => {
                self.store
                    .put(&wan_handle_key(&handle), user_id.as_bytes(), Some(0), None)?;
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
    pub(super) fn credential_records(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, CredentialRecord)>> {
        let prefix = wan_user_credentials_prefix(user_id);
        let page = self
            .store
            .scan(&prefix, None, (MAX_CREDENTIALS_PER_USER * 2) as u32)?;
        let mut list = Vec::new();
        for (key, _) in page {
            let Some(id) = key.strip_prefix(&prefix) else {
                continue;
            };
            if let Some((record, _)) =
                records::load::<CredentialRecord>(self.store, &wan_credential_key(id))?
                && record.user_id == user_id
            {
                list.push((id.to_owned(), record));
            }
        }
        Ok(list)
    }
}

/// A `PublicKeyCredentialDescriptor` in JSON form.
pub(super) fn descriptor(id: &str, transports: &[String]) -> serde_json::Value {
    serde_json::json!({"type": "public-key", "id": id, "transports": transports})
}

/// The descriptors of `credentials`, to offer (or exclude) in a ceremony's options.
pub(super) fn descriptors(credentials: &[(String, CredentialRecord)]) -> Vec<serde_json::Value> {
    credentials
        .iter()
        .map(|(id, r)| descriptor(id, &r.transports))
        .collect()
}

/// How a stored credential is listed to its owner.
pub(super) fn info(id: &str, record: &CredentialRecord) -> CredentialInfo {
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

/// Validates a credential name: trimmed, 1 to 64 characters, no control characters.
pub(super) fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(WebAuthnError::InvalidName.into());
    }
    Ok(name.to_owned())
}

/// Refuses a new credential for a user who has [`MAX_CREDENTIALS_PER_USER`] already.
pub(super) fn ensure_room<T>(existing: &[T]) -> Result<()> {
    if existing.len() >= MAX_CREDENTIALS_PER_USER {
        return Err(WebAuthnError::TooManyCredentials.into());
    }
    Ok(())
}
