//! Account events as signed webhooks (Standard Webhooks, <https://www.standardwebhooks.com/>),
//! delivered durably to every endpoint whose filter passes them.
//!
//! Endpoints are registered with `sesame webhook add` ([`endpoints`]), plus the one `--webhook`
//! names (every event, signed with `--webhook-secret`). When the component emits an event, the
//! request only hands one delivery per matching endpoint to the queue ([`crate::queue`]) and
//! moves on; in the background the delivery is stored under `hooks/pending/`, then claimed by
//! one node, signed for that attempt and POSTed ([`delivery`]). A 2xx answer ends it; 410 Gone
//! disables the endpoint; anything else (another status, no connection, an untrusted
//! certificate, no answer within 5 s) is retried with exponential back-off, and after the last
//! attempt it is kept under `hooks/dead/` for 30 days and logged. Deliveries are at least once:
//! a receiver drops repeats by `webhook-id`.
//!
//! Which endpoints an event goes to is decided when it is emitted, from the endpoints read from
//! the store at most a couple of seconds earlier (at start, and before every pass of the
//! deliverer), so an endpoint added while `sesame serve` runs gets events within seconds.

mod delivery;
pub(crate) mod endpoints;
pub(crate) mod signing;
pub(crate) mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use self::delivery::{Deliverer, Delivery};
use self::signing::Secret;
pub(crate) use self::transport::WebhookUrl;
use crate::bindings::outbox::Event;
use crate::queue::{Layout, Queue, RetryPolicy};
use crate::store::StoreBackend;

/// Where deliveries wait. Core's keys never start with `hooks/`.
/// Every key of the webhooks (endpoints, pending and dead deliveries) starts with this; the
/// component's store import refuses them (see `crate::imports::store`).
pub(crate) const KEY_PREFIX: &str = "hooks/";

pub(crate) const PENDING_PREFIX: &str = "hooks/pending/";

/// Where deliveries that were given up are kept.
pub(crate) const DEAD_PREFIX: &str = "hooks/dead/";

/// The endpoint id of deliveries to `--webhook` (never a registered endpoint's: those start
/// with `ep_`).
pub(crate) const FLAG_ENDPOINT: &str = "webhook-flag";

/// The default wait before the first retry; each further retry waits twice as long (at most
/// 30 minutes).
pub(crate) const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(5);

/// The default number of attempts before a delivery is given up: with the default base, about
/// seven hours of retrying, which rides out a receiver's deployment or a night's outage.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 20;

/// How long a claim on a delivery holds: well past the 5 s an attempt may take.
const CLAIM_LEASE: Duration = Duration::from_secs(60);

/// How `sesame serve` delivers webhooks.
pub(crate) struct Options {
    /// The `--webhook` endpoint and its `--webhook-secret`.
    pub(crate) flag: Option<(WebhookUrl, Secret)>,
    /// A PEM file of CA certificates trusted beside the system's (`--webhook-ca-file`).
    pub(crate) ca_file: Option<PathBuf>,
    /// How failed deliveries are retried.
    pub(crate) policy: RetryPolicy,
}

/// Webhook delivery of a running server.
pub(crate) struct Webhooks {
    queue: Arc<Queue<Deliverer>>,
}

impl Webhooks {
    /// Reads the registered endpoints and starts delivering (earlier runs' pending deliveries
    /// first). Fails on a CA file that cannot be used, or a store whose endpoints cannot be
    /// read, so such a server does not start.
    pub(crate) async fn start(
        backend: Arc<dyn StoreBackend>,
        options: Options,
    ) -> anyhow::Result<Self> {
        let transport = transport::Transport::new(options.ca_file.as_deref())?;
        let deliverer = Deliverer::new(transport, options.flag);
        deliverer
            .refresh(&*backend)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the webhook endpoints: {e}"))?;
        let layout = Layout {
            pending: PENDING_PREFIX,
            dead: DEAD_PREFIX,
            lease: CLAIM_LEASE,
        };
        let queue = Arc::new(Queue::new(deliverer, layout, options.policy));
        queue.start(backend);
        Ok(Webhooks { queue })
    }

    /// Hands `event` (of `kind`) to the queue once for every endpoint it goes to. Never waits:
    /// this runs inside the request.
    pub(crate) fn submit(&self, event: &Event, kind: &str) {
        let targets = self.queue.courier().targets_for(kind);
        if targets.is_empty() {
            return;
        }
        let msg_id = match signing::new_message_id() {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, kind, "no secure random source: the event is not sent to webhooks");
                return;
            }
        };
        let body = body(event, kind);
        for endpoint in targets {
            let delivery = Delivery {
                endpoint,
                msg_id: msg_id.clone(),
                kind: kind.to_owned(),
                body: body.clone(),
            };
            if let Err(unqueued) = self.queue.submit(delivery) {
                tracing::error!(endpoint = %unqueued.job.endpoint, msg_id = %unqueued.job.msg_id, kind, body = %unqueued.job.body, "webhook delivery not queued: the queue is full");
            }
        }
    }

    /// Waits, at most `limit`, until every handed-over delivery is stored; says whether all
    /// were.
    pub(crate) async fn flush(&self, limit: Duration) -> bool {
        self.queue.flush(limit).await
    }

    /// Stops delivering once the attempt under way has been settled (at most `limit`), so a
    /// stopped server leaves no delivery claimed; says whether it stopped in time.
    pub(crate) async fn stop(&self, limit: Duration) -> bool {
        self.queue.stop(limit).await
    }
}

/// The request body of an event (core's [`sesame_core::outbound::signing::event_body`], the
/// same bytes the Spin component sends).
pub(crate) fn body(event: &Event, kind: &str) -> String {
    sesame_core::outbound::signing::event_body(
        kind,
        event.user_id.as_deref(),
        event.address.as_deref(),
        event.at_ms,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use super::*;
    use crate::bindings::outbox::EventKind;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_614_265_330_000, "2021-02-25T15:02:10.000Z"),
            (951_782_400_123, "2000-02-29T00:00:00.123Z"),
            (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
            (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(sesame_core::outbound::signing::rfc3339(ms), text);
        }
    }

    #[test]
    fn the_body_names_the_type_time_and_data() {
        let event = Event {
            kind: EventKind::LoginFailed,
            user_id: Some("u1".into()),
            address: Some("192.0.2.1".into()),
            at_ms: 1_614_265_330_000,
        };
        let body: serde_json::Value = serde_json::from_str(&body(&event, "login-failed")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "login-failed",
                "timestamp": "2021-02-25T15:02:10.000Z",
                "data": {"user_id": "u1", "address": "192.0.2.1", "at_ms": 1_614_265_330_000u64},
            })
        );
    }

    /// Every kind the component emits has its name listed, so an endpoint can filter on it.
    #[test]
    fn every_event_kind_is_listed_once() {
        use EventKind::*;
        let all = [
            Registered,
            Confirmed,
            LoginSucceeded,
            LoginFailed,
            Locked,
            PasswordChanged,
            PasswordReset,
            SessionRevoked,
            RefreshTokenReused,
            PasskeyRegistered,
            PasskeyDeleted,
            PasskeySignCountRegression,
            TwoFactorEnabled,
            TwoFactorDisabled,
            RecoveryCodesGenerated,
            AuthorizationCodeReused,
            ConsentGranted,
            ConsentRevoked,
            EmailChanged,
            UsernameChanged,
        ];
        let names: Vec<&str> = all.into_iter().map(crate::events::event_kind).collect();
        assert_eq!(names, crate::events::EVENT_KINDS);
    }
}
