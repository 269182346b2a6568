//! The MQTT 5.0 codec: properties, reason codes and every packet, AUTH
//! included. Additive to the 3.1.1 codec in the parent module (same
//! [`Reader`]/[`Writer`] cursors, same rules: encoders write nothing when
//! they fail, decoders borrow from the frame and never panic).
//!
//! - [`property`]: the property table ([`PropertyId`]: id, snake_case
//!   name, [`Kind`], allowed packets, repeatable) and [`Value`].
//! - [`Properties`]: a checked zero-copy list; [`PropertyBuilder`] writes
//!   one into a caller buffer, checking each property as it goes.
//! - [`reason`]: reason-code constants, per-packet tables, failure and
//!   retry rules.
//! - [`Packet`] and [`decode`]: every packet, both directions.
//!
//! Every decode error is a [`ProtocolError`] whose
//! [`ProtocolError::reason_code`] is the DISCONNECT reason to send.
//!
//! A binding turns a Python dict into properties like this:
//!
//! ```
//! use umqtt_core::codec::v5::{Context, PropertyBuilder, Role, Value};
//! let mut buf = [0u8; 64];
//! let mut b = PropertyBuilder::new(&mut buf, Context::Publish, Role::Client);
//! b.push_named("content_type", Value::Str("text/plain")).unwrap();
//! b.push_named("user_property", Value::Pair("k", "v")).unwrap();
//! let props = b.finish();
//! assert_eq!(props.user_properties().next(), Some(("k", "v")));
//! ```

mod connect;
mod control;
pub mod property;
mod props;
mod publish;
pub mod reason;
mod subscribe;

pub use connect::{ConnAck, Connect, Will};
pub use control::{Auth, Disconnect};
pub use property::{Context, Kind, PropertyId, Role, Value};
pub use props::{PropIter, Properties, PropertyBuilder};
pub use publish::{Ack, Publish};
pub use subscribe::{
    FilterEntry, FilterIter, Filters, SubAck, SubFilter, SubOptions, Subscribe, Unsubscribe,
};

use super::packet::finish;
use super::{decode_varint, frame_len, varint_len, PacketType, Reader, Writer};
use crate::error::{Error, ProtocolError};

/// Reserve exactly the frame in `out` and write its fixed header.
fn begin(out: &mut [u8], first: u8, remaining: usize) -> Result<Writer<'_>, Error> {
    let total = frame_len(remaining)?;
    let dst = out
        .get_mut(..total)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let mut w = Writer::new(dst);
    w.put_header(first, remaining)?;
    Ok(w)
}

/// A decoded MQTT 5 packet (zero-copy view into the frame), or one to
/// encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// CONNECT (client).
    Connect(Connect<'a>),
    /// CONNACK (server).
    ConnAck(ConnAck<'a>),
    /// PUBLISH (both).
    Publish(Publish<'a>),
    /// PUBACK (both).
    PubAck(Ack<'a>),
    /// PUBREC (both).
    PubRec(Ack<'a>),
    /// PUBREL (both).
    PubRel(Ack<'a>),
    /// PUBCOMP (both).
    PubComp(Ack<'a>),
    /// SUBSCRIBE (client).
    Subscribe(Subscribe<'a>),
    /// SUBACK (server).
    SubAck(SubAck<'a>),
    /// UNSUBSCRIBE (client).
    Unsubscribe(Unsubscribe<'a>),
    /// UNSUBACK (server).
    UnsubAck(SubAck<'a>),
    /// PINGREQ (client).
    PingReq,
    /// PINGRESP (server).
    PingResp,
    /// DISCONNECT (both).
    Disconnect(Disconnect<'a>),
    /// AUTH (both).
    Auth(Auth<'a>),
}

impl Packet<'_> {
    /// Who may send this packet: `None` for both sides.
    pub const fn sender(&self) -> Option<Role> {
        match self {
            Packet::Connect(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq => Some(Role::Client),
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
                Some(Role::Server)
            }
            _ => None,
        }
    }

    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        match self {
            Packet::Connect(p) => p.encoded_len(),
            Packet::Publish(p) => p.encoded_len(),
            Packet::PubAck(a) => a.encoded_len(PacketType::PubAck),
            Packet::PubRec(a) => a.encoded_len(PacketType::PubRec),
            Packet::PubRel(a) => a.encoded_len(PacketType::PubRel),
            Packet::PubComp(a) => a.encoded_len(PacketType::PubComp),
            Packet::Subscribe(p) => p.encoded_len(),
            Packet::Unsubscribe(p) => p.encoded_len(),
            Packet::PingReq | Packet::PingResp => Ok(2),
            Packet::Disconnect(p) => p.encoded_len(),
            Packet::Auth(p) => p.encoded_len(),
            // Server-only packets: size by encoding into a scratch-free probe.
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) => {
                match self.encode(&mut []) {
                    Err(Error::BufferTooSmall { needed }) => Ok(needed),
                    other => other,
                }
            }
        }
    }

    /// Encode into `out`; returns the length. Nothing is written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        match self {
            Packet::Connect(p) => p.encode(out),
            Packet::ConnAck(p) => p.encode(out),
            Packet::Publish(p) => p.encode(out),
            Packet::PubAck(a) => a.encode(PacketType::PubAck, out),
            Packet::PubRec(a) => a.encode(PacketType::PubRec, out),
            Packet::PubRel(a) => a.encode(PacketType::PubRel, out),
            Packet::PubComp(a) => a.encode(PacketType::PubComp, out),
            Packet::Subscribe(p) => p.encode(out),
            Packet::SubAck(p) => p.encode(PacketType::SubAck, out),
            Packet::Unsubscribe(p) => p.encode(out),
            Packet::UnsubAck(p) => p.encode(PacketType::UnsubAck, out),
            Packet::PingReq => {
                begin(out, PacketType::PingReq.first_byte(), 0).map(|w| w.position())
            }
            Packet::PingResp => {
                begin(out, PacketType::PingResp.first_byte(), 0).map(|w| w.position())
            }
            Packet::Disconnect(p) => p.encode(out),
            Packet::Auth(p) => p.encode(out),
        }
    }
}

/// Decode one whole MQTT 5 frame sent by `sender` (a client decodes with
/// [`Role::Server`]).
///
/// Checks, beyond the 3.1.1 ones (fixed-header flags, exact remaining
/// length, packet id != 0, QoS != 3, valid topics): the property list of
/// each packet (see [`Properties::parse`]), reason codes defined for the
/// packet, reserved bits, the short forms of acks, DISCONNECT and AUTH. A
/// packet `sender` never sends is `UnexpectedPacket`.
pub fn decode(frame: &[u8], sender: Role) -> Result<Packet<'_>, ProtocolError> {
    decode_impl::<true>(frame, sender)
}

/// [`decode`] for what a client receives (`Role::Server`), without the
/// decoders of CONNECT, SUBSCRIBE and UNSUBSCRIBE (they are
/// `UnexpectedPacket` either way), so a client build does not link them.
pub fn decode_from_server(frame: &[u8]) -> Result<Packet<'_>, ProtocolError> {
    decode_impl::<false>(frame, Role::Server)
}

fn decode_impl<const CLIENT_PACKETS: bool>(
    frame: &[u8],
    sender: Role,
) -> Result<Packet<'_>, ProtocolError> {
    let (&first, rest) = frame.split_first().ok_or(ProtocolError::PacketTooShort)?;
    let (remaining, used) = decode_varint(rest)?.ok_or(ProtocolError::PacketTooShort)?;
    // 1.5.5-1: the remaining length in its shortest form.
    if used != varint_len(remaining) {
        return Err(ProtocolError::MalformedRemainingLength);
    }
    let body = rest.get(used..).ok_or(ProtocolError::PacketTooShort)?;
    if body.len() < remaining {
        return Err(ProtocolError::PacketTooShort);
    }
    if body.len() > remaining {
        return Err(ProtocolError::TrailingBytes);
    }
    let flags = first & 0x0f;
    let r = Reader::new(body);
    if first >> 4 == 15 {
        if flags != 0 {
            return Err(ProtocolError::InvalidFlags);
        }
        return Ok(Packet::Auth(control::decode_auth(r, sender)?));
    }
    let kind = PacketType::from_first_byte(first).ok_or(ProtocolError::ReservedPacketType)?;
    if let Some(required) = kind.fixed_flags() {
        if flags != required {
            return Err(ProtocolError::InvalidFlags);
        }
    }
    // A packet the sender never sends is refused before its body is read,
    // so `decode` and `decode_from_server` agree on every frame.
    let only_from = match kind {
        PacketType::Connect
        | PacketType::Subscribe
        | PacketType::Unsubscribe
        | PacketType::PingReq => Some(Role::Client),
        PacketType::ConnAck | PacketType::SubAck | PacketType::UnsubAck | PacketType::PingResp => {
            Some(Role::Server)
        }
        _ => None,
    };
    if only_from.is_some_and(|r| r != sender) {
        return Err(ProtocolError::UnexpectedPacket);
    }
    let packet = match kind {
        PacketType::Connect | PacketType::Subscribe | PacketType::Unsubscribe
            if !CLIENT_PACKETS =>
        {
            return Err(ProtocolError::UnexpectedPacket)
        }
        PacketType::Connect => Packet::Connect(connect::decode_connect(r)?),
        PacketType::ConnAck => Packet::ConnAck(connect::decode_connack(r)?),
        PacketType::Publish => Packet::Publish(publish::decode_publish(flags, r, sender)?),
        PacketType::PubAck => Packet::PubAck(publish::decode_ack(kind, r, sender)?),
        PacketType::PubRec => Packet::PubRec(publish::decode_ack(kind, r, sender)?),
        PacketType::PubRel => Packet::PubRel(publish::decode_ack(kind, r, sender)?),
        PacketType::PubComp => Packet::PubComp(publish::decode_ack(kind, r, sender)?),
        PacketType::Subscribe => Packet::Subscribe(subscribe::decode_subscribe(r)?),
        PacketType::SubAck => Packet::SubAck(subscribe::decode_suback(kind, r)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(subscribe::decode_unsubscribe(r)?),
        PacketType::UnsubAck => Packet::UnsubAck(subscribe::decode_suback(kind, r)?),
        PacketType::PingReq | PacketType::PingResp => {
            finish(&r)?;
            if kind == PacketType::PingReq {
                Packet::PingReq
            } else {
                Packet::PingResp
            }
        }
        PacketType::Disconnect => Packet::Disconnect(control::decode_disconnect(r, sender)?),
    };
    Ok(packet)
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

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::arithmetic_side_effects
)]
mod flow_tests;
