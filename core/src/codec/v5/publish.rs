//! MQTT 5 PUBLISH (sec 3.3) and its acknowledgements PUBACK, PUBREC,
//! PUBREL, PUBCOMP (sec 3.4-3.7) with reason codes and the short forms.

use super::property::{Context, PropertyId, Role};
use super::reason::{is_valid, ReasonPacket};
use super::{begin, Properties};
use crate::codec::packet::{finish, packet_id};
use crate::codec::publish::first_byte;
use crate::codec::{add_len, check_topic_name, frame_len, str_len, PacketType, Reader, Writer};
use crate::error::{ArgError, Error, ProtocolError};
use crate::types::{PacketId, QoS};

/// An MQTT 5 PUBLISH. An empty `topic` is only valid with a `topic_alias`
/// property (the receiver maps the alias to a topic it saw before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Topic name; empty when an established topic alias stands for it.
    pub topic: &'a [u8],
    /// Application message.
    pub payload: &'a [u8],
    /// Delivery QoS.
    pub qos: QoS,
    /// Retained message.
    pub retain: bool,
    /// Retransmission of an earlier attempt (QoS > 0 only).
    pub dup: bool,
    /// Packet id; `Some` exactly when `qos` is above 0.
    pub packet_id: Option<PacketId>,
    /// PUBLISH properties ([`Context::Publish`]).
    pub properties: Properties<'a>,
}

/// Bytes of a topic alias property (id + u16).
const ALIAS_LEN: usize = 3;

impl Publish<'_> {
    fn remaining_len(&self, alias: Option<(u16, bool)>) -> Result<usize, Error> {
        // Looking for an alias property walks the list: only when it matters.
        let alias_prop = || self.properties.get(PropertyId::TopicAlias).is_some();
        let send_topic = alias.is_none_or(|(_, send)| send);
        if alias.is_some() && alias_prop() {
            return Err(ArgError::Property(crate::PropertyError::Repeated).into());
        }
        if alias.is_some_and(|(a, _)| a == 0) {
            return Err(ArgError::Property(crate::PropertyError::OutOfRange).into());
        }
        if self.topic.is_empty() {
            if alias.is_none() && !alias_prop() {
                return Err(ArgError::EmptyTopicWithoutAlias.into());
            }
        } else {
            check_topic_name(self.topic)?;
        }
        let id_ok = match self.qos {
            QoS::AtMostOnce => self.packet_id.is_none() && !self.dup,
            QoS::AtLeastOnce | QoS::ExactlyOnce => self.packet_id.is_some(),
        };
        if !id_ok {
            return Err(ArgError::PacketIdMismatch.into());
        }
        let topic = if send_topic { self.topic } else { &[] };
        let mut n = str_len(topic)?;
        if self.packet_id.is_some() {
            n = add_len(n, 2)?;
        }
        let mut props = self.properties.as_bytes().len();
        if alias.is_some() {
            props = add_len(props, ALIAS_LEN)?;
        }
        n = add_len(n, add_len(crate::codec::varint_len(props), props)?)?;
        add_len(n, self.payload.len())
    }

    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len(None)?)
    }

    /// Encode into `out`; returns the length. Nothing is written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.encode_inner(None, out)
    }

    /// Size of [`Publish::encode_aliased`]'s output.
    pub fn encoded_len_aliased(&self, alias: u16, send_topic: bool) -> Result<usize, Error> {
        frame_len(self.remaining_len(Some((alias, send_topic)))?)
    }

    /// Encode with a topic alias property added in front of the others
    /// (from [`crate::v5::OutboundAliases`]): `send_topic` true sends the
    /// topic too (establishing the alias), false an empty topic. The
    /// properties must not hold a topic alias of their own.
    pub fn encode_aliased(
        &self,
        alias: u16,
        send_topic: bool,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.encode_inner(Some((alias, send_topic)), out)
    }

    fn encode_inner(&self, alias: Option<(u16, bool)>, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len(alias)?;
        let mut w = begin(out, first_byte(self.qos, self.dup, self.retain), remaining)?;
        let send_topic = alias.is_none_or(|(_, send)| send);
        w.put_str(if send_topic { self.topic } else { &[] })?;
        if let Some(id) = self.packet_id {
            w.put_u16(id.get())?;
        }
        match alias {
            None => self.properties.write(&mut w)?,
            Some((a, _)) => {
                let props = self.properties.as_bytes();
                w.put_varint(props.len().saturating_add(ALIAS_LEN))?;
                w.put_u8(PropertyId::TopicAlias as u8)?;
                w.put_u16(a)?;
                w.put_bytes(props)?;
            }
        }
        w.put_bytes(self.payload)?;
        Ok(w.position())
    }
}

/// Decode a PUBLISH body. The topic may be empty only with a topic alias
/// (3.3.2-1 and 3.3.2.3.4; no alias is a protocol error); the alias value
/// itself is checked against our maximum by [`crate::v5::InboundAliases`].
pub(super) fn decode_publish(
    flags: u8,
    mut r: Reader<'_>,
    sender: Role,
) -> Result<Publish<'_>, ProtocolError> {
    let qos = QoS::from_u8((flags >> 1) & 3).ok_or(ProtocolError::InvalidQoS)?;
    // 3.3.1-2: DUP must be 0 at QoS 0 (3.1.1 tolerated it; MQTT 5 is strict).
    if qos == QoS::AtMostOnce && flags & 0x08 != 0 {
        return Err(ProtocolError::InvalidFlags);
    }
    let topic = r.str()?;
    if !topic.is_empty() {
        check_topic_name(topic).map_err(|_| ProtocolError::InvalidTopic)?;
    }
    let packet_id = match qos {
        QoS::AtMostOnce => None,
        QoS::AtLeastOnce | QoS::ExactlyOnce => Some(packet_id(&mut r)?),
    };
    let properties = Properties::read(&mut r, Context::Publish, sender)?;
    if topic.is_empty() && properties.get(PropertyId::TopicAlias).is_none() {
        return Err(ProtocolError::MissingTopic);
    }
    Ok(Publish {
        topic,
        payload: r.rest(),
        qos,
        retain: flags & 0x01 != 0,
        dup: flags & 0x08 != 0,
        packet_id,
        properties,
    })
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP: packet id, reason code, properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack<'a> {
    /// Id of the acknowledged PUBLISH.
    pub packet_id: PacketId,
    /// 0 = success; 0x10 no matching subscribers; >= 0x80 failure.
    pub reason_code: u8,
    /// Reason string, user properties.
    pub properties: Properties<'a>,
}

fn ack_reasons(kind: PacketType) -> Option<ReasonPacket> {
    match kind {
        PacketType::PubAck | PacketType::PubRec => Some(ReasonPacket::PubAckRec),
        PacketType::PubRel | PacketType::PubComp => Some(ReasonPacket::PubRelComp),
        _ => None,
    }
}

impl Ack<'_> {
    fn remaining_len(&self, kind: PacketType) -> Result<usize, Error> {
        let reasons = ack_reasons(kind).ok_or(ArgError::NotAnAck)?;
        if !is_valid(self.reason_code, reasons) {
            return Err(ArgError::InvalidReasonCode.into());
        }
        // Short forms (3.4.2.1): reason and property length may be left out.
        Ok(if !self.properties.is_empty() {
            add_len(3, self.properties.wire_len()?)?
        } else if self.reason_code != 0 {
            3
        } else {
            2
        })
    }

    /// Size of the encoded packet.
    pub fn encoded_len(&self, kind: PacketType) -> Result<usize, Error> {
        frame_len(self.remaining_len(kind)?)
    }

    /// Encode as `kind` (PUBACK, PUBREC, PUBREL or PUBCOMP) into `out`, in
    /// the shortest form the spec allows.
    pub fn encode(&self, kind: PacketType, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len(kind)?;
        let mut w: Writer<'_> = begin(out, kind.first_byte(), remaining)?;
        w.put_u16(self.packet_id.get())?;
        if remaining > 2 {
            w.put_u8(self.reason_code)?;
        }
        if remaining > 3 {
            self.properties.write(&mut w)?;
        }
        Ok(w.position())
    }
}

/// Decode an acknowledgement body of type `kind`.
pub(super) fn decode_ack(
    kind: PacketType,
    mut r: Reader<'_>,
    sender: Role,
) -> Result<Ack<'_>, ProtocolError> {
    let packet_id = packet_id(&mut r)?;
    let mut ack = Ack {
        packet_id,
        reason_code: 0,
        properties: Properties::EMPTY,
    };
    if r.is_empty() {
        return Ok(ack);
    }
    ack.reason_code = r.u8()?;
    let reasons = ack_reasons(kind).ok_or(ProtocolError::UnexpectedPacket)?;
    if !is_valid(ack.reason_code, reasons) {
        return Err(ProtocolError::InvalidReasonCode);
    }
    if !r.is_empty() {
        ack.properties = Properties::read(&mut r, Context::Ack, sender)?;
        finish(&r)?;
    }
    Ok(ack)
}
