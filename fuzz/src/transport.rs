//! Transport target: a `Connection` behind `connection::Transport` in
//! WebSocket mode (what umqtt.aio drives), its handshake answered, then
//! fed an arbitrary server stream in pieces with publishes in between.
//! Checked: no panic; every write is whole masked client frames; a binary
//! frame carries whole MQTT packets; nothing follows a close frame; after
//! a fatal error the connection is down and marked lost.
//!
//! Input layout: `[cfg] [ops] [stream...]`. cfg bits 0-3: piece length - 1;
//! bit 4: the answer and the stream in one first piece. Each bit of `ops`
//! (cycled, one per piece) publishes a QoS 1 message before the piece.

use umqtt_core::codec::Connect;
use umqtt_core::connection::{Connection, Transport};
use umqtt_core::session::{Config, State};
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::{Error, ProtocolVersion, QoS};

use crate::connection::after_error;
use crate::{parse_header, Input, VecBuf};

type Conn = Connection<VecBuf, VecBuf, VecBuf, VecBuf, 4>;

const NONCE: [u8; 16] = [3; 16];

/// The client frames of one write: well formed, masked, final; binary
/// payloads whole MQTT packets; no frame after a close. Returns whether a
/// close frame went out.
fn check_frames(mut b: &[u8], mut closed: bool) -> bool {
    while !b.is_empty() {
        assert!(!closed, "a frame after the close frame");
        assert!(b.len() >= 6, "half a frame header");
        assert_eq!(b[0] & 0xF0, 0x80, "FIN, no reserved bits");
        assert_eq!(b[1] & 0x80, 0x80, "client frames are masked");
        let (len, at) = match b[1] & 0x7F {
            126 => (usize::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 => {
                let mut v = [0u8; 8];
                v.copy_from_slice(&b[2..10]);
                (usize::try_from(u64::from_be_bytes(v)).expect("length"), 10)
            }
            n => (usize::from(n), 2),
        };
        let mask = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        let body = &b[at + 4..];
        assert!(body.len() >= len, "half a frame");
        let payload: Vec<u8> = body[..len]
            .iter()
            .enumerate()
            .map(|(i, x)| x ^ mask[i % 4])
            .collect();
        match b[0] & 0x0F {
            2 => {
                let mut p = &payload[..];
                while !p.is_empty() {
                    let (_, n, head) = parse_header(p)
                        .expect("malformed packet sent")
                        .expect("half a packet in a frame");
                    assert!(p.len() >= head + n, "half a packet in a frame");
                    p = &p[head + n..];
                }
            }
            8 => closed = true,
            0xA => {}
            op => panic!("opcode {op:#x} sent"),
        }
        b = &body[len..];
    }
    closed
}

/// Write everything the transport has; returns whether a close went out.
fn drain(c: &mut Conn, t: &mut Transport<VecBuf>, now: u64, mut closed: bool) -> bool {
    for _ in 0..64 {
        match t.poll_transmit(c, now) {
            Ok(Some(b)) => {
                closed = check_frames(b, closed);
                let n = b.len();
                t.transmitted(c, n);
            }
            Ok(None) => return closed,
            Err(e) => {
                crate::trace!("  transmit -> {e:?}");
                return closed;
            }
        }
    }
    panic!("poll_transmit never ends");
}

/// See the module documentation.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let cfg = input.byte();
    let ops = input.byte();
    let stream = input.rest();
    let piece = usize::from(cfg & 15) + 1;
    let mut c: Conn = Connection::new(
        Config::default(),
        VecBuf::new(16, 1 << 16),
        VecBuf::new(16, 1 << 16),
        VecBuf::new(0, 1 << 16),
        Subscriptions::new(VecBuf::new(0, 1 << 12)),
    );
    let mut t = Transport::new(VecBuf::new(0, 1 << 17));
    let pkt = Connect {
        protocol: ProtocolVersion::V311,
        client_id: b"fuzz",
        keepalive: 5,
        clean_session: true,
        username: None,
        password: None,
        will: None,
    };
    c.connect(&pkt, 0).expect("CONNECT encodes");
    t.websocket(&crate::ws::request(), &NONCE, [5; 16])
        .expect("request encodes");
    // The request, and nothing else before the answer.
    match t.poll_transmit(&mut c, 0) {
        Ok(Some(b)) => {
            assert!(b.starts_with(b"GET /mqtt HTTP/1.1\r\n"));
            let n = b.len();
            t.transmitted(&mut c, n);
        }
        r => panic!("no request: {r:?}"),
    }
    assert!(
        matches!(t.poll_transmit(&mut c, 0), Ok(None)),
        "CONNECT before the answer"
    );
    let answer = crate::ws::answer(&NONCE);
    let mut all = answer.clone();
    if cfg & 16 != 0 {
        all.extend_from_slice(stream);
    } else {
        assert_eq!(t.feed(&mut c, &answer), Ok(answer.len()));
        all.clear();
        all.extend_from_slice(stream);
    }
    let mut closed = drain(&mut c, &mut t, 0, false);
    let mut now = 0u64;
    for (i, chunk) in all.chunks(piece).enumerate() {
        now += 100;
        if c.session().state() == State::Connected && ops >> (i % 8) & 1 != 0 {
            let r = c.publish(b"t", b"payload", QoS::AtLeastOnce, false, now);
            crate::trace!("op {i} -> {r:?}");
            closed = drain(&mut c, &mut t, now, closed);
        }
        let mut fed = 0;
        while fed < chunk.len() {
            let n = match t.feed(&mut c, &chunk[fed..]) {
                Ok(n) => n,
                Err(e) => {
                    crate::trace!("  feed -> {e:?}");
                    after_error(&c, &e);
                    drain(&mut c, &mut t, now, closed);
                    return;
                }
            };
            fed += n;
            loop {
                match t.poll_event(&mut c, now) {
                    Ok(Some(ev)) => {
                        crate::trace!("  {ev:?}");
                        if let Err(e) = c.queue_pending(now) {
                            after_error(&c, &e);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        crate::trace!("  event -> {e:?}");
                        after_error(&c, &e);
                        if !matches!(e, Error::FrameTooLarge { .. }) {
                            break;
                        }
                    }
                }
            }
            if let Err(e) = c.handle_timeout(now) {
                after_error(&c, &e);
            }
            closed = drain(&mut c, &mut t, now, closed);
            if c.session().state() == State::Disconnected {
                return;
            }
            if n == 0 {
                break;
            }
        }
    }
}
