//! Incremental decoder of the server's frames (RFC 6455 5): raw bytes in,
//! in pieces of any size; MQTT bytes out as slices of the input (server
//! frames are unmasked, so no copy), plus the pings and closes to answer.
//! The MQTT stream is the concatenation of the payloads of the binary and
//! continuation frames: a packet may be split across frames or several
//! packed into one, the MQTT framer above does not care.
//!
//! Only a partial frame header (at most 10 bytes) and a control frame's
//! payload (at most 125 bytes) are held inside; every error is fatal and
//! repeated by later calls until [`Decoder::reset`].

use super::frame::{self, Opcode, MAX_CONTROL_PAYLOAD};
use super::WsError;

/// Longest server frame header: 2 bytes and an 8-byte length, no mask.
const MAX_SERVER_HEADER: usize = 10;

/// What [`Decoder::decode`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// MQTT bytes (never empty), a slice of the input.
    Data(&'a [u8]),
    /// A ping: send [`Decoder::encode_pong`] before calling `decode` again.
    Ping,
    /// A pong (the client never pings, so it is only a heartbeat).
    Pong,
    /// A close frame with its status code, if it had one: send
    /// [`Decoder::encode_close_reply`] and close the connection. Input after
    /// it is ignored.
    Close(Option<u16>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a frame header.
    Header,
    /// Inside a binary or continuation frame: payload bytes left.
    Data(u64),
    /// Inside a control frame: payload bytes left.
    Control(Opcode, usize),
    /// A close frame was received.
    Closed,
}

/// The server-to-client half of a WebSocket connection; see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_frame: u64,
    hdr: [u8; MAX_SERVER_HEADER],
    hdr_len: usize,
    state: State,
    /// A fragmented data message is unfinished (its last frame had FIN 0).
    in_message: bool,
    /// The payload of the current (or last) control frame.
    ctrl: [u8; MAX_CONTROL_PAYLOAD],
    ctrl_len: usize,
    /// The payload of the last ping, kept apart so that a later control
    /// frame cannot change the pong's payload.
    ping: [u8; MAX_CONTROL_PAYLOAD],
    ping_len: usize,
    /// A ping not answered yet ([`Decoder::decode_in_place`]).
    pong_due: bool,
    close_code: Option<u16>,
    failed: Option<WsError>,
}

/// Header length once its first two bytes are known.
fn header_total(b1: u8) -> usize {
    match b1 & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    }
}

/// Copy from `src` into `buf[*len..]` until `*len` reaches `upto` (or
/// `src` ends); returns the bytes taken.
fn append(buf: &mut [u8], len: &mut usize, src: &[u8], upto: usize) -> usize {
    let n = upto.saturating_sub(*len).min(src.len());
    let end = len.saturating_add(n);
    if let (Some(dst), Some(src)) = (buf.get_mut(*len..end), src.get(..n)) {
        dst.copy_from_slice(src);
    }
    *len = end;
    n
}

impl Decoder {
    /// A decoder that refuses data frames with a payload over `max_frame`
    /// bytes ([`WsError::FrameTooLarge`]).
    pub const fn new(max_frame: usize) -> Self {
        Decoder {
            max_frame: max_frame as u64,
            hdr: [0; MAX_SERVER_HEADER],
            hdr_len: 0,
            state: State::Header,
            in_message: false,
            ctrl: [0; MAX_CONTROL_PAYLOAD],
            ctrl_len: 0,
            ping: [0; MAX_CONTROL_PAYLOAD],
            ping_len: 0,
            pong_due: false,
            close_code: None,
            failed: None,
        }
    }

    /// Forget everything (a new connection), keeping the limit.
    pub fn reset(&mut self) {
        let max_frame = self.max_frame;
        *self = Decoder::new(0);
        self.max_frame = max_frame;
    }

    /// Whether a close frame was received.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The status code of the received close frame, if any.
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Whether the stream stopped inside a frame or a fragmented message:
    /// a connection that ends now ends in the middle of one.
    pub fn mid_message(&self) -> bool {
        self.in_message
            || self.hdr_len > 0
            || matches!(self.state, State::Data(_) | State::Control(..))
    }

    fn fail(&mut self, e: WsError) -> WsError {
        self.failed = Some(e);
        e
    }

    /// Decode from `input`: returns how many bytes were used and what they
    /// gave. `None` means all of `input` was used and more is needed; after
    /// an event, call again with the rest (`&input[used..]`).
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Event<'a>>), WsError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut pos = 0usize;
        loop {
            let rest = input.get(pos..).unwrap_or(&[]);
            match self.state {
                State::Closed => return Ok((input.len(), None)),
                State::Header => {
                    let need = match self.hdr_len {
                        0 | 1 => 2,
                        _ => header_total(self.hdr.get(1).copied().unwrap_or(0)),
                    };
                    if rest.is_empty() {
                        return Ok((pos, None));
                    }
                    let n = append(&mut self.hdr, &mut self.hdr_len, rest, need);
                    pos = pos.saturating_add(n);
                    if self.hdr_len == 2 {
                        self.check_start().map_err(|e| self.fail(e))?;
                    }
                    let total = header_total(self.hdr.get(1).copied().unwrap_or(0));
                    if self.hdr_len >= 2 && self.hdr_len == total {
                        if let Some(ev) = self.start_frame().map_err(|e| self.fail(e))? {
                            return Ok((pos, Some(ev)));
                        }
                    }
                }
                State::Data(left) => {
                    if rest.is_empty() {
                        return Ok((pos, None));
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                    let left = left.saturating_sub(n as u64);
                    self.state = if left == 0 {
                        State::Header
                    } else {
                        State::Data(left)
                    };
                    pos = pos.saturating_add(n);
                    return Ok((pos, rest.get(..n).map(Event::Data)));
                }
                State::Control(op, left) => {
                    let upto = self.ctrl_len.saturating_add(left);
                    let n = append(&mut self.ctrl, &mut self.ctrl_len, rest, upto);
                    pos = pos.saturating_add(n);
                    if n < left {
                        self.state = State::Control(op, left.saturating_sub(n));
                        return Ok((pos, None));
                    }
                    let ev = self.finish_control(op).map_err(|e| self.fail(e))?;
                    return Ok((pos, Some(ev)));
                }
            }
        }
    }

    /// Checks that need only the first two header bytes.
    fn check_start(&self) -> Result<(), WsError> {
        let [b0, b1, ..] = self.hdr;
        if b0 & 0x70 != 0 {
            return Err(WsError::ReservedBits);
        }
        if b1 & 0x80 != 0 {
            return Err(WsError::MaskedFrame);
        }
        let fin = b0 & 0x80 != 0;
        let op = Opcode::from_u8(b0).ok_or(WsError::ReservedOpcode)?;
        match op {
            Opcode::Text => Err(WsError::TextFrame),
            _ if op.is_control() && (!fin || usize::from(b1 & 0x7f) > MAX_CONTROL_PAYLOAD) => {
                Err(WsError::BadControlFrame)
            }
            Opcode::Continuation if !self.in_message => Err(WsError::BadContinuation),
            Opcode::Binary if self.in_message => Err(WsError::BadContinuation),
            _ => Ok(()),
        }
    }

    /// The whole header is in: enter the payload. A control frame without
    /// payload is finished at once.
    fn start_frame(&mut self) -> Result<Option<Event<'static>>, WsError> {
        let [b0, b1, ..] = self.hdr;
        self.hdr_len = 0;
        let len = match b1 & 0x7f {
            126 => {
                let [_, _, a, b, ..] = self.hdr;
                u64::from(u16::from_be_bytes([a, b]))
            }
            127 => {
                let [_, _, a, b, c, d, e, f, g, h] = self.hdr;
                u64::from_be_bytes([a, b, c, d, e, f, g, h])
            }
            n => u64::from(n),
        };
        if len >> 63 != 0 {
            return Err(WsError::BadLength);
        }
        let op = Opcode::from_u8(b0).ok_or(WsError::ReservedOpcode)?;
        if op.is_control() {
            self.ctrl_len = 0;
            // At most 125 (checked on the first two bytes).
            let len = usize::from(b1 & 0x7f);
            if len == 0 {
                return self.finish_control(op).map(Some);
            }
            self.state = State::Control(op, len);
            return Ok(None);
        }
        if len > self.max_frame {
            return Err(WsError::FrameTooLarge {
                len: usize::try_from(len).unwrap_or(usize::MAX),
            });
        }
        self.in_message = b0 & 0x80 == 0;
        self.state = if len == 0 {
            State::Header
        } else {
            State::Data(len)
        };
        Ok(None)
    }

    fn finish_control(&mut self, op: Opcode) -> Result<Event<'static>, WsError> {
        self.state = State::Header;
        Ok(match op {
            Opcode::Ping => {
                self.ping = self.ctrl;
                self.ping_len = self.ctrl_len;
                self.pong_due = true;
                Event::Ping
            }
            Opcode::Pong => Event::Pong,
            _ => {
                let code = match self.ctrl.get(..self.ctrl_len) {
                    Some([]) => None,
                    Some([a, b, ..]) => Some(u16::from_be_bytes([*a, *b])),
                    _ => return Err(WsError::BadClose),
                };
                self.close_code = code;
                self.state = State::Closed;
                Event::Close(code)
            }
        })
    }

    /// Decode all of `buf[..]` in place: the MQTT bytes it held are moved
    /// to `buf[..n]` and `n` is returned, so a binding can read raw bytes
    /// straight into the MQTT framer's free space and commit `n` of them.
    /// Pings and a close are remembered instead of returned: then check
    /// [`Decoder::pong_due`] (send [`Decoder::encode_pong`]) and
    /// [`Decoder::is_closed`]. Only the last of several pings is answered
    /// (RFC 6455 5.5.3 allows it).
    pub fn decode_in_place(&mut self, buf: &mut [u8]) -> Result<usize, WsError> {
        let (mut read, mut write) = (0usize, 0usize);
        while read < buf.len() {
            let (used, data) = match self.decode(buf.get(read..).unwrap_or(&[]))? {
                (used, Some(Event::Data(d))) => (used, d.len()),
                (used, _) => (used, 0),
            };
            // A `Data` slice is always the last bytes `decode` used.
            let end = read.saturating_add(used);
            let start = end.saturating_sub(data);
            if data > 0 && start != write && end <= buf.len() {
                buf.copy_within(start..end, write);
            }
            write = write.saturating_add(data);
            if used == 0 {
                break;
            }
            read = end;
        }
        Ok(write)
    }

    /// Whether a ping is still to be answered (set by every ping, cleared
    /// by [`Decoder::encode_pong`]).
    pub fn pong_due(&self) -> bool {
        self.pong_due && self.state != State::Closed
    }

    /// The pong answering the last ping (its payload echoed), masked with
    /// `mask`, written into `out`; returns its length.
    pub fn encode_pong(&mut self, mask: [u8; 4], out: &mut [u8]) -> Result<usize, WsError> {
        let payload = self.ping.get(..self.ping_len).unwrap_or(&[]);
        let n = frame::encode(Opcode::Pong, payload, mask, out)?;
        self.pong_due = false;
        Ok(n)
    }

    /// The close frame answering the server's (its code echoed, RFC 6455
    /// 5.5.1), written into `out`; returns its length.
    pub fn encode_close_reply(&self, mask: [u8; 4], out: &mut [u8]) -> Result<usize, WsError> {
        match self.close_code {
            Some(code) => frame::encode(Opcode::Close, &code.to_be_bytes(), mask, out),
            None => frame::encode(Opcode::Close, &[], mask, out),
        }
    }
}
