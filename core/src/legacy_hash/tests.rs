//! Every fixture below was made by the real Python library named beside it, not by this code.
//!
//! Two virtualenvs (Python 3.11), because Flask-Security-Too 5.9 depends on `libpass` (the
//! maintained fork of passlib, which installs the same `passlib` package) while classic passlib
//! 1.7.4 is what most legacy systems ran:
//!
//! - "passlib venv": `pip install passlib==1.7.4 argon2-cffi==25.1.0`
//! - "flask venv": `pip install flask-security-too==5.9.2 bcrypt==5.0.0 argon2-cffi==25.1.0`
//!   (which brings `libpass` 1.9.4 and Flask 3.1.3)
//!
//! `PASSWORD` is `"correct horse battery staple"` (`pw` in the snippets).

use unicode_normalization::UnicodeNormalization;

use super::*;

const PASSWORD: &[u8] = b"correct horse battery staple";
const WRONG: &[u8] = b"correct horse battery stapler";

// flask venv:
//   import bcrypt
//   pw = b"correct horse battery staple"
//   bcrypt.hashpw(pw, bcrypt.gensalt(rounds=4))
//   bcrypt.hashpw(pw, bcrypt.gensalt(rounds=5, prefix=b"2a"))
//   bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(rounds=4))
//   bcrypt.hashpw(b"", bcrypt.gensalt(rounds=4))
const BCRYPT_2B: &str = "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO";
const BCRYPT_2A: &str = "$2a$05$m9IPL4M0oNj2eAHLPnsYm.c..NUa5DQETpm1yPNQcjwhLIOYd4IIK";
const BCRYPT_72_X: &str = "$2b$04$Y9dph4e7LPwzb2Ue4M//0.g6cyR7iO7iI921VmlXNmdvMRgfdZWVC";
const BCRYPT_EMPTY: &str = "$2b$04$Rq09f5WSwIv0Jy5CeyCPtuKlpCetatIGuE6GHXMSQr0VOp7p0XvQu";

// passlib venv, run with PASSLIB_BUILTIN_BCRYPT=enabled (no bcrypt package there; `$2y$` is
// PHP's name for the same algorithm, and neither pyca/bcrypt nor passlib's C backends write it):
//   from passlib.hash import bcrypt
//   bcrypt.set_backend("builtin")
//   bcrypt.using(ident="2y", rounds=4).hash("correct horse battery staple")
const BCRYPT_2Y: &str = "$2y$04$x/pBzdBp70zZQ58qZxkuZeupNZwqZ9tD/fWNb2SqVsEuI6IOspQJu";

// passlib venv:
//   from passlib.hash import pbkdf2_sha256, pbkdf2_sha512
//   pw = "correct horse battery staple"
//   pbkdf2_sha256.using(rounds=1000).hash(pw)
//   pbkdf2_sha512.using(rounds=1000).hash(pw)
//   pbkdf2_sha256.hash(pw)  # passlib's defaults: 29000 rounds (sha512: 25000), 16-byte salt
const PBKDF2_SHA256: &str =
    "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0";
const PBKDF2_SHA512: &str = "$pbkdf2-sha512$1000$OifkPGcMIYRwbk1JaQ1hzA$7Piykm3WVSrRIbgj304DiJhzOZPkAfarskOj5pHjM2svLSztf21bZg6uIyvyE9g9M3QJDnS4GinKPeXz2f6ejg";
const PBKDF2_SHA256_DEFAULTS: &str =
    "$pbkdf2-sha256$29000$UqoVQsiZcw4BgBAC4DwnRA$q104a8jWVXI/EJqIUl/N9CIEReCaD0.Y6oDAAl6qegw";

// passlib venv (passlib's argon2 uses the argon2-cffi backend; its defaults are m=65536, t=3,
// p=4, type ID):
//   from passlib.hash import argon2
//   argon2.using(type="ID", memory_cost=256, rounds=2, parallelism=2).hash(pw)
const ARGON2ID_PASSLIB: &str = "$argon2id$v=19$m=256,t=2,p=2$HcNY652TMibEWIuRsnYOYQ$yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU";

// flask venv:
//   import argon2
//   pw = b"correct horse battery staple"
//   argon2.PasswordHasher(time_cost=1, memory_cost=128, parallelism=1, hash_len=24, salt_len=12,
//                         type=argon2.Type.I).hash(pw)
//   argon2.low_level.hash_secret(pw, b"somesalt16bytes!", time_cost=1, memory_cost=64,
//                                parallelism=1, hash_len=32, type=argon2.Type.I, version=16)
const ARGON2I_CFFI: &str =
    "$argon2i$v=19$m=128,t=1,p=1$Q2EUhP8qFiyFCr9l$ELxwAnnTvFXGeteshPcy2ZEa2W1eWDRn";
const ARGON2I_V16: &str =
    "$argon2i$v=16$m=64,t=1,p=1$c29tZXNhbHQxNmJ5dGVzIQ$LueH3ko2/A7gq6Z/jHit5bAb/jy5GyLNfK9Us84I0BE";
// ARGON2I_V16 with "v=16$" removed; argon2-cffi confirms it still verifies:
//   argon2.PasswordHasher().verify(ARGON2I_V16_IMPLICIT, "correct horse battery staple")  # True
const ARGON2I_V16_IMPLICIT: &str =
    "$argon2i$m=64,t=1,p=1$c29tZXNhbHQxNmJ5dGVzIQ$LueH3ko2/A7gq6Z/jHit5bAb/jy5GyLNfK9Us84I0BE";

// Flask-Security-Too itself, in the flask venv. `flask_security/utils.py` (5.9.2) has
//   def get_hmac(password):
//       h = hmac.new(_encode_string(salt), _encode_string(password), hashlib.sha512)
//       return base64.b64encode(h.digest())      # salt = SECURITY_PASSWORD_SALT
// and `hash_password` hashes `get_hmac(password).decode("ascii")` (cut to 72 bytes for bcrypt)
// whenever the scheme is not in SECURITY_PASSWORD_SINGLE_HASH. The script:
//   import flask, unicodedata
//   from flask_security import Security
//   from flask_security.datastore import UserDatastore
//   from flask_security.utils import hash_password, verify_password, get_hmac
//   class User: fs_uniquifier = None  # Security() insists on a datastore with this field
//   class Role: pass
//   def make(scheme, options):
//       app = flask.Flask(scheme)
//       app.config.update(SECRET_KEY="not-used", SECURITY_PASSWORD_SALT="pepper-from-config",
//                         SECURITY_PASSWORD_HASH=scheme,
//                         SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS=options)
//       Security(app, datastore=UserDatastore(User, Role), register_blueprint=False)
//       return app
//   for scheme, options in [
//       ("pbkdf2_sha512", {"pbkdf2_sha512__rounds": 1000}),
//       ("bcrypt", {"bcrypt__rounds": 4}),
//       ("argon2", {"argon2__memory_cost": 256, "argon2__rounds": 1, "argon2__parallelism": 1}),
//   ]:
//       with make(scheme, options).app_context():
//           h = hash_password("correct horse battery staple")
//           assert verify_password("correct horse battery staple", h)
//           print(scheme, h)
//   with make("pbkdf2_sha512", {"pbkdf2_sha512__rounds": 1000}).app_context():
//       print(get_hmac("correct horse battery staple").decode())
//       # NFKD is Flask-Security's default SECURITY_PASSWORD_NORMALIZE_FORM
//       print(hash_password(unicodedata.normalize("NFKD", "Caf\u00e9 \ufb01nal")))
const FLASK_SALT: &str = "pepper-from-config";
const FLASK_GET_HMAC: &str =
    "8PSJpKs+Jc06/ZtMvGY3YWXOPeBPgKAeLLEmuWomAxnHUrA5b/LrMy9W5LWYCMe2jKRn5GcY87zImQrELIcydQ==";
const FLASK_PBKDF2_SHA512: &str = "$pbkdf2-sha512$1000$CMH4X8s5RyilNIZQqtWaMw$xSG3uTg0plzeIpg5ozzFBxB/9p/ZipPdmD.MSEJy2yr3baZLOOybw6kFhm7f.CvJdKthYkbQmpma7PwnZb/exg";
const FLASK_BCRYPT: &str = "$2b$04$j3UHbTREr96OmQ8U/BVlwOkAUY3219D3xEoYuqxfYfD.m9M9WoY9K";
const FLASK_ARGON2: &str = "$argon2id$v=19$m=256,t=1,p=1$c+69t7b2HuP8vzfmPCdkLA$p8PXsngrIDAxhnqNqZ0CqPPnRzPBx/oW15DLvyY+SPg";
const FLASK_NFKD_PASSWORD: &str = "Caf\u{e9} \u{fb01}nal";
const FLASK_NFKD: &str = "$pbkdf2-sha512$1000$7j2HECKktDYmZMz5n7O2lg$kqizLGtN/LBm/QL5DcB0lYwGAQK2c/ai1bvGylKvoFI.k5O9MjfAlJxuDnUgIdEJwm1d8S6Rlm7V8tyYvvtbfg";

/// Asserts that `stored` accepts `PASSWORD` and refuses `WRONG`.
fn assert_verifies(stored: &str) {
    assert!(verify_legacy(PASSWORD, stored).unwrap(), "{stored}");
    assert!(!verify_legacy(WRONG, stored).unwrap(), "{stored}");
}

/// Asserts that `stored` is an error and its message contains `needle`.
fn assert_refused(stored: &str, needle: &str) {
    match verify_legacy(PASSWORD, stored) {
        Err(Error::Hashing(reason)) => assert!(
            reason.contains(needle),
            "{stored}: {reason:?} lacks {needle:?}"
        ),
        other => panic!("{stored}: expected Err(Hashing), got {other:?}"),
    }
}

#[test]
fn legacy_detect_recognises_each_scheme() {
    for stored in [BCRYPT_2B, BCRYPT_2A, BCRYPT_2Y, FLASK_BCRYPT] {
        assert_eq!(detect(stored), Some(LegacyScheme::Bcrypt), "{stored}");
    }
    assert_eq!(detect(PBKDF2_SHA256), Some(LegacyScheme::Pbkdf2Sha256));
    assert_eq!(detect(PBKDF2_SHA512), Some(LegacyScheme::Pbkdf2Sha512));
    assert_eq!(
        detect(FLASK_PBKDF2_SHA512),
        Some(LegacyScheme::Pbkdf2Sha512)
    );
    for stored in [
        ARGON2ID_PASSLIB,
        ARGON2I_CFFI,
        ARGON2I_V16,
        ARGON2I_V16_IMPLICIT,
    ] {
        assert_eq!(detect(stored), Some(LegacyScheme::Argon2), "{stored}");
    }
    assert_eq!(
        detect("$argon2d$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"),
        Some(LegacyScheme::Argon2)
    );
}

#[test]
fn legacy_detect_refuses_other_formats() {
    for stored in [
        "",
        "correct horse battery staple",
        "$2x$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO", // crypt_blowfish bug marker
        "$2$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
        "$pbkdf2$1000$c2FsdA$aGFzaA",      // passlib's pbkdf2_sha1
        "$pbkdf2-sha1$1000$c2FsdA$aGFzaA", // passlib's pbkdf2_sha1
        "pbkdf2_sha1$260000$salt$hash",    // Django's SHA-1 variant
        "pbkdf2_sha256",                   // Django's prefix needs its `$`
        "$argon2$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA",
        "$6$rounds=5000$salt$hash",
        "$2B$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
    ] {
        assert_eq!(detect(stored), None, "{stored}");
    }
}

#[test]
fn legacy_bcrypt_python_hashes_verify() {
    for stored in [BCRYPT_2B, BCRYPT_2A, BCRYPT_2Y] {
        assert_verifies(stored);
    }
}

#[test]
fn legacy_bcrypt_uses_only_the_first_72_bytes() {
    let mut long = vec![b'x'; 72];
    assert!(verify_legacy(&long, BCRYPT_72_X).unwrap());
    long.extend_from_slice(b" and whatever follows");
    assert!(verify_legacy(&long, BCRYPT_72_X).unwrap());
    assert!(!verify_legacy(&[b'x'; 71], BCRYPT_72_X).unwrap());
}

#[test]
fn legacy_bcrypt_empty_password() {
    assert!(verify_legacy(b"", BCRYPT_EMPTY).unwrap());
    assert!(!verify_legacy(b" ", BCRYPT_EMPTY).unwrap());
    assert!(!verify_legacy(PASSWORD, BCRYPT_EMPTY).unwrap());
}

#[test]
fn legacy_bcrypt_ignores_unused_salt_bits() {
    // The 22nd salt character carries 2 bits; 'u' and 'v' differ only in the 4 unused ones.
    // passlib accepts this (warning about "incorrectly set padding bits"); so do OpenBSD and
    // this module. pyca/bcrypt 5 refuses it as "Invalid salt".
    let sloppy = BCRYPT_2B.replacen("GlhlupG", "GlhlvpG", 1);
    assert_ne!(sloppy, BCRYPT_2B);
    assert_verifies(&sloppy);
}

#[test]
fn legacy_pbkdf2_passlib_hashes_verify() {
    for stored in [PBKDF2_SHA256, PBKDF2_SHA512, PBKDF2_SHA256_DEFAULTS] {
        assert_verifies(stored);
    }
}

#[test]
fn legacy_argon2_hashes_verify() {
    for stored in [
        ARGON2ID_PASSLIB,
        ARGON2I_CFFI,
        ARGON2I_V16,
        ARGON2I_V16_IMPLICIT,
    ] {
        assert_verifies(stored);
    }
}

#[test]
fn legacy_argon2_missing_version_means_0x10() {
    // The same string claiming version 0x13 is another hash, so it does not verify.
    let as_v19 = ARGON2I_V16.replacen("v=16", "v=19", 1);
    assert!(!verify_legacy(PASSWORD, &as_v19).unwrap());
}

#[test]
fn legacy_wrong_checksum_is_a_mismatch_not_an_error() {
    for (stored, from, to) in [
        // A middle character each time: the last one may carry unused bits.
        (BCRYPT_2B, "xTnOO", "xTmOO"),
        (PBKDF2_SHA256, "2kk0", "2kl0"),
        (PBKDF2_SHA512, "f6ejg", "f7ejg"),
        (ARGON2ID_PASSLIB, "9dwU", "8dwU"),
    ] {
        let tampered = stored.replacen(from, to, 1);
        assert_ne!(tampered, stored);
        assert!(!verify_legacy(PASSWORD, &tampered).unwrap(), "{tampered}");
    }
}

#[test]
fn legacy_flask_security_prehash_matches_get_hmac() {
    assert_eq!(flask_security_prehash(PASSWORD, FLASK_SALT), FLASK_GET_HMAC);
    assert_ne!(
        flask_security_prehash(PASSWORD, "another-salt"),
        FLASK_GET_HMAC
    );
}

#[test]
fn legacy_flask_security_hashes_verify() {
    let prehashed = flask_security_prehash(PASSWORD, FLASK_SALT);
    let wrong = flask_security_prehash(WRONG, FLASK_SALT);
    for stored in [FLASK_PBKDF2_SHA512, FLASK_BCRYPT, FLASK_ARGON2] {
        assert!(
            verify_legacy(prehashed.as_bytes(), stored).unwrap(),
            "{stored}"
        );
        assert!(
            !verify_legacy(wrong.as_bytes(), stored).unwrap(),
            "{stored}"
        );
        // Without the pre-hash the raw password never matches.
        assert!(!verify_legacy(PASSWORD, stored).unwrap(), "{stored}");
    }
    let other_salt = flask_security_prehash(PASSWORD, "another-salt");
    assert!(!verify_legacy(other_salt.as_bytes(), FLASK_PBKDF2_SHA512).unwrap());
}

#[test]
fn legacy_flask_security_needs_its_nfkd_spelling() {
    let nfkd: String = FLASK_NFKD_PASSWORD.nfkd().collect();
    let nfkc: String = FLASK_NFKD_PASSWORD.nfkc().collect();
    assert_ne!(nfkd, nfkc);
    let verify = |password: &str| {
        let prehashed = flask_security_prehash(password.as_bytes(), FLASK_SALT);
        verify_legacy(prehashed.as_bytes(), FLASK_NFKD).unwrap()
    };
    assert!(verify(&nfkd));
    assert!(
        !verify(&nfkc),
        "Sesame's NFKC spelling is not what Flask-Security hashed"
    );
}

#[test]
fn legacy_malformed_hashes_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "unrecognised"),
        ("plaintext", "unrecognised"),
        (
            "$2x$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
            "unrecognised",
        ),
        // bcrypt
        (
            "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnO",
            "60 ASCII",
        ),
        (
            "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOOO",
            "60 ASCII",
        ),
        (
            "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnö",
            "60 ASCII",
        ),
        (
            "$2b$4$$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
            "two digits",
        ),
        (
            "$2b$+4$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
            "two digits",
        ),
        (
            "$2b$04xOV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
            "two digits",
        ),
        (
            "$2b$03$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
            "below the minimum",
        ),
        (
            "$2b$04$OV452AaV43VVJErTpGlhl+pGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
            "salt",
        ),
        (
            "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTn=O",
            "checksum",
        ),
        // passlib pbkdf2
        (
            "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q",
            "ROUNDS$SALT$CHECKSUM",
        ),
        (
            "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0$",
            "ROUNDS$SALT$CHECKSUM",
        ),
        (
            "$pbkdf2-sha256$$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "decimal",
        ),
        (
            "$pbkdf2-sha256$+1000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "decimal",
        ),
        (
            "$pbkdf2-sha256$01000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "decimal",
        ),
        (
            "$pbkdf2-sha256$0$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "at least 1",
        ),
        (
            "$pbkdf2-sha256$99999999999$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "out of range",
        ),
        (
            "$pbkdf2-sha256$1000$DIFQylnLeS+l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "not passlib ab64",
        ),
        (
            "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q==$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "not passlib ab64",
        ),
        (
            "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q*$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "not valid ab64",
        ),
        (
            // checksum one character short
            "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk",
            "31 bytes, expected 32",
        ),
        (
            // a SHA-512-sized checksum under the SHA-256 identifier
            "$pbkdf2-sha256$1000$OifkPGcMIYRwbk1JaQ1hzA$7Piykm3WVSrRIbgj304DiJhzOZPkAfarskOj5pHjM2svLSztf21bZg6uIyvyE9g9M3QJDnS4GinKPeXz2f6ejg",
            "wrong length",
        ),
        (
            "$pbkdf2-sha512$1000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
            "32 bytes, expected 64",
        ),
        // argon2
        (
            "$argon2id$v=19$m=256,t=2,p=2$HcNY652TMibEWIuRsnYOYQ",
            "salt or output",
        ),
        ("$argon2id$v=19$m=256,t=2,p=2", "salt or output"),
        (
            "$argon2id$v=42$m=256,t=2,p=2$HcNY652TMibEWIuRsnYOYQ$yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU",
            "version",
        ),
        (
            "$argon2id$v=19$m=256,t=0,p=2$HcNY652TMibEWIuRsnYOYQ$yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU",
            "argon2",
        ),
        (
            "$argon2id$v=19$m=256,t=2,p=2$HcNY652TMibEWIuRsnYOYQ$yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU=",
            "argon2",
        ),
        ("$argon2id$garbage", "argon2"),
    ];
    for (stored, needle) in cases {
        assert_eq!(
            detect(stored).is_some(),
            *needle != "unrecognised",
            "{stored}"
        );
        assert_refused(stored, needle);
    }
}

mod limits;
