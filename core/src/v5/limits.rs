//! What the broker's CONNACK allows ([`ServerLimits`]) and the checks a
//! client makes with it before sending, plus the values the client
//! announces in CONNECT.

use crate::codec::v5::{Properties, PropertyId, ServerPacket};
use crate::error::{ArgError, ProtocolError};
use crate::types::QoS;

/// The broker's capabilities from CONNACK properties, with the spec's
/// defaults for absent ones (3.2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// `receive_maximum` (default 65,535).
    pub receive_maximum: u16,
    /// `maximum_qos` (default 2).
    pub maximum_qos: QoS,
    /// `retain_available` (default true).
    pub retain_available: bool,
    /// `maximum_packet_size` (default: none).
    pub maximum_packet_size: Option<u32>,
    /// `topic_alias_maximum` (default 0: no aliases to the broker).
    pub topic_alias_maximum: u16,
    /// `wildcard_subscription_available` (default true).
    pub wildcard_subscription_available: bool,
    /// `subscription_identifier_available` (default true).
    pub subscription_identifier_available: bool,
    /// `shared_subscription_available` (default true).
    pub shared_subscription_available: bool,
    /// `server_keep_alive`: replaces the keepalive we asked for.
    pub server_keep_alive: Option<u16>,
    /// `session_expiry_interval`: replaces the one we asked for.
    pub session_expiry_interval: Option<u32>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            receive_maximum: u16::MAX,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            wildcard_subscription_available: true,
            subscription_identifier_available: true,
            shared_subscription_available: true,
            server_keep_alive: None,
            session_expiry_interval: None,
        }
    }
}

impl ServerLimits {
    /// Read a CONNACK's (checked) properties. The assigned client id and
    /// strings are read by the caller from the same properties (they
    /// borrow the frame).
    pub fn from_connack(props: &Properties<'_>) -> Self {
        let d = ServerLimits::default();
        let int = |id| props.get_int(id);
        let u16_of = |id, default: u16| {
            int(id)
                .and_then(|v| u16::try_from(v).ok())
                .unwrap_or(default)
        };
        let flag = |id, default: bool| int(id).map_or(default, |v| v != 0);
        ServerLimits {
            receive_maximum: u16_of(PropertyId::ReceiveMaximum, d.receive_maximum),
            maximum_qos: int(PropertyId::MaximumQos)
                .and_then(|v| u8::try_from(v).ok())
                .and_then(QoS::from_u8)
                .unwrap_or(d.maximum_qos),
            retain_available: flag(PropertyId::RetainAvailable, true),
            maximum_packet_size: int(PropertyId::MaximumPacketSize),
            topic_alias_maximum: u16_of(PropertyId::TopicAliasMaximum, 0),
            wildcard_subscription_available: flag(PropertyId::WildcardSubscriptionAvailable, true),
            subscription_identifier_available: flag(
                PropertyId::SubscriptionIdentifierAvailable,
                true,
            ),
            shared_subscription_available: flag(PropertyId::SharedSubscriptionAvailable, true),
            server_keep_alive: int(PropertyId::ServerKeepAlive).and_then(|v| u16::try_from(v).ok()),
            session_expiry_interval: int(PropertyId::SessionExpiryInterval),
        }
    }

    /// A packet of `frame_len` bytes fits the broker's maximum packet size
    /// (3.1.2-24: we must not send a larger one).
    pub fn check_size(&self, frame_len: usize) -> Result<(), ArgError> {
        match self.maximum_packet_size {
            Some(max) if frame_len > usize::try_from(max).unwrap_or(usize::MAX) => {
                Err(ArgError::ExceedsServerMaximumPacketSize)
            }
            _ => Ok(()),
        }
    }

    /// A PUBLISH the broker would refuse, caught before it is sent: QoS
    /// above `maximum_qos` (3.2.2-11), retain when `retain_available` is 0
    /// (3.2.2-14), larger than `maximum_packet_size`. (A will's QoS and
    /// retain are only judged after CONNECT: the broker refuses with
    /// 0x9B / 0x9A.)
    pub fn check_publish(&self, qos: QoS, retain: bool, frame_len: usize) -> Result<(), ArgError> {
        if qos > self.maximum_qos {
            return Err(ArgError::QoSNotSupported);
        }
        if retain && !self.retain_available {
            return Err(ArgError::RetainNotSupported);
        }
        self.check_size(frame_len)
    }
}

/// The `maximum_packet_size` to announce in CONNECT: the smaller of what
/// the program asked for and what our receive buffer can hold.
pub fn announced_maximum_packet_size(requested: Option<u32>, receive_buffer: usize) -> u32 {
    let ours = u32::try_from(receive_buffer).unwrap_or(u32::MAX).max(1);
    requested.filter(|&r| r != 0).map_or(ours, |r| r.min(ours))
}

/// A received frame larger than the maximum we announced: the broker
/// broke 3.1.2-25; disconnect with 0x95.
pub fn check_inbound_size(frame_len: usize, announced: u32) -> Result<(), ProtocolError> {
    if frame_len > usize::try_from(announced).unwrap_or(usize::MAX) {
        Err(ProtocolError::PacketTooLarge)
    } else {
        Ok(())
    }
}

/// With `request_problem_information = 0` in our CONNECT, a reason string
/// or user property on anything but PUBLISH, CONNACK and DISCONNECT is a
/// protocol error (3.1.2.11.7, 3.1.2-29).
pub fn check_problem_information(
    requested: bool,
    packet: &ServerPacket<'_>,
) -> Result<(), ProtocolError> {
    let props = match packet {
        _ if requested => return Ok(()),
        ServerPacket::PubAck(a)
        | ServerPacket::PubRec(a)
        | ServerPacket::PubRel(a)
        | ServerPacket::PubComp(a) => a.properties,
        ServerPacket::SubAck(a) | ServerPacket::UnsubAck(a) => a.properties,
        ServerPacket::Auth(a) => a.properties,
        _ => return Ok(()),
    };
    let problem = props
        .iter()
        .any(|(p, _)| matches!(p, PropertyId::ReasonString | PropertyId::UserProperty));
    if problem {
        Err(ProtocolError::InvalidPropertyValue)
    } else {
        Ok(())
    }
}

/// The CONNECT `session_expiry_interval` for `connect(clean_session,
/// properties)`: the program's value if it gave one, else 0xFFFFFFFF
/// (never expires) when `clean_start` is false, so that
/// `clean_session=False` keeps its 3.1.1 meaning (the session outlives the
/// connection); `None` (absent, i.e. 0) otherwise.
pub const fn connect_session_expiry(clean_start: bool, requested: Option<u32>) -> Option<u32> {
    match requested {
        Some(v) => Some(v),
        None if !clean_start => Some(u32::MAX),
        None => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::codec::v5::{Context, PropertyBuilder, Role, Value};

    #[test]
    fn defaults_and_connack() {
        let d = ServerLimits::from_connack(&Properties::EMPTY);
        assert_eq!(d, ServerLimits::default());
        assert_eq!(d.check_publish(QoS::ExactlyOnce, true, 1 << 20), Ok(()));
        let mut buf = [0u8; 64];
        let mut b = PropertyBuilder::new(&mut buf, Context::ConnAck, Role::Server);
        b.push(PropertyId::ReceiveMaximum, Value::Int(20)).unwrap();
        b.push(PropertyId::MaximumQos, Value::Int(1)).unwrap();
        b.push(PropertyId::RetainAvailable, Value::Int(0)).unwrap();
        b.push(PropertyId::MaximumPacketSize, Value::Int(100))
            .unwrap();
        b.push(PropertyId::TopicAliasMaximum, Value::Int(10))
            .unwrap();
        b.push(PropertyId::ServerKeepAlive, Value::Int(15)).unwrap();
        b.push(PropertyId::SharedSubscriptionAvailable, Value::Int(0))
            .unwrap();
        let l = ServerLimits::from_connack(&b.finish());
        assert_eq!(l.receive_maximum, 20);
        assert_eq!(l.maximum_qos, QoS::AtLeastOnce);
        assert!(!l.retain_available && !l.shared_subscription_available);
        assert!(l.wildcard_subscription_available);
        assert_eq!(l.topic_alias_maximum, 10);
        assert_eq!(l.server_keep_alive, Some(15));
        assert_eq!(l.check_publish(QoS::AtLeastOnce, false, 100), Ok(()));
        assert_eq!(
            l.check_publish(QoS::AtLeastOnce, false, 101),
            Err(ArgError::ExceedsServerMaximumPacketSize)
        );
        assert_eq!(
            l.check_publish(QoS::ExactlyOnce, false, 10),
            Err(ArgError::QoSNotSupported)
        );
        assert_eq!(
            l.check_publish(QoS::AtMostOnce, true, 10),
            Err(ArgError::RetainNotSupported)
        );
    }

    #[test]
    fn problem_information() {
        use crate::codec::v5::decode_from_server;
        let with_reason = [0x40, 8, 0, 1, 0x10, 4, 0x1F, 0, 1, b'x'];
        let p = decode_from_server(&with_reason).unwrap();
        assert_eq!(check_problem_information(true, &p), Ok(()));
        assert_eq!(
            check_problem_information(false, &p).map_err(|e| e.reason_code()),
            Err(0x82)
        );
        // PUBLISH, CONNACK and DISCONNECT may carry them anyway.
        let disc = [0xE0, 6, 0x8B, 4, 0x1F, 0, 1, b'x'];
        let p = decode_from_server(&disc).unwrap();
        assert_eq!(check_problem_information(false, &p), Ok(()));
        let plain = decode_from_server(&[0x40, 3, 0, 1, 0x10]).unwrap();
        assert_eq!(check_problem_information(false, &plain), Ok(()));
    }

    #[test]
    fn announced_values() {
        assert_eq!(announced_maximum_packet_size(None, 4096), 4096);
        assert_eq!(announced_maximum_packet_size(Some(1000), 4096), 1000);
        assert_eq!(announced_maximum_packet_size(Some(1 << 20), 4096), 4096);
        assert_eq!(announced_maximum_packet_size(Some(0), 4096), 4096);
        assert_eq!(check_inbound_size(4096, 4096), Ok(()));
        assert_eq!(
            check_inbound_size(4097, 4096).unwrap_err().reason_code(),
            0x95
        );
        assert_eq!(connect_session_expiry(false, None), Some(u32::MAX));
        assert_eq!(connect_session_expiry(true, None), None);
        assert_eq!(connect_session_expiry(false, Some(30)), Some(30));
        assert_eq!(connect_session_expiry(true, Some(30)), Some(30));
    }
}
