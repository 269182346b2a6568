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
    /// The host's transport failed with this errno.
    Io(i32),
    /// The host reported a failure of its own (for example a Python
    /// exception is pending); the binding knows the details.
    Host,
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
    /// QoS outside 0..=2.
    InvalidQoS,
    /// A packet would exceed MQTT's 268,435,455-byte limit.
    PacketTooLarge,
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
}

impl Error {
    /// A short human-readable message (no formatting needed).
    pub const fn as_str(&self) -> &'static str {
        match self {
            Error::BufferTooSmall { .. } => "buffer too small",
            Error::InvalidArgument(e) => e.as_str(),
            Error::ConnectionRefused(_) => "connection refused by broker",
            Error::SubscribeRefused => "subscription refused by broker",
            Error::Protocol(e) => e.as_str(),
            Error::FrameTooLarge { .. } => "packet from broker larger than receive buffer, skipped",
            Error::NotConnected => "not connected",
            Error::InflightFull => "too many messages in flight",
            Error::PingTimeout => "broker did not answer PINGREQ",
            Error::Timeout => "timed out waiting for broker",
            Error::ConnectionClosed => "connection closed by broker",
            Error::Io(_) => "I/O error",
            Error::Host => "host error",
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
            ArgError::InvalidQoS => "qos must be 0, 1 or 2",
            ArgError::PacketTooLarge => "packet larger than 268435455 bytes",
            ArgError::NoFilters => "no topic filter given",
            ArgError::PasswordWithoutUser => "password given without user name",
            ArgError::EmptyClientIdNeedsCleanSession => "empty client id requires clean_session",
            ArgError::PacketIdMismatch => "packet id (and dup) only allowed with qos > 0",
            ArgError::NotAnAck => "not an acknowledgement packet type",
        }
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
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

impl From<ArgError> for Error {
    fn from(e: ArgError) -> Self {
        Error::InvalidArgument(e)
    }
}
