//! The component's typed exports, called the way a host calls them (the admin CLI, or an
//! embedding host), against a real SQLite store: the WIT API side of the behaviour the
//! end-to-end tests check over HTTP.

use std::sync::Arc;

use super::support::{client, instance, runtime};
use crate::bindings::{accounts, roles, types};
use crate::sandbox::SandboxLimits;
use crate::store::SqliteBackend;

/// The link tokens of every mail in the outbox directory, oldest first.
fn mail_tokens(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let start = text.find("token=")? + "token=".len();
            Some(text[start..].split_whitespace().next()?.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_sessions_links_and_roles_through_wit() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let backend = Arc::new(SqliteBackend::open(&dir.path().join("sesame.db")).unwrap());
    let env = vec![
        ("SESAME_SECRET".to_owned(), "A".repeat(43)),
        ("SESAME_COOKIE_SECURE".to_owned(), "false".to_owned()),
        (
            "SESAME_PUBLIC_URL".to_owned(),
            "http://sesame.test".to_owned(),
        ),
    ];
    let runtime = runtime(
        backend,
        env,
        Some(outbox.clone()),
        None,
        SandboxLimits::default(),
    );
    let (mut store, service) = instance(&runtime).await;
    let acc = service.sesame_auth_accounts();
    let ses = service.sesame_auth_sessions();
    let rol = service.sesame_auth_roles();

    // Registration: generic success, taken email too; invalid input gets its code.
    acc.call_register(&mut store, "ada@example.com", "analytical engine", None)
        .await
        .unwrap()
        .unwrap();
    acc.call_register(&mut store, "ada@example.com", "other person's try", None)
        .await
        .unwrap()
        .unwrap();
    let weak = acc
        .call_register(&mut store, "bob@example.com", "password1", None)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(weak.code, types::ErrorCode::WeakPassword);

    // Confirmation through the mailed token.
    let confirm_token = mail_tokens(&outbox)[0].clone();
    let confirmed = acc
        .call_confirm_email(&mut store, &confirm_token)
        .await
        .unwrap()
        .unwrap();
    assert!(confirmed.confirmed_at_ms.is_some());

    // Sessions: login, validate, list, wrong password and unknown account alike.
    let issued = ses
        .call_login(
            &mut store,
            "ada@example.com",
            "analytical engine",
            &client(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issued.token.len(), 43);
    let info = ses
        .call_validate(&mut store, &issued.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.user.email, "ada@example.com");
    assert_eq!(info.user.tracking.login_count, 1);
    let wrong = ses
        .call_login(&mut store, "ada@example.com", "not it at all", &client())
        .await
        .unwrap()
        .unwrap_err();
    let unknown = ses
        .call_login(&mut store, "eve@example.com", "not it at all", &client())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (wrong.code, wrong.message.clone()),
        (unknown.code, unknown.message)
    );
    let list = ses
        .call_list_sessions(&mut store, &issued.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].address.as_deref(), Some("192.0.2.1"));

    // Change password: every session ends, a fresh one comes back.
    let fresh = acc
        .call_change_password(
            &mut store,
            &issued.token,
            "analytical engine",
            "difference engine",
            &client(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        ses.call_validate(&mut store, &issued.token)
            .await
            .unwrap()
            .is_err()
    );
    ses.call_validate(&mut store, &fresh.token)
        .await
        .unwrap()
        .unwrap();

    // Reset through the mailed token, once.
    acc.call_request_reset(&mut store, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let reset_token = mail_tokens(&outbox).pop().unwrap();
    acc.call_reset_password(&mut store, &reset_token, "third engine design")
        .await
        .unwrap()
        .unwrap();
    assert!(
        ses.call_validate(&mut store, &fresh.token)
            .await
            .unwrap()
            .is_err()
    );
    let reused = acc
        .call_reset_password(&mut store, &reset_token, "fourth engine design")
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(reused.code, types::ErrorCode::InvalidToken);

    // Roles, then revoke-all.
    rol.call_put_role(
        &mut store,
        &roles::Role {
            name: "editor".into(),
            description: String::new(),
            permissions: vec!["posts:write".into()],
        },
    )
    .await
    .unwrap()
    .unwrap();
    let granted = rol
        .call_grant_role(&mut store, "ada@example.com", "editor")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(granted.roles, ["editor"]);
    let session = ses
        .call_login(
            &mut store,
            "ada@example.com",
            "third engine design",
            &client(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ses.call_revoke_all(&mut store, &session.token)
            .await
            .unwrap()
            .unwrap(),
        1
    );
    assert!(
        ses.call_validate(&mut store, &session.token)
            .await
            .unwrap()
            .is_err()
    );

    // Import keeps a legacy hash working.
    let imported = accounts::ImportedUser {
        email: "old@example.com".into(),
        username: None,
        password_hash: "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO".into(),
        roles: vec![],
        active: true,
        confirmed: false,
    };
    acc.call_import_user(&mut store, &imported, None)
        .await
        .unwrap()
        .unwrap();
    ses.call_login(
        &mut store,
        "old@example.com",
        "correct horse battery staple",
        &client(),
    )
    .await
    .unwrap()
    .unwrap();
}
