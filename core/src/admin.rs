//! Administration: what an operator does to other people's accounts, and who may do it.
//!
//! Every operation here names its [`Actor`] and leaves an [`crate::events::EventKind::AdminAction`]
//! event naming them in the journal. Who may act is decided by the caller's adapter (the HTTP
//! routes under `/admin/`, the WIT `admin` interface), with the rule kept here
//! ([`Actor::may`]): an API key needs the scope `admin` or the area's narrower scope; a
//! signed-in person needs the permission `admin` (or the area's) through their roles, and a
//! fresh authentication.
//!
//! The operations are split by what they touch: accounts (`users`), erasing one (`erase`),
//! their sessions and token logins (`logins`), their second factors (`factors`) and the host's
//! mail queue (`mail`).
//!
//! WIT: `sesame:auth/admin`.

mod erase;
mod factors;
mod grants;
mod logins;
mod mail;
mod users;

pub use factors::FactorSummary;
pub use mail::{MAX_MAIL_QUEUE_PAGE, MailQueueEntry, MailQueueState};
pub use users::{MAX_USERS_PER_PAGE, UserChanges, UserDetails, UserPage};

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};

/// The scope (of an API key) or permission (of a role) that allows every admin operation.
pub const ADMIN_SCOPE: &str = "admin";

/// A part of the admin API, each with a narrower scope than [`ADMIN_SCOPE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminArea {
    /// Users, their sessions, token logins and factors (`admin:users`).
    Users,
    /// Roles and permissions (`admin:roles`).
    Roles,
    /// The event journal (`admin:events`).
    Events,
    /// API keys (`admin:api-keys`).
    ApiKeys,
    /// The outbound mail queue and dead letters (`admin:mail`).
    Mail,
}

impl AdminArea {
    /// The scope or permission that allows this area alone.
    pub fn scope(self) -> &'static str {
        match self {
            AdminArea::Users => "admin:users",
            AdminArea::Roles => "admin:roles",
            AdminArea::Events => "admin:events",
            AdminArea::ApiKeys => "admin:api-keys",
            AdminArea::Mail => "admin:mail",
        }
    }

    /// Whether `grants` (an API key's scopes or a user's permissions) allow this area.
    pub fn allowed_by(self, grants: &[String]) -> bool {
        grants.iter().any(|g| g == ADMIN_SCOPE || g == self.scope())
    }
}

/// Who performs an admin operation, and what they are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    who: ActorKind,
    /// The scopes (API key) or permissions (person) that let them in; `admin` for the
    /// operator.
    grants: Vec<String>,
}

/// Who an [`Actor`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    /// A service holding an API key (its id).
    ApiKey(String),
    /// A signed-in person (their user id).
    User(String),
    /// A trusted caller of the component itself: the host's CLI or an embedding program,
    /// which hold the store and the secret anyway.
    Operator,
}

impl Actor {
    /// The component's trusted caller, allowed everything.
    pub fn operator() -> Actor {
        Actor {
            who: ActorKind::Operator,
            grants: vec![ADMIN_SCOPE.to_owned()],
        }
    }

    /// Who it is.
    pub fn who(&self) -> &ActorKind {
        &self.who
    }

    /// The name the journal records: `api-key:{id}`, `user:{id}` or `operator`.
    pub fn label(&self) -> String {
        match &self.who {
            ActorKind::ApiKey(id) => format!("api-key:{id}"),
            ActorKind::User(id) => format!("user:{id}"),
            ActorKind::Operator => "operator".to_owned(),
        }
    }

    /// Whether the actor may use `area`.
    pub fn allows(&self, area: AdminArea) -> bool {
        area.allowed_by(&self.grants)
    }

    /// Whether the actor holds the whole of `admin`, not just some areas.
    pub fn is_full_admin(&self) -> bool {
        self.grants.iter().any(|g| g == ADMIN_SCOPE)
    }

    /// Refuses an operation that would hand out an admin permission or scope (`grants` are
    /// the permissions or scopes it would give) unless the actor holds the whole of `admin`:
    /// an actor trusted with one area must not be able to widen its own reach, for example
    /// `admin:api-keys` minting an `admin` key or `admin:roles` granting itself `admin`.
    pub(crate) fn check_may_grant(&self, grants: &[String]) -> Result<()> {
        if grants.iter().any(|g| is_admin_grant(g)) && !self.is_full_admin() {
            return Err(Error::rejected(
                ErrorCode::Forbidden,
                format!("Only `{ADMIN_SCOPE}` may hand out admin permissions or scopes."),
            ));
        }
        Ok(())
    }
}

/// Whether `grant` is `admin` or one of its areas' scopes.
pub fn is_admin_grant(grant: &str) -> bool {
    grant == ADMIN_SCOPE || grant.starts_with("admin:")
}

/// Who asks for an admin operation, as a component's caller names them (WIT `admin.caller`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCaller<'t> {
    /// The component's trusted caller.
    Operator,
    /// A service's API key.
    ApiKey(&'t str),
    /// A person's session token or access token.
    Login(&'t str),
}

impl Sesame<'_> {
    /// The actor `caller` stands for, if they may use `area` (see [`Actor`]).
    pub fn admin_actor(&self, caller: AdminCaller<'_>, area: AdminArea) -> Result<Actor> {
        match caller {
            AdminCaller::Operator => Ok(Actor::operator()),
            AdminCaller::ApiKey(key) => self.admin_actor_of_api_key(key, area),
            AdminCaller::Login(token) => {
                let login = self.validate_credential(token)?;
                self.admin_actor_of_login(&login, area)
            }
        }
    }

    /// The actor an API key stands for, if the key is live and allows `area`: `unauthenticated`
    /// for a bad key, `forbidden` for one without the scope.
    pub fn admin_actor_of_api_key(&self, key: &str, area: AdminArea) -> Result<Actor> {
        let info = self.verify_api_key(key)?;
        if !area.allowed_by(&info.scopes) {
            return Err(forbidden(area));
        }
        Ok(Actor {
            who: ActorKind::ApiKey(info.id),
            grants: info.scopes,
        })
    }

    /// The actor a signed-in person stands for, if their roles grant `admin` (or the area's
    /// permission) and they authenticated recently: `forbidden` without the permission,
    /// `reauthentication-required` for a stale login. (Access tokens granted to an OAuth
    /// client never get this far: Sesame's own routes refuse them.)
    pub fn admin_actor_of_login(
        &self,
        login: &crate::sessions::SessionInfo,
        area: AdminArea,
    ) -> Result<Actor> {
        let permissions = self.permissions_of(&login.user)?;
        if !area.allowed_by(&permissions) {
            return Err(forbidden(area));
        }
        self.require_fresh(login)?;
        Ok(Actor {
            who: ActorKind::User(login.user.id.clone()),
            grants: permissions,
        })
    }

    /// Refuses `actor` an operation on the account `user_id` when that account holds an admin
    /// permission and the actor does not hold the whole of `admin`: otherwise `admin:users`
    /// could change an administrator's email to its own and reset the password.
    pub(crate) fn check_may_manage(&self, actor: &Actor, user_id: &str) -> Result<()> {
        if actor.is_full_admin() {
            return Ok(());
        }
        let Some((record, _)) = self.load_user(user_id)? else {
            return Ok(());
        };
        if self
            .permissions_of(&record.public())?
            .iter()
            .any(|p| is_admin_grant(p))
        {
            return Err(Error::rejected(
                ErrorCode::Forbidden,
                format!("Only `{ADMIN_SCOPE}` may manage an account that holds admin permissions."),
            ));
        }
        Ok(())
    }

    /// Records an admin action (see [`crate::events::EventKind::AdminAction`]).
    fn admin_did(&self, actor: &Actor, action: &str, user_id: Option<&str>) {
        self.record_admin_action(&actor.label(), action, user_id);
    }
}

/// The refusal for a caller without the area's scope or permission.
fn forbidden(area: AdminArea) -> Error {
    Error::rejected(
        ErrorCode::Forbidden,
        format!(
            "This needs the scope or permission `{ADMIN_SCOPE}` or `{}`.",
            area.scope()
        ),
    )
}

#[cfg(test)]
mod tests;
