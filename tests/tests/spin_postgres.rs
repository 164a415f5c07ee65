//! The Spin component keeping its records in PostgreSQL (`store = "postgres"`), through the test
//! host's `spin:postgres/postgres@3.0.0` on the test server: the shared behaviour suites, a
//! mixed fleet of `sesame serve` nodes and Spin replicas on one schema, migrations at first use
//! by replicas starting together, and a database the manifest does not allow.
//!
//! Each test takes a fresh schema (see `sesame_tests::services`); without the test server the
//! tests are skipped, or fail under `SESAME_TEST_REQUIRE_SERVICES=1` (as CI runs them).

use std::path::Path;

use sesame_tests::accounts::{EMAIL, PASSWORD};
use sesame_tests::services::Shared;
use sesame_tests::{
    SPIN_TEST_SECRET, Server, login_burst, postgres_origin, spin_command_with_manifest,
    spin_manifest_allowing,
};

sesame_tests::http_suite!(SpinPostgres);
sesame_tests::tokens_suite!(SpinPostgres);
sesame_tests::two_factor_suite!(SpinPostgres);

/// Generous throttles and cheap hashing, so the bursts test counting, not throttling.
const BURST: [(&str, &str); 5] = [
    ("throttle_login_per_ip", "100000"),
    ("throttle_login_per_account", "100000"),
    ("throttle_register_per_ip", "100000"),
    ("argon2_m_kib", "1024"),
    ("argon2_t", "1"),
];

/// A Spin replica on the PostgreSQL store `url` (a schema of the test server), with `variables`,
/// its log in `dir`/`name`.log.
fn spin_replica(dir: &Path, name: &str, url: &str, variables: &[(&str, &str)]) -> Server {
    let store = dir.join(format!("{name}.db"));
    let manifest = spin_manifest_allowing(&store, &[&postgres_origin(url)]);
    let mut cmd = spin_command_with_manifest(&manifest, &store);
    cmd.args(["--variable", "store=postgres"])
        .args(["--variable", &format!("postgres_url={url}")]);
    for (name, value) in variables {
        cmd.args(["--variable", &format!("{name}={value}")]);
    }
    cmd.stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap());
    Server::spawn(cmd)
}

/// A `sesame serve` node on the same store, with the replicas' master secret (as a deployment
/// gives every node and replica the same one), and the settings the replicas' `variables`
/// (Spin names) give them.
fn serve_node(url: &str, variables: &[(&str, &str)]) -> Server {
    let mut env: Vec<(String, String)> = vec![
        ("SESAME_SECRET".into(), SPIN_TEST_SECRET.into()),
        ("SESAME_COOKIE_SECURE".into(), "false".into()),
    ];
    env.extend(variables.iter().map(|(n, v)| {
        (
            format!("SESAME_{}", n.to_ascii_uppercase()),
            (*v).to_owned(),
        )
    }));
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    Server::start_with_env(url, &env)
}

/// `sesame serve` and a Spin replica on one schema are one service: an account made on either
/// signs in on the other, a session made on either is known on the other, and signing out on
/// one ends it on both.
#[test]
fn a_session_made_on_sesame_serve_works_on_spin_and_back() {
    let Some(url) = Shared::Postgres.fresh_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The replica first: it migrates the fresh schema at first use, the node then finds it so.
    let spin = spin_replica(dir.path(), "spin", &url, &[]);
    spin.register(EMAIL, PASSWORD);
    let node = serve_node(&url, &[]);

    let from_node = node.login(EMAIL, PASSWORD);
    let me = spin.get("/me", &[("cookie", &from_node)]);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"]["email"], EMAIL);

    node.register("grace@example.com", PASSWORD);
    let from_spin = spin.login("grace@example.com", PASSWORD);
    let me = node.get("/me", &[("cookie", &from_spin)]);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"]["email"], "grace@example.com");

    // Signed out on the node, gone on the replica; and the other way round.
    signs_out_everywhere(&node, &spin, &from_spin);
    signs_out_everywhere(&spin, &node, &from_node);
}

/// Signs the session `cookie` out on `here` and checks that `there` no longer knows it.
fn signs_out_everywhere(here: &Server, there: &Server, cookie: &str) {
    let me = here.get("/me", &[("cookie", cookie)]);
    let csrf = me.json()["csrf_token"].as_str().unwrap().to_owned();
    let out = here.send(
        "POST",
        "/logout",
        &[("cookie", cookie), ("x-csrf-token", &csrf)],
        b"",
    );
    assert_eq!(out.status, 200, "{}", out.text());
    there
        .get("/me", &[("cookie", cookie)])
        .assert_failure(401, "unauthenticated");
}

/// Counters are one state across the fleet: 200 wrong passwords for one account, sent at once
/// and alternating between a `sesame serve` node and a Spin replica, lock it on exactly the
/// 200th (one lost count and it never locks); 199 for another account leave it open (one
/// counted twice and it would lock).
#[test]
fn wrong_passwords_spread_over_serve_and_spin_lock_exactly() {
    let Some(url) = Shared::Postgres.fresh_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut variables = BURST.to_vec();
    variables.push(("lockout_threshold", "200"));
    let spin = spin_replica(dir.path(), "spin", &url, &variables);
    let node = serve_node(&url, &variables);
    spin.register(EMAIL, PASSWORD);
    node.register("grace@example.com", PASSWORD);

    for (email, count) in [(EMAIL, 200), ("grace@example.com", 199)] {
        let statuses = login_burst(&[&spin, &node], count, email, "not the password");
        assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    }
    for server in [&spin, &node] {
        let locked = server.attempt_login(EMAIL, PASSWORD);
        assert_eq!(
            locked.status,
            401,
            "locked after exactly 200: {}",
            locked.text()
        );
        server.login("grace@example.com", PASSWORD);
    }
}

/// Replicas starting together on a fresh schema, each with requests at once, migrate it once:
/// no request fails, and the schema records one run of each migration.
#[test]
fn replicas_starting_together_migrate_once_without_failing_a_request() {
    let Some(url) = Shared::Postgres.fresh_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let replicas: Vec<Server> = (0..3)
        .map(|i| spin_replica(dir.path(), &format!("spin{i}"), &url, &BURST))
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|i| {
                let replica = &replicas[i % replicas.len()];
                scope.spawn(move || {
                    replica
                        .post_credentials("/register", &format!("early{i}@example.com"), PASSWORD)
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    for i in 0..30 {
        replicas[(i + 1) % replicas.len()].login(&format!("early{i}@example.com"), PASSWORD);
    }
    // `sesame serve` on the same schema finds nothing left to migrate and the records there.
    let node = serve_node(&url, &BURST);
    node.login("early0@example.com", PASSWORD);
    let migrations = (0..3)
        .map(|i| std::fs::read_to_string(dir.path().join(format!("spin{i}.log"))).unwrap())
        .filter(|log| log.contains("migrated the PostgreSQL database"))
        .count();
    assert!(
        (1..=3).contains(&migrations),
        "at least one replica migrated: {migrations}"
    );
}

/// A database the manifest does not list in `allowed_outbound_hosts` is refused by Spin: every
/// request that needs a record answers `503 store-unavailable` (readiness too, liveness not),
/// the log says what to list, and the address (which holds the password) appears in no answer.
#[test]
fn a_database_not_in_allowed_outbound_hosts_is_a_clear_503() {
    let Some(url) = Shared::Postgres.fresh_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("spin.db");
    let manifest = spin_manifest_allowing(&store, &["postgres://db.invalid:5432"]);
    let mut cmd = spin_command_with_manifest(&manifest, &store);
    cmd.args(["--variable", "store=postgres"])
        .args(["--variable", &format!("postgres_url={url}")])
        .stderr(std::fs::File::create(dir.path().join("spin.log")).unwrap());
    let server = Server::spawn(cmd);
    let r = server.attempt_login(EMAIL, PASSWORD);
    r.assert_failure(503, "store-unavailable");
    assert!(!r.text().contains("sesame_test:"), "{}", r.text());
    // Liveness needs no record: the component answers it without the database.
    assert_eq!(server.get("/healthz", &[]).status, 200);
    assert_eq!(server.get("/readyz", &[]).status, 503);
    server.stop();
    let log = std::fs::read_to_string(dir.path().join("spin.log")).unwrap();
    assert!(log.contains("allowed_outbound_hosts"), "{log}");
    assert!(log.contains("not permitted"), "{log}");
    assert!(
        !log.contains("sesame_test:sesame_test"),
        "no password in the log: {log}"
    );
}
