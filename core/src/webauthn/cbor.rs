//! Strict CBOR decoding for everything authenticators send: attestation objects, COSE keys
//! and authenticator-data extensions.
//!
//! `ciborium` reads one data item and stops, and keeps every pair of a map, duplicates
//! included. Both leave room for two parsers to read one input differently: a map that names
//! `alg` twice means one thing to a verifier that takes the first and another to one that takes
//! the last, and bytes after an attestation object are data nobody signed for. RFC 8949 §5.6
//! calls maps with duplicate keys invalid and WebAuthn encodes each of these as exactly one
//! item, so Sesame refuses both (`webauthn-rejected`, with a message naming the structure).

// A B-tree, not a hash set: std's hasher seeds itself from the runtime's insecure-seed import,
// which the component would otherwise need from every host.
use std::collections::BTreeSet;

use ciborium::Value;

use super::error::{Result, WebAuthnError};

/// Decodes one CBOR data item from the front of `bytes`, refusing maps with duplicate keys at
/// any depth. Returns the item and how many bytes it took, for structures (the attested COSE
/// key, the extensions) whose end is only known by decoding them. `what` names the structure
/// in error messages ("credential public key").
pub(crate) fn decode_prefix(bytes: &[u8], what: &'static str) -> Result<(Value, usize)> {
    let mut reader = bytes;
    let value: Value =
        ciborium::de::from_reader(&mut reader).map_err(|_| WebAuthnError::CborInvalid(what))?;
    let used = bytes.len() - reader.len();
    check_unique_keys(&value, what)?;
    Ok((value, used))
}

/// Decodes `bytes` as exactly one CBOR data item: [`decode_prefix`], and nothing may follow.
pub(crate) fn decode_exact(bytes: &[u8], what: &'static str) -> Result<Value> {
    let (value, used) = decode_prefix(bytes, what)?;
    if used != bytes.len() {
        return Err(WebAuthnError::CborTrailingBytes(what, bytes.len() - used));
    }
    Ok(value)
}

/// Refuses any map, at any depth, with two equal keys. Keys are compared by their encoding
/// after decoding, which is canonical for equal values (so `1` sent as a one-byte and as a
/// two-byte integer is still one key twice). Depth is bounded by ciborium's recursion limit.
fn check_unique_keys(value: &Value, what: &'static str) -> Result<()> {
    match value {
        Value::Map(pairs) => {
            let mut seen = BTreeSet::new();
            for (key, inner) in pairs {
                let mut encoded = Vec::new();
                ciborium::ser::into_writer(key, &mut encoded)
                    .map_err(|_| WebAuthnError::CborUnreadableKey(what))?;
                if !seen.insert(encoded) {
                    return Err(WebAuthnError::CborRepeatedKey(what));
                }
                check_unique_keys(key, what)?;
                check_unique_keys(inner, what)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|v| check_unique_keys(v, what)),
        Value::Tag(_, inner) => check_unique_keys(inner, what),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(value, &mut out).unwrap();
        out
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let text = |s: &str| Value::Text(s.into());
        let flat = Value::Map(vec![(text("a"), text("1")), (text("a"), text("2"))]);
        assert!(decode_exact(&encode(&flat), "x").is_err());
        let nested = Value::Array(vec![Value::Map(vec![
            (Value::Integer(3.into()), text("1")),
            (Value::Integer(3.into()), text("1")),
        ])]);
        assert!(decode_exact(&encode(&nested), "x").is_err());
        let fine = Value::Map(vec![(text("a"), text("1")), (text("b"), text("1"))]);
        assert_eq!(decode_exact(&encode(&fine), "x").unwrap(), fine);
    }

    #[test]
    fn one_key_in_two_encodings_is_still_a_duplicate() {
        // {1: 0, 1 (as 0x18 0x01): 0}
        let bytes = [0xa2, 0x01, 0x00, 0x18, 0x01, 0x00];
        assert!(decode_exact(&bytes, "x").is_err());
    }

    #[test]
    fn trailing_bytes_are_refused_but_a_prefix_reports_its_length() {
        let mut bytes = encode(&Value::Map(Vec::new()));
        bytes.push(0x00);
        let error = crate::AuthError::from(&crate::Error::from(
            decode_exact(&bytes, "thing").unwrap_err(),
        ));
        assert_eq!(error.code, crate::error::ErrorCode::WebauthnRejected);
        assert!(error.message.contains("after its end"), "{}", error.message);
        assert_eq!(decode_prefix(&bytes, "thing").unwrap().1, 1);
    }
}
