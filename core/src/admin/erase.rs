//! Erasing a user: every record of the account goes, and its events keep only an anonymous id.
//!
//! The order makes a crash at any step safe to repeat: the account is disabled first (so no
//! new session appears meanwhile), the records hanging off it are deleted, its events
//! rewritten, and the user record goes last, so an interrupted erase is finished by running it
//! again, found by the same id or email.

use super::users::{email_claim, gone_is_not_found, username_claim};
use super::{Actor, Sesame};
use crate::env::random_array;
use crate::error::Result;
use crate::events::{EVENT_RETENTION_MS, Event};
use crate::records::{self, oauth_consents_prefix, user_events_prefix, user_key};
use crate::store::StoreError;

impl Sesame<'_> {
    /// Erases the user named by `id_or_email`: sessions, token logins, second factors,
    /// passkeys, consents, queued mail to them, the email and username claims and the account
    /// itself. Their events stay (they are the audit trail) under a random id that appears
    /// nowhere else, without client addresses. Returns that id.
    pub fn admin_delete_user(&self, actor: &Actor, id_or_email: &str) -> Result<String> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        let record = self
            .update_user(&id, |r| {
                r.active = false;
                Ok(())
            })
            .map_err(gone_is_not_found)?;
        self.revoke_all_sessions(&id)?;
        self.remove_two_factor(&id)?;
        self.erase_webauthn(&id)?;
        self.delete_prefix(&oauth_consents_prefix(&id))?;
        self.delete_queued_mail_to(&record.email)?;
        let anonymous = format!("erased-{}", hex::encode(random_array::<8>(self.host)?));
        self.anonymise_events(&id, &anonymous)?;
        self.delete_account(&id)?;
        // Events written by operations that raced the steps above (an update, a revocation)
        // are rewritten too, now that no new one can name the account.
        self.anonymise_events(&id, &anonymous)?;
        // Someone erasing their own account is not named by the record of it either.
        let own = matches!(actor.who(), super::ActorKind::User(acting) if *acting == id);
        let label = if own {
            format!("user:{anonymous}")
        } else {
            actor.label()
        };
        self.record_admin_action(&label, "user.delete", Some(&anonymous));
        Ok(anonymous)
    }

    /// Releases the account's claims and deletes its record, by compare-and-swap: a change made
    /// meanwhile (say, a new email claimed by an update in parallel) is seen, and its claims
    /// are released too, so nothing keeps pointing at the erased id.
    fn delete_account(&self, id: &str) -> Result<()> {
        self.with_identity_lock(id, || self.delete_account_locked(id))
    }

    fn delete_account_locked(&self, id: &str) -> Result<()> {
        for _ in 0..crate::records::CAS_ATTEMPTS {
            let Some((record, version)) = self.load_user(id)? else {
                return Ok(());
            };
            for claim in [email_claim(&record), username_claim(&record)]
                .into_iter()
                .flatten()
            {
                self.release_claim_of(&claim, id)?;
            }
            match self.store.delete(&user_key(id), Some(version)) {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(crate::Error::Contention("user record"))
    }

    /// Rewrites every event of `user_id` (as its subject, or as the administrator who acted)
    /// to name `anonymous` instead, a subject's without its address, keeping its time and its
    /// expiry.
    fn anonymise_events(&self, user_id: &str, anonymous: &str) -> Result<()> {
        let prefix = user_events_prefix(user_id);
        let now = self.host.now_ms();
        loop {
            // Each page is deleted before the next scan, so scanning from the start is enough.
            let page = self.store.scan(&prefix, None, 500)?;
            if page.is_empty() {
                return Ok(());
            }
            for (index_key, _) in page {
                let Some(suffix) = index_key.strip_prefix(&prefix) else {
                    continue;
                };
                let key = records::event_key(suffix);
                if let Some((mut event, version)) = records::load::<Event>(self.store, &key)? {
                    // Listed under the user as its subject, or as the administrator who acted.
                    if event.user_id.as_deref() == Some(user_id) {
                        event.user_id = Some(anonymous.to_owned());
                        event.address = None;
                    }
                    if event.actor.as_deref() == Some(format!("user:{user_id}").as_str()) {
                        event.actor = Some(format!("user:{anonymous}"));
                    }
                    let left = (event.at_ms + EVENT_RETENTION_MS)
                        .saturating_sub(now)
                        .max(1);
                    match records::save(self.store, &key, &event, Some(version), Some(left)) {
                        // Only another erase writes events after they are made.
                        Ok(_) | Err(crate::Error::Store(StoreError::Conflict)) => {}
                        Err(e) => return Err(e),
                    }
                }
                self.store.delete(&index_key, None)?;
            }
        }
    }

    /// Deletes every entry under `prefix`.
    fn delete_prefix(&self, prefix: &str) -> Result<()> {
        loop {
            let page = self.store.scan(prefix, None, 500)?;
            if page.is_empty() {
                return Ok(());
            }
            for (key, _) in page {
                self.store.delete(&key, None)?;
            }
        }
    }
}
