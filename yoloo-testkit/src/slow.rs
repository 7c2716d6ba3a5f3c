//! Slow and lying clients on raw TCP (an HTTP client library would not send
//! a `Content-Length` it does not mean, nor a body at one byte a second): each
//! runs on its own thread and reports how its connection ended.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a slow client does after its request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Declares `Content-Length: declared`, sends 100 bytes, then nothing.
    Stall {
        /// The declared length.
        declared: u64,
    },
    /// A chunked body, one byte a second.
    Chunked,
    /// Declares `Content-Length: declared`, then one byte a second.
    Trickle {
        /// The declared length.
        declared: u64,
    },
}

impl Pace {
    /// The `i`-th of a mix of the three kinds, each declaring 10 MB.
    pub fn nth(i: usize) -> Self {
        match i % 3 {
            0 => Self::Stall {
                declared: 10_000_000,
            },
            1 => Self::Chunked,
            _ => Self::Trickle {
                declared: 10_000_000,
            },
        }
    }
}

/// How a slow client's connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The server answered with this status, after this long.
    Answered(u16, Duration),
    /// The server closed the connection without an answer, after this long.
    Closed(Duration),
    /// Still open when the client gave up (after its `hold`).
    StillOpen,
}

impl Ended {
    /// The status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Answered(s, _) => Some(*s),
            _ => None,
        }
    }
}

/// A slow client running on its thread.
pub struct SlowClient {
    handle: JoinHandle<Ended>,
}

impl SlowClient {
    /// Sends `POST path` with `content_type` at `pace` to `addr`, for at most
    /// `hold`, and watches for an answer or the connection's end.
    pub fn start(
        addr: SocketAddr,
        path: &str,
        content_type: &str,
        pace: Pace,
        hold: Duration,
    ) -> Self {
        let head = match pace {
            Pace::Stall { declared } | Pace::Trickle { declared } => format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {declared}\r\n\r\n"
            ),
            Pace::Chunked => format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
        };
        let handle = std::thread::spawn(move || {
            let Ok(mut s) = TcpStream::connect(addr) else {
                return Ended::Closed(Duration::ZERO);
            };
            let started = Instant::now();
            let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
            if s.write_all(head.as_bytes()).is_err() {
                return Ended::Closed(started.elapsed());
            }
            if let Pace::Stall { .. } = pace
                && s.write_all(&[b'-'; 100]).is_err()
            {
                return Ended::Closed(started.elapsed());
            }
            let mut next_byte = Instant::now();
            let mut buf = [0u8; 512];
            let mut got = Vec::new();
            while started.elapsed() < hold {
                match s.read(&mut buf) {
                    Ok(0) => return ended(&got, started.elapsed()),
                    Ok(n) => {
                        got.extend_from_slice(&buf[..n]);
                        if let Some(status) = status_of(&got) {
                            return Ended::Answered(status, started.elapsed());
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => return ended(&got, started.elapsed()),
                }
                if !matches!(pace, Pace::Stall { .. }) && Instant::now() >= next_byte {
                    next_byte += Duration::from_secs(1);
                    let sent = match pace {
                        Pace::Chunked => s.write_all(b"1\r\n-\r\n"),
                        _ => s.write_all(b"-"),
                    };
                    if sent.is_err() {
                        return ended(&got, started.elapsed());
                    }
                }
            }
            Ended::StillOpen
        });
        Self { handle }
    }

    /// Waits for the client to finish.
    pub fn join(self) -> Ended {
        self.handle.join().unwrap_or(Ended::StillOpen)
    }
}

fn ended(got: &[u8], after: Duration) -> Ended {
    match status_of(got) {
        Some(status) => Ended::Answered(status, after),
        None => Ended::Closed(after),
    }
}

/// The status of an HTTP/1 response head in `got`, once its first line is in.
fn status_of(got: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(got).ok()?;
    let line = text
        .split("\r\n")
        .next()
        .filter(|_| text.contains("\r\n"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sends a request head that declares `declared` body bytes, then `sent`
/// bytes of it, and returns the answer's status and how long it took (or
/// `None` if no status line came within `wait`). The connection is then
/// dropped.
pub fn declared_only(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    declared: u64,
    sent: usize,
    wait: Duration,
) -> Option<(u16, Duration)> {
    let mut s = TcpStream::connect(addr).ok()?;
    let started = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(50))).ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {declared}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(&vec![b'-'; sent]).ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while started.elapsed() < wait {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if let Some(status) = status_of(&got) {
                    return Some((status, started.elapsed()));
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    status_of(&got).map(|s| (s, started.elapsed()))
}

/// Sends a request line and a header name, then one byte a second of the
/// header's value for up to `hold`; returns how long until the server closed
/// the connection (`None`: still open after `hold`).
pub fn slow_header(addr: SocketAddr, hold: Duration) -> Option<Duration> {
    let mut s = TcpStream::connect(addr).ok()?;
    let started = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(100))).ok()?;
    s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").as_bytes())
        .ok()?;
    let mut next_byte = Instant::now() + Duration::from_secs(1);
    let mut buf = [0u8; 256];
    while started.elapsed() < hold {
        match s.read(&mut buf) {
            // Closed (or an error answer, then closed): either way, over.
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
        if Instant::now() >= next_byte {
            next_byte += Duration::from_secs(1);
            if s.write_all(b"x").is_err() {
                return Some(started.elapsed());
            }
        }
    }
    None
}

/// Asserts that a header line sent at a byte a second to `addr` is closed
/// once `timeout` (the service's `YOLOO_HEADER_TIMEOUT`) is over, allowing
/// half a second for the timer and scheduling on a shared machine; returns
/// when it was closed.
pub fn assert_header_timeout(addr: SocketAddr, timeout: Duration) -> Duration {
    let closed = slow_header(addr, 4 * timeout).expect("the slow header connection is still open");
    eprintln!("slow header line closed after {closed:?}");
    assert!(
        closed <= timeout + Duration::from_millis(500),
        "closed after {closed:?}"
    );
    closed
}

#[cfg(test)]
mod tests {
    use super::status_of;

    #[test]
    fn status_lines() {
        assert_eq!(status_of(b"HTTP/1.1 408 Request Timeout\r\n"), Some(408));
        assert_eq!(status_of(b"HTTP/1.1 40"), None);
        assert_eq!(status_of(b""), None);
    }
}
