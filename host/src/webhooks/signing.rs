//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>) for `sesame serve`:
//! endpoint secrets made here from the system's random generator, and message ids. The `whsec_`
//! format and the `v1` signature are core's ([`sesame_core::outbound::signing`]), which the
//! Spin component signs with too, so one receiver verifies both.

use sesame_core::outbound::WebhookSecret;
use zeroize::Zeroizing;

/// Random bytes in a new secret: the specification asks for 24 to 64.
const NEW_SECRET_BYTES: usize = 24;

/// An endpoint's signing key (core's [`WebhookSecret`]). Its `Debug` form never shows the key,
/// so it cannot reach a log by accident; the `whsec_` text is produced only by
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(WebhookSecret);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// A fresh random secret.
    pub(crate) fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = Zeroizing::new(vec![0u8; NEW_SECRET_BYTES]);
        getrandom::fill(&mut bytes)?;
        Ok(Secret::from_bytes(bytes.to_vec()))
    }

    /// The secret from its raw bytes, as kept in the store.
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Self {
        Secret(WebhookSecret::from_bytes(bytes))
    }

    /// The raw bytes, to keep in the store.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }

    /// The `whsec_<base64>` text the receiver is given (and that [`str::parse`] reads).
    pub(crate) fn expose(&self) -> String {
        self.0.expose()
    }

    /// The `webhook-signature` header value for one attempt (core's
    /// [`WebhookSecret::sign`]).
    pub(crate) fn sign(&self, msg_id: &str, timestamp: u64, body: &str) -> String {
        self.0.sign(msg_id, timestamp, body)
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    /// Reads `whsec_<base64>` (padding optional) holding 24 to 64 bytes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Secret)
    }
}

/// A secret as the operator gave it (`--webhook-secret`), kept as text until it is read with
/// [`GivenSecret::read`]: parsing never fails, so a malformed secret is never echoed in the
/// command line parser's error message, and its `Debug` form hides it.
#[derive(Clone)]
pub(crate) struct GivenSecret(Zeroizing<String>);

impl std::fmt::Debug for GivenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenSecret(***)")
    }
}

impl std::str::FromStr for GivenSecret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(GivenSecret(Zeroizing::new(s.to_owned())))
    }
}

impl GivenSecret {
    /// The secret, or why it is not one (without repeating it).
    pub(crate) fn read(&self) -> Result<Secret, String> {
        self.0.parse()
    }
}

/// A new message id, `msg_` and 32 hex digits (128 random bits): unique per event, and the
/// same in every attempt and at every endpoint, so a receiver can drop a repeated delivery.
pub(crate) fn new_message_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(sesame_core::outbound::signing::message_id(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    #[test]
    fn every_part_of_the_signed_text_counts() {
        let secret = Secret::generate().unwrap();
        let base = secret.sign("msg_1", 1_700_000_000, "{}");
        assert_ne!(base, secret.sign("msg_2", 1_700_000_000, "{}"));
        assert_ne!(base, secret.sign("msg_1", 1_700_000_001, "{}"));
        assert_ne!(base, secret.sign("msg_1", 1_700_000_000, "{ }"));
        assert_ne!(
            base,
            Secret::generate()
                .unwrap()
                .sign("msg_1", 1_700_000_000, "{}")
        );
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let secret = Secret::generate().unwrap();
        let text = secret.expose();
        assert!(text.starts_with("whsec_"), "{text}");
        assert_eq!(secret.bytes().len(), 24);
        assert_eq!(text.parse::<Secret>().unwrap(), secret);
        // Padding is optional.
        let padded = format!("whsec_{}", STANDARD.encode([7u8; 32]));
        assert!(padded.ends_with('='));
        assert_eq!(padded.parse::<Secret>().unwrap().bytes(), [7u8; 32]);
        assert_eq!(
            padded
                .trim_end_matches('=')
                .parse::<Secret>()
                .unwrap()
                .bytes(),
            [7u8; 32]
        );
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not*base64",
            "whsec_c2hvcnQ=",
            "",
        ] {
            assert!(bad.parse::<Secret>().is_err(), "{bad}");
        }
        assert!(!format!("{secret:?}").contains(&text[6..]));
        let given: GivenSecret = text.parse().unwrap();
        assert_eq!(given.read().unwrap(), secret);
        assert!(!format!("{given:?}").contains(&text[6..]));
        let typo: GivenSecret = text[1..].parse().unwrap();
        assert!(!typo.read().unwrap_err().contains(&text[6..]));
    }

    #[test]
    fn message_ids_are_unique_and_shaped() {
        let (a, b) = (new_message_id().unwrap(), new_message_id().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("msg_") && a.len() == 36, "{a}");
    }
}
