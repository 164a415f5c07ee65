#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failure is a test failure"
)]

use std::cell::RefCell;
use std::collections::VecDeque;

use serde_json::{Value, json};

use super::queue::{DEAD_LETTER_TTL_MS, LEASE_MS};
use super::*;
use crate::events::{Event, EventKind};
use crate::records::{OUTBOUND_PENDING_PREFIX, outbound_dead_key};
use crate::store::{Entry, Page, StoreError, Write};
use crate::testing::Fixture;

/// A transport that records every request and answers from a script (200 once it runs out).
#[derive(Default)]
struct Fake {
    answers: RefCell<VecDeque<Result<u16, String>>>,
    sent: RefCell<Vec<OutboundRequest>>,
}

impl Fake {
    fn answering(answers: impl IntoIterator<Item = Result<u16, String>>) -> Self {
        Fake {
            answers: RefCell::new(answers.into_iter().collect()),
            sent: RefCell::default(),
        }
    }

    fn bodies(&self) -> Vec<Value> {
        self.sent
            .borrow()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

impl Transport for Fake {
    fn post(&self, request: &OutboundRequest) -> Result<u16, String> {
        self.sent.borrow_mut().push(request.clone());
        self.answers.borrow_mut().pop_front().unwrap_or(Ok(200))
    }
}

fn mail_settings(format: MailFormat) -> OutboundSettings {
    OutboundSettings {
        mail_api_url: Some("https://mail.example/send".into()),
        mail_api_format: format,
        mail_api_token: "tok-123".parse_token(),
        mail_from: "Sesame <no-reply@example.com>".into(),
        retry_base_ms: 1000,
        max_attempts: 3,
        ..OutboundSettings::default()
    }
}

/// A token as the settings row reads it.
trait ParseToken {
    fn parse_token(&self) -> ApiToken;
}

impl ParseToken for str {
    fn parse_token(&self) -> ApiToken {
        let mut settings = OutboundSettings::default();
        crate::settings::apply_section(&mut settings, settings::SETTINGS, |name| {
            (name == "SESAME_MAIL_API_TOKEN").then_some(self)
        })
        .unwrap();
        settings.mail_api_token
    }
}

fn mail(to: &str, subject: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: subject.into(),
        text: "Open https://sesame.example/confirm?token=abc\n".into(),
        html: Some("<p>Open</p>".into()),
    }
}

/// Queues ada's confirmation mail; its id.
fn enqueue_ada(queue: &Outbound<'_>) -> String {
    queue
        .enqueue_mail(&mail("ada@example.com", "Confirm"))
        .unwrap()
        .expect("a mail API is set")
}

fn pending(f: &Fixture) -> Vec<(String, Item)> {
    f.store
        .scan(OUTBOUND_PENDING_PREFIX, None, 1000)
        .unwrap()
        .into_iter()
        .map(|(k, e)| (k.clone(), serde_json::from_slice(&e.value).unwrap()))
        .collect()
}

#[test]
fn a_queued_mail_is_posted_once_and_removed() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Json);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    let id = enqueue_ada(&queue);
    assert!(id.starts_with("msg_") && id.len() == 36, "{id}");
    assert_eq!(pending(&f).len(), 1);

    let fake = Fake::default();
    let settled = queue.deliver_due(&fake, Batch::default());
    assert!(
        matches!(&settled[..], [Settled::Delivered { id: d, kind: "mail", status: 200 }] if *d == id)
    );
    assert!(pending(&f).is_empty());
    assert!(queue.deliver_due(&fake, Batch::default()).is_empty());
    assert_eq!(fake.sent.borrow().len(), 1);
    let request = &fake.sent.borrow()[0];
    assert_eq!(request.url, "https://mail.example/send");
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("authorization").as_deref(), Some("Bearer tok-123"));
    assert_eq!(header("idempotency-key"), Some(id.clone()));
    assert_eq!(
        fake.bodies()[0],
        json!({
            "id": id,
            "from": "Sesame <no-reply@example.com>",
            "to": "ada@example.com",
            "subject": "Confirm",
            "text": "Open https://sesame.example/confirm?token=abc\n",
            "html": "<p>Open</p>",
        })
    );
}

#[test]
fn postmark_and_resend_get_their_own_bodies_and_headers() {
    let f = Fixture::new();
    for (format, body, token_header) in [
        (
            MailFormat::Postmark,
            json!({
                "From": "Sesame <no-reply@example.com>",
                "To": "ada@example.com",
                "Subject": "Confirm",
                "TextBody": "Open https://sesame.example/confirm?token=abc\n",
                "HtmlBody": "<p>Open</p>",
                "MessageStream": "outbound",
            }),
            ("x-postmark-server-token", "tok-123"),
        ),
        (
            MailFormat::Resend,
            json!({
                "from": "Sesame <no-reply@example.com>",
                "to": ["ada@example.com"],
                "subject": "Confirm",
                "text": "Open https://sesame.example/confirm?token=abc\n",
                "html": "<p>Open</p>",
            }),
            ("authorization", "Bearer tok-123"),
        ),
    ] {
        let settings = mail_settings(format);
        let queue = Outbound::new(&f.store, &f.env, &settings);
        queue
            .enqueue_mail(&mail("ada@example.com", "Confirm"))
            .unwrap();
        let fake = Fake::default();
        queue.deliver_due(&fake, Batch::default());
        assert_eq!(fake.bodies(), [body], "{format:?}");
        let sent = fake.sent.borrow();
        let headers = &sent[0].headers;
        assert!(
            headers
                .iter()
                .any(|(n, v)| (n.as_str(), v.as_str()) == token_header),
            "{format:?}"
        );
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "content-type" && v == "application/json")
        );
    }
}

/// CR, LF and quotes in what a user chose stay inside one JSON string: no header, no field.
#[test]
fn line_breaks_and_quotes_cannot_add_headers_or_fields() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Postmark);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    let to = "x@example.com\r\nBcc: all@example.com";
    let subject = "Hi\",\"Bcc\":\"all@example.com\r\nX-Evil: 1";
    queue.enqueue_mail(&mail(to, subject)).unwrap();
    let fake = Fake::default();
    queue.deliver_due(&fake, Batch::default());
    let body = &fake.bodies()[0];
    assert_eq!(body["To"], to);
    assert_eq!(body["Subject"], subject);
    assert_eq!(body.as_object().unwrap().len(), 6, "{body}");
    for (name, value) in &fake.sent.borrow()[0].headers {
        assert!(
            !value.contains(['\r', '\n']) && !name.contains("bcc"),
            "{name}: {value}"
        );
    }
}

/// The example of the Standard Webhooks specification, which `sesame serve`'s tests and the
/// Python `standardwebhooks` library reproduce too.
#[test]
fn events_are_signed_as_standard_webhooks() {
    let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
    assert_eq!(
        secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
    assert_eq!(format!("{secret:?}"), "WebhookSecret(***)");

    let f = Fixture::new();
    let settings = OutboundSettings {
        webhook_url: Some("https://hooks.example/in".into()),
        webhook_secret: Some(secret.clone()),
        ..OutboundSettings::default()
    };
    let queue = Outbound::new(&f.store, &f.env, &settings);
    let event = Event {
        kind: EventKind::LoginFailed,
        user_id: Some("u1".into()),
        address: Some("192.0.2.1".into()),
        at_ms: 1_614_265_330_000,
        actor: None,
        action: None,
    };
    let id = queue.enqueue_event(&event).unwrap().unwrap();
    // Journal-only kinds are not handed on, as under `sesame serve`.
    let admin = Event {
        kind: EventKind::AdminAction,
        ..event.clone()
    };
    assert_eq!(queue.enqueue_event(&admin).unwrap(), None);

    let fake = Fake::default();
    queue.deliver_due(&fake, Batch::default());
    let sent = fake.sent.borrow();
    let request = &sent[0];
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let body = std::str::from_utf8(&request.body).unwrap();
    assert_eq!(
        body,
        r#"{"data":{"address":"192.0.2.1","at_ms":1614265330000,"user_id":"u1"},"timestamp":"2021-02-25T15:02:10.000Z","type":"login-failed"}"#
    );
    assert_eq!(header("webhook-id"), id);
    let timestamp: u64 = header("webhook-timestamp").parse().unwrap();
    assert_eq!(timestamp, f.env.now_ms() / 1000);
    assert_eq!(
        header("webhook-signature"),
        secret.sign(&id, timestamp, body)
    );
}

/// The wait of the one item a pass retried, after its `attempts`-th attempt.
fn retried(settled: &[Settled], attempts: u32) -> u64 {
    match settled {
        [
            Settled::Retrying {
                attempts: n,
                wait_ms,
                ..
            },
        ] if *n == attempts => *wait_ms,
        _ => panic!("not one retry after attempt {attempts}: {settled:?}"),
    }
}

#[test]
fn a_failed_attempt_waits_longer_each_time_then_becomes_a_dead_letter() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Json);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    let id = enqueue_ada(&queue);
    let fake = Fake::answering([Err("connection refused".into()), Ok(503), Ok(500)]);

    let wait_ms = retried(&queue.deliver_due(&fake, Batch::default()), 1);
    assert!((1000..=1250).contains(&wait_ms), "{wait_ms}");
    // Not due yet: nothing is attempted.
    assert!(queue.deliver_due(&fake, Batch::default()).is_empty());
    let [(_, item)] = &pending(&f)[..] else {
        panic!("one item")
    };
    assert_eq!(item.last_error.as_deref(), Some("connection refused"));
    assert_eq!(item.claimed_until_ms, 0);

    f.advance(1250);
    let wait_ms = retried(&queue.deliver_due(&fake, Batch::default()), 2);
    assert!((2000..=2500).contains(&wait_ms), "{wait_ms}");

    f.advance(2500);
    let settled = queue.deliver_due(&fake, Batch::default());
    let [Settled::GaveUp { item, why }] = &settled[..] else {
        panic!("{settled:?}");
    };
    assert_eq!(why, "the receiver answered 500");
    assert_eq!(item.id, id);
    assert!(matches!(&item.payload, Payload::Mail(m) if m.to == "ada@example.com"));
    assert!(pending(&f).is_empty());
    assert!(f.store.get(&outbound_dead_key(&id)).unwrap().is_some());
    f.advance(DEAD_LETTER_TTL_MS);
    assert!(f.store.get(&outbound_dead_key(&id)).unwrap().is_none());
    assert_eq!(fake.sent.borrow().len(), 3);
}

#[test]
fn a_request_the_receiver_calls_wrong_is_given_up_at_once() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Postmark);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    queue.enqueue_mail(&mail("not-an-address", "x")).unwrap();
    let fake = Fake::answering([Ok(422)]);
    let settled = queue.deliver_due(&fake, Batch::default());
    assert!(
        matches!(&settled[..], [Settled::GaveUp { .. }]),
        "{settled:?}"
    );
    assert!(pending(&f).is_empty());
}

/// A transport that, while the first instance's attempt is under way, lets a second instance
/// drain the same store: it must leave the claimed item alone.
struct Overlapping<'a> {
    f: &'a Fixture,
    settings: &'a OutboundSettings,
    inner: Fake,
    second: Fake,
}

impl Transport for Overlapping<'_> {
    fn post(&self, request: &OutboundRequest) -> Result<u16, String> {
        let other = Outbound::new(&self.f.store, &self.f.env, self.settings);
        let settled = other.deliver_due(&self.second, Batch::default());
        assert!(settled.is_empty(), "{settled:?}");
        self.inner.post(request)
    }
}

#[test]
fn two_instances_draining_at_once_never_attempt_one_item_together() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Json);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    queue.enqueue_mail(&mail("ada@example.com", "one")).unwrap();
    let transport = Overlapping {
        f: &f,
        settings: &settings,
        inner: Fake::default(),
        second: Fake::default(),
    };
    let settled = queue.deliver_due(&transport, Batch::default());
    assert_eq!(settled.len(), 1);
    assert_eq!(transport.inner.sent.borrow().len(), 1);
    assert!(transport.second.sent.borrow().is_empty());
    assert!(pending(&f).is_empty());
}

/// A store whose next write of a pending item is beaten by another instance's claim: the
/// compare-and-swap fails and this instance leaves the item.
struct Contended<'a> {
    inner: &'a crate::MemStore,
    beat_next_claim: std::cell::Cell<bool>,
}

impl Store for Contended<'_> {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        self.inner.get(key)
    }
    fn write(&self, write: Write<'_>) -> Result<u64, StoreError> {
        if self.beat_next_claim.replace(false) && write.key.starts_with(OUTBOUND_PENDING_PREFIX) {
            // The rival's claim lands first.
            self.inner.put(write.key, write.value, None, None)?;
        }
        self.inner.write(write)
    }
    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError> {
        self.inner.delete(key, expect_version)
    }
    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError> {
        self.inner.list(page)
    }
}

#[test]
fn a_lost_claim_is_left_to_the_winner() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Json);
    Outbound::new(&f.store, &f.env, &settings)
        .enqueue_mail(&mail("ada@example.com", "one"))
        .unwrap();
    let store = Contended {
        inner: &f.store,
        beat_next_claim: std::cell::Cell::new(true),
    };
    let fake = Fake::default();
    let settled = Outbound::new(&store, &f.env, &settings).deliver_due(&fake, Batch::default());
    assert!(settled.is_empty(), "{settled:?}");
    assert!(fake.sent.borrow().is_empty());
    assert_eq!(pending(&f).len(), 1);
}

/// An instance that died while attempting leaves its claim; once the lease runs out the item
/// is attempted again (at least once).
#[test]
fn a_claim_whose_instance_died_runs_out() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Json);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    queue.enqueue_mail(&mail("ada@example.com", "one")).unwrap();
    let (key, mut item) = pending(&f).remove(0);
    item.attempts = 1;
    item.claimed_until_ms = f.env.now_ms() + LEASE_MS;
    f.store
        .put(&key, &serde_json::to_vec(&item).unwrap(), None, None)
        .unwrap();
    let fake = Fake::default();
    assert!(queue.deliver_due(&fake, Batch::default()).is_empty());
    f.advance(LEASE_MS + 1);
    let settled = queue.deliver_due(&fake, Batch::default());
    assert!(
        matches!(&settled[..], [Settled::Delivered { .. }]),
        "{settled:?}"
    );
}

#[test]
fn a_pass_attempts_a_bounded_batch_oldest_first() {
    let f = Fixture::new();
    let settings = mail_settings(MailFormat::Json);
    let queue = Outbound::new(&f.store, &f.env, &settings);
    for n in 0..7 {
        queue
            .enqueue_mail(&mail(&format!("u{n}@example.com"), "x"))
            .unwrap();
        f.advance(1);
    }
    let fake = Fake::default();
    assert_eq!(queue.deliver_due(&fake, Batch::default()).len(), 4);
    let to: Vec<Value> = fake.bodies().iter().map(|b| b["to"].clone()).collect();
    assert_eq!(
        to,
        [
            "u0@example.com",
            "u1@example.com",
            "u2@example.com",
            "u3@example.com"
        ]
    );
    assert_eq!(queue.deliver_due(&fake, Batch::default()).len(), 3);
    // No time left for an attempt: none starts.
    queue.enqueue_mail(&mail("late@example.com", "x")).unwrap();
    let tight = Batch {
        budget_ms: 1000,
        ..Batch::default()
    };
    assert!(queue.deliver_due(&fake, tight).is_empty());
}

/// Past the hourly allowance items are refused (and the caller logs them); every one is
/// counted first, and the next hour has a fresh allowance. Events have their own
/// (`admission_tests` holds the per-recipient and per-account buckets).
#[test]
fn the_queue_takes_a_bounded_number_of_items_an_hour() {
    let f = Fixture::new();
    let settings = OutboundSettings {
        max_per_hour: 2,
        webhook_url: Some("https://hooks.example/in".into()),
        webhook_secret: Some(WebhookSecret::from_bytes(vec![1; 32])),
        ..mail_settings(MailFormat::Json)
    };
    let queue = Outbound::new(&f.store, &f.env, &settings);
    let m = mail("ada@example.com", "x");
    assert!(queue.enqueue_mail(&m).is_ok());
    assert!(queue.enqueue_mail(&m).is_ok());
    assert!(matches!(queue.enqueue_mail(&m), Err(Refused::Full)));
    assert!(matches!(queue.enqueue_mail(&m), Err(Refused::Full)));
    let event = Event {
        kind: EventKind::Registered,
        user_id: None,
        address: None,
        at_ms: 0,
        actor: None,
        action: None,
    };
    assert!(queue.enqueue_event(&event).is_ok());
    assert_eq!(pending(&f).len(), 3);
    f.advance(3600 * 1000);
    assert!(queue.enqueue_mail(&m).is_ok());
}

#[test]
fn nothing_is_queued_where_nothing_is_set() {
    let f = Fixture::new();
    let settings = OutboundSettings::default();
    let queue = Outbound::new(&f.store, &f.env, &settings);
    assert_eq!(
        queue.enqueue_mail(&mail("a@example.com", "x")).unwrap(),
        None
    );
    assert!(pending(&f).is_empty());
    assert!(
        queue
            .deliver_due(&Fake::default(), Batch::default())
            .is_empty()
    );
}

#[test]
fn settings_are_read_checked_and_keep_their_secrets() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let base = [(
        "SESAME_SECRET",
        "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE",
    )];
    let read = |extra: &[(&'static str, &'static str)]| {
        crate::Config::from_vars(base.iter().chain(extra).copied())
    };
    let config = read(&[
        ("SESAME_MAIL_API_URL", "https://api.postmarkapp.com/email"),
        ("SESAME_MAIL_API_FORMAT", "postmark"),
        ("SESAME_MAIL_API_TOKEN", "server-token-xyz"),
        ("SESAME_WEBHOOK_URL", "http://127.0.0.1:9/hooks"),
        ("SESAME_WEBHOOK_SECRET", secret),
        ("SESAME_OUTBOUND_MAX_ATTEMPTS", "4"),
    ])
    .unwrap();
    let outbound = &config.outbound;
    assert_eq!(outbound.mail_api_format, MailFormat::Postmark);
    assert_eq!(outbound.max_attempts, 4);
    assert_eq!(outbound.mail_from, settings::DEFAULT_MAIL_FROM);
    let shown = format!("{config:?}");
    assert!(
        !shown.contains("server-token-xyz") && !shown.contains(&secret[6..]),
        "{shown}"
    );

    for (bad, why) in [
        (
            &[("SESAME_MAIL_API_URL", "ftp://x")][..],
            "http:// or https://",
        ),
        (
            &[("SESAME_MAIL_API_FORMAT", "smtp")][..],
            "json, postmark, resend",
        ),
        (
            &[("SESAME_WEBHOOK_URL", "https://h.example/")][..],
            "SESAME_WEBHOOK_SECRET",
        ),
        (&[("SESAME_WEBHOOK_SECRET", "whsec_c2hvcnQ=")][..], "bytes"),
        (
            &[
                ("SESAME_MAIL_API_URL", "https://api.resend.com/emails"),
                ("SESAME_MAIL_API_FORMAT", "resend"),
            ][..],
            "SESAME_MAIL_API_TOKEN",
        ),
        (&[("SESAME_OUTBOUND_MAX_ATTEMPTS", "0")][..], "positive"),
    ] {
        let error = read(bad).expect_err(why).to_string();
        assert!(error.contains(why), "{error}");
    }
    let error = read(&[("SESAME_WEBHOOK_SECRET", "whsec_%%%%secretish%%%%")])
        .unwrap_err()
        .to_string();
    assert!(!error.contains("secretish"), "{error}");

    let request = OutboundRequest {
        url: "https://x.example/".into(),
        headers: vec![("authorization".into(), "Bearer tok-123".into())],
        body: b"{}".to_vec(),
    };
    assert!(!format!("{request:?}").contains("tok-123"));
}
