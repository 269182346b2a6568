//! CPython binding of umqtt-core: `umqtt.simple.MQTTClient`, a drop-in for
//! micropython-lib's umqtt.simple 1.8.0 (see spec/PYAPI.md).
//!
//! The class converts arguments and delegates to `umqtt_core::client::Client`;
//! socket I/O goes through the Python socket object in `self.sock`
//! (`host.rs`). Python code (user callbacks, subclass overrides) is only ever
//! called while no borrow of the object is held, so it may re-enter the
//! client (publish from a callback) freely.
use std::collections::HashMap;
use std::time::Instant;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyTuple};
use pyo3::{intern, PyTraverseError, PyVisit};
use umqtt_core::client::{Client, Progress, WaitFor};
use umqtt_core::session::{Config, State};
use umqtt_core::{Error, PacketId, QoS};

mod buf;
mod convert;
mod errors;
mod host;
mod net;
mod params;

use buf::{VecBuf, MAX_PACKET};
use convert::{secs_to_ms, to_bytes, to_keepalive, to_opt_bytes, to_qos, to_timeout};
use errors::{not_connected, to_pyerr, MQTTException, SUBSCRIBE_REFUSED};
use host::PyHost;
use params::ConnectParams;

type Core = Client<VecBuf, VecBuf>;

/// Initial receive/transmit buffer sizes; both grow on demand up to
/// MAX_PACKET (the MQTT limit), so any legal packet fits.
const RX_INITIAL: usize = 4096;
const TX_INITIAL: usize = 1024;
/// PINGRESP first byte: wait_msg() returns None for it, like umqtt.simple.
const PINGRESP: u8 = 0xD0;

/// What one round of the core produced, owned so no borrow outlives it.
enum Step {
    Message(Py<PyBytes>, Py<PyBytes>),
    Done,
    Idle,
    Packet(u8),
}

/// MQTT 3.1.1 client, compatible with micropython-lib's umqtt.simple 1.8.0.
///
/// port 0 means 8883 with ssl, else 1883. Attributes (client_id, sock,
/// server, port, ssl, ssl_params, pid, cb, user, pswd, keepalive, lw_topic,
/// lw_msg, lw_qos, lw_retain) are read at connect() time and may be changed
/// after construction. Subclassable (umqtt.robust works on top of it).
/// Not thread-safe: a call while another thread is inside a method of the
/// same client raises RuntimeError.
#[pyclass(subclass, dict, weakref, module = "umqtt.simple", name = "MQTTClient")]
pub struct MQTTClient {
    /// Client identifier (bytes or str).
    #[pyo3(get, set)]
    client_id: Py<PyAny>,
    /// The socket (None until connect()).
    #[pyo3(get, set)]
    sock: Py<PyAny>,
    /// Broker host name or address.
    #[pyo3(get, set)]
    server: Py<PyAny>,
    /// Broker port.
    #[pyo3(get, set)]
    port: Py<PyAny>,
    /// None/False, True (TLS with ssl_params) or an SSLContext.
    #[pyo3(get, set)]
    ssl: Py<PyAny>,
    /// TLS options used when ssl is True.
    #[pyo3(get, set)]
    ssl_params: Py<PyAny>,
    /// Function called as cb(topic: bytes, msg: bytes) for each message.
    #[pyo3(get, set)]
    cb: Py<PyAny>,
    /// User name (bytes, str or None).
    #[pyo3(get, set)]
    user: Py<PyAny>,
    /// Password (bytes, str or None).
    #[pyo3(get, set)]
    pswd: Py<PyAny>,
    /// Keepalive in seconds (0 = off).
    #[pyo3(get, set)]
    keepalive: Py<PyAny>,
    /// Last-will topic (None = no will).
    #[pyo3(get, set)]
    lw_topic: Py<PyAny>,
    /// Last-will message.
    #[pyo3(get, set)]
    lw_msg: Py<PyAny>,
    /// Last-will QoS.
    #[pyo3(get, set)]
    lw_qos: Py<PyAny>,
    /// Last-will retain flag.
    #[pyo3(get, set)]
    lw_retain: Py<PyAny>,
    /// Created by the first connect() and kept across reconnects, so a
    /// `clean_session=False` reconnect resumes in-flight QoS 1/2 messages.
    core: Option<Core>,
    /// `pid` set before the first connect, applied when `core` is created.
    pid: u16,
    /// Outbound QoS 1/2 PUBLISH frames kept for retransmission, by packet id.
    frames: HashMap<u16, Vec<u8>>,
    /// Origin of the monotonic millisecond clock the core runs on.
    epoch: Instant,
}

fn new_core(pid: u16) -> Core {
    let mut core = Client::new(
        Config::default(),
        VecBuf::new(RX_INITIAL, MAX_PACKET),
        VecBuf::new(TX_INITIAL, MAX_PACKET),
    );
    core.session_mut().set_last_packet_id(pid);
    core
}

fn int(py: Python<'_>, v: u16) -> Bound<'_, PyAny> {
    let Ok(i) = v.into_pyobject(py);
    i.into_any()
}

fn close_quietly(sock: &Bound<'_, PyAny>) {
    if !sock.is_none() {
        // The connection is being abandoned; a failing close changes nothing.
        let _ = sock.call_method0(intern!(sock.py(), "close"));
    }
}

impl MQTTClient {
    /// Run `f` on the core with a host over `self.sock`, holding the borrow
    /// only for its duration. Maps core errors to Python exceptions and
    /// closes the socket when the error ended the connection.
    fn with_core<'py, T>(
        slf: &Bound<'py, Self>,
        f: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<T, Error>,
    ) -> PyResult<T> {
        let py = slf.py();
        let mut guard = slf.try_borrow_mut()?;
        let this = &mut *guard;
        let sock = this.sock.bind(py).clone();
        let Some(core) = this.core.as_mut() else {
            return Err(not_connected());
        };
        if sock.is_none() {
            return Err(not_connected());
        }
        let write_timeout = core.session().config().response_timeout_ms;
        let mut host = PyHost::new(sock.clone(), this.epoch, &mut this.frames, write_timeout);
        match f(core, &mut host) {
            Ok(v) => Ok(v),
            Err(e) => {
                let lost = core.session().state() != State::Connected;
                let err = to_pyerr(py, e, host.error.take());
                drop(guard);
                if lost {
                    close_quietly(&sock);
                }
                Err(err)
            }
        }
    }

    /// One round of the core, with a message copied out as bytes.
    fn step(slf: &Bound<'_, Self>, until: WaitFor) -> PyResult<Step> {
        let py = slf.py();
        Self::with_core(slf, |core, host| {
            Ok(match core.run(host, until)? {
                Progress::Message(p) => Step::Message(
                    PyBytes::new(py, p.topic).unbind(),
                    PyBytes::new(py, p.payload).unbind(),
                ),
                Progress::Done => Step::Done,
                Progress::Idle => Step::Idle,
                Progress::Packet(op) => Step::Packet(op),
            })
        })
    }

    /// Deliver a message to `self.cb` (no borrow held). Messages arriving
    /// without a callback (say, from a resumed session) are dropped.
    fn deliver(slf: &Bound<'_, Self>, topic: Py<PyBytes>, msg: Py<PyBytes>) -> PyResult<()> {
        let py = slf.py();
        let cb = slf.try_borrow()?.cb.clone_ref(py);
        if !cb.is_none(py) {
            cb.call1(py, (topic, msg))?;
        }
        Ok(())
    }

    /// Wait for the acknowledgement of `id`, delivering messages meanwhile.
    fn wait_ack(slf: &Bound<'_, Self>, id: PacketId) -> PyResult<()> {
        loop {
            match Self::step(slf, WaitFor::Ack(id))? {
                Step::Message(t, m) => Self::deliver(slf, t, m)?,
                _ => return Ok(()),
            }
        }
    }

    fn sock<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let sock = slf.try_borrow()?.sock.bind(slf.py()).clone();
        if sock.is_none() {
            return Err(not_connected());
        }
        Ok(sock)
    }
}

#[pymethods]
impl MQTTClient {
    /// Accepts any arguments so that subclasses may define their own
    /// __init__ signature; the work is done in __init__.
    #[new]
    #[pyo3(
        signature = (*_args, **_kwargs),
        text_signature = "(client_id, server, port=0, user=None, password=None, keepalive=0, ssl=None, ssl_params={})"
    )]
    fn __new__(
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> Self {
        let none = || py.None();
        let int = |v| int(py, v).unbind();
        MQTTClient {
            client_id: none(),
            sock: none(),
            server: none(),
            port: int(0),
            ssl: none(),
            ssl_params: PyDict::new(py).into_any().unbind(),
            cb: none(),
            user: none(),
            pswd: none(),
            keepalive: int(0),
            lw_topic: none(),
            lw_msg: none(),
            lw_qos: int(0),
            lw_retain: PyBool::new(py, false).to_owned().into_any().unbind(),
            core: None,
            pid: 0,
            frames: HashMap::new(),
            epoch: Instant::now(),
        }
    }

    /// Set the connection parameters (nothing is sent before connect()).
    #[pyo3(
        signature = (client_id, server, port=None, user=None, password=None, keepalive=None, ssl=None, ssl_params=None)
    )]
    #[allow(clippy::too_many_arguments)]
    fn __init__<'py>(
        slf: &Bound<'py, Self>,
        client_id: Bound<'py, PyAny>,
        server: Bound<'py, PyAny>,
        port: Option<Bound<'py, PyAny>>,
        user: Option<Bound<'py, PyAny>>,
        password: Option<Bound<'py, PyAny>>,
        keepalive: Option<Bound<'py, PyAny>>,
        ssl: Option<Bound<'py, PyAny>>,
        ssl_params: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let none = || py.None().into_bound(py);
        let (user, password, ssl) = (
            user.unwrap_or_else(none),
            password.unwrap_or_else(none),
            ssl.unwrap_or_else(none),
        );
        let keepalive = keepalive.unwrap_or_else(|| int(py, 0));
        let port = port.unwrap_or_else(|| int(py, 0));
        // Fail early on types connect() would reject anyway.
        to_bytes(&client_id, "client_id")?;
        to_opt_bytes(&user, "user")?;
        to_opt_bytes(&password, "password")?;
        to_keepalive(&keepalive)?;
        let port = if port.extract::<i64>().is_ok_and(|p| p == 0) {
            int(py, if ssl.is_truthy()? { 8883 } else { 1883 })
        } else {
            port
        };
        let ssl_params = match ssl_params {
            Some(p) => p,
            None => PyDict::new(py).into_any(),
        };
        let mut this = slf.try_borrow_mut()?;
        this.client_id = client_id.unbind();
        this.server = server.unbind();
        this.port = port.unbind();
        this.user = user.unbind();
        this.pswd = password.unbind();
        this.keepalive = keepalive.unbind();
        this.ssl = ssl.unbind();
        this.ssl_params = ssl_params.unbind();
        Ok(())
    }

    /// The packet id used last (writable: the next id follows it).
    #[getter]
    fn get_pid(&self) -> u16 {
        self.core
            .as_ref()
            .map_or(self.pid, |c| c.session().last_packet_id())
    }

    #[setter]
    fn set_pid(&mut self, pid: u16) {
        self.pid = pid;
        if let Some(core) = self.core.as_mut() {
            core.session_mut().set_last_packet_id(pid);
        }
    }

    /// Set the function called as f(topic: bytes, msg: bytes) for each
    /// received message.
    fn set_callback(&mut self, f: Py<PyAny>) {
        self.cb = f;
    }

    /// Set the last will, sent with the next connect(). topic must not be
    /// empty; qos is 0, 1 or 2.
    #[pyo3(
        signature = (topic, msg, retain=None, qos=None),
        text_signature = "(self, topic, msg, retain=False, qos=0)"
    )]
    fn set_last_will<'py>(
        &mut self,
        py: Python<'py>,
        topic: Bound<'py, PyAny>,
        msg: Bound<'py, PyAny>,
        retain: Option<Bound<'py, PyAny>>,
        qos: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let retain = retain.unwrap_or_else(|| PyBool::new(py, false).to_owned().into_any());
        let qos = qos.unwrap_or_else(|| int(py, 0));
        to_qos(&qos)?;
        if to_bytes(&topic, "topic")?.as_bytes().is_empty() {
            return Err(PyValueError::new_err("last will topic must not be empty"));
        }
        to_bytes(&msg, "msg")?;
        self.lw_topic = topic.unbind();
        self.lw_msg = msg.unbind();
        self.lw_retain = retain.unbind();
        self.lw_qos = qos.unbind();
        Ok(())
    }

    /// Open self.sock to the broker (TLS per ssl/ssl_params), send CONNECT
    /// and wait for CONNACK (at most `timeout` seconds, else 30 s). Returns
    /// 1 if the broker resumed a stored session, else 0. A refused
    /// connection raises MQTTException(return code 1..5).
    #[pyo3(
        signature = (clean_session=None, timeout=None),
        text_signature = "(self, clean_session=True, timeout=None)"
    )]
    fn connect(
        slf: &Bound<'_, Self>,
        clean_session: Option<Bound<'_, PyAny>>,
        timeout: Option<Bound<'_, PyAny>>,
    ) -> PyResult<u8> {
        let py = slf.py();
        // Any truthy value, as in umqtt.simple (connect(0) is seen in the wild).
        let clean_session = clean_session.map_or(Ok(true), |c| c.is_truthy())?;
        let timeout_s = to_timeout(timeout.as_ref())?;
        let timeout_ms = timeout_s.map(secs_to_ms);
        // Snapshot the attributes: connect() reads them at call time.
        let (old, server, port, ssl, ssl_params) = {
            let t = slf.try_borrow()?;
            (
                t.sock.bind(py).clone(),
                t.server.bind(py).clone(),
                t.port.bind(py).clone(),
                t.ssl.bind(py).clone(),
                t.ssl_params.bind(py).clone(),
            )
        };
        let params = ConnectParams::read(py, &*slf.try_borrow()?)?;
        let c = params.packet(clean_session);
        // Bad arguments (client id, will topic, ...) fail before any I/O.
        c.encoded_len().map_err(|e| to_pyerr(py, e, None))?;
        // A reconnect replaces the socket; do not leak the old one.
        close_quietly(&old);
        slf.try_borrow_mut()?.sock = py.None();
        let sock = net::open(py, &server, &port, timeout_s, &ssl, &ssl_params)?;
        {
            let mut this = slf.try_borrow_mut()?;
            this.sock = sock.clone().unbind();
            let pid = this.pid;
            this.core.get_or_insert_with(|| new_core(pid));
            if clean_session {
                this.frames.clear();
            }
        }
        let present = Self::with_core(slf, |core, host| core.connect(host, &c, timeout_ms));
        if present.is_err() {
            // Whatever failed, this socket is no good for MQTT any more.
            close_quietly(&sock);
        }
        Ok(u8::from(present?))
    }

    /// Send DISCONNECT and close the socket. On a connection that is
    /// already gone (or never made) it only closes the socket, so it is safe
    /// in `finally:` blocks.
    fn disconnect(slf: &Bound<'_, Self>) -> PyResult<()> {
        let (sock, connected) = {
            let t = slf.try_borrow()?;
            let connected = t
                .core
                .as_ref()
                .is_some_and(|c| c.session().state() == State::Connected);
            (t.sock.bind(slf.py()).clone(), connected)
        };
        let r = if connected && !sock.is_none() {
            Self::with_core(slf, |core, host| core.disconnect(host))
        } else {
            Ok(())
        };
        close_quietly(&sock);
        r
    }

    /// Send PINGREQ (the PINGRESP is consumed by wait_msg()/check_msg()).
    fn ping(slf: &Bound<'_, Self>) -> PyResult<()> {
        Self::with_core(slf, |core, host| core.ping(host))
    }

    /// Publish msg to topic (bytes or str). QoS 1 waits for PUBACK, QoS 2
    /// for PUBCOMP; messages arriving meanwhile go to the callback.
    #[pyo3(
        signature = (topic, msg, retain=None, qos=None),
        text_signature = "(self, topic, msg, retain=False, qos=0)"
    )]
    fn publish(
        slf: &Bound<'_, Self>,
        topic: &Bound<'_, PyAny>,
        msg: &Bound<'_, PyAny>,
        retain: Option<&Bound<'_, PyAny>>,
        qos: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let topic = to_bytes(topic, "topic")?;
        let msg = to_bytes(msg, "msg")?;
        let qos = qos.map_or(Ok(QoS::AtMostOnce), to_qos)?;
        let retain = retain.map_or(Ok(false), |r| r.is_truthy())?;
        let id = Self::with_core(slf, |core, host| {
            core.start_publish(host, topic.as_bytes(), msg.as_bytes(), qos, retain)
        })?;
        match id {
            Some(id) => Self::wait_ack(slf, id),
            None => Ok(()),
        }
    }

    /// Subscribe to a topic filter and wait for SUBACK. Needs a callback
    /// (set_callback). Returns the granted QoS; a refusal raises
    /// MQTTException(128).
    #[pyo3(signature = (topic, qos=None), text_signature = "(self, topic, qos=0)")]
    fn subscribe(
        slf: &Bound<'_, Self>,
        topic: &Bound<'_, PyAny>,
        qos: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u8> {
        if slf.try_borrow()?.cb.is_none(slf.py()) {
            return Err(PyValueError::new_err(
                "subscribe needs a callback: call set_callback() first",
            ));
        }
        let topic = to_bytes(topic, "topic")?;
        let qos = qos.map_or(Ok(QoS::AtMostOnce), to_qos)?;
        let id = Self::with_core(slf, |core, host| {
            core.start_subscribe(host, &[(topic.as_bytes(), qos)])
        })?;
        Self::wait_ack(slf, id)?;
        let code = Self::with_core(slf, |core, _| Ok(core.last_suback().first().copied()))?;
        match code {
            Some(SUBSCRIBE_REFUSED) => Err(MQTTException::new_err((SUBSCRIBE_REFUSED,))),
            Some(granted) => Ok(granted),
            // Only when a nested subscribe() from a callback replaced the
            // codes: the granted QoS is unknown, report the requested one.
            None => Ok(qos as u8),
        }
    }

    /// Unsubscribe from a topic filter and wait for UNSUBACK.
    fn unsubscribe(slf: &Bound<'_, Self>, topic: &Bound<'_, PyAny>) -> PyResult<()> {
        let topic = to_bytes(topic, "topic")?;
        let id = Self::with_core(slf, |core, host| {
            core.start_unsubscribe(host, &[topic.as_bytes()])
        })?;
        Self::wait_ack(slf, id)
    }

    /// Process one packet from the broker, blocking as the socket is
    /// configured. Sends PINGREQ when keepalive is due. Returns None after a
    /// message (callback called), a PINGRESP, or when a non-blocking socket
    /// has no whole packet; else the first byte of the packet processed.
    /// Leaves the socket blocking.
    fn wait_msg(slf: &Bound<'_, Self>) -> PyResult<Option<u8>> {
        let py = slf.py();
        let sock = Self::sock(slf)?;
        let nonblocking = sock
            .call_method0(intern!(py, "gettimeout"))?
            .extract::<Option<f64>>()?
            == Some(0.0);
        let r = Self::step(slf, WaitFor::OnePacket);
        if nonblocking {
            // umqtt.simple leaves the socket blocking after wait_msg(); the
            // socket may be closed by now, which makes this a no-op.
            let _ = sock.call_method1(intern!(py, "setblocking"), (true,));
        }
        match r? {
            Step::Message(t, m) => {
                // Acknowledge right after the callback, like umqtt.simple,
                // even if it raised (the message counts as delivered).
                let delivered = Self::deliver(slf, t, m);
                let flushed = Self::with_core(slf, |core, host| core.flush(host));
                delivered.and(flushed).map(|()| None)
            }
            Step::Packet(PINGRESP) | Step::Done | Step::Idle => Ok(None),
            Step::Packet(op) => Ok(Some(op)),
        }
    }

    /// Non-blocking wait_msg(): sets the socket non-blocking and calls
    /// self.wait_msg(). Returns None when no whole packet is there (partial
    /// bytes stay buffered).
    fn check_msg(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        Self::sock(slf)?.call_method1(intern!(py, "setblocking"), (false,))?;
        // Through the method table, so a subclass's wait_msg (umqtt.robust's
        // reconnecting one) is used, as in umqtt.simple.
        Ok(slf.call_method0(intern!(py, "wait_msg"))?.unbind())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for obj in [
            &self.client_id,
            &self.sock,
            &self.server,
            &self.port,
            &self.ssl,
            &self.ssl_params,
            &self.cb,
            &self.user,
            &self.pswd,
            &self.keepalive,
            &self.lw_topic,
            &self.lw_msg,
            &self.lw_qos,
            &self.lw_retain,
        ] {
            visit.call(obj)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        // The fields that can close a reference cycle (callbacks are often
        // bound methods of a subclass instance).
        Python::attach(|py| {
            self.cb = py.None();
            self.sock = py.None();
            self.ssl = py.None();
            self.ssl_params = py.None();
        });
    }
}

/// The compiled part of the `umqtt` package; import from `umqtt.simple`.
#[pymodule]
fn _umqtt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MQTTClient>()?;
    m.add("MQTTException", m.py().get_type::<MQTTException>())?;
    Ok(())
}
