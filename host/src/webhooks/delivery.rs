//! The webhook courier of the delivery queue (`crate::queue`): what one queued delivery holds,
//! which node attempts it, and one signed attempt.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::queue::{Courier, Failure, Queued, Verdict};
use crate::store::{StoreBackend, duration_ms, now_ms};

use super::FLAG_ENDPOINT;
use super::endpoints::{self, EventFilter};
use super::signing::Secret;
use super::transport::{Transport, WebhookUrl};

/// One event for one endpoint, as queued (JSON, beside the queue's bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Delivery {
    /// The endpoint's id, or [`FLAG_ENDPOINT`] for `--webhook`.
    pub(crate) endpoint: String,
    /// The `webhook-id`: the event's, the same at every endpoint and in every attempt.
    pub(crate) msg_id: String,
    /// The event kind (for logs).
    pub(crate) kind: String,
    /// The request body, exactly as signed.
    pub(crate) body: String,
}

/// An endpoint as the courier knows it.
#[derive(Debug, Clone)]
struct Target {
    /// Where deliveries go.
    url: WebhookUrl,
    /// `None` when the store holds no secret for it (then nothing can be signed).
    secret: Option<Secret>,
    /// The kinds it gets.
    filter: EventFilter,
    /// A receiver answered 410 Gone: nothing is queued or sent until it is enabled again.
    disabled: bool,
}

/// Delivers webhooks: signs each attempt and posts it.
pub(crate) struct Deliverer {
    transport: Transport,
    /// The `--webhook` endpoint, every event, signed with `--webhook-secret`.
    flag: Option<Target>,
    /// The registered endpoints by id, as last read from the store.
    directory: RwLock<Arc<HashMap<String, Target>>>,
    /// Endpoints that failed in this pass: their other deliveries wait for the next pass, so
    /// one endpoint that is down does not hold up the others for a timeout per delivery.
    failing: Mutex<HashSet<String>>,
    /// When the directory was last read (ms since the epoch).
    read_at_ms: std::sync::atomic::AtomicU64,
}

/// How old the directory may be when a delivery is looked at: a pass over a long backlog
/// can take minutes, and a removed or rotated endpoint must stop getting deliveries, or get
/// the new signature, within seconds, not at the next pass.
const DIRECTORY_MAX_AGE_MS: u64 = 2_000;

impl Deliverer {
    /// A courier posting through `transport`, with the `--webhook` endpoint `flag` if any.
    pub(crate) fn new(transport: Transport, flag: Option<(WebhookUrl, Secret)>) -> Self {
        Deliverer {
            transport,
            flag: flag.map(|(url, secret)| Target {
                url,
                secret: Some(secret),
                filter: EventFilter::all(),
                disabled: false,
            }),
            directory: RwLock::new(Arc::new(HashMap::new())),
            failing: Mutex::new(HashSet::new()),
            read_at_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Reads the registered endpoints from the store; on failure the last list stays in use.
    pub(crate) async fn refresh(&self, backend: &dyn StoreBackend) -> Result<(), String> {
        let listed = endpoints::list_with_secrets(backend)
            .await
            .map_err(|e| e.to_string())?;
        let mut directory = HashMap::new();
        for (endpoint, secret) in listed {
            let url = match endpoint.url.parse::<WebhookUrl>() {
                Ok(url) => url,
                Err(why) => {
                    tracing::warn!(endpoint = %endpoint.id, error = %why, "a webhook endpoint has an unusable URL; skipped");
                    continue;
                }
            };
            let target = Target {
                url,
                secret,
                filter: EventFilter::of(&endpoint),
                disabled: endpoint.disabled.is_some(),
            };
            directory.insert(endpoint.id, target);
        }
        *self
            .directory
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(directory);
        self.read_at_ms
            .store(now_ms(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The endpoints an event of `kind` goes to now: `--webhook`, and every enabled registered
    /// endpoint whose filter passes it.
    pub(crate) fn targets_for(&self, kind: &str) -> Vec<String> {
        let directory = self.directory();
        let mut ids: Vec<String> = directory
            .iter()
            .filter(|(_, target)| !target.disabled && target.filter.matches(kind))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        if self.flag.is_some() {
            ids.insert(0, FLAG_ENDPOINT.to_owned());
        }
        ids
    }

    fn directory(&self) -> Arc<HashMap<String, Target>> {
        self.directory
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The endpoint `id` as known now.
    fn target(&self, id: &str) -> Option<Target> {
        if id == FLAG_ENDPOINT {
            return self.flag.clone();
        }
        self.directory().get(id).cloned()
    }

    fn failing(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.failing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl Courier for Deliverer {
    type Job = Delivery;

    async fn begin_pass(&self, backend: &dyn StoreBackend) {
        self.failing().clear();
        if let Err(e) = self.refresh(backend).await {
            tracing::warn!(error = %e, "cannot read the webhook endpoints; using the last list read");
        }
    }

    async fn verdict(&self, backend: &dyn StoreBackend, job: &Delivery) -> Verdict {
        let read_at = self.read_at_ms.load(std::sync::atomic::Ordering::Relaxed);
        if now_ms().saturating_sub(read_at) > DIRECTORY_MAX_AGE_MS
            && let Err(e) = self.refresh(backend).await
        {
            tracing::warn!(error = %e, "cannot read the webhook endpoints; using the last list read");
        }
        if self.failing().contains(&job.endpoint) {
            return Verdict::Leave;
        }
        if job.endpoint == FLAG_ENDPOINT {
            // Another node's --webhook may differ: a node without one leaves these alone.
            return match self.flag {
                Some(_) => Verdict::Take,
                None => Verdict::Leave,
            };
        }
        match self.target(&job.endpoint) {
            Some(target) if target.disabled => Verdict::Leave,
            Some(_) => Verdict::Take,
            // Added since the list was read (another node queued it), or removed.
            None => match backend
                .get(&format!("{}{}", endpoints::ENDPOINT_PREFIX, job.endpoint))
                .await
            {
                Ok(None) => {
                    Verdict::Discard(format!("webhook endpoint {} was removed", job.endpoint))
                }
                Ok(Some(_)) | Err(_) => Verdict::Leave,
            },
        }
    }

    async fn attempt(&self, backend: &dyn StoreBackend, job: &Delivery) -> Result<(), Failure> {
        let Some(target) = self.target(&job.endpoint) else {
            return Err(Failure::Transient(
                "the endpoint is not known here".to_owned(),
            ));
        };
        let Some(secret) = &target.secret else {
            return Err(Failure::Transient(format!(
                "the store holds no secret for endpoint {} (sesame webhook rotate gives it one)",
                job.endpoint
            )));
        };
        let timestamp = now_ms() / 1000;
        let headers = [
            ("webhook-id", job.msg_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            (
                "webhook-signature",
                secret.sign(&job.msg_id, timestamp, &job.body),
            ),
        ];
        let answer = self
            .transport
            .post(&target.url, &headers, job.body.clone())
            .await;
        match answer {
            Ok(status) if (200..300).contains(&status) => Ok(()),
            Ok(410) => {
                if job.endpoint != FLAG_ENDPOINT {
                    match endpoints::set_disabled(
                        backend,
                        &job.endpoint,
                        Some("the receiver answered 410 Gone"),
                    )
                    .await
                    {
                        Ok(_) => {
                            tracing::error!(endpoint = %job.endpoint, url = %target.url, "the webhook receiver answered 410 Gone: endpoint disabled (sesame webhook enable turns it on again)")
                        }
                        Err(e) => {
                            tracing::warn!(endpoint = %job.endpoint, error = %e, "cannot disable a webhook endpoint that answered 410 Gone")
                        }
                    }
                }
                Err(Failure::Permanent(
                    "the receiver answered 410 Gone".to_owned(),
                ))
            }
            Ok(status) => {
                self.failing().insert(job.endpoint.clone());
                Err(Failure::Transient(format!(
                    "the receiver answered {status}"
                )))
            }
            Err(e) => {
                self.failing().insert(job.endpoint.clone());
                Err(Failure::Transient(e.to_string()))
            }
        }
    }

    fn delivered(&self, queued: &Queued<Delivery>) {
        let job = &queued.job;
        tracing::info!(endpoint = %job.endpoint, msg_id = %job.msg_id, kind = %job.kind, attempts = queued.attempts, "webhook delivered");
    }

    fn will_retry(&self, queued: &Queued<Delivery>, wait: Duration, why: &str) {
        let job = &queued.job;
        tracing::warn!(
            endpoint = %job.endpoint,
            msg_id = %job.msg_id,
            kind = %job.kind,
            attempts = queued.attempts,
            retry_in_ms = duration_ms(wait),
            error = %why,
            "webhook not delivered yet; will retry"
        );
    }

    fn gave_up(&self, queued: &Queued<Delivery>, why: &str) {
        let job = &queued.job;
        tracing::error!(
            endpoint = %job.endpoint,
            msg_id = %job.msg_id,
            kind = %job.kind,
            attempts = queued.attempts,
            error = %why,
            body = %job.body,
            "webhook delivery given up (kept under hooks/dead/ for 30 days)"
        );
    }

    fn depth(&self, pending: i64, dead: i64) {
        crate::metrics::metrics().webhook_queue(pending, dead);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// An endpoint added while a pass is under way is known to the courier once its list is
    /// older than [`DIRECTORY_MAX_AGE_MS`], without waiting for the next pass; one removed
    /// meanwhile gets nothing more.
    #[tokio::test]
    async fn the_endpoint_list_is_reread_during_a_long_pass() {
        let dir = tempfile::tempdir().unwrap();
        let (backend, _) =
            crate::store::conformance::sqlite_pair(dir.path(), &AtomicUsize::new(0)).await;
        let courier = Deliverer::new(Transport::new(None).unwrap(), None);
        courier.begin_pass(&*backend).await;
        let url = "http://127.0.0.1:9/hook".parse().unwrap();
        let (endpoint, _) = endpoints::add(&*backend, &url, &EventFilter::all())
            .await
            .unwrap();
        let job = Delivery {
            endpoint: endpoint.id.clone(),
            msg_id: "msg_1".to_owned(),
            kind: "registered".to_owned(),
            body: "{}".to_owned(),
        };
        // Fresh list: the new endpoint is not in it yet, and is left for later.
        assert_eq!(courier.verdict(&*backend, &job).await, Verdict::Leave);
        // Once the list is old, the courier reads it again and takes the delivery.
        courier.read_at_ms.store(0, Ordering::Relaxed);
        assert_eq!(courier.verdict(&*backend, &job).await, Verdict::Take);
        endpoints::remove(&*backend, &endpoint.id).await.unwrap();
        courier.read_at_ms.store(0, Ordering::Relaxed);
        assert!(matches!(
            courier.verdict(&*backend, &job).await,
            Verdict::Discard(_)
        ));
    }
}
