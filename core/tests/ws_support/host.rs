//! A `client::Host` for MQTT over WebSockets on a `std::net::TcpStream`, the
//! way the bindings do it: a raw host (clock, stream, deterministic
//! "random" bytes) under the core's `ws::Link`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::ws::{Entropy, Link, Request, WsError};
use umqtt_core::{Buffer, Error};

/// Largest WebSocket frame payload accepted from the server.
pub const MAX_FRAME: usize = 2 << 20;

/// The link's frame buffer: grows without limit.
#[derive(Default)]
pub struct Grow(Vec<u8>);

impl Buffer for Grow {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn grow(&mut self, len: usize) -> bool {
        if len > self.0.len() {
            self.0.resize(len, 0);
        }
        true
    }
}

/// The socket under the WebSocket.
pub struct Raw {
    pub sock: TcpStream,
    start: Instant,
    rng: u64,
    /// Pongs written (frames starting 0x8a), for the tests to count.
    pub pongs_sent: usize,
}

pub struct WsHost {
    pub raw: Raw,
    pub link: Link<Grow>,
}

/// The handshake on a new connection to `port`: the host, or the
/// WebSocket error that refused it.
pub fn ws_connect(port: u16, path: &str, headers: &[(&str, &str)]) -> Result<WsHost, WsError> {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_nodelay(true).unwrap();
    let mut h = WsHost {
        raw: Raw {
            sock,
            start: Instant::now(),
            // Deterministic "random" bytes: the tests need no real entropy.
            rng: 0x9e37_79b9_7f4a_7c15 ^ u64::from(port),
            pongs_sent: 0,
        },
        link: Link::new(MAX_FRAME, Grow::default()),
    };
    let req = Request {
        host: "127.0.0.1",
        port,
        tls: false,
        path,
        headers,
    };
    match h.link.open(&mut h.raw, &req, Some(10_000)) {
        Ok(()) => Ok(h),
        Err(Error::WebSocket(e)) => Err(e),
        Err(e) => panic!("handshake: {e:?}"),
    }
}

fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

impl Entropy for Raw {
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf {
            *b = next(&mut self.rng) as u8;
        }
        Ok(())
    }
}

impl Host for Raw {
    fn now_ms(&mut self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        if data.first() == Some(&0x8a) {
            self.pongs_sent += 1;
        }
        self.sock
            .write_all(data)
            .map_err(|e| Error::Io(e.raw_os_error().unwrap_or(5)))
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        let poll = wait == ReadWait::Poll;
        self.sock.set_nonblocking(poll).unwrap();
        if !poll {
            let limit = match wait {
                ReadWait::Force(t) | ReadWait::Socket(Some(t)) => Some(t),
                _ => None,
            };
            let t = limit.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
            self.sock.set_read_timeout(t).unwrap();
        }
        match self.sock.read(buf) {
            Ok(0) => Err(Error::ConnectionClosed),
            Ok(n) => Ok(ReadResult::Data(n)),
            Err(e) if e.kind() == ErrorKind::WouldBlock && poll => Ok(ReadResult::WouldBlock),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Ok(ReadResult::TimedOut)
            }
            Err(e) => Err(Error::Io(e.raw_os_error().unwrap_or(5))),
        }
    }
}

/// The client's host: the raw one through the link (the core's `WsHost`
/// does the same over a borrowed link).
impl Host for WsHost {
    fn now_ms(&mut self) -> u64 {
        self.raw.now_ms()
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.link.write(&mut self.raw, data)
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        self.link.read(&mut self.raw, buf, wait)
    }
}
