use super::*;
use crate::i18n::Language;
use crate::mail::Mail;
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
    // The link works once: opened again it confirms nothing and hands out no account.
    let again = f.sesame().confirm_email(&token_in(&mail));
    let error = crate::AuthError::from(again.unwrap_err());
    assert_eq!(error.code, ErrorCode::InvalidToken);
    assert!(error.message.contains("already confirmed"), "{error:?}");
    let stored = f.sesame().get_user(&user.id).unwrap().unwrap();
    assert_eq!(
        stored.confirmed_at_ms, user.confirmed_at_ms,
        "the first time stays"
    );
}

#[test]
fn a_confirmation_link_is_spent_once_a_reset_link_proved_the_address() {
    let f = Fixture::registered();
    let confirm = token_in(&last_mail(&f));
    f.sesame().request_reset(ADA_EMAIL).unwrap();
    f.sesame()
        .reset_password(&token_in(&last_mail(&f)), "difference engine")
        .unwrap();
    assert_eq!(
        error_code(f.sesame().confirm_email(&confirm)),
        ErrorCode::InvalidToken
    );
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

#[test]
fn the_confirmation_mail_names_the_product_and_how_long_its_link_works() {
    let f = Fixture::registered();
    let mail = last_mail(&f);
    assert_eq!(mail.subject, "Confirm your email address - Sesame");
    assert!(
        mail.text
            .starts_with("Welcome to Sesame! Confirm your email address by opening this link within 120 hours:\n\nhttp://127.0.0.1:8080/confirm?token="),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .ends_with("\n\nIf you did not create an account, ignore this message.\n")
    );
}

#[test]
fn mail_is_in_the_deployment_default_language_when_no_request_set_one() {
    let mut f = Fixture::new();
    f.config.languages.default = Language::Fr;
    f.sesame()
        .register(ADA_EMAIL, "analytical engine", None)
        .unwrap();
    let mail = last_mail(&f);
    assert_eq!(mail.subject, "Confirmez votre adresse e-mail - Sesame");
    assert!(
        mail.text.contains("dans un délai de 120 heures"),
        "{}",
        mail.text
    );
}

#[test]
fn a_reset_mail_is_in_the_owners_language_with_the_product_and_support_line() {
    let mut f = Fixture::new();
    f.config.branding.product_name = "Acme ID".into();
    f.config.branding.support_url = Some("mailto:help@example.com".into());
    let s = f.sesame();
    // Ada registered from a German browser; a stranger asks for her reset link in Spanish.
    s.set_language(Language::De);
    s.register(ADA_EMAIL, "analytical engine", None).unwrap();
    s.set_language(Language::Es);
    s.request_reset(ADA_EMAIL).unwrap();
    let mail = last_mail(&f);
    assert_eq!(mail.to, ADA_EMAIL);
    assert_eq!(mail.subject, "Passwort zurücksetzen - Acme ID");
    assert!(
        mail.text.starts_with(
            "Jemand hat darum gebeten, das Passwort Ihres Kontos bei Acme ID zurückzusetzen."
        ),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("innerhalb von 60 Minuten:\n\nhttp://127.0.0.1:8080/reset?token=")
    );
    assert!(!mail.text.contains("Sesame"));
    assert!(
        mail.text
            .ends_with("\n\nHilfe und Support: mailto:help@example.com\n"),
        "{}",
        mail.text
    );
    // The link in the translated mail works like any other.
    s.reset_password(&token_in(&mail), "difference engine")
        .unwrap();
}

#[test]
fn a_reset_mail_without_a_support_url_has_no_support_line_and_counts_in_the_singular() {
    let mut f = Fixture::new();
    f.config.branding.product_name = "Acme ID".into();
    f.config.links.reset_max_age_secs = 60;
    let s = f.sesame();
    s.set_language(Language::De);
    s.register(ADA_EMAIL, "analytical engine", None).unwrap();
    s.request_reset(ADA_EMAIL).unwrap();
    let mail = last_mail(&f);
    assert!(mail.text.contains("Acme ID"));
    assert!(
        mail.text.contains("innerhalb einer Minute:"),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("Hilfe und Support"), "{}", mail.text);
    // Someone signing up in English counts in English's singular too.
    s.set_language(Language::En);
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    s.request_reset("grace@example.com").unwrap();
    assert!(last_mail(&f).text.contains("within 1 minute:"));
}

#[test]
fn every_mail_core_writes_is_complete_in_every_language() {
    let mut f = Fixture::registered();
    // Eight mails to one address in a minute: more than a deployment lets requests cause.
    f.config.throttle.mail_per_recipient = 100;
    let s = f.sesame();
    for language in Language::ALL {
        s.set_language(language);
        let before = mail_count(&f);
        s.register(ADA_EMAIL, "someone else entirely", None)
            .unwrap();
        s.request_reset(ADA_EMAIL).unwrap();
        let outbox = f.env.outbox.lock().unwrap();
        assert_eq!(outbox.len(), before + 2);
        for mail in &outbox[before..] {
            // A message missing from the catalog would show its id.
            assert!(!mail.subject.contains("mail-"), "{mail:?}");
            assert!(!mail.text.contains("mail-"), "{mail:?}");
            assert!(mail.subject.ends_with(" - Sesame"), "{mail:?}");
            assert!(mail.text.contains("Sesame"), "{mail:?}");
        }
    }
}

#[test]
fn mail_to_an_account_follows_its_owners_last_password_sign_in_not_the_requester() {
    let f = Fixture::new();
    let s = f.sesame();
    s.set_language(Language::Fr);
    s.register(ADA_EMAIL, "analytical engine", None).unwrap();
    // Someone registering her address again from a Spanish browser: she is told in French.
    s.set_language(Language::Es);
    s.register(ADA_EMAIL, "another password", None).unwrap();
    let told = last_mail(&f);
    assert_eq!(told.to, ADA_EMAIL);
    assert!(told.subject.ends_with(" - Sesame"));
    assert_eq!(
        told.subject,
        format!(
            "{} - Sesame",
            Language::Fr.t("mail-already-registered-subject")
        )
    );
    // She signs in from a German browser: from then on her mail is German.
    s.set_language(Language::De);
    s.login(
        ADA_EMAIL,
        "analytical engine",
        &crate::sessions::ClientInfo::default(),
    )
    .unwrap();
    s.set_language(Language::Es);
    s.request_reset(ADA_EMAIL).unwrap();
    assert_eq!(last_mail(&f).subject, "Passwort zurücksetzen - Sesame");
    // A language the deployment no longer offers: the request's.
    let mut f2 = Fixture::new();
    f2.config.languages.allowed = vec![Language::En, Language::Es];
    let s2 = f2.sesame();
    s2.set_language(Language::Fr);
    s2.register(ADA_EMAIL, "analytical engine", None).unwrap();
    s2.set_language(Language::Es);
    s2.request_reset(ADA_EMAIL).unwrap();
    assert_eq!(
        last_mail(&f2).subject,
        format!("{} - Sesame", Language::Es.t("mail-reset-subject"))
    );
}

/// Reset links and registration mail count against the address they go to, whoever asks and
/// whether or not it has an account (counted before the lookup): one address cannot be
/// flooded from many clients, and the count tells nothing about who has an account.
#[test]
fn reset_and_registration_mail_is_throttled_per_address_known_or_not() {
    let f = Fixture::registered();
    f.advance(3 * f.config.throttle.window_ms);
    let s = f.sesame();
    let limit = f.config.throttle.mail_per_recipient;
    for address in [ADA_EMAIL, "nobody@example.com"] {
        for _ in 0..limit {
            s.request_reset(address).unwrap();
        }
        assert_eq!(
            error_code(s.request_reset(address)),
            ErrorCode::RateLimited,
            "{address}"
        );
        assert_eq!(
            error_code(s.register(address, "a fresh long passphrase", None)),
            ErrorCode::RateLimited,
            "{address}"
        );
    }
    // Another address is not held back by them.
    s.request_reset("grace@example.com").unwrap();
}
