//! The Spin component end to end: `sesame-spin` built for wasm32-wasip2, run by
//! `spin-test-host` with the repository's `spin.toml` (its variables, its SQLite database),
//! real HTTP on loopback. The shared suites run here exactly as they run against
//! `sesame serve`; the cases below are about what only the Spin deployment has.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure here is a test failure"
)]

use sesame_tests::{Host, Server, spin_command};

/// The server the shared suites run against here.
const HOST: Host = Host::Spin;

#[path = "../suite/http.rs"]
mod http;
#[path = "../suite/tokens.rs"]
mod tokens;
#[path = "../suite/two_factor.rs"]
mod two_factor;

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
    let r = server.post_json(
        "/login",
        &serde_json::json!({"email": "ada@example.com", "password": "analytical engine"}),
        &[],
    );
    assert_eq!((r.status, r.error_code().as_str()), (500, "internal"));
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
    server.register("ada@example.com", "analytical engine");
    for _ in 0..2 {
        let r = server.post_json(
            "/login",
            &serde_json::json!({"email": "ada@example.com", "password": "not the password"}),
            &[],
        );
        assert_eq!(r.status, 401);
    }
    let locked = server.post_json(
        "/login",
        &serde_json::json!({"email": "ada@example.com", "password": "analytical engine"}),
        &[],
    );
    assert_eq!(
        (locked.status, locked.error_code().as_str()),
        (401, "invalid-credentials")
    );
}
