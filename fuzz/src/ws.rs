//! WebSocket target: a script taken from the input makes a server's byte
//! stream (binary frames, fragments, pings, pongs, every length form, data
//! frames over the decoder's limit, and optionally a hostile frame or a
//! close), which is cut at points taken from the input and fed to
//! `umqtt_core::ws::Decoder` through the driver loop of its documentation.
//! What comes out must equal what an independent model of RFC 6455 framing
//! says: the MQTT bytes are exactly the payloads in order, each ping is
//! answered once with its payload, the error (if any) is the model's and
//! comes after exactly the bytes before it; `decode_in_place` over the same
//! pieces gives the same bytes and error and answers the last ping, and so
//! does `ws::Link` (the bindings' adapter) reading the same pieces from a
//! scripted stream after a handshake, replying to a close. Raw mode feeds the rest of the
//! input as it is to the decoder and to the handshake parser: no panic,
//! no more payload than input, errors final.
//!
//! Input layout: `[mode] [limit] [n] [n cut lengths] [script or raw...]`
//! - mode bit 0: raw mode; bits 1-7: the last script step (see [`Step`]).
//! - limit: data frame limit = limit * 16 bytes.
//! - n % 16 cut lengths (each byte + 1), used in a cycle; none = one piece.
//! - script: steps of `[op] [len lo] [len hi]? [payload...]`.

use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::ws::handshake::{accept_key, encode_key};
use umqtt_core::ws::{Decoder, Entropy, Event, Handshake, Link, Request, WsError};
use umqtt_core::Error;

use crate::{trace, Input};

/// What the model says the decoder reports, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// MQTT bytes.
    pub data: Vec<u8>,
    /// Payloads of the pongs sent back.
    pub pongs: Vec<Vec<u8>>,
    /// Pongs received.
    pub pongs_in: usize,
    /// A close and its code.
    pub close: Option<Option<u16>>,
    /// The error that ended the stream.
    pub error: Option<WsError>,
}

/// An unmasked server frame, built independently of the core.
fn server_frame(b0: u8, payload: &[u8], form: u8) -> Vec<u8> {
    let n = payload.len();
    let mut f = vec![b0];
    match form % 3 {
        0 if n < 126 => f.push(n as u8),
        0 | 1 if n <= 0xffff => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

/// Build the stream from the script and the model's expectation.
fn script(inp: &mut Input<'_>, limit: usize, last: u8) -> (Vec<u8>, Seen) {
    let mut raw = Vec::new();
    let mut want = Seen::default();
    let mut in_msg = false;
    let mut done = false;
    while !done {
        let op = inp.byte();
        let empty = inp.rest_len() == 0;
        let mut len = usize::from(inp.byte());
        if op & 0x80 != 0 {
            len |= usize::from(inp.byte()) << 8;
        }
        let form = (op >> 4) & 3;
        match op % 4 {
            0 | 1 => {
                let fin = op & 0x08 == 0 || empty;
                let payload = inp.take(len);
                let b0 = if in_msg { 0x00 } else { 0x02 } | if fin { 0x80 } else { 0 };
                raw.extend(server_frame(b0, payload, form));
                if payload.len() > limit {
                    want.error = Some(WsError::FrameTooLarge { len: payload.len() });
                    return (raw, want);
                }
                want.data.extend_from_slice(payload);
                in_msg = !fin;
            }
            2 => {
                let payload = inp.take(len % 126);
                raw.extend(server_frame(0x89, payload, 0));
                want.pongs.push(payload.to_vec());
            }
            _ => {
                raw.extend(server_frame(0x8a, inp.take(len % 126), 0));
                want.pongs_in += 1;
            }
        }
        done = empty;
    }
    if in_msg {
        raw.extend(server_frame(0x80, &[], 0));
    }
    // The last step: a hostile frame, a close, or nothing.
    let (frame, err): (Vec<u8>, Option<WsError>) = match last % 8 {
        1 => (vec![0x82, 0x81, 1, 2, 3, 4, 0], Some(WsError::MaskedFrame)),
        2 => (vec![0xc2, 0], Some(WsError::ReservedBits)),
        3 => (vec![0x81, 0], Some(WsError::TextFrame)),
        4 => (vec![0x80, 0], Some(WsError::BadContinuation)),
        5 => (vec![0x89, 126, 0, 126], Some(WsError::BadControlFrame)),
        6 => {
            want.close = Some(Some(1000 + u16::from(last)));
            (
                (server_frame(0x88, &(1000 + u16::from(last)).to_be_bytes(), 0)),
                None,
            )
        }
        _ => (Vec::new(), None),
    };
    raw.extend(frame);
    want.error = err;
    if want.close.is_some() {
        // Ignored after the close.
        raw.extend(server_frame(0x82, b"after close", 0));
    }
    (raw, want)
}

/// Feed `raw` in pieces through the driver loop.
fn drive(dec: &mut Decoder, raw: &[u8], cuts: &[u8]) -> Seen {
    let mut seen = Seen::default();
    let mut rest = raw;
    let mut i = 0;
    let mut out = [0u8; 160];
    while !rest.is_empty() {
        let n = match cuts.get(i % cuts.len().max(1)) {
            Some(&c) if !cuts.is_empty() => (usize::from(c) + 1).min(rest.len()),
            _ => rest.len(),
        };
        i += 1;
        let (mut chunk, tail) = rest.split_at(n);
        rest = tail;
        while !chunk.is_empty() {
            match dec.decode(chunk) {
                Err(e) => {
                    seen.error = Some(e);
                    assert_eq!(dec.decode(b"\x82\x00"), Err(e), "error not final");
                    return seen;
                }
                Ok((used, ev)) => {
                    assert!(used <= chunk.len());
                    chunk = &chunk[used..];
                    match ev {
                        Some(Event::Data(d)) => {
                            assert!(!d.is_empty(), "empty Data");
                            seen.data.extend_from_slice(d);
                        }
                        Some(Event::Ping) => {
                            let n = dec.encode_pong([5, 6, 7, 8], &mut out).expect("pong fits");
                            let body: Vec<u8> = out[6..n]
                                .iter()
                                .zip([5, 6, 7, 8].iter().cycle())
                                .map(|(b, m)| b ^ m)
                                .collect();
                            assert_eq!(&out[..2], &[0x8a, 0x80 | body.len() as u8]);
                            seen.pongs.push(body);
                        }
                        Some(Event::Pong) => seen.pongs_in += 1,
                        Some(Event::Close(c)) => seen.close = Some(c),
                        None => assert!(chunk.is_empty(), "None with input left"),
                    }
                }
            }
        }
    }
    seen
}

/// The same pieces through `decode_in_place`: the MQTT bytes and the
/// error must be those of `decode`, the last ping answered.
fn drive_in_place(limit: usize, raw: &[u8], cuts: &[u8], want: &Seen) {
    let mut dec = Decoder::new(limit);
    let mut data = Vec::new();
    let mut error = None;
    let mut rest = raw;
    let mut i = 0;
    let mut last_pong = None;
    let mut out = [0u8; 160];
    while !rest.is_empty() {
        let n = match cuts.get(i % cuts.len().max(1)) {
            Some(&c) => (usize::from(c) + 1).min(rest.len()),
            None => rest.len(),
        };
        i += 1;
        let mut chunk = rest[..n].to_vec();
        rest = &rest[n..];
        match dec.decode_in_place(&mut chunk) {
            Ok(m) => data.extend_from_slice(&chunk[..m]),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        if dec.pong_due() {
            let k = dec.encode_pong([0; 4], &mut out).expect("pong fits");
            last_pong = Some(out[6..k].to_vec());
        }
    }
    if error.is_some() {
        // Bytes before the error in the failing chunk are not returned.
        assert!(want.data.starts_with(&data));
    } else {
        assert_eq!(data, want.data);
        if want.close.is_none() {
            assert_eq!(last_pong.as_ref(), want.pongs.last());
        }
    }
    assert_eq!(error, want.error);
}

/// A stream that hands out `pieces` one per read and records writes.
struct Scripted {
    pieces: std::collections::VecDeque<Vec<u8>>,
    sent: Vec<Vec<u8>>,
}

impl Entropy for Scripted {
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        buf.fill(0x5a);
        Ok(())
    }
}

impl Host for Scripted {
    fn now_ms(&mut self) -> u64 {
        0
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.sent.push(data.to_vec());
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], _: ReadWait) -> Result<ReadResult, Error> {
        let Some(mut p) = self.pieces.pop_front() else {
            return Ok(ReadResult::TimedOut);
        };
        let n = p.len().min(buf.len());
        buf[..n].copy_from_slice(&p[..n]);
        if n < p.len() {
            self.pieces.push_front(p.split_off(n));
        }
        Ok(ReadResult::Data(n))
    }
}

/// The server's 101 answer to a request with `nonce`.
pub fn answer(nonce: &[u8; 16]) -> Vec<u8> {
    let mut a = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Accept: "
        .to_vec();
    a.extend_from_slice(&accept_key(&encode_key(nonce)));
    a.extend_from_slice(b"\r\n\r\n");
    a
}

/// `GET /mqtt` to host `h`, port 80, no extra headers.
pub fn request() -> Request<'static> {
    Request {
        host: "h",
        port: 80,
        tls: false,
        path: "/mqtt",
        headers: &[],
    }
}

/// The same pieces through `ws::Link` after a handshake: the MQTT bytes
/// and the error of `decode`, a close reported as `WsError::Closed` and
/// answered with its code.
fn drive_link(limit: usize, raw: &[u8], cuts: &[u8], want: &Seen) {
    let answer = answer(&[0x5a; 16]);
    let mut io = Scripted {
        pieces: [answer].into(),
        sent: Vec::new(),
    };
    let (mut rest, mut i) = (raw, 0);
    while !rest.is_empty() {
        let n = match cuts.get(i % cuts.len().max(1)) {
            Some(&c) => (usize::from(c) + 1).min(rest.len()),
            None => rest.len(),
        };
        i += 1;
        io.pieces.push_back(rest[..n].to_vec());
        rest = &rest[n..];
    }
    let mut link = Link::new(limit, [0u8; 256]);
    link.open(&mut io, &request(), None).expect("handshake");
    let mut data = Vec::new();
    let mut buf = [0u8; 300];
    let end = loop {
        match link.read(&mut io, &mut buf, ReadWait::Poll) {
            Ok(ReadResult::Data(n)) => data.extend_from_slice(&buf[..n]),
            Ok(_) => break None,
            Err(e) => break Some(e),
        }
    };
    match (want.error, want.close) {
        (Some(e), _) => {
            assert_eq!(end, Some(Error::from(e)));
            assert!(want.data.starts_with(&data));
        }
        (None, Some(code)) => {
            assert_eq!(end, Some(Error::WebSocket(WsError::Closed(code))));
            assert!(want.data.starts_with(&data));
            let reply = io.sent.last().expect("close reply");
            assert_eq!(reply[0], 0x88);
        }
        (None, None) => {
            assert_eq!(end, None);
            assert_eq!(data, want.data);
        }
    }
}

/// The harness; see the module documentation.
pub fn run(data: &[u8]) {
    let mut inp = Input::new(data);
    let mode = inp.byte();
    let limit = usize::from(inp.byte()) * 16;
    let n = usize::from(inp.byte() % 16);
    let cuts = inp.take(n).to_vec();
    let mut dec = Decoder::new(limit);
    if mode & 1 == 1 {
        let raw = inp.rest();
        let seen = drive(&mut dec, raw, &cuts);
        assert!(seen.data.len() <= raw.len());
        let mut hs = Handshake::new(&[0; 16]);
        if let Ok(Some(used)) = hs.push(raw) {
            assert!(used <= raw.len() && hs.is_done());
        }
        return;
    }
    let (raw, want) = script(&mut inp, limit, mode >> 1);
    trace!(
        "ws: {} raw bytes, limit {limit}, cuts {cuts:?}, want {want:?}",
        raw.len()
    );
    let seen = drive(&mut dec, &raw, &cuts);
    assert_eq!(seen, want);
    drive_in_place(limit, &raw, &cuts, &want);
    drive_link(limit, &raw, &cuts, &want);
    if want.error.is_none() {
        assert_eq!(dec.is_closed(), want.close.is_some());
        assert!(!dec.mid_message());
    }
}
