//! The Spin component delivering mail and account events over HTTP, end to end: the real
//! component in `spin-test-host`, a manifest that lets it reach a stand-in provider on
//! loopback (`sesame_tests::provider`), and registrations over real HTTP. A request only
//! queues; the instance delivers after its answer, so these tests poke the component with
//! cheap requests until what they wait for has arrived.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sesame_tests::accounts::PASSWORD;
use sesame_tests::provider::{Mode, Provider, Received};
use sesame_tests::webhooks::{Answers, Receiver};
use sesame_tests::{Server, spin_command_with_manifest, spin_manifest_allowing};

/// The provider's token: it must reach the provider and nowhere else.
const TOKEN: &str = "tok-f00d-cafe-secret";

/// A webhook secret (32 bytes of 7s).
const WEBHOOK_SECRET: &str = "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// How long a test waits for deliveries.
const PATIENCE: Duration = Duration::from_secs(90);

/// The component with the repository's `spin.toml`, but allowing `allowed` as outbound hosts,
/// given `variables`; its log goes to `dir/spin.log`.
struct Spin {
    server: Server,
    log: PathBuf,
}

impl Spin {
    fn start(dir: &Path, allowed: &[String], variables: &[(&str, String)]) -> Spin {
        let store = dir.join("sesame.db");
        let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let manifest = spin_manifest_allowing(&store, &allowed);
        let log = dir.join("spin.log");
        let mut cmd = spin_command_with_manifest(&manifest, &store);
        // Many registrations from one address, and quick retries.
        for (name, value) in [
            ("throttle_register_per_ip", "1000".to_owned()),
            ("outbound_retry_base_ms", "200".to_owned()),
        ]
        .iter()
        .chain(variables)
        {
            cmd.arg("--variable").arg(format!("{name}={value}"));
        }
        cmd.stderr(std::fs::File::create(&log).unwrap());
        Spin {
            server: Server::spawn(cmd),
            log,
        }
    }

    /// A cheap request: each one lets the instance deliver a few due items after it.
    fn poke(&self) {
        assert_eq!(
            self.server.get("/healthz", &[]).status,
            200,
            "{}",
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// Waits until the log holds every one of `needles`.
    fn wait_for_log(&self, needles: &[&str]) -> String {
        let started = std::time::Instant::now();
        loop {
            let log = self.log();
            if needles.iter().all(|n| log.contains(n)) {
                return log;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{needles:?} not logged: {log}"
            );
            self.poke();
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A failed test shows what the component logged.
impl Drop for Spin {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the component's log ---\n{}", self.log());
        }
    }
}

fn allow(provider: &Provider) -> Vec<String> {
    vec![format!("http://127.0.0.1:{}", provider.port)]
}

fn mail_variables(provider: &Provider, format: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mail_api_url", provider.url("/send")),
        ("mail_api_format", format.to_owned()),
        ("mail_api_token", TOKEN.to_owned()),
        ("mail_from", "Sesame <no-reply@sesame.test>".to_owned()),
    ]
}

/// The recipients of the mails the provider accepted (2xx), whatever the format.
fn delivered_to(received: &[Received]) -> BTreeSet<String> {
    received
        .iter()
        .filter(|r| r.answered.is_some_and(|s| (200..300).contains(&s)))
        .map(|r| {
            let body = r.json();
            let to = body.get("to").or_else(|| body.get("To")).unwrap();
            to.as_str()
                .unwrap_or_else(|| to[0].as_str().unwrap())
                .to_owned()
        })
        .collect()
}

/// A registration's confirmation mail reaches the provider in each format, with the token in
/// the format's header, the link in the text, and the token in no log line.
#[test]
fn confirmation_mail_reaches_the_provider_in_each_format() {
    for format in ["json", "postmark", "resend"] {
        let dir = tempfile::tempdir().unwrap();
        let provider = Provider::start();
        let spin = Spin::start(
            dir.path(),
            &allow(&provider),
            &mail_variables(&provider, format),
        );
        let email = format!("ada-{format}@example.com");
        spin.server.register(&email, PASSWORD);
        let received = provider.wait_for(
            "the confirmation mail",
            PATIENCE,
            || spin.poke(),
            |r| !r.is_empty(),
        );
        assert_eq!(received.len(), 1, "{format}: {received:#?}");
        let mail = &received[0];
        assert_eq!(mail.path, "/send");
        assert_eq!(mail.header("content-type"), Some("application/json"));
        let body = mail.json();
        let (to, text, from) = match format {
            "postmark" => {
                assert_eq!(mail.header("x-postmark-server-token"), Some(TOKEN));
                assert_eq!(body["MessageStream"], "outbound");
                assert!(body["HtmlBody"].as_str().unwrap().contains("<html"));
                (
                    body["To"].clone(),
                    body["TextBody"].clone(),
                    body["From"].clone(),
                )
            }
            "resend" => {
                assert_eq!(
                    mail.header("authorization"),
                    Some(format!("Bearer {TOKEN}").as_str())
                );
                assert!(mail.header("idempotency-key").unwrap().starts_with("msg_"));
                (
                    body["to"][0].clone(),
                    body["text"].clone(),
                    body["from"].clone(),
                )
            }
            _ => {
                assert_eq!(
                    mail.header("authorization"),
                    Some(format!("Bearer {TOKEN}").as_str())
                );
                assert_eq!(mail.header("idempotency-key"), body["id"].as_str());
                (
                    body["to"].clone(),
                    body["text"].clone(),
                    body["from"].clone(),
                )
            }
        };
        assert_eq!(to, email.as_str(), "{format}");
        assert_eq!(from, "Sesame <no-reply@sesame.test>");
        assert!(
            text.as_str().unwrap().contains("/confirm"),
            "{format}: {body:#}"
        );
        let log = spin.log();
        assert!(
            log.contains("queued for delivery") && log.contains("delivered (200)"),
            "{log}"
        );
        assert!(!log.contains(TOKEN), "the token is logged: {log}");
        assert!(
            !log.contains("/confirm"),
            "a delivered mail is not logged: {log}"
        );
    }
}

/// Account events arrive as Standard Webhooks: the signature checks out with an HMAC computed
/// here, independently of Sesame's code, over `{id}.{timestamp}.{body}`.
#[test]
fn events_arrive_signed_as_standard_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let variables = [
        ("webhook_url", provider.url("/hooks")),
        ("webhook_secret", WEBHOOK_SECRET.to_owned()),
    ];
    let spin = Spin::start(dir.path(), &allow(&provider), &variables);
    spin.server.register("grace@example.com", PASSWORD);
    let received = provider.wait_for(
        "the registered event",
        PATIENCE,
        || spin.poke(),
        |r| r.iter().any(|d| d.json()["type"] == "registered"),
    );
    let delivery = received
        .iter()
        .find(|d| d.json()["type"] == "registered")
        .unwrap();
    let id = delivery.header("webhook-id").unwrap();
    let timestamp = delivery.header("webhook-timestamp").unwrap();
    let body = std::str::from_utf8(&delivery.body).unwrap();
    let key = STANDARD
        .decode(WEBHOOK_SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(
        delivery.header("webhook-signature"),
        Some(expected.as_str())
    );
    assert!(id.starts_with("msg_") && id.len() == 36, "{id}");
    assert_eq!(delivery.header("user-agent"), Some("Sesame-Webhooks"));
    let payload = delivery.json();
    assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(payload["data"]["user_id"].is_string(), "{payload:#}");
    assert!(!spin.log().contains(&WEBHOOK_SECRET[6..]));
}

/// One receiver serves both deployments: PyPI's `standardwebhooks` (tests/webhooks/receiver.py)
/// verifies the Spin component's deliveries and `sesame serve --webhook`'s with one secret, and
/// refuses each under another secret or with a byte changed. Skipped without the receiver's
/// Python (`scripts/test-webhooks --env`).
#[test]
fn one_receiver_verifies_spin_and_serve_alike() {
    let Some(python) = sesame_tests::webhooks::python() else {
        return;
    };
    let receiver = Receiver::start(&python, Answers::default());
    receiver.set_secret(WEBHOOK_SECRET);
    let origin = receiver.url.trim_end_matches("/hooks").to_owned();

    let dir = tempfile::tempdir().unwrap();
    let variables = [
        ("webhook_url", receiver.url.clone()),
        ("webhook_secret", WEBHOOK_SECRET.to_owned()),
    ];
    let spin = Spin::start(dir.path(), &[origin], &variables);
    spin.server.register("spin@example.com", PASSWORD);
    let serve = Server::start_with_env(
        &dir.path().join("serve.db"),
        &[
            ("SESAME_WEBHOOK", receiver.url.as_str()),
            ("SESAME_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ],
    );
    serve.register("serve@example.com", PASSWORD);

    let registered = |d: &serde_json::Value| d["payload"]["type"] == "registered";
    let deliveries = receiver.wait_for("a registration from each", |all| {
        spin.poke();
        all.iter().filter(|d| registered(d)).count() >= 2
    });
    for delivery in deliveries.iter().filter(|d| registered(d)) {
        assert_eq!(delivery["verified"], true, "{delivery:#}");
        assert_eq!(delivery["wrong_secret_rejected"], true, "{delivery:#}");
        assert_eq!(delivery["tampered_rejected"], true, "{delivery:#}");
        assert_eq!(delivery["content_type"], "application/json", "{delivery:#}");
        let data = delivery["payload"]["data"].as_object().unwrap();
        let keys: Vec<&String> = data.keys().collect();
        assert_eq!(keys, ["address", "at_ms", "user_id"], "{delivery:#}");
    }
    serve.stop();
}

/// The provider refuses connections, then answers 503, then hangs: every registration is
/// still answered at once (a request only queues), and once the provider is back, further
/// requests drain the queue until every confirmation mail has arrived, none lost.
#[test]
fn an_outage_delays_mail_but_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let mut variables = mail_variables(&provider, "json");
    variables.push(("outbound_max_attempts", "100".to_owned()));
    let spin = Spin::start(dir.path(), &allow(&provider), &variables);
    let mut expected = BTreeSet::new();
    let mut register = |n: usize| {
        let email = format!("user{n}@example.com");
        spin.server.register(&email, PASSWORD);
        expected.insert(email);
    };

    provider.set(Mode::Down);
    (0..3).for_each(&mut register);
    spin.wait_for_log(&["connection refused"]);
    provider.set(Mode::Answer(503));
    (3..6).for_each(&mut register);
    spin.wait_for_log(&["the receiver answered 503"]);
    provider.set(Mode::Hang);
    register(6);
    // The provider holds a delivery unanswered while the component answers more requests.
    provider.wait_for(
        "a hanging delivery",
        PATIENCE,
        || spin.poke(),
        |r| r.iter().any(|d| d.answered.is_none()),
    );
    (7..9).for_each(&mut register);
    assert!(delivered_to(&provider.received()).is_empty());

    provider.set(Mode::Answer(200));
    let received = provider.wait_for(
        "every mail",
        PATIENCE,
        || spin.poke(),
        |r| delivered_to(r) == expected,
    );
    assert_eq!(delivered_to(&received), expected);
    let log = spin.log();
    assert!(!log.contains("gave up"), "{log}");
    assert!(log.contains("no answer within"), "{log}");
}

/// Sesame's own mail throttles apply before anything is queued: registrations past the
/// per-address allowance are refused (429) and queue no mail, so the provider gets exactly the
/// mails of the registrations let through.
#[test]
fn throttled_registrations_queue_no_mail() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let mut variables = mail_variables(&provider, "json");
    variables.push(("throttle_register_per_ip", "2".to_owned()));
    let spin = Spin::start(dir.path(), &allow(&provider), &variables);
    let statuses: Vec<u16> = (0..5)
        .map(|n| {
            spin.server
                .post_credentials("/register", &format!("flood{n}@example.com"), PASSWORD)
                .status
        })
        .collect();
    assert_eq!(statuses, [202, 202, 429, 429, 429]);
    let received = provider.wait_for(
        "two mails",
        PATIENCE,
        || spin.poke(),
        |r| delivered_to(r).len() == 2,
    );
    for _ in 0..10 {
        spin.poke();
    }
    assert_eq!(provider.received().len(), received.len());
    assert_eq!(
        delivered_to(&received),
        BTreeSet::from([
            "flood0@example.com".to_owned(),
            "flood1@example.com".to_owned()
        ])
    );
    assert_eq!(spin.log().matches("queued for delivery").count(), 2);
}

/// The hourly allowance is per recipient: once one address has used up its own, its further
/// mail is logged instead of queued, while mail to another address still reaches the provider.
#[test]
fn a_flooded_address_holds_back_no_one_elses_mail() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let mut variables = mail_variables(&provider, "json");
    variables.push(("outbound_max_per_hour", "1".to_owned()));
    let spin = Spin::start(dir.path(), &allow(&provider), &variables);
    // The first mail to flood@ uses up its allowance; the reset mail after it is logged.
    spin.server.register("flood@example.com", PASSWORD);
    let reset = spin
        .server
        .post_json("/reset", &json!({"email": "flood@example.com"}), &[]);
    assert_eq!(reset.status, 202);
    spin.wait_for_log(&["mail not queued", "Reset your password"]);
    spin.server.register("victim@example.com", PASSWORD);
    let received = provider.wait_for(
        "the victim's mail",
        PATIENCE,
        || spin.poke(),
        |r| delivered_to(r).contains("victim@example.com"),
    );
    assert_eq!(
        delivered_to(&received),
        BTreeSet::from([
            "flood@example.com".to_owned(),
            "victim@example.com".to_owned()
        ])
    );
    assert_eq!(spin.log().matches("mail not queued").count(), 1);
}

/// Events naming no account (failed sign-ins for unknown names) share an allowance of their
/// own: once it is used up they are logged instead, while an account's events still reach the
/// webhook.
#[test]
fn anonymous_events_over_their_allowance_do_not_stop_a_users_events() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let variables = [
        ("webhook_url", provider.url("/hooks")),
        ("webhook_secret", WEBHOOK_SECRET.to_owned()),
        ("outbound_events_per_hour", "2".to_owned()),
    ];
    let spin = Spin::start(dir.path(), &allow(&provider), &variables);
    spin.server.register("grace@example.com", PASSWORD);
    for n in 0..3 {
        let failed = spin
            .server
            .attempt_login(&format!("nobody{n}@example.com"), "wrong password");
        assert_eq!(failed.status, 401);
    }
    spin.wait_for_log(&["event not queued"]);
    spin.server.login("grace@example.com", PASSWORD);
    let received = provider.wait_for(
        "grace's sign-in",
        PATIENCE,
        || spin.poke(),
        |r| r.iter().any(|d| d.json()["type"] == "login-succeeded"),
    );
    let types: Vec<String> = received
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types.iter().filter(|t| *t == "login-failed").count(),
        2,
        "{types:?}"
    );
    assert!(types.iter().any(|t| t == "registered"), "{types:?}");
    assert_eq!(spin.log().matches("event not queued").count(), 1);
}

/// Many requests draining one backlog at once, in parallel instances over one SQLite file:
/// each mail is claimed by one of them only, so with a healthy provider every mail arrives
/// exactly once.
#[test]
fn parallel_requests_drain_a_backlog_delivering_each_mail_once() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    provider.set(Mode::Down);
    let spin = Spin::start(
        dir.path(),
        &allow(&provider),
        &mail_variables(&provider, "json"),
    );
    let expected: BTreeSet<String> = (0..16).map(|n| format!("many{n}@example.com")).collect();
    for email in &expected {
        spin.server.register(email, PASSWORD);
    }
    provider.set(Mode::Answer(200));
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..10 {
                    spin.poke();
                }
            });
        }
    });
    let received = provider.wait_for(
        "every mail",
        PATIENCE,
        || spin.poke(),
        |r| delivered_to(r) == expected,
    );
    assert_eq!(received.len(), expected.len(), "a mail was delivered twice");
}

/// A provider that keeps failing: after the last attempt the mail is given up, and the log
/// holds it whole (recipient, subject, the link), so it is not lost, but never the token.
#[test]
fn the_last_failed_attempt_logs_the_mail_whole() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    provider.set(Mode::Answer(500));
    let mut variables = mail_variables(&provider, "postmark");
    variables.push(("outbound_max_attempts", "2".to_owned()));
    let spin = Spin::start(dir.path(), &allow(&provider), &variables);
    spin.server.register("lin@example.com", PASSWORD);
    let log = spin.wait_for_log(&[
        "gave up mail",
        "after 2 attempts",
        "lin@example.com",
        "/confirm",
    ]);
    assert!(log.contains("the receiver answered 500"), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
    assert_eq!(provider.received().len(), 2);
}

/// A provider the manifest does not allow: the test host refuses the request as Spin does
/// (`HttpRequestDenied`) and logs it, nothing reaches the provider, and the mail, given up,
/// is in the log.
#[test]
fn a_host_not_allowed_is_refused_and_the_mail_kept_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let elsewhere = vec![format!(
        "http://127.0.0.1:{}",
        provider.port.wrapping_add(1)
    )];
    let mut variables = mail_variables(&provider, "resend");
    variables.push(("outbound_max_attempts", "2".to_owned()));
    let spin = Spin::start(dir.path(), &elsewhere, &variables);
    spin.server.register("mo@example.com", PASSWORD);
    let log = spin.wait_for_log(&[
        "denied: not in the component's allowed_outbound_hosts",
        "HttpRequestDenied",
        "gave up mail",
        "mo@example.com",
    ]);
    assert!(!log.contains(TOKEN), "{log}");
    assert!(provider.received().is_empty());
}
