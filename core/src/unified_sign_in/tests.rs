use super::*;
use crate::accounts::User;
use crate::env::Env;
use crate::error::ErrorCode;
use crate::sessions::{ClientInfo, SignInProof};
use crate::testing::{ADA_EMAIL as EMAIL, ADA_PASSWORD as PW, Fixture, error_code};
use crate::two_factor::{LoginOutcome, Method};

/// A fixture offering `methods`, where ada has registered with a password.
fn offering(methods: &[SignInMethod]) -> Fixture {
    let mut f = Fixture::new();
    f.config.unified_sign_in.methods = methods.to_vec();
    f.sesame().register(EMAIL, PW, None).unwrap();
    f
}

/// Passwords, mailed codes and passkeys.
fn with_codes() -> Fixture {
    offering(&[
        SignInMethod::Password,
        SignInMethod::Email,
        SignInMethod::Passkey,
    ])
}

fn client() -> ClientInfo {
    ClientInfo {
        address: Some("192.0.2.7".into()),
        user_agent: None,
    }
}

fn ada(f: &Fixture) -> User {
    let users = f.sesame().list_users(None, 10).unwrap();
    users.into_iter().find(|u| u.email == EMAIL).expect("ada")
}

/// The code and the link's token of the last mail.
fn mailed(f: &Fixture) -> (String, String) {
    let outbox = f.env.outbox.lock().unwrap();
    let text = &outbox.last().expect("a mail").text;
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .expect("an 8-digit code")
        .to_owned();
    let link = text
        .split_whitespace()
        .find_map(|word| word.split_once("/us-verify-link?token="))
        .expect("a link")
        .1
        .to_owned();
    (code, link)
}

fn mails(f: &Fixture) -> usize {
    f.env.outbox.lock().unwrap().len()
}

fn signed_in(outcome: LoginOutcome) -> crate::sessions::IssuedSession {
    match outcome {
        LoginOutcome::SignedIn(session) => *session,
        LoginOutcome::SecondFactor(_) => panic!("expected a session"),
    }
}

use crate::testing::another_code as other;

#[test]
fn mailed_codes_are_refused_where_not_offered() {
    let f = Fixture::registered();
    let s = f.sesame();
    assert_eq!(
        error_code(s.send_sign_in_code(EMAIL, &client())),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.register_without_password("bob@example.com", None)),
        ErrorCode::InvalidRequest
    );
    assert_eq!(mails(&f), 1, "only ada's confirmation mail");
}

#[test]
fn a_mailed_code_signs_in_once_and_confirms_the_address() {
    let f = with_codes();
    let s = f.sesame();
    let before = mails(&f);
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    assert_eq!(mails(&f), before + 1);
    assert_eq!(sent.device_code.len(), 6);
    let (code, _) = mailed(&f);
    let session = signed_in(
        s.sign_in_with_code(sent.token.expose(), &code, &client())
            .unwrap(),
    );
    assert_eq!(session.user.email, EMAIL);
    assert_eq!(SignInProof::CODE.methods(), &["otp"]);
    let info = s.validate_session(session.token.expose()).unwrap();
    assert_eq!(info.proof, SignInProof::CODE);
    let user = ada(&f);
    assert!(user.confirmed_at_ms.is_some());
    assert_eq!(user.tracking.login_count, 1);
    // Used: the same code (and the code sign-in) work no more.
    assert_eq!(
        error_code(s.sign_in_with_code(sent.token.expose(), &code, &client())),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn an_unknown_identity_gets_the_same_answer_and_no_mail() {
    let f = with_codes();
    let s = f.sesame();
    let before = mails(&f);
    let sent = s
        .send_sign_in_code("nobody@example.com", &client())
        .unwrap();
    assert_eq!(mails(&f), before, "nothing is sent");
    assert_eq!(sent.device_code.len(), 6);
    assert_eq!(sent.token.expose().len(), 43);
    // Every code is wrong, with the answer a wrong code for a real account gets.
    assert_eq!(
        error_code(s.sign_in_with_code(sent.token.expose(), "12345678", &client())),
        ErrorCode::InvalidCode
    );
    let known = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (code, _) = mailed(&f);
    assert_eq!(
        error_code(s.sign_in_with_code(known.token.expose(), &other(&code), &client())),
        ErrorCode::InvalidCode
    );
}

#[test]
fn a_code_works_only_with_the_code_sign_in_that_asked_for_it() {
    let f = with_codes();
    let s = f.sesame();
    let first = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (code, _) = mailed(&f);
    let second = s.send_sign_in_code(EMAIL, &client()).unwrap();
    // The first mail's code, read by whoever got the mail, with another client's code sign-in.
    assert_eq!(
        error_code(s.sign_in_with_code(second.token.expose(), &code, &client())),
        ErrorCode::InvalidCode
    );
    signed_in(
        s.sign_in_with_code(first.token.expose(), &code, &client())
            .unwrap(),
    );
}

#[test]
fn wrong_codes_are_counted_before_checking_and_end_the_code_sign_in() {
    let f = with_codes();
    let s = f.sesame();
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (code, _) = mailed(&f);
    for _ in 0..f.config.two_factor.max_attempts {
        assert_eq!(
            error_code(s.sign_in_with_code(sent.token.expose(), &other(&code), &client())),
            ErrorCode::InvalidCode
        );
    }
    // Out of attempts: even the right code is refused.
    assert_eq!(
        error_code(s.sign_in_with_code(sent.token.expose(), &code, &client())),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn wrong_codes_lock_known_and_unknown_identities_alike() {
    let mut f = with_codes();
    f.config.throttle.mail_per_account = 100;
    let s = f.sesame();
    let threshold = f.config.lockout.threshold;
    for identity in [EMAIL, "nobody@example.com"] {
        let mut last = ErrorCode::InvalidCode;
        for attempt in 0..=threshold {
            // A new code sign-in per attempt: its own 5 attempts never run out.
            f.advance(1000);
            let sent = s
                .send_sign_in_code(identity, &ClientInfo::default())
                .unwrap();
            last = error_code(s.sign_in_with_code(
                sent.token.expose(),
                "00000000",
                &ClientInfo::default(),
            ));
            if attempt + 1 < threshold {
                assert_eq!(last, ErrorCode::InvalidCode, "{identity} attempt {attempt}");
            }
        }
        assert_eq!(last, ErrorCode::RateLimited, "{identity} is locked");
    }
}

#[test]
fn an_expired_code_is_refused() {
    let f = with_codes();
    let s = f.sesame();
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (code, _) = mailed(&f);
    f.advance(f.config.unified_sign_in.code_ms + 1);
    assert_eq!(
        error_code(s.sign_in_with_code(sent.token.expose(), &code, &client())),
        ErrorCode::InvalidCode
    );
}

#[test]
fn the_link_signs_in_the_asking_browser_and_asks_elsewhere_for_the_device_code() {
    let f = with_codes();
    let s = f.sesame();
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (_, link) = mailed(&f);
    // Another browser: nothing happens, however often.
    for _ in 0..3 {
        assert!(matches!(
            s.open_sign_in_link(&link, None, None, &client()).unwrap(),
            LinkOutcome::DeviceCodeNeeded
        ));
    }
    let stranger = s.send_sign_in_code(EMAIL, &client()).unwrap();
    assert!(matches!(
        s.open_sign_in_link(&link, Some(stranger.token.expose()), None, &client())
            .unwrap(),
        LinkOutcome::DeviceCodeNeeded
    ));
    // The asking browser is signed in, once.
    let LinkOutcome::SignedIn(outcome) = s
        .open_sign_in_link(&link, Some(sent.token.expose()), None, &client())
        .unwrap()
    else {
        panic!("signed in")
    };
    signed_in(outcome);
    assert_eq!(
        error_code(s.open_sign_in_link(&link, Some(sent.token.expose()), None, &client())),
        ErrorCode::InvalidToken
    );
}

#[test]
fn the_device_code_signs_in_the_other_browser_and_counts_attempts() {
    let f = with_codes();
    let s = f.sesame();
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (_, link) = mailed(&f);
    let wrong = other(&sent.device_code);
    assert_eq!(
        error_code(s.open_sign_in_link(&link, None, Some(&wrong), &client())),
        ErrorCode::InvalidCode
    );
    let LinkOutcome::SignedIn(outcome) = s
        .open_sign_in_link(&link, None, Some(&sent.device_code), &client())
        .unwrap()
    else {
        panic!("signed in")
    };
    signed_in(outcome);
    // The link and the mailed code are used up with it.
    assert_eq!(
        error_code(s.open_sign_in_link(&link, None, Some(&sent.device_code), &client())),
        ErrorCode::InvalidToken
    );
}

#[test]
fn a_link_out_of_attempts_or_forged_or_old_is_refused() {
    let f = with_codes();
    let s = f.sesame();
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (_, link) = mailed(&f);
    assert_eq!(
        error_code(s.open_sign_in_link("forged", None, None, &client())),
        ErrorCode::InvalidToken
    );
    for _ in 0..f.config.two_factor.max_attempts {
        let _ = s.open_sign_in_link(&link, None, Some("000000"), &client());
    }
    assert_eq!(
        error_code(s.open_sign_in_link(&link, None, Some(&sent.device_code), &client())),
        ErrorCode::InvalidToken
    );
    s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (_, fresh) = mailed(&f);
    f.advance(f.config.unified_sign_in.link_ms + 1000);
    assert_eq!(
        error_code(s.open_sign_in_link(&fresh, None, None, &client())),
        ErrorCode::InvalidToken
    );
}

#[test]
fn a_mailed_code_replaces_the_password_never_the_second_factor() {
    let f = with_codes();
    let s = f.sesame();
    let user = ada(&f);
    let enrolment = s.start_totp(&f.fresh_login(&user)).unwrap();
    let secret = crate::testing::base32_decode(&enrolment.secret_base32);
    let code_now = |f: &Fixture| {
        let secret = crate::two_factor::totp::TotpSecret::new(secret.clone());
        let step = crate::two_factor::totp::step_at(f.env.now_ms() / 1000);
        crate::two_factor::totp::code_at(&secret, crate::two_factor::totp::Algorithm::Sha1, 6, step)
    };
    s.confirm_totp(&f.fresh_login(&user), &code_now(&f))
        .unwrap();
    f.advance(30_000);
    let sent = s.send_sign_in_code(EMAIL, &client()).unwrap();
    let (code, _) = mailed(&f);
    let LoginOutcome::SecondFactor(pending) = s
        .sign_in_with_code(sent.token.expose(), &code, &client())
        .unwrap()
    else {
        panic!("a second step")
    };
    assert!(pending.methods.contains(&Method::Totp));
    let session = s
        .complete_totp(pending.token.expose(), &code_now(&f), &client())
        .unwrap();
    let info = s.validate_session(session.token.expose()).unwrap();
    assert_eq!(info.proof, SignInProof::CODE_AND_CODE);
}

#[test]
fn an_account_without_a_password_signs_in_by_code_only() {
    let f = with_codes();
    let s = f.sesame();
    s.register_without_password("bob@example.com", Some("bob"))
        .unwrap();
    // No password matches it, the empty one included.
    for password in ["", "analytical engine"] {
        assert_eq!(
            error_code(s.login("bob", password, &client())),
            ErrorCode::InvalidCredentials
        );
    }
    let sent = s.send_sign_in_code("bob", &client()).unwrap();
    let (code, _) = mailed(&f);
    let session = signed_in(
        s.sign_in_with_code(sent.token.expose(), &code, &client())
            .unwrap(),
    );
    assert_eq!(session.user.email, "bob@example.com");
    assert_eq!(
        s.active_sign_in_methods(&session.user.id).unwrap(),
        vec![SignInMethod::Email]
    );
    assert_eq!(
        s.active_sign_in_methods(&ada(&f).id).unwrap(),
        vec![SignInMethod::Password, SignInMethod::Email]
    );
}

#[test]
fn passwords_are_refused_where_not_offered() {
    let mut f = Fixture::new();
    f.config.unified_sign_in.methods = vec![SignInMethod::Email];
    let s = f.sesame();
    s.register_without_password("bob@example.com", None)
        .unwrap();
    assert_eq!(
        error_code(s.login("bob@example.com", PW, &client())),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.begin_passkey_signin(None, &s.relying_party(Some("localhost")).unwrap())),
        ErrorCode::Forbidden
    );
}

#[test]
fn sending_is_throttled_per_identity_alike_for_unknown_ones() {
    let f = with_codes();
    let s = f.sesame();
    let limit = f.config.throttle.mail_per_account;
    for identity in [EMAIL, "nobody@example.com"] {
        for _ in 0..limit {
            s.send_sign_in_code(identity, &ClientInfo::default())
                .unwrap();
        }
        assert_eq!(
            error_code(s.send_sign_in_code(identity, &ClientInfo::default())),
            ErrorCode::RateLimited,
            "{identity}"
        );
    }
}

#[test]
fn the_setting_is_read_and_checked() {
    let vars = |value: &'static str| {
        vec![
            (
                "SESAME_SECRET",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            ("SESAME_US_METHODS", value),
        ]
    };
    let config = crate::Config::from_vars(vars("email, password,email")).unwrap();
    assert_eq!(
        config.unified_sign_in.methods,
        vec![SignInMethod::Password, SignInMethod::Email]
    );
    assert!(crate::Config::from_vars(vars("sms")).is_err());
    assert!(crate::Config::from_vars(vars(" , ")).is_err());
}

#[test]
fn an_authenticator_code_replaces_the_password_where_offered() {
    let f = offering(&[SignInMethod::Password, SignInMethod::Authenticator]);
    let s = f.sesame();
    let user = ada(&f);
    let enrolment = s.start_totp(&f.fresh_login(&user)).unwrap();
    let secret = crate::testing::base32_decode(&enrolment.secret_base32);
    let code_at = |offset: u64| {
        let secret = crate::two_factor::totp::TotpSecret::new(secret.clone());
        let step = crate::two_factor::totp::step_at(f.env.now_ms() / 1000) + offset;
        crate::two_factor::totp::code_at(&secret, crate::two_factor::totp::Algorithm::Sha1, 6, step)
    };
    s.confirm_totp(&f.fresh_login(&user), &code_at(0)).unwrap();
    f.advance(30_000);
    // Unknown account, wrong code: one answer.
    for identity in [EMAIL, "nobody@example.com"] {
        assert_eq!(
            error_code(s.sign_in_with_authenticator(identity, "000000", &client())),
            ErrorCode::InvalidCredentials
        );
    }
    // The app is the account's only second factor: used as the first, nothing is left.
    assert_eq!(
        error_code(s.sign_in_with_authenticator(EMAIL, &code_at(0), &client())),
        ErrorCode::SecondFactorRequired
    );
    f.advance(30_000);
    let codes = s.generate_recovery_codes(&f.fresh_login(&user)).unwrap();
    let LoginOutcome::SecondFactor(pending) = s
        .sign_in_with_authenticator(EMAIL, &code_at(0), &client())
        .unwrap()
    else {
        panic!("a second step")
    };
    assert_eq!(pending.methods, vec![Method::RecoveryCode]);
    // The app cannot be the second step too.
    assert_eq!(
        error_code(s.complete_totp(pending.token.expose(), &code_at(1), &client())),
        ErrorCode::InvalidRequest
    );
    let session = s
        .complete_recovery(pending.token.expose(), codes.0[0].as_str(), &client())
        .unwrap();
    let info = s.validate_session(session.token.expose()).unwrap();
    assert_eq!(info.proof, SignInProof::CODE_AND_CODE);
    // The code is used up.
    assert_eq!(
        error_code(s.sign_in_with_authenticator(EMAIL, &code_at(0), &client())),
        ErrorCode::InvalidCredentials
    );
}

#[test]
fn an_authenticator_code_is_refused_where_not_offered() {
    let f = with_codes();
    assert_eq!(
        error_code(
            f.sesame()
                .sign_in_with_authenticator(EMAIL, "123456", &client())
        ),
        ErrorCode::Forbidden
    );
}

#[test]
fn without_passwords_no_password_is_stored_checked_or_set() {
    let mut f = Fixture::new();
    f.config.unified_sign_in.methods = vec![SignInMethod::Email];
    let s = f.sesame();
    assert_eq!(
        error_code(s.register(EMAIL, PW, None)),
        ErrorCode::Forbidden
    );
    s.register_without_password(EMAIL, None).unwrap();
    let user = ada(&f);
    let login = f.fresh_login(&user);
    assert_eq!(
        error_code(s.verify_password(&login, PW, &client())),
        ErrorCode::Forbidden
    );
    assert_eq!(error_code(s.request_reset(EMAIL)), ErrorCode::Forbidden);
    assert_eq!(
        error_code(s.reset_password("any-link", PW)),
        ErrorCode::Forbidden
    );
}
