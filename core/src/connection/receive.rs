//! Frames from the broker: [`Connection::poll_event`] (the session's
//! verdict, plus what the connection keeps: the message's place in the
//! receive buffer, SUBACK codes, MQTT 5 aliases, properties, AUTH) and
//! [`Connection::message`].

use super::{keep_codes, publish_first_byte, slice_at, span, Connection, Event, MessageAt};
use crate::buffer::Buffer;
use crate::codec;
use crate::session;
use crate::{Error, QoS};

impl<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const INFLIGHT: usize>
    Connection<RB, TB, FB, SB, INFLIGHT>
{
    /// Process the next whole frame received. `Ok(None)`: none buffered.
    /// `Err(FrameTooLarge)` reports a skipped oversized frame (the
    /// connection stays usable); other errors end the connection
    /// (`ConnectionRefused(rc)` for a refused CONNACK).
    pub fn poll_event(&mut self, now: u64) -> Result<Option<Event>, Error> {
        self.message = None;
        self.delivering = None;
        #[cfg(feature = "v5")]
        self.v5.forget_last();
        #[cfg(feature = "v5")]
        let v5 = self.session.is_v5();
        let base = self.framer.buffer().bytes().as_ptr() as usize;
        let frame = match self.framer.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(None),
            Err(e) => {
                // MQTT 5: we announced our maximum packet size (0x95).
                #[cfg(feature = "v5")]
                let e = match e {
                    Error::FrameTooLarge { .. } if v5 => {
                        Error::Protocol(crate::ProtocolError::PacketTooLarge)
                    }
                    e => e,
                };
                if !matches!(e, Error::FrameTooLarge { .. }) {
                    self.fail(&e);
                }
                return Err(e);
            }
        };
        let first = frame.first().copied().unwrap_or(0);
        self.first = first;
        #[cfg(feature = "v5")]
        if let Err(e) = self.v5.check_inbound_size(v5, frame.len()) {
            let e = Error::Protocol(e);
            self.fail(&e);
            return Err(e);
        }
        let (r, extra) = self.session.handle(frame, now);
        #[cfg(feature = "v5")]
        self.v5.keep_last(base, &extra);
        let ev = match r {
            Ok(session::Event::Message(m)) => {
                #[cfg(feature = "v5")]
                let alias = match self.v5.resolve_alias(v5, m.topic, &extra) {
                    Ok(a) => a,
                    Err(e) => {
                        self.delivering = m.packet_id.filter(|_| m.qos == QoS::ExactlyOnce);
                        self.abandon_message();
                        let e = Error::Protocol(e);
                        self.queue_protocol_disconnect(&e);
                        return Err(e);
                    }
                };
                #[cfg(not(feature = "v5"))]
                let alias = None;
                self.message = Some(MessageAt {
                    topic: span(base, m.topic),
                    payload: span(base, m.payload),
                    qos: m.qos,
                    retain: m.retain,
                    dup: m.dup,
                    packet_id: m.packet_id,
                    alias,
                });
                self.delivering = m.packet_id.filter(|_| m.qos == QoS::ExactlyOnce);
                Event::Message {
                    first: publish_first_byte(&m),
                }
            }
            Ok(session::Event::Connected { session_present }) => {
                self.lost = false;
                self.user_ping = false;
                if session_present {
                    // Nothing to restore: `resubscribe` has nothing to send.
                    self.subs.session_kept();
                }
                #[cfg(feature = "v5")]
                if let Err(e) = self.v5.on_connack(&extra, self.session.limits()) {
                    let e = Error::Protocol(e);
                    self.fail(&e);
                    return Err(e);
                }
                Event::Connected { session_present }
            }
            Ok(session::Event::Published(id)) => {
                // Also for leftovers of retransmissions: the message is
                // complete, its frame can go.
                self.frames.forget(id);
                Event::Published(id)
            }
            Ok(session::Event::Subscribed {
                packet_id,
                return_codes,
            }) => {
                keep_codes(&mut self.suback, return_codes);
                let resubscribed = self.subs.on_suback(packet_id, return_codes);
                Event::Subscribed {
                    packet_id,
                    resubscribed,
                    // 3.1.1 refuses with 0x80, MQTT 5 with any code from 0x80.
                    refused: matches!(return_codes, [c] if *c >= 0x80),
                }
            }
            Ok(session::Event::Unsubscribed(id)) => {
                keep_codes(&mut self.suback, extra.reason_codes);
                self.subs.on_unsuback(id);
                Event::Unsubscribed(id)
            }
            Ok(session::Event::Pong) => Event::Pong {
                requested: core::mem::take(&mut self.user_ping),
            },
            #[cfg(feature = "v5")]
            Ok(session::Event::Nothing) if v5 && first == 0xF0 => match self.v5.on_auth(&extra) {
                Ok(true) => Event::AuthChallenge,
                Ok(false) => Event::Other(first),
                Err(e) => {
                    let e = Error::Protocol(e);
                    self.fail(&e);
                    return Err(e);
                }
            },
            Ok(session::Event::Nothing) => Event::Other(first),
            Err(e) => {
                self.fail(&e);
                return Err(e);
            }
        };
        Ok(Some(ev))
    }

    /// The first byte of the frame of the last event (its packet type and
    /// flags: what umqtt.simple's `wait_msg()` returns for it).
    pub fn last_first_byte(&self) -> u8 {
        self.first
    }

    /// The message of the last [`Event::Message`], borrowed from the receive
    /// buffer until the next `poll_event` or read.
    pub fn message(&self) -> Option<codec::Publish<'_>> {
        let at = self.message?;
        let buf = self.framer.buffer().bytes();
        let topic = match at.alias {
            #[cfg(feature = "v5")]
            Some(a) => self.v5.aliased_topic(a)?,
            _ => slice_at(buf, at.topic)?,
        };
        Some(codec::Publish {
            topic,
            payload: slice_at(buf, at.payload)?,
            qos: at.qos,
            retain: at.retain,
            dup: at.dup,
            packet_id: at.packet_id,
        })
    }
}
