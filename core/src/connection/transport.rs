//! What lies between the socket and a [`Connection`] for an asynchronous
//! driver: nothing (MQTT over TCP: the calls pass straight through) or,
//! with [`Transport::websocket`], a WebSocket (RFC 6455, client side): the
//! opening handshake first (MQTT bytes wait for the server's answer), every
//! write of the connection as one masked binary frame, the server's frames
//! unframed into the connection's receive buffer, pings and closes answered,
//! and a close frame behind DISCONNECT.
//!
//! The driver loop is the connection's, with the transport's calls in
//! place of four of them:
//!
//! ```text
//! conn.connect(..); [transport.websocket(&request, nonce, seed)]   open the socket
//! transport.poll_transmit(&mut conn, now) -> write; transport.transmitted(&mut conn, n)
//! read -> transport.feed(&mut conn, &bytes) (how many it took)
//! transport.poll_event(&mut conn, now) in place of conn.poll_event
//! transport.next_deadline(&conn); conn.disconnect(..); transport.close()
//! ```
//!
//! The blocking client keeps [`crate::ws::Link`] below its host instead.

use super::{Connection, Event};
use crate::buffer::Buffer;
#[cfg(feature = "ws")]
use crate::ws::{frame, handshake, Layer, Request, MAX_FRAME};
use crate::Error;

/// See the module documentation. `B` holds the bytes a WebSocket sends
/// (the upgrade request, frames); unused over TCP.
#[derive(Debug)]
pub struct Transport<B: Buffer> {
    #[cfg(feature = "ws")]
    ws: Ws<B>,
    #[cfg(not(feature = "ws"))]
    _out: core::marker::PhantomData<B>,
}

/// The WebSocket of the current connection.
#[cfg(feature = "ws")]
#[derive(Debug)]
struct Ws<B: Buffer> {
    /// The current connection is a WebSocket.
    active: bool,
    layer: Layer,
    /// `out[..out_len]` waits to be written.
    out: B,
    out_len: usize,
    masks: Masks,
}

/// Masking keys (RFC 6455 sec 5.3: unpredictable, from a strong source of
/// entropy): SHA-1 of the driver's 16 random bytes and a counter.
#[cfg(feature = "ws")]
#[derive(Debug)]
struct Masks {
    seed: [u8; 16],
    n: u32,
}

#[cfg(feature = "ws")]
impl Masks {
    fn next(&mut self) -> [u8; 4] {
        let d = handshake::sha1(&[&self.seed, &self.n.to_le_bytes()]);
        self.n = self.n.wrapping_add(1);
        [d[0], d[1], d[2], d[3]]
    }
}

impl<B: Buffer> Transport<B> {
    /// MQTT over TCP until [`Transport::websocket`]; `out` is where a
    /// WebSocket's bytes are built (it grows on demand if it can).
    pub fn new(out: B) -> Self {
        #[cfg(feature = "ws")]
        return Transport {
            ws: Ws {
                active: false,
                layer: Layer::new(MAX_FRAME),
                out,
                out_len: 0,
                masks: Masks {
                    seed: [0; 16],
                    n: 0,
                },
            },
        };
        #[cfg(not(feature = "ws"))]
        {
            let _ = out;
            Transport {
                _out: core::marker::PhantomData,
            }
        }
    }

    /// The next connection is MQTT over TCP.
    pub fn tcp(&mut self) {
        #[cfg(feature = "ws")]
        {
            let ws = &mut self.ws;
            ws.active = false;
            ws.layer.reset();
            ws.out_len = 0;
        }
    }

    /// Whether the current connection is a WebSocket (its handshake may
    /// still be under way).
    pub fn is_websocket(&self) -> bool {
        #[cfg(feature = "ws")]
        return self.ws.active;
        #[cfg(not(feature = "ws"))]
        false
    }

    /// The freshly opened socket carries a WebSocket: the upgrade request
    /// with `nonce` (16 random bytes) is the first thing to write, and what
    /// the connection queued (CONNECT) waits for the server's answer.
    /// `seed` (16 more random bytes) makes the masking keys. A bad host,
    /// path or header is an argument error; the connection is then MQTT
    /// over TCP.
    #[cfg(feature = "ws")]
    pub fn websocket(
        &mut self,
        req: &Request<'_>,
        nonce: &[u8; 16],
        seed: [u8; 16],
    ) -> Result<(), Error> {
        let ws = &mut self.ws;
        ws.active = false;
        ws.out_len = 0;
        let mut r = ws.layer.request(req, nonce, ws.out.bytes_mut());
        if let Err(crate::ws::WsError::BufferTooSmall { needed }) = r {
            if !ws.out.grow(needed) {
                return Err(Error::BufferTooSmall { needed });
            }
            r = ws.layer.request(req, nonce, ws.out.bytes_mut());
        }
        ws.out_len = r?;
        ws.masks = Masks { seed, n: 0 };
        ws.active = true;
        Ok(())
    }

    /// The WebSocket of this connection, if it is one.
    #[cfg(feature = "ws")]
    fn ws(&mut self) -> Option<&mut Ws<B>> {
        Some(&mut self.ws).filter(|w| w.active)
    }

    /// Bytes received from the socket; returns how many were taken (the
    /// rest once [`Transport::poll_event`] made room). A handshake refusal
    /// or a framing violation ends the connection and is returned.
    pub fn feed<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &mut self,
        conn: &mut Connection<RB, TB, FB, SB, N>,
        data: &[u8],
    ) -> Result<usize, Error> {
        #[cfg(feature = "ws")]
        if let Some(ws) = self.ws() {
            let r = ws.feed(conn, data);
            return conn.check(r);
        }
        Ok(conn.handle_input(data))
    }

    /// [`Connection::poll_event`]; then, once the frames before it are
    /// handled, the server's close ends the connection (its error).
    pub fn poll_event<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &mut self,
        conn: &mut Connection<RB, TB, FB, SB, N>,
        now: u64,
    ) -> Result<Option<Event>, Error> {
        let ev = conn.poll_event(now)?;
        #[cfg(feature = "ws")]
        if ev.is_none() {
            if let Some(e) = self.ws().and_then(|w| w.layer.closed()) {
                let e = Error::from(e);
                conn.fail(&e);
                return Err(e);
            }
        }
        Ok(ev)
    }

    /// Bytes to write now, or `None`: the connection's
    /// ([`Connection::poll_transmit`]), on a WebSocket framed (and none but
    /// the request before the server accepted it, none after a close).
    pub fn poll_transmit<'a, RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &'a mut self,
        conn: &'a mut Connection<RB, TB, FB, SB, N>,
        now: u64,
    ) -> Result<Option<&'a [u8]>, Error> {
        #[cfg(feature = "ws")]
        if let Some(ws) = self.ws() {
            let r = ws.frame_all(conn, now);
            conn.check(r)?;
            return Ok(ws.out.bytes().get(..ws.out_len).filter(|b| !b.is_empty()));
        }
        conn.poll_transmit(now)
    }

    /// The first `n` bytes [`Transport::poll_transmit`] returned were
    /// written.
    pub fn transmitted<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &mut self,
        conn: &mut Connection<RB, TB, FB, SB, N>,
        n: usize,
    ) {
        #[cfg(feature = "ws")]
        if let Some(ws) = self.ws() {
            let len = ws.out_len;
            let n = n.min(len);
            if let Some(b) = ws.out.bytes_mut().get_mut(..len) {
                b.copy_within(n.., 0);
            }
            ws.out_len = len.saturating_sub(n);
            return;
        }
        conn.transmitted(n);
    }

    /// [`Connection::next_deadline`]; during the handshake only the
    /// session's (its CONNECT cannot go out yet).
    pub fn next_deadline<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &self,
        conn: &Connection<RB, TB, FB, SB, N>,
    ) -> Option<u64> {
        #[cfg(feature = "ws")]
        if self.ws.active {
            if self.ws.out_len > 0 {
                return Some(0);
            }
            if !self.ws.layer.is_open() {
                return conn.session().next_deadline();
            }
        }
        conn.next_deadline()
    }

    /// After [`Connection::disconnect`]: on a WebSocket, the closing
    /// handshake (status 1000) behind the DISCONNECT.
    pub fn close<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &mut self,
        conn: &mut Connection<RB, TB, FB, SB, N>,
        now: u64,
    ) -> Result<(), Error> {
        #[cfg(feature = "ws")]
        if let Some(ws) = self.ws() {
            ws.frame_all(conn, now)?;
            let mask = ws.masks.next();
            return ws.append(|l, out| l.close(mask, out));
        }
        let _ = (conn, now);
        Ok(())
    }
}

#[cfg(feature = "ws")]
impl<B: Buffer> Ws<B> {
    /// Append what `make` writes into the free part of `out` (grown once
    /// to a control frame's size if needed).
    fn append(
        &mut self,
        make: impl Fn(&mut Layer, &mut [u8]) -> Result<usize, crate::ws::WsError>,
    ) -> Result<(), Error> {
        let need = self.out_len.saturating_add(frame::MAX_CLIENT_HEADER + 127);
        if self.out.bytes().len() < need && !self.out.grow(need) {
            return Err(Error::BufferTooSmall { needed: need });
        }
        let at = self.out_len;
        let free = self.out.bytes_mut().get_mut(at..).unwrap_or(&mut []);
        let n = make(&mut self.layer, free)?;
        self.out_len = at.saturating_add(n);
        Ok(())
    }

    /// Frame everything the connection has to send into `out`: nothing
    /// before the server accepted the upgrade, nothing after a close frame.
    fn frame_all<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &mut self,
        conn: &mut Connection<RB, TB, FB, SB, N>,
        now: u64,
    ) -> Result<(), Error> {
        if !self.layer.is_open() || self.layer.close_sent() {
            return Ok(());
        }
        while let Some(data) = conn.poll_transmit(now)? {
            let n = data.len();
            let at = self.out_len;
            let end = at.saturating_add(frame::frame_len(n));
            if self.out.bytes().len() < end && !self.out.grow(end) {
                return Err(Error::BufferTooSmall { needed: end });
            }
            let mask = self.masks.next();
            let free = self.out.bytes_mut().get_mut(at..).unwrap_or(&mut []);
            let len = self.layer.frame(data, mask, free)?;
            self.out_len = at.saturating_add(len);
            conn.transmitted(n);
        }
        Ok(())
    }

    /// Raw bytes in: the server's answer to the upgrade, then frames,
    /// unframed in place in the connection's receive buffer; a ping or a
    /// close is answered.
    fn feed<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const N: usize>(
        &mut self,
        conn: &mut Connection<RB, TB, FB, SB, N>,
        data: &[u8],
    ) -> Result<usize, Error> {
        let mut used = 0;
        if !self.layer.is_open() {
            match self.layer.accept(data)? {
                None => return Ok(data.len()),
                Some(n) => used = n,
            }
        }
        let rest = data.get(used..).unwrap_or(&[]);
        let spare = conn.recv_buffer();
        let n = rest.len().min(spare.len());
        let (Some(dst), Some(src)) = (spare.get_mut(..n), rest.get(..n)) else {
            return Ok(used);
        };
        dst.copy_from_slice(src);
        let mqtt = self.layer.decode(dst)?;
        conn.received(mqtt);
        if self.layer.reply_due() {
            // A close reply goes behind the frames already queued, the
            // last frame of this connection.
            let mask = self.masks.next();
            self.append(|l, out| l.reply(mask, out))?;
        }
        Ok(used.saturating_add(n))
    }
}

#[cfg(all(test, feature = "ws"))]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
mod tests {
    extern crate std;
    use super::*;
    use crate::codec::Connect;
    use crate::session::Config;
    use crate::subscriptions::Subscriptions;
    use crate::ws::WsError;
    use crate::ProtocolVersion;
    use std::vec::Vec;

    type Conn = Connection<[u8; 256], [u8; 256], [u8; 256], [u8; 256]>;
    type Tr = Transport<[u8; 512]>;

    const NONCE: [u8; 16] = [7; 16];
    const CONNECT: [u8; 15] = [
        0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 0, 0, 1, b'c',
    ];

    fn new() -> (Conn, Tr) {
        let mut c = Connection::new(
            Config::default(),
            [0; 256],
            [0; 256],
            [0; 256],
            Subscriptions::new([0; 256]),
        );
        let p = Connect {
            protocol: ProtocolVersion::V311,
            client_id: b"c",
            keepalive: 0,
            clean_session: true,
            username: None,
            password: None,
            will: None,
        };
        c.connect(&p, 0).unwrap();
        (c, Transport::new([0; 512]))
    }

    fn request() -> Request<'static> {
        crate::ws::test_support::request()
    }

    fn answer() -> Vec<u8> {
        crate::ws::test_support::answer(&NONCE)
    }

    /// A server frame (unmasked, FIN) of `op`.
    fn server_frame(op: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = std::vec![0x80 | op, payload.len() as u8];
        f.extend_from_slice(payload);
        f
    }

    /// Everything the transport writes now.
    fn take(c: &mut Conn, t: &mut Tr) -> Vec<u8> {
        let mut v = Vec::new();
        while let Some(b) = t.poll_transmit(c, 0).unwrap() {
            let n = b.len();
            v.extend_from_slice(b);
            t.transmitted(c, n);
        }
        v
    }

    /// The client frames in `bytes`: (opcode, unmasked payload, mask).
    fn client_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>, [u8; 4])> {
        let mut v = Vec::new();
        while !bytes.is_empty() {
            assert_eq!(bytes[0] & 0x80, 0x80, "FIN");
            assert_eq!(bytes[1] & 0x80, 0x80, "masked");
            let len = (bytes[1] & 0x7F) as usize;
            assert!(len < 126);
            let mask = [bytes[2], bytes[3], bytes[4], bytes[5]];
            let p = bytes[6..6 + len]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            v.push((bytes[0] & 0x0F, p, mask));
            bytes = &bytes[6 + len..];
        }
        v
    }

    /// Handshake done and CONNACK in.
    fn opened() -> (Conn, Tr) {
        let (mut c, mut t) = new();
        t.websocket(&request(), &NONCE, [9; 16]).unwrap();
        take(&mut c, &mut t);
        assert_eq!(t.feed(&mut c, &answer()), Ok(answer().len()));
        take(&mut c, &mut t);
        let f = server_frame(2, &[0x20, 2, 0, 0]);
        assert_eq!(t.feed(&mut c, &f), Ok(f.len()));
        assert!(matches!(
            t.poll_event(&mut c, 0),
            Ok(Some(Event::Connected { .. }))
        ));
        (c, t)
    }

    #[test]
    fn over_tcp_the_calls_pass_through() {
        let (mut c, mut t) = new();
        assert!(!t.is_websocket());
        assert_eq!(take(&mut c, &mut t), CONNECT);
        assert_eq!(t.feed(&mut c, &[0x20, 2, 0, 0]), Ok(4));
        assert!(matches!(
            t.poll_event(&mut c, 0),
            Ok(Some(Event::Connected { .. }))
        ));
        assert_eq!(t.poll_event(&mut c, 0), Ok(None));
    }

    #[test]
    fn the_request_goes_first_and_connect_waits_for_the_answer() {
        let (mut c, mut t) = new();
        t.websocket(&request(), &NONCE, [9; 16]).unwrap();
        assert!(t.is_websocket());
        let req = take(&mut c, &mut t);
        assert!(req.starts_with(b"GET /mqtt HTTP/1.1\r\n"));
        assert!(req.ends_with(b"\r\n\r\n"));
        // CONNECT is queued but may not go out: no busy deadline either.
        assert_eq!(take(&mut c, &mut t), b"");
        assert_ne!(t.next_deadline(&c), Some(0));
        // The answer and the CONNACK's frame in one read.
        let mut raw = answer();
        raw.extend(server_frame(2, &[0x20, 2, 0, 0]));
        assert_eq!(t.feed(&mut c, &raw), Ok(raw.len()));
        assert!(matches!(
            t.poll_event(&mut c, 0),
            Ok(Some(Event::Connected { .. }))
        ));
        // Now CONNECT is one masked binary frame.
        let frames = client_frames(&take(&mut c, &mut t));
        assert_eq!(frames.len(), 1);
        assert_eq!((frames[0].0, &frames[0].1[..]), (2, &CONNECT[..]));
    }

    #[test]
    fn each_write_is_a_frame_with_a_fresh_mask() {
        let (mut c, mut t) = opened();
        c.publish(b"t", b"one", crate::QoS::AtMostOnce, false, 0)
            .unwrap();
        let a = client_frames(&take(&mut c, &mut t));
        c.publish(b"t", b"two", crate::QoS::AtMostOnce, false, 0)
            .unwrap();
        let b = client_frames(&take(&mut c, &mut t));
        assert_eq!(a[0].1, [0x30, 6, 0, 1, b't', b'o', b'n', b'e']);
        assert_eq!(b[0].1, [0x30, 6, 0, 1, b't', b't', b'w', b'o']);
        assert_ne!(a[0].2, b[0].2);
        // MQTT bytes split across frames and reads reach the connection.
        let p = [0x30, 5, 0, 1, b't', b'h', b'i'];
        let mut raw = server_frame(2, &p[..3]);
        raw.extend(server_frame(2, &p[3..]));
        for piece in raw.chunks(4) {
            assert_eq!(t.feed(&mut c, piece), Ok(piece.len()));
        }
        assert!(matches!(
            t.poll_event(&mut c, 0),
            Ok(Some(Event::Message { first: 0x30 }))
        ));
        assert_eq!(c.message().unwrap().payload, b"hi");
    }

    #[test]
    fn a_ping_is_answered_with_its_payload() {
        let (mut c, mut t) = opened();
        let f = server_frame(9, b"hi");
        assert_eq!(t.feed(&mut c, &f), Ok(f.len()));
        assert_eq!(t.next_deadline(&c), Some(0));
        let frames = client_frames(&take(&mut c, &mut t));
        assert_eq!(frames.len(), 1);
        assert_eq!((frames[0].0, &frames[0].1[..]), (0xA, &b"hi"[..]));
    }

    #[test]
    fn a_close_ends_the_connection_after_the_frames_before_it() {
        let (mut c, mut t) = opened();
        let mut raw = server_frame(2, &[0x30, 5, 0, 1, b't', b'h', b'i']);
        raw.extend(server_frame(8, &1001u16.to_be_bytes()));
        assert_eq!(t.feed(&mut c, &raw), Ok(raw.len()));
        assert!(matches!(
            t.poll_event(&mut c, 0),
            Ok(Some(Event::Message { .. }))
        ));
        assert_eq!(
            t.poll_event(&mut c, 0),
            Err(Error::WebSocket(WsError::Closed(Some(1001))))
        );
        assert!(c.lost());
        // The reply carries the same code, and nothing follows it.
        let frames = client_frames(&take(&mut c, &mut t));
        assert_eq!(frames.len(), 1);
        assert_eq!(
            (frames[0].0, &frames[0].1[..]),
            (8, &1001u16.to_be_bytes()[..])
        );
        assert!(c.ping(0).is_err() || take(&mut c, &mut t).is_empty());
    }

    #[test]
    fn a_refused_upgrade_ends_the_connection() {
        let (mut c, mut t) = new();
        t.websocket(&request(), &NONCE, [9; 16]).unwrap();
        take(&mut c, &mut t);
        let r = t.feed(&mut c, b"HTTP/1.1 403 Forbidden\r\n\r\n");
        let e = r.unwrap_err();
        assert_eq!(e.report().code, 261);
        assert!(c.lost());
    }

    #[test]
    fn a_masked_server_frame_is_a_protocol_error() {
        let (mut c, mut t) = opened();
        let r = t.feed(&mut c, &[0x82, 0x81, 1, 2, 3, 4, 0]);
        assert_eq!(r.unwrap_err().report().code, 256);
        assert!(c.lost());
    }

    #[test]
    fn disconnect_then_the_close_frame() {
        let (mut c, mut t) = opened();
        c.disconnect(0).unwrap();
        t.close(&mut c, 0).unwrap();
        let frames = client_frames(&take(&mut c, &mut t));
        assert_eq!(frames.len(), 2);
        assert_eq!((frames[0].0, &frames[0].1[..]), (2, &[0xE0, 0][..]));
        assert_eq!(
            (frames[1].0, &frames[1].1[..]),
            (8, &1000u16.to_be_bytes()[..])
        );
    }

    #[test]
    fn a_bad_request_changes_nothing() {
        let (mut c, mut t) = new();
        let bad = Request {
            path: "no slash",
            ..request()
        };
        assert!(t.websocket(&bad, &NONCE, [9; 16]).is_err());
        assert!(!t.is_websocket());
        assert_eq!(take(&mut c, &mut t), CONNECT);
    }
}
