//! MQTT 5 CONNECT (sec 3.1, with will properties) and CONNACK (sec 3.2).

use super::property::{Context, Role};
use super::reason::{is_valid, ReasonPacket};
use super::{begin, Properties};
use crate::codec::connect::connect_flags;
use crate::codec::packet::finish;
use crate::codec::{
    add_len, check_sent_topic_name, check_sent_utf8, frame_len, str_len, PacketType, Reader,
};
use crate::error::{ArgError, Error, ProtocolError};
use crate::types::QoS;

const PROTOCOL_NAME: &[u8] = b"MQTT";
const LEVEL: u8 = 5;

/// Last will with its properties (will delay, message expiry, content
/// type, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Will<'a> {
    /// Topic name.
    pub topic: &'a [u8],
    /// Will payload.
    pub payload: &'a [u8],
    /// QoS of the will message.
    pub qos: QoS,
    /// Publish the will as retained.
    pub retain: bool,
    /// Will properties ([`Context::Will`]).
    pub properties: Properties<'a>,
}

/// An MQTT 5 CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect<'a> {
    /// Client identifier (may be empty: the server assigns one).
    pub client_id: &'a [u8],
    /// Keepalive in seconds (0 = off).
    pub keepalive: u16,
    /// Clean Start: discard any stored session.
    pub clean_start: bool,
    /// User name (UTF-8).
    pub username: Option<&'a [u8]>,
    /// Password (binary); MQTT 5 allows it without a user name.
    pub password: Option<&'a [u8]>,
    /// Last will.
    pub will: Option<Will<'a>>,
    /// CONNECT properties ([`Context::Connect`]).
    pub properties: Properties<'a>,
}

impl<'a> Connect<'a> {
    /// The CONNECT of these arguments for `protocol`: this one on MQTT 5;
    /// on 3.1.1 the 3.1.1 CONNECT (`clean_start` is its clean session), if
    /// neither it nor the will has properties (else `PropertiesNeedV5`).
    /// So that a binding describes a CONNECT once for both protocols.
    pub fn for_protocol(
        &self,
        protocol: crate::ProtocolVersion,
    ) -> Result<Option<crate::codec::Connect<'a>>, Error> {
        if protocol == crate::ProtocolVersion::V5 {
            return Ok(None);
        }
        let will_props = self.will.is_some_and(|w| !w.properties.is_empty());
        if !self.properties.is_empty() || will_props {
            return Err(ArgError::PropertiesNeedV5.into());
        }
        Ok(Some(crate::codec::Connect {
            protocol,
            client_id: self.client_id,
            keepalive: self.keepalive,
            clean_session: self.clean_start,
            username: self.username,
            password: self.password,
            will: self.will.map(|w| crate::codec::Will {
                topic: w.topic,
                message: w.payload,
                qos: w.qos,
                retain: w.retain,
            }),
        }))
    }

    /// Its encoded length as `protocol`'s CONNECT ([`Self::for_protocol`]):
    /// checks every argument before anything is sent.
    pub fn encoded_len_for(&self, protocol: crate::ProtocolVersion) -> Result<usize, Error> {
        match self.for_protocol(protocol)? {
            Some(c) => c.encoded_len(),
            None => self.encoded_len(),
        }
    }
}

impl Connect<'_> {
    fn remaining_len(&self) -> Result<usize, Error> {
        check_sent_utf8(self.client_id)?;
        // Name, level, flags, keepalive, properties, client id.
        let mut n = add_len(str_len(PROTOCOL_NAME)?, 4)?;
        n = add_len(n, self.properties.wire_len()?)?;
        n = add_len(n, str_len(self.client_id)?)?;
        if let Some(w) = &self.will {
            check_sent_topic_name(w.topic)?;
            n = add_len(n, w.properties.wire_len()?)?;
            n = add_len(n, str_len(w.topic)?)?;
            n = add_len(n, str_len(w.payload)?)?;
        }
        if let Some(u) = self.username {
            check_sent_utf8(u)?;
            n = add_len(n, str_len(u)?)?;
        }
        if let Some(p) = self.password {
            n = add_len(n, str_len(p)?)?;
        }
        Ok(n)
    }

    fn flags(&self) -> u8 {
        connect_flags(
            self.username.is_some(),
            self.password.is_some(),
            self.will.map(|w| (w.qos, w.retain)),
            self.clean_start,
        )
    }

    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len()?)
    }

    /// Encode into `out`; returns the length. Nothing is written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let mut w = begin(out, PacketType::Connect.first_byte(), remaining)?;
        w.put_str(PROTOCOL_NAME)?;
        w.put_u8(LEVEL)?;
        w.put_u8(self.flags())?;
        w.put_u16(self.keepalive)?;
        self.properties.write(&mut w)?;
        w.put_str(self.client_id)?;
        if let Some(will) = &self.will {
            will.properties.write(&mut w)?;
            w.put_str(will.topic)?;
            w.put_str(will.payload)?;
        }
        if let Some(u) = self.username {
            w.put_str(u)?;
        }
        if let Some(p) = self.password {
            w.put_str(p)?;
        }
        Ok(w.position())
    }
}

/// Decode a CONNECT body (what a server reads; used by tests and fuzzing).
/// A protocol name or level other than "MQTT" 5 is `UnexpectedPacket`.
pub(super) fn decode_connect(mut r: Reader<'_>) -> Result<Connect<'_>, ProtocolError> {
    if r.str()? != PROTOCOL_NAME || r.u8()? != LEVEL {
        return Err(ProtocolError::UnexpectedPacket);
    }
    let flags = r.u8()?;
    let will_flag = flags & 0x04 != 0;
    // Bit 0 is reserved (3.1.2-3); will QoS/retain need the will flag (3.1.2-11, -13).
    if flags & 0x01 != 0 || (!will_flag && flags & 0x38 != 0) {
        return Err(ProtocolError::ReservedBits);
    }
    let keepalive = r.u16()?;
    let properties = Properties::read(&mut r, Context::Connect, Role::Client)?;
    let client_id = r.str()?;
    check_sent_utf8(client_id).map_err(|_| ProtocolError::InvalidTopic)?;
    let will = if will_flag {
        let properties = Properties::read(&mut r, Context::Will, Role::Client)?;
        let topic = r.str()?;
        check_sent_topic_name(topic).map_err(|_| ProtocolError::InvalidTopic)?;
        Some(Will {
            properties,
            topic,
            payload: r.str()?,
            qos: QoS::from_u8((flags >> 3) & 3).ok_or(ProtocolError::InvalidQoS)?,
            retain: flags & 0x20 != 0,
        })
    } else {
        None
    };
    let username = if flags & 0x80 != 0 {
        let u = r.str()?;
        check_sent_utf8(u).map_err(|_| ProtocolError::MalformedProperty)?;
        Some(u)
    } else {
        None
    };
    let password = if flags & 0x40 != 0 {
        Some(r.str()?)
    } else {
        None
    };
    finish(&r)?;
    Ok(Connect {
        client_id,
        keepalive,
        clean_start: flags & 0x02 != 0,
        username,
        password,
        will,
        properties,
    })
}

/// An MQTT 5 CONNACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnAck<'a> {
    /// The server resumed a stored session.
    pub session_present: bool,
    /// 0 = success; >= 0x80 = refused (e.g. 0x86 bad user name or
    /// password, 0x87 not authorised).
    pub reason_code: u8,
    /// CONNACK properties: the server's limits and assignments.
    pub properties: Properties<'a>,
}

impl ConnAck<'_> {
    fn remaining_len(&self) -> Result<usize, Error> {
        if !is_valid(self.reason_code, ReasonPacket::ConnAck)
            || (self.session_present && self.reason_code != 0)
        {
            return Err(ArgError::InvalidReasonCode.into());
        }
        add_len(2, self.properties.wire_len()?)
    }

    /// Encode into `out` (a server's packet; for tests and fake brokers).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let mut w = begin(out, PacketType::ConnAck.first_byte(), remaining)?;
        w.put_u8(u8::from(self.session_present))?;
        w.put_u8(self.reason_code)?;
        self.properties.write(&mut w)?;
        Ok(w.position())
    }
}

/// Decode a CONNACK body: reserved flag bits are malformed (3.2.2.1), a
/// refusal with session present is invalid (3.2.2-6), the code must be a
/// CONNACK reason code (3.2.2.2).
pub(super) fn decode_connack(mut r: Reader<'_>) -> Result<ConnAck<'_>, ProtocolError> {
    let flags = r.u8()?;
    let reason_code = r.u8()?;
    if flags > 1 {
        return Err(ProtocolError::ReservedBits);
    }
    if !is_valid(reason_code, ReasonPacket::ConnAck) {
        return Err(ProtocolError::InvalidReasonCode);
    }
    if flags == 1 && reason_code != 0 {
        return Err(ProtocolError::InvalidConnAck);
    }
    let properties = Properties::read(&mut r, Context::ConnAck, Role::Server)?;
    finish(&r)?;
    Ok(ConnAck {
        session_present: flags == 1,
        reason_code,
        properties,
    })
}
