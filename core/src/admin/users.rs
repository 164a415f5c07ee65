//! Accounts as an administrator sees them: searching, showing, creating and changing them.

use serde::Serialize;

use super::{Actor, Sesame};
use crate::accounts::{Email, NewUser, User, UserRecord, Username, parse_role};
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, USER_PREFIX, user_key};

/// Most users one page holds.
pub const MAX_USERS_PER_PAGE: u32 = 500;

/// Most user records one search call reads before answering with a cursor, so a search that
/// matches rarely costs bounded work per call.
const SEARCH_BUDGET: usize = 5_000;

/// One page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPage {
    /// Users in id order.
    pub users: Vec<User>,
    /// The cursor for the next page (pass it as `after`), when there may be more.
    pub next: Option<String>,
}

/// A user and what only administrators see about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserDetails {
    /// The account.
    #[serde(flatten)]
    pub user: User,
    /// Failed sign-ins in a row.
    pub failed_sign_ins: u32,
    /// Locked against sign-in until then, ms since the epoch.
    pub locked_until_ms: Option<u64>,
    /// Permissions the user's roles grant.
    pub permissions: Vec<String>,
    /// Whether the account has a password (imported and passwordless accounts may not).
    pub has_password: bool,
}

/// What an administrator changes about a user. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// A new email address. Unless `confirmed` is also given, the new address counts as
    /// unconfirmed.
    pub email: Option<String>,
    /// A new username (`Some(None)` removes it).
    pub username: Option<Option<String>>,
    /// Whether the user may sign in; disabling ends every session and token login.
    pub active: Option<bool>,
    /// Marks the address confirmed (now) or unconfirmed.
    pub confirmed: Option<bool>,
}

impl Sesame<'_> {
    /// Lists users in id order after the id `after`; with `query`, only those whose email or
    /// username contains it (ignoring case).
    pub fn admin_list_users(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<UserPage> {
        let limit = limit.clamp(1, MAX_USERS_PER_PAGE) as usize;
        let needle = query
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        let mut cursor = after.map(user_key);
        let mut users = Vec::new();
        let mut read = 0;
        loop {
            let page = self.store.scan(USER_PREFIX, cursor.as_deref(), 500)?;
            let exhausted = page.len() < 500;
            for (key, entry) in page {
                read += 1;
                let record: UserRecord = records::decode(&key, &entry.value)?;
                let next = Some(record.id.clone());
                cursor = Some(key);
                if needle.as_deref().is_none_or(|n| matches(&record, n)) {
                    users.push(record.public());
                    if users.len() == limit {
                        return Ok(UserPage { users, next });
                    }
                }
                if read >= SEARCH_BUDGET {
                    return Ok(UserPage { users, next });
                }
            }
            if exhausted {
                return Ok(UserPage { users, next: None });
            }
        }
    }

    /// The user named by `id_or_email` (a user id, or an email address in any case), with what
    /// administrators see; `not-found` when there is none.
    pub fn admin_find_user(&self, id_or_email: &str) -> Result<UserDetails> {
        let id = self.admin_user_id(id_or_email)?;
        let Some((record, _)) = self.load_user(&id)? else {
            return Err(no_such_user());
        };
        let user = record.public();
        Ok(UserDetails {
            permissions: self.permissions_of(&user)?,
            user,
            failed_sign_ins: record.lockout.failed_count,
            locked_until_ms: record
                .lockout
                .locked_until_ms
                .filter(|&until| until > self.host.now_ms()),
            has_password: !record.password_hash.is_empty(),
        })
    }

    /// The id of the user named by `id_or_email`; `not-found` when there is none.
    pub fn admin_user_id(&self, id_or_email: &str) -> Result<String> {
        let raw = id_or_email.trim();
        if raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            let id = raw.to_ascii_lowercase();
            return match self.load_user(&id)? {
                Some(_) => Ok(id),
                None => Err(no_such_user()),
            };
        }
        let email = Email::parse(raw).map_err(|_| no_such_user())?;
        self.user_id_for_email(&email)?.ok_or_else(no_such_user)
    }

    /// Creates a user as `actor`: like [`Sesame::create_user`], journalled. Roles given at
    /// creation need the `admin:roles` area too, and roles granting admin permissions the
    /// whole of `admin`.
    pub fn admin_create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        if !new.roles.is_empty() {
            if !actor.allows(super::AdminArea::Roles) {
                return Err(super::forbidden(super::AdminArea::Roles));
            }
            let roles: Vec<String> = new
                .roles
                .iter()
                .map(|r| parse_role(r))
                .collect::<Result<_>>()?;
            // Only roles that exist, as when granting one: a name planted now would gain
            // whatever a role of that name is given later.
            for role in &roles {
                if !self.role_exists(role)? {
                    return Err(Error::rejected(
                        ErrorCode::NotFound,
                        format!("There is no role '{role}'."),
                    ));
                }
            }
            actor.check_may_grant(&self.permissions_of_roles(&roles)?)?;
        }
        let user = self.create_user(new)?;
        self.admin_did(actor, "user.create", Some(&user.id));
        Ok(user)
    }

    /// Changes a user as `actor`. A taken email or username is `already-exists` (only
    /// administrators hear this). Disabling ends every session and token login.
    pub fn admin_update_user(
        &self,
        actor: &Actor,
        id_or_email: &str,
        changes: &UserChanges,
    ) -> Result<User> {
        let id = self.admin_user_id(id_or_email)?;
        let email = changes.email.as_deref().map(Email::parse).transpose()?;
        let username = match &changes.username {
            Some(Some(name)) => Some(Some(Username::parse(name)?)),
            Some(None) => Some(None),
            None => None,
        };
        self.check_may_manage(actor, &id)?;
        let now = self.host.now_ms();

        if let Some(email) = &email {
            let new = email.claim_key();
            let display = email.as_str().to_owned();
            self.move_claim(&id, Some(&new), email_claim, Error::EmailTaken, |r| {
                // Another spelling of the same address keeps its confirmation.
                if Email::parse(&r.email)
                    .map(|e| e.claim_key())
                    .ok()
                    .as_deref()
                    != Some(&new)
                {
                    r.confirmed_at_ms = None;
                }
                r.email = display.clone();
                // Outstanding email-change and restore links name the old count.
                r.email_epoch += 1;
                Ok(())
            })
            .map_err(gone_is_not_found)?;
        }
        if let Some(username) = &username {
            let new = username.as_ref().map(Username::claim_key);
            let display = username.as_ref().map(|u| u.as_str().to_owned());
            self.move_claim(
                &id,
                new.as_deref(),
                username_claim,
                Error::UsernameTaken,
                |r| {
                    r.username = display.clone();
                    Ok(())
                },
            )
            .map_err(gone_is_not_found)?;
        }
        let record = self
            .update_user(&id, |r| {
                if let Some(active) = changes.active {
                    r.active = active;
                }
                match changes.confirmed {
                    Some(true) => r.confirmed_at_ms = r.confirmed_at_ms.or(Some(now)),
                    Some(false) => r.confirmed_at_ms = None,
                    None => {}
                }
                Ok(())
            })
            .map_err(gone_is_not_found)?;
        if changes.active == Some(false) {
            self.revoke_all_sessions(&id)?;
        }
        self.admin_did(actor, "user.update", Some(&id));
        Ok(record.public())
    }
}

/// The key claiming `record`'s email.
pub(super) fn email_claim(record: &UserRecord) -> Option<String> {
    Email::parse(&record.email).ok().map(|e| e.claim_key())
}

/// The key claiming `record`'s username, if it has one.
pub(super) fn username_claim(record: &UserRecord) -> Option<String> {
    record
        .username
        .as_deref()
        .and_then(|u| Username::parse(u).ok())
        .map(|u| u.claim_key())
}

/// An account that vanished mid-operation (erased in parallel) is `not-found` to an
/// administrator, not the sign-in's `unauthenticated`.
pub(super) fn gone_is_not_found(e: Error) -> Error {
    match e {
        Error::UnknownAccount => no_such_user(),
        other => other,
    }
}

/// Whether `record`'s email or username contains `needle` (already lower-cased).
fn matches(record: &UserRecord, needle: &str) -> bool {
    record.email.to_lowercase().contains(needle)
        || record
            .username
            .as_deref()
            .is_some_and(|u| u.to_lowercase().contains(needle))
}

/// The answer for a user that does not exist.
pub(super) fn no_such_user() -> Error {
    Error::rejected(ErrorCode::NotFound, "There is no such user.")
}
