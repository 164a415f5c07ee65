use super::*;
use crate::store::Store;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

/// Signs ada in.
fn login(f: &Fixture) -> IssuedSession {
    let client = ClientInfo::default();
    f.sesame().login(ADA_EMAIL, ADA_PASSWORD, &client).unwrap()
}

#[test]
fn only_the_token_hash_is_stored() {
    let f = Fixture::registered();
    let session = login(&f);
    let keys: Vec<String> = f
        .store
        .scan("session/", None, 100)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, [format!("session/{}", session.token.hash_hex())]);
    for (key, entry) in f.store.scan("", None, 1000).unwrap() {
        assert!(!key.contains(session.token.expose()));
        assert!(!String::from_utf8_lossy(&entry.value).contains(session.token.expose()));
    }
    assert_eq!(session.token.expose().len(), 43);
}

#[test]
fn every_login_gets_a_fresh_token() {
    let f = Fixture::registered();
    let a = login(&f);
    let b = login(&f);
    assert_ne!(a.token.expose(), b.token.expose());
    assert!(f.sesame().validate_session(a.token.expose()).is_ok());
    assert!(f.sesame().validate_session(b.token.expose()).is_ok());
}

#[test]
fn idle_expiry_and_touch() {
    let f = Fixture::registered();
    let s = login(&f);
    let idle = f.config.sessions.idle_ms;
    // Active use keeps the session alive past one idle period.
    f.advance(idle - 1000);
    assert!(f.sesame().validate_session(s.token.expose()).is_ok());
    f.advance(idle - 1000);
    assert!(f.sesame().validate_session(s.token.expose()).is_ok());
    // Then a full idle period without use ends it.
    f.advance(idle);
    assert!(matches!(
        f.sesame().validate_session(s.token.expose()),
        Err(Error::NoSession(_))
    ));
}

#[test]
fn absolute_expiry_ends_even_an_active_session() {
    let f = Fixture::registered();
    let s = login(&f);
    let step = f.config.sessions.idle_ms / 2;
    let mut elapsed = 0;
    while elapsed + step < f.config.sessions.absolute_ms {
        f.advance(step);
        elapsed += step;
        assert!(f.sesame().validate_session(s.token.expose()).is_ok());
    }
    f.advance(step);
    assert!(f.sesame().validate_session(s.token.expose()).is_err());
}

#[test]
fn logout_ends_the_session_and_is_idempotent() {
    let f = Fixture::registered();
    let s = login(&f);
    f.sesame().logout(s.token.expose()).unwrap();
    assert!(f.sesame().validate_session(s.token.expose()).is_err());
    f.sesame().logout(s.token.expose()).unwrap();
    f.sesame().logout("garbage").unwrap();
    assert!(f.store.scan("user-session/", None, 10).unwrap().is_empty());
}

#[test]
fn forged_and_malformed_tokens_are_unauthenticated() {
    let f = Fixture::registered();
    let _real = login(&f);
    for forged in ["", "abc", &"A".repeat(43), &"!".repeat(43), &"A".repeat(44)] {
        let err = f.sesame().validate_session(forged).unwrap_err();
        assert_eq!(
            crate::AuthError::from(&err).code,
            crate::ErrorCode::Unauthenticated
        );
    }
}

#[test]
fn wrong_password_unknown_user_and_disabled_give_one_answer() {
    let f = Fixture::registered();
    let s = f.sesame();
    let c = ClientInfo::default();
    let wrong = crate::AuthError::from(
        s.login("ada@example.com", "nope nope nope", &c)
            .unwrap_err(),
    );
    let unknown = crate::AuthError::from(
        s.login("eve@example.com", "nope nope nope", &c)
            .unwrap_err(),
    );
    let malformed = crate::AuthError::from(s.login("not an email@", "x", &c).unwrap_err());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, malformed);
    assert_eq!(wrong.code, crate::ErrorCode::InvalidCredentials);
}
