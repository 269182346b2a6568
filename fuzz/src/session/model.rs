//! The model the direct mode checks a `Session` against: what it must keep
//! (ids in flight and what each awaits, inbound QoS 2 ids), the acks it
//! owes in order, the messages it must resend, and the outcome of every
//! frame.

use std::collections::{HashMap, HashSet, VecDeque};

use umqtt_core::codec::{self, decode, Packet};
use umqtt_core::session::{Event, State};
use umqtt_core::{Error, PacketId, ProtocolError, ProtocolVersion, QoS};

pub(super) const V: ProtocolVersion = ProtocolVersion::V311;
/// The session's ack queue length (`ACK_QUEUE` in session/mod.rs).
const ACK_QUEUE: usize = 8;

/// What an id in flight waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Req {
    /// A QoS 1/2 PUBLISH; `released` once PUBREC came (awaiting PUBCOMP).
    Publish { qos: QoS, released: bool },
    /// A SUBSCRIBE with this many filters.
    Sub(usize),
    /// An UNSUBSCRIBE.
    Unsub,
}

/// An [`Event`] with owned data, to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ev {
    Connected(bool),
    Message(Vec<u8>, Vec<u8>, QoS, bool, bool, Option<PacketId>),
    Published(u16),
    Subscribed(u16, Vec<u8>),
    Unsubscribed(u16),
    Pong,
    Nothing,
}

impl From<Event<'_>> for Ev {
    fn from(e: Event<'_>) -> Ev {
        match e {
            Event::Connected { session_present } => Ev::Connected(session_present),
            Event::Message(m) => message(&m),
            Event::Published(id) => Ev::Published(id.get()),
            Event::Subscribed {
                packet_id,
                return_codes,
            } => Ev::Subscribed(packet_id.get(), return_codes.to_vec()),
            Event::Unsubscribed(id) => Ev::Unsubscribed(id.get()),
            Event::Pong => Ev::Pong,
            Event::Nothing => Ev::Nothing,
        }
    }
}

pub(super) fn message(m: &codec::Publish<'_>) -> Ev {
    Ev::Message(
        m.topic.to_vec(),
        m.payload.to_vec(),
        m.qos,
        m.retain,
        m.dup,
        m.packet_id,
    )
}

pub(super) fn ack(first: u8, id: PacketId) -> [u8; 4] {
    let [hi, lo] = id.get().to_be_bytes();
    [first, 2, hi, lo]
}

#[derive(Debug, Default)]
pub(super) struct Model {
    pub(super) connected: bool,
    pub(super) connecting: bool,
    pub(super) keepalive: u16,
    pub(super) last_id: u16,
    pub(super) reqs: HashMap<u16, Req>,
    /// Inbound QoS 2 ids delivered, awaiting PUBREL.
    pub(super) inbound: HashSet<u16>,
    /// Acks owed, in order.
    pub(super) acks: VecDeque<[u8; 4]>,
    /// Ids that must be resent by the next `poll_transmit` drain.
    pub(super) due: HashSet<u16>,
}

impl Model {
    pub(super) fn state(&self) -> State {
        match (self.connected, self.connecting) {
            (true, _) => State::Connected,
            (false, true) => State::Connecting,
            _ => State::Disconnected,
        }
    }

    /// `connection_lost()`: requests and owed acks go, messages stay.
    pub(super) fn lost(&mut self) {
        self.connected = false;
        self.connecting = false;
        self.reqs.retain(|_, r| matches!(r, Req::Publish { .. }));
        self.acks.clear();
    }

    fn fail<T>(&mut self, e: Error) -> Result<T, Error> {
        self.lost();
        Err(e)
    }

    /// The id the next request must get.
    pub(super) fn next_id(&self) -> u16 {
        let mut v = self.last_id;
        loop {
            v = v.checked_add(1).unwrap_or(1);
            if !self.reqs.contains_key(&v) {
                return v;
            }
        }
    }

    /// Predict `handle_frame` and update the model.
    pub(super) fn on_frame(&mut self, frame: &[u8]) -> Result<Ev, Error> {
        let p = match decode(frame, V) {
            Ok(p) => p,
            Err(e) => return self.fail(e.into()),
        };
        if self.connecting {
            return match p {
                Packet::ConnAck { return_code, .. } if return_code != 0 => {
                    self.fail(Error::ConnectionRefused(return_code))
                }
                Packet::ConnAck {
                    session_present, ..
                } => {
                    self.connecting = false;
                    self.connected = true;
                    if !session_present {
                        self.inbound.clear();
                    }
                    // Every unfinished message is resent, session or not.
                    self.due = self.reqs.keys().copied().collect();
                    Ok(Ev::Connected(session_present))
                }
                _ => self.fail(ProtocolError::UnexpectedConnAck.into()),
            };
        }
        if !self.connected {
            return Err(Error::NotConnected);
        }
        let owes_ack = match p {
            Packet::Publish(m) => m.qos != QoS::AtMostOnce,
            Packet::PubRel(_) => true,
            Packet::PubRec(id) => !self.reqs.contains_key(&id.get()),
            _ => false,
        };
        if owes_ack && self.acks.len() >= ACK_QUEUE {
            return Err(Error::InflightFull);
        }
        let unknown = Error::Protocol(ProtocolError::UnknownPacketId);
        match p {
            Packet::ConnAck { .. } => self.fail(ProtocolError::UnexpectedConnAck.into()),
            Packet::Publish(m) => match (m.qos, m.packet_id) {
                (QoS::AtMostOnce, _) => Ok(message(&m)),
                (QoS::AtLeastOnce, Some(id)) => {
                    self.acks.push_back(ack(0x40, id));
                    Ok(message(&m))
                }
                (QoS::ExactlyOnce, Some(id)) => {
                    // No limit: every unreleased id is remembered.
                    let fresh = self.inbound.insert(id.get());
                    self.acks.push_back(ack(0x50, id));
                    Ok(if fresh { message(&m) } else { Ev::Nothing })
                }
                (_, None) => panic!("decoded QoS>0 PUBLISH without id"),
            },
            Packet::PubAck(id) => match self.reqs.get(&id.get()) {
                None => Ok(Ev::Nothing),
                Some(Req::Publish {
                    qos: QoS::AtLeastOnce,
                    ..
                }) => {
                    self.complete(id.get());
                    Ok(Ev::Published(id.get()))
                }
                Some(_) => self.fail(unknown),
            },
            Packet::PubRec(id) => match self.reqs.get_mut(&id.get()) {
                None => {
                    self.acks.push_back(ack(0x62, id));
                    Ok(Ev::Nothing)
                }
                Some(Req::Publish {
                    qos: QoS::ExactlyOnce,
                    released,
                }) => {
                    // PUBREL is due now (again, if PUBREC came twice).
                    *released = true;
                    self.due.insert(id.get());
                    Ok(Ev::Nothing)
                }
                Some(_) => self.fail(unknown),
            },
            Packet::PubRel(id) => {
                self.inbound.remove(&id.get());
                self.acks.push_back(ack(0x70, id));
                Ok(Ev::Nothing)
            }
            Packet::PubComp(id) => match self.reqs.get(&id.get()) {
                None => Ok(Ev::Nothing),
                Some(Req::Publish {
                    qos: QoS::ExactlyOnce,
                    released: true,
                }) => {
                    self.complete(id.get());
                    Ok(Ev::Published(id.get()))
                }
                Some(_) => self.fail(unknown),
            },
            Packet::SubAck {
                packet_id,
                return_codes,
            } => match self.reqs.get(&packet_id.get()) {
                Some(&Req::Sub(n)) if n == return_codes.len() => {
                    self.reqs.remove(&packet_id.get());
                    Ok(Ev::Subscribed(packet_id.get(), return_codes.to_vec()))
                }
                Some(Req::Sub(_)) => self.fail(ProtocolError::InvalidSubAck.into()),
                _ => self.fail(unknown),
            },
            Packet::UnsubAck(id) => match self.reqs.get(&id.get()) {
                None => Ok(Ev::Nothing),
                Some(Req::Unsub) => {
                    self.reqs.remove(&id.get());
                    Ok(Ev::Unsubscribed(id.get()))
                }
                Some(_) => self.fail(unknown),
            },
            Packet::PingResp => Ok(Ev::Pong),
        }
    }

    fn complete(&mut self, id: u16) {
        self.reqs.remove(&id);
        self.due.remove(&id);
    }
}
