//! MQTT over WebSockets (RFC 6455, MQTT 3.1.1 section 6): a sans-IO
//! byte-stream layer that goes between the socket and the MQTT connection.
//! It owns no socket, reads no clock and has no random source: the caller
//! supplies the 16-byte handshake nonce and a fresh 4-byte mask per frame.
//!
//! - [`url`]: `ws://host:port/path` and `wss://...` server strings.
//! - [`handshake`]: the HTTP/1.1 Upgrade request ([`Request::encode`]) and
//!   an incremental parser of the server's answer ([`Handshake`]), which
//!   checks status 101, `Upgrade`, `Connection`, `Sec-WebSocket-Accept`
//!   and the `mqtt` subprotocol.
//! - [`frame`]: client frames (masked, FIN): MQTT bytes to send become one
//!   framed buffer, so a packet is still one write.
//! - [`decoder`]: the server's frames in, MQTT bytes out (zero-copy
//!   slices of the input), plus pings and closes to answer.
//!
//! - [`layer`]: all of the above as one sans-IO state ([`Layer`]): the
//!   request out, the answer in, frames out, MQTT bytes and the control
//!   frames to answer back. `umqtt.aio` drives it over asyncio streams.
//! - [`link`]: the [`Layer`] driven over a blocking byte stream: [`Link`] (the
//!   handshake with a deadline, then [`WsHost`], a `client::Host` that
//!   frames writes and unframes reads). Both bindings use it.
//!
//! # How a driver calls it (what [`Link`] does)
//!
//! ```text
//! connect:
//!   parse_url(server)                        (if the server is a URL)
//!   open TCP (+ TLS for wss)
//!   n = Request{..}.encode(key16, out)?;  write(out[..n])
//!   hs = Handshake::new(&key16)
//!   loop { read raw;  match hs.push(raw)? {
//!            None => continue,                      // header not complete
//!            Some(used) => { leftover = raw[used..]; break } } }
//!   dec = Decoder::new(max_frame);  feed `leftover` to dec like any read
//! send an MQTT packet p:
//!   n = frame::encode(Opcode::Binary, p, fresh_mask4, out)?;  write(out[..n])
//!   (or encode p at out[frame::MAX_CLIENT_HEADER..] and frame::frame_in_place)
//! receive (raw bytes r from the socket):
//!   while !r.is_empty() {
//!     let (used, ev) = dec.decode(r)?;  r = &r[used..];
//!     match ev {
//!       Some(Event::Data(d)) => give d to the MQTT framer,
//!       Some(Event::Ping) => write(dec.encode_pong(fresh_mask4, out)?),
//!       Some(Event::Close(code)) => { write(dec.encode_close_reply(mask, out)?);
//!                                     the connection is closed (code for the error) }
//!       Some(Event::Pong) | None => {}
//!     }
//!   }
//! or receive in place (no second buffer): read raw bytes straight into the
//!   MQTT framer's free space, then
//!     n = dec.decode_in_place(&mut spare[..got])?;  framer.commit(n);
//!     if dec.pong_due() { write(dec.encode_pong(fresh_mask4, out)?) }
//!     if dec.is_closed() { write(dec.encode_close_reply(mask, out)?); closed }
//! disconnect: send MQTT DISCONNECT framed as above, then
//!   frame::encode(Opcode::Close, &1000u16.to_be_bytes(), mask, out), close TCP.
//! ```
//!
//! Every error is a [`WsError`]; they are fatal for the connection except
//! [`WsError::BufferTooSmall`] and the argument errors, which change
//! nothing.

pub mod decoder;
pub mod frame;
pub mod handshake;
pub mod layer;
pub mod link;
#[cfg(test)]
pub(crate) mod test_support;
pub mod url;

pub use decoder::{Decoder, Event};
pub use frame::Opcode;
pub use handshake::{with_raw_request, Handshake, Request, MAX_HEADERS};
pub use layer::Layer;

/// The longest data frame a client accepts from the server: one carrying
/// the largest MQTT packet (longer: [`WsError::FrameTooLarge`]).
pub const MAX_FRAME: usize = crate::codec::MAX_PACKET;
pub use link::{Entropy, Link, WsHost};
pub use url::{parse_url, WsUrl};

/// Errors of the WebSocket layer: small and `Copy`, with static messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsError {
    /// The output buffer is too small: `needed` bytes are required.
    /// Nothing was written that matters; grow the buffer and call again.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
    /// Not a `ws://` or `wss://` URL, or a bad host, port or path in it.
    InvalidUrl,
    /// The host is empty or has characters a `Host` header cannot carry.
    InvalidHost,
    /// The path does not start with `/` or has spaces or control bytes.
    InvalidPath,
    /// An extra header has a bad name or value, or one the handshake sets
    /// itself (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-*`).
    InvalidHeader,
    /// A control frame to send with a payload over 125 bytes.
    ControlTooLong,
    /// The server's answer is not `HTTP/1.x <3-digit status>`.
    BadStatusLine,
    /// The server answered with this HTTP status instead of 101.
    Status(u16),
    /// A malformed header line in the server's answer.
    BadHeader,
    /// The server's answer header is longer than [`handshake::MAX_RESPONSE`].
    ResponseTooLong,
    /// No `Upgrade: websocket` in the server's answer.
    MissingUpgrade,
    /// No `Connection: Upgrade` in the server's answer.
    MissingConnection,
    /// `Sec-WebSocket-Accept` is missing or does not match the key.
    BadAccept,
    /// The server did not select the `mqtt` subprotocol.
    BadSubprotocol,
    /// The server sent an extension (`Sec-WebSocket-Extensions`) that the
    /// client never offered.
    UnexpectedExtension,
    /// A server frame is masked (RFC 6455 5.1 forbids it).
    MaskedFrame,
    /// A server frame has RSV1-3 set (no extension was negotiated).
    ReservedBits,
    /// A server frame uses a reserved opcode.
    ReservedOpcode,
    /// A text frame: MQTT travels in binary frames only (MQTT 6.0).
    TextFrame,
    /// A control frame longer than 125 bytes or fragmented.
    BadControlFrame,
    /// A continuation frame with no message to continue, or a new data
    /// frame while a fragmented message is unfinished.
    BadContinuation,
    /// A 64-bit payload length with its top bit set.
    BadLength,
    /// A close frame with a 1-byte payload.
    BadClose,
    /// A data frame longer than the limit given to [`Decoder::new`].
    FrameTooLarge {
        /// The frame's payload length (saturated to `usize`).
        len: usize,
    },
    /// The server closed the WebSocket, with this status code if it sent
    /// one (`OSError(-1)`, like a closed socket).
    Closed(Option<u16>),
}

impl WsError {
    /// The server refused or botched the opening handshake.
    pub const fn is_handshake(&self) -> bool {
        matches!(
            self,
            WsError::BadStatusLine
                | WsError::Status(_)
                | WsError::BadHeader
                | WsError::ResponseTooLong
                | WsError::MissingUpgrade
                | WsError::MissingConnection
                | WsError::BadAccept
                | WsError::BadSubprotocol
                | WsError::UnexpectedExtension
        )
    }

    /// A bad argument of the caller (URL, host, path, header).
    pub const fn is_argument(&self) -> bool {
        matches!(
            self,
            WsError::InvalidUrl
                | WsError::InvalidHost
                | WsError::InvalidPath
                | WsError::InvalidHeader
        )
    }

    /// A short human-readable message (no formatting needed).
    pub const fn as_str(&self) -> &'static str {
        match self {
            WsError::BufferTooSmall { .. } => "websocket: buffer too small",
            WsError::InvalidUrl => "websocket: invalid ws:// or wss:// URL",
            WsError::InvalidHost => "websocket: invalid host",
            WsError::InvalidPath => "websocket: path must start with / and have no spaces",
            WsError::InvalidHeader => "websocket: invalid or reserved extra header",
            WsError::ControlTooLong => "websocket: control frame payload over 125 bytes",
            WsError::BadStatusLine => "websocket handshake: malformed HTTP status line",
            WsError::Status(_) => "websocket handshake: server did not switch protocols",
            WsError::BadHeader => "websocket handshake: malformed header line",
            WsError::ResponseTooLong => "websocket handshake: response header too long",
            WsError::MissingUpgrade => "websocket handshake: no 'Upgrade: websocket'",
            WsError::MissingConnection => "websocket handshake: no 'Connection: Upgrade'",
            WsError::BadAccept => "websocket handshake: bad Sec-WebSocket-Accept",
            WsError::BadSubprotocol => "websocket handshake: server did not select 'mqtt'",
            WsError::UnexpectedExtension => "websocket handshake: extension not offered",
            WsError::MaskedFrame => "websocket: masked frame from server",
            WsError::ReservedBits => "websocket: reserved bits set in frame",
            WsError::ReservedOpcode => "websocket: reserved opcode",
            WsError::TextFrame => "websocket: text frame (MQTT needs binary frames)",
            WsError::BadControlFrame => "websocket: control frame fragmented or over 125 bytes",
            WsError::BadContinuation => "websocket: bad continuation frame order",
            WsError::BadLength => "websocket: invalid 64-bit payload length",
            WsError::BadClose => "websocket: close frame with 1-byte payload",
            WsError::FrameTooLarge { .. } => "websocket: frame larger than the limit",
            WsError::Closed(code) => closed_str(*code),
        }
    }
}

/// The message of a close from the server: the status codes a server
/// sends (RFC 6455 7.4.1) by number, others without.
const fn closed_str(code: Option<u16>) -> &'static str {
    match code {
        Some(1000) => "connection closed by broker (websocket close 1000)",
        Some(1001) => "connection closed by broker (websocket close 1001)",
        Some(1002) => "connection closed by broker (websocket close 1002)",
        Some(1003) => "connection closed by broker (websocket close 1003)",
        Some(1007) => "connection closed by broker (websocket close 1007)",
        Some(1008) => "connection closed by broker (websocket close 1008)",
        Some(1009) => "connection closed by broker (websocket close 1009)",
        Some(1010) => "connection closed by broker (websocket close 1010)",
        Some(1011) => "connection closed by broker (websocket close 1011)",
        Some(1012) => "connection closed by broker (websocket close 1012)",
        Some(1013) => "connection closed by broker (websocket close 1013)",
        Some(1014) => "connection closed by broker (websocket close 1014)",
        _ => "connection closed by broker (websocket close)",
    }
}

/// Writes into a caller slice, counting what would not fit so that
/// [`WsError::BufferTooSmall`] can say exactly how much is needed.
struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Out<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Out { buf, len: 0 }
    }

    // Not inlined: the request writes ~20 pieces, each a call, not a copy loop.
    #[inline(never)]
    fn put(&mut self, data: &[u8]) {
        let end = self.len.saturating_add(data.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(data);
        }
        self.len = end;
    }

    /// The length written, or how much was needed.
    fn finish(self) -> Result<usize, WsError> {
        if self.len > self.buf.len() {
            Err(WsError::BufferTooSmall { needed: self.len })
        } else {
            Ok(self.len)
        }
    }
}
