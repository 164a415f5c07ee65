//! Account events: what happened to an account, recorded in the store for 90 days and handed
//! to the host, which logs it and may forward it (a webhook) to other systems.
//!
//! Events carry ids, never secrets: no password, token or code ever appears in one.

use serde::{Deserialize, Serialize};

/// How long events stay in the store.
pub const EVENT_RETENTION_MS: u64 = 90 * 24 * 3600 * 1000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A new account was created.
    Registered,
    /// An email address was confirmed.
    Confirmed,
    /// A sign-in succeeded.
    LoginSucceeded,
    /// A sign-in failed (wrong password, locked or disabled account, or unknown account, in
    /// which case there is no user id).
    LoginFailed,
    /// Too many failures locked the account.
    Locked,
    /// The user changed their password.
    PasswordChanged,
    /// The password was reset through an emailed link.
    PasswordReset,
    /// A session was ended by its user (one, or all of them).
    SessionRevoked,
    /// A replaced refresh token was presented again: a copy exists, so its login was ended.
    RefreshTokenReused,
    /// A WebAuthn credential (passkey or security key) was registered.
    PasskeyRegistered,
    /// A WebAuthn credential was deleted.
    PasskeyDeleted,
    /// A WebAuthn signature counter did not grow: the authenticator may be cloned.
    PasskeySignCountRegression,
    /// Two-factor authentication was turned on.
    TwoFactorEnabled,
    /// Two-factor authentication was turned off.
    TwoFactorDisabled,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesGenerated,
    /// An OAuth authorization code was presented a second time: the tokens it gave were
    /// revoked.
    AuthorizationCodeReused,
    /// The user let an OAuth client have the scopes it asked for.
    ConsentGranted,
    /// The user withdrew an OAuth client's consent, ending its logins.
    ConsentRevoked,
    /// An administrator acted on an account or on Sesame's settings ([`Event::action`] says
    /// what, [`Event::actor`] who). Kept in the journal only: the WIT `outbox` of this release
    /// has no such kind, so hosts are not handed it.
    AdminAction,
    /// The account's email address changed: a new address was confirmed, or a link mailed to
    /// the old one restored it. Kept in the journal only until the WIT `outbox` has the case.
    EmailChanged,
    /// The account's owner changed its username. Journal only, like [`EventKind::EmailChanged`].
    UsernameChanged,
}

impl EventKind {
    /// The kebab-case name used in the store, the WIT `event.kind` and webhooks.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Registered => "registered",
            EventKind::Confirmed => "confirmed",
            EventKind::LoginSucceeded => "login-succeeded",
            EventKind::LoginFailed => "login-failed",
            EventKind::Locked => "locked",
            EventKind::PasswordChanged => "password-changed",
            EventKind::PasswordReset => "password-reset",
            EventKind::SessionRevoked => "session-revoked",
            EventKind::RefreshTokenReused => "refresh-token-reused",
            EventKind::PasskeyRegistered => "passkey-registered",
            EventKind::PasskeyDeleted => "passkey-deleted",
            EventKind::PasskeySignCountRegression => "passkey-sign-count-regression",
            EventKind::TwoFactorEnabled => "two-factor-enabled",
            EventKind::TwoFactorDisabled => "two-factor-disabled",
            EventKind::RecoveryCodesGenerated => "recovery-codes-generated",
            EventKind::AuthorizationCodeReused => "authorization-code-reused",
            EventKind::ConsentGranted => "consent-granted",
            EventKind::ConsentRevoked => "consent-revoked",
            EventKind::AdminAction => "admin-action",
            EventKind::EmailChanged => "email-changed",
            EventKind::UsernameChanged => "username-changed",
        }
    }
}

/// One account event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// To whom, when known.
    pub user_id: Option<String>,
    /// From which client address, when known.
    pub address: Option<String>,
    /// When, ms since the epoch.
    pub at_ms: u64,
    /// Who did it, for [`EventKind::AdminAction`]: `api-key:{id}`, `user:{id}` or `operator`
    /// (a trusted caller of the component: the host's CLI or an embedding program).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// What was done, for [`EventKind::AdminAction`]: a dotted name like `user.delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl EventKind {
    /// Every kind, for parsing filters and for tests.
    pub const ALL: [EventKind; 21] = [
        EventKind::Registered,
        EventKind::Confirmed,
        EventKind::LoginSucceeded,
        EventKind::LoginFailed,
        EventKind::Locked,
        EventKind::PasswordChanged,
        EventKind::PasswordReset,
        EventKind::SessionRevoked,
        EventKind::RefreshTokenReused,
        EventKind::PasskeyRegistered,
        EventKind::PasskeyDeleted,
        EventKind::PasskeySignCountRegression,
        EventKind::TwoFactorEnabled,
        EventKind::TwoFactorDisabled,
        EventKind::RecoveryCodesGenerated,
        EventKind::AuthorizationCodeReused,
        EventKind::ConsentGranted,
        EventKind::ConsentRevoked,
        EventKind::AdminAction,
        EventKind::EmailChanged,
        EventKind::UsernameChanged,
    ];

    /// The kind named `name` ([`EventKind::as_str`]).
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Receives Sesame's account events.
pub trait EventSink {
    /// Hands an account event to the host (to log, forward to a webhook, ...). Infallible from
    /// core's view, like [`crate::mail::Mailer::send_mail`]: an operation never fails, nor
    /// answers differently, because its event could not be delivered.
    fn emit_event(&self, event: &Event);
}

mod journal;
mod query;

pub use query::{EventFilter, EventPage, ListedEvent, MAX_EVENTS_PER_PAGE};
