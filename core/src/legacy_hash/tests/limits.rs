//! The cost limits: what the source systems' defaults ask is accepted, one step more is refused
//! at import and at verification, and the work goes to the host when it offers to compute it.

use super::*;

#[test]
fn legacy_over_limit_costs_are_errors() {
    // Refused before any work: these would otherwise run for seconds, minutes or hours.
    for cost in ["13", "16", "20", "31", "99"] {
        let stored = BCRYPT_2B.replacen("$04$", &format!("${cost}$"), 1);
        assert_refused(&stored, "above the limit 12");
    }
    for rounds in ["1200001", "2000000", "4294967295"] {
        let stored = PBKDF2_SHA256.replacen("$1000$", &format!("${rounds}$"), 1);
        assert_refused(&stored, "above the limit 1200000");
        let django = DJANGO_PBKDF2.replacen("$1200000$", &format!("${rounds}$"), 1);
        assert_refused(&django, "above the limit 1200000");
    }
    for rounds in ["210001", "1000000"] {
        let stored = PBKDF2_SHA512.replacen("$1000$", &format!("${rounds}$"), 1);
        assert_refused(&stored, "above the limit 210000");
    }
    let huge_salt = format!(
        "$pbkdf2-sha256$1000${}$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
        "A".repeat(1368)
    );
    assert_refused(&huge_salt, "longer than 1024 bytes");
    let longest_salt = format!(
        "$pbkdf2-sha256$1000${}$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
        "A".repeat(1366)
    );
    assert!(!verify_legacy(PASSWORD, &longest_salt).unwrap());
    let huge = format!("{PBKDF2_SHA256}{}", "A".repeat(MAX_STORED_LEN));
    assert_refused(&huge, "more than 2048");
    for (from, to, needle) in [
        ("m=256", "m=102401", "memory 102401 KiB"),
        ("m=256", "m=4194304", "memory 4194304 KiB"),
        ("t=2", "t=11", "passes 11"),
        // Each within its own limit, together more work than any default asks.
        ("m=256,t=2", "m=102400,t=7", "work m*t = 716800"),
        ("m=256,t=2", "m=65537,t=10", "work m*t = 655370"),
        ("m=256,t=2,p=2", "m=1024,t=2,p=17", "lanes 17"), // argon2 wants m >= 8 p
    ] {
        let stored = ARGON2ID_PASSLIB.replacen(from, to, 1);
        assert_refused(&stored, needle);
    }
}

// Django 6.0's own test vector (`tests/auth_tests/test_hashers.py`,
// `make_password("lètmein", "seasalt", "pbkdf2_sha256")`), checked with Python's
// `hashlib.pbkdf2_hmac("sha256", "lètmein".encode(), b"seasalt", 1200000)`, base64-encoded:
// Django's current default cost, and the highest Sesame accepts.
const DJANGO_PBKDF2: &str =
    "pbkdf2_sha256$1200000$seasalt$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE=";
// The same at 1,000 rounds (`make_password` with `PBKDF2PasswordHasher.iterations = 1000`),
// computed likewise, so the unoptimised test build verifies it quickly.
const DJANGO_PBKDF2_CHEAP: &str =
    "pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=";

#[test]
fn legacy_django_pbkdf2_verifies() {
    assert_eq!(detect(DJANGO_PBKDF2), Some(LegacyScheme::Pbkdf2Sha256));
    assert!(check_importable(DJANGO_PBKDF2).is_ok());
    assert!(verify_legacy("lètmein".as_bytes(), DJANGO_PBKDF2_CHEAP).unwrap());
    assert!(!verify_legacy("lètmeinz".as_bytes(), DJANGO_PBKDF2_CHEAP).unwrap());
    for (stored, needle) in [
        ("pbkdf2_sha256$1000$seasalt", "ROUNDS$SALT$CHECKSUM"),
        (
            "pbkdf2_sha256$1000$$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE=",
            "salt must have",
        ),
        (
            "pbkdf2_sha256$1000$seasalt$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBq",
            "base64",
        ),
        (
            "pbkdf2_sha256$1000$seasalt$c2hvcnQ=",
            "5 bytes, expected 32",
        ),
        ("pbkdf2_sha256$01000$seasalt$c2hvcnQ=", "decimal"),
    ] {
        assert_refused(stored, needle);
    }
}

/// A well-formed hash of each scheme at `cost`, with made-up salt and checksum: enough for the
/// import checks, which do no hashing work.
fn at_cost(template: &str, from: &str, to: &str) -> String {
    let stored = template.replacen(from, to, 1);
    assert_ne!(stored, template, "{from} not in {template}");
    stored
}

#[test]
fn legacy_the_source_systems_defaults_import_and_one_step_more_does_not() {
    let admitted = [
        // bcrypt 12: passlib, pyca/bcrypt, Flask-Security (through passlib), Django.
        at_cost(BCRYPT_2B, "$04$", "$12$"),
        // passlib's pbkdf2 defaults; Flask-Security's pbkdf2_sha512 is passlib's.
        PBKDF2_SHA256_DEFAULTS.to_owned(),
        at_cost(PBKDF2_SHA512, "$1000$", "$25000$"),
        // OWASP's SHA-512 figure.
        at_cost(PBKDF2_SHA512, "$1000$", "$210000$"),
        // Django 5.2 and 6.0.
        at_cost(DJANGO_PBKDF2, "$1200000$", "$1000000$"),
        DJANGO_PBKDF2.to_owned(),
        // argon2: passlib / argon2-cffi / Flask-Security today (m=65536, t=3, p=4), Flask-Security's
        // former passlib option (t=10), Django (m=102400, t=2, p=8).
        at_cost(ARGON2ID_PASSLIB, "m=256,t=2,p=2", "m=65536,t=3,p=4"),
        at_cost(ARGON2ID_PASSLIB, "m=256,t=2,p=2", "m=65536,t=10,p=4"),
        at_cost(ARGON2ID_PASSLIB, "m=256,t=2,p=2", "m=102400,t=2,p=8"),
    ];
    for stored in &admitted {
        assert!(check_importable(stored).is_ok(), "{stored}");
    }
    let refused_at_import = [
        (
            at_cost(BCRYPT_2B, "$04$", "$13$"),
            "bcrypt cost 13 is above the limit 12",
        ),
        (
            at_cost(DJANGO_PBKDF2, "$1200000$", "$1200001$"),
            "rounds 1200001 are above the limit 1200000",
        ),
        (
            at_cost(PBKDF2_SHA512, "$1000$", "$210001$"),
            "rounds 210001 are above the limit 210000",
        ),
        (
            at_cost(ARGON2ID_PASSLIB, "m=256,t=2,p=2", "m=102400,t=7,p=8"),
            "above the limit 655360",
        ),
        (
            "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA".to_owned(),
            "unrecognised",
        ),
        (BCRYPT_2B.replacen("OV452", "OV45!", 1), "salt"),
    ];
    for (stored, needle) in &refused_at_import {
        match check_importable(stored) {
            Err(Error::Hashing(why)) => assert!(why.contains(needle), "{stored}: {why}"),
            other => panic!("{stored}: expected a refusal, got {other:?}"),
        }
        // And refused again at sign-in, should such a hash reach the store another way.
        assert!(matches!(
            verify_legacy(PASSWORD, stored),
            Err(Error::Hashing(_))
        ));
    }
}

/// An environment whose host computes imported hashes natively, counting the calls, or
/// answering that it is busy.
struct HostHashing {
    calls: std::cell::Cell<u32>,
    busy: bool,
}

impl HostHashing {
    /// [`verify_legacy_with`] with this host computing.
    fn verify(&self, password: &[u8], stored: &str) -> Result<bool> {
        verify_legacy_with(password, stored, &|job, out| self.compute(job, out))
    }

    fn compute(&self, job: &HostHash<'_>, out: &mut [u8]) -> Option<Result<()>> {
        self.calls.set(self.calls.get() + 1);
        if self.busy {
            return Some(Err(Error::HashingBusy {
                retry_after_ms: 1000,
            }));
        }
        Some(compute_here(job, out))
    }
}

#[test]
fn legacy_hashes_are_computed_by_the_host_when_it_offers_to() {
    let host = HostHashing {
        calls: std::cell::Cell::new(0),
        busy: false,
    };
    for stored in [
        BCRYPT_2B,
        PBKDF2_SHA256,
        PBKDF2_SHA512,
        ARGON2ID_PASSLIB,
        ARGON2I_V16,
    ] {
        assert!(host.verify(PASSWORD, stored).unwrap(), "{stored}");
        assert!(!host.verify(WRONG, stored).unwrap(), "{stored}");
    }
    assert_eq!(host.calls.get(), 10);
    // Limits are core's: an over-limit hash never reaches the host.
    let over = BCRYPT_2B.replacen("$04$", "$13$", 1);
    assert!(matches!(
        host.verify(PASSWORD, &over),
        Err(Error::Hashing(_))
    ));
    assert_eq!(host.calls.get(), 10);
    // A busy host is neither a match nor a mismatch.
    let busy = HostHashing {
        calls: std::cell::Cell::new(0),
        busy: true,
    };
    assert!(matches!(
        busy.verify(PASSWORD, BCRYPT_2B),
        Err(Error::HashingBusy {
            retry_after_ms: 1000
        })
    ));
}

#[test]
fn legacy_import_refuses_costs_above_the_limits_naming_them() {
    use crate::accounts::ImportedUser;
    let f = crate::testing::Fixture::new();
    let s = f.sesame();
    let import = |email: &str, hash: &str| {
        s.import_user(
            &ImportedUser {
                email: email.into(),
                username: None,
                password_hash: hash.into(),
                roles: vec![],
                active: true,
                confirmed: true,
            },
            None,
        )
    };
    for (n, (stored, needle)) in [
        (
            BCRYPT_2B.replacen("$04$", "$14$", 1),
            "bcrypt cost 14 is above the limit 12",
        ),
        (
            DJANGO_PBKDF2.replacen("$1200000$", "$5000000$", 1),
            "rounds 5000000 are above the limit 1200000",
        ),
        (
            ARGON2ID_PASSLIB.replacen("m=256", "m=262144", 1),
            "memory 262144 KiB is above the limit 102400",
        ),
        (BCRYPT_2B.replacen("$04$", "$4$$", 1), "two digits"),
    ]
    .into_iter()
    .enumerate()
    {
        let err =
            crate::AuthError::from(import(&format!("u{n}@example.com"), &stored).unwrap_err());
        assert_eq!(err.code, crate::ErrorCode::InvalidRequest, "{stored}");
        assert!(err.message.contains(needle), "{stored}: {}", err.message);
    }
    // Nothing was stored for them; the defaults still import.
    assert!(s.list_users(None, 10).unwrap().is_empty());
    assert!(import("django@example.com", DJANGO_PBKDF2).is_ok());
    assert!(
        import(
            "argon@example.com",
            &ARGON2ID_PASSLIB.replacen("m=256,t=2,p=2", "m=65536,t=3,p=4", 1)
        )
        .is_ok()
    );
}
