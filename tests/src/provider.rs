//! A stand-in for a mail provider's HTTP API or a webhook receiver, on loopback: it records
//! every request it reads, and answers as the test says at that moment: a status, never
//! (the connection is held open, unanswered), or not at all (nothing listens on its port, so
//! connections are refused).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the provider answers from now on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers with this status.
    Answer(u16),
    /// Reads the request and never answers (the connection stays open).
    Hang,
    /// Stops listening: connections are refused.
    Down,
}

/// One request the provider read.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request target (`/send`).
    pub path: String,
    /// Header names (lower case) and values.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
    /// The status it was answered with; `None` when it was left hanging.
    pub answered: Option<u16>,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// A header's value, if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct Shared {
    mode: Option<Mode>,
    received: Vec<Received>,
    /// Connections left hanging, kept open until the provider is dropped.
    held: Vec<TcpStream>,
}

/// The provider; it stops when dropped.
pub struct Provider {
    /// Its port on 127.0.0.1.
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl Provider {
    /// A provider on a free port, answering 200.
    pub fn start() -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the provider");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Mutex::new(Shared {
            mode: Some(Mode::Answer(200)),
            ..Shared::default()
        }));
        let serving = Arc::downgrade(&shared);
        std::thread::spawn(move || serve(listener, port, serving));
        Provider { port, shared }
    }

    /// `http://127.0.0.1:PORT` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Answers as `mode` says from now on.
    pub fn set(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = Some(mode);
    }

    /// Every request read so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits until `done` holds for the requests read (calling `poke` between looks, to make
    /// the component deliver), at most `patience`; the requests read.
    pub fn wait_for(
        &self,
        what: &str,
        patience: Duration,
        mut poke: impl FnMut(),
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                started.elapsed() < patience,
                "{what}: not within {patience:?}; received {received:#?}"
            );
            poke();
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap();
        shared.mode = None;
        shared.held.clear();
    }
}

/// Accepts connections while the provider lives, listening only while its mode is not
/// [`Mode::Down`] (it binds the same port again when it comes back).
fn serve(listener: TcpListener, port: u16, shared: std::sync::Weak<Mutex<Shared>>) {
    let mut listener = Some(listener);
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let mode = strong.lock().unwrap().mode;
        drop(strong);
        match (mode, &listener) {
            (None, _) => return,
            (Some(Mode::Down), Some(_)) => listener = None,
            (Some(Mode::Down), None) => std::thread::sleep(Duration::from_millis(20)),
            (Some(_), None) => {
                listener = TcpListener::bind(("127.0.0.1", port)).ok();
                if listener.is_none() {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            (Some(_), Some(open)) => {
                open.set_nonblocking(true).expect("non-blocking accept");
                match open.accept() {
                    Ok((stream, _)) => {
                        let shared = shared.clone();
                        std::thread::spawn(move || answer(stream, &shared));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
    }
}

/// Reads one request from `stream` and answers it as the mode says.
fn answer(stream: TcpStream, shared: &std::sync::Weak<Mutex<Shared>>) {
    stream.set_nonblocking(false).expect("blocking reads");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let mut shared = shared.lock().unwrap();
    let answered = match shared.mode {
        Some(Mode::Answer(status)) => Some(status),
        _ => None,
    };
    shared.received.push(Received {
        path,
        headers,
        body,
        answered,
    });
    match answered {
        Some(status) => {
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
            );
        }
        None => shared.held.push(stream),
    }
}
