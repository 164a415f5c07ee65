//! Email as a second factor.

use super::*;
use crate::sessions::{ClientInfo, SignInProof};
use crate::testing::{ADA_EMAIL as EMAIL, ADA_PASSWORD as PW, Fixture, error_code};

fn registered() -> (Fixture, User) {
    let f = Fixture::registered();
    let user = f.sesame().list_users(None, 1).unwrap().remove(0);
    (f, user)
}

fn last_code(f: &Fixture) -> String {
    crate::testing::last_mailed_code(&f.env)
}

use crate::testing::another_code as wrong;

/// ada with email on as her second factor.
fn with_email_factor() -> (Fixture, User) {
    let (f, user) = registered();
    let s = f.sesame();
    let login = f.fresh_login(&user);
    s.start_email_factor(&login).unwrap();
    s.confirm_email_factor(&login, &last_code(&f)).unwrap();
    (f, user)
}

fn pending(f: &Fixture) -> PendingLogin {
    match f
        .sesame()
        .begin_login(EMAIL, PW, &ClientInfo::default())
        .unwrap()
    {
        LoginOutcome::SecondFactor(pending) => pending,
        LoginOutcome::SignedIn(_) => panic!("a second step"),
    }
}

#[test]
fn turning_email_on_needs_a_fresh_login_and_its_mailed_code() {
    let (f, user) = registered();
    let s = f.sesame();
    let mut stale = f.fresh_login(&user);
    stale.authenticated_at_ms = 0;
    assert_eq!(
        error_code(s.start_email_factor(&stale)),
        ErrorCode::ReauthenticationRequired
    );
    let login = f.fresh_login(&user);
    s.start_email_factor(&login).unwrap();
    let code = last_code(&f);
    assert_eq!(
        error_code(s.confirm_email_factor(&login, &wrong(&code))),
        ErrorCode::InvalidCode
    );
    assert!(!s.two_factor_required(&user.id).unwrap());
    s.confirm_email_factor(&login, &code).unwrap();
    assert!(s.two_factor_required(&user.id).unwrap());
    assert!(s.two_factor_status(&user.id).unwrap().email_enabled);
    assert_eq!(
        error_code(s.start_email_factor(&login)),
        ErrorCode::AlreadyExists
    );
}

#[test]
fn the_enrolment_ends_after_five_wrong_codes() {
    let (f, user) = registered();
    let s = f.sesame();
    let login = f.fresh_login(&user);
    s.start_email_factor(&login).unwrap();
    let code = last_code(&f);
    for _ in 0..f.config.two_factor.max_attempts {
        assert_eq!(
            error_code(s.confirm_email_factor(&login, &wrong(&code))),
            ErrorCode::InvalidCode
        );
    }
    assert_eq!(
        error_code(s.confirm_email_factor(&login, &code)),
        ErrorCode::NotFound
    );
}

#[test]
fn a_mailed_code_finishes_only_its_own_pending_sign_in_once() {
    let (f, _) = with_email_factor();
    let s = f.sesame();
    let first = pending(&f);
    assert_eq!(first.methods, vec![Method::Email]);
    s.send_second_factor_code(first.token.expose()).unwrap();
    let code = last_code(&f);
    let second = pending(&f);
    // Another pending sign-in (someone else with the password) cannot use this code.
    assert_eq!(
        error_code(s.complete_email(second.token.expose(), &code, &ClientInfo::default())),
        ErrorCode::InvalidCode
    );
    let session = s
        .complete_email(first.token.expose(), &code, &ClientInfo::default())
        .unwrap();
    let info = s.validate_session(session.token.expose()).unwrap();
    assert_eq!(info.proof, SignInProof::PASSWORD_AND_CODE);
    assert_eq!(
        error_code(s.complete_email(first.token.expose(), &code, &ClientInfo::default())),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn wrong_mailed_codes_count_like_every_second_factor_code() {
    let (f, _) = with_email_factor();
    let s = f.sesame();
    let login = pending(&f);
    s.send_second_factor_code(login.token.expose()).unwrap();
    let code = last_code(&f);
    for _ in 0..f.config.two_factor.max_attempts {
        assert_eq!(
            error_code(s.complete_email(
                login.token.expose(),
                &wrong(&code),
                &ClientInfo::default()
            )),
            ErrorCode::InvalidCode
        );
    }
    assert_eq!(
        error_code(s.complete_email(login.token.expose(), &code, &ClientInfo::default())),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn a_code_without_asking_or_after_ten_minutes_is_refused() {
    let (mut f, _) = with_email_factor();
    // A pending sign-in longer-lived than a code shows the code's own limit.
    f.config.two_factor.pending_ms = 60 * 60 * 1000;
    let s = f.sesame();
    let login = pending(&f);
    assert_eq!(
        error_code(s.complete_email(login.token.expose(), "12345678", &ClientInfo::default())),
        ErrorCode::InvalidCode
    );
    s.send_second_factor_code(login.token.expose()).unwrap();
    let code = last_code(&f);
    f.advance(email::CODE_MS + 1);
    assert_eq!(
        error_code(s.complete_email(login.token.expose(), &code, &ClientInfo::default())),
        ErrorCode::InvalidCode
    );
}

#[test]
fn email_cannot_finish_a_sign_in_that_began_with_a_mailed_code() {
    let (mut f, user) = with_email_factor();
    f.config.unified_sign_in.methods = vec![
        crate::unified_sign_in::SignInMethod::Password,
        crate::unified_sign_in::SignInMethod::Email,
    ];
    let s = f.sesame();
    let sent = s.send_sign_in_code(EMAIL, &ClientInfo::default()).unwrap();
    let code = last_code(&f);
    // Email is the account's only second factor, and the first step used the mailbox.
    assert_eq!(
        error_code(s.sign_in_with_code(sent.token.expose(), &code, &ClientInfo::default())),
        ErrorCode::SecondFactorRequired
    );
    let _ = user;
}

#[test]
fn turning_two_factor_off_removes_email_too() {
    let (f, user) = with_email_factor();
    let s = f.sesame();
    s.disable_two_factor(
        &f.fresh_login(&user),
        Reauth::Password(PW),
        &ClientInfo::default(),
    )
    .unwrap();
    assert!(!s.two_factor_required(&user.id).unwrap());
    assert!(matches!(
        s.begin_login(EMAIL, PW, &ClientInfo::default()).unwrap(),
        LoginOutcome::SignedIn(_)
    ));
}
