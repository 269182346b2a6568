//! Error types: small `Copy` enums with static messages, so that a binding
//! can raise a clear exception without any formatting machinery.

/// Everything that can go wrong in the engine or the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The output buffer is too small: `needed` bytes are required.
    /// Nothing was changed; grow the buffer and call again.
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
    },
    /// The caller passed an invalid argument (bad topic, QoS, ...).
    InvalidArgument(ArgError),
    /// The broker refused the connection; CONNACK return code 1..=5.
    ConnectionRefused(u8),
    /// The broker refused a subscription (SUBACK return code 0x80).
    SubscribeRefused,
    #[cfg(feature = "v5")]
    /// MQTT 5: the broker answered a publish, subscribe or unsubscribe
    /// with this reason code (>= 0x80); its reason string is the
    /// connection's `last_reason_string()`. The connection stays usable.
    Refused(u8),
    #[cfg(feature = "v5")]
    /// MQTT 5: the broker sent DISCONNECT with this reason code and closed
    /// the connection (reason string: `last_reason_string()`).
    ServerDisconnect(u8),
    /// The broker broke the protocol; the connection must be closed.
    Protocol(ProtocolError),
    /// A frame larger than the receive buffer arrived. It is skipped, the
    /// stream stays in sync, and the connection remains usable.
    FrameTooLarge {
        /// Total length of the skipped frame in bytes.
        len: usize,
    },
    /// The operation needs a connection: call `connect()` first.
    NotConnected,
    /// No free packet id / the in-flight table is full.
    InflightFull,
    /// No PINGRESP arrived within the ping timeout: the broker is gone.
    PingTimeout,
    /// An acknowledgement (CONNACK, PUBACK, PUBCOMP, SUBACK, UNSUBACK) did
    /// not arrive within the response timeout.
    Timeout,
    /// The peer closed the connection.
    ConnectionClosed,
    /// The application closed the connection (`disconnect()`) while the
    /// request was waiting for its acknowledgement.
    Disconnected,
    /// The host's transport failed with this errno.
    Io(i32),
    /// The host reported a failure of its own (for example a Python
    /// exception is pending); the binding knows the details.
    Host,
    /// A call of the client while another call of the same client is in
    /// progress (a thread, a signal handler, a MicroPython Timer):
    /// spec/PYAPI.md "Re-entrancy". `check_msg()` returns `None` instead.
    Busy,
    /// The WebSocket layer failed (core/src/ws/): a handshake refusal or a
    /// framing violation; the connection is closed either way.
    #[cfg(feature = "ws")]
    WebSocket(crate::ws::WsError),
}

/// Invalid arguments from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgError {
    /// A topic or topic filter is empty.
    EmptyTopic,
    /// A string is longer than 65,535 bytes.
    StringTooLong,
    /// A PUBLISH topic contains `+` or `#`.
    WildcardInTopic,
    /// A topic filter uses `+` or `#` in a way MQTT forbids.
    InvalidFilter,
    /// A topic or client id is not valid UTF-8 or contains U+0000.
    InvalidUtf8,
    /// A string to send holds a control character or a Unicode
    /// non-character, which MQTT says a sender should not use and brokers
    /// such as Mosquitto answer by closing the connection.
    ControlCharacter,
    /// QoS outside 0..=2.
    InvalidQoS,
    /// A packet would exceed MQTT's 268,435,455-byte limit.
    PacketTooLarge,
    /// `transport` is neither `"tcp"` nor `"websockets"`.
    InvalidTransport,
    /// SUBSCRIBE or UNSUBSCRIBE with no topic filter.
    NoFilters,
    /// A password was given without a user name (MQTT 3.1.1 forbids it).
    PasswordWithoutUser,
    /// An empty client id needs `clean_session` (MQTT 3.1.1 sec 3.1.3.1).
    EmptyClientIdNeedsCleanSession,
    /// A PUBLISH needs a packet id exactly when its QoS is above 0, and
    /// the DUP flag only with QoS above 0.
    PacketIdMismatch,
    /// `encode_ack` was asked for a packet type that is not PUBACK, PUBREC,
    /// PUBREL or PUBCOMP.
    NotAnAck,
    /// Keepalive outside 0..=65535 seconds.
    KeepaliveRange,
    /// An int port outside 0..=65535.
    PortRange,
    /// `set_last_will` with an empty topic.
    EmptyWillTopic,
    /// A timeout or delay that is negative or not a number.
    NegativeTime,
    /// `set_reconnect` with `max_delay < min_delay`.
    MaxDelayBelowMin,
    /// `set_reconnect` with a negative number of attempts.
    NegativeAttempts,
    /// `subscribe` before `set_callback`.
    NoCallback,
    /// A packet id outside 0..=65535.
    PacketIdRange,
    #[cfg(feature = "v5")]
    /// An MQTT 5 property the caller gave is wrong (see [`PropertyError`]).
    Property(PropertyError),
    #[cfg(feature = "v5")]
    /// An MQTT 5 reason code that this packet type does not define.
    InvalidReasonCode,
    /// MQTT 5 subscription options out of range (retain handling 3); in
    /// every build, so that a 3.1.1-only client checks them alike.
    InvalidSubscriptionOptions,
    #[cfg(feature = "v5")]
    /// `no_local` on a shared subscription (MQTT 5 sec 3.8.3.1).
    NoLocalOnSharedSubscription,
    #[cfg(feature = "v5")]
    /// An MQTT 5 PUBLISH with an empty topic needs a topic alias.
    EmptyTopicWithoutAlias,
    #[cfg(feature = "v5")]
    /// The packet is larger than the broker's `maximum_packet_size`.
    ExceedsServerMaximumPacketSize,
    #[cfg(feature = "v5")]
    /// The broker's `maximum_qos` is below the requested QoS.
    QoSNotSupported,
    #[cfg(feature = "v5")]
    /// The broker announced `retain_available = 0`.
    RetainNotSupported,
    #[cfg(feature = "v5")]
    /// `reauthenticate()` without enhanced authentication, or while an
    /// exchange is in progress.
    NoAuthInProgress,
    /// A 3.1.1 packet struct asked for MQTT 5: use `codec::v5`.
    NeedsV5Codec,
    /// `protocol=` other than 4 or 5.
    InvalidProtocol,
    #[cfg(not(feature = "v5"))]
    /// `protocol=5` in a build without MQTT 5 (the lean MicroPython module).
    NoV5InBuild,
    /// MQTT 5 properties or options on a 3.1.1 connection (`protocol=4`).
    PropertiesNeedV5,
    /// More filters in one SUBSCRIBE given as `(filter, qos)` pairs than
    /// can be converted without allocating (16).
    TooManyFilters,
}

#[cfg(feature = "v5")]
/// Why an MQTT 5 property given by the caller was refused. Bindings map
/// [`PropertyError::WrongType`] to `TypeError`, the rest to `ValueError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyError {
    /// No property has this name.
    UnknownName,
    /// The value is not of the property's kind (integer, string, binary,
    /// string pair).
    WrongType,
    /// The property is not allowed on this packet (or from this side).
    NotAllowed,
    /// The property was given twice where MQTT 5 allows it once.
    Repeated,
    /// The integer does not fit the property's width or range.
    OutOfRange,
    /// A string is not valid MQTT UTF-8 (or longer than 65,535 bytes), or
    /// a response topic is not a valid topic name.
    InvalidString,
    /// `authentication_data` without `authentication_method`.
    DataWithoutMethod,
}

/// Violations of the protocol by the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// Remaining length uses more than 4 bytes.
    MalformedRemainingLength,
    /// A packet is shorter than its fields require.
    PacketTooShort,
    /// A packet has bytes after its last field.
    TrailingBytes,
    /// Packet type 0 or 15.
    ReservedPacketType,
    /// Fixed-header flag bits that MQTT 3.1.1 reserves are wrong.
    InvalidFlags,
    /// A packet a server must never send (CONNECT, SUBSCRIBE, ...).
    UnexpectedPacket,
    /// A packet other than CONNACK before CONNACK, or a second CONNACK.
    UnexpectedConnAck,
    /// CONNACK return code above 5 or reserved acknowledge flags set.
    InvalidConnAck,
    /// Packet identifier 0.
    PacketIdZero,
    /// PUBLISH with QoS 3.
    InvalidQoS,
    /// PUBLISH topic that is not valid UTF-8, contains U+0000 or wildcards.
    InvalidTopic,
    /// An acknowledgement for a packet id that is not in flight.
    UnknownPacketId,
    /// SUBACK return code other than 0, 1, 2 or 0x80, or a SUBACK whose
    /// number of return codes does not match the request.
    InvalidSubAck,
    #[cfg(feature = "v5")]
    /// MQTT 5: a property is truncated, has an unknown identifier, is not
    /// allowed on this packet or holds invalid UTF-8 (sec 2.2.2.2).
    MalformedProperty,
    #[cfg(feature = "v5")]
    /// MQTT 5: a property appears twice where the spec allows it once.
    DuplicateProperty,
    #[cfg(feature = "v5")]
    /// MQTT 5: a property value the spec forbids (a receive maximum of 0, a
    /// maximum QoS of 2, a flag other than 0/1, a subscription id of 0).
    InvalidPropertyValue,
    #[cfg(feature = "v5")]
    /// MQTT 5: a reason code this packet type does not define.
    InvalidReasonCode,
    #[cfg(feature = "v5")]
    /// MQTT 5: topic alias 0 or above the maximum we announced (3.3.2-8,
    /// 3.3.2-9).
    TopicAliasInvalid,
    #[cfg(feature = "v5")]
    /// MQTT 5: an aliased topic does not fit our alias table.
    TopicAliasNoRoom,
    #[cfg(feature = "v5")]
    /// MQTT 5: a PUBLISH with an empty topic and no topic alias, or with an
    /// alias never set on this connection (a protocol error, 3.3.4).
    MissingTopic,
    #[cfg(feature = "v5")]
    /// MQTT 5: reserved bits set (CONNACK flags, subscription options).
    ReservedBits,
    #[cfg(feature = "v5")]
    /// MQTT 5: a packet larger than the `maximum_packet_size` we announced.
    PacketTooLarge,
    #[cfg(feature = "v5")]
    /// MQTT 5: more unacknowledged QoS 1/2 PUBLISH than our receive maximum.
    ReceiveMaximumExceeded,
    #[cfg(feature = "v5")]
    /// MQTT 5: an AUTH (or an authentication method in CONNACK) we did not
    /// ask for, out of turn, or with another method (sec 4.12).
    UnexpectedAuth,
}

impl Error {
    /// A short human-readable message (no formatting needed).
    pub const fn as_str(&self) -> &'static str {
        match self {
            Error::BufferTooSmall { .. } => "buffer too small",
            Error::InvalidArgument(e) => e.as_str(),
            Error::ConnectionRefused(_) => "connection refused by broker",
            Error::SubscribeRefused => "subscription refused by broker",
            #[cfg(feature = "v5")]
            Error::Refused(_) => "refused by broker",
            #[cfg(feature = "v5")]
            Error::ServerDisconnect(_) => "broker sent DISCONNECT",
            Error::Protocol(e) => e.as_str(),
            Error::FrameTooLarge { .. } => "packet from broker larger than receive buffer, skipped",
            Error::NotConnected => "not connected",
            Error::InflightFull => "too many messages in flight",
            Error::PingTimeout => "broker did not answer PINGREQ",
            Error::Timeout => "timed out waiting for broker",
            Error::ConnectionClosed => "connection closed by broker",
            Error::Disconnected => "connection closed by disconnect()",
            Error::Io(_) => "I/O error",
            Error::Host => "host error",
            Error::Busy => "MQTTClient is busy: another call of this client is in progress",
            #[cfg(feature = "ws")]
            Error::WebSocket(e) => e.as_str(),
        }
    }
}

impl ArgError {
    /// A short human-readable message.
    pub const fn as_str(&self) -> &'static str {
        match self {
            ArgError::EmptyTopic => "topic must not be empty",
            ArgError::StringTooLong => "string longer than 65535 bytes",
            ArgError::WildcardInTopic => "wildcards are not allowed in a publish topic",
            ArgError::InvalidFilter => "invalid topic filter",
            ArgError::InvalidUtf8 => "invalid UTF-8 or NUL character",
            ArgError::ControlCharacter => "control character or non-character in a string",
            ArgError::InvalidQoS => "qos must be 0, 1 or 2",
            ArgError::PacketTooLarge => "packet larger than 268435455 bytes",
            ArgError::NoFilters => "no topic filter given",
            ArgError::InvalidTransport => "transport must be 'tcp' or 'websockets'",
            ArgError::PasswordWithoutUser => "password given without user name",
            ArgError::EmptyClientIdNeedsCleanSession => "empty client id requires clean_session",
            ArgError::PacketIdMismatch => "packet id (and dup) only allowed with qos > 0",
            ArgError::NotAnAck => "not an acknowledgement packet type",
            ArgError::KeepaliveRange => "keepalive must be 0..65535",
            ArgError::PortRange => "port must be 0..65535",
            ArgError::EmptyWillTopic => "last will topic must not be empty",
            ArgError::NegativeTime => "timeouts and delays must be numbers >= 0",
            ArgError::MaxDelayBelowMin => "max_delay must be >= min_delay",
            ArgError::NegativeAttempts => "attempts must be >= 0 (0: no limit)",
            ArgError::NoCallback => "subscribe needs a callback: call set_callback() first",
            ArgError::PacketIdRange => "pid must be 0..65535",
            #[cfg(feature = "v5")]
            ArgError::Property(e) => e.as_str(),
            #[cfg(feature = "v5")]
            ArgError::InvalidReasonCode => "reason code not defined for this packet",
            ArgError::InvalidSubscriptionOptions => "retain_handling must be 0, 1 or 2",
            #[cfg(feature = "v5")]
            ArgError::NoLocalOnSharedSubscription => {
                "no_local is not allowed on a shared subscription"
            }
            #[cfg(feature = "v5")]
            ArgError::EmptyTopicWithoutAlias => "empty topic needs a topic alias",
            #[cfg(feature = "v5")]
            ArgError::ExceedsServerMaximumPacketSize => {
                "packet larger than the broker's maximum_packet_size"
            }
            #[cfg(feature = "v5")]
            ArgError::QoSNotSupported => "qos above the broker's maximum_qos",
            #[cfg(feature = "v5")]
            ArgError::RetainNotSupported => "broker does not support retained messages",
            ArgError::NeedsV5Codec => "MQTT 5 packets are encoded by codec::v5",
            ArgError::InvalidProtocol => "protocol must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0)",
            #[cfg(not(feature = "v5"))]
            ArgError::NoV5InBuild => "protocol=5: this build has no MQTT 5",
            ArgError::PropertiesNeedV5 => "properties and subscription options need protocol=5",
            ArgError::TooManyFilters => "too many (filter, qos) pairs for one SUBSCRIBE",
            #[cfg(feature = "v5")]
            ArgError::NoAuthInProgress => {
                "reauthenticate needs set_auth() and a finished authentication"
            }
        }
    }
}

#[cfg(feature = "v5")]
impl PropertyError {
    /// A short human-readable message.
    pub const fn as_str(&self) -> &'static str {
        match self {
            PropertyError::UnknownName => "unknown property name",
            PropertyError::WrongType => "wrong type for property",
            PropertyError::NotAllowed => "property not allowed on this packet",
            PropertyError::Repeated => "property given more than once",
            PropertyError::OutOfRange => "property value out of range",
            PropertyError::InvalidString => "property string invalid or too long",
            PropertyError::DataWithoutMethod => "authentication_data needs authentication_method",
        }
    }

    /// True when the binding should raise `TypeError` (else `ValueError`).
    pub const fn is_type_error(&self) -> bool {
        matches!(self, PropertyError::WrongType)
    }
}

impl ProtocolError {
    /// A short human-readable message.
    pub const fn as_str(&self) -> &'static str {
        match self {
            ProtocolError::MalformedRemainingLength => "protocol error: malformed remaining length",
            ProtocolError::PacketTooShort => "protocol error: packet too short",
            ProtocolError::TrailingBytes => "protocol error: trailing bytes in packet",
            ProtocolError::ReservedPacketType => "protocol error: reserved packet type",
            ProtocolError::InvalidFlags => "protocol error: invalid fixed header flags",
            ProtocolError::UnexpectedPacket => "protocol error: packet a server must not send",
            ProtocolError::UnexpectedConnAck => "protocol error: unexpected CONNACK order",
            ProtocolError::InvalidConnAck => "protocol error: invalid CONNACK",
            ProtocolError::PacketIdZero => "protocol error: packet id 0",
            ProtocolError::InvalidQoS => "protocol error: PUBLISH with QoS 3",
            ProtocolError::InvalidTopic => "protocol error: invalid topic in PUBLISH",
            ProtocolError::UnknownPacketId => {
                "protocol error: acknowledgement for unknown packet id"
            }
            ProtocolError::InvalidSubAck => "protocol error: invalid SUBACK",
            #[cfg(feature = "v5")]
            ProtocolError::MalformedProperty => "protocol error: malformed property",
            #[cfg(feature = "v5")]
            ProtocolError::DuplicateProperty => "protocol error: property given twice",
            #[cfg(feature = "v5")]
            ProtocolError::InvalidPropertyValue => "protocol error: invalid property value",
            #[cfg(feature = "v5")]
            ProtocolError::InvalidReasonCode => "protocol error: invalid reason code",
            #[cfg(feature = "v5")]
            ProtocolError::TopicAliasInvalid => "protocol error: topic alias invalid",
            #[cfg(feature = "v5")]
            ProtocolError::TopicAliasNoRoom => "protocol error: aliased topic too long to keep",
            #[cfg(feature = "v5")]
            ProtocolError::MissingTopic => "protocol error: empty topic without topic alias",
            #[cfg(feature = "v5")]
            ProtocolError::ReservedBits => "protocol error: reserved bits set",
            #[cfg(feature = "v5")]
            ProtocolError::PacketTooLarge => "protocol error: packet above our maximum size",
            #[cfg(feature = "v5")]
            ProtocolError::ReceiveMaximumExceeded => "protocol error: receive maximum exceeded",
            #[cfg(feature = "v5")]
            ProtocolError::UnexpectedAuth => "protocol error: unexpected AUTH",
        }
    }

    #[cfg(feature = "v5")]
    /// The MQTT 5 reason code of the DISCONNECT to send for this error
    /// (sec 4.13): 0x81 malformed packet, 0x82 protocol error, 0x83
    /// implementation specific error, 0x93 receive maximum exceeded, 0x94
    /// topic alias invalid, 0x95 packet too large.
    pub const fn reason_code(&self) -> u8 {
        match self {
            ProtocolError::MalformedRemainingLength
            | ProtocolError::PacketTooShort
            | ProtocolError::TrailingBytes
            | ProtocolError::ReservedPacketType
            | ProtocolError::InvalidFlags
            | ProtocolError::InvalidConnAck
            | ProtocolError::PacketIdZero
            | ProtocolError::InvalidQoS
            | ProtocolError::InvalidTopic
            | ProtocolError::InvalidSubAck
            | ProtocolError::MalformedProperty
            | ProtocolError::InvalidReasonCode
            | ProtocolError::ReservedBits => 0x81,
            ProtocolError::UnexpectedPacket
            | ProtocolError::UnexpectedConnAck
            | ProtocolError::UnknownPacketId
            | ProtocolError::DuplicateProperty
            | ProtocolError::InvalidPropertyValue
            | ProtocolError::MissingTopic
            | ProtocolError::UnexpectedAuth => 0x82,
            ProtocolError::TopicAliasNoRoom => 0x83,
            ProtocolError::ReceiveMaximumExceeded => 0x93,
            ProtocolError::TopicAliasInvalid => 0x94,
            ProtocolError::PacketTooLarge => 0x95,
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

#[cfg(feature = "ws")]
impl From<crate::ws::WsError> for Error {
    fn from(e: crate::ws::WsError) -> Self {
        match e {
            // Out of room is the binding's allocator saying no, on any layer.
            crate::ws::WsError::BufferTooSmall { needed } => Error::BufferTooSmall { needed },
            e => Error::WebSocket(e),
        }
    }
}

impl From<ArgError> for Error {
    fn from(e: ArgError) -> Self {
        Error::InvalidArgument(e)
    }
}

#[cfg(feature = "v5")]
impl From<PropertyError> for Error {
    fn from(e: PropertyError) -> Self {
        Error::InvalidArgument(ArgError::Property(e))
    }
}

mod report;
pub use report::{code, is_connection_failure, is_retryable, ExcKind, Report};
