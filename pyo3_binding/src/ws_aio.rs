//! `umqtt._umqtt.WsLayer` and `ws_target`: the core's sans-IO WebSocket
//! layer (`umqtt_core::ws::Layer`) for `umqtt.aio`, which moves the bytes
//! over its asyncio streams (`umqtt/_aio_ws.py`). The MicroPython module
//! offers the same through `umqtt.simple` (mpy_module/src/ws_aio.rs). The
//! caller supplies the random bytes (`os.urandom`): the nonce and a mask
//! per frame. Errors are the blocking client's (core `Error::report`).
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use umqtt_core::args;
use umqtt_core::ws::frame::{frame_len, MAX_CLIENT_HEADER, MAX_CONTROL_PAYLOAD};
use umqtt_core::ws::{Layer, Request, WsError, MAX_FRAME};
use umqtt_core::Error;

use crate::errors::to_pyerr;
use crate::ws::WsConfig;

fn err(e: impl Into<Error>) -> PyErr {
    to_pyerr(e.into(), None)
}

fn mask(m: &[u8]) -> PyResult<[u8; 4]> {
    m.try_into()
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("mask must be 4 bytes"))
}

/// `(host, port, tls, path)` of the connection: the port to open (the
/// default for 0), path None for MQTT over TCP (core `args::ws_target`;
/// bad transport or URL: ValueError).
#[pyfunction]
pub fn ws_target<'py>(
    server: &Bound<'py, PyAny>,
    port: &Bound<'py, PyAny>,
    ssl: &Bound<'py, PyAny>,
    transport: &Bound<'py, PyAny>,
    ws_path: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = server.py();
    // The blocking client's conversions of transport and ws_path.
    let cfg = WsConfig::new(Some(transport), Some(ws_path), None)?;
    let name = server.extract::<String>().unwrap_or_default();
    let (port, tls) = (port.extract::<u16>().unwrap_or(0), ssl.is_truthy()?);
    match cfg.target(&name, port, tls)? {
        Some(t) => (t.host, t.port, t.tls, t.path).into_pyobject(py),
        None => (server, args::port(port, tls, false), tls, py.None()).into_pyobject(py),
    }
}

/// One WebSocket connection of `umqtt.aio` (see `umqtt_core::ws::layer`).
#[pyclass(module = "umqtt._umqtt", name = "WsLayer")]
pub struct WsLayer {
    layer: Layer,
    target: (String, u16, bool, String),
    headers: Vec<(String, String)>,
}

#[pymethods]
impl WsLayer {
    /// A `ws_target()` result and `ws_headers` (a dict or pairs of str).
    #[new]
    #[pyo3(signature = (target, headers=None))]
    fn new(
        target: (String, u16, bool, String),
        headers: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let cfg = WsConfig::new(None, None, headers.as_ref())?;
        Ok(WsLayer {
            layer: Layer::new(MAX_FRAME),
            target,
            headers: cfg.headers().to_vec(),
        })
    }

    /// The upgrade request with `nonce` (16 random bytes) as its key; a bad
    /// path or header is a ValueError.
    fn request<'py>(&mut self, py: Python<'py>, nonce: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let nonce: [u8; 16] = nonce
            .try_into()
            .map_err(|_| pyo3::exceptions::PyValueError::new_err("nonce must be 16 bytes"))?;
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (host, port, tls, path) = &self.target;
        let req = Request {
            host,
            port: *port,
            tls: *tls,
            path,
            headers: &headers,
        };
        let mut out = vec![0u8; 1024];
        let n = match self.layer.request(&req, &nonce, &mut out) {
            Err(WsError::BufferTooSmall { needed }) => {
                out.resize(needed, 0);
                self.layer.request(&req, &nonce, &mut out)
            }
            r => r,
        }
        .map_err(err)?;
        Ok(PyBytes::new(py, out.get(..n).unwrap_or(&[])))
    }

    /// The server's answer, in pieces: None while incomplete, then the
    /// bytes behind it (frames). A refusal is MQTTException(261).
    fn accept<'py>(
        &mut self,
        py: Python<'py>,
        data: &[u8],
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        Ok(self
            .layer
            .accept(data)
            .map_err(err)?
            .map(|used| PyBytes::new(py, data.get(used..).unwrap_or(&[]))))
    }

    /// `data` (MQTT bytes) as one masked binary frame.
    fn frame<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        mask: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let m = self::mask(mask)?;
        PyBytes::new_with(py, frame_len(data.len()), |out| {
            self.layer.frame(data, m, out).map(|_| ()).map_err(err)
        })
    }

    /// Received bytes -> the MQTT bytes they carry (maybe none); a framing
    /// violation is MQTTException(256).
    fn decode<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let mut buf = data.to_vec();
        let n = self.layer.decode(&mut buf).map_err(err)?;
        Ok(PyBytes::new(py, buf.get(..n).unwrap_or(&[])))
    }

    /// A pong or the reply to the server's close is to be sent (`reply`).
    fn reply_due(&self) -> bool {
        self.layer.reply_due()
    }

    /// That control frame (b"" if none is due).
    fn reply<'py>(&mut self, py: Python<'py>, mask: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = [0u8; MAX_CLIENT_HEADER + MAX_CONTROL_PAYLOAD];
        let n = self.layer.reply(self::mask(mask)?, &mut out).map_err(err)?;
        Ok(PyBytes::new(py, out.get(..n).unwrap_or(&[])))
    }

    /// Raise the server's close (OSError(-1, "... (websocket close N)")),
    /// if it sent one.
    fn check(&self) -> PyResult<()> {
        match self.layer.closed() {
            Some(e) => Err(err(e)),
            None => Ok(()),
        }
    }

    /// Our close frame (status 1000), b"" if one went out already.
    fn close<'py>(&mut self, py: Python<'py>, mask: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = [0u8; MAX_CLIENT_HEADER + 2];
        let n = self.layer.close(self::mask(mask)?, &mut out).map_err(err)?;
        Ok(PyBytes::new(py, out.get(..n).unwrap_or(&[])))
    }
}
