//! `umqtt._umqtt.Conn`: the sans-IO [`Connection`] for `umqtt.aio`, the
//! asyncio driver written once in Python for both runtimes (the MicroPython
//! module `umqtt/_conn.mpy` offers the same methods).
//!
//! It owns no socket and sleeps never: operations queue packets, `out()`
//! hands over the bytes to write, `feed()` takes received bytes, `event()`
//! says what a frame meant, `deadline()` / `timeout()` run the keepalive and
//! the response timeouts. Every protocol decision (argument rules, window,
//! retry policy) is the core's; this file converts.
//!
//! MQTT 5 (`Conn(5)`): the operations take property dicts (crate::v5),
//! acknowledgements carry their reason codes, a refusal or a server
//! DISCONNECT is `MQTTException(code, reason_string)` as in the blocking
//! client.
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use umqtt_core::codec::v5::{self as codec5, Context, PropertyId, SubOptions};
use umqtt_core::connection::{ack_error, Connection, Event, Transport};
use umqtt_core::session::{Config, State};
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::{args, ArgError, Error, PacketId, ProtocolVersion};

use crate::buf::{VecBuf, MAX_PACKET};
use crate::convert::{
    check_port, to_bytes, to_filters, to_keepalive, to_ms, to_opt_bytes, to_policy, to_protocol,
    to_qos, to_reason, to_sub_options,
};
use crate::errors::{classify, to_pyerr};
use crate::v5::{from_py, to_py, with_auth, with_reason};

/// Event kinds of `event()` (the same numbers in mpy_module/conn).
const EV_CONNECTED: u8 = 1;
const EV_MESSAGE: u8 = 2;
const EV_PUBLISHED: u8 = 3;
const EV_SUBSCRIBED: u8 = 4;
const EV_UNSUBSCRIBED: u8 = 5;
const EV_PONG: u8 = 6;
const EV_OTHER: u8 = 7;
const EV_AUTH: u8 = 8;

/// First sizes of the receive and transmit buffers.
const RX_INITIAL: usize = 512;
const TX_INITIAL: usize = 256;

/// `(topic, msg, qos, retain, properties)` of the will.
type WillArgs<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
);

type Core = Connection<VecBuf, VecBuf, VecBuf, VecBuf, 16>;

fn err(e: Error) -> PyErr {
    to_pyerr(e, None)
}

fn pid(id: Option<PacketId>) -> u16 {
    id.map_or(0, |p| p.get())
}

/// The sans-IO MQTT connection (see spec/PYAPI.md "umqtt.aio").
#[pyclass(module = "umqtt._umqtt", name = "Conn")]
pub struct Conn {
    core: Core,
    /// TCP, or the WebSocket of `ws_open()`.
    wire: Transport<VecBuf>,
    epoch: Instant,
    /// protocol=5.
    v5: bool,
}

impl Conn {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A core error as the blocking client raises it: on MQTT 5 with the
    /// reason string of its packet when the core says so.
    fn err(&self, py: Python<'_>, e: Error) -> PyErr {
        with_reason(err(e), e, self.core.error_reason(&e), py)
    }

    /// The reason code of the ack of the last event (None on 3.1.1).
    fn code(&self) -> Option<u8> {
        self.v5.then(|| self.core.last_reason_code())
    }
}

#[pymethods]
impl Conn {
    #[new]
    #[pyo3(signature = (protocol=None))]
    fn new(protocol: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        let v5 = match protocol {
            Some(p) => to_protocol(&p)? == ProtocolVersion::V5,
            None => false,
        };
        Ok(Conn {
            v5,
            core: Connection::new(
                Config::default(),
                // Small to start (they grow on demand): a process may hold
                // thousands of connections (bench/aio_scale.py).
                VecBuf::new(RX_INITIAL, MAX_PACKET),
                VecBuf::new(TX_INITIAL, MAX_PACKET),
                VecBuf::new(0, MAX_PACKET),
                Subscriptions::new(VecBuf::new(0, MAX_PACKET)),
            ),
            wire: Transport::new(VecBuf::new(0, MAX_PACKET)),
            epoch: Instant::now(),
        })
    }

    /// Queue CONNECT. `will` is None or (topic, msg, qos, retain,
    /// properties); `properties` the CONNECT's (MQTT 5), `auth` None or
    /// set_auth()'s (method, data), which replace the dict's.
    #[pyo3(signature = (client_id, user, password, keepalive, clean_session, will=None, properties=None, auth=None))]
    #[allow(clippy::too_many_arguments)]
    fn connect(
        &mut self,
        client_id: &Bound<'_, PyAny>,
        user: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        keepalive: &Bound<'_, PyAny>,
        clean_session: &Bound<'_, PyAny>,
        will: Option<WillArgs<'_>>,
        properties: Option<&Bound<'_, PyAny>>,
        auth: Option<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
    ) -> PyResult<()> {
        // By truth value, as the blocking client's.
        let clean_session = clean_session.is_truthy()?;
        let client_id = to_bytes(client_id, "client_id")?;
        let user = to_opt_bytes(user, "user")?;
        let password = to_opt_bytes(password, "password")?;
        let keepalive = to_keepalive(keepalive)?;
        let props = with_auth(properties, Context::Connect, self.v5, auth)?;
        let will = match &will {
            Some((t, m, q, r, p)) => {
                let t = to_bytes(t, "topic")?;
                args::will_topic(t.as_bytes()).map_err(err)?;
                let p = from_py(Some(p), Context::Will, self.v5)?;
                Some((t, to_bytes(m, "msg")?, to_qos(q)?, r.is_truthy()?, p))
            }
            None => None,
        };
        let c = codec5::Connect {
            client_id: client_id.as_bytes(),
            keepalive,
            clean_start: clean_session,
            username: user.as_ref().map(|u| u.as_bytes()),
            password: password.as_ref().map(|p| p.as_bytes()),
            will: will.as_ref().map(|(t, m, q, r, p)| codec5::Will {
                topic: t.as_bytes(),
                payload: m.as_bytes(),
                qos: *q,
                retain: *r,
                properties: p.get(),
            }),
            properties: props.get(),
        };
        let protocol = match self.v5 {
            true => ProtocolVersion::V5,
            false => ProtocolVersion::V311,
        };
        let now = self.now();
        self.core.connect_as(protocol, &c, now).map_err(err)?;
        // MQTT over TCP unless ws_open() follows.
        self.wire.tcp();
        Ok(())
    }

    /// After connect(), on the freshly opened socket: MQTT over WebSockets.
    /// `target` is a `ws_target()` result with a path, `headers` the
    /// `ws_headers` argument, `nonce` and `seed` 16 random bytes each (the
    /// handshake's key, the masks). The upgrade request is the first thing
    /// out() returns; a bad path or header is a ValueError.
    fn ws_open(
        &mut self,
        target: (String, u16, bool, String),
        headers: Option<Bound<'_, PyAny>>,
        nonce: &[u8],
        seed: &[u8],
    ) -> PyResult<()> {
        let bytes16 = |b: &[u8]| -> PyResult<[u8; 16]> {
            b.try_into()
                .map_err(|_| pyo3::exceptions::PyValueError::new_err("need 16 random bytes"))
        };
        let cfg = crate::ws::WsConfig::new(None, None, headers.as_ref())?;
        let headers: Vec<(&str, &str)> = cfg
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (host, port, tls, path) = &target;
        let req = umqtt_core::ws::Request {
            host,
            port: *port,
            tls: *tls,
            path,
            headers: &headers,
        };
        self.wire
            .websocket(&req, &bytes16(nonce)?, bytes16(seed)?)
            .map_err(err)
    }

    /// The CONNACK's properties (a dict; `{}` on 3.1.1).
    fn connack_properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_py(py, self.core.connack_properties())
    }

    /// Answer the broker's AUTH challenge (an `EV_AUTH` event) with `data`.
    fn auth_continue(&mut self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = to_bytes(data, "data")?;
        let now = self.now();
        self.core.auth_continue(data.as_bytes(), now).map_err(err)
    }

    /// Start a re-authentication (AUTH 0x19 with `data`) after a CONNECT
    /// with an authentication method; its end is `(EV_OTHER, 0xF0)`.
    fn reauthenticate(&mut self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = to_bytes(data, "data")?;
        let now = self.now();
        self.core.reauthenticate(data.as_bytes(), now).map_err(err)
    }

    /// Queue a PUBLISH; returns its packet id (0 for QoS 0).
    #[pyo3(signature = (topic, msg, qos, retain, properties=None))]
    fn publish(
        &mut self,
        topic: &Bound<'_, PyAny>,
        msg: &Bound<'_, PyAny>,
        qos: &Bound<'_, PyAny>,
        retain: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u16> {
        let retain = retain.is_truthy()?;
        let (topic, msg, qos) = (
            to_bytes(topic, "topic")?,
            to_bytes(msg, "msg")?,
            to_qos(qos)?,
        );
        let now = self.now();
        let (topic, msg) = (topic.as_bytes(), msg.as_bytes());
        let p = from_py(properties, Context::Publish, self.v5)?;
        self.core
            .publish_v5(topic, msg, qos, retain, p.get(), now)
            .map(pid)
            .map_err(err)
    }

    /// Queue a SUBSCRIBE of one filter, or of a list of `(filter, qos)`
    /// pairs (`qos` unused); returns its packet id. The options (for each
    /// filter) and properties need MQTT 5.
    #[pyo3(signature = (topic, qos, no_local=None, retain_as_published=None, retain_handling=None, properties=None))]
    fn subscribe(
        &mut self,
        topic: &Bound<'_, PyAny>,
        qos: &Bound<'_, PyAny>,
        no_local: Option<&Bound<'_, PyAny>>,
        retain_as_published: Option<&Bound<'_, PyAny>>,
        retain_handling: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u16> {
        let (no_local, retain_as_published, retain_handling) =
            to_sub_options(self.v5, no_local, retain_as_published, retain_handling)?;
        let (owned, _) = to_filters(topic, Some(qos))?;
        let p = from_py(properties, Context::Subscribe, self.v5)?;
        let now = self.now();
        let with: Vec<_> = owned
            .iter()
            .map(|(f, qos)| {
                let o = SubOptions {
                    qos: *qos,
                    no_local,
                    retain_as_published,
                    retain_handling,
                };
                (f.as_bytes(), o)
            })
            .collect();
        self.core
            .subscribe_v5(&with, p.get(), now)
            .map(|p| p.get())
            .map_err(err)
    }

    /// Queue an UNSUBSCRIBE of one filter; returns its packet id.
    #[pyo3(signature = (topic, properties=None))]
    fn unsubscribe(
        &mut self,
        topic: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u16> {
        let topic = to_bytes(topic, "topic")?;
        let p = from_py(properties, Context::Unsubscribe, self.v5)?;
        let now = self.now();
        self.core
            .unsubscribe_v5(&[topic.as_bytes()], p.get(), now)
            .map(|p| p.get())
            .map_err(err)
    }

    fn ping(&mut self) -> PyResult<()> {
        let now = self.now();
        self.core.ping(now).map_err(err)
    }

    /// Queue DISCONNECT; MQTT 5: with `reason` (4: the broker publishes
    /// the will) and properties.
    #[pyo3(signature = (reason=None, properties=None))]
    fn disconnect(
        &mut self,
        reason: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let reason = reason.map_or(Ok(0), |r| to_reason(r, self.v5))?;
        let p = from_py(properties, Context::Disconnect, self.v5)?;
        let now = self.now();
        self.core.disconnect_v5(reason, p.get(), now).map_err(err)?;
        self.wire.close(&mut self.core, now).map_err(err)
    }

    /// Everything to write now (taken: write it all), or None.
    fn out<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let now = self.now();
        self.core.queue_pending(now).map_err(err)?;
        match self.wire.poll_transmit(&mut self.core, now).map_err(err)? {
            None => Ok(None),
            Some(b) => {
                let (bytes, n) = (PyBytes::new(py, b), b.len());
                self.wire.transmitted(&mut self.core, n);
                Ok(Some(bytes))
            }
        }
    }

    /// Received bytes; returns how many were taken (the rest after events).
    /// On a WebSocket a refused upgrade (MQTTException 261) or a framing
    /// violation (256) raises: the connection is over.
    fn feed(&mut self, data: &[u8]) -> PyResult<usize> {
        self.wire.feed(&mut self.core, data).map_err(err)
    }

    /// What the next buffered frame meant, or None: a tuple whose first
    /// item is one of the `EV_*` kinds above (umqtt/aio.py reads them).
    fn event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let now = self.now();
        // An error with the connection still up (FrameTooLarge, 258: the
        // packet was skipped) is for umqtt.aio's messages() to raise.
        let ev = match self.wire.poll_event(&mut self.core, now) {
            Ok(Some(ev)) => ev,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.err(py, e)),
        };
        // The request this ack completes failed (the core's rule).
        let failed =
            ack_error(ev, self.core.last_reason_code()).map(|e| self.err(py, e).into_value(py));
        let t = match ev {
            Event::Connected { session_present } => {
                (EV_CONNECTED, session_present).into_pyobject(py)?
            }
            Event::Message { first } => {
                let Some(m) = self.core.message() else {
                    return Err(err(Error::Host));
                };
                let (topic, payload) = (PyBytes::new(py, m.topic), PyBytes::new(py, m.payload));
                if self.v5 {
                    // The PUBLISH's properties (MessageDetails.properties).
                    let p = to_py(py, self.core.last_properties())?;
                    (EV_MESSAGE, topic, payload, first, p).into_pyobject(py)?
                } else {
                    (EV_MESSAGE, topic, payload, first).into_pyobject(py)?
                }
            }
            // (kind, id, the refusal's exception or None, reason code: None on 3.1.1)
            Event::Published(id) => {
                (EV_PUBLISHED, id.get(), failed, self.code()).into_pyobject(py)?
            }
            // (.., the granted QoS, every code of the SUBACK as bytes)
            Event::Subscribed { packet_id, .. } => {
                let codes = self.core.last_suback();
                let granted = codes.first().copied();
                let all = PyBytes::new(py, codes);
                (EV_SUBSCRIBED, packet_id.get(), failed, granted, all).into_pyobject(py)?
            }
            Event::Unsubscribed(id) => {
                (EV_UNSUBSCRIBED, id.get(), failed, self.code()).into_pyobject(py)?
            }
            Event::Pong { requested } => (EV_PONG, requested).into_pyobject(py)?,
            Event::Other(first) => (EV_OTHER, first).into_pyobject(py)?,
            // (EV_AUTH, the challenge's authentication_data)
            Event::AuthChallenge => {
                let p = self.core.last_properties();
                let data = p.get_binary(PropertyId::AuthenticationData);
                (EV_AUTH, PyBytes::new(py, data.unwrap_or_default())).into_pyobject(py)?
            }
        };
        // The acknowledgement of this frame joins the bytes of out().
        self.core.queue_pending(now).map_err(err)?;
        Ok(Some(t))
    }

    /// Milliseconds until timeout() has work (0: now), None: nothing due.
    fn deadline(&self) -> Option<u64> {
        let now = self.now();
        self.wire
            .next_deadline(&self.core)
            .map(|d| d.saturating_sub(now))
    }

    /// Check the deadlines: MQTTException 257 (ping) or OSError ETIMEDOUT.
    fn timeout(&mut self) -> PyResult<()> {
        let now = self.now();
        self.core.handle_timeout(now).map_err(err)
    }

    /// The socket failed or closed: the connection is down. Returns the
    /// exception of a closed connection (the blocking client's OSError).
    fn lost(&mut self, py: Python<'_>) -> Py<PyAny> {
        self.core.fail(&Error::ConnectionClosed);
        err(Error::ConnectionClosed).into_value(py).into_any()
    }

    /// `message_timeout` in seconds (the blocking client's argument):
    /// CONNACK, and with it the opening of the socket, and the
    /// acknowledgements. Negative: ValueError.
    fn set_message_timeout(&mut self, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Some(ms) = to_ms(Some(seconds), "message_timeout")? {
            self.core.set_message_timeout_ms(ms);
        }
        Ok(())
    }

    /// The constructor's checks, the blocking client's: client_id, user and
    /// password bytes or str (None for the last two), keepalive 0..65535.
    fn check_client(
        &self,
        client_id: &Bound<'_, PyAny>,
        user: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        keepalive: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        to_bytes(client_id, "client_id")?;
        to_opt_bytes(user, "user")?;
        to_opt_bytes(password, "password")?;
        to_keepalive(keepalive).map(drop)
    }

    /// set_last_will()'s checks, the blocking client's (the core's rules):
    /// topic and msg bytes or str, the topic not empty, qos 0..2.
    fn check_will(
        &self,
        topic: &Bound<'_, PyAny>,
        msg: &Bound<'_, PyAny>,
        qos: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        args::will_topic(to_bytes(topic, "topic")?.as_bytes()).map_err(err)?;
        to_bytes(msg, "msg")?;
        to_qos(qos).map(drop)
    }

    /// A `timeout` argument in seconds: the blocking client's rule
    /// (TypeError for a non-number, ValueError when negative).
    fn check_timeout(&self, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        to_ms(Some(seconds), "timeout").map(drop)
    }

    /// The port to open: an int port's range (a socket would wrap it) and
    /// the default for 0, MQTT over TCP (the core's rules).
    #[pyo3(signature = (port, ssl=false))]
    fn check_port(&self, port: &Bound<'_, PyAny>, ssl: bool) -> PyResult<u16> {
        check_port(port)?;
        Ok(args::port(port.extract::<u16>()?, ssl, false))
    }

    /// How long opening the socket (TCP, TLS, WebSocket) may take, in ms:
    /// the core's `connect_step_timeout_ms` (message_timeout).
    fn connect_step_ms(&self) -> u32 {
        self.core.connect_step_timeout_ms(None)
    }

    /// The exception of a wait that timed out (the blocking client's OSError).
    fn timed_out(&self, py: Python<'_>) -> Py<PyAny> {
        err(Error::Timeout).into_value(py).into_any()
    }

    /// The exception of an MQTT 5 call on a protocol 4 client (set_auth()),
    /// the blocking client's ValueError.
    fn needs_v5(&self, py: Python<'_>) -> Py<PyAny> {
        err(ArgError::PropertiesNeedV5.into())
            .into_value(py)
            .into_any()
    }

    /// The application closed the connection: nothing reconnects. Returns
    /// the exception of the requests still waiting (OSError(-1)).
    fn closed(&mut self, py: Python<'_>) -> Py<PyAny> {
        self.core.closed();
        err(Error::Disconnected).into_value(py).into_any()
    }

    fn connected(&self) -> bool {
        self.core.session().state() == State::Connected
    }

    /// Free places for QoS 1/2 publishes (the window).
    fn room(&self) -> usize {
        self.core.session().publish_room()
    }

    /// Whether packet id `id` is still unacknowledged.
    fn inflight(&self, id: u16) -> bool {
        PacketId::new(id).is_some_and(|p| self.core.session().is_inflight(p))
    }

    /// set_reconnect(): the core's policy (checked there); attempts < 0 off.
    fn set_reconnect(
        &mut self,
        attempts: &Bound<'_, PyAny>,
        min_delay: &Bound<'_, PyAny>,
        max_delay: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let policy = to_policy(Some(attempts), Some(min_delay), Some(max_delay))?;
        self.core.set_reconnect(Some(policy));
        Ok(())
    }

    fn reconnect_on(&self) -> bool {
        self.core.reconnect_policy().is_some()
    }

    fn reconnect_begin(&mut self, seed: u32) {
        self.core.reconnect_begin(seed);
    }

    /// One attempt failed with `exc`: ms to sleep, -1 give up, -2 raise.
    fn reconnect_failed(&mut self, exc: &Bound<'_, PyAny>) -> i64 {
        let (kind, code) = classify(exc.py(), &PyErr::from_value(exc.clone()));
        self.core.reconnect_failed(kind, code).as_ms()
    }

    /// Whether a failure with `exc` is one to reconnect after.
    fn should_reconnect(&mut self, exc: &Bound<'_, PyAny>) -> bool {
        let (kind, code) = classify(exc.py(), &PyErr::from_value(exc.clone()));
        self.core.should_reconnect(kind, code)
    }

    /// Queue a SUBSCRIBE restoring remembered subscriptions: its id, or 0.
    fn resubscribe(&mut self) -> PyResult<u16> {
        let now = self.now();
        self.core.resubscribe(now).map(pid).map_err(err)
    }
}
