//! A bounded soak: mixed traffic (sign-ins, session checks, sign-outs, registrations) from
//! several clients against the real server, with no failed request and memory that levels off.
//!
//! CI runs the short form (about 15 s). The long form is a documented command:
//!
//! ```text
//! cargo build --release -p sesame-host && SESAME_SOAK_SECS=600 cargo test --release -p sesame-tests --test soak -- --nocapture
//! ```
//!
//! It prints requests, errors, and the server's resident memory after warm-up, at ten points
//! of the measured phase and at the end; and the database's size and what fills it (the event
//! journal, kept 90 days by design, and everything else, which the background purge keeps to
//! what is live).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sesame_tests::accounts::PASSWORD;
use sesame_tests::{Host, Server};

const CLIENTS: usize = 4;
const USERS: usize = 8;
/// Soaks at least this long are judged on whether memory levelled off.
const LONG_FORM_SECS: u64 = 300;

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
        let r = server.attempt_login(&email, PASSWORD);
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
            let r = server.post_credentials("/register", &new, PASSWORD);
            tally.check("register", r.status, 202, &r.text());
        }
        round += 1;
    }
}

/// Resident memory of `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// One `/proc/PID/status` figure in KiB (`VmRSS:`, `RssAnon:`, `RssFile:`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the field in /proc/PID/status")
}

/// The server's memory at one moment of the soak.
struct MemorySample {
    /// Seconds since the measured phase began.
    at_secs: f64,
    rss_kib: u64,
    anon_kib: u64,
    file_kib: u64,
}

/// Samples the server's memory `SAMPLES` times over `length`, so the long form shows whether
/// memory levels off or keeps climbing, not just where it ended.
fn sample_memory(pid: u32, length: Duration, started: Instant) -> Vec<MemorySample> {
    const SAMPLES: u32 = 10;
    (1..=SAMPLES)
        .map(|n| {
            let at = started + length * n / SAMPLES;
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            MemorySample {
                at_secs: started.elapsed().as_secs_f64(),
                rss_kib: rss_kib(pid),
                anon_kib: status_kib(pid, "RssAnon:"),
                file_kib: status_kib(pid, "RssFile:"),
            }
        })
        .collect()
}

/// The store's files (database and write-ahead log) in KiB, and its rows: journal rows,
/// other rows, and rows past their expiry still waiting for the purge.
struct StoreSize {
    file_kib: u64,
    journal_rows: u64,
    other_rows: u64,
    expired_rows: u64,
}

fn store_size(db: &std::path::Path) -> StoreSize {
    let file_kib = ["", "-wal"]
        .iter()
        .map(|suffix| {
            let path = format!("{}{suffix}", db.display());
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        })
        .sum::<u64>()
        / 1024;
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let count = |sql: &str| -> u64 {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .unwrap()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    StoreSize {
        file_kib,
        journal_rows: count(
            "SELECT count(*) FROM kv WHERE key >= 'event/' AND key < 'event0' \
             OR key >= 'user-event/' AND key < 'user-event0'",
        ),
        other_rows: count(
            "SELECT count(*) FROM kv WHERE NOT (key >= 'event/' AND key < 'event0' \
             OR key >= 'user-event/' AND key < 'user-event0')",
        ),
        expired_rows: count(&format!(
            "SELECT count(*) FROM kv WHERE expires_at IS NOT NULL AND expires_at <= {now}"
        )),
    }
}

fn print_store(when: &str, size: &StoreSize) {
    println!(
        "soak: store {when}: {} KiB; {} journal rows, {} other rows, {} expired awaiting purge",
        size.file_kib, size.journal_rows, size.other_rows, size.expired_rows
    );
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
    let server = Host::Sesame.start_fresh_with_env(&[
        ("SESAME_ARGON2_M_KIB", "1024"),
        ("SESAME_ARGON2_T", "1"),
        ("SESAME_THROTTLE_LOGIN_PER_IP", "100000000"),
        ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100000000"),
        ("SESAME_THROTTLE_REGISTER_PER_IP", "100000000"),
    ]);
    for n in 0..USERS {
        server.register(&format!("user{n}@example.com"), PASSWORD);
    }
    let tally = Tally::default();

    // A third of the time warms up (instances created, caches filled); memory after it is
    // the baseline the rest must stay near.
    let warm_up = Duration::from_secs(total / 3);
    run_phase(&server, warm_up, &tally);
    let baseline = rss_kib(server.pid());
    let store_start = store_size(&server.db());
    print_store("after warm-up", &store_start);
    let started = Instant::now();
    let measured = Duration::from_secs(total) - warm_up;
    let samples = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| sample_memory(server.pid(), measured, started));
        run_phase(&server, measured, &tally);
        sampler.join().unwrap()
    });
    let end = rss_kib(server.pid());
    let store_end = store_size(&server.db());
    print_store("at the end", &store_end);

    let requests = tally.requests.load(Ordering::Relaxed);
    let failures = tally.failures.load(Ordering::Relaxed);
    println!(
        "soak: {requests} requests in {total} s, {failures} failed; RSS after warm-up \
         {baseline} KiB, at the end {end} KiB ({:+.1}%) after {:.0} s more",
        (end as f64 - baseline as f64) * 100.0 / baseline as f64,
        started.elapsed().as_secs_f64()
    );
    for m in &samples {
        println!(
            "soak: {:>5.0} s: RSS {} KiB (anonymous {}, file {})",
            m.at_secs, m.rss_kib, m.anon_kib, m.file_kib
        );
    }
    assert_eq!(failures, 0, "failed requests during the soak");
    if total >= LONG_FORM_SECS {
        // Sessions end at sign-out and throttle windows expire: apart from the accounts made
        // on the way and the journal, nothing should pile up, and the purge (every minute)
        // keeps expired rows to about two minutes' worth.
        let registered = store_end.other_rows.saturating_sub(store_start.other_rows);
        assert!(
            store_end.expired_rows <= store_end.other_rows.max(1000),
            "expired rows are not being purged: {} of {}",
            store_end.expired_rows,
            store_end.other_rows
        );
        println!(
            "soak: {registered} rows more outside the journal (new accounts and their claims)"
        );
    }
    assert!(requests > 100, "too little traffic to judge: {requests}");
    // Steady means levelling off. Memory climbs in steps while the allocators reach their
    // working set (glibc's per-thread arenas grow a few MiB at a time as more threads allocate;
    // the ten-minute form on this machine climbed for about seven minutes, then stayed flat),
    // while a leak keeps climbing. The long form can tell the two apart: its second half must
    // add next to nothing, which a few hundred bytes a request would break. The short form
    // sees only the first steps, so it bounds growth from the warm-up level instead, loose
    // enough for those steps and tight enough for a leak of a few KiB a request.
    if total >= LONG_FORM_SECS {
        let mid = samples[samples.len() / 2 - 1].rss_kib;
        assert!(
            end <= mid + mid / 20 + 8 * 1024,
            "resident memory kept growing in the second half: {mid} KiB -> {end} KiB"
        );
    } else {
        assert!(
            end <= baseline + baseline / 4 + 16 * 1024,
            "resident memory grew from {baseline} KiB to {end} KiB"
        );
    }
}
