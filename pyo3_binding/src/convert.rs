//! Python argument conversions: the accepted types and the exceptions for
//! wrong ones, in one place so every method behaves the same.
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyInt, PyMemoryView, PyString};
use umqtt_core::QoS;

/// `bytes` as is, `str` as UTF-8, `bytearray`/`memoryview` copied into a new
/// `bytes` (so a callback mutating the original cannot change what is sent).
/// Anything else is a TypeError naming the argument.
pub fn to_bytes<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.clone());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        // Lone surrogates raise UnicodeEncodeError, a ValueError.
        return s.encode_utf8();
    }
    if obj.is_instance_of::<PyByteArray>() || obj.is_instance_of::<PyMemoryView>() {
        let b = obj.py().get_type::<PyBytes>().call1((obj,))?;
        return Ok(b.cast_into::<PyBytes>()?);
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes or str, not {}",
        type_name(obj)
    )))
}

/// Like [`to_bytes`] but `None` stays `None` (user name, password).
pub fn to_opt_bytes<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    if obj.is_none() {
        Ok(None)
    } else {
        to_bytes(obj, what).map(Some)
    }
}

/// A QoS argument: an int 0..=2 (ValueError otherwise; TypeError for non-ints).
pub fn to_qos(obj: &Bound<'_, PyAny>) -> PyResult<QoS> {
    let v = int_arg(obj, "qos")?;
    v.and_then(|v| u8::try_from(v).ok())
        .and_then(QoS::from_u8)
        .ok_or_else(|| PyValueError::new_err(format!("qos must be 0, 1 or 2, not {obj}")))
}

/// An int argument: `Some(v)`, or `None` for an int too big for i64 (out of
/// every range we accept: a ValueError for the caller, not "must be an int,
/// not int"). Non-ints are a TypeError naming the argument.
fn int_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Option<i64>> {
    match obj.extract::<i64>() {
        Ok(v) => Ok(Some(v)),
        Err(_) if obj.is_instance_of::<PyInt>() => Ok(None),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        ))),
    }
}

/// The keepalive attribute: seconds, 0..=65535.
pub fn to_keepalive(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    int_arg(obj, "keepalive")?
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| PyValueError::new_err(format!("keepalive must be 0..65535, not {obj}")))
}

/// The `pid` attribute: 0..=65535 (the last packet id used).
pub fn to_pid(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    int_arg(obj, "pid")?
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| PyValueError::new_err(format!("pid must be 0..65535, not {obj}")))
}

/// An int `port` must be 0..=65535 (socket.getaddrinfo would raise
/// OverflowError past a C long). Anything else goes to getaddrinfo as is,
/// as in umqtt.simple (a service name such as "1883" works there).
pub fn check_port(obj: &Bound<'_, PyAny>) -> PyResult<()> {
    if obj.is_instance_of::<PyInt>() && obj.extract::<u16>().is_err() {
        return Err(PyValueError::new_err(format!(
            "port must be 0..65535, not {obj}"
        )));
    }
    Ok(())
}

/// A timeout in seconds (int or float, `None` = no limit).
pub fn to_timeout(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let secs: f64 = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!("timeout must be a number, not {}", type_name(obj)))
    })?;
    if secs.is_nan() || secs < 0.0 {
        return Err(PyValueError::new_err("timeout must be >= 0"));
    }
    // The core counts u32 milliseconds (~49 days); socket.settimeout() raises
    // OverflowError past time_t. Longer timeouts mean "as long as possible".
    Ok(Some(secs.min(MAX_TIMEOUT_S)))
}

/// The longest timeout in seconds: u32::MAX milliseconds.
const MAX_TIMEOUT_S: f64 = u32::MAX as f64 / 1000.0;

/// Seconds to whole milliseconds, rounded up so a tiny timeout is not 0.
/// Float-to-int `as` saturates: huge values become "about 49 days".
pub fn secs_to_ms(secs: f64) -> u32 {
    (secs * 1000.0).ceil() as u32
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}
