//! What each user let each client have: asked once per client and set of scopes, remembered
//! until the user withdraws it, which also ends the client's logins for that user.

use serde::{Deserialize, Serialize};

use super::AuthorizationRequest;
use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::records::{self, oauth_consent_key, oauth_consents_prefix};

/// A consent as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The client.
    pub client_id: String,
    /// The scopes allowed.
    pub scopes: Vec<String>,
    /// When last given, ms since the epoch.
    pub granted_at_ms: u64,
}

impl Sesame<'_> {
    /// Whether `user_id` already let the request's client have every scope it asks for; a
    /// first-party client needs no consent.
    pub(super) fn has_consent(
        &self,
        user_id: &str,
        request: &AuthorizationRequest,
    ) -> Result<bool> {
        if request.client.first_party {
            return Ok(true);
        }
        self.consent_covers(user_id, &request.client.id, &request.scopes)
    }

    /// Whether `user_id`'s consent to `client_id` covers every one of `scopes`.
    pub(super) fn consent_covers(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
    ) -> Result<bool> {
        let key = oauth_consent_key(user_id, client_id);
        Ok(records::load::<Consent>(self.store, &key)?
            .is_some_and(|(consent, _)| scopes.iter().all(|s| consent.scopes.contains(s))))
    }

    /// Records that `user_id` lets `client_id` have `scopes` (added to what it had).
    pub(super) fn grant_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
    ) -> Result<()> {
        let key = oauth_consent_key(user_id, client_id);
        for _ in 0..records::CAS_ATTEMPTS {
            let (mut consent, version) = records::load::<Consent>(self.store, &key)?.unwrap_or((
                Consent {
                    client_id: client_id.to_owned(),
                    scopes: Vec::new(),
                    granted_at_ms: 0,
                },
                0,
            ));
            for scope in scopes {
                if !consent.scopes.contains(scope) {
                    consent.scopes.push(scope.clone());
                }
            }
            consent.granted_at_ms = self.host.now_ms();
            match records::save(self.store, &key, &consent, Some(version), None) {
                Ok(_) => {
                    self.emit(EventKind::ConsentGranted, Some(user_id), None);
                    return Ok(());
                }
                Err(Error::Store(crate::store::StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("consent"))
    }

    /// The consents `user_id` has given.
    pub fn consents(&self, user_id: &str) -> Result<Vec<Consent>> {
        let prefix = oauth_consents_prefix(user_id);
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.scan(&prefix, after.as_deref(), 500)?;
            let Some((last, _)) = page.last() else {
                return Ok(out);
            };
            after = Some(last.clone());
            for (key, entry) in page {
                out.push(records::decode::<Consent>(&key, &entry.value)?);
            }
        }
    }

    /// Withdraws the consent `user_id` gave `client_id` and ends that client's logins for the
    /// user; `not-found` when there was none.
    pub fn revoke_consent(&self, user_id: &str, client_id: &str) -> Result<()> {
        let key = oauth_consent_key(user_id, client_id);
        let had_consent = self.store.delete(&key, None)?;
        let ended = self.end_client_grants(user_id, client_id)?;
        if !had_consent && ended == 0 {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "This application has no consent or sign-in to withdraw.",
            ));
        }
        self.emit(EventKind::ConsentRevoked, Some(user_id), None);
        Ok(())
    }
}

/// The codec of stored consents, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 1] =
    [("oauth-consent/", records::reencode::<Consent>)];
