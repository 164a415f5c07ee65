#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failure is a test failure"
)]

//! The hourly allowances, per recipient and per account, and the URL forms refused at start.

use super::*;
use crate::events::{Event, EventKind};
use crate::records::OUTBOUND_PENDING_PREFIX;
use crate::testing::Fixture;

const SECRET: &str = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE";

/// Mail and events both delivered, with an allowance of 2 of each an hour.
fn settings() -> OutboundSettings {
    OutboundSettings {
        mail_api_url: Some("https://mail.example/send".into()),
        webhook_url: Some("https://hooks.example/in".into()),
        webhook_secret: Some(WebhookSecret::from_bytes(vec![1; 32])),
        max_per_hour: 2,
        events_per_hour: 2,
        ..OutboundSettings::default()
    }
}

fn mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "Reset your password".into(),
        text: "Open https://sesame.example/reset?token=abc\n".into(),
        html: None,
    }
}

fn event(kind: EventKind, user_id: Option<&str>) -> Event {
    Event {
        kind,
        user_id: user_id.map(str::to_owned),
        address: None,
        at_ms: 0,
        actor: None,
        action: None,
    }
}

fn pending(f: &Fixture) -> usize {
    f.store
        .scan(OUTBOUND_PENDING_PREFIX, None, 1000)
        .unwrap()
        .len()
}

/// Flooding one address uses up that address's allowance only: mail to anyone else is still
/// queued. Spellings of one address share one allowance, so changing case does not buy more.
#[test]
fn one_recipient_over_its_allowance_does_not_stop_mail_to_another() {
    let f = Fixture::new();
    let settings = settings();
    let queue = Outbound::new(&f.store, &f.env, &settings);
    assert!(queue.enqueue_mail(&mail("flood@example.com")).is_ok());
    assert!(queue.enqueue_mail(&mail("Flood@Example.com")).is_ok());
    for to in [
        "flood@example.com",
        "FLOOD@example.com",
        " flood@example.com",
    ] {
        assert!(
            matches!(queue.enqueue_mail(&mail(to)), Err(Refused::Full)),
            "{to}"
        );
    }
    assert!(queue.enqueue_mail(&mail("victim@example.com")).is_ok());
    assert!(queue.enqueue_mail(&mail("victim@example.com")).is_ok());
    assert!(matches!(
        queue.enqueue_mail(&mail("victim@example.com")),
        Err(Refused::Full)
    ));
    assert_eq!(pending(&f), 4);
    // No address shows in the counters' keys.
    let keys = f.store.scan("outbound/admitted/", None, 100).unwrap();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|(k, _)| !k.contains('@')), "{keys:?}");
}

/// Events naming no account (sign-in failures for unknown names) share an allowance of their
/// own: filling it holds back no account's events, and one account's flood holds back no
/// other account's.
#[test]
fn anonymous_events_over_their_allowance_do_not_stop_a_users_events() {
    let f = Fixture::new();
    let settings = settings();
    let queue = Outbound::new(&f.store, &f.env, &settings);
    let failed = event(EventKind::LoginFailed, None);
    assert!(queue.enqueue_event(&failed).is_ok());
    assert!(queue.enqueue_event(&failed).is_ok());
    assert!(matches!(queue.enqueue_event(&failed), Err(Refused::Full)));
    let ada = event(EventKind::LoginSucceeded, Some("usr_ada"));
    assert!(queue.enqueue_event(&ada).is_ok());
    assert!(queue.enqueue_event(&ada).is_ok());
    assert!(matches!(queue.enqueue_event(&ada), Err(Refused::Full)));
    let bob = event(EventKind::LoginSucceeded, Some("usr_bob"));
    assert!(queue.enqueue_event(&bob).is_ok());
    // Mail has allowances apart from events.
    assert!(queue.enqueue_mail(&mail("ada@example.com")).is_ok());
    assert_eq!(pending(&f), 6);
    f.advance(3600 * 1000);
    assert!(queue.enqueue_event(&failed).is_ok());
}

/// The defaults: 50 mails per recipient and 1000 events per account an hour, both settable.
#[test]
fn the_allowances_are_read_from_their_settings() {
    assert_eq!(OutboundSettings::default().max_per_hour, 50);
    assert_eq!(OutboundSettings::default().events_per_hour, 1000);
    let config = crate::Config::from_vars([
        ("SESAME_SECRET", SECRET),
        ("SESAME_OUTBOUND_MAX_PER_HOUR", "5"),
        ("SESAME_OUTBOUND_EVENTS_PER_HOUR", "7"),
    ])
    .unwrap();
    assert_eq!(config.outbound.max_per_hour, 5);
    assert_eq!(config.outbound.events_per_hour, 7);
}

/// URLs that could never deliver are refused at start, not retried for hours: a user name or
/// password (with a message naming the setting to use instead); a query without a path is
/// sent on `/`.
#[test]
fn urls_that_could_never_deliver_are_refused_at_start() {
    let read = |name: &'static str, url: &'static str| {
        crate::Config::from_vars([
            ("SESAME_SECRET", SECRET),
            (name, url),
            (
                "SESAME_WEBHOOK_SECRET",
                "whsec_cmVkdGVhbS13ZWJob29rLXNlY3JldC0zMmJ5dGVzISE=",
            ),
        ])
    };
    let error = read(
        "SESAME_MAIL_API_URL",
        "http://user:SECRETPW@127.0.0.1:18025/x",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("SESAME_MAIL_API_TOKEN"), "{error}");
    assert!(!error.contains("SECRETPW"), "{error}");
    let error = read("SESAME_WEBHOOK_URL", "https://me@hooks.example/in")
        .unwrap_err()
        .to_string();
    assert!(error.contains("user name or password"), "{error}");
    for bad in [
        "http://",
        "https://?x=1",
        "https:///path",
        "https://host/a#frag",
        "https://host/a b",
        "host/path",
    ] {
        assert!(read("SESAME_MAIL_API_URL", bad).is_err(), "{bad}");
    }
    for (given, used) in [
        ("http://127.0.0.1:18025?x=1", "http://127.0.0.1:18025/?x=1"),
        ("http://127.0.0.1:18025", "http://127.0.0.1:18025/"),
        (
            " https://api.postmarkapp.com/email ",
            "https://api.postmarkapp.com/email",
        ),
        ("https://[::1]:8025/send?k=v", "https://[::1]:8025/send?k=v"),
    ] {
        let config = read("SESAME_MAIL_API_URL", given).unwrap();
        assert_eq!(
            config.outbound.mail_api_url.as_deref(),
            Some(used),
            "{given}"
        );
        let config = read("SESAME_WEBHOOK_URL", given).unwrap();
        assert_eq!(
            config.outbound.webhook_url.as_deref(),
            Some(used),
            "{given}"
        );
    }
}
