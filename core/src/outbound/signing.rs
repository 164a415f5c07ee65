//! Standard Webhooks (<https://www.standardwebhooks.com/>): the `whsec_` secret, message ids,
//! the `v1` HMAC-SHA256 signature over `{id}.{timestamp}.{body}`, and the body of an account
//! event. `sesame serve`'s webhooks and the Spin component's both sign and write here, so one
//! receiver, with any Standard Webhooks library, verifies either.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The text every secret starts with.
const SECRET_PREFIX: &str = "whsec_";

/// The shortest and longest secret accepted, in bytes (the specification's 24 to 64).
pub const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A webhook signing key. Its `Debug` form never shows the key, so it cannot reach a log by
/// accident; the `whsec_` text is produced only by [`WebhookSecret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

impl WebhookSecret {
    /// The secret of these raw bytes (any length: HMAC takes every key).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        WebhookSecret(Zeroizing::new(bytes))
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `whsec_<base64>` text a receiver is given (and [`str::parse`] reads).
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(self.bytes()))
    }

    /// The `webhook-signature` value of one attempt: `v1,<base64 HMAC-SHA256>` over
    /// `{msg_id}.{timestamp}.{body}`, `timestamp` being the `webhook-timestamp` header (unix
    /// seconds).
    pub fn sign(&self, msg_id: &str, timestamp: u64, body: &str) -> String {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.bytes())
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl std::str::FromStr for WebhookSecret {
    type Err = String;

    /// Reads `whsec_<base64>` (padding optional) holding 24 to 64 bytes; the error never
    /// repeats the text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let encoded = s
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| format!("a webhook secret starts with {SECRET_PREFIX}"))?;
        let bytes = STANDARD_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .map_err(|_| format!("the webhook secret after {SECRET_PREFIX} is not base64"))?;
        if !SECRET_BYTES.contains(&bytes.len()) {
            return Err(format!(
                "the webhook secret holds {} bytes; it needs {} to {}",
                bytes.len(),
                SECRET_BYTES.start(),
                SECRET_BYTES.end()
            ));
        }
        Ok(WebhookSecret::from_bytes(bytes))
    }
}

/// The message id of 16 random bytes: `msg_` and 32 hex digits, the `webhook-id` of every
/// attempt, by which a receiver drops repeats.
pub fn message_id(random: [u8; 16]) -> String {
    format!("msg_{}", hex::encode(random))
}

/// The request body of an account event: `{"type", "timestamp", "data"}` as Standard Webhooks
/// suggests, `timestamp` being when it happened (RFC 3339, UTC, milliseconds) and `data` the
/// account, client address and time. Keys are in byte order, so the same event gives the same
/// bytes wherever it is written.
pub fn event_body(kind: &str, user_id: Option<&str>, address: Option<&str>, at_ms: u64) -> String {
    serde_json::json!({
        "type": kind,
        "timestamp": rfc3339(at_ms),
        "data": {
            "user_id": user_id,
            "address": address,
            "at_ms": at_ms,
        },
    })
    .to_string()
}

/// `ms` since the epoch as RFC 3339 in UTC with milliseconds (`2021-02-25T15:02:10.000Z`);
/// a time beyond chrono's range (over 262,000 years away) is given as the epoch.
pub fn rfc3339(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
