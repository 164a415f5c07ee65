//! What an operator does on day two, against the real `sesame` binary: the admin API over
//! HTTP, the admin CLI on the same store, stopping under load, a rolling restart of two nodes on
//! PostgreSQL, backing up while writing and restoring, and erasing a user from the file.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sesame_tests::services::Shared;
use sesame_tests::{ROOT_EMAIL, ROOT_PASSWORD, Server, add_root_admin, admin, sesame_command};

/// Cheap hashing and no throttling: these tests are about operations, not password costs.
const FAST: [(&str, &str); 5] = [
    ("SESAME_ARGON2_M_KIB", "1024"),
    ("SESAME_ARGON2_T", "1"),
    ("SESAME_THROTTLE_REGISTER_PER_IP", "1000000"),
    ("SESAME_THROTTLE_LOGIN_PER_IP", "1000000"),
    ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "1000000"),
];

/// Runs an admin command on `store` and returns its standard output; fails the test if it
/// fails.
fn cli(store: &(impl AsRef<std::ffi::OsStr> + ?Sized), args: &[&str]) -> String {
    let (ok, out, err) = admin(store, args, "");
    assert!(ok, "sesame {args:?}: {err}");
    out
}

/// An API key with `scopes`, made with the CLI.
fn api_key(store: &Path, scopes: &[&str]) -> String {
    let mut args = vec!["api-key", "create", "--name", "ops"];
    for scope in scopes {
        args.extend(["--scope", scope]);
    }
    format!("Bearer {}", cli(store, &args).trim())
}

#[test]
fn the_admin_api_end_to_end_with_its_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    add_root_admin(&db);
    cli(&db, &["role", "add", "admin", "--permission", "admin"]);
    let key = api_key(&db, &["admin"]);
    let events_only = api_key(&db, &["admin:events"]);
    let mut env = FAST.to_vec();
    env.push(("SESAME_FRESHNESS_SECS", "2"));
    let server = Server::start_with_env(&db, &env);

    // Without credentials, with a plain user's session, with a key of another area: refused.
    server.register("plain@example.com", "a long enough password");
    let plain = server.login("plain@example.com", "a long enough password");
    let anonymous = server.get("/admin/users", &[]);
    anonymous.assert_failure(401, "unauthenticated");
    server
        .get("/admin/users", &[("cookie", &plain)])
        .assert_failure(403, "forbidden");
    server
        .get("/admin/users", &[("authorization", &events_only)])
        .assert_failure(403, "forbidden");
    assert_eq!(
        server
            .get("/admin/events", &[("authorization", &events_only)])
            .status,
        200
    );
    // The root administrator, freshly signed in, gets in with the session too; once the
    // sign-in is older than the freshness window (2 s here), no longer.
    let root = server.login(ROOT_EMAIL, ROOT_PASSWORD);
    assert_eq!(server.get("/admin/users", &[("cookie", &root)]).status, 200);
    std::thread::sleep(Duration::from_millis(2500));
    server
        .get("/admin/users", &[("cookie", &root)])
        .assert_failure(401, "reauthentication-required");

    let auth = [("authorization", key.as_str())];
    let created = server.post_json(
        "/admin/users",
        &json!({"email": "grace@example.com", "password": "compiler pioneer", "username": "grace"}),
        &auth,
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["user"]["id"].as_str().unwrap().to_owned();
    let found = server.get("/admin/users?q=grace", &auth).json();
    assert_eq!(found["users"][0]["id"], id.as_str());

    let signed_in = server.login("grace@example.com", "compiler pioneer");
    let sessions = server.get(&format!("/admin/user/sessions?user={id}"), &auth);
    assert_eq!(sessions.json()["sessions"].as_array().unwrap().len(), 1);
    let disabled = server.post_json(
        "/admin/user/update",
        &json!({"user": "grace@example.com", "active": false}),
        &auth,
    );
    assert_eq!(disabled.json()["user"]["active"], false);
    server
        .get("/me", &[("cookie", &signed_in)])
        .assert_failure(401, "unauthenticated");

    // Every other operation once, with what it answers for a user without those things.
    let tokens = server.post_json(
        "/tokens",
        &json!({"email": "plain@example.com", "password": "a long enough password"}),
        &[],
    );
    let login_id = {
        let list = server
            .get("/admin/user/token-logins?user=plain@example.com", &auth)
            .json();
        assert_eq!(list["token_logins"].as_array().unwrap().len(), 1, "{list}");
        list["token_logins"][0]["id"].as_str().unwrap().to_owned()
    };
    assert_eq!(tokens.status, 200);
    let calls: [(&str, &str, Value, u16); 15] = [
        (
            "POST",
            "/admin/user/token-logins/revoke",
            json!({"user": "plain@example.com", "id": login_id}),
            200,
        ),
        (
            "GET",
            "/admin/user/factors?user=plain@example.com",
            Value::Null,
            200,
        ),
        (
            "POST",
            "/admin/user/factors/reset-totp",
            json!({"user": "plain@example.com"}),
            200,
        ),
        (
            "POST",
            "/admin/user/factors/remove-passkey",
            json!({"user": "plain@example.com", "credential": "none"}),
            404,
        ),
        (
            "POST",
            "/admin/roles",
            json!({"name": "editor", "permissions": ["write"]}),
            200,
        ),
        ("GET", "/admin/roles", Value::Null, 200),
        (
            "POST",
            "/admin/user/roles/grant",
            json!({"user": "plain@example.com", "role": "editor"}),
            200,
        ),
        (
            "POST",
            "/admin/user/roles/revoke",
            json!({"user": "plain@example.com", "role": "editor"}),
            200,
        ),
        (
            "POST",
            "/admin/roles/delete",
            json!({"name": "editor"}),
            200,
        ),
        ("GET", "/admin/api-keys", Value::Null, 200),
        (
            "POST",
            "/admin/api-keys",
            json!({"name": "ci", "scopes": ["deploy"]}),
            201,
        ),
        (
            "POST",
            "/admin/api-keys/revoke",
            json!({"id": "0000000000000000"}),
            404,
        ),
        ("GET", "/admin/mail?state=dead", Value::Null, 200),
        (
            "POST",
            "/admin/mail/retry",
            json!({"id": "0000000000001-n-1"}),
            404,
        ),
        (
            "POST",
            "/admin/mail/delete",
            json!({"id": "0000000000001-n-1", "state": "dead"}),
            404,
        ),
    ];
    for (method, path, body, want) in calls {
        let answer = if method == "GET" {
            server.get(path, &auth)
        } else {
            server.post_json(path, &body, &auth)
        };
        assert_eq!(answer.status, want, "{method} {path}: {}", answer.text());
    }

    let deleted = server.post_json("/admin/user/delete", &json!({"user": id}), &auth);
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    server
        .get(&format!("/admin/user?user={id}"), &auth)
        .assert_failure(404, "not-found");
    let journal = server.get("/admin/events?kind=admin-action", &auth).json();
    let actions: Vec<&str> = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "user.create",
        "user.update",
        "user.token-login.revoke",
        "user.totp.reset",
        "role.put:editor",
        "user.role.grant:editor",
        "user.role.revoke:editor",
        "role.delete:editor",
        "user.delete",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(actions.iter().any(|a| a.starts_with("api-key.create:")));
    // Every answer carries a request id; one a proxy sent is kept.
    let answered = server.get("/readyz", &[("x-request-id", "proxy-7f3a")]);
    assert_eq!(answered.header("x-request-id"), Some("proxy-7f3a"));
    assert!(answered.header("sesame-internal-route").is_none());
    assert_eq!(
        server
            .get("/healthz", &[])
            .header("x-request-id")
            .map(str::len),
        Some(24)
    );
}

#[test]
fn the_admin_cli_shows_exports_revokes_and_erases() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = Server::start_with_env(&db, &FAST);
    server.register("ada@example.com", "analytical engine");
    let cookie = server.login("ada@example.com", "analytical engine");

    let shown: Value =
        serde_json::from_str(&cli(&db, &["user", "show", "ADA@example.com"])).unwrap();
    assert_eq!(shown["email"], "ada@example.com");
    assert_eq!(shown["factors"]["totp_enabled"], false);
    let sessions = cli(&db, &["user", "sessions", "ada@example.com"]);
    assert_eq!(sessions.lines().count(), 1, "{sessions}");

    let exported: Value =
        serde_json::from_str(&cli(&db, &["export", "--user", "ada@example.com"])).unwrap();
    assert_eq!(exported["user"]["email"], "ada@example.com");
    assert_eq!(exported["sessions"].as_array().unwrap().len(), 1);
    let text = exported.to_string();
    for secret in ["argon2", "password_hash", "\"id\":\"session"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let kinds: BTreeSet<&str> = exported["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains("registered") && kinds.contains("login-succeeded"),
        "{kinds:?}"
    );

    cli(&db, &["user", "revoke", "ada@example.com"]);
    server
        .get("/me", &[("cookie", &cookie)])
        .assert_failure(401, "unauthenticated");
    let events = cli(&db, &["events", "list", "--kind", "admin-action"]);
    let event: Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(event["actor"], "operator");
    assert_eq!(event["action"], "user.sessions.revoke");

    let (ok, _, err) = admin(&db, &["user", "delete", "ada@example.com"], "");
    assert!(!ok && err.contains("--yes"), "{err}");
    cli(&db, &["user", "delete", "ada@example.com", "--yes"]);
    let (ok, _, err) = admin(&db, &["user", "show", "ada@example.com"], "");
    assert!(!ok && err.contains("no such user"), "{err}");
}

/// Sends one request on a connection of its own (so a stopping server never closes a
/// connection under a request it did not read): `Ok(status)`, or `Err(true)` when the server
/// refused the connection (it had stopped accepting), `Err(false)` for any other failure (a
/// request lost after it was sent).
fn send_once(base: &str, path: &str, body: &Value) -> Result<u16, bool> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json")
        .header("connection", "close")
        .body(body.to_string().into_bytes())
        .expect("request");
    match agent.run(request) {
        Ok(response) => Ok(response.status().as_u16()),
        Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(true),
        Err(ureq::Error::ConnectionFailed) => Err(true),
        Err(e) => {
            eprintln!("lost: {e}");
            Err(false)
        }
    }
}

/// Registrations acknowledged (202) by the servers in `bases`, sent by `threads` threads until
/// `done`, each going to the next base that accepts its connection; also counts lost requests.
struct Load {
    accepted: Mutex<Vec<String>>,
    lost: AtomicUsize,
    sent: AtomicUsize,
}

impl Load {
    fn new() -> Arc<Self> {
        Arc::new(Load {
            accepted: Mutex::new(Vec::new()),
            lost: AtomicUsize::new(0),
            sent: AtomicUsize::new(0),
        })
    }

    /// Registers users until `done`, on whichever of `bases` answers; returns when `done` is
    /// set or no base accepts a connection any more.
    fn run(&self, thread: usize, bases: &Mutex<Vec<String>>, done: &AtomicBool) {
        let mut n = 0;
        while !done.load(Ordering::Relaxed) {
            n += 1;
            let email = format!("load-{thread}-{n}@example.com");
            let body = json!({"email": email, "password": "a long enough password"});
            let candidates = bases.lock().unwrap().clone();
            let mut answered = false;
            for base in candidates.iter().cycle().skip(n).take(candidates.len()) {
                match send_once(base, "/register", &body) {
                    Ok(status) => {
                        self.sent.fetch_add(1, Ordering::Relaxed);
                        assert_eq!(status, 202, "{email}");
                        self.accepted.lock().unwrap().push(email.clone());
                        answered = true;
                        break;
                    }
                    Err(true) => continue,
                    Err(false) => {
                        self.lost.fetch_add(1, Ordering::Relaxed);
                        answered = true;
                        break;
                    }
                }
            }
            if !answered {
                // Nothing accepts a connection right now (a node between stop and start).
                std::thread::sleep(Duration::from_millis(20));
                if bases.lock().unwrap().is_empty() {
                    return;
                }
            }
        }
    }
}

/// Every email in `expected` has an account in `store` (read through the CLI).
fn assert_all_stored(store: &str, expected: &[String]) {
    let listed = cli(store, &["user", "list", "--json"]);
    let stored: BTreeSet<String> = listed
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["email"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let missing: Vec<&String> = expected.iter().filter(|e| !stored.contains(*e)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
}

#[test]
fn sigterm_under_load_answers_every_request_it_took_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = Server::start_with_env(&db, &FAST);
    let bases = Mutex::new(vec![server.base.clone()]);
    let load = Load::new();
    let done = AtomicBool::new(false);
    let status = std::thread::scope(|scope| {
        for thread in 0..8 {
            let (load, bases, done) = (&load, &bases, &done);
            scope.spawn(move || load.run(thread, bases, done));
        }
        std::thread::sleep(Duration::from_millis(1500));
        let status = server.terminate();
        // The threads now meet refused connections; let them see it, then stop them.
        std::thread::sleep(Duration::from_millis(300));
        bases.lock().unwrap().clear();
        done.store(true, Ordering::Relaxed);
        status
    });
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(load.lost.load(Ordering::Relaxed), 0, "requests lost");
    let accepted = load.accepted.lock().unwrap().clone();
    assert!(
        accepted.len() >= 8,
        "only {} registrations went through",
        accepted.len()
    );
    assert_all_stored(db.to_str().unwrap(), &accepted);
}

#[test]
fn a_rolling_restart_of_two_nodes_on_postgres_loses_no_request_and_no_write() {
    let Some(store) = Shared::Postgres.fresh_store() else {
        return;
    };
    let start = || {
        let mut cmd = sesame_command(&store);
        cmd.envs(FAST.iter().copied());
        Server::start_command(cmd)
    };
    let (a, b) = (start(), start());
    let bases = Mutex::new(vec![a.base.clone(), b.base.clone()]);
    let load = Load::new();
    let done = AtomicBool::new(false);
    let nodes = std::thread::scope(|scope| {
        for thread in 0..6 {
            let (load, bases, done) = (&load, &bases, &done);
            scope.spawn(move || load.run(thread, bases, done));
        }
        let mut nodes = vec![a, b];
        for _ in 0..2 {
            std::thread::sleep(Duration::from_millis(800));
            // Stop the oldest node gracefully, start a new one, and let the load find it.
            let old = nodes.remove(0);
            let old_base = old.base.clone();
            let status = old.terminate();
            assert!(status.success(), "exit status {status:?}");
            bases.lock().unwrap().retain(|b| *b != old_base);
            let new = start();
            bases.lock().unwrap().push(new.base.clone());
            nodes.push(new);
        }
        std::thread::sleep(Duration::from_millis(800));
        done.store(true, Ordering::Relaxed);
        // The nodes outlive the threads (the scope joins them first).
        nodes
    });
    drop(nodes);
    assert_eq!(load.lost.load(Ordering::Relaxed), 0, "requests lost");
    let accepted = load.accepted.lock().unwrap().clone();
    assert!(
        accepted.len() >= 20,
        "only {} registrations went through",
        accepted.len()
    );
    assert_all_stored(&store, &accepted);
}

#[test]
fn a_backup_taken_while_writing_restores_every_acknowledged_user() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let backup = dir.path().join("backup.db");
    let server = Server::start_with_env(&db, &FAST);
    let bases = Mutex::new(vec![server.base.clone()]);
    let load = Load::new();
    let done = AtomicBool::new(false);
    let before_backup = std::thread::scope(|scope| {
        for thread in 0..4 {
            let (load, bases, done) = (&load, &bases, &done);
            scope.spawn(move || load.run(thread, bases, done));
        }
        std::thread::sleep(Duration::from_millis(800));
        // Everything acknowledged before the backup starts must be in it.
        let acknowledged = load.accepted.lock().unwrap().clone();
        let started = Instant::now();
        cli(&db, &["backup", backup.to_str().unwrap()]);
        eprintln!("backup took {:?} with writes going on", started.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        done.store(true, Ordering::Relaxed);
        acknowledged
    });
    assert!(!before_backup.is_empty());
    let (ok, _, err) = admin(&db, &["backup", backup.to_str().unwrap()], "");
    assert!(!ok && err.contains("exists already"), "{err}");

    let restored = dir.path().join("restored.db");
    let out = cli(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(out.starts_with("restored "), "{out}");
    let check = rusqlite::Connection::open(&restored).unwrap();
    let verdict: String = check
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
    assert_all_stored(restored.to_str().unwrap(), &before_backup);
    // The restored store serves: a user from before the backup signs in.
    let node = Server::start_with_env(&restored, &FAST);
    let signed_in = node.attempt_login(&before_backup[0], "a long enough password");
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
}

#[test]
fn erasing_a_user_leaves_no_trace_of_their_email_in_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = Server::start_with_env(&db, &FAST);
    let email = "zebediah.erasable@example.com";
    server.register(email, "a long enough password");
    server.register("stays@example.com", "a long enough password");
    for _ in 0..3 {
        server.login(email, "a long enough password");
    }
    let _ = server.attempt_login(email, "wrong password here");
    let admin_key = api_key(&db, &["admin:users"]);
    let erased = server.post_json(
        "/admin/user/delete",
        &json!({"user": email}),
        &[("authorization", &admin_key)],
    );
    assert_eq!(erased.status, 200, "{}", erased.text());
    // Stopped cleanly, SQLite checkpoints the write-ahead log into the file.
    assert!(server.terminate().success());
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        let needle = email.as_bytes();
        assert!(
            !bytes
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle)),
            "{} still holds the erased email",
            path.display()
        );
    }
    assert!(scanned > 4096, "nothing was scanned");
    // The other user is untouched.
    let node = Server::start_with_env(&db, &FAST);
    assert_eq!(
        node.attempt_login("stays@example.com", "a long enough password")
            .status,
        200
    );
}

/// Email and username claims of the account, by reading the SQLite store directly.
fn claims_of(db: &Path, id: &str) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT key FROM kv WHERE (key LIKE 'email/%' OR key LIKE 'username/%') AND value = ?1",
        )
        .unwrap();
    stmt.query_map([id.as_bytes()], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn parallel_admin_changes_leave_exactly_the_claims_of_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let key = api_key(&db, &["admin"]);
    let server = Server::start_with_env(&db, &FAST);
    let auth = [("authorization", key.as_str())];
    let create = |email: &str| {
        let created = server.post_json(
            "/admin/users",
            &json!({"email": email, "password": "a long enough password"}),
            &auth,
        );
        assert_eq!(created.status, 201, "{}", created.text());
        created.json()["user"]["id"].as_str().unwrap().to_owned()
    };

    // Forty changes of one account's address at once: one address wins, one claim remains.
    let id = create("many@example.com");
    std::thread::scope(|scope| {
        for n in 0..40 {
            let (server, auth, id) = (&server, &auth, &id);
            scope.spawn(move || {
                // Alternately a new address, and the current one sent again with a new
                // username (an admin form re-sending every field).
                let body = if n % 2 == 0 {
                    json!({"user": id, "email": format!("many-{n}@example.com"), "username": format!("many{n}")})
                } else {
                    json!({"user": id, "email": "many@example.com", "username": format!("many{n}")})
                };
                let r = server.post_json("/admin/user/update", &body, auth);
                // A change while another is under way is refused as busy, never half done.
                assert!(
                    r.status == 200 || (r.status == 503 && r.error_code() == "busy"),
                    "{}: {}",
                    r.status,
                    r.text()
                );
            });
        }
    });
    let shown = server.get(&format!("/admin/user?user={id}"), &auth).json();
    let mut claims = claims_of(&db, &id);
    claims.sort();
    assert_eq!(
        claims,
        [
            format!("email/{}", shown["email"].as_str().unwrap()),
            format!("username/{}", shown["username"].as_str().unwrap()),
        ]
    );

    // Changes racing an erasure: afterwards nothing points at the erased id.
    for round in 0..5 {
        let id = create(&format!("erased-{round}@example.com"));
        std::thread::scope(|scope| {
            for n in 0..12 {
                let (server, auth, id) = (&server, &auth, &id);
                scope.spawn(move || {
                    let answer = if n % 4 == 0 {
                        server.post_json("/admin/user/delete", &json!({"user": id}), auth)
                    } else {
                        server.post_json(
                            "/admin/user/update",
                            &json!({"user": id, "email": format!("moved-{round}-{n}@example.com")}),
                            auth,
                        )
                    };
                    assert!(
                        matches!(answer.status, 200 | 404 | 503),
                        "{}: {}",
                        answer.status,
                        answer.text()
                    );
                });
            }
        });
        // An erase refused as busy is simply repeated, as an operator would.
        while server
            .post_json("/admin/user/delete", &json!({"user": id}), &auth)
            .status
            == 503
        {}
        assert_eq!(claims_of(&db, &id), Vec::<String>::new(), "round {round}");
    }
}

#[test]
fn the_master_secret_given_is_never_stored_and_backups_leave_a_stored_one_out() {
    let dir = tempfile::tempdir().unwrap();
    let given_db = dir.path().join("given.db");
    let secret = "c2VzYW1lLXRlc3Qtc2VjcmV0LW9mLTMyLWJ5dGVzLW9rIQ";
    let server = Server::start_with_env(&given_db, &[("SESAME_SECRET", secret)]);
    server.register("ada@example.com", "analytical engine");
    drop(server);
    let stored_secrets = |db: &Path| -> i64 {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM host_meta WHERE name LIKE 'secret:%'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(stored_secrets(&given_db), 0);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&given_db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the store is readable by others: {mode:o}");

    // Without one, it is generated into the store; a backup leaves it out unless asked, and is
    // readable by its owner only; a restore keeps the store's own.
    let db = dir.path().join("sesame.db");
    drop(Server::start(&db));
    assert_eq!(stored_secrets(&db), 1);
    let exported = cli(&db, &["secret", "export"]);
    let backup = dir.path().join("backup.db");
    cli(&db, &["backup", backup.to_str().unwrap()]);
    assert_eq!(stored_secrets(&backup), 0);
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup is readable by others: {mode:o}");
    let bytes = std::fs::read(&backup).unwrap();
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        exported.trim(),
    )
    .unwrap();
    assert!(
        !bytes.windows(raw.len()).any(|w| w == raw.as_slice()),
        "the secret's bytes are in the backup"
    );
    let with = dir.path().join("with.db");
    cli(
        &db,
        &["backup", "--include-secrets", with.to_str().unwrap()],
    );
    assert_eq!(stored_secrets(&with), 1);
    cli(&db, &["restore", backup.to_str().unwrap()]);
    assert_eq!(
        stored_secrets(&db),
        1,
        "the restore took the store's secret away"
    );

    // A different secret given for a store that holds one is refused, naming the way out;
    // the same one lets the stored copy be forgotten.
    let mut other = sesame_command(&db);
    other.env("SESAME_SECRET", secret).args(["user", "list"]);
    let out = other.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sesame secret export"));
    let mut forget = sesame_command(&db);
    forget
        .env("SESAME_SECRET", exported.trim())
        .args(["secret", "forget", "--yes"]);
    assert!(forget.output().unwrap().status.success());
    assert_eq!(stored_secrets(&db), 0);
    // From then on the store wants that secret: none, or another, is refused at start rather
    // than failing every TOTP check later.
    let (ok, _, err) = admin(&db, &["user", "list"], "");
    assert!(!ok && err.contains("kept outside it"), "{err}");
    let mut wrong = sesame_command(&db);
    wrong.env("SESAME_SECRET", secret).args(["user", "list"]);
    let out = wrong.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another master secret"));
    let mut right = sesame_command(&db);
    right
        .env("SESAME_SECRET", exported.trim())
        .args(["user", "list"]);
    assert!(right.output().unwrap().status.success());
}

#[test]
fn a_stop_does_not_wait_for_clients_still_sending_a_head_or_a_body() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let mut cmd = sesame_command(&db);
    cmd.envs(FAST.iter().copied());
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--shutdown-timeout-ms",
        "20000",
    ]);
    let server = Server::spawn(cmd);
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut trickling: Vec<std::net::TcpStream> = (0..20)
        .map(|n| {
            // Half of them stop inside the head, half inside a body they announced.
            let partial: &[u8] = if n % 2 == 0 {
                b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            } else {
                b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"email\""
            };
            let mut s = std::net::TcpStream::connect(&address).unwrap();
            s.write_all(partial).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    assert!(server.terminate().success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stop waited {:?} for clients that never finished a request",
        started.elapsed()
    );
    trickling.clear();
}
