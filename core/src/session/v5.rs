//! MQTT 5 in the session, chosen per connection by the CONNECT
//! ([`Session::connect_v5`]): PUBLISH / SUBSCRIBE / UNSUBSCRIBE /
//! DISCONNECT with properties, the CONNACK's limits (maximum QoS, retain,
//! packet size, receive maximum, server keep alive) checked before
//! sending, and the reason code and properties of every packet received
//! ([`Extra`]). The 3.1.1 state machine does the rest: a v5 packet is
//! mapped onto its 3.1.1 shape after the v5-only checks.

use super::inflight::Awaiting;
use super::{Event, Session, State};
use crate::codec::v5::reason::is_failure;
use crate::codec::v5::{
    self, Filters, Properties, PropertyId, ServerPacket, SubFilter, SubOptions,
};
use crate::codec::{self, Packet};
use crate::v5::ServerLimits;
use crate::{ArgError, Error, PacketId, ProtocolError, ProtocolVersion, QoS};

/// Most filters a SUBSCRIBE given as `(filter, qos)` pairs
/// ([`Session::subscribe`]) carries on MQTT 5; more: `TooManyFilters`
/// (give [`Session::subscribe_v5`] the options instead).
pub const QOS_FILTERS: usize = 16;

/// What MQTT 5 adds to a received packet: the reason code (CONNACK, the
/// publish acknowledgements, DISCONNECT, AUTH; the first code of a SUBACK
/// or UNSUBACK), the list of codes of a SUBACK / UNSUBACK and the
/// properties. All zero / empty on 3.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extra<'f> {
    /// The packet's reason code (0 = success).
    pub reason_code: u8,
    /// SUBACK / UNSUBACK: one code per filter.
    pub reason_codes: &'f [u8],
    /// The packet's properties (checked by the codec).
    pub properties: Properties<'f>,
}

impl Extra<'static> {
    /// Nothing (3.1.1, or a packet that carries nothing).
    pub const NONE: Extra<'static> = Extra {
        reason_code: 0,
        reason_codes: &[],
        properties: Properties::EMPTY,
    };
}

impl<const INFLIGHT: usize> Session<INFLIGHT> {
    /// An AUTH may go out: during CONNECT or on the connection.
    pub(crate) fn require_connecting_or_connected(&self) -> Result<(), Error> {
        match self.state {
            State::Disconnected => Err(Error::NotConnected),
            _ => Ok(()),
        }
    }

    /// What the last CONNACK allowed (defaults before it and on 3.1.1).
    pub fn limits(&self) -> &ServerLimits {
        &self.limits
    }

    /// Encode an MQTT 5 CONNECT; the connection then speaks MQTT 5 (until a
    /// 3.1.1 [`Session::connect`]). Clean Start forgets the session state
    /// like 3.1.1's clean session.
    pub fn connect_v5(
        &mut self,
        c: &v5::Connect<'_>,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let len = c.encode(out)?;
        self.start_connect(ProtocolVersion::V5, c.clean_start, c.keepalive, now_ms);
        self.receive_maximum = c
            .properties
            .get_int(PropertyId::ReceiveMaximum)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(u16::MAX);
        Ok(len)
    }

    /// [`Session::publish`] with MQTT 5 properties (`PropertiesNeedV5` on
    /// a 3.1.1 connection unless empty). Refused before anything is
    /// encoded: a QoS above the broker's `maximum_qos`, `retain` when it has
    /// no `retain_available`, a frame above its `maximum_packet_size`, and
    /// (`InflightFull`) a QoS 1/2 message beyond its `receive_maximum`.
    #[allow(clippy::too_many_arguments)]
    pub fn publish_v5(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
        properties: Properties<'_>,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, Option<PacketId>), Error> {
        if !self.is_v5() {
            if !properties.is_empty() {
                return Err(ArgError::PropertiesNeedV5.into());
            }
            return self.publish(topic, payload, qos, retain, now_ms, out);
        }
        let limits = self.limits;
        let full = qos != QoS::AtMostOnce
            && self.inflight_publishes() >= usize::from(self.limits.receive_maximum);
        self.publish_with(topic, qos, now_ms, out, |packet_id, out| {
            let p = v5::Publish {
                topic,
                payload,
                qos,
                retain,
                dup: false,
                packet_id,
                properties,
            };
            limits.check_publish(qos, retain, p.encoded_len()?)?;
            if full {
                return Err(Error::InflightFull);
            }
            p.encode(out)
        })
    }

    /// Outbound QoS 1/2 messages not yet complete (the broker's receive
    /// maximum counts these).
    pub(super) fn inflight_publishes(&self) -> usize {
        self.inflight
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e.awaiting,
                    Awaiting::PubAck | Awaiting::PubRec | Awaiting::PubComp
                )
            })
            .count()
    }

    /// An MQTT 5 SUBSCRIBE: filters with their options, and properties
    /// (`subscription_identifier`, `user_property`). On a 3.1.1 connection
    /// the 3.1.1 SUBSCRIBE of the filters' QoS, if the options are the
    /// defaults and there are no properties (else `PropertiesNeedV5`).
    pub fn subscribe_v5(
        &mut self,
        filters: &[SubFilter<'_>],
        properties: Properties<'_>,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, PacketId), Error> {
        if !self.is_v5() {
            self.require_connected()?;
            let mut plain: heapless::Vec<(&[u8], QoS), QOS_FILTERS> = heapless::Vec::new();
            for &(f, o) in filters {
                if !properties.is_empty() || o != SubOptions::qos(o.qos) {
                    return Err(ArgError::PropertiesNeedV5.into());
                }
                plain
                    .push((f, o.qos))
                    .map_err(|_| ArgError::TooManyFilters)?;
            }
            return self.subscribe(&plain, now_ms, out);
        }
        let limits = self.check_request(filters.len())?;
        let awaiting = Awaiting::SubAck {
            filters: filters.len(),
        };
        self.request(awaiting, now_ms, out, |packet_id, out| {
            let s = v5::Subscribe {
                packet_id,
                properties,
                filters: Filters::List(filters),
            };
            limits.check_size(s.encoded_len()?)?;
            s.encode(out)
        })
    }

    /// A v5 SUBSCRIBE / UNSUBSCRIBE with `filters` filters may be encoded:
    /// the broker's limits to check it against.
    fn check_request(&self, filters: usize) -> Result<ServerLimits, Error> {
        if filters == 0 {
            return Err(ArgError::NoFilters.into());
        }
        Ok(self.limits)
    }

    /// [`Session::subscribe`] on MQTT 5: default options.
    pub(super) fn subscribe_qos_v5(
        &mut self,
        filters: &[(&[u8], QoS)],
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, PacketId), Error> {
        let mut list: heapless::Vec<SubFilter<'_>, QOS_FILTERS> = heapless::Vec::new();
        for &(f, qos) in filters {
            list.push((f, SubOptions::qos(qos)))
                .map_err(|_| ArgError::TooManyFilters)?;
        }
        self.subscribe_v5(&list, Properties::EMPTY, now_ms, out)
    }

    /// An MQTT 5 UNSUBSCRIBE with properties (`user_property`); on a 3.1.1
    /// connection the 3.1.1 UNSUBSCRIBE if there are none (else
    /// `PropertiesNeedV5`).
    pub fn unsubscribe_v5(
        &mut self,
        filters: &[&[u8]],
        properties: Properties<'_>,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, PacketId), Error> {
        if !self.is_v5() {
            self.require_connected()?;
            if !properties.is_empty() {
                return Err(ArgError::PropertiesNeedV5.into());
            }
            return self.unsubscribe(filters, now_ms, out);
        }
        let limits = self.check_request(filters.len())?;
        self.request(Awaiting::UnsubAck, now_ms, out, |packet_id, out| {
            let u = v5::Unsubscribe {
                packet_id,
                properties,
                filters: Filters::List(filters),
            };
            limits.check_size(u.encoded_len()?)?;
            u.encode(out)
        })
    }

    /// An MQTT 5 DISCONNECT with a reason (0x04: publish the will) and
    /// properties (`session_expiry_interval`, `reason_string`,
    /// `user_property`); state -> Disconnected (session state kept). On a
    /// 3.1.1 connection the 3.1.1 DISCONNECT if the reason is 0 and there
    /// are no properties (else `PropertiesNeedV5`).
    pub fn disconnect_v5(
        &mut self,
        reason_code: u8,
        properties: Properties<'_>,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if !self.is_v5() {
            if reason_code != 0 || !properties.is_empty() {
                return Err(ArgError::PropertiesNeedV5.into());
            }
            return self.disconnect(out);
        }
        let len = v5::Disconnect {
            reason_code,
            properties,
        }
        .encode(out)?;
        self.connection_lost();
        Ok(len)
    }

    /// [`Session::handle`] on an MQTT 5 connection.
    pub(super) fn handle_v5<'f>(
        &mut self,
        frame: &'f [u8],
        now_ms: u64,
    ) -> (Result<Event<'f>, Error>, Extra<'f>) {
        let packet = match v5::decode_from_server(frame) {
            Ok(p) => p,
            Err(e) => return (self.fail(e.into()), Extra::NONE),
        };
        let ack = |a: &v5::Ack<'f>| Extra {
            reason_code: a.reason_code,
            reason_codes: &[],
            properties: a.properties,
        };
        let list = |s: &v5::SubAck<'f>| Extra {
            reason_code: s.reason_codes.first().copied().unwrap_or(0),
            reason_codes: s.reason_codes,
            properties: s.properties,
        };
        let (packet, extra) = match packet {
            ServerPacket::ConnAck(c) => {
                let extra = Extra {
                    reason_code: c.reason_code,
                    reason_codes: &[],
                    properties: c.properties,
                };
                if c.reason_code != 0 && self.state == State::Connecting {
                    return (self.fail(Error::ConnectionRefused(c.reason_code)), extra);
                }
                let p = Packet::ConnAck {
                    session_present: c.session_present,
                    return_code: 0,
                };
                (p, extra)
            }
            ServerPacket::Publish(p) => {
                if let Err(e) = self.check_receive_maximum(&p) {
                    return (self.fail(e.into()), Extra::NONE);
                }
                let m = codec::Publish {
                    topic: p.topic,
                    payload: p.payload,
                    qos: p.qos,
                    retain: p.retain,
                    dup: p.dup,
                    packet_id: p.packet_id,
                };
                let extra = Extra {
                    properties: p.properties,
                    ..Extra::NONE
                };
                (Packet::Publish(m), extra)
            }
            ServerPacket::PubAck(a) => (Packet::PubAck(a.packet_id), ack(&a)),
            ServerPacket::PubRec(a) if is_failure(a.reason_code) => {
                return (self.pubrec_refused(a.packet_id, now_ms), ack(&a));
            }
            ServerPacket::PubRec(a) => {
                let r = self.dispatch(Packet::PubRec(a.packet_id), now_ms);
                if r.is_ok() {
                    self.inflight.set_pubrec_reason(a.packet_id, a.reason_code);
                }
                return (r, ack(&a));
            }
            ServerPacket::PubRel(a) => (Packet::PubRel(a.packet_id), ack(&a)),
            ServerPacket::PubComp(a) => {
                // The outcome of a QoS 2 message is its PUBREC's code
                // unless the PUBCOMP reports a failure.
                let mut extra = ack(&a);
                if let Some(e) = self.inflight.get(a.packet_id) {
                    if extra.reason_code == 0 {
                        extra.reason_code = e.pubrec_reason;
                    }
                }
                (Packet::PubComp(a.packet_id), extra)
            }
            ServerPacket::SubAck(s) => {
                let p = Packet::SubAck {
                    packet_id: s.packet_id,
                    return_codes: s.reason_codes,
                };
                (p, list(&s))
            }
            ServerPacket::UnsubAck(s) => (Packet::UnsubAck(s.packet_id), list(&s)),
            ServerPacket::PingResp => (Packet::PingResp, Extra::NONE),
            ServerPacket::Disconnect(d) => {
                let extra = Extra {
                    reason_code: d.reason_code,
                    reason_codes: &[],
                    properties: d.properties,
                };
                return (self.fail(Error::ServerDisconnect(d.reason_code)), extra);
            }
            // Enhanced authentication: whose turn it is, and whether we
            // asked for it, is the connection's (v5::AuthFlow).
            ServerPacket::Auth(a) => {
                let extra = Extra {
                    reason_code: a.reason_code,
                    reason_codes: &[],
                    properties: a.properties,
                };
                if self.state == State::Disconnected {
                    return (Err(Error::NotConnected), extra);
                }
                self.keepalive.on_receive();
                return (Ok(Event::Nothing), extra);
            }
        };
        let r = self.dispatch(packet, now_ms);
        if let Ok(Event::Connected { .. }) = r {
            self.limits = ServerLimits::from_connack(&extra.properties);
            if let Some(ka) = self.limits.server_keep_alive {
                self.start_keepalive(ka, now_ms);
            }
        }
        (r, extra)
    }

    /// 3.3.4-9: no more unacknowledged QoS 1/2 messages than our receive
    /// maximum (PUBACKs not yet sent, QoS 2 ids awaiting PUBREL); a QoS 2
    /// resend of a pending id is not a new one.
    fn check_receive_maximum(&self, p: &v5::Publish<'_>) -> Result<(), ProtocolError> {
        let Some(id) = p.packet_id else {
            return Ok(());
        };
        if self.state != State::Connected
            || (p.qos == QoS::ExactlyOnce && self.inbound.contains(id))
        {
            return Ok(());
        }
        let acks = self
            .acks
            .iter()
            .filter(|(k, _)| *k == codec::PacketType::PubAck)
            .count();
        if acks.saturating_add(self.inbound.len()) >= usize::from(self.receive_maximum) {
            return Err(ProtocolError::ReceiveMaximumExceeded);
        }
        Ok(())
    }

    /// A PUBREC with a failure code ends the QoS 2 exchange (no PUBREL,
    /// 4.3.3): the message is complete, with that code.
    fn pubrec_refused<'f>(&mut self, id: PacketId, now_ms: u64) -> Result<Event<'f>, Error> {
        if self.state != State::Connected {
            return self.dispatch(Packet::PubRec(id), now_ms);
        }
        self.keepalive.on_receive();
        match self.inflight.get(id).map(|e| e.awaiting) {
            None => Ok(Event::Nothing),
            Some(Awaiting::PubRec) => {
                self.inflight.remove(id);
                Ok(Event::Published(id))
            }
            Some(_) => self.fail(ProtocolError::UnknownPacketId.into()),
        }
    }
}
