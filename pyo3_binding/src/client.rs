//! `umqtt.simple.MQTTClient`: the blocking client class. Its operations
//! (connect.rs, drive.rs, reconnect.rs) run the core's `Client` over the
//! Python socket (host.rs).
use std::time::Instant;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};
use umqtt_core::client::{Client, Op, Request, DEFAULT_TIMEOUT_MS};
use umqtt_core::codec::v5::Context;
use umqtt_core::session::{Config, State};
use umqtt_core::{args, ArgError, ProtocolVersion, QoS};

use crate::buf::{VecBuf, MAX_PACKET};
use crate::convert::{
    to_bytes, to_keepalive, to_ms, to_opt_bytes, to_protocol, to_qos, to_sub_options,
};
use crate::drive::close_quietly;
use crate::errors::to_pyerr;
use crate::reconnect::Attempt;
use crate::sockio::SockState;
use crate::{convert, reconnect, v5, ws};

/// The core client with the default in-flight limits and a registry of
/// subscriptions (restored by reconnect()).
pub(crate) type Core = Client<VecBuf, VecBuf, VecBuf, 16, VecBuf>;

/// Initial receive/transmit buffer sizes; both grow on demand up to
/// MAX_PACKET (the MQTT limit), so any legal packet fits.
const RX_INITIAL: usize = 4096;
const TX_INITIAL: usize = 1024;

/// MQTT 3.1.1 client, compatible with micropython-lib's umqtt.simple 1.8.0.
///
/// port 0 means 8883 with ssl, else 1883. The attributes of umqtt.simple
/// (client_id, sock, server, port, ssl, ssl_params, pid, cb, user, pswd,
/// keepalive, lw_topic, lw_msg, lw_qos, lw_retain) are plain instance
/// attributes, as there: read at connect() time (pid by each QoS 1/2
/// operation), changeable after construction, readable while a call is in
/// progress. Subclassable (umqtt.robust works on top of it).
/// A call while another call of the same client is in progress (a thread,
/// a signal handler) raises RuntimeError, except check_msg(), which returns
/// None (spec/PYAPI.md "Re-entrancy").
#[pyclass(subclass, dict, weakref, module = "umqtt.simple", name = "MQTTClient")]
pub struct MQTTClient {
    /// The engine, kept across reconnects, so a `clean_session=False`
    /// reconnect resumes in-flight QoS 1/2 messages.
    pub(crate) core: Core,
    /// What is kept about `sock` across calls (sockio.rs).
    pub(crate) io: SockState,
    /// Origin of the monotonic millisecond clock the core runs on.
    pub(crate) epoch: Instant,
    /// set_reconnect()'s on_reconnect (the policy is the core's).
    pub(crate) on_reconnect: Py<PyAny>,
    /// transport/ws_path/ws_headers, and the open WebSocket (ws.rs).
    pub(crate) ws: ws::WsConfig,
    pub(crate) ws_link: Option<ws::WsLink>,
    /// 4 (MQTT 3.1.1) or 5 (MQTT 5.0), as constructed (the `protocol`
    /// attribute shows it).
    pub(crate) protocol: u8,
    /// The properties of the last connect() (used again by reconnects) and
    /// of the will (set_last_will()).
    pub(crate) connect_properties: Py<PyAny>,
    pub(crate) lw_properties: Py<PyAny>,
    /// set_callback(f, details=True).
    pub(crate) cb_details: bool,
    /// set_auth(): enhanced authentication.
    pub(crate) auth: Option<v5::Auth>,
    /// The fields are written (see `__traverse__`).
    pub(crate) ready: bool,
}

pub(crate) fn new_core() -> Core {
    Client::with_subscriptions(
        Config::default(),
        VecBuf::new(RX_INITIAL, MAX_PACKET),
        VecBuf::new(TX_INITIAL, MAX_PACKET),
        VecBuf::new(0, MAX_PACKET),
        VecBuf::new(0, MAX_PACKET),
    )
}

pub(crate) fn int(py: Python<'_>, v: u16) -> Bound<'_, PyAny> {
    let Ok(i) = v.into_pyobject(py);
    i.into_any()
}

#[pymethods]
impl MQTTClient {
    /// Accepts any arguments so that subclasses may define their own
    /// __init__ signature; the work is done in __init__.
    #[new]
    #[pyo3(
        signature = (*_args, **_kwargs),
        text_signature = "(client_id, server, port=0, user=None, password=None, keepalive=0, ssl=None, ssl_params={}, socket_timeout=None, message_timeout=None, transport='tcp', ws_path='/mqtt', ws_headers=None, protocol=4)"
    )]
    fn __new__(
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> Self {
        let none = || py.None();
        MQTTClient {
            core: new_core(),
            io: SockState::default(),
            epoch: Instant::now(),
            on_reconnect: none(),
            ws: ws::WsConfig::default(),
            ws_link: None,
            protocol: 4,
            connect_properties: none(),
            lw_properties: none(),
            cb_details: false,
            auth: None,
            ready: true,
        }
    }

    /// Set the connection parameters (nothing is sent before connect()).
    /// socket_timeout: seconds one write may wait for a socket that takes no
    /// data; message_timeout: seconds CONNACK, SUBACK, UNSUBACK, PUBACK and
    /// PUBCOMP may take (both default 30; spec/PYAPI.md "Timeouts").
    #[pyo3(
        signature = (client_id, server, port=None, user=None, password=None, keepalive=None, ssl=None, ssl_params=None, socket_timeout=None, message_timeout=None, transport=None, ws_path=None, ws_headers=None, protocol=None)
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
        socket_timeout: Option<Bound<'py, PyAny>>,
        message_timeout: Option<Bound<'py, PyAny>>,
        transport: Option<Bound<'py, PyAny>>,
        ws_path: Option<Bound<'py, PyAny>>,
        ws_headers: Option<Bound<'py, PyAny>>,
        protocol: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let socket_ms = to_ms(socket_timeout.as_ref(), "socket_timeout")?;
        let message_ms = to_ms(message_timeout.as_ref(), "message_timeout")?;
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
        let ws = ws::WsConfig::new(transport.as_ref(), ws_path.as_ref(), ws_headers.as_ref())?;
        // The WebSocket target is checked now whatever the port (a bad URL
        // fails here, on both runtimes).
        let ws_port = ws.default_port(&server, ssl.is_truthy()?)?;
        let port = if port.extract::<i64>().is_ok_and(|p| p == 0) {
            int(py, ws_port)
        } else {
            port
        };
        let ssl_params = match ssl_params {
            Some(p) => p,
            None => PyDict::new(py).into_any(),
        };
        let protocol = protocol.map_or(Ok(ProtocolVersion::V311), |p| to_protocol(&p))?;
        {
            let mut this = Self::guard(slf)?;
            this.protocol = protocol.level();
            this.core.set_timeouts(
                socket_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
                message_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            );
            this.ws = ws;
        }
        // umqtt.simple's attributes, in its order, then ours.
        let none = py.None().into_bound(py);
        let (zero, no) = (int(py, 0), PyBool::new(py, false).to_owned().into_any());
        let attrs = [
            ("client_id", client_id),
            ("sock", none.clone()),
            ("server", server),
            ("port", port),
            ("ssl", ssl),
            ("ssl_params", ssl_params),
            ("pid", zero.clone()),
            ("cb", none.clone()),
            ("user", user),
            ("pswd", password),
            ("keepalive", keepalive),
            ("lw_topic", none.clone()),
            ("lw_msg", none),
            ("lw_qos", zero),
            ("lw_retain", no),
            ("protocol", int(py, u16::from(protocol.level()))),
            ("connack_properties", PyDict::new(py).into_any()),
        ];
        for (name, value) in attrs {
            slf.setattr(name, value)?;
        }
        Ok(())
    }

    /// Set the function called as f(topic: bytes, msg: bytes) for each
    /// received message; with details=True as f(topic, msg, details), where
    /// details has .qos, .retain, .dup and .properties (a dict).
    #[pyo3(signature = (f, details=None), text_signature = "(self, f, details=False)")]
    fn set_callback(
        slf: &Bound<'_, Self>,
        f: &Bound<'_, PyAny>,
        details: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let details = details.map_or(Ok(false), |d| d.is_truthy())?;
        Self::guard(slf)?.cb_details = details;
        slf.setattr(intern!(slf.py(), "cb"), f)
    }

    /// MQTT 5 enhanced authentication: the next connect() sends
    /// `authentication_method` = method and `authentication_data` = data
    /// (bytes or None); `on_challenge(data: bytes) -> bytes` answers each
    /// AUTH challenge of the broker (it must not call this client).
    fn set_auth(
        &mut self,
        method: Bound<'_, pyo3::types::PyString>,
        data: Option<Bound<'_, pyo3::types::PyBytes>>,
        on_challenge: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = on_challenge.py();
        if self.protocol != 5 {
            return Err(to_pyerr(ArgError::PropertiesNeedV5.into(), None));
        }
        if !on_challenge.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "on_challenge must be callable",
            ));
        }
        self.auth = Some(v5::Auth {
            method: method.unbind(),
            data: data.map_or_else(|| py.None(), |d| d.into_any().unbind()),
            on_challenge: on_challenge.unbind(),
        });
        Ok(())
    }

    /// MQTT 5 re-authentication after a connect with set_auth(): sends
    /// AUTH with `data`; set_auth()'s on_challenge answers each challenge;
    /// returns when the broker accepted (messages arriving meanwhile go to
    /// the callback). Without set_auth() or its accepted connect:
    /// ValueError.
    #[pyo3(signature = (data=None))]
    fn reauthenticate(
        slf: &Bound<'_, Self>,
        data: Option<Bound<'_, pyo3::types::PyBytes>>,
    ) -> PyResult<()> {
        let f = Self::guard(slf)?
            .auth
            .as_ref()
            .map(|a| a.on_challenge.clone_ref(slf.py()))
            .ok_or_else(|| to_pyerr(ArgError::NoAuthInProgress.into(), None))?;
        let data = data.as_ref().map_or(&[][..], |d| d.as_bytes());
        Self::reauthenticate_with(slf, data, &f)
    }

    /// Set the last will, sent with the next connect(). topic must not be
    /// empty; qos is 0, 1 or 2.
    #[pyo3(
        signature = (topic, msg, retain=None, qos=None, properties=None),
        text_signature = "(self, topic, msg, retain=False, qos=0, properties=None)"
    )]
    fn set_last_will<'py>(
        slf: &Bound<'py, Self>,
        topic: Bound<'py, PyAny>,
        msg: Bound<'py, PyAny>,
        retain: Option<Bound<'py, PyAny>>,
        qos: Option<Bound<'py, PyAny>>,
        properties: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let v5 = Self::guard(slf)?.protocol == 5;
        v5::from_py(properties.as_ref(), Context::Will, v5)?;
        let retain = retain.unwrap_or_else(|| PyBool::new(py, false).to_owned().into_any());
        // Kept as the int the core checked (True is 1), as on MicroPython.
        let qos = qos.map_or(Ok(QoS::AtMostOnce), |q| to_qos(&q))?;
        args::will_topic(to_bytes(&topic, "topic")?.as_bytes()).map_err(|e| to_pyerr(e, None))?;
        to_bytes(&msg, "msg")?;
        Self::guard(slf)?.lw_properties = properties.map_or_else(|| py.None(), Bound::unbind);
        slf.setattr("lw_topic", topic)?;
        slf.setattr("lw_msg", msg)?;
        slf.setattr("lw_qos", int(py, u16::from(qos as u8)))?;
        slf.setattr("lw_retain", retain)
    }

    /// Open self.sock to the broker (TLS per ssl/ssl_params), send CONNECT
    /// and wait for CONNACK: `timeout` seconds for all of it, else 30 s for
    /// each step. Returns 1 if the broker resumed a stored session, else 0.
    /// A refused connection raises MQTTException(return code 1..5).
    /// MQTT 5: `properties` (a dict) go with the CONNECT and are kept for
    /// later connects that pass none (reconnects); `{}` clears them.
    #[pyo3(
        signature = (clean_session=None, timeout=None, properties=None),
        text_signature = "(self, clean_session=True, timeout=None, properties=None)"
    )]
    fn connect(
        slf: &Bound<'_, Self>,
        clean_session: Option<Bound<'_, PyAny>>,
        timeout: Option<Bound<'_, PyAny>>,
        properties: Option<Bound<'_, PyAny>>,
    ) -> PyResult<u8> {
        // Any truthy value, as in umqtt.simple (connect(0) is seen in the wild).
        let clean_session = clean_session.map_or(Ok(true), |c| c.is_truthy())?;
        let timeout_ms = to_ms(timeout.as_ref(), "timeout")?;
        Self::connect_with(slf, clean_session, timeout_ms, properties)
    }

    /// Send DISCONNECT and close the socket. On a connection that is
    /// already gone (or never made) it only closes the socket, so it is safe
    /// in `finally:` blocks.
    /// MQTT 5: `reason` (e.g. 4: publish the will) and `properties`.
    #[pyo3(signature = (reason=None, properties=None), text_signature = "(self, reason=0, properties=None)")]
    fn disconnect(
        slf: &Bound<'_, Self>,
        reason: Option<&Bound<'_, PyAny>>,
        properties: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let v5 = Self::guard(slf)?.protocol == 5;
        let reason = reason.map_or(Ok(0), |r| convert::to_reason(r, v5))?;
        let props = v5::from_py(properties.as_ref(), Context::Disconnect, v5)?;
        let sock = slf.getattr(intern!(slf.py(), "sock"))?;
        let connected = {
            let mut t = Self::guard(slf)?;
            let connected = t.core.session().state() == State::Connected;
            if !connected {
                // Gone on purpose: automatic reconnect does not bring it back.
                t.core.closed();
            }
            connected
        };
        let r = if connected && !sock.is_none() {
            Self::with_core(slf, |core, host| {
                core.disconnect_v5(host, reason, props.get())?;
                host.ws_close()
            })
        } else {
            Ok(())
        };
        close_quietly(&sock);
        r
    }

    /// Send PINGREQ (the PINGRESP is consumed by wait_msg()/check_msg()).
    fn ping(slf: &Bound<'_, Self>) -> PyResult<()> {
        while let Attempt::Lost = Self::attempt(slf, |core, host| core.ping(host))? {
            Self::recover(slf)?;
        }
        Ok(())
    }

    /// Publish msg to topic (bytes or str). QoS 1 waits for PUBACK, QoS 2
    /// for PUBCOMP; messages arriving meanwhile go to the callback. MQTT 5:
    /// `properties`, and QoS 1/2 return the ack's reason code (from 0x80 up
    /// MQTTException(code, reason_string)); else None.
    #[pyo3(
        signature = (topic, msg, retain=None, qos=None, properties=None),
        text_signature = "(self, topic, msg, retain=False, qos=0, properties=None)"
    )]
    fn publish(
        slf: &Bound<'_, Self>,
        topic: &Bound<'_, PyAny>,
        msg: &Bound<'_, PyAny>,
        retain: Option<&Bound<'_, PyAny>>,
        qos: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<u8>> {
        let topic = to_bytes(topic, "topic")?;
        let msg = to_bytes(msg, "msg")?;
        let qos = qos.map_or(Ok(QoS::AtMostOnce), to_qos)?;
        let retain = retain.map_or(Ok(false), |r| r.is_truthy())?;
        let v5 = Self::guard(slf)?.protocol == 5;
        let props = v5::from_py(properties, Context::Publish, v5)?;
        let op = Op::PublishV5 {
            topic: topic.as_bytes(),
            payload: msg.as_bytes(),
            qos,
            retain,
            properties: props.get(),
        };
        Self::perform(slf, Request::new(op), true)
    }

    /// Subscribe to a topic filter and wait for SUBACK. Needs a callback
    /// (set_callback). Returns the granted QoS; a refusal raises
    /// MQTTException(128) (MQTT 5: MQTTException(code, reason_string)).
    /// `topic` may be a list of (filter, qos) pairs: one SUBSCRIBE, and the
    /// list of codes is returned without raising. The options and
    /// `properties` need MQTT 5 (spec/PYAPI.md "MQTT 5").
    #[pyo3(
        signature = (topic, qos=None, no_local=None, retain_as_published=None, retain_handling=None, properties=None),
        text_signature = "(self, topic, qos=0, no_local=False, retain_as_published=False, retain_handling=0, properties=None)"
    )]
    fn subscribe(
        slf: &Bound<'_, Self>,
        topic: &Bound<'_, PyAny>,
        qos: Option<&Bound<'_, PyAny>>,
        no_local: Option<&Bound<'_, PyAny>>,
        retain_as_published: Option<&Bound<'_, PyAny>>,
        retain_handling: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        if slf.getattr(intern!(slf.py(), "cb"))?.is_none() {
            return Err(to_pyerr(ArgError::NoCallback.into(), None));
        }
        let v5 = Self::guard(slf)?.protocol == 5;
        let (no_local, retain_as_published, retain_handling) =
            to_sub_options(v5, no_local, retain_as_published, retain_handling)?;
        let options = v5::SubscribeOptions {
            no_local,
            retain_as_published,
            retain_handling,
        };
        v5::subscribe(slf, topic, qos, options, properties)
    }

    /// Unsubscribe from a topic filter and wait for UNSUBACK. MQTT 5:
    /// `properties`; returns the UNSUBACK's reason code (0x11: there was no
    /// such subscription; from 0x80 up MQTTException(code, reason_string)).
    #[pyo3(signature = (topic, properties=None))]
    fn unsubscribe(
        slf: &Bound<'_, Self>,
        topic: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<u8>> {
        let topic = to_bytes(topic, "topic")?;
        let v5 = Self::guard(slf)?.protocol == 5;
        let props = v5::from_py(properties, Context::Unsubscribe, v5)?;
        let filters = [topic.as_bytes()];
        let op = Op::UnsubscribeV5 {
            filters: &filters,
            properties: props.get(),
        };
        Self::perform(slf, Request::new(op), true)
    }

    /// Process one packet from the broker, blocking as the socket is
    /// configured. Sends PINGREQ when keepalive is due (their PINGRESPs do
    /// not end the wait). Returns the PUBLISH's first byte (48 | flags)
    /// after a message went to the callback, None for the PINGRESP of
    /// ping() or when a non-blocking socket has no whole packet, else the
    /// first byte of the packet processed. Leaves the socket blocking.
    pub(crate) fn wait_msg(slf: &Bound<'_, Self>) -> PyResult<Option<u8>> {
        Self::wait_one(slf)
    }

    /// Non-blocking wait_msg(): sets the socket non-blocking and calls
    /// self.wait_msg(). Returns None when no whole packet is there (partial
    /// bytes stay buffered), and at once while another call of this client
    /// is in progress (that call delivers the messages).
    fn check_msg(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        Self::check_one(slf)
    }

    /// Turn on automatic reconnect: publish(), subscribe(), unsubscribe(),
    /// wait_msg(), check_msg() and ping() that lose the connection call
    /// self.reconnect() and carry on (a publish waits for its own resent
    /// message). attempts=0: no limit. on_reconnect(session_present) is
    /// called after each reconnect. See README "Reconnect".
    #[pyo3(
        signature = (attempts=None, min_delay=None, max_delay=None, on_reconnect=None),
        text_signature = "($self, attempts=10, min_delay=0.5, max_delay=30.0, on_reconnect=None)"
    )]
    fn set_reconnect(
        slf: &Bound<'_, Self>,
        attempts: Option<&Bound<'_, PyAny>>,
        min_delay: Option<&Bound<'_, PyAny>>,
        max_delay: Option<&Bound<'_, PyAny>>,
        on_reconnect: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let on_reconnect = on_reconnect.unwrap_or_else(|| slf.py().None());
        let policy = reconnect::policy(slf.py(), attempts, min_delay, max_delay, &on_reconnect)?;
        let mut this = Self::guard(slf)?;
        this.core.set_reconnect(Some(policy));
        this.on_reconnect = on_reconnect;
        Ok(())
    }

    /// Close the socket, call self.connect(False) up to `attempts` times
    /// with doubling, jittered delays between failures (raising the last
    /// error), restore the subscriptions if the broker lost the session,
    /// call on_reconnect. Returns session present (0 or 1).
    fn reconnect(slf: &Bound<'_, Self>) -> PyResult<u8> {
        Self::reconnect_loop(slf)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // The collector can run while the object is being made (the base
        // `object.__new__` allocates its __dict__ after the object is
        // tracked), before pyo3 writes the fields: the memory is zeroed
        // then, and its null object pointers must not be visited.
        if !self.ready {
            return Ok(());
        }
        // (pyo3 visits the instance __dict__, where the attributes are.)
        for obj in [
            &self.connect_properties,
            &self.lw_properties,
            &self.on_reconnect,
        ] {
            visit.call(obj)?;
        }
        self.io.traverse(&visit)
    }

    fn __clear__(&mut self) {
        // The fields that can close a reference cycle (callbacks are often
        // bound methods of a subclass instance); pyo3 clears the __dict__.
        Python::attach(|py| {
            self.io.clear();
            self.on_reconnect = py.None();
        });
    }
}
