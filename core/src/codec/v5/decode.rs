//! Decoding MQTT 5 frames: [`decode`] for any packet from either side,
//! [`decode_from_server`] for what a client receives.

use super::{connect, control, publish, subscribe};
use super::{Ack, Auth, ConnAck, Disconnect, Packet, Publish, Role, SubAck};
use crate::codec::packet::finish;
use crate::codec::{decode_varint, varint_len, PacketType, Reader};
use crate::error::ProtocolError;

/// A packet a server sends: what a client decodes with
/// [`decode_from_server`]. Smaller than [`Packet`] (no CONNECT), and a
/// client matches only the packets it can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerPacket<'a> {
    /// CONNACK.
    ConnAck(ConnAck<'a>),
    /// PUBLISH.
    Publish(Publish<'a>),
    /// PUBACK.
    PubAck(Ack<'a>),
    /// PUBREC.
    PubRec(Ack<'a>),
    /// PUBREL.
    PubRel(Ack<'a>),
    /// PUBCOMP.
    PubComp(Ack<'a>),
    /// SUBACK.
    SubAck(SubAck<'a>),
    /// UNSUBACK.
    UnsubAck(SubAck<'a>),
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Disconnect<'a>),
    /// AUTH.
    Auth(Auth<'a>),
}

impl<'a> From<ServerPacket<'a>> for Packet<'a> {
    fn from(p: ServerPacket<'a>) -> Self {
        match p {
            ServerPacket::ConnAck(x) => Packet::ConnAck(x),
            ServerPacket::Publish(x) => Packet::Publish(x),
            ServerPacket::PubAck(x) => Packet::PubAck(x),
            ServerPacket::PubRec(x) => Packet::PubRec(x),
            ServerPacket::PubRel(x) => Packet::PubRel(x),
            ServerPacket::PubComp(x) => Packet::PubComp(x),
            ServerPacket::SubAck(x) => Packet::SubAck(x),
            ServerPacket::UnsubAck(x) => Packet::UnsubAck(x),
            ServerPacket::PingResp => Packet::PingResp,
            ServerPacket::Disconnect(x) => Packet::Disconnect(x),
            ServerPacket::Auth(x) => Packet::Auth(x),
        }
    }
}

/// The fixed header, checked: `None` for AUTH (type 15, which 3.1.1's
/// [`PacketType`] reserves), the flags, the body.
fn header(
    frame: &[u8],
    sender: Role,
) -> Result<(Option<PacketType>, u8, Reader<'_>), ProtocolError> {
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
    if first >> 4 == 15 {
        if flags != 0 {
            return Err(ProtocolError::InvalidFlags);
        }
        return Ok((None, flags, Reader::new(body)));
    }
    let kind = PacketType::from_first_byte(first).ok_or(ProtocolError::ReservedPacketType)?;
    if kind.fixed_flags().is_some_and(|required| flags != required) {
        return Err(ProtocolError::InvalidFlags);
    }
    // A packet the sender never sends is refused before its body is read.
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
    Ok((Some(kind), flags, Reader::new(body)))
}

/// The body of every packet but the client-only ones.
fn body<'a>(
    kind: Option<PacketType>,
    flags: u8,
    r: Reader<'a>,
    sender: Role,
) -> Result<ServerPacket<'a>, ProtocolError> {
    let Some(kind) = kind else {
        return Ok(ServerPacket::Auth(control::decode_auth(r, sender)?));
    };
    Ok(match kind {
        PacketType::ConnAck => ServerPacket::ConnAck(connect::decode_connack(r)?),
        PacketType::Publish => ServerPacket::Publish(publish::decode_publish(flags, r, sender)?),
        PacketType::PubAck => ServerPacket::PubAck(publish::decode_ack(kind, r, sender)?),
        PacketType::PubRec => ServerPacket::PubRec(publish::decode_ack(kind, r, sender)?),
        PacketType::PubRel => ServerPacket::PubRel(publish::decode_ack(kind, r, sender)?),
        PacketType::PubComp => ServerPacket::PubComp(publish::decode_ack(kind, r, sender)?),
        PacketType::SubAck => ServerPacket::SubAck(subscribe::decode_suback(kind, r)?),
        PacketType::UnsubAck => ServerPacket::UnsubAck(subscribe::decode_suback(kind, r)?),
        PacketType::PingResp => {
            finish(&r)?;
            ServerPacket::PingResp
        }
        PacketType::Disconnect => ServerPacket::Disconnect(control::decode_disconnect(r, sender)?),
        // Client-only packets: [`header`] already refused them from a server.
        PacketType::Connect
        | PacketType::Subscribe
        | PacketType::Unsubscribe
        | PacketType::PingReq => return Err(ProtocolError::UnexpectedPacket),
    })
}

/// Decode one whole MQTT 5 frame sent by `sender`.
///
/// Checks, beyond the 3.1.1 ones (fixed-header flags, exact remaining
/// length, packet id != 0, QoS != 3, valid topics): the property list of
/// each packet (see [`super::Properties::parse`]), reason codes defined for
/// the packet, reserved bits, varints in their shortest form (1.5.5-1),
/// the short forms of acks, DISCONNECT and AUTH. A packet `sender` never
/// sends is `UnexpectedPacket`, whatever its body.
pub fn decode(frame: &[u8], sender: Role) -> Result<Packet<'_>, ProtocolError> {
    let (kind, flags, r) = header(frame, sender)?;
    Ok(match kind {
        Some(PacketType::Connect) => Packet::Connect(connect::decode_connect(r)?),
        Some(PacketType::Subscribe) => Packet::Subscribe(subscribe::decode_subscribe(r)?),
        Some(PacketType::Unsubscribe) => Packet::Unsubscribe(subscribe::decode_unsubscribe(r)?),
        Some(PacketType::PingReq) => {
            finish(&r)?;
            Packet::PingReq
        }
        _ => body(kind, flags, r, sender)?.into(),
    })
}

/// What a client receives: [`decode`] with [`Role::Server`], as a
/// [`ServerPacket`]; a client build does not link the decoders of the
/// packets only clients send.
pub fn decode_from_server(frame: &[u8]) -> Result<ServerPacket<'_>, ProtocolError> {
    let (kind, flags, r) = header(frame, Role::Server)?;
    body(kind, flags, r, Role::Server)
}
