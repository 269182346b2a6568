//! Frames from the broker: [`Session::handle_frame`] and what each packet
//! does to the session state (MQTT 5 packets arrive here mapped onto their
//! 3.1.1 shape by `session::v5`).

use super::inflight::Awaiting;
use super::{Event, Extra, Session, State};
use crate::codec::{self, Packet, PacketType};
use crate::{Error, ProtocolError, QoS};

impl<const INFLIGHT: usize> Session<INFLIGHT> {
    /// Process one whole frame (fixed header included). Errors:
    /// `ConnectionRefused(rc)` and `Protocol(..)` end the connection (state
    /// -> Disconnected; the caller closes the socket). `NotConnected` when
    /// no connection is in progress, `InflightFull` when the ack queue must
    /// be drained with [`Session::poll_transmit`] first (frame not consumed).
    pub fn handle_frame<'f>(&mut self, frame: &'f [u8], now_ms: u64) -> Result<Event<'f>, Error> {
        self.handle(frame, now_ms).0
    }

    /// [`Session::handle_frame`] with what MQTT 5 adds to the packet (its
    /// reason code and properties, also for a refusal or a DISCONNECT;
    /// [`Extra::NONE`] on 3.1.1).
    pub fn handle<'f>(
        &mut self,
        frame: &'f [u8],
        now_ms: u64,
    ) -> (Result<Event<'f>, Error>, Extra<'f>) {
        #[cfg(feature = "v5")]
        if self.is_v5() {
            return self.handle_v5(frame, now_ms);
        }
        let r = match codec::decode(frame, self.protocol) {
            Ok(p) => self.dispatch(p, now_ms),
            Err(e) => self.fail(e.into()),
        };
        (r, Extra::NONE)
    }

    pub(super) fn dispatch<'f>(
        &mut self,
        packet: Packet<'f>,
        now_ms: u64,
    ) -> Result<Event<'f>, Error> {
        match self.state {
            State::Disconnected => Err(Error::NotConnected),
            State::Connecting => match packet {
                Packet::ConnAck {
                    session_present,
                    return_code,
                } => {
                    if return_code != 0 {
                        return self.fail(Error::ConnectionRefused(return_code));
                    }
                    self.keepalive.on_receive();
                    self.state = State::Connected;
                    if !session_present {
                        // A fresh broker session reuses ids from 1: stale
                        // inbound ids would swallow new messages as duplicates.
                        self.inbound.clear();
                    }
                    // Resend unfinished messages whether or not the broker
                    // kept the session: a lost session must not lose them.
                    self.inflight
                        .resume(now_ms, self.config.response_timeout_ms);
                    Ok(Event::Connected { session_present })
                }
                _ => self.fail(ProtocolError::UnexpectedConnAck.into()),
            },
            State::Connected => {
                if self.needs_ack_room(&packet) && self.acks.is_full() {
                    return Err(Error::InflightFull);
                }
                self.keepalive.on_receive();
                self.on_packet(packet, now_ms)
            }
        }
    }

    /// Whether handling `p` may queue an acknowledgement.
    fn needs_ack_room(&self, p: &Packet<'_>) -> bool {
        match p {
            Packet::Publish(m) => m.qos != QoS::AtMostOnce,
            Packet::PubRel(_) => true,
            Packet::PubRec(id) => !self.inflight.contains(*id),
            _ => false,
        }
    }

    fn on_packet<'f>(&mut self, packet: Packet<'f>, now_ms: u64) -> Result<Event<'f>, Error> {
        let unknown = Error::Protocol(ProtocolError::UnknownPacketId);
        match packet {
            Packet::ConnAck { .. } => self.fail(ProtocolError::UnexpectedConnAck.into()),
            Packet::Publish(m) => self.on_publish(m),
            Packet::PubAck(id) => match self.inflight.get(id).map(|e| e.awaiting) {
                None => Ok(Event::Nothing), // late duplicate after a retransmission
                Some(Awaiting::PubAck) => {
                    self.inflight.remove(id);
                    Ok(Event::Published(id))
                }
                Some(_) => self.fail(unknown),
            },
            Packet::PubRec(id) => match self.inflight.get(id).map(|e| e.awaiting) {
                None => {
                    // The broker still holds this message; release it.
                    self.queue_ack(PacketType::PubRel, id)?;
                    Ok(Event::Nothing)
                }
                Some(Awaiting::PubRec) => {
                    self.inflight
                        .pubrec(id, now_ms, self.config.response_timeout_ms);
                    Ok(Event::Nothing)
                }
                Some(Awaiting::PubComp) => {
                    self.inflight.resend_now(id, now_ms);
                    Ok(Event::Nothing)
                }
                Some(_) => self.fail(unknown),
            },
            Packet::PubRel(id) => {
                // Answer unknown ids too: the broker may resend PUBREL after
                // our PUBCOMP was lost.
                self.inbound.release(id);
                self.queue_ack(PacketType::PubComp, id)?;
                Ok(Event::Nothing)
            }
            Packet::PubComp(id) => match self.inflight.get(id).map(|e| e.awaiting) {
                None => Ok(Event::Nothing),
                Some(Awaiting::PubComp) => {
                    self.inflight.remove(id);
                    Ok(Event::Published(id))
                }
                Some(_) => self.fail(unknown),
            },
            Packet::SubAck {
                packet_id,
                return_codes,
            } => match self.inflight.get(packet_id).map(|e| e.awaiting) {
                Some(Awaiting::SubAck { filters }) => {
                    if filters != return_codes.len() {
                        return self.fail(ProtocolError::InvalidSubAck.into());
                    }
                    self.inflight.remove(packet_id);
                    Ok(Event::Subscribed {
                        packet_id,
                        return_codes,
                    })
                }
                _ => self.fail(unknown),
            },
            Packet::UnsubAck(id) => match self.inflight.get(id).map(|e| e.awaiting) {
                None => Ok(Event::Nothing),
                Some(Awaiting::UnsubAck) => {
                    self.inflight.remove(id);
                    Ok(Event::Unsubscribed(id))
                }
                Some(_) => self.fail(unknown),
            },
            Packet::PingResp => Ok(Event::Pong),
        }
    }

    fn on_publish<'f>(&mut self, m: codec::Publish<'f>) -> Result<Event<'f>, Error> {
        let id = match (m.qos, m.packet_id) {
            (QoS::AtMostOnce, _) => return Ok(Event::Message(m)),
            (_, Some(id)) => id,
            // The codec guarantees an id for QoS > 0; stay total anyway.
            (_, None) => return self.fail(ProtocolError::PacketIdZero.into()),
        };
        if m.qos == QoS::AtLeastOnce {
            self.queue_ack(PacketType::PubAck, id)?;
            return Ok(Event::Message(m));
        }
        // PUBREC first: if it found no room, nothing is recorded and the
        // frame can be handled again without being taken for a duplicate.
        self.queue_ack(PacketType::PubRec, id)?;
        Ok(if self.inbound.receive(id) {
            Event::Message(m)
        } else {
            Event::Nothing
        })
    }
}
