//! The mapping from core errors to Python exceptions (see PYAPI.md).
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use umqtt_core::Error;

create_exception!(
    umqtt.simple,
    MQTTException,
    PyException,
    "MQTT-level error. args[0] is an int code: 1-5 CONNACK refusal, 128 subscription \
refused, 256 protocol violation, 257 ping timeout, 258 frame too large (skipped), \
259 not connected, 260 too many messages in flight."
);

/// SUBACK return code for a refused subscription.
pub const SUBSCRIBE_REFUSED: u8 = 0x80;
/// The broker broke the protocol (the connection was closed).
pub const PROTOCOL_ERROR: u16 = 256;
/// The broker did not answer a PINGREQ in time (the connection was closed).
pub const PING_TIMEOUT: u16 = 257;
/// A packet larger than the receive limit was skipped; the connection is usable.
pub const FRAME_TOO_LARGE: u16 = 258;
/// The client is not connected.
pub const NOT_CONNECTED: u16 = 259;
/// No free packet id / in-flight slot.
pub const INFLIGHT_FULL: u16 = 260;

/// errno.ETIMEDOUT, as MicroPython reports socket timeouts.
const ETIMEDOUT: i32 = 110;

/// MQTTException(code, message).
pub fn mqtt_error(code: u16, msg: impl Into<String>) -> PyErr {
    MQTTException::new_err((code, msg.into()))
}

/// The not-connected error, raised before any I/O is attempted.
pub fn not_connected() -> PyErr {
    mqtt_error(NOT_CONNECTED, Error::NotConnected.as_str())
}

/// Convert a core error. `host` is the Python exception a socket call raised;
/// for `Error::Host`/`Error::Io` it is re-raised unchanged so users see the
/// real OSError, ssl.SSLError, KeyboardInterrupt, ...
pub fn to_pyerr(py: Python<'_>, err: Error, host: Option<PyErr>) -> PyErr {
    if let (Error::Host | Error::Io(_), Some(e)) = (err, host) {
        return e;
    }
    match err {
        Error::Host => PyRuntimeError::new_err("socket error without a Python exception"),
        // Same shape as umqtt.simple: MQTTException(rc).
        Error::ConnectionRefused(rc) => MQTTException::new_err((rc,)),
        Error::SubscribeRefused => MQTTException::new_err((SUBSCRIBE_REFUSED,)),
        Error::Protocol(e) => mqtt_error(PROTOCOL_ERROR, e.as_str()),
        Error::PingTimeout => mqtt_error(PING_TIMEOUT, err.as_str()),
        Error::FrameTooLarge { len } => mqtt_error(
            FRAME_TOO_LARGE,
            format!("packet of {len} bytes from broker exceeds the receive limit, skipped"),
        ),
        Error::NotConnected => not_connected(),
        Error::InflightFull => mqtt_error(INFLIGHT_FULL, err.as_str()),
        Error::InvalidArgument(e) => PyValueError::new_err(e.as_str()),
        Error::BufferTooSmall { needed } => {
            PyValueError::new_err(format!("packet of {needed} bytes is too large"))
        }
        Error::Timeout => PyOSError::new_err((ETIMEDOUT, err.as_str())),
        Error::ConnectionClosed => PyOSError::new_err((-1, err.as_str())),
        Error::Io(errno) => PyOSError::new_err((errno, strerror(py, errno))),
    }
}

fn strerror(py: Python<'_>, errno: i32) -> String {
    py.import("os")
        .and_then(|os| os.call_method1("strerror", (errno,)))
        .and_then(|s| s.extract::<String>())
        .unwrap_or_else(|_| format!("errno {errno}"))
}
