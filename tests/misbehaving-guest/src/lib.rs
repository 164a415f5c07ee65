//! A hostile component for Sesame's sandbox tests.
//!
//! It exports `sesame:auth/routes` (world `sesame:auth/handler`), the typed HTTP handler
//! `sesame serve` calls on Sesame's own component, and each path does something an untrusted
//! plugin might try, so tests can run it under `sesame serve` and check that the host contains
//! it:
//!
//! - `/ok`: answers 200 `ok`, the control request.
//! - `/spin`: loops for ever (the request deadline must stop it).
//! - `/grow`: allocates and touches memory until refused (the memory limit must stop it).
//! - `/trap`: executes `unreachable`.
//! - `/read?path=P`: tries to read the file `P`.
//! - `/env`: lists the names of the environment variables it can see, one a line.
//! - `/connect?addr=IP:PORT`: tries to open a TCP connection to an IPv4 address.
//! - `/count`: answers `N` or `poisoned N`, where N counts the requests this instance has
//!   received (this one included), so a test can tell a reused instance from a fresh one.
//! - `/poison`: marks this instance, then traps; a host that reused the instance after that
//!   would answer a later `/count` with `poisoned`.
//! - `/busy?ms=N`: computes for N milliseconds, then answers 200 `request N` (a legitimate
//!   slow request), N as for `/count`.
//!
//! The probes answer 200 with `allowed: ...` or `denied: ...`, so a test can tell a refusal
//! from the component failing.
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p sesame-misbehaving-guest`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasip2::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};

#[allow(
    missing_docs,
    unreachable_pub,
    unsafe_code,
    clippy::all,
    reason = "generated code"
)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "sesame:auth/handler",
    });

    use super::Misbehaving;
    export!(Misbehaving);
}

use bindings::exports::sesame::auth::routes::{Guest, Request, Response};

/// The component.
struct Misbehaving;

/// Requests this instance has received.
static RECEIVED: AtomicU64 = AtomicU64::new(0);

/// Set by `/poison` just before it traps.
static POISONED: AtomicBool = AtomicBool::new(false);

impl Guest for Misbehaving {
    fn handle(request: Request) -> Response {
        let received = RECEIVED.fetch_add(1, Ordering::SeqCst) + 1;
        let (path, query) = request
            .path_with_query
            .split_once('?')
            .unwrap_or((request.path_with_query.as_str(), ""));
        let (status, body) = match path {
            "/ok" => (200, "ok".to_owned()),
            "/spin" => spin(),
            "/grow" => grow(),
            "/trap" => std::process::abort(),
            "/read" => (200, read(query_value(query, "path"))),
            "/env" => (200, env_names()),
            "/connect" => (200, connect(query_value(query, "addr"))),
            "/count" => (200, count(received)),
            "/poison" => {
                POISONED.store(true, Ordering::SeqCst);
                // A panic (a trap after writing its message through WASI) rather than a bare
                // abort: the call out keeps the optimiser from dropping the store above.
                #[expect(clippy::panic, reason = "trapping is this probe's purpose")]
                {
                    panic!("poisoned on purpose")
                }
            }
            "/busy" => busy(query_value(query, "ms"), received),
            _ => (404, "no such probe".to_owned()),
        };
        Response {
            status,
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: body.into_bytes(),
        }
    }
}

/// Busy-loops for ever; `black_box` keeps the optimiser from proving the loop useless.
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

fn count(received: u64) -> String {
    if POISONED.load(Ordering::SeqCst) {
        format!("poisoned {received}")
    } else {
        received.to_string()
    }
}

/// Computes until `ms` milliseconds have passed on the monotonic clock.
fn busy(ms: Option<String>, received: u64) -> (u16, String) {
    let Some(ms) = ms.and_then(|m| m.parse::<u64>().ok()) else {
        return (400, "ms must be a number".to_owned());
    };
    let until = Instant::now() + Duration::from_millis(ms);
    let mut counter = 0u64;
    while Instant::now() < until {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
    (200, format!("request {received}"))
}

/// Keeps allocating 1 MiB blocks and writing to them, so the memory is really used.
fn grow() -> (u16, String) {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 1 << 20];
        block[0] = 1;
        block[(1 << 20) - 1] = std::hint::black_box(1);
        blocks.push(block);
        if blocks.len() > 1 << 16 {
            // 64 GiB without being stopped: the limit is not working; say so.
            return (200, "allowed: grew past 64 GiB".to_owned());
        }
    }
}

fn read(path: Option<String>) -> String {
    let Some(path) = path else {
        return "denied: no path given".to_owned();
    };
    match std::fs::read(&path) {
        Ok(bytes) => format!("allowed: {}", String::from_utf8_lossy(&bytes)),
        Err(e) => format!("denied: {e}"),
    }
}

fn env_names() -> String {
    let mut names: Vec<String> = std::env::vars_os()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.join("\n")
}

/// Tries a TCP connection through the WASI socket interfaces directly, so what is tested is the
/// host's policy rather than what the standard library happens to support.
fn connect(addr: Option<String>) -> String {
    let Some(addr) = addr.and_then(|a| a.parse::<std::net::SocketAddrV4>().ok()) else {
        return "denied: no IPv4 address given".to_owned();
    };
    let network = wasip2::sockets::instance_network::instance_network();
    let socket = match wasip2::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4)
    {
        Ok(socket) => socket,
        Err(e) => return format!("denied: create: {e:?}"),
    };
    let [a, b, c, d] = addr.ip().octets();
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: addr.port(),
        address: (a, b, c, d),
    });
    if let Err(e) = socket.start_connect(&network, remote) {
        return format!("denied: start-connect: {e:?}");
    }
    socket.subscribe().block();
    match socket.finish_connect() {
        Ok(_) => "allowed: connected".to_owned(),
        Err(e) => format!("denied: finish-connect: {e:?}"),
    }
}

/// The percent-decoded value of `name` in a query string (only `%XX` escapes are decoded; the
/// tests send nothing fancier).
fn query_value(query: &str, name: &str) -> Option<String> {
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
