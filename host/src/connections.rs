//! Keeping slow and greedy clients from taking the server down.
//!
//! A connection costs a file descriptor and a task whether or not its client ever finishes a
//! request, so without bounds a few thousand connections that send their headers and then one
//! body byte a minute hold the server's descriptors forever, and new clients (and `/healthz`)
//! are refused. Four bounds close that:
//!
//! 1. a whole-request deadline: from a request's first byte until its body is read whole
//!    (`--request-read-timeout-ms`); past it the connection is closed;
//! 2. an idle timeout on connections between requests (and before the first one), so keep-alive
//!    connections do not pin their slot (`--idle-timeout-ms`);
//! 3. a cap on open connections in total (`--max-connections`), fitted under the process's
//!    open-file limit, which [`raise_open_files_limit`] raises to the hard limit at start;
//! 4. a cap on open connections per client address (`--max-connections-per-address`; IPv6
//!    clients are counted per /64, the block one subscriber usually holds).
//!
//! A connection over a cap is answered at once, without reading anything from it, with a
//! canned `503 busy` and `Retry-After`, and closed: reading its request first would cost the
//! very time and descriptor the cap protects, and the answer fits the empty send buffer of a
//! fresh socket, so writing it never waits. See `docs/security.md`.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The default time from a request's first byte until its body is read whole. Sesame's
/// requests are a few kilobytes; 15 s is ample for a slow mobile link and short enough that
/// descriptors held by stalled clients come back quickly.
pub(crate) const DEFAULT_REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// The default time a connection may sit between requests (or before its first one). Browsers
/// reuse a connection within a page's requests; a few seconds keeps that benefit.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default cap on open connections. Lowered to what the open-file limit leaves (see
/// [`ConnectionLimits::fitted_to`]).
pub(crate) const DEFAULT_MAX_CONNECTIONS: u32 = 16_384;

/// The default cap on open connections from one client address. Browsers open about six per
/// site; 256 leaves room for an office behind one NAT address, or a service signing in users
/// in bursts, while one host can take at most 1/64 of the default total.
pub(crate) const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: u32 = 256;

/// Descriptors kept out of the connection cap for everything else the server opens: the
/// listener, store files and database connections, the compile cache, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

/// The canned answer to a connection over a cap: the `busy` error body the host already
/// answers when its instance pool is full, and a request to try again in a second.
const BUSY_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 90\r\n\
\r\n\
{\"error\":{\"code\":\"busy\",\"message\":\"Sesame has too many open connections; retry shortly.\"}}";

/// The bounds on connections `sesame serve` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    /// Time from a request's first byte until its body is read whole.
    pub(crate) request_read_timeout: Duration,
    /// Time a connection may wait for its next (or first) request.
    pub(crate) idle_timeout: Duration,
    /// Open connections at once.
    pub(crate) max_connections: u32,
    /// Open connections at once from one client address (IPv6: one /64).
    pub(crate) max_per_address: u32,
    /// Trusted reverse proxies (`--trusted-proxy`): every client behind one shares its
    /// address, so they count only against the total cap, never the per-address one.
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            request_read_timeout: DEFAULT_REQUEST_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            trusted_proxies: Vec::new(),
        }
    }
}

impl ConnectionLimits {
    /// These limits with the connection cap lowered, if need be, to what `open_files` (the
    /// soft open-file limit, `None` when unlimited) leaves after the server's own descriptors:
    /// past it, `accept` would fail instead of the cap answering `busy`.
    pub(crate) fn fitted_to(mut self, open_files: Option<u64>) -> Self {
        if let Some(open_files) = open_files {
            let room = open_files.saturating_sub(RESERVED_DESCRIPTORS).max(1);
            let room = u32::try_from(room).unwrap_or(u32::MAX);
            if room < self.max_connections {
                tracing::warn!(
                    requested = self.max_connections,
                    open_files,
                    allowed = room,
                    "the open-file limit leaves room for fewer connections than --max-connections; raise the hard limit (ulimit -Hn, LimitNOFILE=) to allow more"
                );
                self.max_connections = room;
            }
        }
        self.max_per_address = self.max_per_address.min(self.max_connections);
        self
    }
}

/// Raises the soft limit on open files to the hard limit (a soft limit of 1024 is common and
/// is far below what a server holding thousands of connections needs). Returns the soft limit
/// in effect afterwards, `None` when it is unlimited.
pub(crate) fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let before = getrlimit(Resource::Nofile);
    if before.current.is_none() || before.current == before.maximum {
        return before.current;
    }
    // An unlimited hard limit cannot be the soft one on every system; a million is plenty.
    let target = before.maximum.unwrap_or(1 << 20);
    let raised = Rlimit {
        current: Some(target),
        maximum: before.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            tracing::debug!(from = ?before.current, to = target, "raised the open-file limit");
            Some(target)
        }
        Err(e) => {
            tracing::warn!(error = %e, limit = ?before.current, "cannot raise the open-file limit");
            before.current
        }
    }
}

/// A client address as the per-address cap counts it: an IPv4 address, or the /64 an IPv6
/// address lies in (one subscriber's usual allocation, so rotating through it gains nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddressKey {
    V4(u32),
    V6Net(u64),
}

impl From<IpAddr> for AddressKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => AddressKey::V4(v4.to_bits()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey::V4(v4.to_bits()),
                None => AddressKey::V6Net(u64::try_from(v6.to_bits() >> 64).unwrap_or(u64::MAX)),
            },
        }
    }
}

/// Which cap a connection was refused by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `--max-connections`.
    Total,
    /// `--max-connections-per-address`.
    PerAddress,
}

/// The count of open connections, in total and per client address.
pub(crate) struct Admission {
    limits: ConnectionLimits,
    counts: Mutex<OpenCounts>,
}

/// Open connections, counted together under one lock so the two caps are checked and taken
/// as one step.
#[derive(Default)]
struct OpenCounts {
    /// All of them.
    total: u32,
    /// Per client address, trusted proxies' aside; an address with none open has no entry.
    per_address: HashMap<AddressKey, u32>,
}

/// One admitted connection's place under the caps; given back when dropped.
pub(crate) struct Admitted {
    admission: Arc<Admission>,
    /// The address counted, unless it was a trusted proxy's.
    key: Option<AddressKey>,
}

impl Admission {
    /// Counts against `limits`.
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Admission {
            limits,
            counts: Mutex::new(OpenCounts::default()),
        })
    }

    /// Takes a place for a connection from `peer`, or says which cap is full.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Admitted, Refused> {
        let key = AddressKey::from(peer);
        let exempt = self
            .limits
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer));
        let mut counts = self.lock();
        if counts.total >= self.limits.max_connections {
            return Err(Refused::Total);
        }
        let key = if exempt {
            None
        } else {
            let count = counts.per_address.entry(key).or_insert(0);
            if *count >= self.limits.max_per_address {
                return Err(Refused::PerAddress);
            }
            *count += 1;
            Some(key)
        };
        counts.total += 1;
        Ok(Admitted {
            admission: self.clone(),
            key,
        })
    }

    /// Connections open now.
    #[cfg(test)]
    pub(crate) fn open(&self) -> u32 {
        self.lock().total
    }

    fn lock(&self) -> MutexGuard<'_, OpenCounts> {
        // Only counts, each changed in one statement: a panic elsewhere cannot leave them
        // half-updated.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = self.admission.lock();
        if let Some(key) = &self.key
            && let Some(count) = counts.per_address.get_mut(key)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.per_address.remove(key);
            }
        }
        counts.total = counts.total.saturating_sub(1);
    }
}

/// Answers a connection refused by a cap with `503 busy` and closes it, without reading from
/// it or waiting to write.
pub(crate) fn refuse(stream: tokio::net::TcpStream) {
    // A fresh socket's send buffer is empty, so the whole answer is taken at once; should it
    // not be, closing is the answer.
    let _ = stream.try_write(BUSY_ANSWER);
}

/// Where a connection is in its request cycle, for its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests (or before the first), since this instant.
    Idle(Instant),
    /// A request's head or body is arriving; its first byte came at this instant.
    Reading(Instant),
    /// The request was read whole and is being answered (the component has its own deadline).
    Handling,
}

/// One connection's phase, shared by its reads, its request handler and its watchdog.
pub(crate) struct ConnectionClock {
    phase: Mutex<Phase>,
    changed: Notify,
    /// A request was read whole and its answer is not written yet: a request in flight, which
    /// a stopping server lets finish (a connection still sending a head or a body is not one).
    in_request: std::sync::atomic::AtomicBool,
}

impl ConnectionClock {
    /// A clock for a connection accepted now: idle until its first byte.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ConnectionClock {
            phase: Mutex::new(Phase::Idle(Instant::now())),
            changed: Notify::new(),
            in_request: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Moves to `next` if `from` allows it, and wakes the watchdog when the phase changed.
    fn shift(&self, next: impl FnOnce(Phase) -> Option<Phase>) {
        let mut phase = self.lock();
        if let Some(next) = next(*phase) {
            *phase = next;
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: a request starts now unless one is already under way.
    fn bytes_arrived(&self) {
        self.shift(|phase| match phase {
            Phase::Idle(_) => Some(Phase::Reading(Instant::now())),
            Phase::Reading(_) | Phase::Handling => None,
        });
    }

    /// A request's head was parsed. A request whose bytes were read along with the previous
    /// one's (pipelining) starts its deadline here.
    pub(crate) fn head_parsed(&self) {
        self.shift(|phase| match phase {
            Phase::Idle(_) | Phase::Handling => Some(Phase::Reading(Instant::now())),
            Phase::Reading(_) => None,
        });
    }

    /// The request's body was read whole: the read deadline no longer applies.
    pub(crate) fn body_read(&self) {
        self.in_request
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.shift(|_| Some(Phase::Handling));
    }

    /// The answer is ready: the connection is idle from now until its next request.
    pub(crate) fn answered(&self) {
        self.in_request
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.shift(|_| Some(Phase::Idle(Instant::now())));
    }

    /// Whether a request was read whole and its answer is still to be written.
    pub(crate) fn in_request(&self) -> bool {
        self.in_request.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// When the connection must close if its phase does not change first.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        match *self.lock() {
            Phase::Idle(since) => Some(since + limits.idle_timeout),
            Phase::Reading(since) => Some(since + limits.request_read_timeout),
            Phase::Handling => None,
        }
    }
}

/// Runs `connection` until it ends, or until its clock's deadline passes first (then the
/// connection is dropped, which closes its socket). Returns `None` when the deadline won.
pub(crate) async fn watched<F: Future>(
    connection: F,
    clock: &ConnectionClock,
    limits: &ConnectionLimits,
) -> Option<F::Output> {
    tokio::pin!(connection);
    loop {
        let deadline = clock.deadline(limits);
        let expired = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            output = &mut connection => return Some(output),
            () = clock.changed.notified() => {}
            () = expired => {
                // The phase may have changed just as the timer fired.
                if clock.deadline(limits).is_some_and(|d| d <= Instant::now()) {
                    return None;
                }
            }
        }
    }
}

/// A connection's socket that tells its clock when bytes arrive.
pub(crate) struct Watched<S> {
    inner: S,
    clock: Arc<ConnectionClock>,
}

impl<S> Watched<S> {
    /// `inner`, reporting to `clock`.
    pub(crate) fn new(inner: S, clock: Arc<ConnectionClock>) -> Self {
        Watched { inner, clock }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_arrived();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: u32, per_address: u32) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: total,
            max_per_address: per_address,
            ..ConnectionLimits::default()
        }
    }

    #[test]
    fn a_trusted_proxy_counts_only_against_the_total_cap() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let admission = Admission::new(ConnectionLimits {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..limits(4, 1)
        });
        let held: Vec<_> = (0..4).map(|_| admission.admit(proxy).unwrap()).collect();
        assert!(matches!(admission.admit(proxy), Err(Refused::Total)));
        drop(held);
        // Anyone else still has the per-address cap.
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let _first = admission.admit(client).unwrap();
        assert!(matches!(admission.admit(client), Err(Refused::PerAddress)));
        let _via_proxy = admission.admit(proxy).unwrap();
        assert_eq!(admission.open(), 2);
    }

    #[test]
    fn caps_count_per_address_and_in_total_and_give_places_back() {
        let admission = Admission::new(limits(3, 2));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).err(), Some(Refused::PerAddress));
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).err(), Some(Refused::Total));
        drop(first);
        assert_eq!(admission.open(), 2);
        assert!(
            admission.admit(a).is_ok(),
            "a closed connection frees its place"
        );
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let admission = Admission::new(limits(100, 1));
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let _held = admission.admit(one).unwrap();
        assert_eq!(admission.admit(same_64).err(), Some(Refused::PerAddress));
        let _other = admission.admit(other_64).unwrap();
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let _v4 = admission.admit(v4).unwrap();
        assert_eq!(admission.admit(mapped).err(), Some(Refused::PerAddress));
    }

    #[test]
    fn the_cap_fits_under_the_open_file_limit() {
        let fitted = ConnectionLimits::default().fitted_to(Some(1024));
        assert_eq!(fitted.max_connections, 1024 - 256);
        assert_eq!(fitted.max_per_address, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
        let roomy = ConnectionLimits::default().fitted_to(Some(1 << 20));
        assert_eq!(roomy.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(ConnectionLimits::default().fitted_to(None), roomy);
        let tiny = limits(10, 50).fitted_to(None);
        assert_eq!(tiny.max_per_address, 10);
    }

    #[test]
    fn the_busy_answer_announces_its_exact_length() {
        let text = std::str::from_utf8(BUSY_ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "busy");
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_the_request_cycle() {
        let limits = ConnectionLimits {
            request_read_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(5),
            ..ConnectionLimits::default()
        };
        let clock = ConnectionClock::new();
        let start = Instant::now();
        assert_eq!(clock.deadline(&limits), Some(start + limits.idle_timeout));
        clock.bytes_arrived();
        tokio::time::advance(Duration::from_secs(3)).await;
        clock.bytes_arrived();
        clock.head_parsed();
        assert_eq!(
            clock.deadline(&limits),
            Some(start + limits.request_read_timeout),
            "the deadline runs from the first byte, head and body together"
        );
        clock.body_read();
        assert_eq!(clock.deadline(&limits), None);
        clock.answered();
        let idle = Instant::now();
        assert_eq!(clock.deadline(&limits), Some(idle + limits.idle_timeout));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_connection_is_dropped_at_its_deadline() {
        let limits = ConnectionLimits {
            request_read_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        };
        let clock = ConnectionClock::new();
        clock.bytes_arrived();
        let outcome = watched(std::future::pending::<()>(), &clock, &limits).await;
        assert_eq!(outcome, None);
        let clock = ConnectionClock::new();
        clock.bytes_arrived();
        clock.body_read();
        let finished = watched(
            async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                7
            },
            &clock,
            &limits,
        )
        .await;
        assert_eq!(finished, Some(7), "a request being answered is not cut off");
    }
}
