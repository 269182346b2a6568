//! The whole client side of one WebSocket connection, sans-IO: the state an
//! asynchronous driver (`umqtt.aio`) keeps between its reads and writes,
//! and what [`Link`](super::Link) drives over a blocking stream.
//!
//! ```text
//! n = layer.request(&req, &nonce16, out)?;    write(out[..n])
//! loop { match layer.accept(read)? { None => read more,
//!                                    Some(used) => { read[used..] are frames; break } } }
//! send an MQTT packet p:  n = layer.frame(p, mask4, out)?;  write(out[..n])
//! received bytes b:       n = layer.decode(&mut b)?;  b[..n] are MQTT bytes
//!                         if layer.reply_due() { write(out[..layer.reply(mask4, out)?]) }
//!                         if let Some(e) = layer.closed() { the connection is over: e }
//! disconnect:             n = layer.close(mask4, out)?;  write(out[..n]); close the socket
//! ```

use super::decoder::Decoder;
use super::frame::{self, Opcode};
use super::handshake::{Handshake, Request};
use super::WsError;

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Layer {
    hs: Option<Handshake>,
    open: bool,
    dec: Decoder,
    /// A close frame went out (our close, or the reply to the server's).
    close_sent: bool,
}

impl Layer {
    /// A layer whose decoder refuses data frames over `max_frame` bytes.
    pub const fn new(max_frame: usize) -> Self {
        Layer {
            hs: None,
            open: false,
            dec: Decoder::new(max_frame),
            close_sent: false,
        }
    }

    /// Back to the start (a new connection).
    pub fn reset(&mut self) {
        self.hs = None;
        self.open = false;
        self.dec.reset();
        self.close_sent = false;
    }

    /// Whether the handshake succeeded (until [`Layer::reset`]).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// A close frame went out (ours, or the reply to the server's): no
    /// data frame may follow (RFC 6455 sec 5.5.1).
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// The decoder of the server's frames.
    pub fn decoder(&self) -> &Decoder {
        &self.dec
    }

    /// Start a connection: the upgrade request with `nonce` (16 fresh random
    /// bytes) as its key, written into `out`; returns its length. Argument
    /// errors (host, path, headers) and `BufferTooSmall` change nothing.
    pub fn request(
        &mut self,
        req: &Request<'_>,
        nonce: &[u8; 16],
        out: &mut [u8],
    ) -> Result<usize, WsError> {
        let n = req.encode(nonce, out)?;
        self.reset();
        self.hs = Some(Handshake::new(nonce));
        Ok(n)
    }

    /// The server's answer, in pieces: `Ok(None)` all used, more needed;
    /// `Ok(Some(used))` accepted with `data[..used]`, the rest is already
    /// frames (give it to [`Layer::decode`]). A refusal is final.
    pub fn accept(&mut self, data: &[u8]) -> Result<Option<usize>, WsError> {
        let r = match self.hs.as_mut() {
            Some(hs) => hs.push(data)?,
            None => return Err(WsError::BadStatusLine),
        };
        if r.is_some() {
            self.open = true;
        }
        Ok(r)
    }

    /// `data` (MQTT bytes) as one masked binary frame in `out`; returns its
    /// length ([`frame::frame_len`]).
    pub fn frame(&self, data: &[u8], mask: [u8; 4], out: &mut [u8]) -> Result<usize, WsError> {
        frame::encode(Opcode::Binary, data, mask, out)
    }

    /// Unframe received bytes in place: the MQTT bytes they held are moved
    /// to `buf[..n]`. Framing violations are final (`MQTTException` 256);
    /// after a close from the server, later bytes are ignored.
    pub fn decode(&mut self, buf: &mut [u8]) -> Result<usize, WsError> {
        self.dec.decode_in_place(buf)
    }

    /// A control frame is to be sent: a pong, or the reply to a close.
    pub fn reply_due(&self) -> bool {
        self.dec.pong_due() || (self.dec.is_closed() && !self.close_sent)
    }

    /// The control frame [`Layer::reply_due`] asks for, masked with `mask`,
    /// in `out` (127 bytes suffice); returns its length, 0 if none is due.
    pub fn reply(&mut self, mask: [u8; 4], out: &mut [u8]) -> Result<usize, WsError> {
        if self.dec.is_closed() {
            if self.close_sent {
                return Ok(0);
            }
            let n = self.dec.encode_close_reply(mask, out)?;
            self.close_sent = true;
            return Ok(n);
        }
        if self.dec.pong_due() {
            return self.dec.encode_pong(mask, out);
        }
        Ok(0)
    }

    /// The server closed the WebSocket: the error that ends the connection
    /// (`OSError(-1, "connection closed by broker (websocket close N)")`).
    pub fn closed(&self) -> Option<WsError> {
        self.dec
            .is_closed()
            .then(|| WsError::Closed(self.dec.close_code()))
    }

    /// Our closing handshake (status 1000, after DISCONNECT) in `out`;
    /// returns its length, 0 when the handshake never succeeded or a close
    /// frame already went out.
    pub fn close(&mut self, mask: [u8; 4], out: &mut [u8]) -> Result<usize, WsError> {
        if !self.open || self.close_sent {
            return Ok(0);
        }
        let n = frame::encode(Opcode::Close, &1000u16.to_be_bytes(), mask, out)?;
        self.close_sent = true;
        Ok(n)
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

    const NONCE: [u8; 16] = [7; 16];

    fn answer() -> Vec<u8> {
        crate::ws::test_support::answer(&NONCE)
    }

    fn req() -> Request<'static> {
        Request {
            host: "h",
            port: 9001,
            tls: false,
            path: "/mqtt",
            headers: &[("X-Seen", "yes")],
        }
    }

    fn opened() -> Layer {
        let mut l = Layer::new(1 << 16);
        let mut out = [0u8; 512];
        let n = l.request(&req(), &NONCE, &mut out).unwrap();
        let text = core::str::from_utf8(&out[..n]).unwrap();
        assert!(text.starts_with("GET /mqtt HTTP/1.1\r\nHost: h:9001\r\n"));
        assert!(text.contains("\r\nX-Seen: yes\r\n"));
        assert!(!l.is_open());
        l
    }

    #[test]
    fn handshake_in_pieces_keeps_frames_behind_it() {
        let mut l = opened();
        let mut input = answer();
        let head = input.len();
        input.extend_from_slice(&[0x82, 2, 0xd0, 0]);
        assert_eq!(l.accept(&input[..10]), Ok(None));
        assert_eq!(l.accept(&input[10..]), Ok(Some(head - 10)));
        assert!(l.is_open());
        let mut rest = input[head..].to_vec();
        assert_eq!(l.decode(&mut rest), Ok(2));
        assert_eq!(&rest[..2], [0xd0, 0]);
    }

    #[test]
    fn refusal_is_a_handshake_error_and_arguments_change_nothing() {
        let mut l = opened();
        let e = l.accept(b"HTTP/1.1 403 Forbidden\r\n\r\n").unwrap_err();
        assert!(e.is_handshake());
        let bad = Request {
            path: "no-slash",
            ..req()
        };
        let mut out = [0u8; 512];
        assert_eq!(l.request(&bad, &NONCE, &mut out), Err(WsError::InvalidPath));
        assert_eq!(Layer::new(8).accept(b"x"), Err(WsError::BadStatusLine));
    }

    #[test]
    fn ping_pong_close_reply_and_our_close() {
        let mut l = opened();
        l.accept(&answer()).unwrap();
        let mut out = [0u8; 128];
        let mut b = [0x89, 1, b'p', 0x82, 1, 0xc0].to_vec();
        assert_eq!(l.decode(&mut b), Ok(1));
        assert!(l.reply_due());
        let n = l.reply([1, 2, 3, 4], &mut out).unwrap();
        assert_eq!(out[0], 0x8A);
        assert_eq!(n, 7);
        assert!(!l.reply_due());
        assert_eq!(l.closed(), None);
        let mut c = [0x88, 2, 0x03, 0xe9, 0x82, 1, 0].to_vec();
        assert_eq!(l.decode(&mut c), Ok(0));
        assert_eq!(l.closed(), Some(WsError::Closed(Some(1001))));
        assert!(l.reply_due());
        assert_eq!(l.reply([0; 4], &mut out), Ok(8));
        assert_eq!(&out[..2], [0x88, 0x82]);
        assert_eq!(l.reply([0; 4], &mut out), Ok(0));
        assert_eq!(l.close([0; 4], &mut out), Ok(0));
        let mut m = opened();
        m.accept(&answer()).unwrap();
        assert_eq!(m.close([0; 4], &mut out), Ok(8));
        assert_eq!(m.close([0; 4], &mut out), Ok(0));
        let mut bad = [0x81, 0].to_vec();
        assert_eq!(m.decode(&mut bad), Err(WsError::TextFrame));
    }

    #[test]
    fn frames_are_masked_binary() {
        let l = Layer::new(8);
        let mut out = [0u8; 16];
        let n = l.frame(&[0xc0, 0], [1, 2, 3, 4], &mut out).unwrap();
        assert_eq!(&out[..n], [0x82, 0x82, 1, 2, 3, 4, 0xc1, 2]);
    }
}
