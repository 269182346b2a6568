//! `umqtt._umqtt.sign`: the core's credential signing (umqtt_core::sign)
//! for `umqtt.cloud`. MicroPython has the same functions in the native
//! module `umqtt/_sign.mpy`, so `umqtt.cloud` is one source for both.
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use umqtt_core::sign::{self, Algorithm, SignError};

use crate::convert::to_bytes;

fn err(e: SignError) -> PyErr {
    PyValueError::new_err(e.message())
}

fn mac<'py>(
    alg: Algorithm,
    key: &Bound<'py, PyAny>,
    msg: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let key = to_bytes(key, "key")?;
    let msg = to_bytes(msg, "msg")?;
    let mut out = [0u8; 32];
    let n = sign::hmac(alg, key.as_bytes(), &[msg.as_bytes()], &mut out).map_err(err)?;
    Ok(PyBytes::new(key.py(), out.get(..n).unwrap_or_default()))
}

/// Runs an encoder into a buffer of `len` bytes and returns the text.
fn encode(
    data: &Bound<'_, PyAny>,
    len: fn(&[u8]) -> usize,
    f: fn(&[u8], &mut [u8]) -> Result<usize, SignError>,
) -> PyResult<String> {
    let data = to_bytes(data, "data")?;
    let mut out = vec![0u8; len(data.as_bytes())];
    let n = f(data.as_bytes(), &mut out).map_err(err)?;
    out.truncate(n);
    // Every encoder emits ASCII.
    String::from_utf8(out).map_err(|_| PyValueError::new_err("non-ASCII encoding"))
}

/// HMAC-SHA1 of msg under key (bytes or str), 20 bytes.
#[pyfunction]
fn hmac_sha1<'py>(
    key: &Bound<'py, PyAny>,
    msg: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    mac(Algorithm::HmacSha1, key, msg)
}

/// HMAC-SHA256 of msg under key (bytes or str), 32 bytes.
#[pyfunction]
fn hmac_sha256<'py>(
    key: &Bound<'py, PyAny>,
    msg: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    mac(Algorithm::HmacSha256, key, msg)
}

/// Lowercase hex of data.
#[pyfunction]
fn hex(data: &Bound<'_, PyAny>) -> PyResult<String> {
    encode(data, |d| sign::hex_len(d.len()), sign::hex_encode)
}

/// Standard padded base64 of data.
#[pyfunction]
fn b64encode(data: &Bound<'_, PyAny>) -> PyResult<String> {
    encode(data, |d| sign::base64_len(d.len()), sign::base64_encode)
}

/// Bytes of standard padded base64 text; ValueError if it is not that.
#[pyfunction]
fn b64decode<'py>(text: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let text = to_bytes(text, "text")?;
    let mut out = vec![0u8; text.as_bytes().len() / 4 * 3];
    let n = sign::base64_decode(text.as_bytes(), &mut out).map_err(err)?;
    Ok(PyBytes::new(text.py(), out.get(..n).unwrap_or_default()))
}

/// Percent-encoding of every byte but A-Z a-z 0-9 - . _ ~ (UTF-8 for str).
#[pyfunction]
fn quote(data: &Bound<'_, PyAny>) -> PyResult<String> {
    encode(data, sign::url_encoded_len, sign::url_encode)
}

/// Adds the submodule `sign` to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let s = PyModule::new(m.py(), "sign")?;
    s.add_function(wrap_pyfunction!(hmac_sha1, &s)?)?;
    s.add_function(wrap_pyfunction!(hmac_sha256, &s)?)?;
    s.add_function(wrap_pyfunction!(hex, &s)?)?;
    s.add_function(wrap_pyfunction!(b64encode, &s)?)?;
    s.add_function(wrap_pyfunction!(b64decode, &s)?)?;
    s.add_function(wrap_pyfunction!(quote, &s)?)?;
    m.add_submodule(&s)
}
