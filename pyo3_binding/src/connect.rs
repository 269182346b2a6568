//! connect(): the socket (TCP, TLS, WebSocket) and the CONNACK of the
//! blocking client, each step within its deadline (the core's rule), with
//! the attributes read at call time.
use std::time::Instant;

use pyo3::intern;
use pyo3::prelude::*;
use umqtt_core::codec::v5::Context;
use umqtt_core::ProtocolVersion;

use crate::drive::close_quietly;
use crate::errors::to_pyerr;
use crate::params::ConnectParams;
use crate::{net, v5, ws, MQTTClient};

fn elapsed_ms(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_millis()).unwrap_or(u32::MAX)
}

fn secs(ms: u32) -> f64 {
    f64::from(ms) / 1000.0
}

impl MQTTClient {
    /// Open the connection and wait for CONNACK: session present (0 or 1).
    pub(crate) fn connect_with(
        slf: &Bound<'_, Self>,
        clean_session: bool,
        timeout_ms: Option<u32>,
        properties: Option<Bound<'_, PyAny>>,
    ) -> PyResult<u8> {
        let py = slf.py();
        let started = Instant::now();
        // connect() reads the attributes at call time.
        let attr = |name| slf.getattr(name);
        let (old, server, port, ssl, ssl_params) = (
            attr(intern!(py, "sock"))?,
            attr(intern!(py, "server"))?,
            attr(intern!(py, "port"))?,
            attr(intern!(py, "ssl"))?,
            attr(intern!(py, "ssl_params"))?,
        );
        let params = ConnectParams::read(slf)?;
        // The range of pid, before any I/O.
        let pid = crate::convert::to_pid(&attr(intern!(py, "pid"))?)?;
        let ws = Self::guard(slf)?.ws.clone();
        let (protocol, props, will_props) = {
            let mut t = Self::guard(slf)?;
            if let Some(p) = &properties {
                t.connect_properties = p.clone().unbind();
            }
            let v5 = t.protocol == 5;
            let auth = t.auth.as_ref().map(|a| a.values(py));
            let stored = t.connect_properties.bind(py);
            let props = v5::with_auth(Some(stored), Context::Connect, v5, auth)?;
            let will = v5::from_py(Some(t.lw_properties.bind(py)), Context::Will, v5)?;
            let protocol = ProtocolVersion::from_level(t.protocol);
            (protocol.unwrap_or(ProtocolVersion::V311), props, will)
        };
        let c5 = params.packet(clean_session, props.get(), will_props.get());
        // Bad arguments (client id, will topic, ...) fail before any I/O.
        c5.encoded_len_for(protocol)
            .map_err(|e| to_pyerr(e, None))?;
        // A reconnect replaces the socket; do not leak the old one.
        close_quietly(&old);
        slf.setattr(intern!(py, "sock"), py.None())?;
        {
            let mut t = Self::guard(slf)?;
            t.ws_link = None;
            t.core.session_mut().set_last_packet_id(pid);
        }
        let plan = ws::plan(&ws, &server, &port, &ssl)?;
        let (server, port, ssl) = match &plan {
            Some(p) => (&p.host, &p.port, &p.ssl),
            None => (&server, &port, &ssl),
        };
        // Each step (TCP + TLS, WebSocket, CONNACK) has a deadline.
        let step_ms = Self::guard(slf)?.core.connect_step_timeout_ms(timeout_ms);
        let sock = net::open(
            py,
            server,
            port,
            secs(step_ms),
            timeout_ms.map(secs),
            ssl,
            &ssl_params,
        )?;
        if let Some(p) = &plan {
            let link = ws::handshake(slf, &ws, p, &sock, step_ms).inspect_err(|_| {
                close_quietly(&sock);
            })?;
            Self::guard(slf)?.ws_link = Some(link);
        }
        // One budget for TCP, TLS and CONNACK: what is left waits for CONNACK.
        let timeout_ms = timeout_ms.map(|t| t.saturating_sub(elapsed_ms(started)).max(1));
        slf.setattr(intern!(py, "sock"), &sock)?;
        let on_challenge = Self::guard(slf)?
            .auth
            .as_ref()
            .map(|a| a.on_challenge.clone_ref(py));
        let challenge_err = std::cell::RefCell::new(None);
        let present = Self::with_core(slf, |core, host| match &on_challenge {
            Some(f) => core.connect_v5_auth(host, &c5, timeout_ms, |data, answer| {
                v5::answer_challenge(py, f, data, answer, &challenge_err)
            }),
            None => core.connect_as(host, protocol, &c5, timeout_ms),
        })
        .map_err(|e| challenge_err.take().unwrap_or(e));
        if present.is_err() {
            // Whatever failed, this socket is no good for MQTT any more.
            close_quietly(&sock);
        }
        let present = present?;
        v5::connected(slf)?;
        Ok(u8::from(present))
    }
}
