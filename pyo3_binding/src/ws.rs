//! MQTT over WebSockets on CPython (`transport="websockets"` or a `ws://` /
//! `wss://` server URL). The rules (transport names, URL, default ports)
//! and the protocol (handshake, framing) are the core's (`args::ws_target`,
//! `umqtt_core::ws`); this file moves bytes: the opening handshake on the
//! freshly opened socket, then the host's reads are unframed in place and
//! its writes framed (still one write per packet), pings answered and a
//! close from the server replied to. `self.sock` stays the real socket.
use pyo3::exceptions::PyOSError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes};
use umqtt_core::args::{self, WsTarget};
use umqtt_core::client::{ReadResult, ReadWait};
use umqtt_core::error::code;
use umqtt_core::ws::{frame, Decoder, Handshake, Opcode, Request, WsError};
use umqtt_core::Error;

use crate::buf::MAX_PACKET;
use crate::errors::to_pyerr;
use crate::host::PyHost;

/// A server frame may carry the largest MQTT packet (and its 5-byte fixed
/// header); a longer one is refused (`WsError::FrameTooLarge`).
const MAX_FRAME: usize = MAX_PACKET + 5;
/// The upgrade request: path, host and extra headers fit easily.
const REQUEST_CAP: usize = 1024;
/// Handshake bound when connect() got no timeout (as for TCP and TLS).
const HANDSHAKE_TIMEOUT_S: f64 = 30.0;
/// Random bytes fetched per `os.urandom` call: masks for 16 frames.
const POOL: usize = 64;
/// errno EPROTO: a framing violation breaks the stream like an I/O error.
const EPROTO: i32 = 71;

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
            Some(p) if !p.is_none() => p.extract::<String>()?,
            _ => "/mqtt".to_owned(),
        };
        let mut headers = Vec::new();
        if let Some(h) = ws_headers.filter(|h| !h.is_none()) {
            let items = match h.call_method0(intern!(h.py(), "items")) {
                Ok(items) => items,
                Err(_) => h.clone(),
            };
            for pair in items.try_iter()? {
                headers.push(pair?.extract::<(String, String)>()?);
            }
        }
        Ok(WsConfig {
            websockets,
            path,
            headers,
        })
    }

    /// The WebSocket target for `server`/`port`/`ssl`, or None for MQTT
    /// over TCP. Bad URLs, paths and headers are a ValueError.
    fn target<'a>(
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

/// One WebSocket connection's state, kept in the client between calls.
pub struct WsLink {
    dec: Decoder,
    /// Frames that came right behind the handshake answer, not decoded yet.
    early: Vec<u8>,
    /// Random bytes from `os.urandom`, used 4 per frame (a fresh mask each).
    pool: Vec<u8>,
}

impl WsLink {
    fn mask(&mut self, py: Python<'_>) -> PyResult<[u8; 4]> {
        if self.pool.len() < 4 {
            let b = py.import("os")?.call_method1("urandom", (POOL,))?;
            self.pool = b.cast::<PyBytes>()?.as_bytes().to_vec();
        }
        let mut m = [0u8; 4];
        for (d, s) in m.iter_mut().zip(self.pool.drain(self.pool.len() - 4..)) {
            *d = s;
        }
        Ok(m)
    }
}

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

/// The opening handshake on `sock` (TCP, or TLS for wss), within
/// `timeout` seconds (30 if None); the socket's own timeout is put back.
pub fn handshake(
    cfg: &WsConfig,
    plan: &Plan<'_>,
    sock: &Bound<'_, PyAny>,
    timeout: Option<f64>,
) -> PyResult<WsLink> {
    let py = sock.py();
    let nonce_obj = py.import("os")?.call_method1("urandom", (16,))?;
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(nonce_obj.cast::<PyBytes>()?.as_bytes());
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
    let mut out = vec![0u8; REQUEST_CAP];
    let n = match req.encode(&nonce, &mut out) {
        Err(WsError::BufferTooSmall { needed }) => {
            out.resize(needed, 0);
            req.encode(&nonce, &mut out)
        }
        r => r,
    }
    .map_err(ws_err)?;
    let own = sock.call_method0(intern!(py, "gettimeout"))?;
    sock.call_method1(
        intern!(py, "settimeout"),
        (timeout.unwrap_or(HANDSHAKE_TIMEOUT_S),),
    )?;
    let r = exchange(sock, out.get(..n).unwrap_or(&[]), &nonce);
    sock.call_method1(intern!(py, "settimeout"), (own,))?;
    let early = r?;
    Ok(WsLink {
        dec: Decoder::new(MAX_FRAME),
        early,
        pool: Vec::new(),
    })
}

/// Send the request, read the answer; returns the bytes behind it.
fn exchange(sock: &Bound<'_, PyAny>, request: &[u8], nonce: &[u8; 16]) -> PyResult<Vec<u8>> {
    let py = sock.py();
    sock.call_method1(intern!(py, "sendall"), (PyBytes::new(py, request),))?;
    let mut hs = Handshake::new(nonce);
    loop {
        let data = sock.call_method1(intern!(py, "recv"), (4096,))?;
        let data = data.cast::<PyBytes>()?.as_bytes();
        if data.is_empty() {
            return Err(to_pyerr(Error::ConnectionClosed, None));
        }
        if let Some(used) = hs.push(data).map_err(ws_err)? {
            return Ok(data.get(used..).unwrap_or(&[]).to_vec());
        }
    }
}

fn ws_err(e: WsError) -> PyErr {
    to_pyerr(Error::WebSocket(e), None)
}

impl PyHost<'_, '_> {
    /// Keep the exception for a WebSocket failure and report it to the core
    /// as an I/O error: the stream is broken, the connection must go.
    fn ws_fatal(&mut self, e: PyErr) -> Error {
        self.error = Some(e);
        Error::Io(EPROTO)
    }

    /// Write one MQTT packet as one binary frame.
    pub(crate) fn ws_write(&mut self, link: &mut WsLink, data: &[u8]) -> Result<(), Error> {
        let py = self.py();
        let mask = link.mask(py).map_err(|e| self.ws_fatal(e))?;
        let mut out = vec![0u8; frame::frame_len(data.len())];
        let n = frame::encode(Opcode::Binary, data, mask, &mut out)
            .map_err(|e| self.ws_fatal(ws_err(e)))?;
        self.write_raw(out.get(..n).unwrap_or(&[]))
    }

    /// Read MQTT bytes: raw bytes into `buf`, unframed in place. Answers
    /// pings; a close from the server is `OSError(-1)` with its code.
    pub(crate) fn ws_read(
        &mut self,
        link: &mut WsLink,
        buf: &mut [u8],
        wait: ReadWait,
    ) -> Result<ReadResult, Error> {
        let py = self.py();
        loop {
            // MQTT bytes before a close were handed out first; now the close.
            if link.dec.is_closed() {
                return Err(self.ws_closed(link));
            }
            let got = if link.early.is_empty() {
                match self.read_raw(buf, wait)? {
                    ReadResult::Data(n) => n,
                    other => return Ok(other),
                }
            } else {
                let n = link.early.len().min(buf.len());
                for (d, s) in buf.iter_mut().zip(link.early.drain(..n)) {
                    *d = s;
                }
                n
            };
            let raw = buf.get_mut(..got).unwrap_or(&mut []);
            let n = link
                .dec
                .decode_in_place(raw)
                .map_err(|e| self.ws_fatal(ws_err(e)))?;
            if link.dec.pong_due() {
                let mask = link.mask(py).map_err(|e| self.ws_fatal(e))?;
                let mut out = [0u8; frame::MAX_CLIENT_HEADER + frame::MAX_CONTROL_PAYLOAD];
                let len = link
                    .dec
                    .encode_pong(mask, &mut out)
                    .map_err(|e| self.ws_fatal(ws_err(e)))?;
                self.write_raw(out.get(..len).unwrap_or(&[]))?;
            }
            if n > 0 {
                return Ok(ReadResult::Data(n));
            }
            // Only control frames or a partial header: read again (a poll
            // then finds nothing and says so), or report the close.
        }
    }

    /// The server closed the WebSocket: reply (best effort, the connection
    /// is over anyway) and raise `OSError(-1, "... (websocket close N)")`.
    fn ws_closed(&mut self, link: &mut WsLink) -> Error {
        let py = self.py();
        let mut out = [0u8; 16];
        if let Ok(mask) = link.mask(py) {
            if let Ok(len) = link.dec.encode_close_reply(mask, &mut out) {
                let _ = self.write_raw(out.get(..len).unwrap_or(&[]));
            }
        }
        let msg = match link.dec.close_code() {
            Some(c) => format!("{} (websocket close {c})", Error::ConnectionClosed.as_str()),
            None => format!("{} (websocket close)", Error::ConnectionClosed.as_str()),
        };
        self.error = Some(PyOSError::new_err((code::CLOSED, msg)));
        Error::Io(code::CLOSED)
    }

    /// disconnect(), after DISCONNECT: on a WebSocket, the closing
    /// handshake's first frame (status 1000); the socket is closed next.
    pub(crate) fn ws_close(&mut self) -> Result<(), Error> {
        let Some(link) = self.ws.take() else {
            return Ok(());
        };
        let py = self.py();
        let mask = link.mask(py).map_err(|e| self.ws_fatal(e))?;
        let mut out = [0u8; 16];
        let n = frame::encode(Opcode::Close, &1000u16.to_be_bytes(), mask, &mut out)
            .map_err(|e| self.ws_fatal(ws_err(e)))?;
        self.write_raw(out.get(..n).unwrap_or(&[]))
    }
}
