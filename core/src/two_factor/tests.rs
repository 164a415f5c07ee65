use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::totp::{Algorithm, TotpSecret};
use super::*;
use crate::env::Env;
use crate::records::{self, recovery_codes_key, totp_enrolment_key, totp_key};
use crate::sessions::{ClientInfo, IssuedSession};
use crate::store::Store;
use crate::testing::{ADA_EMAIL as EMAIL, ADA_PASSWORD as PW, Fixture, error_code};

/// A fixture where ada has registered; returns her user.
fn registered() -> (Fixture, User) {
    let f = Fixture::registered();
    let user = f.sesame().list_users(None, 1).unwrap().remove(0);
    (f, user)
}

/// The secret of the user's enrolment or credential, opened as core would.
fn secret_of(f: &Fixture, user: &User) -> (TotpSecret, TotpRecord) {
    let (record, _) = records::load::<TotpRecord>(&f.store, &totp_key(&user.id))
        .unwrap()
        .or_else(|| records::load::<TotpRecord>(&f.store, &totp_enrolment_key(&user.id)).unwrap())
        .expect("an enrolment or a credential");
    let secret = sealed::open(&f.config.secret, &user.id, &record.sealed_secret).unwrap();
    (secret, record)
}

/// The code of the user's secret `offset` steps from now.
fn code(f: &Fixture, user: &User, offset: i64) -> String {
    let (secret, record) = secret_of(f, user);
    let step = totp::step_at(f.env.now_ms() / 1000).saturating_add_signed(offset);
    totp::code_at(&secret, record.algorithm, record.digits, step)
}

/// ada with TOTP enrolled and confirmed; the clock then moves to the next step, so the
/// confirming code's step is in the past.
fn enrolled() -> (Fixture, User) {
    let (f, user) = registered();
    f.sesame().start_totp(&f.fresh_login(&user)).unwrap();
    f.sesame()
        .confirm_totp(&f.fresh_login(&user), &code(&f, &user, 0))
        .unwrap();
    f.advance(totp::PERIOD_SECS * 1000);
    (f, user)
}

fn pending(f: &Fixture) -> PendingLogin {
    match f
        .sesame()
        .begin_login(EMAIL, PW, &ClientInfo::default())
        .unwrap()
    {
        LoginOutcome::SecondFactor(p) => p,
        LoginOutcome::SignedIn(_) => panic!("two-factor users get no session from a password"),
    }
}

/// Finishes the pending sign-in `p` with a TOTP code.
fn with_totp(f: &Fixture, p: &PendingLogin, code: &str) -> Result<IssuedSession> {
    f.sesame()
        .complete_totp(p.token.expose(), code, &ClientInfo::default())
}

/// Asserts that the pending sign-in `p` is over: even the right code is refused.
fn assert_pending_is_over(f: &Fixture, user: &User, p: &PendingLogin) {
    assert_eq!(
        error_code(with_totp(f, p, &code(f, user, 0))),
        ErrorCode::Unauthenticated
    );
}

/// Turns two-factor off for `user` from a fresh login, with `proof`.
fn disable(f: &Fixture, user: &User, proof: Reauth<'_>) -> Result<()> {
    f.sesame()
        .disable_two_factor(&f.fresh_login(user), proof, &ClientInfo::default())
}

/// Finishes the pending sign-in `p` with a recovery code.
fn with_recovery(f: &Fixture, p: &PendingLogin, code: &str) -> Result<IssuedSession> {
    f.sesame()
        .complete_recovery(p.token.expose(), code, &ClientInfo::default())
}

#[test]
fn enrolment_shows_uri_and_qr_and_needs_a_valid_code() {
    let (f, user) = registered();
    let s = f.sesame();
    assert!(!required(&s, &user).unwrap());
    let enrolment = s.start_totp(&f.fresh_login(&user)).unwrap();
    assert!(
        enrolment
            .otpauth_uri
            .starts_with("otpauth://totp/Sesame:ada@example.com?secret=")
    );
    assert!(
        enrolment
            .otpauth_uri
            .contains("&issuer=Sesame&algorithm=SHA1&digits=6&period=30")
    );
    assert_eq!(enrolment.secret_base32.len(), 32, "160-bit secret");
    assert!(enrolment.qr_svg.starts_with("<svg") && enrolment.qr_svg.ends_with("</svg>"));
    assert!(!format!("{enrolment:?}").contains(enrolment.secret_base32.as_str()));
    // Unconfirmed: not yet required.
    assert!(!required(&s, &user).unwrap());
    assert_eq!(
        error_code(s.confirm_totp(&f.fresh_login(&user), "000000")),
        ErrorCode::InvalidCode
    );
    assert_eq!(
        error_code(s.confirm_totp(&f.fresh_login(&user), "12ab56")),
        ErrorCode::InvalidRequest
    );
    s.confirm_totp(&f.fresh_login(&user), &code(&f, &user, 0))
        .unwrap();
    assert!(required(&s, &user).unwrap());
    assert_eq!(
        error_code(s.start_totp(&f.fresh_login(&user))),
        ErrorCode::AlreadyExists
    );
    assert_eq!(
        s.two_factor_status(&user.id).unwrap(),
        TwoFactorStatus {
            totp_enabled: true,
            email_enabled: false,
            enrolment_pending: false,
            recovery_codes_left: 0
        }
    );
}

#[test]
fn password_alone_gives_no_session() {
    let (f, _) = enrolled();
    let s = f.sesame();
    assert_eq!(
        error_code(s.login(EMAIL, PW, &ClientInfo::default())),
        ErrorCode::SecondFactorRequired
    );
    let p = pending(&f);
    assert_eq!(p.methods, [Method::Totp]);
    // The pending token is not a session anywhere.
    assert_eq!(
        error_code(s.validate_session(p.token.expose())),
        ErrorCode::Unauthenticated
    );
    // A wrong password still fails as before, without revealing two-factor.
    assert_eq!(
        error_code(s.begin_login(EMAIL, "wrong password!", &ClientInfo::default())),
        ErrorCode::InvalidCredentials
    );
}

#[test]
fn a_valid_code_completes_once_with_a_fresh_session() {
    let (f, user) = enrolled();
    let s = f.sesame();
    let p = pending(&f);
    let session = with_totp(&f, &p, &code(&f, &user, 0)).unwrap();
    assert_eq!(
        s.validate_session(session.token.expose()).unwrap().user.id,
        user.id
    );
    // The pending state is used up.
    f.advance(totp::PERIOD_SECS * 1000);
    assert_pending_is_over(&f, &user, &p);
}

#[test]
fn a_code_is_accepted_at_most_once() {
    let (f, user) = enrolled();
    let now = code(&f, &user, 0);
    with_totp(&f, &pending(&f), &now).unwrap();
    let again = pending(&f);
    assert_eq!(
        error_code(with_totp(&f, &again, &now)),
        ErrorCode::InvalidCode
    );
    // Nor an older step once a later one was used.
    assert_eq!(
        error_code(with_totp(&f, &again, &code(&f, &user, -1))),
        ErrorCode::InvalidCode
    );
    // The confirming code of enrolment was recorded as used too.
    let (f, user) = registered();
    let s = f.sesame();
    s.start_totp(&f.fresh_login(&user)).unwrap();
    let first = code(&f, &user, 0);
    s.confirm_totp(&f.fresh_login(&user), &first).unwrap();
    assert_eq!(
        error_code(with_totp(&f, &pending(&f), &first)),
        ErrorCode::InvalidCode
    );
}

#[test]
fn one_step_of_skew_either_way_and_no_more() {
    for (offset, accepted) in [(-2, false), (-1, true), (1, true), (2, false)] {
        let (f, user) = enrolled();
        f.advance(10 * totp::PERIOD_SECS * 1000);
        let p = pending(&f);
        let result = with_totp(&f, &p, &code(&f, &user, offset));
        assert_eq!(result.is_ok(), accepted, "offset {offset}");
    }
}

#[test]
fn attempts_are_limited_per_pending_sign_in() {
    let (f, user) = enrolled();
    let p = pending(&f);
    let wrong = if code(&f, &user, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..f.config.two_factor.max_attempts - 1 {
        assert_eq!(error_code(with_totp(&f, &p, wrong)), ErrorCode::InvalidCode);
    }
    // Malformed codes count too.
    assert_eq!(
        error_code(with_totp(&f, &p, "abc")),
        ErrorCode::InvalidRequest
    );
    // The pending sign-in is gone: even the right code no longer helps.
    assert_pending_is_over(&f, &user, &p);
}

/// The request holding a pending sign-in's last attempt fails while a right code, checked in
/// parallel with an attempt reserved earlier, is between its check and using the sign-in up:
/// the failure must not take the sign-in away from the right code.
#[test]
fn a_failed_last_attempt_does_not_cancel_a_right_code_checked_in_parallel() {
    let (f, user) = enrolled();
    let p = pending(&f);
    let token = p.token.expose();
    let s = f.sesame();
    let client = ClientInfo::default();
    let max = f.config.two_factor.max_attempts;
    // Attempts 1 to max - 2 fail first.
    for _ in 0..max - 2 {
        assert!(
            s.complete(token, &client, crate::two_factor::Method::Totp, |_| Err(
                invalid_code()
            ))
            .is_err()
        );
    }
    // Attempt max - 1 is the right one; while it is checked, attempt max fails.
    let session = s.complete(token, &client, crate::two_factor::Method::Totp, |_| {
        let last = f
            .sesame()
            .complete(token, &client, crate::two_factor::Method::Totp, |_| {
                Err(invalid_code())
            });
        assert_eq!(error_code(last), ErrorCode::InvalidCode);
        Ok(())
    });
    assert!(session.is_ok(), "{session:?}");
    // The sign-in is used up, and its attempts are too.
    assert_pending_is_over(&f, &user, &p);
}

#[test]
fn pending_sign_in_expires() {
    let (f, user) = enrolled();
    let p = pending(&f);
    f.advance(f.config.two_factor.pending_ms);
    assert_pending_is_over(&f, &user, &p);
}

#[test]
fn racing_requests_with_one_code_give_one_session() {
    let (mut f, user) = enrolled();
    // The losers' refusals count as failures; keep the per-account lock out of the race.
    f.config.lockout.threshold = 50;
    let now = code(&f, &user, 0);
    let tokens: Vec<PendingLogin> = (0..8).map(|_| pending(&f)).collect();
    let successes = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for p in &tokens {
            let (f, now, successes) = (&f, &now, &successes);
            scope.spawn(move || {
                if with_totp(f, p, now).is_ok() {
                    successes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(successes.into_inner(), 1);
}

#[test]
fn recovery_codes_work_once_and_regeneration_replaces_them() {
    let (f, user) = enrolled();
    let s = f.sesame();
    let codes = s.generate_recovery_codes(&f.fresh_login(&user)).unwrap();
    assert_eq!(codes.0.len(), 10);
    assert!(
        codes
            .0
            .iter()
            .all(|c| c.len() == 19 && c.matches('-').count() == 3)
    );
    assert_eq!(s.recovery_codes_left(&user.id).unwrap(), 10);
    let p = pending(&f);
    assert_eq!(p.methods, [Method::Totp, Method::RecoveryCode]);
    // Typed loosely: upper case, no dashes.
    let typed = codes.0[0].replace('-', "").to_uppercase();
    let session = with_recovery(&f, &p, &typed).unwrap();
    assert!(s.validate_session(session.token.expose()).is_ok());
    assert_eq!(s.recovery_codes_left(&user.id).unwrap(), 9);
    let p = pending(&f);
    assert_eq!(
        error_code(with_recovery(&f, &p, &codes.0[0])),
        ErrorCode::InvalidCode
    );
    assert_eq!(
        error_code(with_recovery(&f, &p, "not a code")),
        ErrorCode::InvalidRequest
    );
    let fresh = s.generate_recovery_codes(&f.fresh_login(&user)).unwrap();
    assert_eq!(
        error_code(with_recovery(&f, &p, &codes.0[1])),
        ErrorCode::InvalidCode,
        "the old set is void"
    );
    assert!(with_recovery(&f, &p, &fresh.0[1]).is_ok());
    // Only keyed tags are stored.
    let stored = String::from_utf8(
        f.store
            .get(&recovery_codes_key(&user.id))
            .unwrap()
            .unwrap()
            .value,
    )
    .unwrap();
    for c in fresh.0.iter() {
        assert!(!stored.contains(c.as_str()) && !stored.contains(&c.replace('-', "")));
    }
}

#[test]
fn racing_requests_with_one_recovery_code_give_one_session() {
    let (mut f, user) = enrolled();
    f.config.lockout.threshold = 50;
    let codes = f
        .sesame()
        .generate_recovery_codes(&f.fresh_login(&user))
        .unwrap();
    let tokens: Vec<PendingLogin> = (0..8).map(|_| pending(&f)).collect();
    let successes = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for p in &tokens {
            let (f, c, successes) = (&f, codes.0[3].as_str(), &successes);
            scope.spawn(move || {
                if with_recovery(f, p, c).is_ok() {
                    successes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(successes.into_inner(), 1);
    assert_eq!(f.sesame().recovery_codes_left(&user.id).unwrap(), 9);
}

#[test]
fn recovery_codes_need_two_factor_on() {
    let (f, user) = registered();
    assert_eq!(
        error_code(f.sesame().generate_recovery_codes(&f.fresh_login(&user))),
        ErrorCode::InvalidRequest
    );
}

#[test]
fn disabling_needs_the_password_or_a_code() {
    let (f, user) = enrolled();
    let s = f.sesame();
    s.generate_recovery_codes(&f.fresh_login(&user)).unwrap();
    assert_eq!(
        error_code(disable(&f, &user, Reauth::Password("wrong password!"))),
        ErrorCode::InvalidCredentials
    );
    assert_eq!(
        error_code(disable(&f, &user, Reauth::Code("000000x"))),
        ErrorCode::InvalidRequest
    );
    disable(&f, &user, Reauth::Code(&code(&f, &user, 0))).unwrap();
    assert!(!required(&s, &user).unwrap());
    assert_eq!(s.recovery_codes_left(&user.id).unwrap(), 0);
    assert!(matches!(
        s.begin_login(EMAIL, PW, &ClientInfo::default()).unwrap(),
        LoginOutcome::SignedIn(_)
    ));
    assert_eq!(
        error_code(disable(&f, &user, Reauth::Password(PW))),
        ErrorCode::NotFound
    );
    // And with the password.
    s.start_totp(&f.fresh_login(&user)).unwrap();
    s.confirm_totp(&f.fresh_login(&user), &code(&f, &user, 0))
        .unwrap();
    disable(&f, &user, Reauth::Password(PW)).unwrap();
    assert!(!required(&s, &user).unwrap());
}

#[test]
fn the_secret_is_not_in_the_store() {
    let (f, user) = registered();
    let enrolment = f.sesame().start_totp(&f.fresh_login(&user)).unwrap();
    let (secret, _) = secret_of(&f, &user);
    let mut all = Vec::new();
    for (_, entry) in f.store.scan("", None, 1000).unwrap() {
        all.extend_from_slice(&entry.value);
    }
    let contains = |needle: &[u8]| all.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(enrolment.secret_base32.as_bytes()));
    assert!(!contains(secret.expose()));
    assert!(!contains(hex::encode(secret.expose()).as_bytes()));
}

#[test]
fn sha256_and_eight_digits_are_configurable() {
    let mut f = Fixture::new();
    f.config.two_factor.totp_algorithm = Algorithm::Sha256;
    f.config.two_factor.totp_digits = 8;
    f.sesame().register(EMAIL, PW, None).unwrap();
    let user = f.sesame().list_users(None, 1).unwrap().remove(0);
    let enrolment = f.sesame().start_totp(&f.fresh_login(&user)).unwrap();
    assert!(enrolment.otpauth_uri.contains("algorithm=SHA256&digits=8"));
    assert_eq!(enrolment.secret_base32.len(), 52, "256-bit secret");
    let eight = code(&f, &user, 0);
    assert_eq!(eight.len(), 8);
    assert_eq!(
        error_code(f.sesame().confirm_totp(&f.fresh_login(&user), &eight[..6])),
        ErrorCode::InvalidRequest
    );
    f.sesame()
        .confirm_totp(&f.fresh_login(&user), &eight)
        .unwrap();
    assert!(required(&f.sesame(), &user).unwrap());
}

#[test]
fn configuration_is_read_and_checked() {
    let secret = URL_SAFE_NO_PAD.encode([1u8; 32]);
    let config = crate::Config::from_vars([
        ("SESAME_SECRET", secret.as_str()),
        ("SESAME_TOTP_ALGORITHM", "sha-512"),
        ("SESAME_TOTP_DIGITS", "8"),
        ("SESAME_TOTP_ISSUER", "Acme"),
        ("SESAME_RECOVERY_CODES", "12"),
        ("SESAME_TWO_FACTOR_MAX_ATTEMPTS", "3"),
        ("SESAME_TWO_FACTOR_PENDING_SECS", "60"),
    ])
    .unwrap();
    let tf = &config.two_factor;
    assert_eq!(
        (tf.totp_algorithm, tf.totp_digits, tf.totp_issuer.as_str()),
        (Algorithm::Sha512, 8, "Acme")
    );
    assert_eq!(
        (tf.recovery_codes, tf.max_attempts, tf.pending_ms),
        (12, 3, 60_000)
    );
    for (name, value) in [
        ("SESAME_TOTP_ALGORITHM", "MD5"),
        ("SESAME_TOTP_DIGITS", "7"),
        ("SESAME_RECOVERY_CODES", "0"),
        ("SESAME_TOTP_ISSUER", "a:b"),
    ] {
        assert!(
            crate::Config::from_vars([("SESAME_SECRET", secret.as_str()), (name, value)]).is_err(),
            "{name}={value}"
        );
    }
}

#[test]
fn wrong_codes_lock_the_second_step_per_account_with_back_off() {
    let (f, user) = enrolled();
    let wrong = |p: &PendingLogin| {
        let right = code(&f, &user, 0);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        error_code(with_totp(&f, p, wrong))
    };
    // Spread over two pending sign-ins: a fresh password step does not reset the count.
    let first = pending(&f);
    for _ in 0..4 {
        assert_eq!(wrong(&first), ErrorCode::InvalidCode);
    }
    let second = pending(&f);
    assert_eq!(wrong(&second), ErrorCode::InvalidCode);
    // Threshold reached: locked, and the right code is not even looked at.
    let right = code(&f, &user, 0);
    assert_eq!(
        error_code(with_totp(&f, &second, &right)),
        ErrorCode::RateLimited
    );
    // After the base lock, one more failure locks for twice as long.
    f.advance(f.config.lockout.base_ms);
    let third = pending(&f);
    assert_eq!(wrong(&third), ErrorCode::InvalidCode);
    f.advance(f.config.lockout.base_ms);
    assert_eq!(
        error_code(with_totp(&f, &third, &code(&f, &user, 0))),
        ErrorCode::RateLimited
    );
    f.advance(f.config.lockout.base_ms);
    let fourth = pending(&f);
    with_totp(&f, &fourth, &code(&f, &user, 0)).unwrap();
    // Success clears the count.
    let fifth = pending(&f);
    assert_eq!(wrong(&fifth), ErrorCode::InvalidCode);
    assert_eq!(wrong(&fifth), ErrorCode::InvalidCode);
}

#[test]
fn guessing_codes_to_turn_two_factor_off_meets_the_same_lock() {
    let (f, user) = enrolled();
    let s = f.sesame();
    let right = code(&f, &user, 0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..f.config.lockout.threshold {
        assert_eq!(
            error_code(disable(&f, &user, Reauth::Code(wrong))),
            ErrorCode::InvalidCode
        );
    }
    assert_eq!(
        error_code(disable(&f, &user, Reauth::Code(&right))),
        ErrorCode::RateLimited
    );
    assert!(required(&s, &user).unwrap());
}

#[test]
fn parallel_wrong_codes_are_counted_before_any_is_checked() {
    let (f, _) = enrolled();
    let p = pending(&f);
    let checked = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..200 {
            scope.spawn(|| {
                let s = f.sesame();
                let _ = s.complete(
                    p.token.expose(),
                    &ClientInfo::default(),
                    crate::two_factor::Method::Totp,
                    |_| {
                        checked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Err(invalid_code())
                    },
                );
            });
        }
    });
    let checked = checked.into_inner();
    assert!(checked >= 1, "no code was checked at all");
    assert!(
        checked
            <= f.config
                .two_factor
                .max_attempts
                .min(f.config.lockout.threshold),
        "{checked} codes were checked"
    );
    // And the pending sign-in is over.
    assert_eq!(
        error_code(f.sesame().pending_methods(p.token.expose())),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn attempts_across_pending_sign_ins_are_counted_before_checking_too() {
    let (f, _) = enrolled();
    let checked = std::sync::atomic::AtomicU32::new(0);
    let pendings: Vec<PendingLogin> = (0..8).map(|_| pending(&f)).collect();
    std::thread::scope(|scope| {
        for p in &pendings {
            for _ in 0..25 {
                scope.spawn(|| {
                    let _ = f.sesame().complete(
                        p.token.expose(),
                        &ClientInfo::default(),
                        crate::two_factor::Method::Totp,
                        |_| {
                            checked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            Err(invalid_code())
                        },
                    );
                });
            }
        }
    });
    let checked = checked.into_inner();
    assert!(checked >= 1);
    assert!(
        checked <= f.config.lockout.threshold,
        "{checked} codes were checked across pending sign-ins"
    );
}

#[test]
fn a_code_turns_two_factor_off_only_from_a_fresh_login() {
    let (f, user) = enrolled();
    let s = f.sesame();
    let stale = f.fresh_login(&user);
    f.advance(f.config.freshness.window_ms);
    assert_eq!(
        error_code(s.disable_two_factor(
            &stale,
            Reauth::Code(&code(&f, &user, 0)),
            &ClientInfo::default()
        )),
        ErrorCode::ReauthenticationRequired
    );
    assert!(required(&s, &user).unwrap());
    // The password is itself a fresh authentication.
    s.disable_two_factor(&stale, Reauth::Password(PW), &ClientInfo::default())
        .unwrap();
    assert!(!required(&s, &user).unwrap());
}

/// A pending sign-in of an account that was erased or disabled meanwhile is gone: the right
/// code gets no session, and no attempt is counted against the vanished account.
#[test]
fn a_pending_sign_in_ends_with_its_account() {
    let (f, user) = enrolled();
    let p = pending(&f);
    let s = f.sesame();
    s.set_active(EMAIL, false).unwrap();
    assert_pending_is_over(&f, &user, &p);
    assert!(
        f.store
            .get(&crate::records::pending_sign_in_key(p.token.expose()))
            .unwrap()
            .is_none(),
        "the pending sign-in was deleted"
    );
    s.set_active(EMAIL, true).unwrap();
    let p = pending(&f);
    let right = code(&f, &user, 0);
    s.admin_delete_user(&crate::admin::Actor::operator(), &user.id)
        .unwrap();
    assert_eq!(
        error_code(with_totp(&f, &p, &right)),
        ErrorCode::Unauthenticated
    );
    assert!(
        f.store
            .get(&crate::records::second_factor_failures_key(&user.id))
            .unwrap()
            .is_none(),
        "an attempt was counted against an erased account"
    );
}
