//! Several `sesame serve` nodes on one shared store (PostgreSQL, Redis), as behind a load
//! balancer: sessions, logout and lockout are one state for all nodes, and counters stay exact
//! under concurrent requests spread over the nodes. Plus `sesame migrate` from SQLite.
//!
//! Each test takes a fresh PostgreSQL schema or Redis key prefix (see `sesame_tests::services`).

use serde_json::json;
use sesame_tests::accounts::{EMAIL, PASSWORD};
use sesame_tests::services::Shared;
use sesame_tests::{ROOT_EMAIL, ROOT_PASSWORD, Server, add_root_admin, admin, login_burst};

/// For the bursts: generous throttles, so they test counting, not throttling, and cheap
/// password hashing, so hundreds of sign-ins fit the request timeout on a busy machine (the
/// hash cost has its own tests; here only the shared counters matter).
const BURST_ENV: [(&str, &str); 4] = [
    ("SESAME_THROTTLE_LOGIN_PER_IP", "100000"),
    ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100000"),
    ("SESAME_ARGON2_M_KIB", "1024"),
    ("SESAME_ARGON2_T", "1"),
];

/// For each `case: postgres, redis;`, a `#[test]` named `postgres` running `case` on
/// PostgreSQL and one named `redis` running it on Redis.
macro_rules! on_postgres_and_redis {
    ($($case:ident: $postgres:ident, $redis:ident;)*) => {
        $(
            #[test]
            fn $postgres() {
                $case(Shared::Postgres);
            }

            #[test]
            fn $redis() {
                $case(Shared::Redis);
            }
        )*
    };
}

/// Two nodes on one fresh store of `backend`, or `None` if that back end is not configured.
fn two_nodes(backend: Shared, env: &[(&str, &str)]) -> Option<(Server, Server)> {
    let store = backend.fresh_store()?;
    let a = Server::start_with_env(&store, env);
    let b = Server::start_with_env(&store, env);
    Some((a, b))
}

fn session_moves_between_nodes(backend: Shared) {
    let Some((a, b)) = two_nodes(backend, &[]) else {
        return;
    };
    a.register(EMAIL, PASSWORD);
    let cookie = a.login(EMAIL, PASSWORD);

    // Signed in on A, known on B.
    let me = b.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"]["email"], EMAIL);

    // Signed out on B, gone on A.
    let csrf = me.json()["csrf_token"].as_str().unwrap().to_owned();
    let out = b.send(
        "POST",
        "/logout",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        b"",
    );
    assert_eq!(out.status, 200, "{}", out.text());
    let me = a.get("/me", &[("cookie", &cookie)]);
    me.assert_failure(401, "unauthenticated");

    // A user registered on B signs in on A: one user base.
    b.register("grace@example.com", PASSWORD);
    a.login("grace@example.com", PASSWORD);
}

fn concurrent_wrong_passwords_lock_exactly(backend: Shared) {
    // The lock falls on exactly the 200th failure: one lost count and it never falls, one
    // counted twice and the 199 failures of the other account lock it too.
    let mut env = BURST_ENV.to_vec();
    env.push(("SESAME_LOCKOUT_THRESHOLD", "200"));
    let Some((a, b)) = two_nodes(backend, &env) else {
        return;
    };
    a.register(EMAIL, PASSWORD);
    b.register("grace@example.com", PASSWORD);

    let statuses = login_burst(&[&a, &b], 200, EMAIL, "not the password");
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let statuses = login_burst(&[&a, &b], 199, "grace@example.com", "not the password");
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");

    for node in [&a, &b] {
        let locked = node.attempt_login(EMAIL, PASSWORD);
        assert_eq!(
            (locked.status, locked.error_code().as_str()),
            (401, "invalid-credentials"),
            "ada is locked on every node"
        );
    }
    // One short of the threshold: grace still signs in, on either node.
    b.login("grace@example.com", PASSWORD);
    a.login("grace@example.com", PASSWORD);
}

fn concurrent_logins_count_exactly(backend: Shared) {
    let Some((a, b)) = two_nodes(backend, &BURST_ENV) else {
        return;
    };
    a.register(EMAIL, PASSWORD);
    let statuses = login_burst(&[&a, &b], 200, EMAIL, PASSWORD);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let cookie = b.login(EMAIL, PASSWORD);
    let me = a.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.json()["user"]["tracking"]["login_count"], 201);
}

fn migrate_from_sqlite(backend: Shared) {
    let Some(shared) = backend.fresh_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    add_root_admin(&db);
    let server = Server::start(&db);
    server.register(EMAIL, PASSWORD);
    let cookie = server.login(EMAIL, PASSWORD);
    server.stop();

    let sqlite = format!("sqlite:{}", db.display());
    let (ok, out, err) = admin(&db, &["migrate", "--from", &sqlite, "--to", &shared], "");
    assert!(ok, "{err}");
    assert!(out.contains("verified"), "{out}");
    assert!(out.contains("1 host secrets"), "{out}");
    assert!(
        !out.contains("sesame_test@"),
        "no password in output: {out}"
    );

    // Into a store that holds data: refused, clearly, and nothing changes.
    let (ok, _, err) = admin(&db, &["migrate", "--from", &sqlite, "--to", &shared], "");
    assert!(!ok);
    assert!(err.contains("already holds data"), "{err}");

    let server = Server::start(&shared);
    // The old session still works: same records, same master secret.
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let root = server.login(ROOT_EMAIL, ROOT_PASSWORD);
    let me = server.get("/me", &[("cookie", &root)]);
    assert_eq!(me.json()["user"]["roles"], json!(["admin"]));
    server.login(EMAIL, PASSWORD);
}

/// A private `redis-server` on a free loopback port, persisting every write to `dir`.
struct PrivateRedis {
    child: std::process::Child,
}

impl PrivateRedis {
    fn start(dir: &std::path::Path, port: u16) -> PrivateRedis {
        let redis = PrivateRedis {
            child: std::process::Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args([
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--save",
                    "",
                ])
                .arg("--dir")
                .arg(dir)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server (Debian package redis-server) must be installed"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return redis;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {port}");
    }

    /// SIGKILL: no clean shutdown, as in a crash.
    fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The store crashes under a running node: requests answer 503 `store-unavailable` (never a
/// 500, never a hang), the node reconnects by itself when the store is back, and nothing that
/// was acknowledged before the crash is lost.
#[test]
fn store_crash_is_a_clear_503_then_recovers_without_losing_writes() {
    // Runs wherever the shared-store tests run (so redis-server is installed).
    if Shared::Redis.fresh_store().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redis = PrivateRedis::start(dir.path(), port);
    let server = Server::start(&format!("redis://127.0.0.1:{port}/"));
    server.register(EMAIL, PASSWORD);
    let cookie = server.login(EMAIL, PASSWORD);
    redis.crash();

    let login = json!({"email": EMAIL, "password": PASSWORD});
    let down = server.post_json("/login", &login, &[]);
    assert_eq!(
        (down.status, down.error_code().as_str()),
        (503, "store-unavailable"),
        "{}",
        down.text()
    );
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 503, "{}", me.text());

    let _redis = PrivateRedis::start(dir.path(), port);
    // The node was not restarted: its connection comes back on its own within a few tries.
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let status = server.post_json("/login", &login, &[]).status;
        statuses.push(status);
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "only 503 while reconnecting: {statuses:?}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    // The session written before the crash survived it.
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.text());
}

on_postgres_and_redis! {
    session_moves_between_nodes:
        session_moves_between_nodes_on_postgres, session_moves_between_nodes_on_redis;
    concurrent_wrong_passwords_lock_exactly:
        concurrent_wrong_passwords_lock_exactly_on_postgres,
        concurrent_wrong_passwords_lock_exactly_on_redis;
    concurrent_logins_count_exactly:
        concurrent_logins_count_exactly_on_postgres, concurrent_logins_count_exactly_on_redis;
    migrate_from_sqlite: migrate_from_sqlite_to_postgres, migrate_from_sqlite_to_redis;
}
