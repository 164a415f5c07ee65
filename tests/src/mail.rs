//! Where the tests read the mail a server sends: the outbox directory of `sesame serve`, and a
//! minimal SMTP relay on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Condvar, Mutex};

/// Every mail in the outbox directory, oldest first, as (to, subject, text).
pub fn outbox_mails(dir: &Path) -> Vec<(String, String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let mut parts = name
            .trim_end_matches(".txt")
            .split('-')
            .map(|n| n.parse::<u64>().unwrap_or(0));
        (parts.next(), parts.nth(1))
    });
    files
        .iter()
        .map(|p| {
            let content = std::fs::read_to_string(p).unwrap();
            let (head, text) = content.split_once("\n\n").unwrap();
            let mut lines = head.lines();
            let to = lines.next().unwrap().trim_start_matches("To: ").to_owned();
            let subject = lines
                .next()
                .unwrap()
                .trim_start_matches("Subject: ")
                .to_owned();
            (to, subject, text.to_owned())
        })
        .collect()
}

/// The path and query of the first link in a mail, relative to the server.
pub fn link_path(text: &str, base: &str) -> String {
    let start = text.find(base).expect("a link to this server");
    text[start + base.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Holds a relay's connections silent (no greeting) until opened.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// A gate that lets every connection through at once.
    pub fn open() -> Self {
        let gate = Gate::default();
        gate.release();
        gate
    }

    /// Lets every waiting and later connection through.
    pub fn release(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    /// Waits until the gate is released.
    fn pass(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }
}

/// A minimal SMTP relay on `listener`: accepts every message and sends its DATA down the
/// channel. Enough of RFC 5321 for a real client (lettre) to deliver to it.
pub fn smtp_relay(listener: TcpListener) -> Receiver<String> {
    gated_smtp_relay(listener, Gate::open())
}

/// Like [`smtp_relay`], but each connection gets its greeting only once `gate` is released:
/// a relay that is slow to answer.
pub fn gated_smtp_relay(listener: TcpListener, gate: Gate) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.pass();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                writer.write_all(b"220 sesame-test ESMTP\r\n").unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-sesame-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            writer.write_all(b"354 go ahead\r\n").unwrap();
                            let mut message = String::new();
                            loop {
                                line.clear();
                                reader.read_line(&mut line).unwrap();
                                if line == ".\r\n" {
                                    break;
                                }
                                message.push_str(&line);
                            }
                            let _ = tx.send(message);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = writer.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    writer.write_all(reply).unwrap();
                }
            });
        }
    });
    rx
}

/// An SMTP relay on a free loopback port: its `smtp://` URL for `SESAME_SMTP`, and the channel
/// its messages arrive on.
pub fn smtp_receiver() -> (String, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}?tls=off", listener.local_addr().unwrap());
    (url, smtp_relay(listener))
}
