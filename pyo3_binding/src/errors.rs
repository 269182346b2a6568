//! Core errors as Python exceptions: the class, code and message come from
//! the core's one table (`Error::report`, spec/PYAPI.md "Exceptions"); this
//! file only names the CPython classes.
use pyo3::create_exception;
use pyo3::exceptions::{
    PyException, PyMemoryError, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use umqtt_core::{Error, ExcKind};

create_exception!(
    umqtt.simple,
    MQTTException,
    PyException,
    "MQTT-level error. args[0] is an int code: 1-5 CONNACK refusal, 128 subscription \
refused, 256 protocol violation, 257 ping timeout, 258 frame too large (skipped), \
259 not connected, 260 too many messages in flight, 261 WebSocket handshake refused \
(spec/PYAPI.md)."
);

/// The not-connected error, raised before any I/O is attempted.
pub fn not_connected() -> PyErr {
    to_pyerr(Error::NotConnected, None)
}

/// Convert a core error. `host` is the Python exception a socket call raised;
/// for `Error::Host`/`Error::Io` it is re-raised unchanged so users see the
/// real OSError, ssl.SSLError, KeyboardInterrupt, ...
pub fn to_pyerr(err: Error, host: Option<PyErr>) -> PyErr {
    if let (Error::Host | Error::Io(_), Some(e)) = (err, host) {
        return e;
    }
    let r = err.report();
    match r.kind {
        ExcKind::Mqtt if r.msg.is_empty() => MQTTException::new_err((r.code,)),
        ExcKind::Mqtt => MQTTException::new_err((r.code, r.msg)),
        ExcKind::OsError if r.msg.is_empty() => PyOSError::new_err((
            r.code,
            std::io::Error::from_raw_os_error(r.code).to_string(),
        )),
        ExcKind::OsError => PyOSError::new_err((r.code, r.msg)),
        ExcKind::ValueError => PyValueError::new_err(r.msg),
        ExcKind::TypeError => PyTypeError::new_err(r.msg),
        ExcKind::MemoryError => PyMemoryError::new_err(r.msg),
        ExcKind::RuntimeError => PyRuntimeError::new_err(r.msg),
        ExcKind::Pending => PyRuntimeError::new_err("socket error without a Python exception"),
    }
}

/// A Python exception as the core's retry rules see it (class and code).
pub fn classify(py: Python<'_>, e: &PyErr) -> (ExcKind, i32) {
    let code = |e: &PyErr| -> Option<i32> {
        e.value(py)
            .getattr("args")
            .ok()?
            .get_item(0)
            .ok()?
            .extract()
            .ok()
    };
    if e.is_instance_of::<MQTTException>(py) {
        (ExcKind::Mqtt, code(e).unwrap_or(0))
    } else if e.is_instance_of::<PyOSError>(py) {
        (ExcKind::OsError, code(e).unwrap_or(0))
    } else {
        (ExcKind::Pending, 0)
    }
}
