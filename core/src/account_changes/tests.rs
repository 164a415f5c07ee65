use crate::ErrorCode;
use crate::mail::Mail;
use crate::sessions::{ClientInfo, SessionInfo};
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture, error_code};

fn outbox(f: &Fixture) -> Vec<Mail> {
    f.env.outbox.lock().unwrap().clone()
}

fn mails_since(f: &Fixture, before: usize) -> Vec<Mail> {
    outbox(f)[before..].to_vec()
}

/// The token of the link to `path` in `mail`.
fn token_in(mail: &Mail, path: &str) -> String {
    let marker = format!("{path}?token=");
    let start = mail.text.find(&marker).expect("a link") + marker.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn ada(f: &Fixture) -> crate::accounts::User {
    let s = f.sesame();
    let id = s.resolve_identity(ADA_EMAIL).unwrap().unwrap();
    s.get_user(&id).unwrap().unwrap()
}

/// A stored session of `email`, signed in just now.
fn signed_in(f: &Fixture, email: &str, password: &str) -> (String, SessionInfo) {
    let s = f.sesame();
    let session = s.login(email, password, &ClientInfo::default()).unwrap();
    let token = session.token.expose().to_owned();
    let info = s.validate_session(&token).unwrap();
    (token, info)
}

/// Ada asks to move to `new`; the mails it caused, in order.
fn request(f: &Fixture, new: &str) -> Vec<Mail> {
    let before = outbox(f).len();
    let login = f.fresh_login(&ada(f));
    f.sesame()
        .request_email_change(&login, new, &ClientInfo::default())
        .unwrap();
    mails_since(f, before)
}

fn confirm_token(mails: &[Mail], to: &str) -> String {
    let mail = mails
        .iter()
        .find(|m| m.to == to)
        .expect("mail to the new address");
    token_in(mail, "/change-email/confirm")
}

fn restore_token(mails: &[Mail]) -> String {
    let mail = mails
        .iter()
        .find(|m| m.text.contains("/change-email/restore?token="))
        .expect("a notice to the old address");
    token_in(mail, "/change-email/restore")
}

#[test]
fn a_stale_login_cannot_change_the_email_or_the_username() {
    let f = Fixture::registered();
    let login = f.fresh_login(&ada(&f));
    f.advance(f.config.freshness.window_ms + 1);
    let before = outbox(&f).len();
    let s = f.sesame();
    let c = ClientInfo::default();
    assert_eq!(
        error_code(s.request_email_change(&login, "new@example.org", &c)),
        ErrorCode::ReauthenticationRequired
    );
    assert_eq!(
        error_code(s.change_username(&login, "countess", &c)),
        ErrorCode::ReauthenticationRequired
    );
    assert_eq!(outbox(&f).len(), before, "nothing mailed");
    assert_eq!(ada(&f).email, ADA_EMAIL);
}

#[test]
fn the_address_changes_only_when_the_new_address_confirms_and_counts_as_confirmed() {
    let f = Fixture::registered();
    let mails = request(&f, "Lovelace@Example.ORG");
    assert_eq!(mails.len(), 2, "{mails:?}");
    // The new address gets the link; the old one the notice with the masked new address.
    let token = confirm_token(&mails, "Lovelace@example.org");
    let notice = mails.iter().find(|m| m.to == ADA_EMAIL).unwrap();
    assert!(notice.text.contains("L***@e***.org"), "{}", notice.text);
    assert!(!notice.text.contains("Lovelace@example.org"));
    assert!(!notice.text.contains("/change-email/confirm"));
    assert_eq!(ada(&f).email, ADA_EMAIL, "not before the link is opened");

    let user = f.sesame().confirm_email_change(&token).unwrap();
    assert_eq!(user.email, "Lovelace@example.org");
    assert!(user.confirmed_at_ms.is_some());
    let s = f.sesame();
    // The index follows: the new address signs in, the old one is free again.
    let c = ClientInfo::default();
    s.login("lovelace@example.org", ADA_PASSWORD, &c).unwrap();
    assert!(s.login(ADA_EMAIL, ADA_PASSWORD, &c).is_err());
    s.register(ADA_EMAIL, "someone else entirely", None)
        .unwrap();
    assert_ne!(
        s.resolve_identity(ADA_EMAIL).unwrap(),
        Some(user.id.clone())
    );
    let events = f.env.events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == crate::events::EventKind::EmailChanged)
    );
}

#[test]
fn a_confirmation_link_works_once_and_dies_when_another_change_lands_first() {
    let f = Fixture::registered();
    let id = ada(&f).id;
    let first = request(&f, "one@example.org");
    let second = request(&f, "two@example.org");
    let s = f.sesame();
    s.confirm_email_change(&confirm_token(&second, "two@example.org"))
        .unwrap();
    // The older link names the account's address before the change.
    assert_eq!(
        error_code(s.confirm_email_change(&confirm_token(&first, "one@example.org"))),
        ErrorCode::InvalidToken
    );
    // Replayed after use.
    assert_eq!(
        error_code(s.confirm_email_change(&confirm_token(&second, "two@example.org"))),
        ErrorCode::InvalidToken
    );
    assert_eq!(user(&f, &id).email, "two@example.org");
}

#[test]
fn a_link_does_not_come_back_to_life_when_the_address_goes_back() {
    let f = Fixture::registered();
    let id = ada(&f).id;
    let to_one = request(&f, "one@example.org");
    // A second request before the first is used: it will move back to ada's address later.
    let s = f.sesame();
    s.confirm_email_change(&confirm_token(&to_one, "one@example.org"))
        .unwrap();
    let login = f.fresh_login(&user(&f, &id));
    let before = outbox(&f).len();
    s.request_email_change(&login, ADA_EMAIL, &ClientInfo::default())
        .unwrap();
    let back = mails_since(&f, before);
    s.confirm_email_change(&confirm_token(&back, ADA_EMAIL))
        .unwrap();
    // The account is at ada's address again, as when the first link was made.
    assert_eq!(
        error_code(s.confirm_email_change(&confirm_token(&to_one, "one@example.org"))),
        ErrorCode::InvalidToken
    );
}

/// The user `id` as stored now.
fn user(f: &Fixture, id: &str) -> crate::accounts::User {
    f.sesame().get_user(id).unwrap().unwrap()
}

#[test]
fn another_accounts_address_is_answered_like_a_free_one_and_its_owner_is_told() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let free = request(&f, "free@example.org");
    let taken = request(&f, "Grace@example.com");
    assert_eq!(free.len(), taken.len(), "as many mails either way");
    let to_owner = taken.iter().find(|m| m.to == "Grace@example.com").unwrap();
    assert!(to_owner.subject.contains("tried to move"), "{to_owner:?}");
    assert!(!to_owner.text.contains("token="));
    // The old address hears of both alike, with the same masked form.
    assert!(taken.iter().any(|m| m.to == ADA_EMAIL));
    assert_eq!(ada(&f).email, ADA_EMAIL);
}

#[test]
fn two_accounts_racing_to_one_address_cannot_both_get_it() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let ada_mails = request(&f, "shared@example.org");
    let grace = s
        .get_user(&s.resolve_identity("grace@example.com").unwrap().unwrap())
        .unwrap()
        .unwrap();
    let before = outbox(&f).len();
    s.request_email_change(
        &f.fresh_login(&grace),
        "shared@example.org",
        &ClientInfo::default(),
    )
    .unwrap();
    let grace_mails = mails_since(&f, before);
    let ada_token = confirm_token(&ada_mails, "shared@example.org");
    let grace_token = confirm_token(&grace_mails, "shared@example.org");
    // Both links were issued while the address was free; the second to be used finds it
    // claimed in the index.
    s.confirm_email_change(&grace_token).unwrap();
    assert_eq!(
        error_code(s.confirm_email_change(&ada_token)),
        ErrorCode::InvalidToken
    );
    assert_eq!(
        s.resolve_identity("shared@example.org").unwrap(),
        Some(grace.id.clone())
    );
    assert_eq!(ada(&f).email, ADA_EMAIL);
    // Ada's address is still claimed by her alone.
    assert_eq!(
        s.resolve_identity(ADA_EMAIL).unwrap(),
        Some(ada(&f).id.clone())
    );
}

#[test]
fn a_stolen_session_moving_the_account_is_undone_by_the_old_address() {
    let f = Fixture::registered();
    let (thief_token, thief_login) = signed_in(&f, ADA_EMAIL, ADA_PASSWORD);
    let (owner_token, _) = signed_in(&f, ADA_EMAIL, ADA_PASSWORD);
    let s = f.sesame();
    let before = outbox(&f).len();
    s.request_email_change(&thief_login, "thief@example.net", &ClientInfo::default())
        .unwrap();
    let mails = mails_since(&f, before);
    s.confirm_email_change(&confirm_token(&mails, "thief@example.net"))
        .unwrap();
    assert_eq!(user(&f, &thief_login.user.id).email, "thief@example.net");

    // The owner opens the restore link from the notice at her old address.
    let restore = restore_token(&mails);
    let before = outbox(&f).len();
    s.restore_email(&restore).unwrap();
    let user = s.get_user(&thief_login.user.id).unwrap().unwrap();
    assert_eq!(user.email, ADA_EMAIL);
    assert!(user.confirmed_at_ms.is_some());
    for token in [&thief_token, &owner_token] {
        assert!(s.validate_session(token).is_err(), "every session ended");
    }
    let told = mails_since(&f, before);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].to, ADA_EMAIL);
    assert!(told[0].text.contains("/reset"), "{}", told[0].text);
    // The thief's address is free again, and the restore link is spent.
    assert_eq!(s.resolve_identity("thief@example.net").unwrap(), None);
    assert_eq!(
        error_code(s.restore_email(&restore)),
        ErrorCode::InvalidToken
    );
}

#[test]
fn a_restore_link_before_the_confirmation_cancels_the_change() {
    let f = Fixture::registered();
    let (session, _) = signed_in(&f, ADA_EMAIL, ADA_PASSWORD);
    let mails = request(&f, "new@example.org");
    let s = f.sesame();
    s.restore_email(&restore_token(&mails)).unwrap();
    assert!(s.validate_session(&session).is_err());
    assert_eq!(
        error_code(s.confirm_email_change(&confirm_token(&mails, "new@example.org"))),
        ErrorCode::InvalidToken,
        "the pending change is cancelled"
    );
    assert_eq!(
        error_code(s.restore_email(&restore_token(&mails))),
        ErrorCode::InvalidToken,
        "once"
    );
    assert_eq!(ada(&f).email, ADA_EMAIL);
}

#[test]
fn a_restore_link_does_nothing_once_the_address_was_changed_back() {
    let f = Fixture::registered();
    let id = ada(&f).id;
    let away = request(&f, "away@example.org");
    let s = f.sesame();
    s.confirm_email_change(&confirm_token(&away, "away@example.org"))
        .unwrap();
    let login = f.fresh_login(&user(&f, &id));
    let before = outbox(&f).len();
    s.request_email_change(&login, ADA_EMAIL, &ClientInfo::default())
        .unwrap();
    let back = mails_since(&f, before);
    s.confirm_email_change(&confirm_token(&back, ADA_EMAIL))
        .unwrap();
    assert_eq!(
        error_code(s.restore_email(&restore_token(&away))),
        ErrorCode::InvalidToken
    );
}

#[test]
fn restore_links_expire_after_their_max_age_and_cannot_confirm() {
    let f = Fixture::registered();
    let mails = request(&f, "new@example.org");
    let s = f.sesame();
    // One purpose's token does not work for the other.
    assert_eq!(
        error_code(s.confirm_email_change(&restore_token(&mails))),
        ErrorCode::InvalidToken
    );
    assert_eq!(
        error_code(s.restore_email(&confirm_token(&mails, "new@example.org"))),
        ErrorCode::InvalidToken
    );
    f.advance((f.config.links.restore_email_max_age_secs + 1) * 1000);
    assert_eq!(
        error_code(s.restore_email(&restore_token(&mails))),
        ErrorCode::InvalidToken
    );
}

#[test]
fn an_administrators_change_of_address_kills_pending_links() {
    let f = Fixture::registered();
    let mails = request(&f, "new@example.org");
    let s = f.sesame();
    let actor = crate::admin::Actor::operator();
    let changes = crate::admin::UserChanges {
        email: Some("elsewhere@example.org".into()),
        ..Default::default()
    };
    s.admin_update_user(&actor, ADA_EMAIL, &changes).unwrap();
    s.admin_update_user(
        &actor,
        "elsewhere@example.org",
        &crate::admin::UserChanges {
            email: Some(ADA_EMAIL.into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        error_code(s.confirm_email_change(&confirm_token(&mails, "new@example.org"))),
        ErrorCode::InvalidToken
    );
}

#[test]
fn the_same_address_is_refused_and_bad_addresses_are_invalid_email() {
    let f = Fixture::registered();
    let login = f.fresh_login(&ada(&f));
    let s = f.sesame();
    let c = ClientInfo::default();
    assert_eq!(
        error_code(s.request_email_change(&login, "ADA@example.com", &c)),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        error_code(s.request_email_change(&login, "not an address", &c)),
        ErrorCode::InvalidEmail
    );
}

#[test]
fn email_changes_are_throttled_per_account_and_per_address_mailed() {
    let f = Fixture::registered();
    let s = f.sesame();
    let c = ClientInfo::default();
    let login = f.fresh_login(&ada(&f));
    let per_recipient = f.config.throttle.mail_per_recipient;
    for _ in 0..per_recipient {
        s.request_email_change(&login, "victim@example.org", &c)
            .unwrap();
    }
    let before = outbox(&f).len();
    assert_eq!(
        error_code(s.request_email_change(&login, "victim@example.org", &c)),
        ErrorCode::RateLimited
    );
    // Another account aiming at the same address is held by the same count.
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let grace = s
        .get_user(&s.resolve_identity("grace@example.com").unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        error_code(s.request_email_change(&f.fresh_login(&grace), "victim@example.org", &c)),
        ErrorCode::RateLimited
    );
    assert_eq!(
        outbox(&f).len(),
        before + 1,
        "only grace's registration mail"
    );
    // Per account: other addresses until the account's allowance is used up.
    let mut refused = 0;
    for n in 0..f.config.throttle.changes_per_account {
        if s.request_email_change(&login, &format!("n{n}@example.org"), &c)
            .is_err()
        {
            refused += 1;
        }
    }
    assert!(refused > 0, "the account's count holds");
}

#[test]
fn a_username_changes_under_the_index_and_a_taken_one_is_already_exists() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada")).unwrap();
    s.register("grace@example.com", "cobol compiler", Some("grace"))
        .unwrap();
    let c = ClientInfo::default();
    let login = f.fresh_login(&ada(&f));
    assert_eq!(
        error_code(s.change_username(&login, "Grace", &c)),
        ErrorCode::AlreadyExists
    );
    assert_eq!(
        error_code(s.change_username(&login, "no", &c)),
        ErrorCode::InvalidUsername
    );
    assert_eq!(
        error_code(s.change_username(&login, "a@b", &c)),
        ErrorCode::InvalidUsername
    );
    let before = outbox(&f).len();
    let user = s.change_username(&login, "countess", &c).unwrap();
    assert_eq!(user.username.as_deref(), Some("countess"));
    let notice = mails_since(&f, before);
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0].to, ADA_EMAIL);
    assert!(notice[0].subject.contains("username"), "{:?}", notice[0]);
    // The old name is released, the new one signs in.
    s.login("countess", ADA_PASSWORD, &c).unwrap();
    assert!(s.login("ada", ADA_PASSWORD, &c).is_err());
    assert_eq!(s.resolve_identity("ada").unwrap(), None);
    // Another spelling of one's own name is not "taken".
    let user = s.change_username(&login, "Countess", &c).unwrap();
    assert_eq!(user.username.as_deref(), Some("Countess"));
    assert_eq!(s.resolve_identity("countess").unwrap(), Some(user.id));
}

#[test]
fn username_changes_are_throttled_per_account() {
    let f = Fixture::registered();
    let s = f.sesame();
    let c = ClientInfo::default();
    let login = f.fresh_login(&ada(&f));
    for n in 0..f.config.throttle.changes_per_account {
        s.change_username(&login, &format!("name{n}"), &c).unwrap();
    }
    assert_eq!(
        error_code(s.change_username(&login, "onemore", &c)),
        ErrorCode::RateLimited
    );
}

#[test]
fn a_username_is_mailed_only_to_an_account_that_has_one_and_the_answer_is_the_same() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada")).unwrap();
    s.register("grace@example.com", "cobol compiler", None)
        .unwrap();
    let before = outbox(&f).len();
    s.recover_username("ADA@example.com").unwrap();
    let mails = mails_since(&f, before);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ADA_EMAIL);
    assert!(mails[0].text.contains(" ada."), "{}", mails[0].text);
    let before = outbox(&f).len();
    s.recover_username("grace@example.com").unwrap();
    s.recover_username("nobody@example.com").unwrap();
    assert_eq!(outbox(&f).len(), before, "no mail, the same answer");
    assert_eq!(
        error_code(s.recover_username("not an address")),
        ErrorCode::InvalidEmail
    );
}

#[test]
fn username_recovery_is_throttled_per_address_known_or_not() {
    let f = Fixture::registered();
    // Past the minute whose allowance ada's registration mail began.
    f.advance(3 * f.config.throttle.window_ms);
    let s = f.sesame();
    for address in [ADA_EMAIL, "nobody@example.com"] {
        for _ in 0..f.config.throttle.mail_per_recipient {
            s.recover_username(address).unwrap();
        }
        assert_eq!(
            error_code(s.recover_username(address)),
            ErrorCode::RateLimited
        );
    }
}

#[test]
fn every_mail_of_these_changes_is_complete_in_every_language() {
    for language in crate::i18n::Language::ALL {
        let f = Fixture::new();
        let s = f.sesame();
        s.set_language(language);
        s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada")).unwrap();
        s.register("grace@example.com", "cobol compiler", None)
            .unwrap();
        let before = outbox(&f).len();
        let mails = request(&f, "new@example.org");
        request(&f, "grace@example.com");
        s.restore_email(&restore_token(&mails)).unwrap();
        s.change_username(&f.fresh_login(&ada(&f)), "countess", &ClientInfo::default())
            .unwrap();
        s.recover_username(ADA_EMAIL).unwrap();
        let all = mails_since(&f, before);
        assert_eq!(all.len(), 7, "{all:#?}");
        for mail in all {
            assert!(!mail.subject.contains("mail-"), "{mail:?}");
            assert!(!mail.text.contains("mail-"), "{mail:?}");
            assert!(mail.subject.ends_with(" - Sesame"), "{mail:?}");
        }
    }
}

#[test]
fn masked_addresses_keep_only_initials_and_the_top_level_domain() {
    assert_eq!(super::mask_email("lovelace@example.org"), "l***@e***.org");
    assert_eq!(super::mask_email("x@y.co.uk"), "x***@y***.uk");
}

#[test]
fn an_old_address_taken_meanwhile_still_ends_every_session_and_spends_the_link() {
    let f = Fixture::registered();
    let (session, login) = signed_in(&f, ADA_EMAIL, ADA_PASSWORD);
    let s = f.sesame();
    let before = outbox(&f).len();
    s.request_email_change(&login, "thief@example.net", &ClientInfo::default())
        .unwrap();
    let mails = mails_since(&f, before);
    s.confirm_email_change(&confirm_token(&mails, "thief@example.net"))
        .unwrap();
    // The freed address is registered by another account to block the way back.
    s.register(ADA_EMAIL, "someone else entirely", None)
        .unwrap();
    let restore = restore_token(&mails);
    assert_eq!(
        error_code(s.restore_email(&restore)),
        ErrorCode::AlreadyExists
    );
    assert!(s.validate_session(&session).is_err(), "every session ended");
    assert_eq!(
        error_code(s.restore_email(&restore)),
        ErrorCode::InvalidToken
    );
    assert_ne!(
        s.resolve_identity(ADA_EMAIL).unwrap(),
        Some(login.user.id.clone()),
        "the other account keeps the address it holds"
    );
}

#[test]
fn a_thief_undoing_a_second_move_cannot_spend_the_owners_restore_link() {
    let f = Fixture::registered();
    let (_, thief) = signed_in(&f, ADA_EMAIL, ADA_PASSWORD);
    let s = f.sesame();
    let client = ClientInfo::default();
    // The thief moves the account to an address they hold; the owner gets a restore link.
    let before = outbox(&f).len();
    s.request_email_change(&thief, "thief@example.net", &client)
        .unwrap();
    let first = mails_since(&f, before);
    s.confirm_email_change(&confirm_token(&first, "thief@example.net"))
        .unwrap();
    let owners_link = restore_token(&first);
    // Then asks for a second move, whose restore link comes to the thief, and uses it.
    let thief = f.fresh_login(&user(&f, &thief.user.id));
    let before = outbox(&f).len();
    s.request_email_change(&thief, "other@example.net", &client)
        .unwrap();
    let second = mails_since(&f, before);
    s.restore_email(&restore_token(&second)).unwrap();
    assert_eq!(user(&f, &thief.user.id).email, "thief@example.net");
    // The owner's older link still works, and brings the account home.
    s.restore_email(&owners_link).unwrap();
    assert_eq!(user(&f, &thief.user.id).email, ADA_EMAIL);
    for spent in [owners_link, restore_token(&second)] {
        assert_eq!(error_code(s.restore_email(&spent)), ErrorCode::InvalidToken);
    }
}

#[test]
fn a_restore_removes_the_second_factors_the_mover_could_have_added() {
    let f = Fixture::registered();
    let (_, thief) = signed_in(&f, ADA_EMAIL, ADA_PASSWORD);
    let s = f.sesame();
    let id = thief.user.id.clone();
    // The thief's fresh session adds email as a second factor (an app or a passkey likewise).
    s.start_email_factor(&thief).unwrap();
    s.confirm_email_factor(&thief, &crate::testing::last_mailed_code(&f.env))
        .unwrap();
    assert!(s.two_factor_required(&id).unwrap());
    let before = outbox(&f).len();
    s.request_email_change(&thief, "thief@example.net", &ClientInfo::default())
        .unwrap();
    let mails = mails_since(&f, before);
    s.restore_email(&restore_token(&mails)).unwrap();
    assert!(!s.two_factor_required(&id).unwrap());
    let status = s.two_factor_status(&id).unwrap();
    assert!(!status.email_enabled && !status.totp_enabled);
}
