use super::*;
use crate::env::Env as _;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::testing::FixedEnv;

fn cheap() -> Argon2Params {
    Argon2Params {
        m_kib: 64,
        t: 1,
        p: 1,
    }
}

#[test]
fn hash_then_verify_and_reject_wrong() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    let stored = hasher.hash(&pw, &FixedEnv::new()).unwrap();
    assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    assert!(
        !hasher
            .verify(&pw, &stored, &FixedEnv::new())
            .unwrap()
            .needs_rehash
    );
    let wrong = Password::for_verification("correct horsE").unwrap();
    assert!(matches!(
        hasher.verify(&wrong, &stored, &FixedEnv::new()),
        Err(Error::WrongPassword)
    ));
}

/// A host that computes argon2id natively, counting the calls in `calls` (or refusing, with
/// `fail`).
fn native_hashing(calls: &AtomicU32, fail: bool) -> FixedEnv<'_> {
    FixedEnv::new().with_argon2id(move |password, salt, params, out| {
        calls.fetch_add(1, Ordering::SeqCst);
        if fail {
            return Some(Err(Error::Hashing("host refused".into())));
        }
        let params = Params::new(params.m_kib, params.t, params.p, None).unwrap();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(password, salt, out)
            .unwrap();
        Some(Ok(()))
    })
}

#[test]
fn host_hashing_is_used_and_interoperates_with_in_component_hashing() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    let calls = AtomicU32::new(0);
    let host = native_hashing(&calls, false);
    let by_host = hasher.hash(&pw, &host).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Verified in the component, and the other way round: one format, one result.
    assert!(hasher.verify(&pw, &by_host, &FixedEnv::new()).is_ok());
    let by_component = hasher.hash(&pw, &FixedEnv::new()).unwrap();
    assert!(hasher.verify(&pw, &by_component, &host).is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let wrong = Password::for_verification("correct horsE").unwrap();
    assert!(matches!(
        hasher.verify(&wrong, &by_component, &host),
        Err(Error::WrongPassword)
    ));
    // Unknown accounts cost a hash on the host too.
    assert!(matches!(
        hasher.dummy_verify(&pw, &host),
        Error::UnknownAccount
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[test]
fn a_host_hashing_failure_is_an_error_not_a_silent_fallback() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    let stored = hasher.hash(&pw, &FixedEnv::new()).unwrap();
    let calls = AtomicU32::new(0);
    let failing = native_hashing(&calls, true);
    assert!(matches!(
        hasher.verify(&pw, &stored, &failing),
        Err(Error::Hashing(_))
    ));
    assert!(matches!(hasher.hash(&pw, &failing), Err(Error::Hashing(_))));
}

#[test]
fn hashes_match_the_argon2_crate_both_ways() {
    use argon2::{PasswordHasher as _, PasswordVerifier as _};
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    let reference = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(64, 1, 1, None).unwrap(),
    );
    let ours = hasher.hash(&pw, &FixedEnv::new()).unwrap();
    reference
        .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
        .unwrap();
    let theirs = reference
        .hash_password_with_salt(b"correct horse", b"sixteen byte slt")
        .unwrap()
        .to_string();
    let verified = hasher.verify(&pw, &theirs, &FixedEnv::new()).unwrap();
    assert!(!verified.needs_rehash);
}

#[test]
fn other_parameters_verify_but_need_rehash() {
    let old = Hasher::new(Argon2Params {
        m_kib: 32,
        t: 1,
        p: 1,
    })
    .unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    let stored = old.hash(&pw, &FixedEnv::new()).unwrap();
    let verified = Hasher::new(cheap())
        .unwrap()
        .verify(&pw, &stored, &FixedEnv::new())
        .unwrap();
    assert!(verified.needs_rehash);
}

#[test]
fn nfkc_makes_equivalent_spellings_equal() {
    let hasher = Hasher::new(cheap()).unwrap();
    // U+FB01 LATIN SMALL LIGATURE FI normalises to "fi".
    let pw = Password::new_checked("\u{FB01}nal answer", &[]).unwrap();
    let stored = hasher.hash(&pw, &FixedEnv::new()).unwrap();
    let other = Password::for_verification("final answer").unwrap();
    assert!(hasher.verify(&other, &stored, &FixedEnv::new()).is_ok());
}

#[test]
fn policy_names_the_rule() {
    let short = Password::new_checked("short", &[]).unwrap_err();
    assert!(short.to_string().contains("at least 8"));
    let long = Password::new_checked(&"x".repeat(129), &[]).unwrap_err();
    assert!(long.to_string().contains("at most 128"));
    let own = Password::new_checked("alice-rocks-99", &["alice@example.com"]).unwrap_err();
    assert!(own.to_string().contains("email address or username"));
    assert!(Password::new_checked("a perfectly fine one", &["bob@example.com"]).is_ok());
    for common in [
        "password",
        "Password1",
        "welcome2024!",
        "12345678",
        "qwertyuiop",
        "iloveyou!!",
    ] {
        let err = Password::new_checked(common, &[]).unwrap_err();
        assert!(err.to_string().contains("most common"), "{common}: {err}");
    }
    // A common stem inside a longer passphrase is fine, as is a long suffix.
    assert!(Password::new_checked("password manager in use", &[]).is_ok());
    assert!(Password::new_checked("dragon-fruit-salad", &[]).is_ok());
}

#[test]
fn legacy_hashes_verify_and_ask_for_a_rehash() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::for_verification("correct horse battery staple").unwrap();
    // Made by Python `bcrypt.hashpw(pw, bcrypt.gensalt(rounds=4))` (legacy_hash fixtures).
    let bcrypt = "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO";
    assert!(
        hasher
            .verify(&pw, bcrypt, &FixedEnv::new())
            .unwrap()
            .needs_rehash
    );
    let wrong = Password::for_verification("correct horse battery").unwrap();
    assert!(matches!(
        hasher.verify(&wrong, bcrypt, &FixedEnv::new()),
        Err(Error::WrongPassword)
    ));
}

#[test]
fn flask_security_wrapped_hashes_verify() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::for_verification("correct horse battery staple").unwrap();
    // Flask-Security-Too 5.9.2, SECURITY_PASSWORD_SALT="pepper-from-config",
    // pbkdf2_sha512 at 1000 rounds (legacy_hash fixtures).
    let inner = "$pbkdf2-sha512$1000$CMH4X8s5RyilNIZQqtWaMw$xSG3uTg0plzeIpg5ozzFBxB/9p/ZipPdmD.MSEJy2yr3baZLOOybw6kFhm7f.CvJdKthYkbQmpma7PwnZb/exg";
    let stored = flask_security_stored("pepper-from-config", inner);
    assert!(
        hasher
            .verify(&pw, &stored, &FixedEnv::new())
            .unwrap()
            .needs_rehash
    );
    let other_salt = flask_security_stored("another-salt", inner);
    assert!(matches!(
        hasher.verify(&pw, &other_salt, &FixedEnv::new()),
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        hasher.verify(&pw, "$sesame-fs$!!$x", &FixedEnv::new()),
        Err(Error::Hashing(_))
    ));
}

#[test]
fn malformed_stored_hash_is_not_a_match() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    assert!(matches!(
        hasher.verify(&pw, "not a hash", &FixedEnv::new()),
        Err(Error::Hashing(_))
    ));
}

/// A host whose hashing queue is full while `busy` is set, and that lets core hash otherwise.
fn busy_host(busy: &AtomicBool) -> FixedEnv<'_> {
    let refusal = move || {
        busy.load(Ordering::SeqCst)
            .then_some(Err(Error::HashingBusy {
                retry_after_ms: 1000,
            }))
    };
    FixedEnv::new()
        .with_argon2id(move |_, _, _, _| refusal())
        .with_legacy_hash(move |_, _| refusal())
}

#[test]
fn a_busy_host_refuses_known_and_unknown_accounts_alike() {
    let hasher = Hasher::new(cheap()).unwrap();
    let pw = Password::new_checked("correct horse", &[]).unwrap();
    let queue_full = AtomicBool::new(false);
    let host = busy_host(&queue_full);
    let stored = hasher.hash(&pw, &host).unwrap();
    queue_full.store(true, Ordering::SeqCst);
    let busy = |e: &Error| {
        matches!(
            e,
            Error::HashingBusy {
                retry_after_ms: 1000
            }
        )
    };
    assert!(busy(&hasher.verify(&pw, &stored, &host).unwrap_err()));
    // An unknown account answers exactly as a known one: busy, not "invalid credentials".
    assert!(busy(&hasher.dummy_verify(&pw, &host)));
    assert!(busy(&hasher.hash(&pw, &host).unwrap_err()));
    let bcrypt = "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO";
    assert!(busy(&hasher.verify(&pw, bcrypt, &host).unwrap_err()));
    let public = crate::AuthError::from(&Error::HashingBusy {
        retry_after_ms: 1000,
    });
    assert_eq!(public.code, ErrorCode::Busy);
    assert_eq!(public.code.http_status(), 503);
}

#[test]
fn a_busy_host_makes_sign_in_a_503_with_retry_after_that_counts_no_failure() {
    use crate::http::{Request, handle};
    let store = crate::store::MemStore::new();
    let queue_full = AtomicBool::new(false);
    let host = busy_host(&queue_full);
    store.set_now_ms(host.now_ms());
    let mut config = crate::testing::test_config();
    config.lockout.threshold = 1;
    let sesame = crate::Sesame::new(&store, &host, &config).unwrap();
    sesame
        .register("ada@example.com", "analytical engine", None)
        .unwrap();
    let login = |email: &str, password: &str| {
        handle(
            &sesame,
            &Request::new("POST", "/login")
                .with_header("content-type", "application/json")
                .with_body(
                    serde_json::json!({"email": email, "password": password})
                        .to_string()
                        .into_bytes(),
                ),
        )
    };
    queue_full.store(true, Ordering::SeqCst);
    for (email, password) in [
        ("ada@example.com", "wrong password"),
        ("ada@example.com", "analytical engine"),
        ("nobody@example.com", "wrong password"),
    ] {
        let r = login(email, password);
        assert_eq!(r.status, 503, "{email}");
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["error"]["code"], "busy");
        assert_eq!(r.header("retry-after"), Some("1"));
    }
    // An unknown account leaves no more trace than a known one: no shadow failure count.
    assert!(
        crate::store::Store::scan(&store, "shadow-failures/", None, 10)
            .unwrap()
            .is_empty()
    );
    // Nothing was checked, so nothing counted: one real failure would have locked the account.
    queue_full.store(false, Ordering::SeqCst);
    assert_eq!(login("ada@example.com", "analytical engine").status, 200);
}
