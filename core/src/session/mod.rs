//! The MQTT 3.1.1 client protocol state machine, without I/O.
//!
//! [`Session`] encodes requests into caller slices, digests whole frames
//! from the broker ([`Session::handle_frame`]), and tells the caller what
//! to send ([`Session::poll_transmit`]) and when to wake up
//! ([`Session::next_deadline`], [`Session::handle_timeout`]). Time is a
//! caller-supplied millisecond counter; the session never reads a clock.
//!
//! What survives a broken connection (MQTT 4.1 session state): outbound
//! QoS 1/2 messages not yet completed and inbound QoS 2 ids awaiting
//! PUBREL. They are resent/kept when the next CONNECT uses
//! `clean_session = false`.

pub mod inbound;
pub mod inflight;
pub mod keepalive;
pub mod packet_id;
mod receive;
mod send;
#[cfg(feature = "v5")]
pub mod v5;

use heapless::Deque;

use crate::codec::{self, PacketType};
use crate::{Error, PacketId, ProtocolVersion};

use inbound::Inbound;
use inflight::{Awaiting, Inflight};
use keepalive::KeepAlive;
use packet_id::PacketIds;

#[cfg(feature = "v5")]
pub use v5::Extra;

/// What MQTT 5 adds to a received packet; without the `v5` feature only
/// the (always empty) codes.
#[cfg(not(feature = "v5"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extra<'f> {
    /// The packet's reason code (always 0).
    pub reason_code: u8,
    /// SUBACK / UNSUBACK codes (always empty).
    pub reason_codes: &'f [u8],
}

#[cfg(not(feature = "v5"))]
impl Extra<'static> {
    /// Nothing.
    pub const NONE: Extra<'static> = Extra {
        reason_code: 0,
        reason_codes: &[],
    };
}

/// Acknowledgements that can wait for [`Session::poll_transmit`]. The
/// blocking driver drains the queue after every frame; a sans-IO caller
/// that handles more frames than this without draining gets
/// `Err(InflightFull)` from [`Session::handle_frame`] (nothing consumed).
const ACK_QUEUE: usize = 8;

/// Timing knobs of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How long CONNACK, SUBACK, UNSUBACK and QoS acknowledgements may take
    /// before [`Error::Timeout`] (default 30 s).
    pub response_timeout_ms: u32,
    /// Resend an unacknowledged PUBLISH (with DUP) or PUBREL after this long
    /// (default 10 s). 0 disables timed retransmission; messages are still
    /// resent after a reconnect.
    pub retransmit_ms: u32,
    /// How long PINGRESP may take; `None` = keepalive/2 (the
    /// response timeout for explicit pings when keepalive is 0).
    pub ping_timeout_ms: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            response_timeout_ms: 30_000,
            retransmit_ms: 10_000,
            ping_timeout_ms: None,
        }
    }
}

/// Connection state as seen by the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No connection (never connected, disconnected, or connection lost).
    Disconnected,
    /// CONNECT encoded, waiting for CONNACK.
    Connecting,
    /// CONNACK accepted the connection.
    Connected,
}

/// A packet [`Session::poll_transmit`] wants sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transmit {
    /// `out[..len]` holds a packet to write.
    Packet(usize),
    /// Resend the caller's stored PUBLISH frame for this id, after marking
    /// it with [`codec::set_dup`].
    Republish(PacketId),
}

/// What a frame from the broker meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'f> {
    /// CONNACK accepted the connection.
    Connected {
        /// The broker resumed a stored session.
        session_present: bool,
    },
    /// An application message to deliver (QoS 2 duplicates are not reported).
    Message(codec::Publish<'f>),
    /// QoS 1 PUBACK or QoS 2 PUBCOMP: the outbound message is complete.
    Published(PacketId),
    /// SUBACK for a pending SUBSCRIBE.
    Subscribed {
        /// Id of the SUBSCRIBE.
        packet_id: PacketId,
        /// One code per filter: granted QoS or 0x80 (refused).
        return_codes: &'f [u8],
    },
    /// UNSUBACK for a pending UNSUBSCRIBE.
    Unsubscribed(PacketId),
    /// PINGRESP.
    Pong,
    /// Handled internally (PUBREC, PUBREL, QoS 2 duplicate, stale ack).
    Nothing,
}

/// The client side of one MQTT session. `INFLIGHT` (outbound packet ids in
/// use) must be a power of two greater than 1 (heapless hash table; checked
/// at compile time). Inbound QoS 2 ids awaiting PUBREL have no limit: they
/// are kept in an 8 KiB bitmap over all packet ids, because MQTT 3.1.1 and
/// brokers do not bound them (see [`inbound`]).
#[derive(Debug, Clone)]
pub struct Session<const INFLIGHT: usize = 16> {
    config: Config,
    state: State,
    protocol: ProtocolVersion,
    ids: PacketIds,
    inflight: Inflight<INFLIGHT>,
    inbound: Inbound,
    keepalive: KeepAlive,
    acks: Deque<(PacketType, PacketId), ACK_QUEUE>,
    /// When CONNACK must have arrived (state Connecting).
    connect_deadline: u64,
    /// MQTT 5: what the last CONNACK allowed (defaults on 3.1.1).
    #[cfg(feature = "v5")]
    limits: crate::v5::ServerLimits,
    /// MQTT 5: the `receive_maximum` we announced.
    #[cfg(feature = "v5")]
    receive_maximum: u16,
}

impl<const INFLIGHT: usize> Session<INFLIGHT> {
    /// A disconnected session with empty state.
    pub fn new(config: Config) -> Self {
        Session {
            config,
            state: State::Disconnected,
            protocol: ProtocolVersion::V311,
            ids: PacketIds::new(),
            inflight: Inflight::new(),
            inbound: Inbound::new(),
            keepalive: KeepAlive::new(),
            acks: Deque::new(),
            connect_deadline: 0,
            #[cfg(feature = "v5")]
            limits: crate::v5::ServerLimits::default(),
            #[cfg(feature = "v5")]
            receive_maximum: u16::MAX,
        }
    }

    /// The protocol of the current (or last) connection.
    pub fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }

    /// An MQTT 5 connection.
    #[cfg(feature = "v5")]
    pub(crate) fn is_v5(&self) -> bool {
        self.protocol == ProtocolVersion::V5
    }

    /// Current connection state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The timing configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The timing configuration, to change it (takes effect for packets
    /// sent afterwards).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Keepalive in seconds of the current (or last) connection.
    pub fn keepalive(&self) -> u16 {
        self.keepalive.keepalive()
    }

    /// The packet id handed out last (0 before the first); umqtt.simple's
    /// `pid` attribute.
    pub fn last_packet_id(&self) -> u16 {
        self.ids.last()
    }

    /// Make the next packet id the one after `v` (restoring `pid`, tests).
    /// Ids in flight are still skipped.
    pub fn set_last_packet_id(&mut self, v: u16) {
        self.ids.set_last(v);
    }

    /// Whether `id` is in use (QoS 1/2 publish or SUBSCRIBE/UNSUBSCRIBE
    /// awaiting its acknowledgement).
    pub fn is_inflight(&self, id: PacketId) -> bool {
        self.inflight.contains(id)
    }

    /// Number of packet ids in use.
    pub fn inflight_len(&self) -> usize {
        self.inflight.len()
    }

    /// The packet ids in use, in no particular order.
    pub fn inflight_ids(&self) -> impl Iterator<Item = PacketId> + '_ {
        self.inflight.iter().map(|(id, _)| *id)
    }

    /// How many more QoS 1/2 publishes [`Session::publish`] takes now: free
    /// packet ids in the in-flight table and, on MQTT 5, room under the
    /// broker's `receive_maximum`. A driver that pipelines publishes waits
    /// for room (an acknowledgement) instead of getting `InflightFull`.
    pub fn publish_room(&self) -> usize {
        let room = INFLIGHT.saturating_sub(self.inflight.len());
        #[cfg(feature = "v5")]
        let room = if self.is_v5() {
            room.min(
                usize::from(self.limits.receive_maximum).saturating_sub(self.inflight_publishes()),
            )
        } else {
            room
        };
        room
    }

    /// Give up on an in-flight id (for example its stored frame is gone and
    /// it cannot be resent). Returns whether it was in flight.
    pub fn drop_inflight(&mut self, id: PacketId) -> bool {
        self.inflight.remove(id).is_some()
    }

    /// Number of inbound QoS 2 messages awaiting PUBREL.
    pub fn inbound_len(&self) -> usize {
        self.inbound.len()
    }

    fn resend_after(&self) -> Option<u32> {
        match self.config.retransmit_ms {
            0 => None,
            ms => Some(ms),
        }
    }

    fn require_connected(&self) -> Result<(), Error> {
        match self.state {
            State::Connected => Ok(()),
            _ => Err(Error::NotConnected),
        }
    }

    /// A free packet id, without consuming it.
    fn peek_id(&self) -> Result<PacketId, Error> {
        if self.inflight.is_full() {
            return Err(Error::InflightFull);
        }
        self.ids
            .peek(|id| self.inflight.contains(id))
            .ok_or(Error::InflightFull)
    }

    /// The transport broke: state -> Disconnected. QoS 1/2 session state is
    /// kept; pending SUBSCRIBE/UNSUBSCRIBE and queued acks are dropped (the
    /// broker resends what we did not acknowledge).
    pub fn connection_lost(&mut self) {
        self.state = State::Disconnected;
        self.inflight.drop_requests();
        self.acks.clear();
        self.keepalive.stop();
    }

    /// The message [`Session::handle_frame`] just returned could not be
    /// handed to the application (the binding ran out of memory copying
    /// it): end the connection like [`Session::connection_lost`], so its
    /// queued acknowledgement is never sent and the broker redelivers it
    /// after a reconnect with `clean_session = false`. `qos2_id` (a QoS 2
    /// message) is also forgotten as received, so that the redelivery is
    /// delivered rather than taken for a duplicate.
    pub fn abandon_message(&mut self, qos2_id: Option<PacketId>) {
        if let Some(id) = qos2_id {
            self.inbound.release(id);
        }
        self.connection_lost();
    }

    /// Fatal error on the connection: forget it and report `e`.
    fn fail<T>(&mut self, e: Error) -> Result<T, Error> {
        self.connection_lost();
        Err(e)
    }

    fn queue_ack(&mut self, kind: PacketType, id: PacketId) -> Result<(), Error> {
        // Callers check for room before changing any state.
        self.acks
            .push_back((kind, id))
            .map_err(|_| Error::InflightFull)
    }

    /// The next packet the session wants sent: queued PUBACK / PUBREC /
    /// PUBREL / PUBCOMP, due retransmissions (oldest first), then a
    /// keepalive PINGREQ when due. Call until `Ok(None)`. On
    /// `BufferTooSmall` nothing is consumed: grow `out` and call again.
    pub fn poll_transmit(
        &mut self,
        now_ms: u64,
        out: &mut [u8],
    ) -> Result<Option<Transmit>, Error> {
        if self.state != State::Connected {
            return Ok(None);
        }
        if let Some(&(kind, id)) = self.acks.front() {
            let len = codec::encode_ack(kind, id, out)?;
            self.acks.pop_front();
            self.keepalive.on_send(now_ms);
            return Ok(Some(Transmit::Packet(len)));
        }
        if let Some((id, awaiting)) = self.inflight.next_due(now_ms) {
            let t = match awaiting {
                Awaiting::PubComp => {
                    Transmit::Packet(codec::encode_ack(PacketType::PubRel, id, out)?)
                }
                _ => Transmit::Republish(id),
            };
            let resend = self.resend_after();
            self.inflight.mark_sent(id, now_ms, resend);
            self.keepalive.on_send(now_ms);
            return Ok(Some(t));
        }
        if self.keepalive.is_ping_due(now_ms) {
            let len = codec::encode_pingreq(out)?;
            self.keepalive.on_ping(now_ms);
            return Ok(Some(Transmit::Packet(len)));
        }
        Ok(None)
    }

    /// Whether acknowledgements wait to be sent (due now).
    pub fn has_acks(&self) -> bool {
        self.state == State::Connected && !self.acks.is_empty()
    }

    /// Earliest time [`Session::poll_transmit`] or
    /// [`Session::handle_timeout`] has work: ping due, ping timeout,
    /// retransmission, response timeout. `Some(0)` when acks are queued
    /// (due now). `None`: nothing scheduled.
    pub fn next_deadline(&self) -> Option<u64> {
        match self.state {
            State::Disconnected => None,
            State::Connecting => Some(self.connect_deadline),
            State::Connected => {
                if !self.acks.is_empty() {
                    return Some(0);
                }
                match (
                    self.keepalive.next_deadline(),
                    self.inflight.next_deadline(),
                ) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// Check the deadlines at `now_ms`: `Err(PingTimeout)` when a PINGREQ
    /// went unanswered, `Err(Timeout)` when CONNACK or an acknowledgement
    /// is overdue (both end the connection: state -> Disconnected). Due
    /// PINGREQs and retransmissions are produced by
    /// [`Session::poll_transmit`].
    pub fn handle_timeout(&mut self, now_ms: u64) -> Result<(), Error> {
        match self.state {
            State::Disconnected => Ok(()),
            State::Connecting if now_ms >= self.connect_deadline => self.fail(Error::Timeout),
            State::Connecting => Ok(()),
            State::Connected => {
                if let Err(e) = self.keepalive.check(now_ms) {
                    return self.fail(e);
                }
                if self.inflight.expired(now_ms) {
                    return self.fail(Error::Timeout);
                }
                Ok(())
            }
        }
    }
}
