//! One WebSocket connection driven over a byte stream: the adapter both
//! bindings put between the MQTT client and their socket. [`Link::open`]
//! runs the opening handshake on a freshly opened stream (bounded by a
//! deadline); then [`WsHost`] is a [`Host`] whose writes become one masked
//! binary frame each and whose reads are unframed in place, with pings
//! answered and a close from the server replied to and reported.
//!
//! It uses only the inner host's clock and byte stream, plus [`Entropy`]
//! for the handshake nonce and the frame masks (the core has no random
//! source). The protocol itself is the sans-IO [`Layer`] (which
//! `umqtt.aio` drives over its asyncio streams): this file adds the
//! blocking reads and writes, the deadline and the write pieces.

use super::decoder::Decoder;
use super::frame::{self, Opcode, MAX_CLIENT_HEADER, MAX_CONTROL_PAYLOAD};
use super::handshake::Request;
use super::layer::Layer;
use super::WsError;
use crate::buffer::Buffer;
use crate::client::{Host, ReadResult, ReadWait, DEFAULT_TIMEOUT_MS};
use crate::Error;

/// Handshake bound when connect() got no timeout (as for TCP and TLS).
pub const HANDSHAKE_TIMEOUT_MS: u32 = DEFAULT_TIMEOUT_MS;
/// Random bytes fetched at once: masks for 16 frames.
const POOL: usize = 64;
/// Handshake reads; frames right behind the answer wait here.
const EARLY: usize = 256;
/// Pieces of a frame larger than the binding's scratch buffer may grow.
const WRITE_PIECE: usize = 4096;
/// A control frame: header and the largest payload.
const CONTROL: usize = MAX_CLIENT_HEADER + MAX_CONTROL_PAYLOAD;

/// Unpredictable bytes (RFC 6455 5.3, 4.1): the binding's random source.
pub trait Entropy {
    /// Fill `buf`. A failure is reported like a failed write (the stream
    /// may hold part of a frame).
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The state of one WebSocket connection, kept by the binding between
/// calls, with the buffer `B` its outgoing frames are built in. [`Link::new`]
/// is inactive: [`WsHost`] then passes bytes through.
#[derive(Debug, Clone)]
pub struct Link<B> {
    active: bool,
    layer: Layer,
    early: [u8; EARLY],
    early_at: usize,
    early_len: usize,
    pool: [u8; POOL],
    pool_left: usize,
    scratch: B,
}

impl<B: Buffer> Link<B> {
    /// An inactive link whose decoder will refuse data frames over
    /// `max_frame` bytes; frames to send are built in `scratch` (grown as
    /// needed: a frame it cannot hold goes out in pieces).
    pub const fn new(max_frame: usize, scratch: B) -> Self {
        Link {
            active: false,
            layer: Layer::new(max_frame),
            early: [0; EARLY],
            early_at: 0,
            early_len: 0,
            pool: [0; POOL],
            pool_left: 0,
            scratch,
        }
    }

    /// Whether a WebSocket is open (after [`Link::open`], until
    /// [`Link::reset`]).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The decoder of the server's frames (its state, for diagnostics).
    pub fn decoder(&self) -> &Decoder {
        self.layer.decoder()
    }

    /// Back to inactive (a new connection, or MQTT over TCP).
    pub fn reset(&mut self) {
        self.active = false;
        self.layer.reset();
        self.early_at = 0;
        self.early_len = 0;
    }

    /// The opening handshake on a stream just opened: send `req` (encoded
    /// in the scratch buffer, grown as needed), read and check the answer, waiting
    /// at most `timeout_ms` (None: [`HANDSHAKE_TIMEOUT_MS`]) in all. A
    /// refusal is `Error::WebSocket` (MQTTException 261), a silent server
    /// `Error::Timeout`.
    // Not inlined: one copy, not one per call site of the client.
    #[inline(never)]
    pub fn open<H: Host + Entropy>(
        &mut self,
        io: &mut H,
        req: &Request<'_>,
        timeout_ms: Option<u32>,
    ) -> Result<(), Error> {
        self.reset();
        let scratch = &mut self.scratch;
        let deadline = io
            .now_ms()
            .saturating_add(u64::from(timeout_ms.unwrap_or(HANDSHAKE_TIMEOUT_MS)));
        let mut nonce = [0u8; 16];
        io.fill_random(&mut nonce)?;
        let layer = &mut self.layer;
        let n = match layer.request(req, &nonce, scratch.bytes_mut()) {
            Err(WsError::BufferTooSmall { needed }) if scratch.grow(needed) => {
                layer.request(req, &nonce, scratch.bytes_mut())
            }
            r => r,
        }?;
        io.write(scratch.bytes().get(..n).unwrap_or(&[]))?;
        loop {
            let left = deadline.saturating_sub(io.now_ms());
            let wait = ReadWait::Force(u32::try_from(left).unwrap_or(u32::MAX));
            let got = match io.read(&mut self.early, wait)? {
                ReadResult::Data(got) if left > 0 => got,
                _ => return Err(Error::Timeout),
            };
            if let Some(used) = layer.accept(self.early.get(..got).unwrap_or(&[]))? {
                self.early_at = used;
                self.early_len = got;
                self.active = true;
                return Ok(());
            }
        }
    }

    /// A fresh mask from the pool, refilled from the binding's source.
    fn mask<H: Entropy>(&mut self, io: &mut H) -> Result<[u8; 4], Error> {
        if self.pool_left < 4 {
            io.fill_random(&mut self.pool)?;
            self.pool_left = POOL;
        }
        let end = self.pool_left;
        self.pool_left = end.saturating_sub(4);
        let mut m = [0u8; 4];
        if let Some(src) = self.pool.get(self.pool_left..end) {
            m.copy_from_slice(src);
        }
        Ok(m)
    }

    /// Write `data` (one MQTT packet) as one binary frame: one write when
    /// the scratch buffer can hold the frame, else header and payload in
    /// pieces of its size. A failure after the first piece is `Io` (the
    /// stream holds part of a frame).
    // Not inlined: one copy, not one per call site of the client.
    #[inline(never)]
    pub fn write<H: Host + Entropy>(&mut self, io: &mut H, data: &[u8]) -> Result<(), Error> {
        let mask = self.mask(io)?;
        let scratch = &mut self.scratch;
        let total = frame::frame_len(data.len());
        if scratch.grow(total) {
            let n = self.layer.frame(data, mask, scratch.bytes_mut())?;
            return io.write(scratch.bytes().get(..n).unwrap_or(&[]));
        }
        // Pieces as large as the buffer may grow to (or already is).
        let _ = scratch.grow(WRITE_PIECE);
        let out = scratch.bytes_mut();
        let hl = frame::header_len(data.len());
        if out.len() < hl.saturating_add(4) {
            return Err(Error::BufferTooSmall { needed: total });
        }
        // The first piece starts with the header (a frame of this length).
        let (head, mut skip) = frame::header(Opcode::Binary, data.len(), mask);
        if let (Some(d), Some(s)) = (out.get_mut(..hl), head.get(..hl)) {
            d.copy_from_slice(s);
        }
        let mut at = 0usize;
        loop {
            let end = at
                .saturating_add(out.len().saturating_sub(skip))
                .min(data.len());
            let piece = data.get(at..end).unwrap_or(&[]);
            let stop = skip.saturating_add(piece.len());
            let body = out.get_mut(skip..stop).unwrap_or(&mut []);
            body.copy_from_slice(piece);
            frame::apply_mask(body, rotate(mask, at));
            match io.write(out.get(..stop).unwrap_or(&[])) {
                Ok(()) => {}
                Err(e) if at == 0 => return Err(e),
                Err(e @ (Error::Io(_) | Error::ConnectionClosed)) => return Err(e),
                Err(_) => return Err(Error::Io(EIO)),
            }
            if end >= data.len() {
                return Ok(());
            }
            at = end;
            skip = 0;
        }
    }

    /// Read MQTT bytes: raw bytes into `buf`, unframed in place. Pings are
    /// answered; a close from the server is replied to and reported as
    /// `WsError::Closed` (once the MQTT bytes before it were handed out).
    // Not inlined: one copy, not one per call site of the client.
    #[inline(never)]
    pub fn read<H: Host + Entropy>(
        &mut self,
        io: &mut H,
        buf: &mut [u8],
        wait: ReadWait,
    ) -> Result<ReadResult, Error> {
        loop {
            if let Some(closed) = self.layer.closed() {
                // Best effort: the connection is over anyway.
                let mut out = [0u8; 16];
                if let Ok(mask) = self.mask(io) {
                    if let Ok(n) = self.layer.reply(mask, &mut out) {
                        let _ = io.write(out.get(..n).unwrap_or(&[]));
                    }
                }
                return Err(closed.into());
            }
            let got = if self.early_at < self.early_len {
                let src = self.early.get(self.early_at..self.early_len).unwrap_or(&[]);
                let n = src.len().min(buf.len());
                if let (Some(d), Some(s)) = (buf.get_mut(..n), src.get(..n)) {
                    d.copy_from_slice(s);
                }
                self.early_at = self.early_at.saturating_add(n);
                n
            } else {
                match io.read(buf, wait)? {
                    ReadResult::Data(n) => n,
                    other => return Ok(other),
                }
            };
            let n = self.layer.decode(buf.get_mut(..got).unwrap_or(&mut []))?;
            if self.layer.reply_due() && self.layer.closed().is_none() {
                let mask = self.mask(io)?;
                let mut out = [0u8; CONTROL];
                let len = self.layer.reply(mask, &mut out)?;
                io.write(out.get(..len).unwrap_or(&[]))?;
            }
            if n > 0 {
                return Ok(ReadResult::Data(n));
            }
            // Only control frames or a partial header: read again (a poll
            // then finds nothing and says so), or report the close.
        }
    }

    /// disconnect(), after DISCONNECT: the closing handshake's first frame
    /// (status 1000); the binding closes the socket next. Nothing on an
    /// inactive link.
    pub fn close<H: Host + Entropy>(&mut self, io: &mut H) -> Result<(), Error> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        let mask = self.mask(io)?;
        let mut out = [0u8; CONTROL];
        match self.layer.close(mask, &mut out)? {
            0 => Ok(()),
            n => io.write(out.get(..n).unwrap_or(&[])),
        }
    }
}

/// errno EIO: a frame broken off half-way.
const EIO: i32 = 5;

/// The mask as it applies from payload offset `at` on.
fn rotate(mask: [u8; 4], at: usize) -> [u8; 4] {
    let mut m = mask;
    m.rotate_left(at % 4);
    m
}

/// A [`Host`] over `inner` through `link` (MQTT over WebSockets), or
/// `inner` itself without a link or while it is inactive.
pub struct WsHost<'a, H, B> {
    /// The byte stream (and clock, and random source).
    pub inner: H,
    /// The connection's WebSocket state (None: never a WebSocket).
    pub link: Option<&'a mut Link<B>>,
}

impl<H: Host + Entropy, B: Buffer> Host for WsHost<'_, H, B> {
    fn now_ms(&mut self) -> u64 {
        self.inner.now_ms()
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        match self.link.as_deref_mut() {
            Some(link) if link.active => link.write(&mut self.inner, data),
            _ => self.inner.write(data),
        }
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        match self.link.as_deref_mut() {
            Some(link) if link.active => link.read(&mut self.inner, buf, wait),
            _ => self.inner.read(buf, wait),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// A scripted stream: reads hand out `input` in pieces of `chunk`.
    struct Fake {
        input: Vec<u8>,
        chunk: usize,
        sent: Vec<Vec<u8>>,
        now: u64,
        fail_write_after: Option<usize>,
    }

    impl Fake {
        fn new(input: &[u8], chunk: usize) -> Self {
            Fake {
                input: input.to_vec(),
                chunk,
                sent: Vec::new(),
                now: 0,
                fail_write_after: None,
            }
        }
    }

    impl Entropy for Fake {
        fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(37).wrapping_add(11);
            }
            Ok(())
        }
    }

    impl Host for Fake {
        fn now_ms(&mut self) -> u64 {
            self.now
        }
        fn write(&mut self, data: &[u8]) -> Result<(), Error> {
            if self.fail_write_after == Some(self.sent.len()) {
                return Err(Error::Host);
            }
            self.sent.push(data.to_vec());
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
            if self.input.is_empty() {
                if let ReadWait::Force(ms) = wait {
                    self.now += u64::from(ms);
                }
                return Ok(ReadResult::TimedOut);
            }
            let n = self.chunk.min(buf.len()).min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input.drain(..n);
            Ok(ReadResult::Data(n))
        }
    }

    /// The server's 101 answer to the request the fake's nonce makes.
    fn answer() -> Vec<u8> {
        let mut nonce = [0u8; 16];
        Fake::new(&[], 1).fill_random(&mut nonce).unwrap();
        crate::ws::test_support::answer(&nonce)
    }

    fn req() -> Request<'static> {
        crate::ws::test_support::request()
    }

    /// Unmask a client frame: (opcode, payload).
    fn unframe(f: &[u8]) -> (u8, Vec<u8>) {
        let (len, at) = match f[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([f[2], f[3]])), 4),
            127 => (
                u64::from_be_bytes(f[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (usize::from(n), 2),
        };
        let mask = &f[at..at + 4];
        let body = &f[at + 4..];
        assert_eq!(body.len(), len);
        let p = body
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect();
        (f[0] & 0x0f, p)
    }

    /// A buffer that grows to at most `N` bytes.
    struct Capped<const N: usize>(Vec<u8>);

    impl<const N: usize> Buffer for Capped<N> {
        fn bytes(&self) -> &[u8] {
            &self.0
        }
        fn bytes_mut(&mut self) -> &mut [u8] {
            &mut self.0
        }
        fn grow(&mut self, len: usize) -> bool {
            if len > N {
                return false;
            }
            self.0.resize(len.max(self.0.len()), 0);
            true
        }
    }

    fn open(input: &[u8], chunk: usize) -> (Link<Capped<256>>, Fake) {
        let mut io = Fake::new(input, chunk);
        let mut link = Link::new(1 << 20, Capped(Vec::new()));
        link.open(&mut io, &req(), Some(1000)).unwrap();
        assert!(link.is_active());
        (link, io)
    }

    #[test]
    fn handshake_keeps_frames_behind_the_answer() {
        let mut input = answer();
        input.extend_from_slice(&[0x82, 3, 0x20, 2, 0]); // CONNACK in one frame
        let (mut link, mut io) = open(&input, 7);
        assert!(io.sent[0].starts_with(b"GET /mqtt HTTP/1.1\r\n"));
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        while got.len() < 3 {
            match link.read(&mut io, &mut buf, ReadWait::Force(10)).unwrap() {
                ReadResult::Data(n) => got.extend_from_slice(&buf[..n]),
                r => panic!("{r:?}"),
            }
        }
        assert_eq!(got, [0x20, 2, 0]);
    }

    #[test]
    fn silent_server_times_out_and_refusal_is_261() {
        let mut io = Fake::new(b"HTTP/1.1 101 Switching", 64);
        let mut link = Link::new(1024, [0u8; 256]);
        assert_eq!(link.open(&mut io, &req(), Some(500)), Err(Error::Timeout));
        let mut io = Fake::new(b"HTTP/1.1 403 Forbidden\r\n\r\n", 64);
        let e = link.open(&mut io, &req(), None).unwrap_err();
        assert_eq!(e.report().code, crate::error::code::WS_HANDSHAKE);
        assert!(!link.is_active());
    }

    #[test]
    fn large_writes_go_out_in_scratch_sized_pieces() {
        let (mut link, mut io) = open(&answer(), 512);
        io.sent.clear();
        let small = [7u8; 40];
        link.write(&mut io, &small).unwrap();
        assert_eq!(io.sent.len(), 1);
        assert_eq!(unframe(&io.sent[0]), (2, small.to_vec()));
        let big: Vec<u8> = (0..70_001u32).map(|i| (i * 7) as u8).collect();
        io.sent.clear();
        link.write(&mut io, &big).unwrap();
        assert!(io.sent.len() > 1 && io.sent.iter().all(|p| p.len() <= 256));
        assert_eq!(unframe(&io.sent.concat()), (2, big.clone()));
        // A failure after the first piece breaks the stream: Io.
        io.fail_write_after = Some(io.sent.len() + 2);
        assert_eq!(link.write(&mut io, &big), Err(Error::Io(EIO)));
    }

    #[test]
    fn pings_answered_and_close_replied_and_reported() {
        let mut input = answer();
        input.extend_from_slice(&[0x89, 2, b'h', b'i', 0x82, 2, 0xd0, 0]);
        let (mut link, mut io) = open(&input, 4096);
        io.sent.clear();
        let mut buf = [0u8; 64];
        assert_eq!(
            link.read(&mut io, &mut buf, ReadWait::Poll),
            Ok(ReadResult::Data(2))
        );
        assert_eq!(&buf[..2], [0xd0, 0]);
        assert_eq!(unframe(&io.sent[0]), (0xA, b"hi".to_vec()));
        io.input.extend_from_slice(&[0x88, 2, 0x03, 0xe9]);
        let e = link.read(&mut io, &mut buf, ReadWait::Poll).unwrap_err();
        assert_eq!(e, Error::WebSocket(WsError::Closed(Some(1001))));
        assert_eq!(unframe(&io.sent[1]), (0x8, 1001u16.to_be_bytes().to_vec()));
        assert_eq!(e.report().code, crate::error::code::CLOSED);
    }

    #[test]
    fn inactive_link_passes_bytes_through() {
        let mut link = Link::new(16, [0u8; 16]);
        let mut h = WsHost {
            inner: Fake::new(b"abc", 64),
            link: Some(&mut link),
        };
        h.write(b"xyz").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(h.read(&mut buf, ReadWait::Poll), Ok(ReadResult::Data(3)));
        assert_eq!(h.inner.sent, [b"xyz".to_vec()]);
        let mut io = h.inner;
        assert_eq!(link.close(&mut io), Ok(()));
    }
}
