//! The one table from errors to Python exceptions: class ([`ExcKind`]),
//! `MQTTException` code and message ([`Error::report`]), and which of
//! them automatic reconnect takes over or retries.
use super::Error;
#[cfg(feature = "v5")]
use super::{ArgError, PropertyError};

/// The Python exception class an error is raised as (spec/PYAPI.md,
/// "Exceptions"). Both bindings map these to their runtime's classes and
/// nothing else: the table below is the only place that decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ExcKind {
    /// `MQTTException(code[, message])`.
    Mqtt = 0,
    /// `OSError(code, message)`.
    OsError = 1,
    /// `ValueError(message)`.
    ValueError = 2,
    /// `TypeError(message)`.
    TypeError = 3,
    /// `MemoryError(message)`.
    MemoryError = 4,
    /// `RuntimeError(message)`.
    RuntimeError = 5,
    /// The host's own exception (kept by the binding) is re-raised as is.
    Pending = 6,
}

impl ExcKind {
    /// The class for its `repr` value (a C glue passes it back to classify a
    /// Python exception); unknown values are `Pending` (not ours).
    pub const fn from_i32(v: i32) -> ExcKind {
        match v {
            0 => ExcKind::Mqtt,
            1 => ExcKind::OsError,
            2 => ExcKind::ValueError,
            3 => ExcKind::TypeError,
            4 => ExcKind::MemoryError,
            5 => ExcKind::RuntimeError,
            _ => ExcKind::Pending,
        }
    }
}

/// `MQTTException` codes (spec/PYAPI.md, "Codes"). 1-5 are CONNACK return
/// codes and 128 the SUBACK refusal; 256-260 are ours and written only here.
pub mod code {
    /// CONNACK 3: server unavailable (the one refusal worth retrying).
    pub const SERVER_UNAVAILABLE: i32 = 3;
    /// SUBACK 0x80: the broker refused the subscription.
    pub const SUBSCRIBE_REFUSED: i32 = 0x80;
    /// The broker broke the protocol (the connection was closed).
    pub const PROTOCOL_ERROR: i32 = 256;
    /// The broker did not answer a PINGREQ in time (the connection was closed).
    pub const PING_TIMEOUT: i32 = 257;
    /// A packet larger than the receive limit was skipped; the connection stays.
    pub const FRAME_TOO_LARGE: i32 = 258;
    /// The client is not connected.
    pub const NOT_CONNECTED: i32 = 259;
    /// No free packet id / in-flight slot.
    pub const INFLIGHT_FULL: i32 = 260;
    /// The WebSocket opening handshake was refused (status, accept key,
    /// subprotocol...): not retried.
    pub const WS_HANDSHAKE: i32 = 261;
    /// errno ETIMEDOUT, the `OSError` code of a wait that timed out.
    pub const ETIMEDOUT: i32 = 110;
    /// The `OSError` code umqtt.simple raises when the broker closed the socket.
    pub const CLOSED: i32 = -1;
    /// errno EIO, the `OSError` code of a transport failure whose exception
    /// carries no errno of its own.
    pub const EIO: i32 = 5;
}

/// How an error is raised: exception class, code (`args[0]` for
/// `MQTTException` and `OSError`; unused otherwise) and message (empty: none;
/// `OSError` from the host gets the runtime's own message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Exception class.
    pub kind: ExcKind,
    /// `args[0]` of `MQTTException` / `OSError`.
    pub code: i32,
    /// The message; may be empty.
    pub msg: &'static str,
}

const fn report(kind: ExcKind, code: i32, msg: &'static str) -> Report {
    Report { kind, code, msg }
}

impl Error {
    /// The one table from errors to exceptions (spec/PYAPI.md, "Exceptions").
    pub const fn report(&self) -> Report {
        use ExcKind::*;
        let msg = self.as_str();
        match *self {
            // Same shape as umqtt.simple: MQTTException(rc).
            Error::ConnectionRefused(rc) => report(Mqtt, rc as i32, ""),
            Error::SubscribeRefused => report(Mqtt, code::SUBSCRIBE_REFUSED, ""),
            // MQTTException(reason_code, reason_string): the string is the
            // connection's, the binding adds it.
            #[cfg(feature = "v5")]
            Error::Refused(rc) | Error::ServerDisconnect(rc) => report(Mqtt, rc as i32, ""),
            Error::Protocol(_) => report(Mqtt, code::PROTOCOL_ERROR, msg),
            Error::PingTimeout => report(Mqtt, code::PING_TIMEOUT, msg),
            Error::FrameTooLarge { .. } => report(Mqtt, code::FRAME_TOO_LARGE, msg),
            Error::NotConnected => report(Mqtt, code::NOT_CONNECTED, msg),
            Error::InflightFull => report(Mqtt, code::INFLIGHT_FULL, msg),
            // MQTT 5 properties: a value of the wrong kind is a TypeError.
            #[cfg(feature = "v5")]
            Error::InvalidArgument(ArgError::Property(PropertyError::WrongType)) => {
                report(TypeError, 0, msg)
            }
            Error::InvalidArgument(_) => report(ValueError, 0, msg),
            // A buffer that could not grow: the binding's allocator said no.
            Error::BufferTooSmall { .. } => report(MemoryError, 0, msg),
            Error::Timeout => report(OsError, code::ETIMEDOUT, msg),
            Error::ConnectionClosed | Error::Disconnected => report(OsError, code::CLOSED, msg),
            Error::Io(errno) => report(OsError, errno, ""),
            Error::Host => report(Pending, 0, ""),
            Error::Busy => report(RuntimeError, 0, msg),
            // A server that refuses the upgrade will not change its mind
            // (261, not retried); broken framing is a protocol error (256,
            // retried like any other).
            #[cfg(feature = "ws")]
            Error::WebSocket(e) => {
                if matches!(e, crate::ws::WsError::Closed(_)) {
                    // As a closed socket, with the close's status code.
                    report(OsError, code::CLOSED, msg)
                } else if e.is_handshake() {
                    report(Mqtt, code::WS_HANDSHAKE, msg)
                } else if e.is_argument() {
                    report(ValueError, 0, msg)
                } else {
                    report(Mqtt, code::PROTOCOL_ERROR, msg)
                }
            }
        }
    }
}

/// Whether an exception (class and code, as [`Error::report`] gives them, or
/// as a binding classifies a Python exception raised by the socket or by a
/// subclass's `connect`) means the connection failed, so that automatic
/// reconnect takes over: `OSError`, protocol violation (256), ping timeout
/// (257).
pub const fn is_connection_failure(kind: ExcKind, code: i32) -> bool {
    match kind {
        ExcKind::OsError => true,
        // MQTT 5: a DISCONNECT (or CONNACK) whose reason says "try again"
        // (0x88 server unavailable, 0x8B shutting down, 0x9C use another
        // server, ...); a refused request leaves the connection up and is
        // never retried (should_reconnect checks).
        ExcKind::Mqtt => {
            code == code::PROTOCOL_ERROR || code == code::PING_TIMEOUT || v5_retryable(code)
        }
        _ => false,
    }
}

#[cfg(feature = "v5")]
const fn v5_retryable(code: i32) -> bool {
    code >= 0x80 && code <= 0xFF && crate::codec::v5::reason::is_retryable(code as u8)
}

#[cfg(not(feature = "v5"))]
const fn v5_retryable(_code: i32) -> bool {
    false
}

/// What `reconnect()` retries: connection failures and CONNACK 3 (server
/// unavailable). Other refusals (bad credentials, client id rejected) will
/// not cure themselves.
pub const fn is_retryable(kind: ExcKind, code: i32) -> bool {
    is_connection_failure(kind, code)
        || matches!(kind, ExcKind::Mqtt) && code == code::SERVER_UNAVAILABLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArgError, ProtocolError};

    #[test]
    fn table_matches_the_documented_codes() {
        let r = Error::Protocol(ProtocolError::InvalidFlags).report();
        assert_eq!((r.kind, r.code), (ExcKind::Mqtt, 256));
        assert!(r.msg.starts_with("protocol error"));
        assert_eq!(Error::PingTimeout.report().code, 257);
        assert_eq!(Error::FrameTooLarge { len: 9 }.report().code, 258);
        assert_eq!(Error::NotConnected.report().code, 259);
        assert_eq!(Error::InflightFull.report().code, 260);
        assert_eq!(Error::ConnectionRefused(5).report().code, 5);
        assert_eq!(Error::SubscribeRefused.report().code, 128);
        #[cfg(feature = "v5")]
        {
            assert_eq!(Error::ServerDisconnect(0x8B).report().code, 0x8B);
            assert!(is_connection_failure(ExcKind::Mqtt, 0x8B));
            assert!(is_retryable(ExcKind::Mqtt, 0x9C));
            assert!(!is_retryable(ExcKind::Mqtt, 0x87));
        }
        assert!(!is_retryable(ExcKind::Mqtt, 0x80));
        let t = Error::Timeout.report();
        assert_eq!((t.kind, t.code), (ExcKind::OsError, 110));
        assert_eq!(Error::ConnectionClosed.report().code, -1);
        assert_eq!(
            Error::BufferTooSmall { needed: 1 }.report().kind,
            ExcKind::MemoryError
        );
        assert_eq!(
            Error::InvalidArgument(ArgError::InvalidQoS).report().kind,
            ExcKind::ValueError
        );
        #[cfg(feature = "v5")]
        {
            let wrong = Error::from(PropertyError::WrongType).report();
            assert_eq!(wrong.kind, ExcKind::TypeError);
            assert_eq!(wrong.msg, "wrong type for property");
            let unknown = Error::from(PropertyError::UnknownName).report();
            assert_eq!(unknown.kind, ExcKind::ValueError);
        }
        #[cfg(feature = "ws")]
        {
            use crate::ws::WsError;
            let refused = Error::from(WsError::BadAccept).report();
            assert_eq!((refused.kind, refused.code), (ExcKind::Mqtt, 261));
            assert!(!is_retryable(refused.kind, refused.code));
            let framing = Error::from(WsError::MaskedFrame).report();
            assert_eq!((framing.kind, framing.code), (ExcKind::Mqtt, 256));
            assert!(is_retryable(framing.kind, framing.code));
            let arg = Error::from(WsError::InvalidUrl).report();
            assert_eq!(arg.kind, ExcKind::ValueError);
            let closed = Error::from(WsError::Closed(Some(1001))).report();
            assert_eq!((closed.kind, closed.code), (ExcKind::OsError, -1));
            assert!(closed.msg.ends_with("(websocket close 1001)"));
            assert!(is_retryable(closed.kind, closed.code));
        }
    }

    #[test]
    fn retry_rules() {
        assert!(is_connection_failure(ExcKind::OsError, 104));
        assert!(is_connection_failure(ExcKind::Mqtt, 256));
        assert!(is_connection_failure(ExcKind::Mqtt, 257));
        assert!(!is_connection_failure(ExcKind::Mqtt, 3));
        assert!(!is_connection_failure(ExcKind::MemoryError, 0));
        assert!(is_retryable(ExcKind::Mqtt, 3));
        assert!(!is_retryable(ExcKind::Mqtt, 5));
        assert!(!is_retryable(ExcKind::ValueError, 0));
    }
}
