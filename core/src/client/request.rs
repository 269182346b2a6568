//! The request operations of the Python API (`publish`, `subscribe`,
//! `unsubscribe`, and the resubscription of `reconnect()`) as one state
//! machine that survives reconnects, so the rules are written once:
//!
//! - a QoS 1/2 publish whose message the session took is not published
//!   again after a reconnect: the resumed session resends it (DUP), and the
//!   call waits for its acknowledgement;
//! - a SUBSCRIBE / UNSUBSCRIBE dies with its connection: after a reconnect
//!   it is sent again;
//! - messages arriving meanwhile are handed out one by one
//!   ([`Progress::Message`]), acknowledged on the next call (after the
//!   application's callback).
//!
//! A binding's operation is then one loop:
//!
//! ```text
//! let mut req = Request::new(Op::Publish { .. });
//! loop { match client.request(host, &mut req) {
//!     Ok(Message(m)) => callback(m), Ok(_) => break,
//!     Err(e) if client.should_reconnect(kind(e), code(e)) => self.reconnect(),
//!     Err(e) => raise e } }
//! ```
use super::{Client, Host, Progress, Step, WaitFor};
use crate::buffer::Buffer;
#[cfg(feature = "v5")]
use crate::codec::v5::{Properties, SubFilter};
use crate::session::State;
use crate::{Error, PacketId, QoS};

/// What a [`Request`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// Publish; QoS 1/2 waits for PUBACK / PUBCOMP.
    Publish {
        /// Topic name.
        topic: &'a [u8],
        /// Payload.
        payload: &'a [u8],
        /// QoS.
        qos: QoS,
        /// Retain flag.
        retain: bool,
    },
    /// Subscribe to one filter and wait for SUBACK (codes in
    /// [`crate::connection::Connection::last_suback`]).
    Subscribe(&'a [u8], QoS),
    /// Subscribe to several filters in one SUBSCRIBE; never fails for a
    /// refused filter: the codes are `last_suback()`.
    SubscribeAll(&'a [(&'a [u8], QoS)]),
    /// Unsubscribe from one filter and wait for UNSUBACK.
    Unsubscribe(&'a [u8]),
    #[cfg(feature = "v5")]
    /// MQTT 5 publish with properties; completes with the ack's reason code
    /// ([`crate::connection::Connection::last_outcome`]), fails with
    /// `Refused(code)` from 0x80 up.
    PublishV5 {
        /// Topic name.
        topic: &'a [u8],
        /// Payload.
        payload: &'a [u8],
        /// QoS.
        qos: QoS,
        /// Retain flag.
        retain: bool,
        /// PUBLISH properties.
        properties: Properties<'a>,
    },
    #[cfg(feature = "v5")]
    /// MQTT 5 SUBSCRIBE: filters with options, properties. The codes are
    /// `last_suback()`; a single filter refused fails with `Refused(code)`.
    SubscribeV5 {
        /// Filters and their options.
        filters: &'a [SubFilter<'a>],
        /// SUBSCRIBE properties.
        properties: Properties<'a>,
    },
    #[cfg(feature = "v5")]
    /// MQTT 5 UNSUBSCRIBE with properties; codes in `last_suback()`.
    UnsubscribeV5 {
        /// Filters.
        filters: &'a [&'a [u8]],
        /// UNSUBSCRIBE properties.
        properties: Properties<'a>,
    },
    /// Restore every remembered subscription, batch after batch (after a
    /// `connect` that found no session present). Not resent on its own: a
    /// failure ends the `reconnect()` attempt.
    Resubscribe,
}

impl Op<'_> {
    fn is_publish(&self) -> bool {
        match self {
            Op::Publish { .. } => true,
            #[cfg(feature = "v5")]
            Op::PublishV5 { .. } => true,
            _ => false,
        }
    }
}

/// An operation in progress; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    op: Op<'a>,
    /// Sent (or taken by the session), awaiting this acknowledgement.
    waiting: Option<PacketId>,
}

impl<'a> Request<'a> {
    /// Not started.
    pub const fn new(op: Op<'a>) -> Self {
        Request { op, waiting: None }
    }

    /// Whether it takes a packet id: all but a QoS 0 publish (what
    /// umqtt.simple's `pid` attribute counts; the bindings keep it in step).
    pub fn uses_packet_id(&self) -> bool {
        match self.op {
            Op::Publish { qos, .. } => qos != QoS::AtMostOnce,
            #[cfg(feature = "v5")]
            Op::PublishV5 { qos, .. } => qos != QoS::AtMostOnce,
            _ => true,
        }
    }

    /// The acknowledgement it waits for, once sent.
    pub fn waiting(&self) -> Option<PacketId> {
        self.waiting
    }

    /// Resume a request whose packet went out under this id (`None`: not
    /// sent yet), e.g. one a binding keeps across calls.
    pub const fn resume(op: Op<'a>, waiting: Option<PacketId>) -> Self {
        Request { op, waiting }
    }
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize, SB: Buffer>
    Client<RB, TB, FB, INFLIGHT, SB>
{
    /// Advance `req`: send it if not sent, then wait for its
    /// acknowledgement. `Done` when complete; `Message` for a message that
    /// arrived meanwhile (deliver it and call again). After an error that
    /// lost the connection, reconnect and call again: `req` knows whether to
    /// resend or only to wait.
    pub fn request<H: Host>(
        &mut self,
        host: &mut H,
        req: &mut Request<'_>,
    ) -> Result<Progress<'_>, Error> {
        let step = self.request_step(host, req)?;
        self.progress(step)
    }

    fn request_step<H: Host>(
        &mut self,
        host: &mut H,
        req: &mut Request<'_>,
    ) -> Result<Step, Error> {
        loop {
            let id = match req.waiting {
                Some(id) => id,
                None => {
                    let sent = match req.op {
                        Op::Publish {
                            topic,
                            payload,
                            qos,
                            retain,
                        } => self.start_publish(host, topic, payload, qos, retain),
                        Op::Subscribe(f, q) => self.start_subscribe(host, &[(f, q)]).map(Some),
                        Op::SubscribeAll(filters) => self.start_subscribe(host, filters).map(Some),
                        Op::Unsubscribe(f) => self.start_unsubscribe(host, &[f]).map(Some),
                        #[cfg(feature = "v5")]
                        Op::PublishV5 {
                            topic,
                            payload,
                            qos,
                            retain,
                            properties,
                        } => self.start_publish_v5(host, topic, payload, qos, retain, properties),
                        #[cfg(feature = "v5")]
                        Op::SubscribeV5 {
                            filters,
                            properties,
                        } => self.start_subscribe_v5(host, filters, properties).map(Some),
                        #[cfg(feature = "v5")]
                        Op::UnsubscribeV5 {
                            filters,
                            properties,
                        } => self
                            .start_unsubscribe_v5(host, filters, properties)
                            .map(Some),
                        Op::Resubscribe => self.start_resubscribe(host),
                    };
                    match sent {
                        Ok(Some(id)) => id,
                        Ok(None) => return Ok(Step::Done),
                        Err(e) => {
                            if req.op.is_publish() {
                                // The session took it: the reconnect resends it.
                                req.waiting = self.conn.interrupted_publish();
                            }
                            return Err(e);
                        }
                    }
                }
            };
            req.waiting = Some(id);
            match self.run_step(host, WaitFor::Ack(id)) {
                Ok(Step::Done) if req.op == Op::Resubscribe => req.waiting = None,
                Err(e) => {
                    let publish = req.op.is_publish();
                    if !publish && self.conn.session().state() != State::Connected {
                        // The request died with the connection.
                        req.waiting = None;
                    }
                    return Err(e);
                }
                r => return r,
            }
        }
    }
}

#[cfg(feature = "v5")]
impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize, SB: Buffer>
    Client<RB, TB, FB, INFLIGHT, SB>
{
    /// What the application's call of the request `req` just completed
    /// returns: on MQTT 5 the reason code of the acknowledgement that
    /// completed a QoS 1/2 publish or an unsubscribe (spec/PYAPI.md "MQTT
    /// 5"); `None` on 3.1.1, where umqtt.simple's calls return nothing, and
    /// for the other operations.
    pub fn reply_code(&self, req: &Request<'_>) -> Option<u8> {
        let acknowledged = match req.op {
            Op::Publish { qos, .. } | Op::PublishV5 { qos, .. } => qos != QoS::AtMostOnce,
            Op::Unsubscribe(_) | Op::UnsubscribeV5 { .. } => true,
            _ => false,
        };
        (acknowledged && self.conn.protocol() == crate::ProtocolVersion::V5)
            .then(|| self.conn.last_reason_code())
    }
}
