use super::*;
use crate::env::Env;
use crate::store::Store;
use crate::testing::Fixture;

/// Moves both clocks to `before_end` ms before the end of the current window.
fn to_window_end(f: &Fixture, before_end: u64) {
    let window = f.config.throttle.window_ms;
    let into = f.env.now_ms() % window;
    f.advance(window - into - before_end);
}

/// Counts one attempt of `subject` in `scope`: `None` if it passes, its retry delay if it is
/// throttled.
fn throttled(sesame: &Sesame<'_>, scope: Scope, subject: &str) -> Option<u64> {
    match sesame.throttle(scope, subject) {
        Ok(()) => None,
        Err(Error::Throttled { retry_after_ms }) => Some(retry_after_ms),
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// Makes `count` attempts of `subject` in `scope`, each of which must pass.
fn attempts(sesame: &Sesame<'_>, scope: Scope, subject: &str, count: u64) {
    for _ in 0..count {
        sesame.throttle(scope, subject).unwrap();
    }
}

#[test]
fn a_request_reaching_the_store_after_the_boundary_still_finds_the_count() {
    let f = Fixture::new();
    let sesame = f.sesame();
    let limit = f.config.throttle.login_per_account;
    to_window_end(&f, 1_000);
    attempts(&sesame, Scope::LoginByAccount, "ada", limit);
    assert!(throttled(&sesame, Scope::LoginByAccount, "ada").is_some());
    // Requests that started in this window (core's clock) but reach the store two seconds
    // later, past the window's end: the counter must still be there.
    f.store.set_now_ms(f.env.now_ms() + 2_000);
    for _ in 0..3 {
        assert!(throttled(&sesame, Scope::LoginByAccount, "ada").is_some());
    }
}

#[test]
fn a_burst_across_the_boundary_gets_the_limit_once() {
    let f = Fixture::new();
    let sesame = f.sesame();
    let limit = f.config.throttle.login_per_account;
    let window = f.config.throttle.window_ms;
    to_window_end(&f, 1);
    let mut passed = 0;
    for _ in 0..limit * 3 {
        if throttled(&sesame, Scope::LoginByAccount, "ada").is_none() {
            passed += 1;
        }
    }
    // Two milliseconds later, in the next window.
    f.advance(2);
    for _ in 0..limit * 3 {
        if throttled(&sesame, Scope::LoginByAccount, "ada").is_none() {
            passed += 1;
        }
    }
    assert_eq!(passed, limit, "the burst straddling the boundary");
    // Half way into the new window the old one weighs half: half the limit is free again.
    f.advance(window / 2 - 1);
    let mut passed = 0;
    while throttled(&sesame, Scope::LoginByAccount, "ada").is_none() {
        passed += 1;
    }
    assert_eq!(passed, limit / 2);
}

#[test]
fn retry_after_is_when_an_attempt_passes_again() {
    // (ms into the next window, attempts made there first)
    for (elapsed, attempts_after) in [(0, 0), (1, 0), (10_000, 1), (30_000, 5), (59_000, 9)] {
        let f = Fixture::new();
        let sesame = f.sesame();
        let limit = f.config.throttle.login_per_account;
        to_window_end(&f, 1);
        attempts(&sesame, Scope::LoginByAccount, "ada", limit);
        // Into the next window, with a few attempts there too.
        f.advance(elapsed + 1);
        attempts(&sesame, Scope::LoginByAccount, "ada", attempts_after);
        let retry = throttled(&sesame, Scope::LoginByAccount, "ada")
            .unwrap_or_else(|| panic!("{elapsed}: not throttled"));
        f.advance(retry - 1);
        assert!(
            throttled(&sesame, Scope::LoginByAccount, "ada").is_some(),
            "{elapsed}: one ms early"
        );
        f.advance(1);
        assert_eq!(
            throttled(&sesame, Scope::LoginByAccount, "ada"),
            None,
            "{elapsed}: on time"
        );
    }
}

#[test]
fn a_full_window_is_refused_until_it_has_slid_past() {
    let f = Fixture::new();
    let sesame = f.sesame();
    let limit = f.config.throttle.login_per_account;
    attempts(&sesame, Scope::LoginByAccount, "ada", limit);
    let retry = throttled(&sesame, Scope::LoginByAccount, "ada").unwrap();
    let window = f.config.throttle.window_ms;
    // Until the window has passed and slid a tenth further (limit 10: the full window
    // then weighs 9).
    assert!(retry > window - f.env.now_ms() % window, "{retry}");
    assert!(retry <= window + window / limit, "{retry}");
    f.advance(retry - 1);
    assert!(throttled(&sesame, Scope::LoginByAccount, "ada").is_some());
    f.advance(1);
    assert_eq!(throttled(&sesame, Scope::LoginByAccount, "ada"), None);
    // Other subjects were never affected.
    assert_eq!(throttled(&sesame, Scope::LoginByAccount, "grace"), None);
}

#[test]
fn ipv6_addresses_in_one_slash_64_share_a_count() {
    let f = Fixture::new();
    let sesame = f.sesame();
    let limit = f.config.throttle.login_per_address;
    for i in 0..limit {
        sesame
            .throttle(Scope::LoginByAddress, &format!("2001:db8:1:2::{i:x}"))
            .unwrap();
    }
    assert!(
        throttled(
            &sesame,
            Scope::LoginByAddress,
            "2001:db8:1:2:ffff:ffff:ffff:ffff"
        )
        .is_some()
    );
    assert_eq!(
        throttled(&sesame, Scope::LoginByAddress, "2001:db8:1:3::1"),
        None
    );
    // IPv4-mapped IPv6 is the IPv4 address.
    attempts(&sesame, Scope::LoginByAddress, "192.0.2.7", limit);
    assert!(throttled(&sesame, Scope::LoginByAddress, "::ffff:192.0.2.7").is_some());
    // Accounts are not read as addresses.
    assert_eq!(
        throttled(&sesame, Scope::LoginByAccount, "2001:db8:1:2::99"),
        None
    );
}

#[test]
fn counters_expire_once_no_window_can_read_them() {
    let f = Fixture::new();
    let sesame = f.sesame();
    sesame.throttle(Scope::LoginByAccount, "ada").unwrap();
    let window = f.config.throttle.window_ms;
    f.advance(window * 3);
    let left = f.store.scan("throttle/", None, 10).unwrap();
    assert!(left.is_empty(), "{left:?}");
}
