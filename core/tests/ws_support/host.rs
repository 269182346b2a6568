//! A `client::Host` whose reads and writes go through the WebSocket layer
//! over a `std::net::TcpStream`: the shape a binding's transport takes.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::ws::frame::{self, Opcode};
use umqtt_core::ws::{Decoder, Event, Handshake, Request, WsError};
use umqtt_core::Error;

/// Largest WebSocket frame payload accepted from the server.
pub const MAX_FRAME: usize = 2 << 20;

pub struct WsHost {
    pub sock: TcpStream,
    start: Instant,
    pub dec: Decoder,
    /// MQTT bytes decoded and not yet handed to the client.
    mqtt: VecDeque<u8>,
    /// The WebSocket error behind the last `Error::Host`.
    pub ws_error: Option<WsError>,
    /// The server's close frame arrived.
    pub closed: bool,
    /// Frames written (data, pongs, closes), for the tests to count.
    pub frames_sent: usize,
    pub pongs_sent: usize,
    rng: u64,
    tx: Vec<u8>,
}

/// The handshake over `sock`: Ok with the host, or the WebSocket error.
pub fn ws_connect(port: u16, path: &str, headers: &[(&str, &str)]) -> Result<WsHost, WsError> {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_nodelay(true).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Deterministic "random" bytes: the tests need no real entropy.
    let mut rng = 0x9e37_79b9_7f4a_7c15 ^ u64::from(port);
    let mut nonce = [0u8; 16];
    for b in &mut nonce {
        *b = next(&mut rng) as u8;
    }
    let req = Request {
        host: "127.0.0.1",
        port,
        tls: false,
        path,
        headers,
    };
    let mut out = [0u8; 1024];
    let n = req.encode(&nonce, &mut out)?;
    sock.write_all(&out[..n]).unwrap();
    let mut hs = Handshake::new(&nonce);
    let mut host = WsHost {
        sock,
        start: Instant::now(),
        dec: Decoder::new(MAX_FRAME),
        mqtt: VecDeque::new(),
        ws_error: None,
        closed: false,
        frames_sent: 0,
        pongs_sent: 0,
        rng,
        tx: Vec::new(),
    };
    let mut raw = [0u8; 4096];
    loop {
        let n = host.sock.read(&mut raw).unwrap();
        assert!(n > 0, "server closed during the handshake");
        if let Some(used) = hs.push(&raw[..n])? {
            // MQTT may follow the header in the same read.
            host.absorb(&raw[used..n])?;
            return Ok(host);
        }
    }
}

fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

impl WsHost {
    fn mask(&mut self) -> [u8; 4] {
        (next(&mut self.rng) as u32).to_ne_bytes()
    }

    /// Send one frame (one write).
    pub fn send(&mut self, op: Opcode, payload: &[u8]) -> Result<(), Error> {
        let mask = self.mask();
        self.tx.resize(frame::frame_len(payload.len()), 0);
        let n = frame::encode(op, payload, mask, &mut self.tx).map_err(|_| Error::Host)?;
        self.frames_sent += 1;
        self.sock
            .write_all(&self.tx[..n])
            .map_err(|e| Error::Io(e.raw_os_error().unwrap_or(5)))
    }

    /// Decode raw bytes: MQTT bytes queued, pings answered, a close
    /// answered and remembered.
    fn absorb(&mut self, mut raw: &[u8]) -> Result<(), WsError> {
        let mut out = [0u8; 160];
        while !raw.is_empty() {
            let (used, ev) = self.dec.decode(raw)?;
            raw = &raw[used..];
            match ev {
                Some(Event::Data(d)) => self.mqtt.extend(d),
                Some(Event::Ping) => {
                    let mask = self.mask();
                    let n = self.dec.encode_pong(mask, &mut out)?;
                    let _ = self.sock.write_all(&out[..n]);
                    self.pongs_sent += 1;
                }
                Some(Event::Close(_)) => {
                    let mask = self.mask();
                    let n = self.dec.encode_close_reply(mask, &mut out)?;
                    let _ = self.sock.write_all(&out[..n]);
                    self.closed = true;
                }
                Some(Event::Pong) | None => {}
            }
        }
        Ok(())
    }

    fn ws_fail(&mut self, e: WsError) -> Error {
        self.ws_error = Some(e);
        Error::Host
    }
}

impl Host for WsHost {
    fn now_ms(&mut self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send(Opcode::Binary, data)
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        let limit = match wait {
            ReadWait::Poll => None,
            ReadWait::Socket(t) => t,
            ReadWait::Force(t) => Some(t),
        };
        let deadline = limit.map(|ms| Instant::now() + Duration::from_millis(u64::from(ms.max(1))));
        let mut raw = [0u8; 16384];
        // Control frames give no MQTT bytes: read on until some come.
        while self.mqtt.is_empty() {
            if self.closed {
                return Err(Error::ConnectionClosed);
            }
            let poll = wait == ReadWait::Poll;
            self.sock.set_nonblocking(poll).unwrap();
            if !poll {
                let left = deadline.map(|d| {
                    d.saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(1))
                });
                self.sock.set_read_timeout(left).unwrap();
            }
            match self.sock.read(&mut raw) {
                Ok(0) => return Err(Error::ConnectionClosed),
                Ok(n) => {
                    if let Err(e) = self.absorb(&raw[..n]) {
                        return Err(self.ws_fail(e));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock && poll => {
                    return Ok(ReadResult::WouldBlock)
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(ReadResult::TimedOut)
                }
                Err(e) => return Err(Error::Io(e.raw_os_error().unwrap_or(5))),
            }
            if deadline.is_some_and(|d| Instant::now() >= d) && self.mqtt.is_empty() {
                return Ok(ReadResult::TimedOut);
            }
        }
        let n = buf.len().min(self.mqtt.len());
        for (dst, src) in buf.iter_mut().zip(self.mqtt.drain(..n)) {
            *dst = src;
        }
        Ok(ReadResult::Data(n))
    }
}
