//! An authenticator app for the tests: RFC 6238 codes computed from the base32 secret the
//! server hands out at enrolment, written apart from Sesame's own implementation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};

/// Seconds per step.
pub const PERIOD: u64 = 30;

/// Decodes unpadded RFC 4648 base32 (upper case).
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base32: {c}")) as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// The current step.
pub fn now_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / PERIOD
}

/// The 6-digit HMAC-SHA-1 code of `secret_base32` at `step`.
pub fn code(secret_base32: &str, step: u64) -> String {
    let key = base32_decode(secret_base32);
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&key).unwrap_or_else(|_| {
        panic!("HMAC takes any key length");
    });
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let word = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    format!("{:06}", word % 1_000_000)
}

/// Waits, if needed, until at least 10 seconds remain in the current step, so a test that
/// reasons about "this step" and "the next" is not split by a step boundary.
pub fn settle_in_step() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let into_step = now.as_millis() as u64 % (PERIOD * 1000);
    let left = PERIOD * 1000 - into_step;
    if left < 10_000 {
        std::thread::sleep(Duration::from_millis(left + 100));
    }
}
