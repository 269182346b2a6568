//! The MQTT 5.0 codec: properties, reason codes and every packet, AUTH
//! included. Additive to the 3.1.1 codec in the parent module (same
//! [`crate::codec::Reader`] / [`crate::codec::Writer`] cursors, same
//! rules: encoders write nothing when they fail, decoders borrow from the
//! frame and never panic).
//!
//! - [`property`]: the property table ([`PropertyId`]: id, snake_case
//!   name, [`Kind`], allowed packets, repeatable) and [`Value`].
//! - [`Properties`]: a checked zero-copy list; [`PropertyBuilder`] writes
//!   one into a caller buffer, checking each property as it goes.
//! - [`reason`]: reason-code constants, per-packet tables, failure and
//!   retry rules.
//! - [`Packet`] and [`decode`]: every packet, both directions;
//!   [`decode_from_server`] gives a client's [`ServerPacket`].
//!
//! Every decode error is a [`crate::ProtocolError`] whose
//! [`crate::ProtocolError::reason_code`] is the DISCONNECT reason to send.
//!
//! A binding turns a Python dict into properties like this:
//!
//! ```
//! use umqtt_core::codec::v5::{Context, PropertyBuilder, Role, Value};
//! let mut buf = [0u8; 64];
//! let mut b = PropertyBuilder::new(&mut buf, Context::Publish, Role::Client);
//! b.push_named("content_type", Value::Str("text/plain")).unwrap();
//! b.push_named("user_property", Value::Pair("k", "v")).unwrap();
//! b.validate().unwrap();
//! let props = b.finish();
//! assert_eq!(props.user_properties().next(), Some(("k", "v")));
//! // And back into a dict: name, value, and whether the key holds a list.
//! for (id, value) in props.iter() {
//!     let (_name, _is_list) = (id.name(), id.is_list());
//!     assert!(id.kind().accepts(&value));
//! }
//! ```

mod connect;
mod control;
mod decode;
pub mod property;
mod props;
mod publish;
pub mod reason;
mod subscribe;

pub use connect::{ConnAck, Connect, Will};
pub use control::{Auth, Disconnect};
pub use decode::{decode, decode_from_server, ServerPacket};
pub use property::{Context, Kind, PropertyId, Role, Value};
pub use props::{
    encode_flat, encode_flat_with_auth, Dynamic, Flat, PropIter, Properties, PropertyBuilder,
};
pub use publish::{Ack, Publish};
pub use subscribe::{
    FilterEntry, FilterIter, Filters, SubAck, SubFilter, SubOptions, Subscribe, Unsubscribe,
};

use super::{frame_len, PacketType, Writer};
use crate::error::Error;

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
