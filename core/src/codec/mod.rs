//! Zero-copy MQTT packet codec.
//!
//! Encoders write into a caller slice and never write anything when it is
//! too short (they size the packet first). The decoder returns a [`Packet`]
//! that borrows from the frame. Every entry point knows the
//! [`crate::ProtocolVersion`] (either as an argument or a field); the
//! MQTT 5 packets, with properties and reason codes, are in [`v5`].

mod ack;
mod connect;
mod packet;
mod publish;
mod subscribe;
#[cfg(feature = "v5")]
pub mod v5;

pub use ack::{encode_ack, encode_disconnect, encode_pingreq};
pub use connect::{Connect, Will};
pub use packet::{decode, Packet};
pub use publish::{set_dup, Publish};
pub use subscribe::{Subscribe, Unsubscribe};

use crate::error::{ArgError, Error, ProtocolError};

/// Largest remaining length MQTT can express (4 varint bytes).
pub const MAX_REMAINING_LEN: usize = 268_435_455;

/// The largest MQTT packet: the first byte, 4 length bytes and
/// [`MAX_REMAINING_LEN`] (the limit of the bindings' growable buffers).
pub const MAX_PACKET: usize = MAX_REMAINING_LEN + 5;

/// Bytes needed to encode `n` as a remaining-length varint: 1..=4.
/// Values above [`MAX_REMAINING_LEN`] report 4 (they cannot be encoded;
/// [`encode_varint`] rejects them).
pub const fn varint_len(n: usize) -> usize {
    if n < 128 {
        1
    } else if n < 16_384 {
        2
    } else if n < 2_097_152 {
        3
    } else {
        4
    }
}

/// Encode `n` as a remaining-length varint into `out`; returns the bytes
/// written. `InvalidArgument(PacketTooLarge)` above [`MAX_REMAINING_LEN`],
/// `BufferTooSmall` if `out` is short (then nothing is written).
pub fn encode_varint(n: usize, out: &mut [u8]) -> Result<usize, Error> {
    if n > MAX_REMAINING_LEN {
        return Err(ArgError::PacketTooLarge.into());
    }
    let len = varint_len(n);
    let dst = out
        .get_mut(..len)
        .ok_or(Error::BufferTooSmall { needed: len })?;
    let mut v = n;
    let mut iter = dst.iter_mut().peekable();
    while let Some(b) = iter.next() {
        // `v % 128` always fits in 7 bits.
        let low = (v & 0x7f) as u8;
        v = v.wrapping_shr(7);
        *b = if iter.peek().is_some() {
            low | 0x80
        } else {
            low
        };
    }
    Ok(len)
}

/// Decode a remaining-length varint at the start of `buf`.
/// `Ok(None)`: more bytes are needed; `Ok(Some((value, bytes_used)))`;
/// `Err(MalformedRemainingLength)` if a fourth byte still has its
/// continuation bit set (a fifth byte is not allowed).
pub fn decode_varint(buf: &[u8]) -> Result<Option<(usize, usize)>, ProtocolError> {
    let mut value: usize = 0;
    // At most four bytes, so the value stays below 2^28.
    for ((&b, shift), used) in buf.iter().zip([0u32, 7, 14, 21]).zip(1usize..) {
        value |= usize::from(b & 0x7f).wrapping_shl(shift);
        if b & 0x80 == 0 {
            return Ok(Some((value, used)));
        }
        if used == 4 {
            return Err(ProtocolError::MalformedRemainingLength);
        }
    }
    Ok(None)
}

/// Total frame size for a remaining length: fixed header byte + varint +
/// body. `InvalidArgument(PacketTooLarge)` when MQTT cannot express it.
pub(crate) fn frame_len(remaining: usize) -> Result<usize, Error> {
    if remaining > MAX_REMAINING_LEN {
        return Err(ArgError::PacketTooLarge.into());
    }
    // remaining <= 2^28, so this cannot overflow even on 32-bit targets.
    Ok(remaining
        .saturating_add(varint_len(remaining))
        .saturating_add(1))
}

/// Sum of lengths with overflow mapped to `PacketTooLarge`.
pub(crate) fn add_len(a: usize, b: usize) -> Result<usize, Error> {
    a.checked_add(b)
        .ok_or(Error::InvalidArgument(ArgError::PacketTooLarge))
}

/// Length of a u16-prefixed string / binary field; `StringTooLong` when the
/// data does not fit the prefix.
pub(crate) fn str_len(s: &[u8]) -> Result<usize, Error> {
    if s.len() > usize::from(u16::MAX) {
        return Err(ArgError::StringTooLong.into());
    }
    Ok(s.len().saturating_add(2))
}

/// Cursor that writes big-endian MQTT fields into a slice.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Start writing at the beginning of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Reserve `n` bytes at the cursor, or fail without moving it.
    fn reserve(&mut self, n: usize) -> Result<&mut [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(Error::BufferTooSmall { needed: usize::MAX })?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(Error::BufferTooSmall { needed: end })?;
        self.pos = end;
        Ok(dst)
    }

    /// Write one byte.
    pub fn put_u8(&mut self, v: u8) -> Result<(), Error> {
        self.put_bytes(&[v])
    }

    /// Write a big-endian u16.
    pub fn put_u16(&mut self, v: u16) -> Result<(), Error> {
        self.put_bytes(&v.to_be_bytes())
    }

    /// Write raw bytes.
    pub fn put_bytes(&mut self, v: &[u8]) -> Result<(), Error> {
        self.reserve(v.len())?.copy_from_slice(v);
        Ok(())
    }

    /// Write a u16 length prefix followed by the bytes (MQTT string or
    /// binary data). `InvalidArgument(StringTooLong)` over 65,535 bytes.
    pub fn put_str(&mut self, v: &[u8]) -> Result<(), Error> {
        let n =
            u16::try_from(v.len()).map_err(|_| Error::InvalidArgument(ArgError::StringTooLong))?;
        let total = str_len(v)?;
        let dst = self.reserve(total)?;
        let (head, tail) = dst.split_at_mut(2.min(total));
        head.copy_from_slice(&n.to_be_bytes());
        tail.copy_from_slice(v);
        Ok(())
    }

    /// Write a remaining-length varint.
    pub fn put_varint(&mut self, n: usize) -> Result<(), Error> {
        if n > MAX_REMAINING_LEN {
            return Err(ArgError::PacketTooLarge.into());
        }
        let dst = self.reserve(varint_len(n))?;
        encode_varint(n, dst).map(|_| ())
    }

    /// Write a fixed header: first byte and remaining length.
    pub(crate) fn put_header(&mut self, first: u8, remaining: usize) -> Result<(), Error> {
        self.put_u8(first)?;
        self.put_varint(remaining)
    }
}

/// Cursor that reads big-endian MQTT fields from a slice. Running out of
/// bytes is `ProtocolError::PacketTooShort`.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Read from the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if n > self.buf.len() {
            return Err(ProtocolError::PacketTooShort);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, ProtocolError> {
        let (&b, tail) = self
            .buf
            .split_first()
            .ok_or(ProtocolError::PacketTooShort)?;
        self.buf = tail;
        Ok(b)
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, ProtocolError> {
        let hi = self.u8()?;
        let lo = self.u8()?;
        Ok(u16::from_be_bytes([hi, lo]))
    }

    /// A u16-prefixed string or binary field (not validated).
    pub fn str(&mut self) -> Result<&'a [u8], ProtocolError> {
        let mut probe = self.clone();
        let n = probe.u16()?;
        let s = probe.take(usize::from(n))?;
        *self = probe;
        Ok(s)
    }

    /// A remaining-length varint.
    pub fn varint(&mut self) -> Result<usize, ProtocolError> {
        match decode_varint(self.buf)? {
            Some((v, used)) => {
                self.take(used)?;
                Ok(v)
            }
            None => Err(ProtocolError::PacketTooShort),
        }
    }

    /// Everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when every byte was read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// MQTT control packet types (the high nibble of the first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// Client request to connect.
    Connect = 1,
    /// Connect acknowledgement.
    ConnAck = 2,
    /// Application message.
    Publish = 3,
    /// QoS 1 acknowledgement.
    PubAck = 4,
    /// QoS 2 step 1: publish received.
    PubRec = 5,
    /// QoS 2 step 2: publish release.
    PubRel = 6,
    /// QoS 2 step 3: publish complete.
    PubComp = 7,
    /// Subscribe request.
    Subscribe = 8,
    /// Subscribe acknowledgement.
    SubAck = 9,
    /// Unsubscribe request.
    Unsubscribe = 10,
    /// Unsubscribe acknowledgement.
    UnsubAck = 11,
    /// Ping request.
    PingReq = 12,
    /// Ping response.
    PingResp = 13,
    /// Disconnect notification.
    Disconnect = 14,
}

impl PacketType {
    /// The type for a nibble 1..=14; `None` for the reserved 0 and 15.
    pub const fn from_u8(v: u8) -> Option<PacketType> {
        Some(match v {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            _ => return None,
        })
    }

    /// The type of a frame from its first byte.
    pub const fn from_first_byte(b: u8) -> Option<PacketType> {
        PacketType::from_u8(b >> 4)
    }

    /// Fixed-header flags MQTT 3.1.1 (table 2.2) requires; `None` for
    /// PUBLISH, whose flags carry DUP/QoS/RETAIN.
    pub const fn fixed_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    /// First byte of a packet of this type with its required flags
    /// (PUBLISH: flags 0).
    pub const fn first_byte(self) -> u8 {
        let flags = match self.fixed_flags() {
            Some(f) => f,
            None => 0,
        };
        ((self as u8) << 4) | flags
    }
}

/// Checks shared by topics and filters: non-empty, length, UTF-8, no NUL;
/// with `sent`, [`check_sent_utf8`].
fn check_mqtt_str(s: &[u8], sent: bool) -> Result<(), ArgError> {
    if s.is_empty() {
        return Err(ArgError::EmptyTopic);
    }
    scan_utf8(s, sent)
}

/// An MQTT UTF-8 string (sec 1.5.3): at most 65,535 bytes, valid UTF-8,
/// no U+0000. Empty is allowed here.
pub fn check_utf8(s: &[u8]) -> Result<(), ArgError> {
    scan_utf8(s, false)
}

/// A string this client's user gives it to send: [`check_utf8`], and none
/// of the code points a sender should not use (3.1.1 sec 1.5.3, 5.0 sec
/// 1.5.4: control characters U+0001..U+001F and U+007F..U+009F,
/// non-characters), `ControlCharacter` otherwise. A receiver may take them
/// as a malformed packet, and Mosquitto does, in every string: a QoS 1
/// message it never accepts would be resent after every reconnect. The
/// strings only a client sends (CONNECT's, filters) are checked so both
/// ways; a PUBLISH's topic where the user gives it ([`check_sent_topic_name`]).
pub fn check_sent_utf8(s: &[u8]) -> Result<(), ArgError> {
    scan_utf8(s, true)
}

/// [`check_utf8`] and the `&str` it vouches for (the conversion checks again:
/// the core has no `unsafe` for an unchecked one).
#[cfg(feature = "v5")]
pub fn utf8_str(s: &[u8]) -> Result<&str, ArgError> {
    check_utf8(s)?;
    core::str::from_utf8(s).map_err(|_| ArgError::InvalidUtf8)
}

/// A code point of [`check_sent_utf8`]'s list.
const fn discouraged(c: u32) -> bool {
    matches!(c, 0x01..=0x1f | 0x7f..=0x9f | 0xfdd0..=0xfdef) || c & 0xfffe == 0xfffe
}

/// Well-formed UTF-8 (RFC 3629: shortest form, no surrogates, nothing above
/// U+10FFFF) without U+0000, at most 65,535 bytes; with `sent`, none of the
/// [`discouraged`] code points either. Written out because
/// `core::str::from_utf8` brings a 256-byte table and a word-at-a-time
/// loop: ~0.6 KB of a board's executable RAM (the tests check both agree).
fn scan_utf8(s: &[u8], sent: bool) -> Result<(), ArgError> {
    if s.len() > usize::from(u16::MAX) {
        return Err(ArgError::StringTooLong);
    }
    let mut bytes = s.iter();
    while let Some(&lead) = bytes.next() {
        // Continuation bytes, lowest code point (shortest form), lead bits.
        let (more, min, mut c) = match lead {
            0 => return Err(ArgError::InvalidUtf8),
            0x20..=0x7e => continue,
            0x01..=0x7f => (0, 0, u32::from(lead)),
            0xc2..=0xdf => (1, 0x80, u32::from(lead & 0x1f)),
            0xe0..=0xef => (2, 0x800, u32::from(lead & 0x0f)),
            0xf0..=0xf4 => (3, 0x1_0000, u32::from(lead & 0x07)),
            _ => return Err(ArgError::InvalidUtf8),
        };
        for _ in 0..more {
            match bytes.next() {
                Some(&b) if b & 0xc0 == 0x80 => c = c << 6 | u32::from(b & 0x3f),
                _ => return Err(ArgError::InvalidUtf8),
            }
        }
        if c < min || c > 0x10_ffff || (0xd800..=0xdfff).contains(&c) {
            return Err(ArgError::InvalidUtf8);
        }
        if sent && discouraged(c) {
            return Err(ArgError::ControlCharacter);
        }
    }
    Ok(())
}

/// Validate a PUBLISH topic name (MQTT 3.1.1 sec 4.7): non-empty, at most
/// 65,535 bytes, UTF-8 without U+0000, no `+` or `#`.
pub fn check_topic_name(t: &[u8]) -> Result<(), ArgError> {
    topic_name(t, false)
}

/// [`check_topic_name`] for a topic this client's user publishes to (or
/// names as the will's): [`check_sent_utf8`] too. (A received topic is
/// taken as it is: this client does not drop a connection over one.)
pub fn check_sent_topic_name(t: &[u8]) -> Result<(), ArgError> {
    topic_name(t, true)
}

fn topic_name(t: &[u8], sent: bool) -> Result<(), ArgError> {
    // Every received PUBLISH and every publish() comes here, and topics are
    // nearly always printable ASCII: one pass without early exits (x86-64
    // vectorises it) settles those; anything else takes the full checks.
    let unusual = t.iter().fold(false, |u, &b| {
        u | !(0x20..0x7f).contains(&b) | (b == b'+') | (b == b'#')
    });
    if !unusual && !t.is_empty() && t.len() <= usize::from(u16::MAX) {
        return Ok(());
    }
    check_mqtt_str(t, sent)?;
    if t.iter().any(|&b| b == b'+' || b == b'#') {
        return Err(ArgError::WildcardInTopic);
    }
    Ok(())
}

/// Validate a SUBSCRIBE/UNSUBSCRIBE topic filter (sec 4.7.1): non-empty,
/// at most 65,535 bytes, [`check_sent_utf8`] (only a client sends them);
/// `#` only as a whole last level, `+` only as a whole level.
pub fn check_topic_filter(f: &[u8]) -> Result<(), ArgError> {
    check_mqtt_str(f, true)?;
    // One pass (smaller than splitting into levels): a wildcard must start
    // a level and end it, and `#` must end the filter.
    let mut level_start = true;
    let mut rest = f.iter().peekable();
    while let Some(&b) = rest.next() {
        if b == b'+' || b == b'#' {
            let next = rest.peek();
            let ends_level = next.is_none_or(|&&n| n == b'/');
            if !level_start || !ends_level || (b == b'#' && next.is_some()) {
                return Err(ArgError::InvalidFilter);
            }
        }
        level_start = b == b'/';
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::arithmetic_side_effects
)]
mod tests;
