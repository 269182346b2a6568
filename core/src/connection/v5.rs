//! MQTT 5 in the connection: CONNECT / PUBLISH / SUBSCRIBE / UNSUBSCRIBE /
//! DISCONNECT with properties, what the last packet received said (reason
//! code, reason string, properties: [`Connection::last_properties`]), the
//! CONNACK's properties kept for the application, inbound topic aliases
//! resolved (a fresh table on every connection), our announced maximum
//! packet size enforced, and a DISCONNECT with the reason code of a
//! protocol error queued before the connection closes.
//!
//! A binding turns a property dict into [`Properties`] with
//! [`crate::codec::v5::PropertyBuilder::push_named`] and hands received
//! ones back as `(name, value)` pairs: [`Properties::iter`] with
//! [`crate::codec::v5::PropertyId::name`].

use super::{slice_at, span, with_growth, Connection};
use crate::buffer::Buffer;
use crate::codec::v5::{self, Flat, Properties, PropertyId, SubFilter};
use crate::session::v5::QOS_FILTERS;
use crate::session::Extra;
use crate::v5::{
    auth_packet, check_inbound_size, AliasUse, AuthFlow, AuthStep, InboundAliases, OutboundAliases,
    ServerLimits,
};
use crate::{ArgError, Error, PacketId, ProtocolError, QoS};

/// Topic aliases a connection keeps each way (inbound: the most a binding
/// should announce as `topic_alias_maximum`; outbound: the first topics
/// published, up to the broker's maximum).
pub const TOPIC_ALIASES: usize = 16;
/// Bytes for the topics of those aliases (each way).
pub const TOPIC_ALIAS_BYTES: usize = 512;
/// Bytes of CONNACK properties kept for [`Connection::connack_properties`];
/// a longer list is applied but not kept (empty).
pub const CONNACK_PROPERTIES: usize = 256;

/// Longest `authentication_method` kept for enhanced authentication.
pub const AUTH_METHOD: usize = 64;
/// Bytes of the properties of an AUTH we send (method and data).
const AUTH_PROPERTIES: usize = 512;

/// The MQTT 5 part of a connection's state.
#[derive(Debug)]
pub(super) struct State {
    aliases: InboundAliases<TOPIC_ALIASES, TOPIC_ALIAS_BYTES>,
    out_aliases: OutboundAliases<TOPIC_ALIASES, TOPIC_ALIAS_BYTES>,
    /// The `topic_alias_maximum` we announced (capped at the table).
    alias_max: u16,
    /// The `maximum_packet_size` we announced (0: none).
    max_in: u32,
    connack: heapless::Vec<u8, CONNACK_PROPERTIES>,
    last_reason: u8,
    /// Properties of the last packet, in the receive buffer.
    last_props: Option<(usize, usize)>,
    auth: AuthFlow,
    /// The CONNECT's `authentication_method` (none: no enhanced auth).
    auth_method: Option<heapless::String<AUTH_METHOD>>,
}

impl State {
    pub(super) fn new() -> Self {
        State {
            aliases: InboundAliases::new(),
            out_aliases: OutboundAliases::new(),
            alias_max: 0,
            max_in: 0,
            connack: heapless::Vec::new(),
            last_reason: 0,
            last_props: None,
            auth: AuthFlow::new(),
            auth_method: None,
        }
    }

    fn method(&self) -> Option<&str> {
        self.auth_method.as_deref()
    }

    /// An AUTH arrived: `Ok(true)` a challenge to answer, `Ok(false)` the
    /// end of a re-authentication.
    pub(super) fn on_auth(&mut self, extra: &Extra<'_>) -> Result<bool, ProtocolError> {
        let a = v5::Auth {
            reason_code: extra.reason_code,
            properties: extra.properties,
        };
        let method = self.auth_method.clone();
        match self.auth.on_auth(&a, method.as_deref())? {
            AuthStep::Challenge(_) => Ok(true),
            AuthStep::Done => Ok(false),
        }
    }

    /// A CONNECT with `props` (`None`: 3.1.1) is about to go out.
    pub(super) fn on_connect(&mut self, props: Option<&Properties<'_>>) {
        self.aliases.reset();
        self.out_aliases.reset(0);
        self.connack.clear();
        self.forget_last();
        let int = |id| props.and_then(|p| p.get_int(id));
        let announced = int(PropertyId::TopicAliasMaximum).unwrap_or(0);
        self.alias_max = u16::try_from(announced)
            .unwrap_or(u16::MAX)
            .min(self.aliases.maximum());
        self.max_in = int(PropertyId::MaximumPacketSize).unwrap_or(0);
        let method = props.and_then(|p| p.get_str(PropertyId::AuthenticationMethod));
        self.auth_method = method.and_then(|m| heapless::String::try_from(m).ok());
        self.auth.on_connect(method.is_some());
    }

    pub(super) fn on_connack(
        &mut self,
        extra: &Extra<'_>,
        limits: &ServerLimits,
    ) -> Result<(), ProtocolError> {
        let ack = v5::ConnAck {
            session_present: false,
            reason_code: extra.reason_code,
            properties: extra.properties,
        };
        let method = self.auth_method.clone();
        self.auth.on_connack(&ack, method.as_deref())?;
        self.out_aliases.reset(limits.topic_alias_maximum);
        self.connack.clear();
        // Too long to keep: the limits were applied, the dict stays empty.
        let _ = self
            .connack
            .extend_from_slice(extra.properties.as_bytes())
            .map_err(|_| self.connack.clear());
        Ok(())
    }

    pub(super) fn forget_last(&mut self) {
        self.last_reason = 0;
        self.last_props = None;
    }

    pub(super) fn keep_last(&mut self, base: usize, extra: &Extra<'_>) {
        self.last_reason = extra.reason_code;
        let p = extra.properties.as_bytes();
        self.last_props = (!p.is_empty()).then(|| span(base, p));
    }

    pub(super) fn check_inbound_size(&self, v5: bool, len: usize) -> Result<(), ProtocolError> {
        if v5 && self.max_in != 0 {
            check_inbound_size(len, self.max_in)
        } else {
            Ok(())
        }
    }

    /// The alias a received PUBLISH's topic is read from (`None`: its own
    /// topic), after recording an alias it sets.
    pub(super) fn resolve_alias(
        &mut self,
        v5: bool,
        topic: &[u8],
        extra: &Extra<'_>,
    ) -> Result<Option<u16>, ProtocolError> {
        if !v5 {
            return Ok(None);
        }
        let Some(alias) = extra.properties.get_int(PropertyId::TopicAlias) else {
            return if topic.is_empty() {
                Err(ProtocolError::MissingTopic)
            } else {
                Ok(None)
            };
        };
        let alias = u16::try_from(alias).unwrap_or(u16::MAX);
        if alias == 0 || alias > self.alias_max {
            return Err(ProtocolError::TopicAliasInvalid);
        }
        self.aliases.resolve(topic, Some(alias))?;
        Ok(topic.is_empty().then_some(alias))
    }

    pub(super) fn aliased_topic(&self, alias: u16) -> Option<&[u8]> {
        self.aliases.get(alias)
    }
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const INFLIGHT: usize>
    Connection<RB, TB, FB, SB, INFLIGHT>
{
    /// Queue an MQTT 5 CONNECT (see [`Connection::connect`]). Announce
    /// `topic_alias_maximum` (at most [`TOPIC_ALIASES`]) in its properties
    /// to receive aliased topics, and `maximum_packet_size` to have larger
    /// packets refused (0x95); `session_expiry_interval` keeps the session
    /// after the connection ends. After CONNACK: [`Connection::connack_properties`].
    pub fn connect_v5(&mut self, c: &v5::Connect<'_>, now: u64) -> Result<(), Error> {
        self.v5.on_connect(Some(&c.properties));
        self.start_connect(c.clean_start, |s, out| s.connect_v5(c, now, out))
    }

    /// [`Connection::connect`] or [`Connection::connect_v5`] by `protocol`,
    /// from one description of the CONNECT (see [`v5::Connect::for_protocol`]).
    pub fn connect_as(
        &mut self,
        protocol: crate::ProtocolVersion,
        c: &v5::Connect<'_>,
        now: u64,
    ) -> Result<(), Error> {
        match c.for_protocol(protocol)? {
            Some(c311) => self.connect(&c311, now),
            None => self.connect_v5(c, now),
        }
    }

    /// [`Connection::publish`] with MQTT 5 properties; see
    /// [`crate::session::Session::publish_v5`] for what the broker's limits refuse. The
    /// message's outcome: [`Connection::last_outcome`] at its
    /// [`super::Event::Published`].
    pub fn publish_v5(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
        properties: Properties<'_>,
        now: u64,
    ) -> Result<Option<PacketId>, Error> {
        if properties.is_empty() && !self.session.is_v5() {
            // 3.1.1 (the hot path of umqtt.simple programs): no aliases.
            return self.publish(topic, payload, qos, retain, now);
        }
        let (at, id) = self.queue_publish(now, |s, out| {
            s.publish_v5(topic, payload, qos, retain, properties, now, out)
        })?;
        let p = v5::Publish {
            topic,
            payload,
            qos,
            retain,
            dup: false,
            packet_id: id,
            properties,
        };
        self.alias_outbound(at, &p);
        Ok(id)
    }

    /// Send the PUBLISH just queued at `at` with a topic alias when the
    /// broker allows them (its stored frame keeps the full topic: a resend
    /// after a reconnect must not use an alias of the old connection).
    fn alias_outbound(&mut self, at: usize, p: &v5::Publish<'_>) {
        if !self.session.is_v5()
            || self.v5.out_aliases.limit() == 0
            || p.properties.get(PropertyId::TopicAlias).is_some()
        {
            return;
        }
        // Establishing adds 3 bytes: refuse the alias, not the message.
        let fits = p
            .encoded_len_aliased(1, true)
            .is_ok_and(|n| self.session.limits().check_size(n).is_ok());
        if !fits {
            return;
        }
        let (alias, send_topic) = match self.v5.out_aliases.assign(p.topic) {
            AliasUse::None => return,
            AliasUse::Establish(a) => (a, true),
            AliasUse::Reuse(a) => (a, false),
        };
        if let Ok(n) = with_growth(&mut self.tx, at, |out| {
            p.encode_aliased(alias, send_topic, out)
        }) {
            self.tx_len = at.saturating_add(n);
        }
    }

    /// An MQTT 5 SUBSCRIBE with options per filter (at most
    /// [`QOS_FILTERS`], for the registry of subscriptions, which restores
    /// them with their QoS only) and properties.
    pub fn subscribe_v5(
        &mut self,
        filters: &[SubFilter<'_>],
        properties: Properties<'_>,
        now: u64,
    ) -> Result<PacketId, Error> {
        let mut tracked: heapless::Vec<(&[u8], QoS), QOS_FILTERS> = heapless::Vec::new();
        for &(f, o) in filters {
            tracked
                .push((f, o.qos))
                .map_err(|_| ArgError::TooManyFilters)?;
        }
        let (at, id) = self.queue(now, |s, out| s.subscribe_v5(filters, properties, now, out))?;
        self.track_subscribe(at, id, &tracked)
    }

    /// An MQTT 5 UNSUBSCRIBE with properties; the codes of its UNSUBACK are
    /// [`Connection::last_suback`].
    pub fn unsubscribe_v5(
        &mut self,
        filters: &[&[u8]],
        properties: Properties<'_>,
        now: u64,
    ) -> Result<PacketId, Error> {
        let (_, id) = self.queue(now, |s, out| {
            s.unsubscribe_v5(filters, properties, now, out)
        })?;
        self.suback.clear();
        self.subs.track_unsubscribe(id, filters);
        Ok(id)
    }

    /// An MQTT 5 DISCONNECT with a reason code (0x04: the broker publishes
    /// the will) and properties.
    pub fn disconnect_v5(
        &mut self,
        reason_code: u8,
        properties: Properties<'_>,
        now: u64,
    ) -> Result<(), Error> {
        self.queue(now, |s, out| {
            s.disconnect_v5(reason_code, properties, out)
                .map(|n| (n, ()))
        })?;
        self.after_disconnect();
        Ok(())
    }

    /// Answer the broker's [`super::Event::AuthChallenge`] with `data`
    /// (AUTH 0x18 with our method; at most about 440 bytes of data).
    pub fn auth_continue(&mut self, data: &[u8], now: u64) -> Result<(), Error> {
        self.queue_auth(0x18, data, now)
    }

    /// Start a re-authentication (AUTH 0x19 with `data`), after a CONNECT
    /// with an `authentication_method` was accepted; challenges follow as
    /// [`super::Event::AuthChallenge`], the end as `Other(0xF0)`.
    pub fn reauthenticate(&mut self, data: &[u8], now: u64) -> Result<(), Error> {
        self.v5.auth.start_reauth()?;
        self.queue_auth(0x19, data, now)
    }

    fn queue_auth(&mut self, reason_code: u8, data: &[u8], now: u64) -> Result<(), Error> {
        let method = self.v5.method().ok_or(ArgError::NoAuthInProgress)?;
        let mut buf = [0u8; AUTH_PROPERTIES];
        let a = auth_packet(reason_code, method, data, &mut buf)?;
        self.queue(now, |s, out| {
            s.require_connecting_or_connected()?;
            a.encode(out).map(|n| (n, ()))
        })?;
        Ok(())
    }

    /// What the last CONNACK allowed.
    pub fn server_limits(&self) -> &ServerLimits {
        self.session.limits()
    }

    /// The properties of the last CONNACK that accepted the connection
    /// (empty on 3.1.1, or when longer than [`CONNACK_PROPERTIES`]).
    pub fn connack_properties(&self) -> Properties<'_> {
        Properties::from_checked(&self.v5.connack)
    }

    /// The client id the broker assigned (the CONNACK's
    /// `assigned_client_identifier`): the id for later reconnects.
    pub fn assigned_client_identifier(&self) -> Option<&str> {
        self.connack_properties()
            .get_str(PropertyId::AssignedClientIdentifier)
    }

    /// The reason code of the packet of the last event or error from
    /// [`Connection::poll_event`]: CONNACK (also a refusal), PUBACK / PUBREC
    /// / PUBCOMP, the first code of a SUBACK / UNSUBACK, a DISCONNECT from
    /// the broker. 0 on 3.1.1.
    pub fn last_reason_code(&self) -> u8 {
        self.v5.last_reason
    }

    /// The properties of that packet (for [`super::Event::Message`]: the
    /// message's, with its `subscription_identifier`s and user properties
    /// in order), borrowed from the receive buffer until the next
    /// `poll_event` or read.
    pub fn last_properties(&self) -> Properties<'_> {
        self.v5
            .last_props
            .and_then(|at| slice_at(self.framer.buffer().bytes(), at))
            .map_or(Properties::EMPTY, Properties::from_checked)
    }

    /// The `reason_string` of that packet.
    pub fn last_reason_string(&self) -> Option<&str> {
        self.last_properties().get_str(PropertyId::ReasonString)
    }

    /// Received property `index` (wire order) of the last CONNACK that
    /// accepted the connection (`connack`) or of the packet of the last
    /// event or error ([`Connection::last_properties`]), as a C binding
    /// hands it back; `None` past the end. A dict keeps it under
    /// [`PropertyId::name`], in a list if [`PropertyId::is_list`].
    pub fn property_at(&self, connack: bool, index: usize) -> Option<(PropertyId, Flat<'_>)> {
        let list = if connack {
            self.connack_properties()
        } else {
            self.last_properties()
        };
        list.iter().nth(index).map(|(id, v)| (id, Flat::from(v)))
    }

    /// spec/PYAPI.md "MQTT 5": on an MQTT 5 connection an error that is a
    /// reason code of the broker (a refused CONNECT, publish, subscription
    /// or unsubscribe, a DISCONNECT from the broker) is raised as
    /// `MQTTException(code, reason_string)`, with the reason string of the
    /// packet that carried it: `Some(reason)`, `reason` `None` when that
    /// packet had none (or an empty one). `None`: `e` carries no reason
    /// string (any other error; every error on 3.1.1). The one rule of
    /// every binding.
    pub fn error_reason(&self, e: &Error) -> Option<Option<&str>> {
        let from_broker = matches!(
            e,
            Error::ConnectionRefused(_)
                | Error::SubscribeRefused
                | Error::Refused(_)
                | Error::ServerDisconnect(_)
        );
        (from_broker && self.session.is_v5())
            .then(|| self.last_reason_string().filter(|r| !r.is_empty()))
    }

    /// The outcome of the publish or unsubscribe the last event completed:
    /// `Ok(reason code)` (0, 0x10 no matching subscribers, 0x11 no
    /// subscription existed) or `Err(Refused(code))` from 0x80 up.
    pub fn last_outcome(&self) -> Result<u8, Error> {
        match self.v5.last_reason {
            c if c >= 0x80 => Err(Error::Refused(c)),
            c => Ok(c),
        }
    }

    /// After a protocol error on MQTT 5, queue DISCONNECT with its reason
    /// code (sec 4.13); a driver writes it before closing, if it can.
    pub(super) fn queue_protocol_disconnect(&mut self, e: &Error) {
        let Error::Protocol(p) = e else { return };
        if !self.session.is_v5() {
            return;
        }
        let d = v5::Disconnect {
            reason_code: p.reason_code(),
            properties: Properties::EMPTY,
        };
        let at = self.tx_len;
        if let Ok(n) = with_growth(&mut self.tx, at, |out| d.encode(out)) {
            self.tx_len = at.saturating_add(n);
        }
    }
}
