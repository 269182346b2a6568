//! The sans-IO MQTT connection: one object that owns the [`Session`], the
//! receive [`Framer`], the transmit buffer, the stored frames of in-flight
//! QoS 1/2 messages, the registry of granted subscriptions and the
//! reconnect state (the shape of quinn-proto's or h11's `Connection`).
//!
//! It reads no clock and owns no socket. A driver (the blocking
//! [`crate::client::Client`], or an asyncio one) loops:
//!
//! ```text
//! operation (connect, publish, subscribe, ...)  -> queued for sending
//! while let Some(bytes) = poll_transmit(now)    -> write bytes; transmitted(n)
//! read into recv_buffer(); received(n)          (or handle_input(&bytes))
//! while let Some(ev) = poll_event(now)          -> message() for a Message
//! handle_timeout(now) at next_deadline()
//! ```
//!
//! The acknowledgement of a delivered message is queued when the event is
//! returned and goes out on the next `poll_transmit`, so a driver that runs
//! the application's callback first acknowledges after it, as umqtt.simple
//! does. A fatal error (protocol violation, timeout, I/O failure reported
//! with [`Connection::fail`]) ends the connection: the session keeps its
//! QoS 1/2 state and the stored frames for a resumption.
use crate::buffer::Buffer;
use crate::codec;
use crate::framer::Framer;
use crate::session::{Config, Session, State, Transmit};
use crate::subscriptions::Subscriptions;
use crate::{Error, PacketId, QoS};

mod ops;
mod receive;
mod reconnect;
mod store;
mod transport;
#[cfg(feature = "v5")]
mod v5;

pub use reconnect::{Policy, RetryAction, RESUBSCRIBE_BATCH};
pub use store::FrameStore;
pub use transport::Transport;
#[cfg(feature = "v5")]
pub use v5::{AUTH_METHOD, CONNACK_PROPERTIES, TOPIC_ALIASES, TOPIC_ALIAS_BYTES};

/// What a frame from the broker meant (no borrows: the message itself is
/// [`Connection::message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// CONNACK accepted the connection.
    Connected {
        /// The broker resumed a stored session.
        session_present: bool,
    },
    /// An application message: [`Connection::message`] until the next
    /// `poll_event` or read. `first` is the PUBLISH's first byte, what
    /// umqtt.simple's `wait_msg()` returns after the callback.
    Message {
        /// `0x30 | dup << 3 | qos << 1 | retain`.
        first: u8,
    },
    /// PUBACK / PUBCOMP: the outbound message is complete (its frame is gone).
    Published(PacketId),
    /// SUBACK; the codes are [`Connection::last_suback`].
    Subscribed {
        /// Id of the SUBSCRIBE.
        packet_id: PacketId,
        /// It restored remembered subscriptions ([`Connection::resubscribe`]).
        resubscribed: bool,
        /// It refused the single filter it carried (0x80).
        refused: bool,
    },
    /// UNSUBACK.
    Unsubscribed(PacketId),
    /// PINGRESP; `requested` when it answers the application's [`Connection::ping`]
    /// (an automatic keepalive ping is no news for `wait_msg`).
    Pong {
        /// Answer to the application's own ping.
        requested: bool,
    },
    /// A packet handled inside (PUBREC, PUBREL, a QoS 2 duplicate, a stale
    /// ack, an AUTH ending a re-authentication); its first byte.
    Other(u8),
    /// MQTT 5 enhanced authentication: the broker's AUTH challenge (its
    /// `authentication_data` is in [`Connection::last_properties`]); answer
    /// with [`Connection::auth_continue`].
    #[cfg(feature = "v5")]
    AuthChallenge,
}

/// The first byte of a PUBLISH as umqtt.simple's `wait_msg()` returns it
/// after delivering the message (`0x30 | dup << 3 | qos << 1 | retain`).
pub const fn publish_first_byte(p: &codec::Publish<'_>) -> u8 {
    let dup = if p.dup { 8 } else { 0 };
    let retain = if p.retain { 1 } else { 0 };
    0x30 | dup | ((p.qos as u8) << 1) | retain
}

/// MQTT 5: a reason code from 0x80 up refuses (`Refused(code)`); 3.1.1
/// codes are always 0 here.
fn refusal(reason: u8) -> Option<Error> {
    #[cfg(feature = "v5")]
    if reason >= 0x80 {
        return Some(Error::Refused(reason));
    }
    let _ = reason;
    None
}

/// How the request an acknowledgement completes failed, if it did: the
/// one rule of the blocking and the asyncio drivers. `reason` is the ack's
/// reason code ([`Connection::last_reason_code`]; 0 on 3.1.1). MQTT 5: a
/// PUBACK / PUBCOMP (or refusing PUBREC) or UNSUBACK from 0x80 up is
/// `Refused(code)`; a SUBACK refusing its single filter is `Refused(code)`
/// on MQTT 5, `SubscribeRefused` on 3.1.1; a refused resubscription is only
/// forgotten (`None`). Other events: `None`.
pub fn ack_error(ev: Event, reason: u8) -> Option<Error> {
    match ev {
        Event::Published(_) | Event::Unsubscribed(_) => refusal(reason),
        Event::Subscribed {
            refused: true,
            resubscribed: false,
            ..
        } => Some(refusal(reason).unwrap_or(Error::SubscribeRefused)),
        _ => None,
    }
}

/// Errors after which the connection cannot be used any more.
pub fn is_fatal(e: &Error) -> bool {
    match e {
        Error::Protocol(_)
        | Error::PingTimeout
        | Error::Timeout
        | Error::ConnectionClosed
        | Error::Io(_)
        | Error::ConnectionRefused(_) => true,
        #[cfg(feature = "v5")]
        Error::ServerDisconnect(_) => true,
        // A WebSocket error from the host (broken framing, a close): the
        // stream is gone.
        #[cfg(feature = "ws")]
        Error::WebSocket(_) => true,
        _ => false,
    }
}

/// Where the last message lies in the receive buffer (offsets), so it can be
/// lent again after `poll_event` returned.
#[derive(Debug, Clone, Copy)]
struct MessageAt {
    topic: (usize, usize),
    payload: (usize, usize),
    qos: QoS,
    retain: bool,
    dup: bool,
    packet_id: Option<PacketId>,
    /// MQTT 5: the topic is the one this inbound alias stands for.
    alias: Option<u16>,
}

/// `(offset, len)` of `s` inside `base`.
fn span(base: usize, s: &[u8]) -> (usize, usize) {
    ((s.as_ptr() as usize).wrapping_sub(base), s.len())
}

fn slice_at(buf: &[u8], (off, len): (usize, usize)) -> Option<&[u8]> {
    buf.get(off..off.checked_add(len)?)
}

/// Keep the codes of a SUBACK / UNSUBACK for [`Connection::last_suback`].
fn keep_codes(kept: &mut heapless::Vec<u8, RESUBSCRIBE_BATCH>, codes: &[u8]) {
    kept.clear();
    for &c in codes.iter().take(kept.capacity()) {
        // Cannot fail: at most capacity() codes.
        let _ = kept.push(c);
    }
}

/// Run `f` on `buf[from..]`; on `BufferTooSmall` grow the buffer once and
/// retry. Returns what `f` returned.
fn with_growth<B: Buffer, T>(
    buf: &mut B,
    from: usize,
    mut f: impl FnMut(&mut [u8]) -> Result<T, Error>,
) -> Result<T, Error> {
    fn tail<B: Buffer>(b: &mut B, from: usize) -> Result<&mut [u8], Error> {
        b.bytes_mut()
            .get_mut(from..)
            .ok_or(Error::BufferTooSmall { needed: from })
    }
    match f(tail(buf, from)?) {
        Err(Error::BufferTooSmall { needed }) => {
            let total = needed.saturating_add(from);
            if !buf.grow(total) {
                return Err(Error::BufferTooSmall { needed });
            }
            f(tail(buf, from)?)
        }
        r => r,
    }
}

/// See the module documentation. Buffers: receive `RB`, transmit `TB`,
/// stored frames `FB`, subscriptions `SB` (all grow on demand if the
/// buffer type allows it).
///
/// The session inside holds an 8 KiB bitmap of inbound QoS 2 ids, so a
/// connection is a little over 8 KiB: on a small stack keep it in static or
/// heap memory.
#[derive(Debug)]
pub struct Connection<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const INFLIGHT: usize = 16> {
    session: Session<INFLIGHT>,
    framer: Framer<RB>,
    tx: TB,
    /// Bytes of `tx` waiting for [`Connection::transmitted`].
    tx_len: usize,
    frames: FrameStore<FB>,
    subs: Subscriptions<SB>,
    suback: heapless::Vec<u8, RESUBSCRIBE_BATCH>,
    message: Option<MessageAt>,
    /// First byte of the frame of the last event.
    first: u8,
    /// The QoS 2 message the last event delivered (see `abandon_message`).
    delivering: Option<PacketId>,
    /// The QoS 1/2 message the last `publish` queued, until its bytes went out.
    unsent: Option<PacketId>,
    /// `unsent` when the connection failed (see `interrupted_publish`).
    interrupted: Option<PacketId>,
    user_ping: bool,
    lost: bool,
    retry: reconnect::Retry,
    #[cfg(feature = "v5")]
    v5: v5::State,
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const INFLIGHT: usize>
    Connection<RB, TB, FB, SB, INFLIGHT>
{
    /// A disconnected connection; `subs` remembers granted subscriptions
    /// when made with [`Subscriptions::new`] (none with `disabled`).
    pub fn new(config: Config, rx: RB, tx: TB, frames: FB, subs: Subscriptions<SB>) -> Self {
        Connection {
            session: Session::new(config),
            framer: Framer::new(rx),
            tx,
            tx_len: 0,
            frames: FrameStore::new(frames),
            subs,
            suback: heapless::Vec::new(),
            message: None,
            first: 0,
            delivering: None,
            unsent: None,
            interrupted: None,
            user_ping: false,
            lost: false,
            retry: reconnect::Retry::new(),
            #[cfg(feature = "v5")]
            v5: v5::State::new(),
        }
    }

    /// The protocol of the current (or last) connection.
    pub fn protocol(&self) -> crate::ProtocolVersion {
        self.session.protocol()
    }

    /// The protocol state.
    pub fn session(&self) -> &Session<INFLIGHT> {
        &self.session
    }

    /// The protocol state, mutable (configuration, packet id).
    pub fn session_mut(&mut self) -> &mut Session<INFLIGHT> {
        &mut self.session
    }

    /// `message_timeout` (ms, spec/PYAPI.md "Timeouts"): how long CONNACK
    /// and the acknowledgements of requests may take.
    pub fn set_message_timeout_ms(&mut self, ms: u32) {
        self.session.config_mut().response_timeout_ms = ms;
    }

    /// How long one step of opening a connection may take (ms): the TCP
    /// connect with the TLS handshake, the WebSocket handshake, the
    /// CONNACK. The caller's `timeout_ms` (the whole `connect()`'s budget,
    /// or what is left of it), else `message_timeout` (spec/PYAPI.md
    /// "Timeouts"): no step waits without a deadline.
    pub fn connect_step_timeout_ms(&self, timeout_ms: Option<u32>) -> u32 {
        timeout_ms.unwrap_or(self.session.config().response_timeout_ms)
    }

    /// The receive framer (buffer inspection).
    pub fn framer(&self) -> &Framer<RB> {
        &self.framer
    }

    /// The stored frames of in-flight QoS 1/2 messages.
    pub fn frames(&self) -> &FrameStore<FB> {
        &self.frames
    }

    /// The subscriptions the broker granted (and not unsubscribed since).
    pub fn subscriptions(&self) -> &Subscriptions<SB> {
        &self.subs
    }

    /// Return codes of the last SUBACK (at most 16 kept).
    pub fn last_suback(&self) -> &[u8] {
        &self.suback
    }

    /// Whether the connection failed and no `connect` succeeded since (an
    /// application `disconnect()` is not a failure).
    pub fn lost(&self) -> bool {
        self.lost
    }

    /// The id of the QoS 1/2 message the last [`Connection::publish`] put
    /// in the session whose bytes had not all gone out when the connection
    /// failed (`None` if they did, or the publish failed before the message
    /// was taken). It stays in flight and a `connect` with `clean_session = false`
    /// resends it, so a driver that reconnects waits for this id instead of
    /// publishing again.
    pub fn interrupted_publish(&self) -> Option<PacketId> {
        self.interrupted
    }

    /// Report `r`'s error to the connection: a fatal one (or any error while
    /// not connected) ends it. Returns `r`.
    pub fn check<T>(&mut self, r: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &r {
            self.fail(e);
        }
        r
    }

    /// The driver's I/O (or anything else) failed with `e`: see
    /// [`Connection::check`].
    pub fn fail(&mut self, e: &Error) {
        if is_fatal(e) {
            self.session.connection_lost();
            self.subs.connection_lost();
            self.drop_unsent();
            #[cfg(feature = "v5")]
            self.queue_protocol_disconnect(e);
        }
        if self.session.state() != State::Connected {
            self.lost = true;
        }
    }

    /// Forget the bytes not yet written; a publish among them is interrupted.
    fn drop_unsent(&mut self) {
        self.tx_len = 0;
        if let Some(id) = self.unsent.take() {
            self.interrupted = Some(id);
        }
    }

    /// The application closed the connection on purpose (`disconnect()`
    /// without a connection to send DISCONNECT on): nothing reconnects.
    pub fn closed(&mut self) {
        self.lost = false;
        self.drop_unsent();
        if self.session.state() != State::Disconnected {
            self.session.connection_lost();
            self.subs.connection_lost();
        }
    }

    /// Queue the next packet the session wants sent (an ack, a
    /// retransmission, a PINGREQ) behind what is already queued; `false`
    /// when it wants nothing.
    fn queue_next(&mut self, now: u64) -> Result<bool, Error> {
        let session = &mut self.session;
        let at = self.tx_len;
        match with_growth(&mut self.tx, at, |out| session.poll_transmit(now, out))? {
            None => return Ok(false),
            Some(Transmit::Packet(len)) => self.tx_len = at.saturating_add(len),
            Some(Transmit::Republish(id)) => self.queue_stored(id)?,
        }
        Ok(true)
    }

    /// Queue everything the session wants sent now.
    fn queue_session(&mut self, now: u64) -> Result<(), Error> {
        while self.queue_next(now)? {}
        Ok(())
    }

    /// Move every packet the session wants sent now (acknowledgements,
    /// retransmissions, a due PINGREQ) into the transmit buffer, behind what
    /// is queued there. A driver that handles several frames between writes
    /// (an asyncio one) calls it after each `poll_event`, so the session's
    /// small queue of acknowledgements never fills; then one `poll_transmit`
    /// returns everything.
    pub fn queue_pending(&mut self, now: u64) -> Result<(), Error> {
        let r = self.queue_session(now);
        self.check(r)
    }

    /// Queue the stored frame of `id` again, marked DUP; without its frame
    /// the message cannot be resent and is dropped.
    fn queue_stored(&mut self, id: PacketId) -> Result<(), Error> {
        let Some(frame) = self.frames.get_mut(id) else {
            self.session.drop_inflight(id);
            return Ok(());
        };
        codec::set_dup(frame);
        let n = frame.len();
        let end = self.tx_len.saturating_add(n);
        if self.tx.bytes().len() < end && !self.tx.grow(end) {
            return Err(Error::BufferTooSmall { needed: end });
        }
        let (Some(src), Some(dst)) = (
            self.frames.get_mut(id),
            self.tx.bytes_mut().get_mut(self.tx_len..end),
        ) else {
            return Err(Error::BufferTooSmall { needed: end });
        };
        dst.copy_from_slice(src);
        self.tx_len = end;
        Ok(())
    }

    /// Bytes to write now: what operations queued, else the next packet the
    /// session wants sent (acks, retransmissions, a due PINGREQ); one packet
    /// at a time unless operations queued several. `None`: nothing to send.
    pub fn poll_transmit(&mut self, now: u64) -> Result<Option<&[u8]>, Error> {
        // The delivered message's acknowledgement may go out now: too late
        // to abandon it.
        self.delivering = None;
        while self.tx_len == 0 {
            let r = self.queue_next(now);
            if !self.check(r)? {
                break;
            }
        }
        if self.tx_len == 0 {
            return Ok(None);
        }
        Ok(self.tx.bytes().get(..self.tx_len))
    }

    /// The first `n` bytes [`Connection::poll_transmit`] returned were
    /// written.
    pub fn transmitted(&mut self, n: usize) {
        let len = self.tx_len;
        let n = n.min(len);
        if let Some(b) = self.tx.bytes_mut().get_mut(..len) {
            b.copy_within(n.., 0);
        }
        self.tx_len = len.saturating_sub(n);
        if self.tx_len == 0 {
            self.unsent = None;
        }
    }

    /// Where to read received bytes into (then call
    /// [`Connection::received`]): no copy. Empty only when the receive
    /// buffer is full and cannot grow.
    pub fn recv_buffer(&mut self) -> &mut [u8] {
        self.message = None;
        #[cfg(feature = "v5")]
        self.v5.forget_last();
        self.framer.spare()
    }

    /// `n` bytes were read into [`Connection::recv_buffer`].
    pub fn received(&mut self, n: usize) {
        self.framer.commit(n);
    }

    /// Bytes received (copied in); returns how many were taken (the rest
    /// does not fit until frames are consumed with `poll_event`).
    pub fn handle_input(&mut self, data: &[u8]) -> usize {
        self.message = None;
        #[cfg(feature = "v5")]
        self.v5.forget_last();
        self.framer.push(data)
    }

    /// The message the last event delivered could not be handed to the
    /// application (out of memory copying it): the connection ends without
    /// its acknowledgement, so the broker redelivers it after a reconnect
    /// with `clean_session = false`. See [`Session::abandon_message`].
    pub fn abandon_message(&mut self) {
        let id = self.delivering.take();
        self.session.abandon_message(id);
        self.subs.connection_lost();
        self.drop_unsent();
        self.lost = true;
    }

    /// Whether packets wait to go out at once: bytes operations queued, or
    /// acknowledgements of delivered messages. A blocking driver flushes
    /// after the application's callback only then; a PINGREQ or
    /// retransmission that falls due goes out with its next call.
    pub fn has_queued(&self) -> bool {
        self.tx_len > 0 || self.session.has_acks()
    }

    /// Earliest time [`Connection::handle_timeout`] or `poll_transmit` has
    /// work (`Some(0)`: now); `None`: nothing scheduled.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.tx_len > 0 {
            return Some(0);
        }
        self.session.next_deadline()
    }

    /// Check the deadlines: `PingTimeout` / `Timeout` end the connection.
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), Error> {
        let r = self.session.handle_timeout(now);
        self.check(r)
    }
}

#[cfg(test)]
mod tests;
