//! Python argument conversions: the accepted types and the exceptions for
//! wrong ones, in one place so every method behaves the same.
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
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
    let v: i64 = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("qos must be an int, not {}", type_name(obj))))?;
    u8::try_from(v)
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| PyValueError::new_err(format!("qos must be 0, 1 or 2, not {v}")))
}

/// The keepalive attribute: seconds, 0..=65535.
pub fn to_keepalive(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    let v: i64 = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!("keepalive must be an int, not {}", type_name(obj)))
    })?;
    u16::try_from(v)
        .map_err(|_| PyValueError::new_err(format!("keepalive must be 0..65535, not {v}")))
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
    Ok(Some(secs))
}

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
