use super::*;
use crate::sessions::ClientInfo;
use crate::testing::{ADA_EMAIL, Fixture, error_code};

fn last_mail(f: &Fixture) -> Mail {
    f.env.outbox.lock().unwrap().last().cloned().unwrap()
}

fn mail_count(f: &Fixture) -> usize {
    f.env.outbox.lock().unwrap().len()
}

fn token_in(mail: &Mail) -> String {
    let start = mail.text.find("token=").unwrap() + "token=".len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn registration_mails_a_working_confirmation_link() {
    let f = Fixture::registered();
    let mail = last_mail(&f);
    assert_eq!(mail.to, "ada@example.com");
    assert!(mail.text.contains("http://127.0.0.1:8080/confirm?token="));
    let user = f.sesame().confirm_email(&token_in(&mail)).unwrap();
    assert!(user.confirmed_at_ms.is_some());
    // Confirming twice is harmless and keeps the first time.
    let again = f.sesame().confirm_email(&token_in(&mail)).unwrap();
    assert_eq!(again.confirmed_at_ms, user.confirmed_at_ms);
}

#[test]
fn registering_a_taken_address_mails_its_owner() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.register(ADA_EMAIL, "someone else entirely", None)
        .unwrap();
    let mail = last_mail(&f);
    assert_eq!(mail.to, "ada@example.com");
    assert!(mail.subject.contains("tried to register"));
    assert!(!mail.text.contains("token="));
}

#[test]
fn confirmation_links_expire_and_cannot_be_forged() {
    let f = Fixture::registered();
    let token = token_in(&last_mail(&f));
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let refused = |token: &str| error_code(f.sesame().confirm_email(token));
    assert_eq!(refused(&forged), ErrorCode::InvalidToken);
    assert_eq!(refused("garbage"), ErrorCode::InvalidToken);
    f.env
        .advance_ms((f.config.links.confirm_max_age_secs + 1) * 1000);
    assert_eq!(refused(&token), ErrorCode::InvalidToken);
}

#[test]
fn reset_works_once_ends_sessions_and_answers_alike_for_unknown_addresses() {
    let f = Fixture::registered();
    let c = ClientInfo::default();
    let session = f
        .sesame()
        .login("ada@example.com", "analytical engine", &c)
        .unwrap();
    let before = mail_count(&f);
    f.sesame().request_reset("nobody@example.com").unwrap();
    assert_eq!(
        mail_count(&f),
        before,
        "no mail for unknown addresses, same answer"
    );
    f.sesame().request_reset("ADA@example.com").unwrap();
    let token = token_in(&last_mail(&f));
    // Two links outstanding: using one kills the other too.
    f.sesame().request_reset("ada@example.com").unwrap();
    let second = token_in(&last_mail(&f));

    let weak = f.sesame().reset_password(&token, "short").unwrap_err();
    assert_eq!(crate::AuthError::from(weak).code, ErrorCode::WeakPassword);
    f.sesame()
        .reset_password(&token, "difference engine")
        .unwrap();
    assert!(f.sesame().validate_session(session.token.expose()).is_err());
    for used in [&token, &second] {
        let err = f
            .sesame()
            .reset_password(used, "yet another one")
            .unwrap_err();
        assert_eq!(crate::AuthError::from(err).code, ErrorCode::InvalidToken);
    }
    f.sesame()
        .login("ada@example.com", "difference engine", &c)
        .unwrap();
    assert!(
        f.sesame()
            .login("ada@example.com", "analytical engine", &c)
            .is_err()
    );
}

#[test]
fn reset_links_expire() {
    let f = Fixture::registered();
    f.sesame().request_reset("ada@example.com").unwrap();
    let token = token_in(&last_mail(&f));
    f.env
        .advance_ms((f.config.links.reset_max_age_secs + 1) * 1000);
    let err = f
        .sesame()
        .reset_password(&token, "difference engine")
        .unwrap_err();
    assert_eq!(crate::AuthError::from(err).code, ErrorCode::InvalidToken);
}

#[test]
fn tokens_of_one_purpose_do_not_work_for_the_other() {
    let f = Fixture::registered();
    let confirm = token_in(&last_mail(&f));
    let err = f
        .sesame()
        .reset_password(&confirm, "difference engine")
        .unwrap_err();
    assert_eq!(crate::AuthError::from(err).code, ErrorCode::InvalidToken);
}
