//! MQTT 5 reason codes (sec 2.4): constants, which packets define each, and
//! which a reconnecting client may retry after.
#![allow(missing_docs)] // the constant names are the spec's names

pub const SUCCESS: u8 = 0x00;
/// DISCONNECT 0x00 is "normal disconnection", SUBACK 0x00 "granted QoS 0".
pub const NORMAL_DISCONNECTION: u8 = 0x00;
pub const GRANTED_QOS_1: u8 = 0x01;
pub const GRANTED_QOS_2: u8 = 0x02;
pub const DISCONNECT_WITH_WILL_MESSAGE: u8 = 0x04;
pub const NO_MATCHING_SUBSCRIBERS: u8 = 0x10;
pub const NO_SUBSCRIPTION_EXISTED: u8 = 0x11;
pub const CONTINUE_AUTHENTICATION: u8 = 0x18;
pub const RE_AUTHENTICATE: u8 = 0x19;
pub const UNSPECIFIED_ERROR: u8 = 0x80;
pub const MALFORMED_PACKET: u8 = 0x81;
pub const PROTOCOL_ERROR: u8 = 0x82;
pub const IMPLEMENTATION_SPECIFIC_ERROR: u8 = 0x83;
pub const UNSUPPORTED_PROTOCOL_VERSION: u8 = 0x84;
pub const CLIENT_IDENTIFIER_NOT_VALID: u8 = 0x85;
pub const BAD_USER_NAME_OR_PASSWORD: u8 = 0x86;
pub const NOT_AUTHORIZED: u8 = 0x87;
pub const SERVER_UNAVAILABLE: u8 = 0x88;
pub const SERVER_BUSY: u8 = 0x89;
pub const BANNED: u8 = 0x8A;
pub const SERVER_SHUTTING_DOWN: u8 = 0x8B;
pub const BAD_AUTHENTICATION_METHOD: u8 = 0x8C;
pub const KEEP_ALIVE_TIMEOUT: u8 = 0x8D;
pub const SESSION_TAKEN_OVER: u8 = 0x8E;
pub const TOPIC_FILTER_INVALID: u8 = 0x8F;
pub const TOPIC_NAME_INVALID: u8 = 0x90;
pub const PACKET_IDENTIFIER_IN_USE: u8 = 0x91;
pub const PACKET_IDENTIFIER_NOT_FOUND: u8 = 0x92;
pub const RECEIVE_MAXIMUM_EXCEEDED: u8 = 0x93;
pub const TOPIC_ALIAS_INVALID: u8 = 0x94;
pub const PACKET_TOO_LARGE: u8 = 0x95;
pub const MESSAGE_RATE_TOO_HIGH: u8 = 0x96;
pub const QUOTA_EXCEEDED: u8 = 0x97;
pub const ADMINISTRATIVE_ACTION: u8 = 0x98;
pub const PAYLOAD_FORMAT_INVALID: u8 = 0x99;
pub const RETAIN_NOT_SUPPORTED: u8 = 0x9A;
pub const QOS_NOT_SUPPORTED: u8 = 0x9B;
pub const USE_ANOTHER_SERVER: u8 = 0x9C;
pub const SERVER_MOVED: u8 = 0x9D;
pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: u8 = 0x9E;
pub const CONNECTION_RATE_EXCEEDED: u8 = 0x9F;
pub const MAXIMUM_CONNECT_TIME: u8 = 0xA0;
pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: u8 = 0xA1;
pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: u8 = 0xA2;

/// Every code >= 0x80 is a failure (sec 2.4).
pub const fn is_failure(code: u8) -> bool {
    code >= 0x80
}

/// A DISCONNECT or CONNACK code after which reconnecting makes sense: the
/// server is unavailable, busy, shutting down or moved, asked us to use
/// another server (look at `server_reference`), timed us out or saw its
/// quota exceeded. Anything else (bad credentials, banned, taken over,
/// protocol errors) would fail again.
pub const fn is_retryable(code: u8) -> bool {
    matches!(
        code,
        SERVER_UNAVAILABLE
            | SERVER_BUSY
            | SERVER_SHUTTING_DOWN
            | KEEP_ALIVE_TIMEOUT
            | QUOTA_EXCEEDED
            | USE_ANOTHER_SERVER
            | SERVER_MOVED
            | CONNECTION_RATE_EXCEEDED
            | MAXIMUM_CONNECT_TIME
    )
}

/// Packets that carry a reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonPacket {
    /// CONNACK (3.2.2.2).
    ConnAck,
    /// PUBACK and PUBREC (3.4.2.1, 3.5.2.1).
    PubAckRec,
    /// PUBREL and PUBCOMP (3.6.2.1, 3.7.2.1).
    PubRelComp,
    /// SUBACK (3.9.3).
    SubAck,
    /// UNSUBACK (3.11.3).
    UnsubAck,
    /// DISCONNECT (3.14.2.1).
    Disconnect,
    /// AUTH (3.15.2.1).
    Auth,
}

/// Is `code` one the spec defines for this packet?
pub const fn is_valid(code: u8, packet: ReasonPacket) -> bool {
    match packet {
        ReasonPacket::ConnAck => matches!(
            code,
            0x00 | 0x80..=0x8A | 0x8C | 0x90 | 0x95 | 0x97 | 0x99..=0x9D | 0x9F
        ),
        ReasonPacket::PubAckRec => {
            matches!(
                code,
                0x00 | 0x10 | 0x80 | 0x83 | 0x87 | 0x90 | 0x91 | 0x97 | 0x99
            )
        }
        ReasonPacket::PubRelComp => matches!(code, 0x00 | 0x92),
        ReasonPacket::SubAck => matches!(
            code,
            0x00..=0x02 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91 | 0x97 | 0x9E | 0xA1 | 0xA2
        ),
        ReasonPacket::UnsubAck => {
            matches!(code, 0x00 | 0x11 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91)
        }
        ReasonPacket::Disconnect => matches!(
            code,
            0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8B | 0x8D..=0x90 | 0x93..=0xA2
        ),
        ReasonPacket::Auth => matches!(code, 0x00 | 0x18 | 0x19),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert!(is_valid(BAD_USER_NAME_OR_PASSWORD, ReasonPacket::ConnAck));
        assert!(!is_valid(SERVER_SHUTTING_DOWN, ReasonPacket::ConnAck));
        assert!(is_valid(SERVER_SHUTTING_DOWN, ReasonPacket::Disconnect));
        assert!(is_valid(ADMINISTRATIVE_ACTION, ReasonPacket::Disconnect));
        assert!(!is_valid(0x84, ReasonPacket::Disconnect));
        assert!(!is_valid(0x01, ReasonPacket::Disconnect));
        assert!(!is_valid(
            PACKET_IDENTIFIER_NOT_FOUND,
            ReasonPacket::Disconnect
        ));
        assert!(is_valid(NO_MATCHING_SUBSCRIBERS, ReasonPacket::PubAckRec));
        assert!(!is_valid(NO_MATCHING_SUBSCRIBERS, ReasonPacket::PubRelComp));
        assert!(is_valid(
            PACKET_IDENTIFIER_NOT_FOUND,
            ReasonPacket::PubRelComp
        ));
        assert!(is_valid(GRANTED_QOS_2, ReasonPacket::SubAck));
        assert!(!is_valid(0x03, ReasonPacket::SubAck));
        assert!(is_valid(NO_SUBSCRIPTION_EXISTED, ReasonPacket::UnsubAck));
        assert!(is_valid(RE_AUTHENTICATE, ReasonPacket::Auth));
        assert!(!is_valid(0x80, ReasonPacket::Auth));
        assert!(is_failure(0x80) && !is_failure(0x11));
        assert!(is_retryable(SERVER_SHUTTING_DOWN) && is_retryable(USE_ANOTHER_SERVER));
        assert!(!is_retryable(NOT_AUTHORIZED) && !is_retryable(SESSION_TAKEN_OVER));
    }
}
