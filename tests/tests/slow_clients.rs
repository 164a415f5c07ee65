//! Slow and greedy clients against the real `sesame serve` on loopback: a request that trickles
//! in is cut off at its deadline, an idle connection is closed, one address cannot take every
//! connection, and thousands of stalled connections do not stop `/healthz` or a sign-in.
//!
//! Clients bind to other 127.x.y.z source addresses (all of 127.0.0.0/8 is loopback on Linux)
//! to stand for many hosts.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use sesame_tests::accounts::PASSWORD;
use sesame_tests::{Host, Server, sesame_command};
use socket2::{Domain, Socket, Type};

/// The address the server listens on.
fn address(server: &Server) -> SocketAddr {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("the server's address")
}

/// A connection to `server` from the loopback address `source`.
fn connect_from(source: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::V4(SocketAddrV4::new(source, 0)).into())
        .unwrap();
    socket
        .connect_timeout(&server.into(), Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("connect from {source}: {e}"));
    socket.into()
}

/// Reads until the server closes the connection (or resets it), at most `limit`; returns what
/// arrived, or `None` if the connection was still open at the limit.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let until = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < until {
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(got),
        }
    }
    None
}

/// A whole `GET /healthz` over `stream`, closing after it; returns the answer's status line.
fn healthz_over(mut stream: TcpStream) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: sesame.test\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(30))
        .expect("the server answers and closes");
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Raises this process's soft open-file limit to the hard one: the tests hold thousands of
/// sockets.
fn raise_own_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    )
    .unwrap();
}

/// `cmd` run through `sh` with the soft open-file limit set to `soft` first: the common 1024
/// a server is started with.
fn with_soft_file_limit(cmd: &Command, soft: u64) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("ulimit -Sn {soft} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (name, value) in cmd.get_envs() {
        match value {
            Some(value) => sh.env(name, value),
            None => sh.env_remove(name),
        };
    }
    sh
}

#[test]
fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_deadline() {
    let server = Host::Sesame.start_fresh_with_env(&[("SESAME_REQUEST_READ_TIMEOUT_MS", "1000")]);
    let mut stream = TcpStream::connect(address(&server)).unwrap();
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: sesame.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        )
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    let mut buf = [0u8; 1024];
    let closed = loop {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the connection was still open after 20 s and {sent} body bytes"
        );
        if stream.write_all(b" ").is_err() {
            break true;
        }
        sent += 1;
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => panic!(
                "the server answered a request it never got whole: {}",
                String::from_utf8_lossy(&buf[..n])
            ),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break true,
        }
    };
    assert!(closed);
    assert!(sent < 1000, "the whole body went through");
    // The server goes on serving.
    assert_eq!(server.get("/healthz", &[]).status, 200);
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = Host::Sesame.start_fresh_with_env(&[("SESAME_IDLE_TIMEOUT_MS", "300")]);
    // Silent from the start.
    let mut silent = TcpStream::connect(address(&server)).unwrap();
    assert_eq!(
        read_until_closed(&mut silent, Duration::from_secs(5)),
        Some(Vec::new()),
        "a connection that never sends a request is closed"
    );
    // Silent after one answered request on a kept-alive connection.
    let mut kept = TcpStream::connect(address(&server)).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: sesame.test\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut kept, Duration::from_secs(5))
        .expect("closed once idle after its answer");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn a_client_over_its_address_cap_is_refused_while_others_are_served() {
    let server = Host::Sesame.start_fresh_with_env(&[
        ("SESAME_MAX_CONNECTIONS_PER_ADDRESS", "4"),
        ("SESAME_IDLE_TIMEOUT_MS", "60000"),
    ]);
    let addr = address(&server);
    let greedy = Ipv4Addr::new(127, 0, 0, 2);
    let held: Vec<TcpStream> = (0..4).map(|_| connect_from(greedy, addr)).collect();
    // The fifth from that address is answered 503 at once, without sending anything, and
    // closed.
    let mut fifth = connect_from(greedy, addr);
    let refusal = read_until_closed(&mut fifth, Duration::from_secs(10))
        .expect("the refused connection is closed");
    let refusal = String::from_utf8_lossy(&refusal).to_ascii_lowercase();
    assert!(refusal.starts_with("http/1.1 503"), "{refusal}");
    assert!(refusal.contains("retry-after: 1"), "{refusal}");
    assert!(refusal.contains("\"code\":\"busy\""), "{refusal}");

    // Another address is served meanwhile.
    let other = connect_from(Ipv4Addr::new(127, 0, 0, 3), addr);
    assert_eq!(healthz_over(other), "HTTP/1.1 200 OK");

    // Once the greedy client lets go, it is served again.
    drop(held);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let status = healthz_over(connect_from(greedy, addr));
        if status == "HTTP/1.1 200 OK" {
            break;
        }
        assert!(Instant::now() < until, "still refused: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn healthz_and_login_answer_with_two_thousand_slow_connections_held() {
    raise_own_file_limit();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sesame_command(&dir.path().join("sesame.db"));
    cmd.env("SESAME_REQUEST_READ_TIMEOUT_MS", "300000")
        .env("SESAME_IDLE_TIMEOUT_MS", "300000");
    // Started with the soft limit many servers get; the server raises it to the hard limit.
    let server = Server::start_command(with_soft_file_limit(&cmd, 1024));
    server.register("ada@example.com", PASSWORD);
    let addr = address(&server);

    // 2,000 connections from 100 addresses, 20 each: half stalled inside their headers, half
    // inside their bodies.
    let mut slow = Vec::with_capacity(2000);
    for n in 0..2000u32 {
        let source = Ipv4Addr::new(127, 1, (n / 20 / 250) as u8, (n / 20 % 250 + 1) as u8);
        let mut stream = connect_from(source, addr);
        let start: &[u8] = if n % 2 == 0 {
            b"POST /login HTTP/1.1\r\nHost: sesame.test\r\n"
        } else {
            b"POST /login HTTP/1.1\r\nHost: sesame.test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        };
        stream.write_all(start).unwrap();
        slow.push(stream);
    }

    assert_eq!(server.get("/healthz", &[]).status, 200);
    let login = server.attempt_login("ada@example.com", PASSWORD);
    assert_eq!(login.status, 200, "{}", login.text());

    // The stalled connections were held, not refused: each is still open.
    let mut buf = [0u8; 64];
    for stream in &mut slow[..50] {
        stream.set_nonblocking(true).unwrap();
        match stream.read(&mut buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("a slow connection was closed early: {other:?}"),
        }
    }
}
