//! An authenticator app for the tests: RFC 6238 codes computed from the base32 secret the
//! server hands out at enrolment, written apart from Sesame's own implementation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

use crate::server::{Server, Signed};

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

/// What an authenticator app knows after enrolling in TOTP at a server.
pub struct Enrolled {
    /// The server's answer to starting enrolment (secret, `otpauth://` URI, QR code).
    pub setup: Value,
    /// The base32 secret.
    pub secret: String,
    /// The step whose code confirmed the enrolment (so it is used).
    pub step: u64,
}

impl Enrolled {
    /// Starts TOTP enrolment as `who` and confirms it with the current step's code, asserting
    /// that both succeed.
    pub fn enrol(server: &Server, who: &Signed) -> Enrolled {
        let started = server.post_signed(who, "/tf-setup", &json!({"setup": "authenticator"}));
        assert_eq!(started.status, 200, "{}", started.text());
        let setup = started.json();
        let secret = setup["secret"].as_str().unwrap().to_owned();
        settle_in_step();
        let step = now_step();
        let confirmed = server.post_signed(who, "/tf-setup", &json!({"code": code(&secret, step)}));
        assert_eq!(confirmed.status, 200, "{}", confirmed.text());
        assert_eq!(confirmed.json()["status"], "enabled");
        Enrolled {
            setup,
            secret,
            step,
        }
    }

    /// The code of `step`.
    pub fn code(&self, step: u64) -> String {
        code(&self.secret, step)
    }

    /// The code of the step after confirmation: inside the ±1 window for the next minute, and
    /// not yet used.
    pub fn next(&self) -> String {
        self.code(self.step + 1)
    }

    /// A well-formed code that is not [`Enrolled::next`].
    pub fn wrong(&self) -> &'static str {
        if self.next() == "000000" {
            "111111"
        } else {
            "000000"
        }
    }
}
