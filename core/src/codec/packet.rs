//! Decoding of the packets a server sends.

use super::{check_topic_name, decode_varint, PacketType, Publish, Reader};
use crate::error::ProtocolError;
use crate::types::{PacketId, ProtocolVersion, QoS};

/// Decoded packet from the server (zero-copy view into the frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// CONNACK.
    ConnAck {
        /// The broker resumed a stored session.
        session_present: bool,
        /// 0 = accepted, 1..=5 = refused.
        return_code: u8,
    },
    /// An application message.
    Publish(Publish<'a>),
    /// QoS 1 acknowledgement.
    PubAck(PacketId),
    /// QoS 2 publish received.
    PubRec(PacketId),
    /// QoS 2 publish release (for a message the broker sent us).
    PubRel(PacketId),
    /// QoS 2 publish complete.
    PubComp(PacketId),
    /// Subscribe acknowledgement.
    SubAck {
        /// Id of the SUBSCRIBE.
        packet_id: PacketId,
        /// One code per filter: granted QoS 0..=2 or 0x80 (failure).
        return_codes: &'a [u8],
    },
    /// Unsubscribe acknowledgement.
    UnsubAck(PacketId),
    /// Ping response.
    PingResp,
}

impl Packet<'_> {
    /// The packet's type.
    pub const fn packet_type(&self) -> PacketType {
        match self {
            Packet::ConnAck { .. } => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::SubAck { .. } => PacketType::SubAck,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingResp => PacketType::PingResp,
        }
    }
}

pub(super) fn packet_id(r: &mut Reader<'_>) -> Result<PacketId, ProtocolError> {
    PacketId::new(r.u16()?).ok_or(ProtocolError::PacketIdZero)
}

/// Read a body that is exactly one packet id.
fn id_only(mut r: Reader<'_>) -> Result<PacketId, ProtocolError> {
    let id = packet_id(&mut r)?;
    finish(&r)?;
    Ok(id)
}

pub(super) fn finish(r: &Reader<'_>) -> Result<(), ProtocolError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(ProtocolError::TrailingBytes)
    }
}

/// Decode one whole frame (fixed header included).
///
/// Checks: reserved types 0/15, fixed-header flags per MQTT 3.1.1 table
/// 2.2, the remaining length matches the frame exactly (`TrailingBytes` /
/// `PacketTooShort`), packet id != 0, PUBLISH QoS != 3, PUBLISH topic valid
/// (`InvalidTopic`), CONNACK flags and return code <= 5, SUBACK codes in
/// {0, 1, 2, 0x80} and at least one code. Packets a server never sends are
/// `UnexpectedPacket`. A DUP flag on a QoS 0 PUBLISH is tolerated.
///
/// MQTT 5 frames have another shape (properties, reason codes, AUTH): they
/// are decoded by [`super::v5::decode_from_server`]; with
/// [`ProtocolVersion::V5`] this function refuses every frame with
/// `UnexpectedPacket` (so a 3.1.1-only build does not link the MQTT 5
/// decoder).
pub fn decode(frame: &[u8], version: ProtocolVersion) -> Result<Packet<'_>, ProtocolError> {
    if version == ProtocolVersion::V5 {
        return Err(ProtocolError::UnexpectedPacket);
    }
    let (&first, rest) = frame.split_first().ok_or(ProtocolError::PacketTooShort)?;
    let (remaining, used) = decode_varint(rest)?.ok_or(ProtocolError::PacketTooShort)?;
    let body = rest.get(used..).ok_or(ProtocolError::PacketTooShort)?;
    if body.len() < remaining {
        return Err(ProtocolError::PacketTooShort);
    }
    if body.len() > remaining {
        return Err(ProtocolError::TrailingBytes);
    }
    let kind = PacketType::from_first_byte(first).ok_or(ProtocolError::ReservedPacketType)?;
    let flags = first & 0x0f;
    if let Some(required) = kind.fixed_flags() {
        if flags != required {
            return Err(ProtocolError::InvalidFlags);
        }
    }
    decode_v311(kind, flags, Reader::new(body))
}

fn decode_v311(
    kind: PacketType,
    flags: u8,
    mut r: Reader<'_>,
) -> Result<Packet<'_>, ProtocolError> {
    Ok(match kind {
        PacketType::ConnAck => {
            let ack_flags = r.u8()?;
            let return_code = r.u8()?;
            finish(&r)?;
            let session_present = ack_flags == 1;
            // Reserved bits must be 0; a refusal never has session present (3.2.2.2).
            if ack_flags > 1 || return_code > 5 || (session_present && return_code != 0) {
                return Err(ProtocolError::InvalidConnAck);
            }
            Packet::ConnAck {
                session_present,
                return_code,
            }
        }
        PacketType::Publish => {
            let qos = QoS::from_u8((flags >> 1) & 3).ok_or(ProtocolError::InvalidQoS)?;
            let topic = r.str()?;
            check_topic_name(topic).map_err(|_| ProtocolError::InvalidTopic)?;
            let packet_id = match qos {
                QoS::AtMostOnce => None,
                QoS::AtLeastOnce | QoS::ExactlyOnce => Some(packet_id(&mut r)?),
            };
            Packet::Publish(Publish {
                topic,
                payload: r.rest(),
                qos,
                retain: flags & 0x01 != 0,
                dup: flags & 0x08 != 0,
                packet_id,
            })
        }
        PacketType::PubAck => Packet::PubAck(id_only(r)?),
        PacketType::PubRec => Packet::PubRec(id_only(r)?),
        PacketType::PubRel => Packet::PubRel(id_only(r)?),
        PacketType::PubComp => Packet::PubComp(id_only(r)?),
        PacketType::UnsubAck => Packet::UnsubAck(id_only(r)?),
        PacketType::SubAck => {
            let packet_id = packet_id(&mut r)?;
            let return_codes = r.rest();
            if return_codes.is_empty()
                || !return_codes.iter().all(|c| matches!(c, 0 | 1 | 2 | 0x80))
            {
                return Err(ProtocolError::InvalidSubAck);
            }
            Packet::SubAck {
                packet_id,
                return_codes,
            }
        }
        PacketType::PingResp => {
            finish(&r)?;
            Packet::PingResp
        }
        PacketType::Connect
        | PacketType::Subscribe
        | PacketType::Unsubscribe
        | PacketType::PingReq
        | PacketType::Disconnect => return Err(ProtocolError::UnexpectedPacket),
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use ProtocolError as E;

    fn d(frame: &[u8]) -> Result<Packet<'_>, ProtocolError> {
        decode(frame, ProtocolVersion::V311)
    }
    fn pid(v: u16) -> PacketId {
        PacketId::new(v).unwrap()
    }

    #[test]
    fn connack() {
        assert_eq!(
            d(&[0x20, 2, 0, 0]),
            Ok(Packet::ConnAck {
                session_present: false,
                return_code: 0
            })
        );
        assert_eq!(
            d(&[0x20, 2, 1, 0]),
            Ok(Packet::ConnAck {
                session_present: true,
                return_code: 0
            })
        );
        assert_eq!(
            d(&[0x20, 2, 0, 5]),
            Ok(Packet::ConnAck {
                session_present: false,
                return_code: 5
            })
        );
        assert_eq!(d(&[0x20, 2, 0, 6]), Err(E::InvalidConnAck));
        assert_eq!(d(&[0x20, 2, 2, 0]), Err(E::InvalidConnAck));
        assert_eq!(d(&[0x20, 2, 1, 4]), Err(E::InvalidConnAck));
        assert_eq!(d(&[0x21, 2, 0, 0]), Err(E::InvalidFlags));
        assert_eq!(d(&[0x20, 1, 0]), Err(E::PacketTooShort));
        assert_eq!(d(&[0x20, 3, 0, 0, 0]), Err(E::TrailingBytes));
    }

    #[test]
    fn publish() {
        let f = [0x30, 7, 0, 3, b'a', b'/', b'b', b'h', b'i'];
        let Packet::Publish(p) = d(&f).unwrap() else {
            unreachable!()
        };
        assert_eq!(
            p,
            Publish {
                topic: b"a/b",
                payload: b"hi",
                qos: QoS::AtMostOnce,
                retain: false,
                dup: false,
                packet_id: None
            }
        );
        let f = [0x3D, 5, 0, 1, b't', 0, 7];
        let Packet::Publish(p) = d(&f).unwrap() else {
            unreachable!()
        };
        assert_eq!(
            p,
            Publish {
                topic: b"t",
                payload: b"",
                qos: QoS::ExactlyOnce,
                retain: true,
                dup: true,
                packet_id: Some(pid(7))
            }
        );
        assert_eq!(d(&[0x36, 5, 0, 1, b't', 0, 7]), Err(E::InvalidQoS));
        assert_eq!(d(&[0x32, 5, 0, 1, b't', 0, 0]), Err(E::PacketIdZero));
        assert_eq!(d(&[0x32, 4, 0, 1, b't', 0]), Err(E::PacketTooShort));
        assert_eq!(d(&[0x30, 3, 0, 1, b'#']), Err(E::InvalidTopic));
        assert_eq!(d(&[0x30, 3, 0, 1, 0]), Err(E::InvalidTopic));
        assert_eq!(d(&[0x30, 2, 0, 0]), Err(E::InvalidTopic));
        assert_eq!(d(&[0x30, 3, 0, 2, b'a']), Err(E::PacketTooShort));
        // Empty payload QoS 0 is fine; so is a 2-byte varint.
        let mut big = [0u8; 131];
        big[..5].copy_from_slice(&[0x31, 0x80, 0x01, 0, 1]);
        big[5] = b'x';
        let Packet::Publish(p) = d(&big).unwrap() else {
            unreachable!()
        };
        assert_eq!((p.topic, p.payload.len(), p.retain), (&b"x"[..], 125, true));
    }

    #[test]
    fn acks() {
        assert_eq!(d(&[0x40, 2, 0, 1]), Ok(Packet::PubAck(pid(1))));
        assert_eq!(d(&[0x50, 2, 1, 0]), Ok(Packet::PubRec(pid(256))));
        assert_eq!(d(&[0x62, 2, 0xff, 0xff]), Ok(Packet::PubRel(pid(65535))));
        assert_eq!(d(&[0x70, 2, 0, 9]), Ok(Packet::PubComp(pid(9))));
        assert_eq!(d(&[0xB0, 2, 0, 9]), Ok(Packet::UnsubAck(pid(9))));
        assert_eq!(d(&[0x60, 2, 0, 1]), Err(E::InvalidFlags));
        assert_eq!(d(&[0x42, 2, 0, 1]), Err(E::InvalidFlags));
        assert_eq!(d(&[0x40, 2, 0, 0]), Err(E::PacketIdZero));
        assert_eq!(d(&[0x40, 1, 0]), Err(E::PacketTooShort));
        assert_eq!(d(&[0x40, 3, 0, 1, 0]), Err(E::TrailingBytes));
        assert_eq!(d(&[0xD0, 0]), Ok(Packet::PingResp));
        assert_eq!(d(&[0xD0, 1, 0]), Err(E::TrailingBytes));
    }

    #[test]
    fn suback() {
        assert_eq!(
            d(&[0x90, 6, 0, 5, 0, 1, 2, 0x80]),
            Ok(Packet::SubAck {
                packet_id: pid(5),
                return_codes: &[0, 1, 2, 0x80]
            })
        );
        assert_eq!(d(&[0x90, 2, 0, 5]), Err(E::InvalidSubAck));
        assert_eq!(d(&[0x90, 3, 0, 5, 3]), Err(E::InvalidSubAck));
        assert_eq!(d(&[0x90, 3, 0, 0, 1]), Err(E::PacketIdZero));
    }

    #[test]
    fn header_errors() {
        assert_eq!(d(&[]), Err(E::PacketTooShort));
        assert_eq!(d(&[0xD0]), Err(E::PacketTooShort));
        assert_eq!(d(&[0xD0, 0x80]), Err(E::PacketTooShort));
        assert_eq!(
            d(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(E::MalformedRemainingLength)
        );
        assert_eq!(d(&[0x00, 0]), Err(E::ReservedPacketType));
        assert_eq!(d(&[0xF0, 0]), Err(E::ReservedPacketType));
        for first in [0x10, 0x82, 0xA2, 0xC0, 0xE0] {
            assert_eq!(d(&[first, 0]), Err(E::UnexpectedPacket));
        }
        assert_eq!(d(&[0x80, 0]), Err(E::InvalidFlags));
    }
}
