//! Webhook endpoints as the operator registers them (`sesame webhook ...`): the record under
//! `hooks/endpoints/{id}` in the store (URL, event filter, creation time, whether a receiver
//! said it is gone), and its signing secret in the store's host-only area, which the component
//! cannot read, named `secret:webhook:{id}` (so backups leave it out unless
//! `--include-secrets`, as they do the master secret).

use crate::events::EVENT_KINDS;
use crate::store::{BackendError, StoreBackend, now_ms};

use super::signing::Secret;
use super::transport::WebhookUrl;

/// Where endpoint records live. Core's keys never start with `hooks/`.
pub(crate) const ENDPOINT_PREFIX: &str = "hooks/endpoints/";

/// Endpoint records read per scan.
const SCAN_PAGE: u32 = 200;

/// Times a change of one record is retried when another writer got there first.
const CAS_ATTEMPTS: usize = 16;

/// One registered endpoint, as stored (JSON). Its secret is kept apart ([`secret_name`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Endpoint {
    /// `ep_` and 16 hex digits.
    pub(crate) id: String,
    /// Where deliveries go (`http://` or `https://`).
    pub(crate) url: String,
    /// The event kinds it gets; empty: every kind.
    #[serde(default)]
    pub(crate) events: Vec<String>,
    /// When it was added (ms since the epoch).
    pub(crate) created_ms: u64,
    /// Set when a receiver answered 410 Gone: no more events are queued for it until
    /// `sesame webhook enable`.
    #[serde(default)]
    pub(crate) disabled: Option<Disabled>,
}

/// Why and since when an endpoint gets no deliveries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Disabled {
    /// When (ms since the epoch).
    pub(crate) at_ms: u64,
    /// Why, for `sesame webhook list`.
    pub(crate) reason: String,
}

/// Which event kinds an endpoint gets: every kind, or those listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct EventFilter(Vec<String>);

impl EventFilter {
    /// Every kind.
    pub(crate) fn all() -> Self {
        EventFilter(Vec::new())
    }

    /// The filter of a stored record.
    pub(crate) fn of(endpoint: &Endpoint) -> Self {
        EventFilter(endpoint.events.clone())
    }

    /// Whether an event of `kind` passes.
    pub(crate) fn matches(&self, kind: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|k| k == kind)
    }

    /// The kinds listed (empty: all).
    pub(crate) fn kinds(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for EventFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("all")
        } else {
            f.write_str(&self.0.join(","))
        }
    }
}

impl std::str::FromStr for EventFilter {
    type Err = String;

    /// Reads `kind,kind,...` (or `all`/`*`), each a kind Sesame emits; repeats are dropped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut kinds: Vec<String> = Vec::new();
        for kind in s.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            if kind == "all" || kind == "*" {
                return Ok(EventFilter::all());
            }
            if !EVENT_KINDS.contains(&kind) {
                return Err(format!(
                    "'{kind}' is not an event kind; the kinds are: {}",
                    EVENT_KINDS.join(", ")
                ));
            }
            if !kinds.iter().any(|k| k == kind) {
                kinds.push(kind.to_owned());
            }
        }
        if kinds.is_empty() {
            return Err("name at least one event kind (or all)".to_owned());
        }
        Ok(EventFilter(kinds))
    }
}

/// The store key of endpoint `id`.
fn endpoint_key(id: &str) -> String {
    format!("{ENDPOINT_PREFIX}{id}")
}

/// The host-only name of endpoint `id`'s secret.
pub(crate) fn secret_name(id: &str) -> String {
    format!("secret:webhook:{id}")
}

/// Why an endpoint operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EndpointError {
    /// The store failed.
    #[error("the store: {0}")]
    Store(#[from] BackendError),
    /// No endpoint has this id.
    #[error("there is no webhook endpoint '{0}'")]
    Unknown(String),
    /// A stored record is not readable.
    #[error("the webhook endpoint record {0} is unreadable: {1}")]
    Corrupt(String, String),
    /// No secure random source.
    #[error("no secure random source: {0}")]
    Random(getrandom::Error),
    /// Others kept changing the record.
    #[error("the webhook endpoint '{0}' kept changing; try again")]
    Contention(String),
}

/// Registers an endpoint for `url` getting the kinds `filter` passes; returns it with its new
/// secret (which is shown to the operator once and never again). The secret is stored first,
/// so a node never sees the endpoint without it.
pub(crate) async fn add(
    backend: &dyn StoreBackend,
    url: &WebhookUrl,
    filter: &EventFilter,
) -> Result<(Endpoint, Secret), EndpointError> {
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).map_err(EndpointError::Random)?;
    let endpoint = Endpoint {
        id: format!("ep_{}", hex::encode(id)),
        url: url.to_string(),
        events: filter.kinds().to_vec(),
        created_ms: now_ms(),
        disabled: None,
    };
    let fresh = Secret::generate().map_err(EndpointError::Random)?;
    // `host_secret` keeps a value already there: with a random id there is none, and what it
    // returns is what deliveries will be signed with either way.
    let kept = backend
        .host_secret(&secret_name(&endpoint.id), fresh.bytes().to_vec())
        .await?;
    backend
        .put(
            &endpoint_key(&endpoint.id),
            encode(&endpoint),
            Some(0),
            None,
        )
        .await?;
    Ok((endpoint, Secret::from_bytes(kept)))
}

/// Every registered endpoint, in id order.
pub(crate) async fn list(backend: &dyn StoreBackend) -> Result<Vec<Endpoint>, EndpointError> {
    let mut endpoints = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = backend
            .scan(ENDPOINT_PREFIX, after.as_deref(), SCAN_PAGE)
            .await?;
        let full = page.len() >= SCAN_PAGE as usize;
        after = page.last().map(|(key, _)| key.clone());
        for (key, entry) in page {
            endpoints.push(decode(&key, &entry.value)?);
        }
        if !full {
            return Ok(endpoints);
        }
    }
}

/// Every endpoint with its secret (`None` when the store holds none for it, as after a restore
/// from a backup made without secrets).
pub(crate) async fn list_with_secrets(
    backend: &dyn StoreBackend,
) -> Result<Vec<(Endpoint, Option<Secret>)>, EndpointError> {
    let endpoints = list(backend).await?;
    if endpoints.is_empty() {
        return Ok(Vec::new());
    }
    let mut secrets = backend.host_secrets().await?;
    Ok(endpoints
        .into_iter()
        .map(|endpoint| {
            let name = secret_name(&endpoint.id);
            let secret = secrets
                .iter_mut()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| Secret::from_bytes(std::mem::take(value)));
            (endpoint, secret)
        })
        .collect())
}

/// Removes endpoint `id` and its secret; whether it existed. Deliveries still queued for it
/// are dropped by the deliverer.
pub(crate) async fn remove(backend: &dyn StoreBackend, id: &str) -> Result<bool, EndpointError> {
    let existed = backend.delete(&endpoint_key(id), None).await?;
    let had_secret = backend.forget_host_secret(&secret_name(id)).await?;
    Ok(existed || had_secret)
}

/// Gives endpoint `id` a new secret and returns it. Deliveries from then on, retries of
/// earlier events included, are signed with it.
pub(crate) async fn rotate(backend: &dyn StoreBackend, id: &str) -> Result<Secret, EndpointError> {
    if backend.get(&endpoint_key(id)).await?.is_none() {
        return Err(EndpointError::Unknown(id.to_owned()));
    }
    let fresh = Secret::generate().map_err(EndpointError::Random)?;
    backend.forget_host_secret(&secret_name(id)).await?;
    let kept = backend
        .host_secret(&secret_name(id), fresh.bytes().to_vec())
        .await?;
    Ok(Secret::from_bytes(kept))
}

/// Marks endpoint `id` disabled for `reason`, or enabled again with `None`; the record as it
/// is now.
pub(crate) async fn set_disabled(
    backend: &dyn StoreBackend,
    id: &str,
    reason: Option<&str>,
) -> Result<Endpoint, EndpointError> {
    let key = endpoint_key(id);
    for _ in 0..CAS_ATTEMPTS {
        let Some(entry) = backend.get(&key).await? else {
            return Err(EndpointError::Unknown(id.to_owned()));
        };
        let mut endpoint: Endpoint = decode(&key, &entry.value)?;
        endpoint.disabled = reason.map(|reason| Disabled {
            at_ms: now_ms(),
            reason: reason.to_owned(),
        });
        match backend
            .put(&key, encode(&endpoint), Some(entry.version), None)
            .await
        {
            Ok(_) => return Ok(endpoint),
            Err(BackendError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EndpointError::Contention(id.to_owned()))
}

fn decode(key: &str, value: &[u8]) -> Result<Endpoint, EndpointError> {
    serde_json::from_slice(value).map_err(|e| EndpointError::Corrupt(key.to_owned(), e.to_string()))
}

fn encode(endpoint: &Endpoint) -> Vec<u8> {
    // Strings, integers and options of them: serialising cannot fail.
    serde_json::to_vec(endpoint).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use super::*;
    use crate::store::SqliteBackend;

    #[test]
    fn filters_name_known_kinds() {
        let filter: EventFilter = "login-failed, locked,login-failed".parse().unwrap();
        assert_eq!(filter.kinds(), ["login-failed", "locked"]);
        assert!(filter.matches("locked") && filter.matches("login-failed"));
        assert!(!filter.matches("registered"));
        assert_eq!(filter.to_string(), "login-failed,locked");
        for every in ["all", "*", "locked,all"] {
            let all: EventFilter = every.parse().unwrap();
            assert_eq!(all, EventFilter::all());
            assert!(EVENT_KINDS.iter().all(|kind| all.matches(kind)));
            assert_eq!(all.to_string(), "all");
        }
        let error = "login-failed,logged-in".parse::<EventFilter>().unwrap_err();
        assert!(
            error.contains("'logged-in' is not an event kind"),
            "{error}"
        );
        assert!(error.contains("password-reset"), "{error}");
        assert!(" , ".parse::<EventFilter>().is_err());
    }

    #[tokio::test]
    async fn endpoints_are_added_listed_rotated_disabled_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::open(&dir.path().join("s.db")).unwrap();
        let url: WebhookUrl = "https://hooks.example.com/in".parse().unwrap();
        let filter: EventFilter = "locked".parse().unwrap();
        let (endpoint, secret) = add(&backend, &url, &filter).await.unwrap();
        assert!(endpoint.id.starts_with("ep_") && endpoint.id.len() == 19);
        assert_eq!(endpoint.events, ["locked"]);
        // The record itself holds no secret; the host-only area does.
        let stored = backend
            .get(&format!("hooks/endpoints/{}", endpoint.id))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8(stored.value).unwrap();
        assert!(!text.contains(&secret.expose()[6..]), "{text}");
        let listed = list_with_secrets(&backend).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].0, endpoint);
        assert_eq!(listed[0].1.as_ref(), Some(&secret));

        let rotated = rotate(&backend, &endpoint.id).await.unwrap();
        assert_ne!(rotated, secret);
        let listed = list_with_secrets(&backend).await.unwrap();
        assert_eq!(listed[0].1.as_ref(), Some(&rotated));
        assert!(matches!(
            rotate(&backend, "ep_none").await,
            Err(EndpointError::Unknown(_))
        ));

        let disabled = set_disabled(&backend, &endpoint.id, Some("410 Gone"))
            .await
            .unwrap();
        assert_eq!(disabled.disabled.unwrap().reason, "410 Gone");
        let enabled = set_disabled(&backend, &endpoint.id, None).await.unwrap();
        assert_eq!(enabled.disabled, None);

        assert!(remove(&backend, &endpoint.id).await.unwrap());
        assert!(!remove(&backend, &endpoint.id).await.unwrap());
        assert!(list(&backend).await.unwrap().is_empty());
        assert!(
            !backend
                .host_secrets()
                .await
                .unwrap()
                .iter()
                .any(|(name, _)| name.starts_with("secret:webhook:"))
        );
    }
}
