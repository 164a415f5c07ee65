//! Delivering the component's mail: through an SMTP relay when one is configured, and always
//! into the log (and an optional outbox directory), so no message is ever silently dropped.
//!
//! SMTP here is plain (no TLS): point it at a local relay (Postfix, an SMTP sidecar) that
//! handles onward delivery.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::bindings::outbox::{self, Mail};
use crate::ctx::SesameCtxView;

/// Where mail goes.
pub(crate) struct Mailer {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    outbox_dir: Option<PathBuf>,
    counter: AtomicU64,
}

/// An SMTP relay address: `smtp://[user:password@]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmtpUrl {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("'{s}' is not smtp://[user:password@]host[:port]"))?;
        let (credentials, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((user.to_owned(), password.to_owned())), hostport)
            }
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse().map_err(|_| format!("bad port in '{s}'"))?,
            ),
            None => (hostport, 25),
        };
        if host.is_empty() {
            return Err(format!("no host in '{s}'"));
        }
        Ok(SmtpUrl {
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

impl Mailer {
    /// A mailer sending through `smtp` (if any) from `from`, also writing each message to
    /// `outbox_dir` (if any).
    pub(crate) fn new(
        smtp: Option<&SmtpUrl>,
        from: &str,
        outbox_dir: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from '{from}' is not an address: {e}"))?;
        let smtp = smtp.map(|url| {
            let mut builder =
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
                    .port(url.port);
            if let Some((user, password)) = &url.credentials {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            builder.build()
        });
        if let Some(dir) = &outbox_dir {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Mailer {
            smtp,
            from,
            outbox_dir,
            counter: AtomicU64::new(0),
        })
    }

    /// Logs, files and (when configured) sends one message.
    async fn deliver(&self, mail: Mail) {
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
        let Some(smtp) = &self.smtp else {
            // No relay: the log is the delivery, so it carries the whole message.
            tracing::info!(to = %mail.to, subject = %mail.subject, text = %mail.text, "mail (no SMTP relay configured)");
            return;
        };
        let message = match mail.to.parse::<Mailbox>().map(|to| {
            Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(mail.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone())
        }) {
            Ok(Ok(message)) => message,
            Ok(Err(e)) => return log_undelivered(&mail, &e.to_string()),
            Err(e) => return log_undelivered(&mail, &e.to_string()),
        };
        match smtp.send(message).await {
            Ok(_) => tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent"),
            Err(e) => log_undelivered(&mail, &e.to_string()),
        }
    }
}

/// A message SMTP refused: logged in full so an operator can still act on it.
fn log_undelivered(mail: &Mail, why: &str) {
    tracing::error!(to = %mail.to, subject = %mail.subject, text = %mail.text, error = %why, "mail not delivered");
}

impl outbox::Host for SesameCtxView<'_> {
    async fn send_mail(&mut self, mail: Mail) -> wasmtime::Result<()> {
        self.mailer.deliver(mail).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let plain: SmtpUrl = "smtp://relay.internal".parse().unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.credentials),
            ("relay.internal", 25, None)
        );
        let full: SmtpUrl = "smtp://ada:s3cret@127.0.0.1:2525".parse().unwrap();
        assert_eq!(full.port, 2525);
        assert_eq!(full.credentials, Some(("ada".into(), "s3cret".into())));
        assert!("http://x".parse::<SmtpUrl>().is_err());
        assert!("smtp://:25".parse::<SmtpUrl>().is_err());
    }
}
