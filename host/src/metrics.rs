//! What `sesame serve` counts for its operator, served as OpenMetrics text on a listener of
//! its own (`--metrics-listen`, off by default), apart from the public one so a scrape never
//! competes with sign-ins and the figures never reach the internet by accident.
//!
//! Label values are bounded: routes are the component's route patterns (never raw paths,
//! which a client could make up), methods the standard ones, failure causes a fixed list.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// A route label: the route pattern that answered, or `unmatched`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabel {
    route: String,
}

/// One answered request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

/// A sign-in attempt: how, and how it went.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: String,
    result: String,
}

/// One label named `kind`, `cause`, `op` or `state`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabel {
    cause: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabel {
    op: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets from 0.25 ms to about 8 s: a session check takes well under a millisecond,
/// a sign-in tens of milliseconds, a slow store seconds.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Every figure `sesame serve` keeps.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histograms<RouteLabel>,
    sign_ins: Family<SignInLabels, Counter>,
    throttled: Family<RouteLabel, Counter>,
    events: Family<KindLabel, Counter>,
    lockouts: Counter,
    instances: Family<StateLabel, Gauge>,
    component_failures: Family<CauseLabel, Counter>,
    store_seconds: Histograms<OpLabel>,
    store_errors: Family<OpLabel, Counter>,
    mail_queue: Family<StateLabel, Gauge>,
    webhook_queue: Family<StateLabel, Gauge>,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("sesame");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let request_seconds: Histograms<RouteLabel> = Family::new_with_constructor(latency);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's whole arrival to its answer, by route",
            request_seconds.clone(),
        );
        let sign_ins = Family::default();
        registry.register(
            "sign_ins",
            "Sign-in attempts by method (password, passkey, totp, recovery-code) and result (success, failure, throttled)",
            sign_ins.clone(),
        );
        let throttled: Family<RouteLabel, Counter> = Family::default();
        registry.register(
            "throttled",
            "Requests refused with 429 by a throttle or lockout, by route",
            throttled.clone(),
        );
        let events = Family::default();
        registry.register(
            "events",
            "Account events handed to the host, by kind",
            events.clone(),
        );
        let lockouts = Counter::default();
        registry.register(
            "lockouts",
            "Accounts locked after too many failed sign-ins",
            lockouts.clone(),
        );
        let instances: Family<StateLabel, Gauge> = Family::default();
        registry.register(
            "instances",
            "Component instances answering a request (in_use) or kept for the next (idle)",
            instances.clone(),
        );
        let component_failures: Family<CauseLabel, Counter> = Family::default();
        registry.register(
            "component_failures",
            "Requests the component failed to answer, by cause (deadline-exceeded, memory-limit, trap, instance-pool-exhausted, ...)",
            component_failures.clone(),
        );
        let store_seconds: Histograms<OpLabel> = Family::new_with_constructor(latency);
        registry.register(
            "store_operation_duration_seconds",
            "Time of one store operation, by operation",
            store_seconds.clone(),
        );
        let store_errors: Family<OpLabel, Counter> = Family::default();
        registry.register(
            "store_errors",
            "Store operations that failed (unavailable), by operation",
            store_errors.clone(),
        );
        let mail_queue: Family<StateLabel, Gauge> = Family::default();
        registry.register(
            "mail_queue_messages",
            "Messages in the outbound mail queue, pending or dead, as of the last look",
            mail_queue.clone(),
        );
        let webhook_queue: Family<StateLabel, Gauge> = Family::default();
        registry.register(
            "webhook_queue_deliveries",
            "Webhook deliveries in the queue, pending or dead, as of the last look",
            webhook_queue.clone(),
        );
        // Series that start at zero are created now, so dashboards and alerts see a zero
        // rather than no series before the first event.
        for route in THROTTLED_ROUTES {
            throttled
                .get_or_create(&RouteLabel {
                    route: (*route).to_owned(),
                })
                .inc_by(0);
        }
        for cause in FAILURE_CAUSES {
            component_failures
                .get_or_create(&CauseLabel {
                    cause: (*cause).to_owned(),
                })
                .inc_by(0);
        }
        for op in ["get", "put", "delete", "scan"] {
            store_errors
                .get_or_create(&OpLabel { op: op.to_owned() })
                .inc_by(0);
        }
        for state in ["pending", "dead"] {
            mail_queue
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(0);
            webhook_queue
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(0);
        }
        for state in ["in_use", "idle"] {
            instances
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(0);
        }
        Metrics {
            registry,
            requests,
            request_seconds,
            sign_ins,
            throttled,
            events,
            lockouts,
            instances,
            component_failures,
            store_seconds,
            store_errors,
            mail_queue,
            webhook_queue,
        }
    }

    /// Counts one answered request. `route` is the component's route pattern (`None`: no route
    /// matched, or the host answered itself).
    pub(crate) fn request(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        let route = route.unwrap_or("unmatched").to_owned();
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: method.to_owned(),
                status: status.to_string(),
            })
            .inc();
        let label = RouteLabel { route };
        self.request_seconds
            .get_or_create(&label)
            .observe(took.as_secs_f64());
        if status == 429 {
            self.throttled.get_or_create(&label).inc();
        }
        if method == "POST"
            && let Some(how) = sign_in_method(&label.route)
        {
            let result = match status {
                200..=399 => "success",
                429 => "throttled",
                _ => "failure",
            };
            self.sign_ins
                .get_or_create(&SignInLabels {
                    method: how.to_owned(),
                    result: result.to_owned(),
                })
                .inc();
        }
    }

    /// Counts an account event the component handed over.
    pub(crate) fn event(&self, kind: &str) {
        self.events
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
        if kind == "locked" {
            self.lockouts.inc();
        }
    }

    /// Counts a request the component did not answer.
    pub(crate) fn component_failure(&self, cause: &str) {
        self.component_failures
            .get_or_create(&CauseLabel {
                cause: cause.to_owned(),
            })
            .inc();
    }

    /// Sets the instances kept idle for the next request.
    pub(crate) fn idle_instances(&self, idle: usize) {
        self.instances
            .get_or_create(&StateLabel {
                state: "idle".to_owned(),
            })
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
    }

    /// The gauge of instances answering a request now.
    pub(crate) fn instances_in_use(&self) -> Gauge {
        self.instances
            .get_or_create(&StateLabel {
                state: "in_use".to_owned(),
            })
            .clone()
    }

    /// Times one store operation; `failed` when the back end was unavailable.
    pub(crate) fn store_operation(&self, op: &'static str, took: Duration, failed: bool) {
        let label = OpLabel { op: op.to_owned() };
        self.store_seconds
            .get_or_create(&label)
            .observe(took.as_secs_f64());
        if failed {
            self.store_errors.get_or_create(&label).inc();
        }
    }

    /// Sets the mail queue's depth as last seen.
    pub(crate) fn mail_queue(&self, pending: i64, dead: i64) {
        for (state, value) in [("pending", pending), ("dead", dead)] {
            self.mail_queue
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(value);
        }
    }

    /// Sets the webhook queue's depth as last seen.
    pub(crate) fn webhook_queue(&self, pending: i64, dead: i64) {
        for (state, value) in [("pending", pending), ("dead", dead)] {
            self.webhook_queue
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(value);
        }
    }

    /// The figures as OpenMetrics text.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// How a sign-in route signs people in, for the `sign_ins` metric; `None` for other routes.
fn sign_in_method(route: &str) -> Option<&'static str> {
    Some(match route {
        "/login" | "/tokens" => "password",
        "/wan-signin-response" => "passkey",
        "/tf-validate" => "totp",
        "/mf-recovery" => "recovery-code",
        _ => return None,
    })
}

/// The routes whose throttles answer 429, shown at zero from the start.
const THROTTLED_ROUTES: &[&str] = &[
    "/login",
    "/register",
    "/reset",
    "/tokens",
    "/verify",
    "/wan-signin",
    "/tf-validate",
    "/mf-recovery",
    "/oauth/token",
];

/// The causes `sesame_sandbox::cause` names, shown at zero from the start.
const FAILURE_CAUSES: &[&str] = &[
    "instance-pool-exhausted",
    "deadline-exceeded",
    "memory-limit",
    "stack-overflow",
    "trap-unreachable",
    "trap",
    "host-error",
];

/// The process's figures.
pub(crate) fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

/// The OpenMetrics content type, as Prometheus asks for it.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Scrapes served at once; a connection beyond them is answered 503 at once. Scrapers are a
/// few Prometheus servers, so this only bounds what stray clients could hold.
const MAX_SCRAPES: usize = 8;

/// How long a scraper may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves `GET /metrics` on `listener` until the process ends; anything else is 404. One
/// request per connection, its head within [`HEAD_TIMEOUT`], so idle or slow clients cannot
/// keep the slots from Prometheus.
pub(crate) async fn serve(listener: TcpListener) {
    let local: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?local, "metrics listening");
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPES));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let slot = slots.clone().try_acquire_owned().ok();
        tokio::spawn(async move {
            let full = slot.is_none();
            let service = hyper::service::service_fn(
                move |req: hyper::Request<hyper::body::Incoming>| async move {
                    Ok::<_, std::convert::Infallible>(answer(full, req.uri().path()))
                },
            );
            let connection = http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Some(HEAD_TIMEOUT))
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            // A scraper that stalls while reading the answer is cut off too.
            let _ = tokio::time::timeout(Duration::from_secs(10), connection).await;
            drop(slot);
        });
    }
}

/// The answer to a request for `path`; 503 when every slot is taken.
fn answer(full: bool, path: &str) -> hyper::Response<Full<Bytes>> {
    let (status, content_type, body) = if full {
        (
            hyper::StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            Bytes::from_static(b"busy\n"),
        )
    } else if path == "/metrics" {
        (
            hyper::StatusCode::OK,
            CONTENT_TYPE,
            Bytes::from(metrics().encode()),
        )
    } else {
        (
            hyper::StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found\n"),
        )
    };
    let mut answer = hyper::Response::new(Full::new(body));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    answer
}
