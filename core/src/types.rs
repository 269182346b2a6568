//! Small value types shared by every layer.
use core::num::NonZeroU16;

/// Quality of service level of a PUBLISH or a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum QoS {
    /// QoS 0: fire and forget.
    AtMostOnce = 0,
    /// QoS 1: acknowledged by PUBACK; may be delivered more than once.
    AtLeastOnce = 1,
    /// QoS 2: PUBREC/PUBREL/PUBCOMP handshake; delivered exactly once.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for a wire value 0..=2, `None` for anything else.
    pub const fn from_u8(v: u8) -> Option<QoS> {
        match v {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// A non-zero MQTT packet identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// `None` for 0, which MQTT forbids as a packet identifier.
    pub const fn new(v: u16) -> Option<PacketId> {
        match NonZeroU16::new(v) {
            Some(n) => Some(PacketId(n)),
            None => None,
        }
    }
    /// The id as a plain integer (never 0).
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

/// MQTT protocol level, chosen at run time. The 3.1.1 codec takes it
/// everywhere; the MQTT 5 packets with properties and reason codes are in
/// [`crate::codec::v5`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolVersion {
    /// MQTT 3.1.1 (protocol level 4).
    #[default]
    V311,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte sent in CONNECT.
    pub const fn level(self) -> u8 {
        match self {
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }

    /// The version for a protocol level (the `protocol=` argument of the
    /// Python API): 4 or 5, `None` for anything else.
    pub const fn from_level(level: u8) -> Option<ProtocolVersion> {
        match level {
            4 => Some(ProtocolVersion::V311),
            5 => Some(ProtocolVersion::V5),
            _ => None,
        }
    }
}
