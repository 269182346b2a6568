//! Connection target: the sans-IO `Connection` fed an arbitrary broker
//! stream through `handle_input` or `recv_buffer`/`received`, in pieces,
//! with the application's operations in between. Checked: no panic; every
//! `poll_transmit` is whole packets; a message event lends a message; the
//! stored frames are exactly the in-flight PUBLISHes; after a fatal error
//! the connection is down and marked lost, and sends nothing.
//!
//! Input layout: `[cfg] [ops] [stream...]`. cfg bits 0-3: piece length - 1;
//! bit 4: feed through `recv_buffer`; bit 5: a 64-byte fixed receive buffer
//! (oversized frames skipped) instead of a growable one; bit 6: clean
//! session. Each bit of `ops` (cycled, one per piece) publishes a QoS 1/2
//! message or subscribes before the piece.

use umqtt_core::codec::Connect;
use umqtt_core::connection::{is_fatal, Connection, Event};
use umqtt_core::session::{Config, State};
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::{Buffer, Error, ProtocolVersion, QoS};

use crate::{parse_header, Input, VecBuf};

/// A fixed or growable receive buffer.
enum Rx {
    Fixed([u8; 64]),
    Grow(VecBuf),
}

impl Buffer for Rx {
    fn bytes(&self) -> &[u8] {
        match self {
            Rx::Fixed(b) => b,
            Rx::Grow(b) => b.bytes(),
        }
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Rx::Fixed(b) => b,
            Rx::Grow(b) => b.bytes_mut(),
        }
    }
    fn grow(&mut self, len: usize) -> bool {
        match self {
            Rx::Fixed(b) => b.len() >= len,
            Rx::Grow(b) => b.grow(len),
        }
    }
}

type Conn = Connection<Rx, VecBuf, VecBuf, VecBuf, 4>;

/// Everything to send now must be whole packets.
fn drain(c: &mut Conn, now: u64) {
    for _ in 0..64 {
        match c.poll_transmit(now) {
            Ok(Some(b)) => {
                let mut at = 0;
                while at < b.len() {
                    let (_, len, head) = parse_header(&b[at..])
                        .expect("malformed packet sent")
                        .expect("half a packet sent");
                    at += head + len;
                }
                assert_eq!(at, b.len(), "packet runs past the transmit bytes");
                let n = b.len();
                c.transmitted(n);
            }
            Ok(None) => return,
            Err(e) => {
                crate::trace!("  transmit -> {e:?}");
                return;
            }
        }
    }
    panic!("poll_transmit never ends");
}

fn check(c: &Conn) {
    let s = c.session();
    for id in c.frames().ids() {
        assert!(s.is_inflight(id), "stored frame for {id:?} not in flight");
    }
}

/// After a fatal error the connection is down and marked lost.
pub fn after_error<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
    c: &Connection<RB, TB, FB, SB, N>,
    e: &Error,
) {
    if is_fatal(e) {
        assert_eq!(c.session().state(), State::Disconnected, "up after {e:?}");
        assert!(c.lost());
    }
}

/// See the module documentation.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let cfg = input.byte();
    let ops = input.byte();
    let stream = input.rest();
    let piece = usize::from(cfg & 15) + 1;
    let rx = if cfg & 32 != 0 {
        Rx::Fixed([0; 64])
    } else {
        Rx::Grow(VecBuf::new(16, 1 << 16))
    };
    let mut c: Conn = Connection::new(
        Config::default(),
        rx,
        VecBuf::new(16, 1 << 16),
        VecBuf::new(0, 1 << 16),
        Subscriptions::new(VecBuf::new(0, 1 << 12)),
    );
    let pkt = Connect {
        protocol: ProtocolVersion::V311,
        client_id: b"fuzz",
        keepalive: 5,
        clean_session: cfg & 64 != 0,
        username: None,
        password: None,
        will: None,
    };
    c.connect(&pkt, 0).expect("CONNECT encodes");
    drain(&mut c, 0);
    let mut now = 0u64;
    for (i, chunk) in stream.chunks(piece).enumerate() {
        now += 100;
        if c.session().state() == State::Connected && ops >> (i % 8) & 1 != 0 {
            let r = if i % 3 == 0 {
                c.subscribe(&[(b"f/#", QoS::ExactlyOnce)], now).map(|_| ())
            } else {
                let qos = if i % 2 == 0 {
                    QoS::AtLeastOnce
                } else {
                    QoS::ExactlyOnce
                };
                c.publish(b"t", b"payload", qos, false, now).map(|_| ())
            };
            crate::trace!("op {i} -> {r:?}");
            drain(&mut c, now);
        }
        let mut fed = 0;
        while fed < chunk.len() {
            let rest = &chunk[fed..];
            let n = if cfg & 16 != 0 {
                let buf = c.recv_buffer();
                let n = buf.len().min(rest.len());
                buf[..n].copy_from_slice(&rest[..n]);
                c.received(n);
                n
            } else {
                c.handle_input(rest)
            };
            fed += n;
            loop {
                match c.poll_event(now) {
                    Ok(Some(ev)) => {
                        crate::trace!("  {ev:?}");
                        if let Event::Message { .. } = ev {
                            assert!(c.message().is_some(), "message event without message");
                        }
                        drain(&mut c, now);
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
            drain(&mut c, now);
            check(&c);
            if c.session().state() == State::Disconnected {
                assert!(
                    c.poll_transmit(now).expect("no error").is_none(),
                    "sends while down"
                );
                return;
            }
            if n == 0 {
                // Receive buffer full and no frame completes: nothing more fits.
                break;
            }
        }
    }
}
