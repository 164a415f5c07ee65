//! What registration, password changes and "sign out everywhere" leave behind when the store
//! fails at any of their writes (a database connection lost part-way through a request): the
//! store is cut after 0, 1, 2, ... writes, every later call fails, and the state is checked
//! once the store works again.

use crate::Sesame;
use crate::sessions::ClientInfo;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, CutStore, Fixture};

/// More writes than any of these operations makes, so the last cut lets it finish.
const WRITES: usize = 16;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Runs `operation` on `f`'s records through a store cut after `writes` writes; whether the
/// cut happened.
fn cut_after(f: &Fixture, writes: usize, operation: impl FnOnce(&Sesame<'_>)) -> bool {
    let cut = CutStore::new(&f.store, writes);
    let sesame = Sesame::new(&cut, &f.env, &f.config).unwrap();
    operation(&sesame);
    cut.was_cut()
}

fn signs_in(f: &Fixture, identity: &str, password: &str) -> bool {
    f.sesame()
        .authenticate(identity, password, &ClientInfo::default())
        .is_ok()
}

#[test]
fn a_cut_registration_never_leaves_a_name_two_accounts_hold() {
    for writes in 0..WRITES {
        let f = Fixture::new();
        let cut = cut_after(&f, writes, |s| {
            let _ = s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada"));
        });
        let ada_exists = signs_in(&f, ADA_EMAIL, ADA_PASSWORD);
        // An account exists only with both its names.
        assert_eq!(
            ada_exists,
            signs_in(&f, "ada", ADA_PASSWORD),
            "cut after {writes}"
        );
        // Someone else asks for the username: theirs only if ada has no account.
        f.sesame()
            .register("eve@example.com", "another long passphrase", Some("ada"))
            .unwrap();
        let eve_holds = signs_in(&f, "ada", "another long passphrase");
        assert_eq!(eve_holds, !ada_exists, "cut after {writes}");
        if !cut {
            assert!(ada_exists, "the registration finished with {writes} writes");
        }
    }
}

#[test]
fn a_cut_registration_can_be_made_again() {
    for writes in 0..WRITES {
        let f = Fixture::new();
        cut_after(&f, writes, |s| {
            let _ = s.register(ADA_EMAIL, ADA_PASSWORD, Some("ada"));
        });
        // Names held by a registration that never wrote its account are taken over.
        f.sesame()
            .register(ADA_EMAIL, ADA_PASSWORD, Some("ada"))
            .unwrap();
        assert!(signs_in(&f, ADA_EMAIL, ADA_PASSWORD), "cut after {writes}");
        assert!(signs_in(&f, "ada", ADA_PASSWORD), "cut after {writes}");
    }
}

#[test]
fn a_cut_password_change_ends_other_sessions_whenever_the_new_password_holds() {
    for writes in 0..WRITES {
        let f = Fixture::registered();
        let client = ClientInfo::default();
        let thief = f.sesame().login(ADA_EMAIL, ADA_PASSWORD, &client).unwrap();
        let tokens = f
            .sesame()
            .issue_tokens(ADA_EMAIL, ADA_PASSWORD, &client)
            .unwrap();
        let mine = f.sesame().login(ADA_EMAIL, ADA_PASSWORD, &client).unwrap();
        cut_after(&f, writes, |s| {
            let _ = s.change_password(mine.token.expose(), ADA_PASSWORD, NEW_PASSWORD, &client);
        });
        let changed = signs_in(&f, ADA_EMAIL, NEW_PASSWORD);
        assert_ne!(
            changed,
            signs_in(&f, ADA_EMAIL, ADA_PASSWORD),
            "one password works"
        );
        let thief_alive = f.sesame().validate_session(thief.token.expose()).is_ok();
        assert_eq!(thief_alive, !changed, "cut after {writes}");
        if changed {
            assert!(
                f.sesame().refresh_tokens(&tokens.refresh_token).is_err(),
                "the token login ended too (cut after {writes})"
            );
        }
    }
}

#[test]
fn a_cut_sign_out_everywhere_ends_all_sessions_or_none() {
    for writes in 0..WRITES {
        let f = Fixture::registered();
        let client = ClientInfo::default();
        let sessions: Vec<_> = (0..3)
            .map(|_| f.sesame().login(ADA_EMAIL, ADA_PASSWORD, &client).unwrap())
            .collect();
        let id = sessions[0].user.id.clone();
        let mut answered = None;
        cut_after(&f, writes, |s| {
            answered = Some(s.revoke_all_sessions(&id).is_ok())
        });
        let alive: Vec<bool> = sessions
            .iter()
            .map(|s| f.sesame().validate_session(s.token.expose()).is_ok())
            .collect();
        assert!(
            alive.iter().all(|a| *a) || alive.iter().all(|a| !*a),
            "cut after {writes}: {alive:?}"
        );
        // A success means they are over, and a failure that nothing was.
        assert_eq!(answered, Some(!alive[0]), "cut after {writes}");
    }
}

#[test]
fn a_name_a_cut_registration_left_claimed_can_still_be_moved_to() {
    for writes in 0..WRITES {
        let f = Fixture::registered();
        let cut = cut_after(&f, writes, |s| {
            let _ = s.register(
                "new@example.com",
                "another long passphrase",
                Some("newname"),
            );
        });
        if !cut {
            continue;
        }
        let s = f.sesame();
        if signs_in(&f, "new@example.com", "another long passphrase") {
            continue;
        }
        // The registration never made its account: its names are free for ada to move to.
        let changes = crate::admin::UserChanges {
            email: Some("new@example.com".into()),
            username: Some(Some("newname".into())),
            ..Default::default()
        };
        s.admin_update_user(&crate::admin::Actor::operator(), ADA_EMAIL, &changes)
            .unwrap();
        assert!(
            signs_in(&f, "new@example.com", ADA_PASSWORD),
            "cut after {writes}"
        );
        assert!(signs_in(&f, "newname", ADA_PASSWORD), "cut after {writes}");
    }
}
