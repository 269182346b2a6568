//! MQTT 5 SUBSCRIBE with subscription options (sec 3.8), UNSUBSCRIBE
//! (3.10), and their acknowledgements SUBACK / UNSUBACK with reason codes
//! (3.9, 3.11).

use super::property::{Context, Role};
use super::reason::{is_valid, ReasonPacket};
use super::{begin, Properties};
use crate::codec::packet::packet_id;
use crate::codec::{add_len, check_topic_filter, frame_len, str_len, PacketType, Reader};
use crate::error::{ArgError, Error, ProtocolError};
use crate::types::{PacketId, QoS};

/// Subscription options (3.8.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubOptions {
    /// Maximum QoS the client wants.
    pub qos: QoS,
    /// Do not deliver our own publications back to us.
    pub no_local: bool,
    /// Keep the RETAIN flag of forwarded messages as published.
    pub retain_as_published: bool,
    /// 0: send retained messages on subscribe; 1: only if the subscription
    /// is new; 2: never.
    pub retain_handling: u8,
}

impl SubOptions {
    /// Plain options for `qos` (what a 3.1.1-style subscribe means).
    pub const fn qos(qos: QoS) -> Self {
        SubOptions {
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: 0,
        }
    }

    /// The options byte; `InvalidSubscriptionOptions` for retain handling 3+.
    pub fn to_byte(self) -> Result<u8, Error> {
        if self.retain_handling > 2 {
            return Err(ArgError::InvalidSubscriptionOptions.into());
        }
        Ok(self.qos as u8
            | u8::from(self.no_local) << 2
            | u8::from(self.retain_as_published) << 3
            | self.retain_handling << 4)
    }

    /// Parse an options byte: reserved bits 6-7 set is malformed
    /// (3.8.3-5), QoS 3 or retain handling 3 a protocol error (3.8.3.1).
    pub fn from_byte(b: u8) -> Result<Self, ProtocolError> {
        if b & 0xC0 != 0 {
            return Err(ProtocolError::ReservedBits);
        }
        let retain_handling = (b >> 4) & 3;
        if retain_handling == 3 {
            return Err(ProtocolError::InvalidPropertyValue);
        }
        Ok(SubOptions {
            qos: QoS::from_u8(b & 3).ok_or(ProtocolError::InvalidQoS)?,
            no_local: b & 0x04 != 0,
            retain_as_published: b & 0x08 != 0,
            retain_handling,
        })
    }
}

/// Topic filters of a SUBSCRIBE or UNSUBSCRIBE: a caller's list to encode,
/// or the checked bytes of a received packet.
#[derive(Debug, Clone, Copy)]
pub enum Filters<'a, T: 'a> {
    /// Given by the caller.
    List(&'a [T]),
    /// Checked payload bytes of a decoded packet.
    Wire(&'a [u8]),
}

/// One SUBSCRIBE entry.
pub type SubFilter<'a> = (&'a [u8], SubOptions);

/// Iterator over [`Filters`].
#[derive(Debug, Clone)]
pub struct FilterIter<'a, T> {
    list: core::slice::Iter<'a, T>,
    wire: Reader<'a>,
}

/// A type that is one entry of a filter list on the wire.
pub trait FilterEntry<'a>: Copy + 'a {
    /// The filter's topic.
    fn filter(&self) -> &'a [u8];
    /// Read one entry.
    fn read(r: &mut Reader<'a>) -> Result<Self, ProtocolError>;
    /// Bytes after the filter string.
    const EXTRA: usize;
}

impl<'a> FilterEntry<'a> for SubFilter<'a> {
    fn filter(&self) -> &'a [u8] {
        self.0
    }
    fn read(r: &mut Reader<'a>) -> Result<Self, ProtocolError> {
        let f = r.str()?;
        Ok((f, SubOptions::from_byte(r.u8()?)?))
    }
    const EXTRA: usize = 1;
}

impl<'a> FilterEntry<'a> for &'a [u8] {
    fn filter(&self) -> &'a [u8] {
        self
    }
    fn read(r: &mut Reader<'a>) -> Result<Self, ProtocolError> {
        r.str()
    }
    const EXTRA: usize = 0;
}

impl<'a, T: FilterEntry<'a>> Filters<'a, T> {
    /// The entries in order.
    pub fn iter(&self) -> FilterIter<'a, T> {
        match *self {
            Filters::List(l) => FilterIter {
                list: l.iter(),
                wire: Reader::new(&[]),
            },
            Filters::Wire(b) => FilterIter {
                list: [].iter(),
                wire: Reader::new(b),
            },
        }
    }

    /// Check a received payload: at least one entry (3.8.3-2, 3.10.3-2),
    /// every filter valid.
    fn parse(bytes: &'a [u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        if r.is_empty() {
            return Err(ProtocolError::PacketTooShort);
        }
        while !r.is_empty() {
            let e = T::read(&mut r)?;
            check_topic_filter(e.filter()).map_err(|_| ProtocolError::InvalidTopic)?;
        }
        Ok(Filters::Wire(bytes))
    }
}

impl<'a, T: FilterEntry<'a>> Iterator for FilterIter<'a, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        if let Some(e) = self.list.next() {
            return Some(*e);
        }
        // Wire bytes were checked when decoded.
        T::read(&mut self.wire).ok()
    }
}

impl<'a, T: FilterEntry<'a> + PartialEq> PartialEq for Filters<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, T: FilterEntry<'a> + PartialEq> Eq for Filters<'a, T> {}

/// An MQTT 5 SUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscribe<'a> {
    /// Packet id the SUBACK will carry.
    pub packet_id: PacketId,
    /// Subscription identifier, user properties.
    pub properties: Properties<'a>,
    /// Filters with their options; at least one.
    pub filters: Filters<'a, SubFilter<'a>>,
}

/// An MQTT 5 UNSUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe<'a> {
    /// Packet id the UNSUBACK will carry.
    pub packet_id: PacketId,
    /// User properties.
    pub properties: Properties<'a>,
    /// Filters; at least one.
    pub filters: Filters<'a, &'a [u8]>,
}

fn filters_len<'a, T: FilterEntry<'a>>(
    filters: &Filters<'a, T>,
    props: &Properties<'_>,
) -> Result<usize, Error> {
    let mut n = add_len(2, props.wire_len()?)?;
    let mut any = false;
    for e in filters.iter() {
        let f = e.filter();
        check_topic_filter(f)?;
        n = add_len(n, add_len(str_len(f)?, T::EXTRA)?)?;
        any = true;
    }
    if !any {
        return Err(ArgError::NoFilters.into());
    }
    Ok(n)
}

impl Subscribe<'_> {
    fn remaining_len(&self) -> Result<usize, Error> {
        for (f, o) in self.filters.iter() {
            o.to_byte()?;
            // 3.8.3-4: no_local on a shared subscription is a protocol error.
            if o.no_local && f.starts_with(b"$share/") {
                return Err(ArgError::NoLocalOnSharedSubscription.into());
            }
        }
        filters_len(&self.filters, &self.properties)
    }

    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len()?)
    }

    /// Encode into `out` (first byte 0x82). Nothing is written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let mut w = begin(out, PacketType::Subscribe.first_byte(), remaining)?;
        w.put_u16(self.packet_id.get())?;
        self.properties.write(&mut w)?;
        for (f, o) in self.filters.iter() {
            w.put_str(f)?;
            w.put_u8(o.to_byte()?)?;
        }
        Ok(w.position())
    }
}

impl Unsubscribe<'_> {
    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(filters_len(&self.filters, &self.properties)?)
    }

    /// Encode into `out` (first byte 0xA2). Nothing is written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = filters_len(&self.filters, &self.properties)?;
        let mut w = begin(out, PacketType::Unsubscribe.first_byte(), remaining)?;
        w.put_u16(self.packet_id.get())?;
        self.properties.write(&mut w)?;
        for f in self.filters.iter() {
            w.put_str(f)?;
        }
        Ok(w.position())
    }
}

pub(super) fn decode_subscribe(mut r: Reader<'_>) -> Result<Subscribe<'_>, ProtocolError> {
    let packet_id = packet_id(&mut r)?;
    let properties = Properties::read(&mut r, Context::Subscribe, Role::Client)?;
    Ok(Subscribe {
        packet_id,
        properties,
        filters: Filters::parse(r.rest())?,
    })
}

pub(super) fn decode_unsubscribe(mut r: Reader<'_>) -> Result<Unsubscribe<'_>, ProtocolError> {
    let packet_id = packet_id(&mut r)?;
    let properties = Properties::read(&mut r, Context::Unsubscribe, Role::Client)?;
    Ok(Unsubscribe {
        packet_id,
        properties,
        filters: Filters::parse(r.rest())?,
    })
}

/// SUBACK or UNSUBACK: one reason code per filter of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubAck<'a> {
    /// Id of the request.
    pub packet_id: PacketId,
    /// Reason string, user properties.
    pub properties: Properties<'a>,
    /// SUBACK: granted QoS 0..=2 or a failure >= 0x80. UNSUBACK: 0, 0x11
    /// (no subscription existed) or a failure.
    pub reason_codes: &'a [u8],
}

fn list_reasons(kind: PacketType) -> Option<(ReasonPacket, Context)> {
    match kind {
        PacketType::SubAck => Some((ReasonPacket::SubAck, Context::SubAck)),
        PacketType::UnsubAck => Some((ReasonPacket::UnsubAck, Context::UnsubAck)),
        _ => None,
    }
}

impl SubAck<'_> {
    fn remaining_len(&self, kind: PacketType) -> Result<usize, Error> {
        let (reasons, _) = list_reasons(kind).ok_or(ArgError::NotAnAck)?;
        if self.reason_codes.is_empty() {
            return Err(ArgError::NoFilters.into());
        }
        if !self.reason_codes.iter().all(|&c| is_valid(c, reasons)) {
            return Err(ArgError::InvalidReasonCode.into());
        }
        add_len(
            add_len(2, self.properties.wire_len()?)?,
            self.reason_codes.len(),
        )
    }

    /// Encode as `kind` (SUBACK or UNSUBACK); a server's packet, for tests
    /// and fake brokers.
    pub fn encode(&self, kind: PacketType, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len(kind)?;
        let mut w = begin(out, kind.first_byte(), remaining)?;
        w.put_u16(self.packet_id.get())?;
        self.properties.write(&mut w)?;
        w.put_bytes(self.reason_codes)?;
        Ok(w.position())
    }
}

/// Decode a SUBACK / UNSUBACK body: at least one code, each defined for
/// the packet (3.9.3, 3.11.3).
pub(super) fn decode_suback(
    kind: PacketType,
    mut r: Reader<'_>,
) -> Result<SubAck<'_>, ProtocolError> {
    let (reasons, ctx) = list_reasons(kind).ok_or(ProtocolError::UnexpectedPacket)?;
    let packet_id = packet_id(&mut r)?;
    let properties = Properties::read(&mut r, ctx, Role::Server)?;
    let reason_codes = r.rest();
    if reason_codes.is_empty() {
        return Err(ProtocolError::PacketTooShort);
    }
    if !reason_codes.iter().all(|&c| is_valid(c, reasons)) {
        return Err(ProtocolError::InvalidReasonCode);
    }
    Ok(SubAck {
        packet_id,
        properties,
        reason_codes,
    })
}
