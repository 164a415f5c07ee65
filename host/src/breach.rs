//! The breached-password lookup the component imports (`sesame:auth/breach-lookup`): one GET
//! of `{SESAME_PWNED_URL}/range/{PREFIX}` (the haveibeenpwned.com range API, or a mirror of
//! it), made by the host so the component never has network access.
//!
//! The component chooses nothing but the 5 hex digits of the prefix, checked here before
//! anything is sent, so it cannot steer the request elsewhere (no path, query or header of its
//! own). The URL is the operator's: `https://` (rustls on ring with the system's roots, as for
//! webhooks and SMTP), `http://` only to a loopback address. Every lookup is bounded in time
//! (`SESAME_PWNED_TIMEOUT_MS`, connection and whole answer) and in size ([`MAX_RANGE_BYTES`]),
//! so a slow or hostile range service costs a request at most that long and that much memory.
//! `Add-Padding: true` asks the service to pad its answer, so the size of an answer does not
//! tell an observer of the encrypted traffic which prefix was asked.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty, Limited};

use crate::bindings::breach_lookup::LookupError;
use crate::webhooks::WebhookUrl;
use crate::webhooks::transport::Transport;

/// The default of `--pwned-timeout-ms`.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1500);

/// The largest answer read: a padded range is 800 to 1000 lines of 40 bytes or so; anything
/// far larger is not a range.
pub(crate) const MAX_RANGE_BYTES: usize = 256 * 1024;

/// Hex digits of a prefix.
const PREFIX_LEN: usize = 5;

/// Where ranges come from, if anywhere.
pub(crate) struct BreachLookup {
    service: Option<RangeService>,
}

/// A configured range service.
struct RangeService {
    url: WebhookUrl,
    /// The base path, without a trailing `/`.
    base_path: String,
    timeout: Duration,
    transport: Transport,
}

impl BreachLookup {
    /// No range service: every lookup answers `not-configured`.
    pub(crate) fn none() -> Self {
        BreachLookup { service: None }
    }

    /// Lookups at `url` (checked: https, or http to loopback; no query), each within
    /// `timeout`. Fails at start, naming the option, for a URL it would refuse to use.
    pub(crate) fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let parsed = checked_url(url).map_err(|why| anyhow::anyhow!("--pwned-url: {why}"))?;
        let base_path = parsed.path().trim_end_matches('/').to_owned();
        Ok(BreachLookup {
            service: Some(RangeService {
                url: parsed,
                base_path,
                timeout,
                transport: Transport::new(None)?,
            }),
        })
    }

    /// The range of `prefix`, or why there is none; the time spent waiting is added to
    /// `host_wait` (it is not the component's running time). Failures are logged here, without
    /// the prefix (20 bits of someone's password hash).
    pub(crate) async fn range(
        &self,
        host_wait: &mut Duration,
        prefix: &str,
    ) -> Result<Vec<String>, LookupError> {
        let Some(service) = &self.service else {
            return Err(LookupError::NotConfigured);
        };
        if !is_prefix(prefix) {
            tracing::warn!(
                "breached-password lookup refused: the prefix is not 5 upper-case hex digits"
            );
            return Err(LookupError::Unavailable(
                "the prefix is not 5 upper-case hex digits".to_owned(),
            ));
        }
        let started = Instant::now();
        let fetched = tokio::time::timeout(service.timeout, service.fetch(prefix))
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "no answer within {} ms",
                    service.timeout.as_millis()
                ))
            });
        *host_wait += started.elapsed();
        fetched.map_err(|why| {
            tracing::warn!(url = %service.url, error = %why, "breached-password lookup failed");
            LookupError::Unavailable(why)
        })
    }
}

impl RangeService {
    /// One GET of the range, its answer read up to [`MAX_RANGE_BYTES`].
    async fn fetch(&self, prefix: &str) -> Result<Vec<String>, String> {
        let request = http::Request::get(format!("{}/range/{prefix}", self.base_path))
            .header(http::header::HOST, self.url.host_header())
            .header(http::header::USER_AGENT, "Sesame")
            .header("add-padding", "true")
            .body(Empty::<bytes::Bytes>::new())
            .map_err(|e| format!("bad request: {e}"))?;
        let response = self
            .transport
            .send(&self.url, request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(format!("the range service answered {status}"));
        }
        let body = Limited::new(response.into_body(), MAX_RANGE_BYTES)
            .collect()
            .await
            .map_err(|e| {
                format!("the answer could not be read or exceeds {MAX_RANGE_BYTES} bytes: {e}")
            })?
            .to_bytes();
        let text = std::str::from_utf8(&body).map_err(|_| "the answer is not text".to_owned())?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

/// Whether `prefix` is exactly 5 upper-case hex digits: nothing else reaches the URL.
fn is_prefix(prefix: &str) -> bool {
    prefix.len() == PREFIX_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// `url` as a range service: `https://`, or `http://` to a loopback address (the prefix would
/// otherwise cross a network in clear text), without a query or fragment.
fn checked_url(url: &str) -> Result<WebhookUrl, String> {
    let parsed: WebhookUrl = url.trim().parse()?;
    if parsed.is_clear_text_off_host() {
        return Err(format!(
            "'{url}': http:// is accepted only for a loopback address; use https://"
        ));
    }
    if url.contains(['?', '#']) {
        return Err(format!(
            "'{url}': a range service URL has no query or fragment"
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use super::*;

    #[test]
    fn only_five_upper_case_hex_digits_make_a_prefix() {
        assert!(is_prefix("21BD1") && is_prefix("00000") && is_prefix("FFFFF"));
        for bad in [
            "21bd1",
            "21BD",
            "21BD12",
            "21BG1",
            "",
            "../..",
            "21B/1",
            "21BD1?x=1",
            "2 BD1",
            "21BD\n",
            "２1BD1",
        ] {
            assert!(!is_prefix(bad), "{bad:?}");
        }
    }

    #[test]
    fn range_services_are_https_or_loopback_without_a_query() {
        assert!(checked_url("https://api.pwnedpasswords.com").is_ok());
        assert!(checked_url("http://127.0.0.1:9000/mirror/").is_ok());
        assert!(checked_url("http://[::1]:9000").is_ok());
        for bad in [
            "http://api.pwnedpasswords.com",
            "http://10.0.0.1/",
            "https://mirror.example/?key=1",
            "https://mirror.example/#x",
            "ftp://mirror.example",
            "https://user:pw@mirror.example",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }

    /// A prefix that is not 5 upper-case hex digits never reaches the network: the component
    /// cannot put a path, query or header of its own into the request.
    #[tokio::test]
    async fn a_malformed_prefix_is_refused_before_anything_is_sent() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let lookup =
            BreachLookup::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(1)).unwrap();
        for bad in [
            "../../admin",
            "21BD1/x",
            "21BD1?q=",
            "21bd1",
            "21BD1\r\nHost: x",
        ] {
            let mut waited = Duration::ZERO;
            let answer = lookup.range(&mut waited, bad).await;
            assert!(
                matches!(answer, Err(LookupError::Unavailable(_))),
                "{bad:?}"
            );
        }
        let nothing = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(nothing.is_err(), "a connection was made");
    }

    /// A service that never answers is cut off at the timeout, and one that is not configured
    /// is never asked.
    #[tokio::test]
    async fn lookups_are_bounded_in_time() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let lookup = BreachLookup::new(
            &format!("http://127.0.0.1:{port}"),
            Duration::from_millis(200),
        )
        .unwrap();
        let mut waited = Duration::ZERO;
        let started = Instant::now();
        let answer = lookup.range(&mut waited, "21BD1").await;
        assert!(
            matches!(answer, Err(LookupError::Unavailable(_))),
            "{answer:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(waited >= Duration::from_millis(200));
        held.abort();
        let mut waited = Duration::ZERO;
        assert!(matches!(
            BreachLookup::none().range(&mut waited, "21BD1").await,
            Err(LookupError::NotConfigured)
        ));
    }
}
