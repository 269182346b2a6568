//! The CONNECT packet built from the client's attributes, read when
//! connect() is called (users set them after construction, as with
//! umqtt.simple).
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use umqtt_core::codec::v5::{self, Properties};
use umqtt_core::QoS;

use crate::convert::{to_bytes, to_keepalive, to_opt_bytes, to_qos};
use crate::MQTTClient;

/// Converted attributes; the bytes objects own the data `Connect` borrows.
pub struct ConnectParams<'py> {
    client_id: Bound<'py, PyBytes>,
    user: Option<Bound<'py, PyBytes>>,
    pswd: Option<Bound<'py, PyBytes>>,
    keepalive: u16,
    will: Option<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, QoS, bool)>,
}

impl<'py> ConnectParams<'py> {
    /// TypeError/ValueError for attributes of the wrong type or range.
    pub fn read(c: &Bound<'py, MQTTClient>) -> PyResult<Self> {
        let attr = |name: &str| c.getattr(name);
        // Like umqtt.simple's `if self.lw_topic:`, an empty topic means no will.
        let lw_topic =
            to_opt_bytes(&attr("lw_topic")?, "lw_topic")?.filter(|t| !t.as_bytes().is_empty());
        let will = match lw_topic {
            Some(topic) => Some((
                topic,
                to_bytes(&attr("lw_msg")?, "lw_msg")?,
                to_qos(&attr("lw_qos")?)?,
                attr("lw_retain")?.is_truthy()?,
            )),
            None => None,
        };
        Ok(ConnectParams {
            client_id: to_bytes(&attr("client_id")?, "client_id")?,
            user: to_opt_bytes(&attr("user")?, "user")?,
            pswd: to_opt_bytes(&attr("pswd")?, "pswd")?,
            keepalive: to_keepalive(&attr("keepalive")?)?,
            will,
        })
    }
}

impl ConnectParams<'_> {
    /// The CONNECT for both protocols (the core makes the 3.1.1 one of it,
    /// `Connect::for_protocol`): `clean_start` is `connect(clean_session=...)`.
    pub fn packet<'a>(
        &'a self,
        clean_start: bool,
        properties: Properties<'a>,
        will_properties: Properties<'a>,
    ) -> v5::Connect<'a> {
        v5::Connect {
            client_id: self.client_id.as_bytes(),
            keepalive: self.keepalive,
            clean_start,
            username: self.user.as_ref().map(|u| u.as_bytes()),
            password: self.pswd.as_ref().map(|p| p.as_bytes()),
            will: self
                .will
                .as_ref()
                .map(|(topic, msg, qos, retain)| v5::Will {
                    topic: topic.as_bytes(),
                    payload: msg.as_bytes(),
                    qos: *qos,
                    retain: *retain,
                    properties: will_properties,
                }),
            properties,
        }
    }
}
