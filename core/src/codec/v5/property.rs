//! The MQTT 5 property table (sec 2.2.2.2, table 2-4), in one place: id,
//! snake_case name (the Python API's dict keys), value kind, the packets
//! that allow it and whether it may repeat.

/// Who sent a packet. Some properties depend on it: a client never sends a
/// Subscription Identifier in PUBLISH (3.3.4-6), a server never sends a
/// Session Expiry Interval in DISCONNECT (3.14.2-2) and only a server sends
/// a Server Reference there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The client sent it (CONNECT, SUBSCRIBE, ...).
    Client,
    /// The server sent it (CONNACK, SUBACK, ...).
    Server,
}

/// Where a property list sits: a packet type, or the will properties of a
/// CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Context {
    /// CONNECT properties.
    Connect = 0,
    /// Will properties inside a CONNECT.
    Will = 1,
    /// CONNACK.
    ConnAck = 2,
    /// PUBLISH.
    Publish = 3,
    /// PUBACK, PUBREC, PUBREL and PUBCOMP.
    Ack = 4,
    /// SUBSCRIBE.
    Subscribe = 5,
    /// SUBACK.
    SubAck = 6,
    /// UNSUBSCRIBE.
    Unsubscribe = 7,
    /// UNSUBACK.
    UnsubAck = 8,
    /// DISCONNECT.
    Disconnect = 9,
    /// AUTH.
    Auth = 10,
}

impl Context {
    /// Every context, in order.
    pub const ALL: [Context; 11] = [
        Context::Connect,
        Context::Will,
        Context::ConnAck,
        Context::Publish,
        Context::Ack,
        Context::Subscribe,
        Context::SubAck,
        Context::Unsubscribe,
        Context::UnsubAck,
        Context::Disconnect,
        Context::Auth,
    ];

    /// The context a C binding numbers `n` (its place in [`Context::ALL`];
    /// `Connect` = 0 ...); any other number is `Publish`.
    pub fn from_index(n: i64) -> Context {
        usize::try_from(n)
            .ok()
            .and_then(|i| Context::ALL.get(i).copied())
            .unwrap_or(Context::Publish)
    }

    const fn bit(self) -> u16 {
        1u16 << (self as u8)
    }
}

/// How a property's value is encoded (sec 1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One byte.
    Byte,
    /// Big-endian u16.
    TwoByte,
    /// Big-endian u32.
    FourByte,
    /// Variable byte integer, 1..=268,435,455 here (only subscription ids).
    VarInt,
    /// UTF-8 string.
    Utf8,
    /// Binary data.
    Binary,
    /// UTF-8 string pair (user property).
    Utf8Pair,
}

/// A property value: integers of every width are `Int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value<'a> {
    /// Byte, two-byte, four-byte or variable byte integer.
    Int(u32),
    /// UTF-8 string (valid MQTT UTF-8).
    Str(&'a str),
    /// Binary data.
    Binary(&'a [u8]),
    /// User property: name and value.
    Pair(&'a str, &'a str),
}

const CONNECT: u16 = Context::Connect.bit();
const WILL: u16 = Context::Will.bit();
const CONNACK: u16 = Context::ConnAck.bit();
const PUBLISH: u16 = Context::Publish.bit();
const ACK: u16 = Context::Ack.bit();
const SUBSCRIBE: u16 = Context::Subscribe.bit();
const SUBACK: u16 = Context::SubAck.bit();
const UNSUBSCRIBE: u16 = Context::Unsubscribe.bit();
const UNSUBACK: u16 = Context::UnsubAck.bit();
const DISCONNECT: u16 = Context::Disconnect.bit();
const AUTH: u16 = Context::Auth.bit();
const ALL: u16 = CONNECT
    | WILL
    | CONNACK
    | PUBLISH
    | ACK
    | SUBSCRIBE
    | SUBACK
    | UNSUBSCRIBE
    | UNSUBACK
    | DISCONNECT
    | AUTH;

macro_rules! properties {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, $kind:ident, $ctx:expr; )*) => {
        /// An MQTT 5 property identifier.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum PropertyId {
            $( $(#[$doc])* $variant = $id, )*
        }

        impl PropertyId {
            /// Every property, in identifier order.
            pub const ALL: &'static [PropertyId] = &[$(PropertyId::$variant),*];

            /// The property for a wire identifier; `None` if MQTT 5 has none.
            pub const fn from_u8(id: u8) -> Option<PropertyId> {
                match id {
                    $( $id => Some(PropertyId::$variant), )*
                    _ => None,
                }
            }

            /// The spec's name in snake_case (`"content_type"`).
            pub const fn name(self) -> &'static str {
                match self { $( PropertyId::$variant => $name, )* }
            }

            /// How the value is encoded.
            pub const fn kind(self) -> Kind {
                match self { $( PropertyId::$variant => Kind::$kind, )* }
            }

            const fn contexts(self) -> u16 {
                match self { $( PropertyId::$variant => $ctx, )* }
            }
        }
    };
}

properties! {
    /// 0x01, byte 0/1: the payload is UTF-8.
    PayloadFormatIndicator = 0x01, "payload_format_indicator", Byte, PUBLISH | WILL;
    /// 0x02, seconds.
    MessageExpiryInterval = 0x02, "message_expiry_interval", FourByte, PUBLISH | WILL;
    /// 0x03.
    ContentType = 0x03, "content_type", Utf8, PUBLISH | WILL;
    /// 0x08.
    ResponseTopic = 0x08, "response_topic", Utf8, PUBLISH | WILL;
    /// 0x09.
    CorrelationData = 0x09, "correlation_data", Binary, PUBLISH | WILL;
    /// 0x0B, 1..=268,435,455; repeats in a PUBLISH from the server.
    SubscriptionIdentifier = 0x0B, "subscription_identifier", VarInt, PUBLISH | SUBSCRIBE;
    /// 0x11, seconds.
    SessionExpiryInterval = 0x11, "session_expiry_interval", FourByte, CONNECT | CONNACK | DISCONNECT;
    /// 0x12.
    AssignedClientIdentifier = 0x12, "assigned_client_identifier", Utf8, CONNACK;
    /// 0x13, seconds.
    ServerKeepAlive = 0x13, "server_keep_alive", TwoByte, CONNACK;
    /// 0x15.
    AuthenticationMethod = 0x15, "authentication_method", Utf8, CONNECT | CONNACK | AUTH;
    /// 0x16.
    AuthenticationData = 0x16, "authentication_data", Binary, CONNECT | CONNACK | AUTH;
    /// 0x17, byte 0/1.
    RequestProblemInformation = 0x17, "request_problem_information", Byte, CONNECT;
    /// 0x18, seconds.
    WillDelayInterval = 0x18, "will_delay_interval", FourByte, WILL;
    /// 0x19, byte 0/1.
    RequestResponseInformation = 0x19, "request_response_information", Byte, CONNECT;
    /// 0x1A.
    ResponseInformation = 0x1A, "response_information", Utf8, CONNACK;
    /// 0x1C.
    ServerReference = 0x1C, "server_reference", Utf8, CONNACK | DISCONNECT;
    /// 0x1F.
    ReasonString = 0x1F, "reason_string", Utf8, CONNACK | ACK | SUBACK | UNSUBACK | DISCONNECT | AUTH;
    /// 0x21, 1..=65,535.
    ReceiveMaximum = 0x21, "receive_maximum", TwoByte, CONNECT | CONNACK;
    /// 0x22.
    TopicAliasMaximum = 0x22, "topic_alias_maximum", TwoByte, CONNECT | CONNACK;
    /// 0x23, 1..=the receiver's maximum.
    TopicAlias = 0x23, "topic_alias", TwoByte, PUBLISH;
    /// 0x24, byte 0/1.
    MaximumQos = 0x24, "maximum_qos", Byte, CONNACK;
    /// 0x25, byte 0/1.
    RetainAvailable = 0x25, "retain_available", Byte, CONNACK;
    /// 0x26, repeats; order is kept.
    UserProperty = 0x26, "user_property", Utf8Pair, ALL;
    /// 0x27, bytes, not 0.
    MaximumPacketSize = 0x27, "maximum_packet_size", FourByte, CONNECT | CONNACK;
    /// 0x28, byte 0/1.
    WildcardSubscriptionAvailable = 0x28, "wildcard_subscription_available", Byte, CONNACK;
    /// 0x29, byte 0/1.
    SubscriptionIdentifierAvailable = 0x29, "subscription_identifier_available", Byte, CONNACK;
    /// 0x2A, byte 0/1.
    SharedSubscriptionAvailable = 0x2A, "shared_subscription_available", Byte, CONNACK;
}

impl PropertyId {
    /// The property with this snake_case name; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<PropertyId> {
        PropertyId::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// May this property appear in `ctx` when `sender` sends it?
    pub const fn allowed(self, ctx: Context, sender: Role) -> bool {
        if self.contexts() & ctx.bit() == 0 {
            return false;
        }
        !matches!(
            (self, ctx, sender),
            (
                PropertyId::SubscriptionIdentifier,
                Context::Publish,
                Role::Client
            ) | (
                PropertyId::SessionExpiryInterval,
                Context::Disconnect,
                Role::Server
            ) | (
                PropertyId::ServerReference,
                Context::Disconnect,
                Role::Client
            )
        )
    }

    /// May this property appear more than once in `ctx`? User properties
    /// always; subscription ids in a PUBLISH (one per matching
    /// subscription, 3.3.4-4); every other property at most once.
    pub const fn repeatable(self, ctx: Context) -> bool {
        match self {
            PropertyId::UserProperty => true,
            PropertyId::SubscriptionIdentifier => matches!(ctx, Context::Publish),
            _ => false,
        }
    }

    /// Is the value a list in the Python API's dict? `user_property` (a
    /// list of (name, value) pairs, order and repeats kept) and a received
    /// `subscription_identifier` (a message can match several
    /// subscriptions); every other property is one value.
    pub const fn is_list(self) -> bool {
        matches!(
            self,
            PropertyId::UserProperty | PropertyId::SubscriptionIdentifier
        )
    }

    /// Check an integer against the property's width and the range the
    /// spec gives it. `Err(true)`: out of width (malformed when received);
    /// `Err(false)`: in width but a forbidden value (a protocol error).
    pub(crate) const fn check_int(self, v: u32) -> Result<(), bool> {
        let width_max = match self.kind() {
            Kind::Byte => 0xff,
            Kind::TwoByte => 0xffff,
            Kind::VarInt => super::super::MAX_REMAINING_LEN as u32,
            _ => u32::MAX,
        };
        if v > width_max {
            return Err(true);
        }
        let ok = match self {
            PropertyId::PayloadFormatIndicator
            | PropertyId::RequestProblemInformation
            | PropertyId::RequestResponseInformation
            | PropertyId::MaximumQos
            | PropertyId::RetainAvailable
            | PropertyId::WildcardSubscriptionAvailable
            | PropertyId::SubscriptionIdentifierAvailable
            | PropertyId::SharedSubscriptionAvailable => v <= 1,
            PropertyId::SubscriptionIdentifier
            | PropertyId::ReceiveMaximum
            | PropertyId::MaximumPacketSize
            | PropertyId::TopicAlias => v != 0,
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(false)
        }
    }
}

impl Kind {
    /// Does `v` have this kind's shape?
    pub const fn accepts(self, v: &Value<'_>) -> bool {
        matches!(
            (self, v),
            (
                Kind::Byte | Kind::TwoByte | Kind::FourByte | Kind::VarInt,
                Value::Int(_)
            ) | (Kind::Utf8, Value::Str(_))
                | (Kind::Binary, Value::Binary(_))
                | (Kind::Utf8Pair, Value::Pair(..))
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_round_trip() {
        assert_eq!(PropertyId::ALL.len(), 27);
        for &p in PropertyId::ALL {
            assert_eq!(PropertyId::from_u8(p as u8), Some(p));
            assert_eq!(PropertyId::from_name(p.name()), Some(p));
            assert!(p
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(PropertyId::from_name("topicAlias"), None);
        assert_eq!(PropertyId::from_u8(0), None);
        assert_eq!(PropertyId::from_u8(0x04), None);
        assert_eq!(PropertyId::from_u8(0x2B), None);
    }

    #[test]
    fn table_rules() {
        use PropertyId as P;
        assert!(P::UserProperty.allowed(Context::Auth, Role::Server));
        assert!(P::SubscriptionIdentifier.allowed(Context::Publish, Role::Server));
        assert!(!P::SubscriptionIdentifier.allowed(Context::Publish, Role::Client));
        assert!(P::SubscriptionIdentifier.allowed(Context::Subscribe, Role::Client));
        assert!(!P::SessionExpiryInterval.allowed(Context::Disconnect, Role::Server));
        assert!(P::SessionExpiryInterval.allowed(Context::Disconnect, Role::Client));
        assert!(!P::ServerReference.allowed(Context::Disconnect, Role::Client));
        assert!(!P::WillDelayInterval.allowed(Context::Connect, Role::Client));
        assert!(P::WillDelayInterval.allowed(Context::Will, Role::Client));
        assert!(!P::TopicAlias.allowed(Context::Will, Role::Client));
        assert!(P::SubscriptionIdentifier.repeatable(Context::Publish));
        assert!(!P::SubscriptionIdentifier.repeatable(Context::Subscribe));
        assert!(!P::ContentType.repeatable(Context::Publish));
        assert!(P::UserProperty.is_list() && P::SubscriptionIdentifier.is_list());
        assert!(!P::CorrelationData.is_list());
        assert_eq!(P::MaximumQos.check_int(2), Err(false));
        assert_eq!(P::MaximumQos.check_int(256), Err(true));
        assert_eq!(P::ReceiveMaximum.check_int(0), Err(false));
        assert_eq!(P::ReceiveMaximum.check_int(65_536), Err(true));
        assert_eq!(P::SubscriptionIdentifier.check_int(268_435_456), Err(true));
        assert_eq!(P::MessageExpiryInterval.check_int(u32::MAX), Ok(()));
    }
}
