//! MQTT 5 operations of the blocking client: the connection's v5 calls
//! (see [`crate::connection::Connection::connect_v5`] and its siblings)
//! driven like their 3.1.1 twins.

use super::{Client, Host, Progress, Step, WaitFor};
use crate::buffer::Buffer;
use crate::codec::v5::{Connect, Properties, PropertyId, SubFilter};
use crate::connection::Event;

/// Longest answer to an AUTH challenge [`Client::connect_v5_auth`] sends.
pub const AUTH_ANSWER: usize = 256;
use crate::{Error, PacketId, QoS};

impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize, SB: Buffer>
    Client<RB, TB, FB, INFLIGHT, SB>
{
    /// [`Client::connect`] with an MQTT 5 CONNECT. A refusal is
    /// `Err(ConnectionRefused(reason_code))` (reason string:
    /// `last_reason_string()`); after success `connack_properties()`,
    /// `assigned_client_identifier()` (the id to reconnect with) and
    /// `server_limits()` tell what the broker said.
    pub fn connect_v5<H: Host>(
        &mut self,
        host: &mut H,
        c: &Connect<'_>,
        timeout_ms: Option<u32>,
    ) -> Result<bool, Error> {
        self.connect_v5_auth(host, c, timeout_ms, |_, _| {
            Err(crate::ProtocolError::UnexpectedAuth.into())
        })
    }

    /// [`Client::connect`] or [`Client::connect_v5`] by `protocol`, from one
    /// description of the CONNECT (see [`Connect::for_protocol`]).
    pub fn connect_as<H: Host>(
        &mut self,
        host: &mut H,
        protocol: crate::ProtocolVersion,
        c: &Connect<'_>,
        timeout_ms: Option<u32>,
    ) -> Result<bool, Error> {
        match c.for_protocol(protocol)? {
            Some(c311) => self.connect(host, &c311, timeout_ms),
            None => self.connect_v5(host, c, timeout_ms),
        }
    }

    /// [`Client::connect_v5`] with enhanced authentication (the CONNECT
    /// names an `authentication_method`): `on_challenge(data, answer)`
    /// writes the answer to each AUTH challenge of the broker into
    /// `answer` and returns its length.
    pub fn connect_v5_auth<H: Host>(
        &mut self,
        host: &mut H,
        c: &Connect<'_>,
        timeout_ms: Option<u32>,
        mut on_challenge: impl FnMut(&[u8], &mut [u8]) -> Result<usize, Error>,
    ) -> Result<bool, Error> {
        let r = self.await_connack(
            host,
            timeout_ms,
            |conn, now| conn.connect_v5(c, now),
            |conn, ev, now| {
                if ev != Event::AuthChallenge {
                    return Ok(());
                }
                let mut answer = [0u8; AUTH_ANSWER];
                let data = conn
                    .last_properties()
                    .get_binary(PropertyId::AuthenticationData)
                    .unwrap_or_default();
                let n = on_challenge(data, &mut answer)?;
                conn.auth_continue(answer.get(..n).unwrap_or_default(), now)
            },
        );
        self.conn.check(r)
    }

    /// MQTT 5 re-authentication after a connect with an
    /// `authentication_method` (sec 4.12.1): with `data`, send AUTH 0x19;
    /// answer each challenge of the broker through `on_challenge` (as
    /// [`Client::connect_v5_auth`]) until its AUTH success: `Done`, or
    /// `Timeout` at `*deadline` (host clock; `None` on the first call: the
    /// response timeout from now). Messages arriving meanwhile come out as
    /// `Progress::Message`: copy, deliver, then call again with `data`
    /// `None` and the same `deadline` to carry on (the acknowledgement goes
    /// out first).
    pub fn reauthenticate<H: Host>(
        &mut self,
        host: &mut H,
        data: Option<&[u8]>,
        deadline: &mut Option<u64>,
        mut on_challenge: impl FnMut(&[u8], &mut [u8]) -> Result<usize, Error>,
    ) -> Result<Progress<'_>, Error> {
        let now = host.now_ms();
        let end = *deadline.get_or_insert_with(|| {
            let ms = self.conn.session().config().response_timeout_ms;
            now.saturating_add(u64::from(ms))
        });
        if let Some(d) = data {
            let r = self.conn.reauthenticate(d, now);
            self.conn.check(r)?;
        }
        loop {
            match self.run_step(host, WaitFor::Auth(end))? {
                Step::Challenge => {
                    let mut answer = [0u8; AUTH_ANSWER];
                    let data = self
                        .conn
                        .last_properties()
                        .get_binary(PropertyId::AuthenticationData)
                        .unwrap_or_default();
                    let n = on_challenge(data, &mut answer)?;
                    let now = host.now_ms();
                    let r = self
                        .conn
                        .auth_continue(answer.get(..n).unwrap_or_default(), now);
                    self.conn.check(r)?;
                }
                step => return self.progress(step),
            }
        }
    }

    /// [`Client::start_publish`] with MQTT 5 properties.
    pub fn start_publish_v5<H: Host>(
        &mut self,
        host: &mut H,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
        properties: Properties<'_>,
    ) -> Result<Option<PacketId>, Error> {
        self.start(host, |conn, now| {
            conn.publish_v5(topic, payload, qos, retain, properties, now)
        })
    }

    /// [`Client::start_subscribe`] with options and properties.
    pub fn start_subscribe_v5<H: Host>(
        &mut self,
        host: &mut H,
        filters: &[SubFilter<'_>],
        properties: Properties<'_>,
    ) -> Result<PacketId, Error> {
        self.start(host, |conn, now| {
            conn.subscribe_v5(filters, properties, now)
        })
    }

    /// [`Client::start_unsubscribe`] with properties.
    pub fn start_unsubscribe_v5<H: Host>(
        &mut self,
        host: &mut H,
        filters: &[&[u8]],
        properties: Properties<'_>,
    ) -> Result<PacketId, Error> {
        self.start(host, |conn, now| {
            conn.unsubscribe_v5(filters, properties, now)
        })
    }

    /// [`Client::disconnect`] with a reason code (0x04: the broker
    /// publishes the will) and properties.
    pub fn disconnect_v5<H: Host>(
        &mut self,
        host: &mut H,
        reason_code: u8,
        properties: Properties<'_>,
    ) -> Result<(), Error> {
        let now = host.now_ms();
        let r = self
            .send(host, now)
            .and_then(|()| self.conn.disconnect_v5(reason_code, properties, now))
            .and_then(|()| self.send(host, now));
        let r = self.conn.check(r);
        self.conn.closed();
        r
    }
}
