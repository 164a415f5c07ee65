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

use crate::bindings::outbox::Mail;
use crate::mail_queue::{MailJob, MailQueue};
use crate::queue::RetryPolicy;
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
            Some(url) => Some(Arc::new(crate::mail_queue::mail_queue(
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
        let job = MailJob::new(&mail.to, &mail.subject, &mail.text, mail.html.as_deref());
        if let Err(unqueued) = queue.submit(job) {
            crate::mail_queue::log_dead(&unqueued, "the mail queue is not running or is full");
        }
    }
}
