//! Account events from the component: always logged (target `sesame::event`) and counted,
//! and, in `sesame serve`, handed to webhook delivery (`crate::webhooks`).

use std::sync::{Arc, OnceLock};

use crate::bindings::outbox::{Event, EventKind};
use crate::store::StoreBackend;
use crate::webhooks::Webhooks;

/// Where account events go: always the log (target `sesame::event`), and, once
/// [`EventSink::start`] ran (`sesame serve`), the webhook endpoints whose filter passes them.
/// Admin commands log and journal events but deliver none.
pub(crate) struct EventSink {
    webhooks: OnceLock<Webhooks>,
}

impl EventSink {
    /// A sink that only logs until [`EventSink::start`].
    pub(crate) fn new() -> Self {
        EventSink {
            webhooks: OnceLock::new(),
        }
    }

    /// Starts webhook delivery over `backend` as `options` say (once; a second call is an
    /// error). Fails when the options cannot work (an unusable CA file) or the registered
    /// endpoints cannot be read.
    pub(crate) async fn start(
        &self,
        backend: Arc<dyn StoreBackend>,
        options: crate::webhooks::Options,
    ) -> anyhow::Result<()> {
        let webhooks = Webhooks::start(backend, options).await?;
        self.webhooks
            .set(webhooks)
            .map_err(|_| anyhow::anyhow!("webhook delivery was started twice"))
    }

    /// Waits until every event handed to the webhook queue is stored, for at most `limit`;
    /// whether they all were.
    pub(crate) async fn flush(&self, limit: std::time::Duration) -> bool {
        match self.webhooks.get() {
            Some(webhooks) => webhooks.flush(limit).await,
            None => true,
        }
    }

    /// Stops webhook delivery once the attempt under way is settled, for at most `limit`;
    /// whether it stopped in time.
    pub(crate) async fn stop(&self, limit: std::time::Duration) -> bool {
        match self.webhooks.get() {
            Some(webhooks) => webhooks.stop(limit).await,
            None => true,
        }
    }

    /// Logs the event and hands it to webhook delivery. Never waits on the network or the
    /// store: this runs inside the request.
    pub(crate) fn emit(&self, event: Event) {
        let kind = event_kind(event.kind);
        crate::metrics::metrics().event(kind);
        tracing::info!(
            target: "sesame::event",
            kind,
            user_id = event.user_id.as_deref().unwrap_or("-"),
            address = event.address.as_deref().unwrap_or("-"),
            at_ms = event.at_ms,
            "account event"
        );
        if let Some(webhooks) = self.webhooks.get() {
            webhooks.submit(&event, kind);
        }
    }
}

/// Every event kind's name, as webhook bodies (`type`) and endpoint filters spell them.
pub(crate) const EVENT_KINDS: [&str; 20] = [
    "registered",
    "confirmed",
    "login-succeeded",
    "login-failed",
    "locked",
    "password-changed",
    "password-reset",
    "session-revoked",
    "refresh-token-reused",
    "passkey-registered",
    "passkey-deleted",
    "passkey-sign-count-regression",
    "two-factor-enabled",
    "two-factor-disabled",
    "recovery-codes-generated",
    "authorization-code-reused",
    "consent-granted",
    "consent-revoked",
    "email-changed",
    "username-changed",
];

/// The name of an event kind (one of [`EVENT_KINDS`]).
pub(crate) fn event_kind(kind: EventKind) -> &'static str {
    match kind {
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
        EventKind::EmailChanged => "email-changed",
        EventKind::UsernameChanged => "username-changed",
    }
}
