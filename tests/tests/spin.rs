//! The Spin component end to end: `sesame-spin` built for wasm32-wasip2, run by
//! `spin-test-host` with the repository's `spin.toml` (its variables, its SQLite database),
//! real HTTP on loopback. The shared suites run here exactly as they run against
//! `sesame serve`; the cases below are about what only the Spin deployment has.

use sesame_tests::accounts::{EMAIL, PASSWORD};
use sesame_tests::{SPIN_TEST_SECRET, Server, repo_root, spin_command};

sesame_tests::http_suite!(Spin);
sesame_tests::oauth_suite!(Spin);
sesame_tests::reauthentication_suite!(Spin);
sesame_tests::tokens_suite!(Spin);
sesame_tests::two_factor_suite!(Spin);
sesame_tests::passwordless_suite!(Spin);

/// An unusable secret (too short) is an operator's mistake: every request answers a clear JSON
/// `500 internal` instead of the component trapping, the log names the Spin variable to fix,
/// and the secret's value appears nowhere.
#[test]
fn an_unusable_secret_is_a_clear_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spin.log");
    let mut cmd = spin_command(&dir.path().join("sesame.db"));
    cmd.args(["--variable", "secret=dG9vLXNob3J0"])
        .stderr(std::fs::File::create(&log).unwrap());
    let server = Server::spawn(cmd);
    let r = server.attempt_login(EMAIL, PASSWORD);
    r.assert_failure(500, "internal");
    assert_eq!(
        server.get("/healthz", &[]).status,
        500,
        "every request, not a crash"
    );
    server.stop();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("Spin variable `secret`") && log.contains("at least 32 bytes"),
        "{log}"
    );
    assert!(
        !log.contains("dG9vLXNob3J0"),
        "the secret is not logged: {log}"
    );
}

/// Settings reach the component as Spin variables named in `spin.toml`: a lockout threshold
/// of 2 given with `--variable` locks the account after two failures, where the manifest's
/// default (5) would not.
#[test]
fn settings_come_from_spin_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = spin_command(&dir.path().join("sesame.db"));
    cmd.args(["--variable", "lockout_threshold=2"]);
    let server = Server::spawn(cmd);
    server.register(EMAIL, PASSWORD);
    for _ in 0..2 {
        let r = server.attempt_login(EMAIL, "not the password");
        assert_eq!(r.status, 401);
    }
    let locked = server.attempt_login(EMAIL, PASSWORD);
    locked.assert_failure(401, "invalid-credentials");
}

/// `spin.toml` is what `spin up` runs: it declares a Spin variable for every setting of core's
/// table (`sesame_core::config::settings`, so a new setting cannot be forgotten here), `secret` as a
/// required secret, every other one with core's own default, and hands each to the component
/// under the same name; besides them only the store's two, the address a secret.
#[test]
fn spin_toml_declares_every_setting_with_cores_default() {
    // The component's own variables: where records are kept, as `sesame serve` takes it on
    // its command line rather than as a setting of core.
    const SPIN_ONLY: [&str; 2] = ["store", "postgres_url"];
    let root = repo_root();
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("spin.toml")).unwrap()).unwrap();
    let variables = manifest["variables"].as_table().unwrap();
    let passed = manifest["component"]["sesame"]["variables"]
        .as_table()
        .unwrap();

    let settings: Vec<String> = sesame_core::config::settings()
        .map(|setting| {
            setting
                .name
                .strip_prefix("SESAME_")
                .expect("every setting is SESAME_*")
                .to_ascii_lowercase()
        })
        .collect();
    assert!(
        settings.len() > 20,
        "core's settings were found: {settings:?}"
    );
    for name in &settings {
        assert!(
            variables.contains_key(name),
            "spin.toml lacks variable `{name}`"
        );
    }
    for (name, _) in variables {
        assert!(
            settings.contains(name) || SPIN_ONLY.contains(&name.as_str()),
            "`{name}` is not a setting of core"
        );
        assert_eq!(
            passed.get(name).and_then(|v| v.as_str()),
            Some(format!("{{{{ {name} }}}}").as_str()),
            "the component gets `{name}`"
        );
    }
    assert_eq!(
        passed.len(),
        variables.len(),
        "nothing else reaches the component"
    );

    let secret = variables["secret"].as_table().unwrap();
    assert_eq!(secret.get("required"), Some(&toml::Value::Boolean(true)));
    assert_eq!(secret.get("secret"), Some(&toml::Value::Boolean(true)));
    assert!(!secret.contains_key("default"));

    let postgres_url = variables["postgres_url"].as_table().unwrap();
    assert_eq!(
        postgres_url.get("secret"),
        Some(&toml::Value::Boolean(true))
    );
    assert_eq!(variables["store"]["default"].as_str(), Some("sqlite"));

    let defaults: Vec<(String, String)> = variables
        .iter()
        .filter(|(name, _)| *name != "secret" && !SPIN_ONLY.contains(&name.as_str()))
        .map(|(name, v)| {
            let default = v["default"]
                .as_str()
                .unwrap_or_else(|| panic!("`{name}` has a default"));
            (
                format!("SESAME_{}", name.to_ascii_uppercase()),
                default.to_owned(),
            )
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let vars = |extra: &[(String, String)]| {
        let mut all = vec![("SESAME_SECRET".to_owned(), SPIN_TEST_SECRET.to_owned())];
        all.extend_from_slice(extra);
        all
    };
    let with_defaults = vars(&defaults);
    let mut from_manifest =
        sesame_core::Config::from_vars(with_defaults.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap();
    let bare = vars(&[]);
    let core_defaults =
        sesame_core::Config::from_vars(bare.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap();
    // The one intended difference: links point at `spin up`'s address.
    assert_eq!(from_manifest.public_url, "http://127.0.0.1:3000");
    from_manifest.public_url = core_defaults.public_url.clone();
    assert_eq!(format!("{from_manifest:?}"), format!("{core_defaults:?}"));
}

/// Spin opens a new SQLite connection for every request, with no busy timeout and the rollback
/// journal, and the test host does the same: 200 requests at once, half of them registrations
/// and half sign-ins to one account, all succeed (no `503 store-unavailable` from "database is
/// locked"), every sign-in is counted once, every registration made an account, and the log
/// has no store failure.
#[test]
fn two_hundred_parallel_sign_ins_and_registrations_all_succeed_and_count_exactly() {
    use std::collections::HashMap;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spin.log");
    let mut cmd = spin_command(&dir.path().join("sesame.db"));
    for variable in [
        "throttle_login_per_ip=100000",
        "throttle_login_per_account=100000",
        "throttle_register_per_ip=100000",
        "argon2_m_kib=1024",
        "argon2_t=1",
    ] {
        cmd.args(["--variable", variable]);
    }
    cmd.stderr(std::fs::File::create(&log).unwrap());
    let server = Server::spawn(cmd);
    server.register(EMAIL, PASSWORD);

    let newcomer = |i: usize| format!("newcomer{i}@example.com");
    let statuses: Vec<(&str, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let (server, newcomer) = (&server, &newcomer);
                scope.spawn(move || {
                    if i % 2 == 0 {
                        let r = server.post_credentials("/register", &newcomer(i), PASSWORD);
                        ("register", r.status)
                    } else {
                        ("sign-in", server.attempt_login(EMAIL, PASSWORD).status)
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tally: HashMap<(&str, u16), usize> = HashMap::new();
    for outcome in &statuses {
        *tally.entry(*outcome).or_default() += 1;
    }
    assert_eq!(
        tally,
        HashMap::from([(("register", 202), 100), (("sign-in", 200), 100)]),
        "every request succeeded"
    );

    // Each of the 100 sign-ins counted once, plus this one.
    let cookie = server.login(EMAIL, PASSWORD);
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.json()["user"]["tracking"]["login_count"], 101);
    // Each registration made its account.
    std::thread::scope(|scope| {
        for i in (0..200).step_by(2) {
            let (server, newcomer) = (&server, &newcomer);
            scope.spawn(move || server.login(&newcomer(i), PASSWORD));
        }
    });
    server.stop();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        !log.contains("store unavailable") && !log.contains("still busy"),
        "{log}"
    );
}

/// Spin gives the component no breached-password lookup: with `pwned_url` set, the check
/// counts as failed, so a password goes through (and no request leaves), or every new password
/// is refused, retryably, when the deployment fails closed.
#[test]
fn spin_has_no_breach_lookup_so_a_set_url_fails_open_or_closed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = spin_command(&dir.path().join("sesame.db"));
    cmd.args(["--variable", &format!("pwned_url={url}")]);
    let server = Server::spawn(cmd);
    server.register(EMAIL, PASSWORD);
    assert!(listener.accept().is_err(), "the Spin component called out");
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let mut cmd = spin_command(&dir.path().join("sesame.db"));
    cmd.args(["--variable", &format!("pwned_url={url}")])
        .args(["--variable", "pwned_fail_closed=true"]);
    let server = Server::spawn(cmd);
    let r = server.post_credentials("/register", EMAIL, PASSWORD);
    r.assert_failure(503, "breach-check-unavailable");
}
