//! `sesame serve`: accepts HTTP/1.1 connections and answers each request with an instance of
//! the component: an idle one that served earlier requests cleanly, or a fresh one created
//! from the pre-linked component (see `instances`).
//!
//! Every connection is admitted under the caps of `connections` and watched by its deadlines
//! (whole request, idle), so slow or greedy clients cannot hold the server's descriptors.
//!
//! A request reaches the component whole, through its typed `sesame:auth/routes` export, and
//! its answer comes back whole: Sesame's requests and answers are small and bounded, so there
//! is nothing to stream, and one call replaces the dozen resource calls of `wasi:http`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use sesame_sandbox::Sandbox;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::bindings::routes;
use crate::connections::{self, Admission, ConnectionClock, ConnectionLimits, Watched};
use crate::engine::Runtime;
use crate::instances::IdleInstance;
use crate::metrics::metrics;

/// Largest buffered request head, in bytes. Sesame's requests carry one cookie and a few
/// headers; 64 KiB is generous and keeps a connection's memory bounded.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Most body bytes handed to the component: one past the component's own 64 KiB limit, so it
/// can tell an oversized body (and answer `payload-too-large`) without the host buffering all
/// of it. A larger figure here would only cost memory; a smaller one would refuse valid bodies.
const MAX_BODY_BYTES: usize = 64 * 1024 + 1;

/// What answers carry as their body.
type Body = Full<Bytes>;

/// Serves until `stop` turns true, then drains: stops accepting (the listener closes, so a
/// load balancer's next connection goes to another node, after the connections already
/// waiting in its backlog are taken), lets every request in flight finish and closes idle
/// keep-alive connections, waiting at most `drain` for that.
pub(crate) async fn serve(
    runtime: Runtime,
    listener: TcpListener,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    drain: Duration,
) -> Result<()> {
    let local = listener.local_addr()?;
    tracing::info!(%local, max_connections = limits.max_connections, max_per_address = limits.max_per_address, "listening");
    let server = Connections {
        runtime: Arc::new(runtime),
        admission: Admission::new(limits.clone()),
        limits: Arc::new(limits),
        stop: stop.clone(),
    };
    let mut open = JoinSet::new();
    loop {
        // Finished connections are reaped as we go, so the set holds only live ones.
        while open.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok((stream, peer)) => server.open(&mut open, stream, peer),
            Err(e) => {
                // Out of file descriptors and the like: wait and go on rather than exit.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // Connections the kernel completed before the stop are taken too: closing the listener
    // would reset them, requests and all.
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await
    {
        server.open(&mut open, stream, peer);
    }
    drop(listener);
    let in_flight = open.len();
    tracing::info!(
        connections = in_flight,
        "stopping: no new connections; finishing requests in flight"
    );
    let drained =
        tokio::time::timeout(drain, async { while open.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            connections = open.len(),
            drain_ms = drain.as_millis(),
            "stopping with requests still in flight after the drain time"
        );
        open.shutdown().await;
    }
    Ok(())
}

/// What every connection of the server shares.
struct Connections {
    runtime: Arc<Runtime>,
    admission: Arc<Admission>,
    limits: Arc<ConnectionLimits>,
    stop: watch::Receiver<bool>,
}

impl Connections {
    /// Admits an accepted connection under the caps and serves it in a task of `open`.
    fn open(&self, open: &mut JoinSet<()>, stream: tokio::net::TcpStream, peer: SocketAddr) {
        // Over a cap: answered and closed here, so the accept loop never waits on a client.
        let admitted = match self.admission.admit(peer.ip()) {
            Ok(admitted) => admitted,
            Err(cap) => {
                tracing::debug!(%peer, ?cap, "connection refused: over a cap");
                connections::refuse(stream);
                return;
            }
        };
        // Answers are small and written whole; sending them at once saves a round trip's
        // delay on keep-alive connections.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "cannot disable Nagle's algorithm");
        }
        let runtime = self.runtime.clone();
        let limits = self.limits.clone();
        let stop = self.stop.clone();
        open.spawn(async move {
            let clock = ConnectionClock::new();
            let service = {
                let clock = clock.clone();
                hyper::service::service_fn(move |req| {
                    let runtime = runtime.clone();
                    let clock = clock.clone();
                    // Every failure becomes an answer: hyper would otherwise just drop the
                    // connection, which tells the client nothing.
                    async move {
                        clock.head_parsed();
                        let answer = handle(runtime, req, peer, &clock).await;
                        clock.answered();
                        Ok::<_, std::convert::Infallible>(answer)
                    }
                })
            };
            // No header timeout of hyper's own: the connection's clock bounds the head and
            // the body together, and the wait between requests apart.
            let connection = http1::Builder::new()
                .keep_alive(true)
                .timer(TokioTimer::new())
                .header_read_timeout(None)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(Watched::new(stream, clock.clone())), service);
            match connections::watched(closing_on(connection, stop, &clock), &clock, &limits).await
            {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                None => tracing::debug!(%peer, "connection closed: past its deadline"),
            }
            drop(admitted);
        });
    }
}

/// How long a stopping server still lets a connection start a request: enough for a client
/// whose request was on its way, far less than a client trickling a head would want.
const LAST_CALL: Duration = Duration::from_millis(500);

/// Runs an HTTP/1 connection until `stop` turns true; then a request being answered, or one
/// whose head and body arrive within [`LAST_CALL`], is answered with `Connection: close` and
/// the connection ends. A connection with no request in flight by then, idle or still sending
/// a head or a body, ends at once: a client trickling bytes must not hold a stopping server
/// for its whole drain time.
async fn closing_on<I, S>(
    connection: http1::Connection<I, S>,
    mut stop: watch::Receiver<bool>,
    clock: &ConnectionClock,
) -> hyper::Result<()>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = Body>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(connection);
    let mut last_call: Option<tokio::time::Instant> = None;
    let mut closing = false;
    loop {
        let until_last_call = async {
            match last_call {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            done = connection.as_mut() => return done,
            _ = stop.wait_for(|stop| *stop), if last_call.is_none() && !closing => {
                last_call = Some(tokio::time::Instant::now() + LAST_CALL);
            }
            () = until_last_call, if !closing => {
                if !clock.in_request() {
                    return Ok(());
                }
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Answers one request with an idle instance or a new one.
async fn handle(
    runtime: Arc<Runtime>,
    req: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
    clock: &ConnectionClock,
) -> hyper::Response<Body> {
    let request_id = request_id(req.headers());
    let method = req.method().as_str().to_owned();
    let request = match typed_request(req, peer).await {
        Ok(request) => request,
        Err(refusal) => return finish(refusal, &request_id, &method, peer, Instant::now()),
    };
    // Read whole: from here the component's own deadline bounds the request.
    clock.body_read();
    let started = Instant::now();
    let in_use = metrics().instances_in_use();
    in_use.inc();
    // The call runs in a task of its own, so a client that hangs up mid-request does not cut
    // the component off between two of its store writes.
    let task = tokio::spawn(async move {
        let generation = runtime.settings_generation();
        let (mut store, ready, served, generation) = match runtime.instances().take(generation) {
            Some(idle) => (idle.store, Some(idle.routes), idle.served, idle.generation),
            None => {
                let (store, generation) = runtime.new_store();
                (store, None, 0, generation)
            }
        };
        Sandbox::begin_request(&mut store);
        let routes = match ready {
            Some(routes) => routes,
            None => runtime.instantiate_routes(&mut store).await?,
        };
        let response = routes.call_handle(&mut store, &request).await?;
        // Only an instance that finished cleanly serves again; one that trapped, ran out of
        // time or memory is dropped here by the `?` above.
        runtime.instances().give_back(IdleInstance {
            store,
            routes,
            served: served.saturating_add(1),
            generation,
        });
        Ok(response)
    });
    let outcome = joined(task.await);
    in_use.dec();
    let answer = match outcome {
        Ok(response) => hyper_response(response),
        Err(why) if sesame_sandbox::is_pool_exhausted(&why) => {
            metrics().component_failure("instance-pool-exhausted");
            log_failure(&why, "no free instance slot for the request");
            busy()
        }
        Err(why) => {
            // A trap ends only this instance; it is never reused.
            metrics().component_failure(sesame_sandbox::cause(&why));
            log_failure(&why, "request failed inside the component");
            fault()
        }
    };
    finish(answer, &request_id, &method, peer, started)
}

/// The header that carries a request's id, in the request (from a proxy) and in every answer.
const REQUEST_ID: &str = "x-request-id";

/// The request's id: the one a proxy in front sent, when it looks like an id (letters, digits,
/// `-`, `_`, `.`, at most 64), else a fresh random one, so log lines and answers can be matched
/// across the proxy and Sesame.
fn request_id(headers: &hyper::HeaderMap) -> String {
    let sent = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    match sent {
        Some(id) => id.to_owned(),
        None => {
            let mut bytes = [0u8; 12];
            // Without randomness the id is only less unique; the request still gets one.
            let _ = getrandom::fill(&mut bytes);
            hex::encode(bytes)
        }
    }
}

/// Takes the component's log facts out of `answer` (they are for this host only), adds the
/// request id, logs the request on one line and counts it.
fn finish(
    mut answer: hyper::Response<Body>,
    request_id: &str,
    method: &str,
    peer: SocketAddr,
    started: Instant,
) -> hyper::Response<Body> {
    let headers = answer.headers_mut();
    let route = take_header(headers, INTERNAL_ROUTE);
    let user_id = take_header(headers, INTERNAL_USER);
    if let Ok(value) = hyper::header::HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, value);
    }
    let took = started.elapsed();
    let status = answer.status().as_u16();
    tracing::info!(
        target: "sesame::request",
        request_id,
        method,
        route = route.as_deref().unwrap_or("unmatched"),
        status,
        latency_ms = took.as_secs_f64() * 1000.0,
        user_id = user_id.as_deref().unwrap_or("-"),
        peer = %peer.ip(),
        "request"
    );
    metrics().request(route.as_deref(), method, status, took);
    answer
}

/// The header naming the route that answered (see the WIT `routes` interface).
const INTERNAL_ROUTE: &str = "sesame-internal-route";

/// The header naming the signed-in user a route checked.
const INTERNAL_USER: &str = "sesame-internal-user";

/// Removes every `name` header and returns the first one's value.
fn take_header(headers: &mut hyper::HeaderMap, name: &'static str) -> Option<String> {
    let first = headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    while headers.remove(name).is_some() {}
    first
}

/// The request as the component's `routes` export takes it: the head, at most
/// [`MAX_BODY_BYTES`] of the body, and the connection's address. A request the component could
/// not be given (no usable `Host`, a body that broke off) is answered here with a 400.
async fn typed_request(
    req: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> Result<routes::Request, hyper::Response<Body>> {
    let (head, body) = req.into_parts();
    let host = head
        .headers
        .get(hyper::header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| head.uri.authority().map(|a| a.as_str().to_owned()))
        .filter(|host| host.parse::<http::uri::Authority>().is_ok());
    let Some(host) = host else {
        tracing::debug!("refusing a request without a valid Host");
        return Err(json_error(
            hyper::StatusCode::BAD_REQUEST,
            r#"{"error":{"code":"invalid-request","message":"The request needs a valid Host header."}}"#,
        ));
    };
    let body = read_body(body).await.map_err(|e| {
        tracing::debug!(error = %e, "the request body broke off");
        json_error(
            hyper::StatusCode::BAD_REQUEST,
            r#"{"error":{"code":"invalid-request","message":"The request body could not be read to its end."}}"#,
        )
    })?;
    let mut headers: Vec<(String, Vec<u8>)> = Vec::with_capacity(head.headers.len() + 1);
    if !head.headers.contains_key(hyper::header::HOST) {
        headers.push(("host".to_owned(), host.into_bytes()));
    }
    headers.extend(
        head.headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec())),
    );
    let path_with_query = head
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    Ok(routes::Request {
        method: head.method.as_str().to_owned(),
        path_with_query,
        headers,
        body,
        client_address: Some(peer.ip().to_string()),
    })
}

/// Reads the body up to [`MAX_BODY_BYTES`]; the rest is left unread (and the connection closed
/// by hyper rather than drained).
async fn read_body(mut body: hyper::body::Incoming) -> Result<Vec<u8>, hyper::Error> {
    let mut bytes = Vec::new();
    while bytes.len() < MAX_BODY_BYTES {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame?.into_data() {
            let take = data.len().min(MAX_BODY_BYTES - bytes.len());
            bytes.extend_from_slice(&data[..take]);
        }
    }
    Ok(bytes)
}

/// The component's answer as hyper's, with its length announced.
fn hyper_response(response: routes::Response) -> hyper::Response<Body> {
    let status = hyper::StatusCode::from_u16(response.status);
    let mut answer = hyper::Response::new(Full::new(Bytes::from(response.body)));
    let Ok(status) = status else {
        tracing::error!(
            status = response.status,
            "the component answered an invalid status"
        );
        return fault();
    };
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.reserve(response.headers.len());
    for (name, value) in response.headers {
        let name = hyper::header::HeaderName::from_bytes(name.as_bytes());
        let value = hyper::header::HeaderValue::from_str(&value);
        match (name, value) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => {
                tracing::error!("the component answered a header that is not valid HTTP");
                return fault();
            }
        }
    }
    answer
}

/// The outcome of the instance's task, with a panic or cancellation as an error too.
fn joined<T>(result: Result<wasmtime::Result<T>, tokio::task::JoinError>) -> wasmtime::Result<T> {
    match result {
        Ok(outcome) => outcome,
        Err(e) => Err(wasmtime::Error::new(e)),
    }
}

/// Logs why an instance failed on one line: a stable `cause` (deadline, memory limit, trap),
/// the root error, and the guest's backtrace with the rest of the chain.
fn log_failure(why: &wasmtime::Error, message: &'static str) {
    let cause = sesame_sandbox::cause(why);
    let detail = why
        .chain()
        .map(|e| {
            e.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(": ");
    tracing::error!(cause, error = %why.root_cause(), detail, "{message}");
}

/// The 500 answered when the component failed before answering.
fn fault() -> hyper::Response<Body> {
    json_error(
        hyper::StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"error":{"code":"internal","message":"Sesame hit an internal fault; the details are in its log."}}"#,
    )
}

/// The 503 answered when every instance slot is taken (see `--max-instances`).
fn busy() -> hyper::Response<Body> {
    let mut response = json_error(
        hyper::StatusCode::SERVICE_UNAVAILABLE,
        r#"{"error":{"code":"busy","message":"Sesame is at its limit of requests in flight; retry shortly."}}"#,
    );
    response.headers_mut().insert(
        hyper::header::RETRY_AFTER,
        hyper::header::HeaderValue::from_static("1"),
    );
    response
}

/// An error the host answers itself, in the same body shape as core's errors, so clients need
/// one parser.
fn json_error(status: hyper::StatusCode, body: &'static str) -> hyper::Response<Body> {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
