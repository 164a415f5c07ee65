//! The HTTP requests that deliver a queued item: a mail in the provider's format, or an event
//! as a signed Standard Webhook. Pure: the transport only sends what is built here.
//!
//! Every value a user influences (recipient, subject, text) travels inside a JSON string,
//! encoded by serde_json, so a CR, LF or quote in it can add neither a header nor a field.
//! Header values are Sesame's own (the token and the signature, checked to be one line when
//! read), never a user's.

use serde_json::{Map, Value};

use super::settings::{MailFormat, OutboundSettings};
use super::signing::WebhookSecret;
use super::{OutboundRequest, QueuedMail};

/// Postmark's stream for transactional mail: every Postmark server has it.
const POSTMARK_STREAM: &str = "outbound";

/// The `User-Agent` of mail requests.
const MAIL_AGENT: &str = "Sesame";

/// The `User-Agent` of webhook requests, the same as `sesame serve`'s.
const WEBHOOK_AGENT: &str = "Sesame-Webhooks";

/// The request delivering `mail` (queued as `id`) to `url` in `settings`' format.
pub(crate) fn mail_request(
    settings: &OutboundSettings,
    url: &str,
    id: &str,
    mail: &QueuedMail,
) -> OutboundRequest {
    let token = settings.mail_api_token.expose();
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("accept".to_owned(), "application/json".to_owned()),
        ("user-agent".to_owned(), MAIL_AGENT.to_owned()),
    ];
    let to: Value = mail.to.as_str().into();
    let body = match settings.mail_api_format {
        MailFormat::Json => {
            if !token.is_empty() {
                headers.push(("authorization".to_owned(), format!("Bearer {token}")));
            }
            headers.push(("idempotency-key".to_owned(), id.to_owned()));
            let mut body = mail_fields(settings, mail, ["from", "subject", "text", "html"]);
            body.insert("id".into(), id.into());
            body.insert("to".into(), to);
            body
        }
        MailFormat::Postmark => {
            headers.push(("x-postmark-server-token".to_owned(), token.to_owned()));
            let names = ["From", "Subject", "TextBody", "HtmlBody"];
            let mut body = mail_fields(settings, mail, names);
            body.insert("To".into(), to);
            body.insert("MessageStream".into(), POSTMARK_STREAM.into());
            body
        }
        MailFormat::Resend => {
            headers.push(("authorization".to_owned(), format!("Bearer {token}")));
            // Resend keeps a key for 24 hours: a retry after an answer lost on the way is
            // not sent twice.
            headers.push(("idempotency-key".to_owned(), id.to_owned()));
            let mut body = mail_fields(settings, mail, ["from", "subject", "text", "html"]);
            body.insert("to".into(), Value::Array(vec![to]));
            body
        }
    };
    OutboundRequest {
        url: url.to_owned(),
        headers,
        body: Value::Object(body).to_string().into_bytes(),
    }
}

/// The sender, subject, text and (when there is one) HTML of `mail` under the format's `names`
/// for them, in that order.
fn mail_fields(
    settings: &OutboundSettings,
    mail: &QueuedMail,
    names: [&str; 4],
) -> Map<String, Value> {
    let [from, subject, text, html] = names;
    let mut body = Map::new();
    body.insert(from.into(), settings.mail_from.as_str().into());
    body.insert(subject.into(), mail.subject.as_str().into());
    body.insert(text.into(), mail.text.as_str().into());
    if let Some(html_body) = &mail.html {
        body.insert(html.into(), html_body.as_str().into());
    }
    body
}

/// The request delivering the event `body` (id `msg_id`) to `url`, signed with `secret` for an
/// attempt at `now_ms`: the headers and signature of `sesame serve`'s webhooks.
pub(crate) fn webhook_request(
    url: &str,
    secret: &WebhookSecret,
    msg_id: &str,
    body: &str,
    now_ms: u64,
) -> OutboundRequest {
    let timestamp = now_ms / 1000;
    OutboundRequest {
        url: url.to_owned(),
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), WEBHOOK_AGENT.to_owned()),
            ("webhook-id".to_owned(), msg_id.to_owned()),
            ("webhook-timestamp".to_owned(), timestamp.to_string()),
            (
                "webhook-signature".to_owned(),
                secret.sign(msg_id, timestamp, body),
            ),
        ],
        body: body.as_bytes().to_vec(),
    }
}
