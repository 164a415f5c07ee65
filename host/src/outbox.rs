//! Delivering the component's mail: through an SMTP relay when one is configured, and always
//! into the log (and an optional outbox directory), so no message is ever silently dropped.
//!
//! With a relay, the request only hands the message to the durable queue of `mail_queue`,
//! which sends it in the background: an SMTP exchange inside the request made answers for
//! existing accounts measurably slower. How the relay is reached, and secured, is `smtp`'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lettre::message::Mailbox;

use crate::bindings::outbox::{Event, EventKind, Mail};
use crate::mail_queue::{MailQueue, RetryPolicy};
use crate::smtp::SmtpUrl;
use crate::store::StoreBackend;

/// Where mail goes.
pub(crate) struct Mailer {
    queue: Option<Arc<MailQueue>>,
    outbox_dir: Option<PathBuf>,
    counter: AtomicU64,
}

impl Mailer {
    /// A mailer sending through `smtp` (if any) from `from`, retrying as `retry` says, also
    /// writing each message to `outbox_dir` (if any). Mail for the relay is queued only once
    /// [`Mailer::start_queue`] runs (`sesame serve`); before that (admin commands) it is
    /// handed back and logged in full as undelivered.
    pub(crate) fn new(
        smtp: Option<&SmtpUrl>,
        smtp_ca_file: Option<&Path>,
        from: &str,
        outbox_dir: Option<PathBuf>,
        retry: RetryPolicy,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from '{from}' is not an address: {e}"))?;
        let queue = match smtp {
            Some(url) => Some(Arc::new(MailQueue::new(
                url.transport(smtp_ca_file)?,
                from.clone(),
                retry,
            ))),
            None => None,
        };
        if let Some(dir) = &outbox_dir {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Mailer {
            queue,
            outbox_dir,
            counter: AtomicU64::new(0),
        })
    }

    /// Starts delivering queued mail through the relay over `backend` (`sesame serve` only:
    /// admin commands send no mail).
    pub(crate) fn start_queue(&self, backend: Arc<dyn StoreBackend>) {
        if let Some(queue) = &self.queue {
            queue.start(backend);
        }
    }

    /// Waits, at most `limit`, until mail handed to the queue is stored; says whether it all
    /// was.
    pub(crate) async fn flush(&self, limit: std::time::Duration) -> bool {
        match &self.queue {
            Some(queue) => queue.flush(limit).await,
            None => true,
        }
    }

    /// Logs and files one message, and queues it for the relay when there is one. Never
    /// waits on the network or the store: this runs inside the request.
    pub(crate) fn deliver(&self, mail: Mail) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        if let Some(dir) = &self.outbox_dir {
            let name = format!("{}-{}-{n}.txt", crate::store::now_ms(), std::process::id());
            let content = format!(
                "To: {}\nSubject: {}\n\n{}",
                mail.to, mail.subject, mail.text
            );
            if let Err(e) = std::fs::write(dir.join(name), content) {
                tracing::error!(error = %e, "cannot write to the mail outbox");
            }
        }
        let Some(queue) = &self.queue else {
            // No relay: the log is the delivery, so it carries the whole message.
            tracing::info!(to = %mail.to, subject = %mail.subject, text = %mail.text, "mail (no SMTP relay configured)");
            return;
        };
        if let Err(unqueued) = queue.submit(&mail.to, &mail.subject, &mail.text) {
            crate::mail_queue::log_dead(&unqueued, "the mail queue is not running or is full");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        let url: WebhookUrl = "http://127.0.0.1:9000/hooks/sesame?x=1".parse().unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("127.0.0.1", 9000, "/hooks/sesame?x=1")
        );
        let bare: WebhookUrl = "http://collector".parse().unwrap();
        assert_eq!((bare.port, bare.path.as_str()), (80, "/"));
        assert!("https://collector".parse::<WebhookUrl>().is_err());
        assert!("not a url".parse::<WebhookUrl>().is_err());
    }
}

/// Where account events go: always the log (target `sesame::event`), and a webhook when
/// configured.
pub(crate) struct EventSink {
    webhook: Option<WebhookUrl>,
    /// Webhook deliveries under way, so a graceful stop can let them finish.
    in_flight: Arc<tokio::sync::watch::Sender<usize>>,
}

/// A webhook address: `http://host[:port][/path]`. Plain HTTP: point it at a collector on
/// the same host or network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebhookUrl {
    host: String,
    port: u16,
    path: String,
}

/// How long one webhook delivery may take.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl std::str::FromStr for WebhookUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let uri: http::Uri = s.parse().map_err(|e| format!("'{s}' is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("'{s}': only http:// webhooks are supported"));
        }
        let host = uri
            .host()
            .ok_or_else(|| format!("no host in '{s}'"))?
            .to_owned();
        Ok(WebhookUrl {
            host,
            port: uri.port_u16().unwrap_or(80),
            path: uri
                .path_and_query()
                .map_or("/".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

impl EventSink {
    /// A sink posting to `webhook`, if any.
    pub(crate) fn new(webhook: Option<WebhookUrl>) -> Self {
        EventSink {
            webhook,
            in_flight: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Waits until every webhook delivery under way has ended, for at most `limit`; whether
    /// they all did.
    pub(crate) async fn flush(&self, limit: std::time::Duration) -> bool {
        let mut watching = self.in_flight.subscribe();
        tokio::time::timeout(limit, watching.wait_for(|n| *n == 0))
            .await
            .is_ok()
    }

    /// Logs the event and, in the background, posts it to the webhook.
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
        let Some(url) = self.webhook.clone() else {
            return;
        };
        let body = serde_json::json!({
            "kind": kind,
            "user_id": event.user_id,
            "address": event.address,
            "at_ms": event.at_ms,
        })
        .to_string();
        let in_flight = self.in_flight.clone();
        in_flight.send_modify(|n| *n += 1);
        tokio::spawn(async move {
            // Counted down however the delivery ends, so a stop never waits for a lost task.
            struct Done(Arc<tokio::sync::watch::Sender<usize>>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.send_modify(|n| *n = n.saturating_sub(1));
                }
            }
            let _done = Done(in_flight);
            match tokio::time::timeout(WEBHOOK_TIMEOUT, post_json(&url, body)).await {
                Ok(Ok(status)) if (200..300).contains(&status) => {}
                Ok(Ok(status)) => tracing::warn!(status, kind, "webhook refused an event"),
                Ok(Err(e)) => tracing::warn!(error = %e, kind, "webhook delivery failed"),
                Err(_) => tracing::warn!(kind, "webhook delivery timed out"),
            }
        });
    }
}

/// POSTs `body` as JSON over one HTTP/1.1 connection; returns the status.
async fn post_json(url: &WebhookUrl, body: String) -> anyhow::Result<u16> {
    use http_body_util::Full;
    let stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port)).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::post(&url.path)
        .header(http::header::HOST, format!("{}:{}", url.host, url.port))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(body)))?;
    Ok(sender.send_request(request).await?.status().as_u16())
}

fn event_kind(kind: EventKind) -> &'static str {
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
    }
}
