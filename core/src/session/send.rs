//! Requests to the broker: [`Session::connect`], `publish`, `subscribe`,
//! `unsubscribe`, `ping`, `disconnect`, each encoded into a caller slice
//! (what [`Session::handle_frame`] answers is in `receive`).

use super::inflight::Awaiting;
use super::{keepalive, Session, State};
use crate::codec;
use crate::{Error, PacketId, ProtocolVersion, QoS};

impl<const INFLIGHT: usize> Session<INFLIGHT> {
    /// Encode CONNECT into `out`; state -> Connecting. `clean_session`
    /// forgets in-flight and inbound QoS 2 state; otherwise it is kept for
    /// resumption. The codec validates client id, will and credentials.
    pub fn connect(
        &mut self,
        c: &codec::Connect,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let len = c.encode(out)?;
        self.start_connect(c.protocol, c.clean_session, c.keepalive, now_ms);
        Ok(len)
    }

    /// What CONNECT does to the state, once its frame is encoded.
    pub(super) fn start_connect(
        &mut self,
        protocol: ProtocolVersion,
        clean: bool,
        keepalive: u16,
        now_ms: u64,
    ) {
        self.protocol = protocol;
        #[cfg(feature = "v5")]
        {
            self.limits = crate::v5::ServerLimits::default();
        }
        if clean {
            self.inflight.clear();
            self.inbound.clear();
        } else {
            self.inflight.drop_requests();
        }
        self.acks.clear();
        self.start_keepalive(keepalive, now_ms);
        self.connect_deadline = now_ms.saturating_add(u64::from(self.config.response_timeout_ms));
        self.state = State::Connecting;
    }

    pub(super) fn start_keepalive(&mut self, keepalive: u16, now_ms: u64) {
        let ping_timeout = keepalive::ping_timeout_ms(
            keepalive,
            self.config.ping_timeout_ms,
            self.config.response_timeout_ms,
        );
        self.keepalive.start(keepalive, ping_timeout, now_ms);
    }

    /// Encode a PUBLISH. For QoS 1/2 a packet id is allocated (never one in
    /// use; wraps 65,535 -> 1) and recorded in flight. Returns the length
    /// and the id. `NotConnected` unless connected.
    pub fn publish(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, Option<PacketId>), Error> {
        #[cfg(feature = "v5")]
        if self.is_v5() {
            let p = crate::codec::v5::Properties::EMPTY;
            return self.publish_v5(topic, payload, qos, retain, p, now_ms, out);
        }
        self.publish_with(topic, qos, now_ms, out, |packet_id, out| {
            codec::Publish {
                topic,
                payload,
                qos,
                retain,
                dup: false,
                packet_id,
            }
            .encode(out)
        })
    }

    /// A PUBLISH `encode` writes with its packet id (QoS 1/2: a free one,
    /// then in flight).
    pub(super) fn publish_with(
        &mut self,
        topic: &[u8],
        qos: QoS,
        now_ms: u64,
        out: &mut [u8],
        encode: impl FnOnce(Option<PacketId>, &mut [u8]) -> Result<usize, Error>,
    ) -> Result<(usize, Option<PacketId>), Error> {
        codec::check_sent_topic_name(topic)?;
        self.require_connected()?;
        let id = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce | QoS::ExactlyOnce => Some(self.peek_id()?),
        };
        let len = encode(id, out)?;
        if let Some(id) = id {
            let awaiting = match qos {
                QoS::ExactlyOnce => Awaiting::PubRec,
                _ => Awaiting::PubAck,
            };
            let resend = self.resend_after();
            self.inflight.insert(
                id,
                awaiting,
                now_ms,
                resend,
                self.config.response_timeout_ms,
            )?;
            self.ids.commit(id);
        }
        self.keepalive.on_send(now_ms);
        Ok((len, id))
    }

    /// Encode a SUBSCRIBE for `filters` (on MQTT 5 with default options);
    /// the id waits for its SUBACK.
    pub fn subscribe(
        &mut self,
        filters: &[(&[u8], QoS)],
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, PacketId), Error> {
        #[cfg(feature = "v5")]
        if self.is_v5() {
            return self.subscribe_qos_v5(filters, now_ms, out);
        }
        if filters.is_empty() {
            return Err(crate::ArgError::NoFilters.into());
        }
        for (f, _) in filters {
            codec::check_topic_filter(f)?;
        }
        let awaiting = Awaiting::SubAck {
            filters: filters.len(),
        };
        self.request(awaiting, now_ms, out, |packet_id, out| {
            codec::Subscribe { packet_id, filters }.encode(out)
        })
    }

    /// Encode an UNSUBSCRIBE for `filters`; the id waits for its UNSUBACK.
    pub fn unsubscribe(
        &mut self,
        filters: &[&[u8]],
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<(usize, PacketId), Error> {
        #[cfg(feature = "v5")]
        if self.is_v5() {
            let p = crate::codec::v5::Properties::EMPTY;
            return self.unsubscribe_v5(filters, p, now_ms, out);
        }
        if filters.is_empty() {
            return Err(crate::ArgError::NoFilters.into());
        }
        for f in filters {
            codec::check_topic_filter(f)?;
        }
        self.request(Awaiting::UnsubAck, now_ms, out, |packet_id, out| {
            codec::Unsubscribe { packet_id, filters }.encode(out)
        })
    }

    /// A SUBSCRIBE or UNSUBSCRIBE `encode` writes with a free id, which then
    /// waits for its acknowledgement.
    pub(super) fn request(
        &mut self,
        awaiting: Awaiting,
        now_ms: u64,
        out: &mut [u8],
        encode: impl FnOnce(PacketId, &mut [u8]) -> Result<usize, Error>,
    ) -> Result<(usize, PacketId), Error> {
        self.require_connected()?;
        let id = self.peek_id()?;
        let len = encode(id, out)?;
        self.inflight
            .insert(id, awaiting, now_ms, None, self.config.response_timeout_ms)?;
        self.ids.commit(id);
        self.keepalive.on_send(now_ms);
        Ok((len, id))
    }

    /// Encode an explicit PINGREQ; its answer is awaited like a keepalive
    /// ping (PingTimeout if none comes).
    pub fn ping(&mut self, now_ms: u64, out: &mut [u8]) -> Result<usize, Error> {
        self.require_connected()?;
        let len = codec::encode_pingreq(out)?;
        self.keepalive.on_ping(now_ms);
        Ok(len)
    }

    /// Encode DISCONNECT (MQTT 5: reason 0, no properties; the same
    /// bytes); state -> Disconnected (session state kept).
    pub fn disconnect(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let len = codec::encode_disconnect(out)?;
        self.connection_lost();
        Ok(len)
    }
}
