use super::*;
use crate::ErrorCode;
use crate::accounts::NewUser;
use crate::env::Env as _;
use crate::events::{EventFilter, EventKind};
use crate::roles::Role;
use crate::sessions::ClientInfo;
use crate::store::Store;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture, error_code};

fn new_user(email: &str, roles: &[&str]) -> NewUser {
    NewUser {
        email: email.to_owned(),
        password: "a long enough password".to_owned(),
        username: None,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn client() -> ClientInfo {
    ClientInfo {
        address: Some("192.0.2.7".to_owned()),
        user_agent: Some("test agent".to_owned()),
    }
}

/// An actor holding only `grants`, as an API key with those scopes would be.
fn key_actor(f: &Fixture, scopes: &[&str]) -> Actor {
    let s = f.sesame();
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let created = s.create_api_key("test", &scopes).unwrap();
    s.admin_actor_of_api_key(&created.key, AdminArea::Users)
        .or_else(|_| s.admin_actor_of_api_key(&created.key, AdminArea::Roles))
        .or_else(|_| s.admin_actor_of_api_key(&created.key, AdminArea::ApiKeys))
        .unwrap()
}

#[test]
fn api_keys_need_the_admin_scope_or_the_area() {
    let f = Fixture::new();
    let s = f.sesame();
    let admin = s.create_api_key("ops", &["admin".to_owned()]).unwrap();
    let users = s
        .create_api_key("desk", &["admin:users".to_owned()])
        .unwrap();
    let other = s.create_api_key("deploy", &["deploy".to_owned()]).unwrap();
    for area in [AdminArea::Users, AdminArea::Events, AdminArea::Mail] {
        let actor = s.admin_actor_of_api_key(&admin.key, area).unwrap();
        assert_eq!(actor.label(), format!("api-key:{}", admin.info.id));
    }
    assert!(
        s.admin_actor_of_api_key(&users.key, AdminArea::Users)
            .is_ok()
    );
    assert_eq!(
        error_code(s.admin_actor_of_api_key(&users.key, AdminArea::Events)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_actor_of_api_key(&other.key, AdminArea::Users)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_actor_of_api_key("sesame_ak_0000000000000000_x", AdminArea::Users)),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn people_need_the_permission_and_a_fresh_sign_in() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.put_role(&Role {
        name: "ops".into(),
        description: String::new(),
        permissions: vec!["admin".into()],
    })
    .unwrap();
    let ada = s.admin_find_user(ADA_EMAIL).unwrap().user;
    let login = f.fresh_login(&ada);
    assert_eq!(
        error_code(s.admin_actor_of_login(&login, AdminArea::Users)),
        ErrorCode::Forbidden
    );
    let ada = s.grant_role(ADA_EMAIL, "ops").unwrap();
    let login = f.fresh_login(&ada);
    let actor = s.admin_actor_of_login(&login, AdminArea::Users).unwrap();
    assert_eq!(actor.label(), format!("user:{}", ada.id));
    f.advance(f.config.freshness.window_ms + 1);
    assert_eq!(
        error_code(s.admin_actor_of_login(&login, AdminArea::Users)),
        ErrorCode::ReauthenticationRequired
    );
}

#[test]
fn search_pages_through_users_by_email_or_username() {
    let f = Fixture::new();
    let s = f.sesame();
    let op = Actor::operator();
    for i in 0..30 {
        let email = if i % 3 == 0 {
            format!("team{i}@lovelace.example")
        } else {
            format!("person{i}@example.com")
        };
        s.admin_create_user(&op, &new_user(&email, &[])).unwrap();
    }
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .admin_list_users(Some("LOVELACE"), after.as_deref(), 4)
            .unwrap();
        assert!(page.users.len() <= 4);
        found.extend(page.users.iter().map(|u| u.email.clone()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    found.sort();
    let mut expected: Vec<String> = (0..30)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("team{i}@lovelace.example"))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    let all = s.admin_list_users(None, None, 500).unwrap();
    assert_eq!(all.users.len(), 30);
    assert_eq!(all.next, None);
}

#[test]
fn updates_move_claims_and_disabling_ends_logins() {
    let f = Fixture::registered();
    let s = f.sesame();
    let op = Actor::operator();
    s.admin_create_user(&op, &new_user("grace@example.com", &[]))
        .unwrap();
    let session = s.login(ADA_EMAIL, ADA_PASSWORD, &client()).unwrap();

    let taken = UserChanges {
        email: Some("Grace@Example.com".into()),
        ..UserChanges::default()
    };
    assert_eq!(
        error_code(s.admin_update_user(&op, ADA_EMAIL, &taken)),
        ErrorCode::AlreadyExists
    );
    let changes = UserChanges {
        email: Some("countess@example.com".into()),
        username: Some(Some("countess".into())),
        confirmed: Some(true),
        ..UserChanges::default()
    };
    let ada = s.admin_update_user(&op, ADA_EMAIL, &changes).unwrap();
    assert_eq!(ada.email, "countess@example.com");
    assert!(ada.confirmed_at_ms.is_some());
    // The old address is free again and the new one and the username sign in.
    assert_eq!(error_code(s.admin_user_id(ADA_EMAIL)), ErrorCode::NotFound);
    assert!(s.login("countess", ADA_PASSWORD, &client()).is_ok());
    s.register(ADA_EMAIL, "another long password", None)
        .unwrap();
    assert_ne!(s.admin_user_id(ADA_EMAIL).unwrap(), ada.id);

    let off = UserChanges {
        active: Some(false),
        ..UserChanges::default()
    };
    s.admin_update_user(&op, &ada.id, &off).unwrap();
    assert!(s.validate_session(session.token.expose()).is_err());
    assert!(s.admin_list_sessions(&ada.id).unwrap().is_empty());
}

#[test]
fn areas_cannot_widen_their_own_reach() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.put_role(&Role {
        name: "ops".into(),
        description: String::new(),
        permissions: vec!["admin".into()],
    })
    .unwrap();
    s.put_role(&Role {
        name: "viewer".into(),
        description: String::new(),
        permissions: vec!["read".into()],
    })
    .unwrap();
    s.grant_role(ADA_EMAIL, "ops").unwrap();

    let desk = key_actor(&f, &["admin:users"]);
    let roles = key_actor(&f, &["admin:roles"]);
    let keys = key_actor(&f, &["admin:api-keys"]);
    // `admin:users` may not take over an administrator's account, nor create one.
    let change = UserChanges {
        email: Some("mallory@example.com".into()),
        ..UserChanges::default()
    };
    assert_eq!(
        error_code(s.admin_update_user(&desk, ADA_EMAIL, &change)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_reset_totp(&desk, ADA_EMAIL)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_delete_user(&desk, ADA_EMAIL)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_create_user(&desk, &new_user("m@example.com", &["ops"]))),
        ErrorCode::Forbidden
    );
    // `admin:roles` may not grant or make admin roles; `admin:api-keys` not mint admin keys.
    s.admin_create_user(&Actor::operator(), &new_user("m@example.com", &[]))
        .unwrap();
    assert_eq!(
        error_code(s.admin_grant_role(&roles, "m@example.com", "ops")),
        ErrorCode::Forbidden
    );
    assert!(
        s.admin_grant_role(&roles, "m@example.com", "viewer")
            .is_ok()
    );
    let widened = Role {
        name: "viewer".into(),
        description: String::new(),
        permissions: vec!["read".into(), "admin:users".into()],
    };
    assert_eq!(
        error_code(s.admin_put_role(&roles, &widened)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_delete_role(&roles, "ops")),
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(s.admin_create_api_key(&keys, "x", &["admin".into()])),
        ErrorCode::Forbidden
    );
    assert!(
        s.admin_create_api_key(&keys, "x", &["deploy".into()])
            .is_ok()
    );
    // The full admin may do all of it.
    assert!(s.admin_put_role(&Actor::operator(), &widened).is_ok());
}

#[test]
fn every_admin_action_is_journalled_with_its_actor() {
    let f = Fixture::registered();
    let s = f.sesame();
    let actor = key_actor(&f, &["admin"]);
    let id = s.admin_user_id(ADA_EMAIL).unwrap();
    s.admin_revoke_sessions(&actor, ADA_EMAIL, None).unwrap();
    s.admin_reset_totp(&actor, &id).unwrap();
    let page = s
        .list_events(&EventFilter {
            kind: Some(EventKind::AdminAction),
            limit: 100,
            ..EventFilter::default()
        })
        .unwrap();
    let actions: Vec<_> = page
        .events
        .iter()
        .map(|e| {
            (
                e.event.action.clone().unwrap(),
                e.event.actor.clone().unwrap(),
                e.event.user_id.clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            (
                "user.sessions.revoke".into(),
                actor.label(),
                Some(id.clone())
            ),
            ("user.totp.reset".into(), actor.label(), Some(id.clone())),
        ]
    );
}

#[test]
fn events_filter_by_user_kind_and_time_and_page() {
    let f = Fixture::registered();
    let s = f.sesame();
    let ada = s.admin_user_id(ADA_EMAIL).unwrap();
    s.register("grace@example.com", "a long enough password", None)
        .unwrap();
    let start = f.env.now_ms();
    for _ in 0..5 {
        f.advance(1000);
        s.login(ADA_EMAIL, ADA_PASSWORD, &client()).unwrap();
        let _ = s.login("grace@example.com", "wrong password!", &client());
    }
    let of_ada = |kind, since, limit| {
        let mut all = Vec::new();
        let mut filter = EventFilter {
            user_id: Some(ada.clone()),
            kind,
            since_ms: since,
            limit,
            ..EventFilter::default()
        };
        loop {
            let page = s.list_events(&filter).unwrap();
            all.extend(page.events);
            match page.next {
                Some(next) => filter.after = Some(next),
                None => return all,
            }
        }
    };
    let logins = of_ada(Some(EventKind::LoginSucceeded), None, 2);
    assert_eq!(logins.len(), 5);
    assert!(
        logins
            .iter()
            .all(|e| e.event.user_id.as_deref() == Some(&ada))
    );
    assert!(logins.windows(2).all(|w| w[0].id < w[1].id));
    // ada registered before `start`; her logins came after it.
    let later = of_ada(None, Some(start + 1), 100);
    assert_eq!(later.len(), 5);
    let failures = s
        .list_events(&EventFilter {
            kind: Some(EventKind::LoginFailed),
            until_ms: Some(start + 2500),
            limit: 100,
            ..EventFilter::default()
        })
        .unwrap();
    assert_eq!(failures.events.len(), 2);
    assert_eq!(
        error_code(s.list_events(&EventFilter {
            after: Some("../../x".into()),
            limit: 1,
            ..EventFilter::default()
        })),
        ErrorCode::InvalidRequest
    );
}

#[test]
fn erasing_a_user_leaves_no_trace_but_anonymous_events() {
    let f = Fixture::new();
    let s = f.sesame();
    let op = Actor::operator();
    let mut new = new_user("erase.me@example.com", &[]);
    new.username = Some("eraseme".into());
    let user = s.admin_create_user(&op, &new).unwrap();
    let session = s
        .login("erase.me@example.com", "a long enough password", &client())
        .unwrap();
    s.issue_tokens("erase.me@example.com", "a long enough password", &client())
        .unwrap();
    let _ = s.login("eraseme", "wrong password!!", &client());
    // A message to them waits in the host's queue; another to someone else stays.
    for (key, to) in [
        ("mailq/pending/0000000000001-n-1", "Erase.Me@example.com"),
        ("mailq/dead/0000000000002-n-2", "other@example.com"),
    ] {
        let value = format!(r#"{{"to":"{to}","subject":"s","text":"t","queued_at_ms":1}}"#);
        f.store.put(key, value.as_bytes(), None, None).unwrap();
    }

    let anonymous = s.admin_delete_user(&op, &user.id).unwrap();
    assert!(s.validate_session(session.token.expose()).is_err());
    assert_eq!(
        error_code(s.admin_user_id("erase.me@example.com")),
        ErrorCode::NotFound
    );
    let everything = f.store.scan("", None, 1000).unwrap();
    for (key, entry) in &everything {
        let value = String::from_utf8_lossy(&entry.value).to_lowercase();
        for trace in [
            user.id.as_str(),
            "erase.me@example.com",
            "eraseme",
            "192.0.2.7",
            "test agent",
        ] {
            assert!(
                !key.contains(trace) && !value.contains(trace),
                "{key} still holds {trace}: {value}"
            );
        }
    }
    let events = s
        .list_events(&EventFilter {
            user_id: None,
            limit: 500,
            ..EventFilter::default()
        })
        .unwrap();
    let theirs: Vec<_> = events
        .events
        .iter()
        .filter(|e| e.event.user_id.as_deref() == Some(&anonymous))
        .collect();
    assert!(
        theirs.len() >= 4,
        "registration, sign-ins, revocation, deletion: {theirs:?}"
    );
    assert!(theirs.iter().all(|e| e.event.address.is_none()));
    // The other message is still queued; the address can be registered afresh.
    assert!(
        f.store
            .get("mailq/dead/0000000000002-n-2")
            .unwrap()
            .is_some()
    );
    s.register(
        "erase.me@example.com",
        "a long enough password",
        Some("eraseme"),
    )
    .unwrap();
    assert!(s.admin_user_id("erase.me@example.com").is_ok());
}

#[test]
fn help_desk_resets_factors_and_ends_sessions() {
    let f = Fixture::registered();
    let s = f.sesame();
    let op = Actor::operator();
    let session = s.login(ADA_EMAIL, ADA_PASSWORD, &client()).unwrap();
    let factors = s.admin_list_factors(ADA_EMAIL).unwrap();
    assert!(!factors.totp_enabled && factors.passkeys.is_empty());
    assert!(!s.admin_reset_totp(&op, ADA_EMAIL).unwrap());
    assert!(s.validate_session(session.token.expose()).is_err());
    assert_eq!(
        error_code(s.admin_remove_passkey(&op, ADA_EMAIL, "no-such-key")),
        ErrorCode::NotFound
    );
}

#[test]
fn sessions_and_token_logins_are_listed_and_ended_one_by_one() {
    let f = Fixture::registered();
    let s = f.sesame();
    let op = Actor::operator();
    let first = s.login(ADA_EMAIL, ADA_PASSWORD, &client()).unwrap();
    let second = s.login(ADA_EMAIL, ADA_PASSWORD, &client()).unwrap();
    let pair = s.issue_tokens(ADA_EMAIL, ADA_PASSWORD, &client()).unwrap();
    let sessions = s.admin_list_sessions(ADA_EMAIL).unwrap();
    assert_eq!(sessions.len(), 2);
    let first_id = s.validate_session(first.token.expose()).unwrap().id;
    s.admin_revoke_sessions(&op, ADA_EMAIL, Some(&first_id))
        .unwrap();
    assert!(s.validate_session(first.token.expose()).is_err());
    assert!(s.validate_session(second.token.expose()).is_ok());
    assert_eq!(
        error_code(s.admin_revoke_sessions(&op, ADA_EMAIL, Some(&first_id))),
        ErrorCode::NotFound
    );
    let logins = s.admin_list_token_logins(ADA_EMAIL).unwrap();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].id, pair.login_id);
    s.admin_revoke_token_login(&op, ADA_EMAIL, &pair.login_id)
        .unwrap();
    assert!(s.validate_access_token(&pair.access_token).is_err());
    assert!(s.admin_list_token_logins(ADA_EMAIL).unwrap().is_empty());
}

#[test]
fn dead_letters_are_listed_without_bodies_and_retried() {
    let f = Fixture::new();
    let s = f.sesame();
    let op = Actor::operator();
    let value = r#"{"to":"a@example.com","subject":"Reset","text":"secret link","queued_at_ms":5,"attempts":12,"next_attempt_ms":9,"last_error":"550 no"}"#;
    f.store
        .put(
            "mailq/dead/0000000000005-node-1",
            value.as_bytes(),
            None,
            None,
        )
        .unwrap();
    let (dead, next) = s.admin_list_mail(MailQueueState::Dead, None, 10).unwrap();
    assert_eq!(next, None);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 12);
    assert_eq!(dead[0].last_error.as_deref(), Some("550 no"));
    s.admin_retry_mail(&op, &dead[0].id).unwrap();
    assert!(
        s.admin_list_mail(MailQueueState::Dead, None, 10)
            .unwrap()
            .0
            .is_empty()
    );
    let (pending, _) = s
        .admin_list_mail(MailQueueState::Pending, None, 10)
        .unwrap();
    assert_eq!(pending[0].attempts, 0);
    // The body travels on with the message for the host, untouched.
    let stored = f
        .store
        .get("mailq/pending/0000000000005-node-1")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&stored.value).contains("secret link"));
    assert_eq!(
        error_code(s.admin_retry_mail(&op, "0000000000005-node-1")),
        ErrorCode::NotFound
    );
    assert_eq!(
        error_code(s.admin_delete_mail(&op, MailQueueState::Pending, "../x")),
        ErrorCode::NotFound
    );
    s.admin_delete_mail(&op, MailQueueState::Pending, "0000000000005-node-1")
        .unwrap();
}

#[test]
fn claims_follow_the_record_and_erasure_takes_them_all() {
    let f = Fixture::registered();
    let s = f.sesame();
    let op = Actor::operator();
    let id = s.admin_user_id(ADA_EMAIL).unwrap();
    let claims = |f: &Fixture| -> Vec<String> {
        f.store
            .scan("email/", None, 100)
            .unwrap()
            .into_iter()
            .chain(f.store.scan("username/", None, 100).unwrap())
            .filter(|(_, e)| e.value == id.as_bytes())
            .map(|(k, _)| k)
            .collect()
    };
    for n in 0..3 {
        let changes = UserChanges {
            email: Some(format!("moved{n}@example.com")),
            username: Some(Some(format!("name{n}"))),
            ..UserChanges::default()
        };
        s.admin_update_user(&op, &id, &changes).unwrap();
    }
    assert_eq!(claims(&f), ["email/moved2@example.com", "username/name2"]);
    // Another spelling of the same address keeps its claim and its confirmation.
    let confirm = UserChanges {
        confirmed: Some(true),
        ..UserChanges::default()
    };
    s.admin_update_user(&op, &id, &confirm).unwrap();
    let spelled = UserChanges {
        email: Some("Moved2@Example.com".into()),
        ..UserChanges::default()
    };
    let user = s.admin_update_user(&op, &id, &spelled).unwrap();
    assert!(user.confirmed_at_ms.is_some());
    assert_eq!(claims(&f), ["email/moved2@example.com", "username/name2"]);
    let removed = UserChanges {
        username: Some(None),
        ..UserChanges::default()
    };
    s.admin_update_user(&op, &id, &removed).unwrap();
    assert_eq!(claims(&f), ["email/moved2@example.com"]);
    s.admin_delete_user(&op, &id).unwrap();
    assert!(claims(&f).is_empty());
    // A change to an erased account is `not-found`, not a sign-in failure.
    assert_eq!(
        error_code(s.admin_update_user(&op, &id, &confirm)),
        ErrorCode::NotFound
    );
}

#[test]
fn users_are_created_only_with_roles_that_exist() {
    let f = Fixture::new();
    let s = f.sesame();
    assert_eq!(
        error_code(s.admin_create_user(
            &Actor::operator(),
            &new_user("a@example.com", &["later-admin"])
        )),
        ErrorCode::NotFound
    );
    s.put_role(&Role {
        name: "editor".into(),
        description: String::new(),
        permissions: vec!["write".into()],
    })
    .unwrap();
    let user = s
        .admin_create_user(&Actor::operator(), &new_user("a@example.com", &["editor"]))
        .unwrap();
    assert_eq!(user.roles, ["editor"]);
}

#[test]
fn an_erased_administrator_is_anonymous_in_the_actions_they_took() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.put_role(&Role {
        name: "ops".into(),
        description: String::new(),
        permissions: vec!["admin".into()],
    })
    .unwrap();
    let ada = s.grant_role(ADA_EMAIL, "ops").unwrap();
    let as_ada = s
        .admin_actor_of_login(&f.fresh_login(&ada), AdminArea::Users)
        .unwrap();
    s.admin_create_user(&as_ada, &new_user("grace@example.com", &[]))
        .unwrap();
    s.admin_delete_user(&Actor::operator(), &ada.id).unwrap();
    let page = s
        .list_events(&EventFilter {
            kind: Some(EventKind::AdminAction),
            limit: 100,
            ..EventFilter::default()
        })
        .unwrap();
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains(&ada.id), "{text}");
    let created = page
        .events
        .iter()
        .find(|e| e.event.action.as_deref() == Some("user.create"))
        .unwrap();
    assert!(
        created
            .event
            .actor
            .as_deref()
            .unwrap()
            .starts_with("user:erased-"),
        "{created:?}"
    );
}
