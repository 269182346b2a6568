//! MQTT over WebSockets on CPython (`transport="websockets"` or a `ws://` /
//! `wss://` server URL). The rules (transport names, URL, default ports)
//! and the protocol (handshake with its deadline, framing, pings, closes,
//! error mapping) are the core's (`args::ws_target`, `umqtt_core::ws::Link`);
//! this file converts the arguments and supplies `os.urandom` for the nonce
//! and the masks. `self.sock` stays the real socket.
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyList, PyTuple};
use umqtt_core::args::{self, WsTarget};
use umqtt_core::ws::frame::frame_len;
use umqtt_core::ws::{Entropy, Link, Request, WsError, MAX_FRAME};
use umqtt_core::Error;

use crate::buf::{VecBuf, MAX_PACKET};
use crate::errors::to_pyerr;
use crate::host::PyHost;
use crate::MQTTClient;

/// The upgrade request and small frames fit without growing.
const SCRATCH: usize = 1024;

/// The WebSocket arguments of the constructor.
#[derive(Clone, Default)]
pub struct WsConfig {
    websockets: bool,
    path: String,
    headers: Vec<(String, String)>,
}

impl WsConfig {
    /// `transport`, `ws_path`, `ws_headers` (a dict or pairs of str).
    pub fn new(
        transport: Option<&Bound<'_, PyAny>>,
        ws_path: Option<&Bound<'_, PyAny>>,
        ws_headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let websockets = match transport {
            Some(t) if !t.is_none() => {
                let name = crate::convert::to_bytes(t, "transport")?;
                args::websockets(name.as_bytes()).map_err(|e| to_pyerr(e, None))?
            }
            _ => false,
        };
        let path = match ws_path {
            Some(p) if !p.is_none() => {
                let b = crate::convert::to_bytes(p, "ws_path")?;
                String::from_utf8(b.as_bytes().to_vec())
                    .map_err(|_| to_pyerr(Error::WebSocket(WsError::InvalidPath), None))?
            }
            _ => "/mqtt".to_owned(),
        };
        let mut headers = Vec::new();
        if let Some(h) = ws_headers.filter(|h| !h.is_none()) {
            // A dict, or (name, value) pairs (tuples or lists of two str).
            let bad = || PyTypeError::new_err("ws_headers must be str names and values");
            let items = match h.call_method0(intern!(h.py(), "items")) {
                Ok(items) => items,
                Err(_) => h.clone(),
            };
            for pair in items.try_iter().map_err(|_| bad())? {
                let pair = pair?;
                let kv = match pair.cast::<PyList>() {
                    Ok(l) => l.extract::<[String; 2]>().map(|[k, v]| (k, v)),
                    Err(_) => pair.extract::<(String, String)>(),
                };
                headers.push(kv.map_err(|_| bad())?);
            }
        }
        Ok(WsConfig {
            websockets,
            path,
            headers,
        })
    }

    /// The extra request headers.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The WebSocket target for `server`/`port`/`ssl`, or None for MQTT
    /// over TCP. Bad URLs, paths and headers are a ValueError.
    pub(crate) fn target<'a>(
        &'a self,
        server: &'a str,
        port: u16,
        ssl: bool,
    ) -> PyResult<Option<WsTarget<'a>>> {
        args::ws_target(server, port, ssl, self.websockets, &self.path)
            .map_err(|e| to_pyerr(e, None))
    }

    /// The port `port=0` stands for.
    pub fn default_port(&self, server: &Bound<'_, PyAny>, ssl: bool) -> PyResult<u16> {
        let server = server.extract::<String>().unwrap_or_default();
        Ok(match self.target(&server, 0, ssl)? {
            Some(t) => t.port,
            None => args::port(0, ssl, false),
        })
    }
}

/// One WebSocket connection's state, kept in the client between calls:
/// the core's link with the buffer its frames are built in (grown to the
/// largest packet, so every packet is still one write).
pub type WsLink = Link<VecBuf>;

/// What connect() opens: `(host, port, ssl)` for `net::open`, and the
/// upgrade path, or None for MQTT over TCP.
pub struct Plan<'py> {
    pub host: Bound<'py, PyAny>,
    pub port: Bound<'py, PyAny>,
    pub ssl: Bound<'py, PyAny>,
    path: String,
    host_str: String,
    port_num: u16,
    tls: bool,
}

/// The connection `server`/`port`/`ssl` and the WebSocket arguments ask for.
pub fn plan<'py>(
    cfg: &WsConfig,
    server: &Bound<'py, PyAny>,
    port: &Bound<'py, PyAny>,
    ssl: &Bound<'py, PyAny>,
) -> PyResult<Option<Plan<'py>>> {
    let py = server.py();
    let Ok(name) = server.extract::<String>() else {
        return Ok(None);
    };
    let port_num = port.extract::<u16>().unwrap_or(0);
    let Some(t) = cfg.target(&name, port_num, ssl.is_truthy()?)? else {
        return Ok(None);
    };
    // wss:// with ssl=None: TLS with the default context and ssl_params.
    let ssl = if t.tls && !ssl.is_truthy()? {
        PyBool::new(py, true).to_owned().into_any()
    } else {
        ssl.clone()
    };
    Ok(Some(Plan {
        host: t.host.into_pyobject(py)?.into_any(),
        port: t.port.into_pyobject(py)?.into_any(),
        ssl,
        path: t.path.to_owned(),
        host_str: t.host.to_owned(),
        port_num: t.port,
        tls: t.tls,
    }))
}

/// The opening handshake on the freshly opened `sock` (TCP, or TLS for
/// wss), within `timeout_ms`; the socket's own mode is left as it was.
pub fn handshake(
    slf: &Bound<'_, MQTTClient>,
    cfg: &WsConfig,
    plan: &Plan<'_>,
    sock: &Bound<'_, PyAny>,
    timeout_ms: u32,
) -> PyResult<WsLink> {
    let headers: Vec<(&str, &str)> = cfg
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = Request {
        host: &plan.host_str,
        port: plan.port_num,
        tls: plan.tls,
        path: &plan.path,
        headers: &headers,
    };
    let mut ws = Link::new(MAX_FRAME, VecBuf::new(SCRATCH, frame_len(MAX_PACKET)));
    let mut guard = MQTTClient::guard(slf)?;
    let this = &mut *guard;
    let write_timeout = this.core.socket_timeout_ms();
    let mut host = PyHost::new(sock.clone(), this.epoch, &mut this.io, write_timeout);
    ws.open(&mut host, &req, Some(timeout_ms))
        .map_err(|e| to_pyerr(e, host.error.take()))?;
    Ok(ws)
}

impl Entropy for PyHost<'_, '_> {
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        let py = self.py();
        let r = py
            .import(intern!(py, "os"))
            .and_then(|os| os.call_method1(intern!(py, "urandom"), (buf.len(),)))
            .and_then(|b| Ok(b.cast::<PyBytes>()?.as_bytes().to_vec()));
        match r {
            Ok(b) if b.len() == buf.len() => {
                buf.copy_from_slice(&b);
                Ok(())
            }
            Ok(_) => Err(Error::Io(crate::host::EIO)),
            Err(e) => Err(self.stash_fatal(e)),
        }
    }
}

impl PyHost<'_, '_> {
    /// disconnect(), after DISCONNECT: on a WebSocket, the closing
    /// handshake's first frame (status 1000); the socket is closed next.
    pub(crate) fn ws_close(&mut self) -> Result<(), Error> {
        match self.ws.take() {
            Some(ws) => ws.close(self),
            None => Ok(()),
        }
    }
}

/// `(host, port, tls, path)` of the connection: the port to open (the
/// default for 0), path None for MQTT over TCP (core `args::ws_target`;
/// bad transport or URL: ValueError; `ws_headers` not a dict or pairs of
/// str: TypeError). For `umqtt.aio` (`Conn.ws_open`).
#[pyfunction]
#[pyo3(signature = (server, port, ssl, transport, ws_path, ws_headers=None))]
pub fn ws_target<'py>(
    server: &Bound<'py, PyAny>,
    port: &Bound<'py, PyAny>,
    ssl: &Bound<'py, PyAny>,
    transport: &Bound<'py, PyAny>,
    ws_path: &Bound<'py, PyAny>,
    ws_headers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = server.py();
    // The blocking client's conversions of transport, ws_path and ws_headers.
    let cfg = WsConfig::new(Some(transport), Some(ws_path), ws_headers)?;
    let name = server.extract::<String>().unwrap_or_default();
    let (port, tls) = (port.extract::<u16>().unwrap_or(0), ssl.is_truthy()?);
    match cfg.target(&name, port, tls)? {
        Some(t) => (t.host, t.port, t.tls, t.path).into_pyobject(py),
        None => (server, args::port(port, tls, false), tls, py.None()).into_pyobject(py),
    }
}
