//! A bounded soak: mixed traffic (sign-ins, session checks, sign-outs, registrations) from
//! several clients against the real server, with no failed request and memory that levels off.
//!
//! CI runs the short form (about 15 s). The long form is a documented command:
//!
//! ```text
//! SESAME_SOAK_SECS=600 cargo test --release -p sesame-tests --test soak -- --nocapture
//! ```
//!
//! It prints requests, errors and the server's resident memory after warm-up and at the end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failure is a test failure"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sesame_tests::Server;

const PW: &str = "analytical engine";
const CLIENTS: usize = 4;
const USERS: usize = 8;

/// Counters shared by the clients.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    failures: AtomicU64,
}

impl Tally {
    /// Counts one request; a status other than `want` is a failure, logged once per kind.
    fn check(&self, what: &str, status: u16, want: u16, body: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if status != want && self.failures.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("{what}: {status} (wanted {want}): {body}");
        }
    }
}

/// One client's loop until `until`: sign in, check the session five times, sign out, and
/// every tenth round register a new account.
fn mixed_traffic(server: &Server, client: usize, until: Instant, tally: &Tally) {
    let mut round = 0u64;
    while Instant::now() < until {
        let email = format!("user{}@example.com", (client + round as usize) % USERS);
        let r = server.post_json("/login", &json!({"email": email, "password": PW}), &[]);
        tally.check("login", r.status, 200, &r.text());
        let Some(cookie) = r.cookie_pair() else {
            continue;
        };
        let mut csrf = String::new();
        for _ in 0..5 {
            let me = server.get(
                "/me",
                &[("cookie", &cookie), ("accept", "application/json")],
            );
            tally.check("me", me.status, 200, &me.text());
            csrf = me.json()["csrf_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
        let out = server.post_json(
            "/logout",
            &json!({}),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        );
        tally.check("logout", out.status, 200, &out.text());
        if round.is_multiple_of(10) {
            let new = format!("soak-{client}-{round}@example.com");
            let r = server.post_json("/register", &json!({"email": new, "password": PW}), &[]);
            tally.check("register", r.status, 202, &r.text());
        }
        round += 1;
    }
}

/// Resident memory of `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

fn run_phase(server: &Server, length: Duration, tally: &Tally) {
    let until = Instant::now() + length;
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            scope.spawn(move || mixed_traffic(server, client, until, tally));
        }
    });
}

#[test]
fn mixed_traffic_has_no_errors_and_steady_memory() {
    let total = std::env::var("SESAME_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(15)
        .max(6);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        &dir.path().join("sesame.db"),
        &[
            ("SESAME_ARGON2_M_KIB", "1024"),
            ("SESAME_ARGON2_T", "1"),
            ("SESAME_THROTTLE_LOGIN_PER_IP", "100000000"),
            ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100000000"),
            ("SESAME_THROTTLE_REGISTER_PER_IP", "100000000"),
        ],
    );
    for n in 0..USERS {
        server.register(&format!("user{n}@example.com"), PW);
    }
    let tally = Tally::default();

    // A third of the time warms up (instances created, caches filled); memory after it is
    // the baseline the rest must stay near.
    let warm_up = Duration::from_secs(total / 3);
    run_phase(&server, warm_up, &tally);
    let baseline = rss_kib(server.pid());
    let started = Instant::now();
    run_phase(&server, Duration::from_secs(total) - warm_up, &tally);
    let end = rss_kib(server.pid());

    let requests = tally.requests.load(Ordering::Relaxed);
    let failures = tally.failures.load(Ordering::Relaxed);
    println!(
        "soak: {requests} requests in {total} s, {failures} failed; RSS after warm-up \
         {baseline} KiB, at the end {end} KiB ({:+.1}%) after {:.0} s more",
        (end as f64 - baseline as f64) * 100.0 / baseline as f64,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(failures, 0, "failed requests during the soak");
    assert!(requests > 100, "too little traffic to judge: {requests}");
    // Steady means bounded: allocator noise stays well inside this margin, while a leak grows
    // past it (the short form catches a few KiB per request, the ten-minute form a few
    // hundred bytes).
    assert!(
        end <= baseline + baseline / 4 + 16 * 1024,
        "resident memory grew from {baseline} KiB to {end} KiB"
    );
}
