//! Where mail and account events go over HTTP, and how the queue retries: settings of their
//! own, so reading settings needs nothing of the queue.
//!
//! Only runtimes that deliver through [`crate::outbound`] read them (the Spin component);
//! `sesame serve` delivers mail over SMTP and events to its own webhook endpoints, and is not
//! handed these.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::settings::{Setting, number, section, text};

use super::signing::WebhookSecret;

/// The sender of Sesame's mail unless `SESAME_MAIL_FROM` names another (the same default as
/// `sesame serve`'s).
pub const DEFAULT_MAIL_FROM: &str = "Sesame <sesame@localhost>";

/// The request body a mail provider's API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFormat {
    /// Sesame's own JSON (`{"id","from","to","subject","text","html"}`), with the token, if
    /// any, as `Authorization: Bearer`: for a relay of the deployment's own.
    Json,
    /// Postmark's `POST /email`, the token as `X-Postmark-Server-Token`.
    Postmark,
    /// Resend's `POST /emails`, the token as `Authorization: Bearer`.
    Resend,
}

impl MailFormat {
    /// The format named `json`, `postmark` or `resend`.
    fn parse(name: &str, value: &str) -> Result<MailFormat> {
        match value.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(MailFormat::Json),
            "postmark" => Ok(MailFormat::Postmark),
            "resend" => Ok(MailFormat::Resend),
            _ => Err(Error::Config(format!(
                "{name} is one of json, postmark, resend"
            ))),
        }
    }
}

/// A provider's API token. Its `Debug` form never shows it, so no log line or error can carry
/// it by accident; it is wiped from memory on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiToken(Zeroizing<String>);

impl ApiToken {
    /// The token, for the one header that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no token is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() {
            "ApiToken(none)"
        } else {
            "ApiToken(***)"
        })
    }
}

/// Mail and event delivery over HTTP, and the queue's bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSettings {
    /// The mail provider's API (`http://` or `https://`); `None`: mail is written to the log.
    pub mail_api_url: Option<String>,
    /// Which body and authentication header that API takes.
    pub mail_api_format: MailFormat,
    /// The API token (empty: none is sent).
    pub mail_api_token: ApiToken,
    /// The sender of every mail (`Name <address>` or an address).
    pub mail_from: String,
    /// Where account events are POSTed as Standard Webhooks; `None`: events are only logged.
    pub webhook_url: Option<String>,
    /// The secret signing them (required with a webhook URL).
    pub webhook_secret: Option<WebhookSecret>,
    /// Wait before the first retry, in ms; each further retry waits twice as long (at most
    /// 30 minutes), plus up to a quarter more at random.
    pub retry_base_ms: u64,
    /// Attempts before an item is given up (logged in full and kept 30 days as a dead letter).
    pub max_attempts: u32,
    /// Mails taken into the queue per recipient (its normalised address) per hour at most;
    /// past it each is logged in full instead, so the queue cannot grow unbounded, and one
    /// flooded address does not hold back anyone else's mail.
    pub max_per_hour: u32,
    /// Events taken into the queue per account per hour at most (events naming no account
    /// share one allowance of their own); past it each is logged in full instead.
    pub events_per_hour: u32,
}

impl Default for OutboundSettings {
    /// Nothing delivered over HTTP; retries from 10 s over 12 attempts (about two hours);
    /// 50 mails an hour per recipient and 1000 events an hour per account.
    fn default() -> Self {
        OutboundSettings {
            mail_api_url: None,
            mail_api_format: MailFormat::Json,
            mail_api_token: ApiToken::default(),
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            webhook_url: None,
            webhook_secret: None,
            retry_base_ms: 10_000,
            max_attempts: 12,
            max_per_hour: 50,
            events_per_hour: 1000,
        }
    }
}

impl OutboundSettings {
    /// Whether anything is delivered over HTTP (mail or events).
    pub fn enabled(&self) -> bool {
        self.mail_api_url.is_some() || self.webhook_url.is_some()
    }

    /// Rejects combinations that could never deliver.
    pub fn validate(&self) -> Result<()> {
        if self.webhook_url.is_some() && self.webhook_secret.is_none() {
            return Err(Error::Config(
                "SESAME_WEBHOOK_URL needs SESAME_WEBHOOK_SECRET (whsec_...)".into(),
            ));
        }
        let needs_token = matches!(
            self.mail_api_format,
            MailFormat::Postmark | MailFormat::Resend
        );
        if self.mail_api_url.is_some() && needs_token && self.mail_api_token.is_empty() {
            return Err(Error::Config(
                "SESAME_MAIL_API_FORMAT postmark and resend need SESAME_MAIL_API_TOKEN".into(),
            ));
        }
        if self.mail_from.contains(['\r', '\n']) {
            return Err(Error::Config("SESAME_MAIL_FROM must be one line".into()));
        }
        if self.max_attempts == 0 || self.retry_base_ms == 0 {
            return Err(Error::Config(
                "SESAME_OUTBOUND_MAX_ATTEMPTS and SESAME_OUTBOUND_RETRY_BASE_MS must be positive"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// An `http://` or `https://` URL with a host, in the form every attempt can send: a URL that
/// could never deliver is refused here, at start, rather than retried for hours. A user name
/// or password in it is refused (it would show wherever the URL is logged; the token setting
/// carries credentials), as is a fragment; a query with no path before it gets the path `/`.
fn http_url(name: &str, value: &str) -> Result<Option<String>> {
    let value = value.trim();
    let (scheme, rest) = match value.strip_prefix("https://") {
        Some(rest) => ("https://", rest),
        None => match value.strip_prefix("http://") {
            Some(rest) => ("http://", rest),
            None => return Err(not_http(name)),
        },
    };
    if value.contains(char::is_whitespace) || value.contains('#') {
        return Err(not_http(name));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') {
        let instead = if name.contains("WEBHOOK") {
            "requests are signed with SESAME_WEBHOOK_SECRET"
        } else {
            "give the credential as SESAME_MAIL_API_TOKEN"
        };
        return Err(Error::Config(format!(
            "{name} must not carry a user name or password: {instead}"
        )));
    }
    if authority.is_empty() {
        return Err(not_http(name));
    }
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    Ok(Some(format!("{scheme}{authority}{path}")))
}

/// The message for a value that is no `http://` or `https://` URL with a host.
fn not_http(name: &str) -> Error {
    Error::Config(format!("{name} must be an http:// or https:// URL"))
}

/// A token, kept out of every `Debug` form.
fn token(_name: &str, value: &str) -> Result<ApiToken> {
    if value.contains(['\r', '\n']) {
        return Err(Error::Config(
            "SESAME_MAIL_API_TOKEN must be one line".into(),
        ));
    }
    Ok(ApiToken(Zeroizing::new(value.trim().to_owned())))
}

/// A `whsec_` secret; the message never repeats the value.
fn webhook_secret(name: &str, value: &str) -> Result<Option<WebhookSecret>> {
    value
        .parse()
        .map(Some)
        .map_err(|why| Error::Config(format!("{name}: {why}")))
}

/// The delivery variables.
pub const SETTINGS: &[Setting<OutboundSettings>] = section! {
    "SESAME_MAIL_API_URL" = "", mail_api_url <- http_url, "Spin: the mail provider's HTTP API that mail is POSTed to (empty: mail goes to the log); the runtime must allow its host";
    "SESAME_MAIL_API_FORMAT" = "json", mail_api_format <- MailFormat::parse, "Spin: the body that API takes: `json` (Sesame's own), `postmark` or `resend`";
    "SESAME_MAIL_API_TOKEN" = "", mail_api_token <- token, "Spin: the API token (a secret): `Authorization: Bearer` for json and resend, `X-Postmark-Server-Token` for postmark";
    "SESAME_MAIL_FROM" = "Sesame <sesame@localhost>", mail_from <- text, "the sender of Sesame's mail";
    "SESAME_WEBHOOK_URL" = "", webhook_url <- http_url, "Spin: where account events are POSTed as Standard Webhooks (empty: only logged)";
    "SESAME_WEBHOOK_SECRET" = "", webhook_secret <- webhook_secret, "Spin: the whsec_... secret signing those webhooks (a secret)";
    "SESAME_OUTBOUND_RETRY_BASE_MS" = "10000", retry_base_ms <- number, "Spin: ms before the first retry of a mail or event not delivered; each retry waits twice as long (at most 30 minutes)";
    "SESAME_OUTBOUND_MAX_ATTEMPTS" = "12", max_attempts <- number, "Spin: delivery attempts before a mail or event is given up (logged in full, kept 30 days)";
    "SESAME_OUTBOUND_MAX_PER_HOUR" = "50", max_per_hour <- number, "Spin: mails queued per recipient per hour at most; past it each is logged instead";
    "SESAME_OUTBOUND_EVENTS_PER_HOUR" = "1000", events_per_hour <- number, "Spin: events queued per account per hour at most (events naming no account share one allowance); past it each is logged instead";
};
