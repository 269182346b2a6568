//! Python argument conversions: the accepted types and the exceptions for
//! wrong ones, in one place so every method behaves the same.
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyInt, PyList, PyMemoryView, PyString};
use umqtt_core::client::Policy;
use umqtt_core::{args, QoS};

use crate::errors::to_pyerr;

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

/// `protocol=`: 4 or 5, checked by the core.
pub fn to_protocol(obj: &Bound<'_, PyAny>) -> PyResult<umqtt_core::ProtocolVersion> {
    core_int(obj, "protocol", args::protocol)
}

/// A QoS argument: an int, checked by the core (TypeError for non-ints).
pub fn to_qos(obj: &Bound<'_, PyAny>) -> PyResult<QoS> {
    core_int(obj, "qos", args::qos)
}

/// Filters of a SUBSCRIBE, as `bytes` objects.
pub type Filters<'py> = Vec<(Bound<'py, PyBytes>, QoS)>;

/// subscribe()'s filters: a list of `(filter, qos)` pairs (`true`: it was a
/// list), or the topic at `qos` (None: 0).
pub fn to_filters<'py>(
    topic: &Bound<'py, PyAny>,
    qos: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Filters<'py>, bool)> {
    let Ok(items) = topic.cast::<PyList>() else {
        let qos = qos.map_or(Ok(QoS::AtMostOnce), to_qos)?;
        return Ok((vec![(to_bytes(topic, "topic")?, qos)], false));
    };
    let mut filters = Vec::with_capacity(items.len());
    for item in items.iter() {
        let (f, q): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item
            .extract()
            .map_err(|_| PyTypeError::new_err("topic list items must be (filter, qos) pairs"))?;
        filters.push((to_bytes(&f, "topic")?, to_qos(&q)?));
    }
    Ok((filters, true))
}

/// An int argument checked by a core rule; an int too big for i64 is out of
/// every range (the rule's ValueError), a non-int a TypeError naming it.
fn core_int<T>(
    obj: &Bound<'_, PyAny>,
    what: &str,
    rule: impl FnOnce(i64) -> Result<T, umqtt_core::Error>,
) -> PyResult<T> {
    let v = match obj.extract::<i64>() {
        Ok(v) => v,
        // Past i64 it saturates, keeping the sign (the core's ranges decide).
        Err(_) if obj.is_instance_of::<PyInt>() => match obj.lt(0) {
            Ok(true) => i64::MIN,
            _ => i64::MAX,
        },
        Err(_) => {
            return Err(PyTypeError::new_err(format!(
                "{what} must be an int, not {}",
                type_name(obj)
            )))
        }
    };
    rule(v).map_err(|e| to_pyerr(e, None))
}

/// subscribe()'s MQTT 5 options `(no_local, retain_as_published,
/// retain_handling)` of a client speaking MQTT 5 (`v5`) or not: the flags
/// by truth value, `retain_handling` an int (None: the defaults); the rules
/// are the core's (`args::sub_options`).
pub fn to_sub_options(
    v5: bool,
    no_local: Option<&Bound<'_, PyAny>>,
    retain_as_published: Option<&Bound<'_, PyAny>>,
    retain_handling: Option<&Bound<'_, PyAny>>,
) -> PyResult<(bool, bool, u8)> {
    let flag = |o: Option<&Bound<'_, PyAny>>| o.map_or(Ok(false), |o| o.is_truthy());
    let (nl, rap) = (flag(no_local)?, flag(retain_as_published)?);
    let rh = match retain_handling {
        Some(o) if !o.is_none() => core_int(o, "retain_handling", Ok)?,
        _ => 0,
    };
    let rh = args::sub_options(nl, rap, rh, v5).map_err(|e| to_pyerr(e, None))?;
    Ok((nl, rap, rh))
}

/// The keepalive attribute: seconds (core rule).
pub fn to_keepalive(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    core_int(obj, "keepalive", args::keepalive)
}

/// disconnect()'s `reason`: an int, any but 0 on MQTT 5 only (core rule).
pub fn to_reason(obj: &Bound<'_, PyAny>, v5: bool) -> PyResult<u8> {
    core_int(obj, "reason", |v| args::disconnect_reason(v, v5))
}

/// The `pid` attribute (core rule).
pub fn to_pid(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    core_int(obj, "pid", args::packet_id)
}

/// An int `port` must be 0..=65535 (the core's rule). Anything else goes
/// to getaddrinfo as is, as in umqtt.simple (a service name such as "1883"
/// works there).
pub fn check_port(obj: &Bound<'_, PyAny>) -> PyResult<()> {
    if obj.is_instance_of::<PyInt>() {
        // Past i64: out of range all the same.
        let v = obj.extract::<i64>().unwrap_or(-1);
        args::port_number(v).map_err(|e| to_pyerr(e, None))?;
    }
    Ok(())
}

/// A duration in seconds (int or float) as milliseconds, checked by the
/// core; `None` stays `None` (no limit / the default).
pub fn to_ms(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<u32>> {
    obj.filter(|o| !o.is_none())
        .map(|o| seconds_to_ms(o, what))
        .transpose()
}

/// A duration in seconds (int or float) as milliseconds (core rule).
fn seconds_to_ms(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u32> {
    let secs: f64 = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!("{what} must be a number, not {}", type_name(obj)))
    })?;
    args::millis(secs).map_err(|e| to_pyerr(e, None))
}

/// set_reconnect()'s policy (core rules): `attempts` an int, the delays
/// seconds; None (or left out) is the core's default.
pub fn to_policy(
    attempts: Option<&Bound<'_, PyAny>>,
    min_delay: Option<&Bound<'_, PyAny>>,
    max_delay: Option<&Bound<'_, PyAny>>,
) -> PyResult<Policy> {
    let attempts = attempts
        .filter(|a| !a.is_none())
        .map(|a| core_int(a, "attempts", Ok))
        .transpose()?;
    let min = to_ms(min_delay, "min_delay")?;
    let max = to_ms(max_delay, "max_delay")?;
    Policy::with_defaults(attempts, min, max).map_err(|e| to_pyerr(e, None))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}
