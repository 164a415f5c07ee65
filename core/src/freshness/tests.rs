use super::*;
use crate::ErrorCode;
use crate::env::Env as _;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture, error_code};

/// Signs ada in; returns Sesame over `f`, the session token and its info.
fn signed_in(f: &Fixture) -> (Sesame<'_>, String, SessionInfo) {
    let s = f.sesame();
    let issued = s
        .login(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())
        .unwrap();
    let token = issued.token.expose().to_owned();
    let info = s.validate_session(&token).unwrap();
    (s, token, info)
}

/// Signs ada in, then lets that sign-in go stale.
fn stale_sign_in(f: &Fixture) -> (Sesame<'_>, String, SessionInfo) {
    let signed_in = signed_in(f);
    f.advance(f.config.freshness.window_ms + 1000);
    signed_in
}

/// Mints tokens from the session `token`.
fn tokens_for(s: &Sesame<'_>, token: &str) -> crate::tokens::TokenPair {
    s.issue_tokens_for_session(token, &ClientInfo::default())
        .unwrap()
}

/// Mints tokens from the session `token`; returns them with the login their access token
/// carries.
fn token_login(s: &Sesame<'_>, token: &str) -> (crate::tokens::TokenPair, SessionInfo) {
    let pair = tokens_for(s, token);
    let login = s.validate_access_token(&pair.access_token).unwrap();
    (pair, login)
}

#[test]
fn a_sign_in_is_fresh_for_the_window_and_then_not() {
    let f = Fixture::registered();
    let (s, _, info) = signed_in(&f);
    assert_eq!(
        s.fresh_until(&info).unwrap(),
        Some(info.authenticated_at_ms + f.config.freshness.window_ms)
    );
    f.advance(f.config.freshness.window_ms);
    assert_eq!(s.fresh_until(&info).unwrap(), None);
    assert_eq!(
        error_code(s.start_totp(&info)),
        ErrorCode::ReauthenticationRequired
    );
}

#[test]
fn a_token_login_from_a_stale_session_is_just_as_stale() {
    let f = Fixture::registered();
    let (s, token, _) = stale_sign_in(&f);
    // Minting is allowed, but the tokens carry the session's old authentication time...
    let (pair, login) = token_login(&s, &token);
    let session = s.validate_session(&token).unwrap();
    assert_eq!(login.authenticated_at_ms, session.authenticated_at_ms);
    assert_eq!(s.fresh_until(&login).unwrap(), None);
    // ...so the bearer token can plant no factor.
    assert_eq!(
        error_code(s.start_totp(&login)),
        ErrorCode::ReauthenticationRequired
    );
    // Refreshing never makes it fresher either.
    let refreshed = s.refresh_tokens(&pair.refresh_token).unwrap();
    let login = s.validate_access_token(&refreshed.access_token).unwrap();
    assert_eq!(login.authenticated_at_ms, session.authenticated_at_ms);
    assert_eq!(s.fresh_until(&login).unwrap(), None);
}

#[test]
fn a_token_login_from_a_reverified_session_inherits_that_freshness() {
    let f = Fixture::registered();
    let (s, token, session) = stale_sign_in(&f);
    s.verify_password(&session, ADA_PASSWORD, &ClientInfo::default())
        .unwrap();
    let (_, login) = token_login(&s, &token);
    assert_eq!(login.authenticated_at_ms, f.env.now_ms());
    assert!(s.fresh_until(&login).unwrap().is_some());
}

#[test]
fn verify_refreshes_the_calling_login_only() {
    let f = Fixture::registered();
    let (_, _, a) = signed_in(&f);
    let (s, _, b) = signed_in(&f);
    f.advance(f.config.freshness.window_ms + 1000);
    let until = s
        .verify_password(&a, ADA_PASSWORD, &ClientInfo::default())
        .unwrap();
    assert_eq!(until, f.env.now_ms() + f.config.freshness.window_ms);
    assert_eq!(s.fresh_until(&a).unwrap(), Some(until));
    assert_eq!(s.fresh_until(&b).unwrap(), None);
    // A password re-entry is not a passkey verification.
    assert!(!s.verified_with_passkey_recently(&a).unwrap());
    assert_eq!(
        error_code(s.verify_password(&b, "not the password", &ClientInfo::default())),
        ErrorCode::InvalidCredentials
    );
    assert_eq!(s.fresh_until(&b).unwrap(), None);
}

#[test]
fn wrong_passwords_on_verify_lock_the_account_for_login_too() {
    let f = Fixture::registered();
    let (s, _, info) = signed_in(&f);
    for _ in 0..f.config.lockout.threshold {
        assert_eq!(
            error_code(s.verify_password(&info, "not the password", &ClientInfo::default())),
            ErrorCode::InvalidCredentials
        );
    }
    // Locked: the right password is refused everywhere, with the wrong password's answer.
    assert_eq!(
        error_code(s.verify_password(&info, ADA_PASSWORD, &ClientInfo::default())),
        ErrorCode::InvalidCredentials
    );
    assert_eq!(
        error_code(s.login(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())),
        ErrorCode::InvalidCredentials
    );
    // Each refused right password counted too; once the lock has run out, it works.
    f.advance(f.config.lockout.max_ms);
    s.login(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())
        .unwrap();
}

#[test]
fn wrong_current_passwords_on_change_lock_the_account_and_are_throttled() {
    let f = Fixture::registered();
    let (s, token, _) = signed_in(&f);
    let client = ClientInfo {
        address: Some("192.0.2.7".into()),
        user_agent: None,
    };
    for _ in 0..f.config.lockout.threshold {
        assert_eq!(
            error_code(s.change_password(&token, "not the password", "difference engine", &client)),
            ErrorCode::InvalidCredentials
        );
    }
    assert_eq!(
        error_code(s.change_password(&token, ADA_PASSWORD, "difference engine", &client)),
        ErrorCode::InvalidCredentials
    );
    assert_eq!(
        error_code(s.login(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())),
        ErrorCode::InvalidCredentials
    );
    // The per-account throttle counts these checks as sign-in attempts too.
    let limit = f.config.throttle.login_per_account as u32;
    let mut throttled = false;
    for _ in f.config.lockout.threshold + 1..=limit + 1 {
        if error_code(s.change_password(&token, "not the password", "difference engine", &client))
            == ErrorCode::RateLimited
        {
            throttled = true;
        }
    }
    assert!(throttled, "the per-account throttle never refused");
}

#[test]
fn a_token_login_from_a_session_ends_with_the_session() {
    let f = Fixture::registered();
    // Sign-out.
    let (s, token, _) = signed_in(&f);
    let pair = tokens_for(&s, &token);
    s.validate_access_token(&pair.access_token).unwrap();
    s.logout(&token).unwrap();
    assert_eq!(
        error_code(s.validate_access_token(&pair.access_token)),
        ErrorCode::Unauthenticated
    );
    assert_eq!(
        error_code(s.refresh_tokens(&pair.refresh_token)),
        ErrorCode::Unauthenticated
    );
    // Idle expiry of the session.
    let (_, token, _) = signed_in(&f);
    let pair = tokens_for(&s, &token);
    f.advance(f.config.sessions.idle_ms);
    assert_eq!(
        error_code(s.refresh_tokens(&pair.refresh_token)),
        ErrorCode::Unauthenticated
    );
    // A password login's tokens have no session to end with.
    let pair = s
        .issue_tokens(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())
        .unwrap();
    s.refresh_tokens(&pair.refresh_token).unwrap();
}

#[test]
fn a_token_login_never_outlives_its_session() {
    let f = Fixture::registered();
    let (s, token, session) = signed_in(&f);
    let pair = tokens_for(&s, &token);
    assert!(pair.refresh_expires_at_ms <= session.expires_at_ms);
    assert!(f.config.tokens.refresh_absolute_ms > f.config.sessions.absolute_ms);
}

#[test]
fn freshness_has_one_setting_and_the_old_name_still_works() {
    let secret = "c2VzYW1lIHRlc3Qgc2VjcmV0IG9mIGF0IGxlYXN0IDMyIGJ5dGVz";
    let new =
        crate::Config::from_vars([("SESAME_SECRET", secret), ("SESAME_FRESHNESS_SECS", "120")])
            .unwrap();
    assert_eq!(new.freshness.window_ms, 120_000);
    let old = crate::Config::from_vars([
        ("SESAME_SECRET", secret),
        ("SESAME_WEBAUTHN_FRESHNESS_SECS", "60"),
    ])
    .unwrap();
    assert_eq!(old.freshness.window_ms, 60_000);
    assert!(
        crate::Config::from_vars([("SESAME_SECRET", secret), ("SESAME_FRESHNESS_SECS", "0")])
            .is_err()
    );
}

#[test]
fn the_new_freshness_name_wins_over_the_old_one() {
    let secret = "c2VzYW1lIHRlc3Qgc2VjcmV0IG9mIGF0IGxlYXN0IDMyIGJ5dGVz";
    for order in [
        [
            ("SESAME_FRESHNESS_SECS", "30"),
            ("SESAME_WEBAUTHN_FRESHNESS_SECS", "90"),
        ],
        [
            ("SESAME_WEBAUTHN_FRESHNESS_SECS", "90"),
            ("SESAME_FRESHNESS_SECS", "30"),
        ],
    ] {
        let mut vars = vec![("SESAME_SECRET", secret)];
        vars.extend(order);
        assert_eq!(
            crate::Config::from_vars(vars).unwrap().freshness.window_ms,
            30_000
        );
    }
}
