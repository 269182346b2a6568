//! Blocking driver: a loop over the sans-IO [`Connection`] and a
//! caller-supplied [`Host`] (a clock and a byte stream). Both Python
//! bindings are thin wrappers around it.
//!
//! Every wait is bounded: acknowledgement waits read with
//! [`ReadWait::Force`] up to the session's next deadline, `wait_msg`-style
//! waits with [`ReadWait::Socket`] bounded by the keepalive schedule, and
//! `check_msg`-style calls only poll.

use crate::buffer::Buffer;
use crate::codec;
use crate::connection::{ack_error, Connection, Event};
use crate::session::{Config, State};
use crate::subscriptions::Subscriptions;
use crate::{Error, PacketId, QoS};

pub use crate::connection::{publish_first_byte, Policy, RetryAction, RESUBSCRIBE_BATCH};

mod request;
#[cfg(feature = "v5")]
mod v5;
pub use request::{Op, Request};
#[cfg(feature = "v5")]
pub use v5::AUTH_ANSWER;

/// Default of both timeouts (spec/PYAPI.md, "Timeouts"): acknowledgements
/// and a write that the socket does not take.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// Outcome of [`Host::read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadResult {
    /// This many bytes (at least 1) were read.
    Data(usize),
    /// A non-blocking socket has nothing to read now.
    WouldBlock,
    /// The wait limit passed without data.
    TimedOut,
}

/// How long [`Host::read`] may block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadWait {
    /// Never block: `Data` or `WouldBlock`.
    Poll,
    /// As the socket is configured: a socket the caller made non-blocking
    /// gives `WouldBlock` when empty; a blocking one waits at most this many
    /// ms (`None`: no limit) and then gives `TimedOut`.
    Socket(Option<u32>),
    /// Wait at most this many ms whatever the socket's mode: `Data` or
    /// `TimedOut`.
    Force(u32),
}

/// What the driver needs from its environment.
pub trait Host {
    /// Milliseconds from any monotonic origin.
    fn now_ms(&mut self) -> u64;
    /// Write the whole packet (one write when possible; loop on partial
    /// writes / EAGAIN until done, bounded). Errors: `Io(errno)`,
    /// `ConnectionClosed`, `Host`. A host that fails half-way through a
    /// packet must report `Io` or `ConnectionClosed` (the stream is broken).
    fn write(&mut self, data: &[u8]) -> Result<(), Error>;
    /// Read up to `buf.len()` bytes. EOF -> `Err(ConnectionClosed)`. Never
    /// returns `Data(0)`.
    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error>;
}

/// What [`Client::run`] waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// PUBACK / PUBCOMP / SUBACK / UNSUBACK for this id -> `Done`.
    Ack(PacketId),
    /// umqtt.simple `wait_msg()`: process one packet -> `Message` or
    /// `Packet(first byte)`; keepalive pings are sent while waiting. On a
    /// non-blocking socket with no whole packet -> `Idle` (partial bytes
    /// stay buffered).
    OnePacket,
    /// umqtt.simple `check_msg()`: never block -> `Message`, `Packet` or
    /// `Idle`.
    NonBlocking,
    #[cfg(feature = "v5")]
    /// MQTT 5 re-authentication ([`Client::reauthenticate`]): the broker's
    /// AUTH success -> `Done`; `Timeout` past the (host clock) deadline.
    Auth(u64),
}

/// Result of [`Client::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// An application message, borrowed from the receive buffer: copy it,
    /// run the callback, call `flush` (its acknowledgement goes out then,
    /// i.e. after the callback, as umqtt.simple does).
    Message(codec::Publish<'a>),
    /// The awaited acknowledgement arrived.
    Done,
    /// Nothing for the caller (umqtt.simple's `wait_msg()` returns `None`):
    /// no whole packet available yet (non-blocking), or the PINGRESP of the
    /// application's own [`Client::ping`].
    Idle,
    /// `OnePacket`/`NonBlocking`: another packet (not a new message, not a
    /// PINGRESP) was processed; this is its first byte, `wait_msg()`'s result.
    Packet(u8),
}

/// Internal result of one drive loop: [`Progress`] without borrows.
#[derive(Debug, Clone, Copy)]
enum Step {
    Message,
    Done,
    Idle,
    Packet(u8),
    #[cfg(feature = "v5")]
    /// An AUTH challenge during [`WaitFor::Auth`].
    Challenge,
}

/// Milliseconds from `now` to `deadline`, at least 1, at most `u32::MAX`.
fn ms_until(deadline: u64, now: u64) -> u32 {
    u32::try_from(deadline.saturating_sub(now))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// The receive and transmit buffers, the stored frames of in-flight
/// messages and the subscriptions' storage a [`Client`] runs on.
type Conn<RB, TB, FB, SB, const I: usize> = Connection<RB, TB, FB, SB, I>;

/// A blocking MQTT client over a [`Host`]: a [`Connection`] (receive buffer
/// `RB`, transmit buffer `TB`, stored frames `FB`, registry of granted
/// subscriptions `SB`: see [`Client::with_subscriptions`]) and the waits of
/// umqtt.simple's operations. Everything the connection offers (state,
/// reconnect policy, `abandon_message`, ...) is reachable through `Deref`.
#[derive(Debug)]
pub struct Client<
    RB: Buffer,
    TB: Buffer,
    FB: Buffer,
    const INFLIGHT: usize = 16,
    SB: Buffer = [u8; 0],
> {
    conn: Conn<RB, TB, FB, SB, INFLIGHT>,
    /// Longest wait of one write on a socket that takes no data (ms).
    socket_timeout_ms: u32,
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize, SB: Buffer> core::ops::Deref
    for Client<RB, TB, FB, INFLIGHT, SB>
{
    type Target = Conn<RB, TB, FB, SB, INFLIGHT>;
    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize, SB: Buffer> core::ops::DerefMut
    for Client<RB, TB, FB, INFLIGHT, SB>
{
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize> Client<RB, TB, FB, INFLIGHT> {
    /// A disconnected client that does not remember its subscriptions
    /// ([`Client::start_resubscribe`] never has anything to send).
    pub fn new(config: Config, rx: RB, tx: TB, frames: FB) -> Self {
        Client::build(Connection::new(
            config,
            rx,
            tx,
            frames,
            Subscriptions::disabled([]),
        ))
    }
}

impl<RB: Buffer, TB: Buffer, FB: Buffer, const INFLIGHT: usize, SB: Buffer>
    Client<RB, TB, FB, INFLIGHT, SB>
{
    /// A disconnected client that records the subscriptions the broker
    /// grants in `subs` (growing it as needed), so that
    /// [`Client::start_resubscribe`] can restore them after a broker lost
    /// the session.
    pub fn with_subscriptions(config: Config, rx: RB, tx: TB, frames: FB, subs: SB) -> Self {
        Client::build(Connection::new(
            config,
            rx,
            tx,
            frames,
            Subscriptions::new(subs),
        ))
    }

    fn build(conn: Conn<RB, TB, FB, SB, INFLIGHT>) -> Self {
        Client {
            conn,
            socket_timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }

    /// `socket_timeout` and `message_timeout` in ms (spec/PYAPI.md,
    /// "Timeouts"): the longest one write may wait, and how long CONNACK,
    /// SUBACK, UNSUBACK, PUBACK and PUBCOMP may take.
    pub fn set_timeouts(&mut self, socket_ms: u32, message_ms: u32) {
        self.socket_timeout_ms = socket_ms;
        self.conn.set_message_timeout_ms(message_ms);
    }

    /// The longest one write may wait for a socket that takes no data (ms).
    pub fn socket_timeout_ms(&self) -> u32 {
        self.socket_timeout_ms
    }

    /// Write everything the connection wants sent now.
    fn send<H: Host>(&mut self, host: &mut H, now: u64) -> Result<(), Error> {
        while let Some(data) = self.conn.poll_transmit(now)? {
            let n = data.len();
            if let Err(e) = host.write(data) {
                self.conn.fail(&e);
                return Err(e);
            }
            self.conn.transmitted(n);
        }
        Ok(())
    }

    /// Read once into the connection (`Data(0)` from the host counts as EOF).
    fn read<H: Host>(&mut self, host: &mut H, wait: ReadWait) -> Result<ReadResult, Error> {
        let spare = self.conn.recv_buffer();
        if spare.is_empty() {
            // An empty buffer that cannot grow: nothing can ever be received.
            return Err(Error::BufferTooSmall { needed: 1 });
        }
        let r = host.read(spare, wait)?;
        match r {
            ReadResult::Data(0) => return Err(Error::ConnectionClosed),
            ReadResult::Data(n) => self.conn.received(n),
            ReadResult::WouldBlock | ReadResult::TimedOut => {}
        }
        Ok(r)
    }

    /// Send CONNECT and wait (at most `timeout_ms`, default the response
    /// timeout) for CONNACK; then resend unfinished QoS 1/2 messages.
    /// Returns session_present. Clears the receive buffer. A refusal is
    /// `Err(ConnectionRefused(rc))`.
    pub fn connect<H: Host>(
        &mut self,
        host: &mut H,
        c: &codec::Connect,
        timeout_ms: Option<u32>,
    ) -> Result<bool, Error> {
        let r = self.connect_inner(host, c, timeout_ms);
        self.conn.check(r)
    }

    fn connect_inner<H: Host>(
        &mut self,
        host: &mut H,
        c: &codec::Connect,
        timeout_ms: Option<u32>,
    ) -> Result<bool, Error> {
        self.await_connack(
            host,
            timeout_ms,
            |conn, now| conn.connect(c, now),
            |_, _, _| Ok(()),
        )
    }

    /// Queue CONNECT with `queue`, send it, wait for CONNACK; `on_event`
    /// sees the other events before it (MQTT 5 AUTH challenges) and may
    /// queue an answer.
    fn await_connack<H: Host>(
        &mut self,
        host: &mut H,
        timeout_ms: Option<u32>,
        queue: impl FnOnce(&mut Conn<RB, TB, FB, SB, INFLIGHT>, u64) -> Result<(), Error>,
        mut on_event: impl FnMut(&mut Conn<RB, TB, FB, SB, INFLIGHT>, Event, u64) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        let mut now = host.now_ms();
        queue(&mut self.conn, now)?;
        self.send(host, now)?;
        let wait = self.conn.connect_step_timeout_ms(timeout_ms);
        let deadline = now.saturating_add(u64::from(wait));
        let session_present = loop {
            match self.conn.poll_event(now) {
                // Anything but CONNACK is an error from the session.
                Ok(Some(Event::Connected { session_present })) => break session_present,
                Ok(Some(ev)) => {
                    on_event(&mut self.conn, ev, now)?;
                    self.send(host, now)?;
                    continue;
                }
                Ok(None) => {}
                // Cannot be a CONNACK; the session rejects whatever follows.
                Err(Error::FrameTooLarge { .. }) => continue,
                Err(e) => return Err(e),
            }
            now = host.now_ms();
            if now >= deadline {
                return Err(Error::Timeout);
            }
            self.read(host, ReadWait::Force(ms_until(deadline, now)))?;
            now = host.now_ms();
        };
        self.send(host, now)?;
        Ok(session_present)
    }

    /// Send what the connection has queued now (acknowledgements of
    /// delivered messages, due PINGREQ, retransmissions) without reading.
    /// `run` does this itself at its start; a binding calls it after the
    /// application's callback, when [`Connection::has_queued`], so a QoS
    /// 1/2 message is acknowledged before `wait_msg` returns, as
    /// umqtt.simple does.
    pub fn flush<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        let now = host.now_ms();
        let r = self.send(host, now);
        self.conn.check(r)
    }

    /// Send DISCONNECT (after any pending acknowledgements); the session
    /// state is kept for a later `connect` with `clean_session = false`.
    /// Closed on purpose: whatever happens, nothing reconnects afterwards.
    pub fn disconnect<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        let now = host.now_ms();
        let r = self
            .send(host, now)
            .and_then(|()| self.conn.disconnect(now))
            .and_then(|()| self.send(host, now));
        let r = self.conn.check(r);
        self.conn.closed();
        r
    }

    /// Send what is queued, let `op` queue its packet, send that.
    fn start<H: Host, T>(
        &mut self,
        host: &mut H,
        op: impl FnOnce(&mut Conn<RB, TB, FB, SB, INFLIGHT>, u64) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let now = host.now_ms();
        let r = self.send(host, now);
        self.conn.check(r)?;
        let v = op(&mut self.conn, now)?;
        let r = self.send(host, now);
        self.conn.check(r)?;
        Ok(v)
    }

    /// Send a PINGREQ; does not wait (later calls check the answer).
    pub fn ping<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        self.start(host, |conn, now| conn.ping(now))
    }

    /// Send a PUBLISH (its frame stored for QoS 1/2) in one `host.write`.
    /// Returns the id to wait for. On a write error the message stays in
    /// flight and is resent after a reconnect with `clean_session = false`
    /// (see [`Connection::interrupted_publish`]).
    pub fn start_publish<H: Host>(
        &mut self,
        host: &mut H,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
    ) -> Result<Option<PacketId>, Error> {
        self.start(host, |conn, now| {
            conn.publish(topic, payload, qos, retain, now)
        })
    }

    /// Send a SUBSCRIBE; wait for it with `run(WaitFor::Ack(id))`.
    pub fn start_subscribe<H: Host>(
        &mut self,
        host: &mut H,
        filters: &[(&[u8], QoS)],
    ) -> Result<PacketId, Error> {
        self.start(host, |conn, now| conn.subscribe(filters, now))
    }

    /// Send an UNSUBSCRIBE; wait for it with `run(WaitFor::Ack(id))`.
    pub fn start_unsubscribe<H: Host>(
        &mut self,
        host: &mut H,
        filters: &[&[u8]],
    ) -> Result<PacketId, Error> {
        self.start(host, |conn, now| conn.unsubscribe(filters, now))
    }

    /// Send one SUBSCRIBE restoring remembered subscriptions (see
    /// [`Connection::resubscribe`]) and return its id for
    /// `run(WaitFor::Ack(id))`; `None` when all are confirmed.
    pub fn start_resubscribe<H: Host>(&mut self, host: &mut H) -> Result<Option<PacketId>, Error> {
        self.start(host, |conn, now| conn.resubscribe(now))
    }

    /// Drive I/O until `until` is satisfied; see [`WaitFor`] and
    /// [`Progress`]. Sends due acknowledgements, PINGREQs and
    /// retransmissions and checks every deadline. For `Ack` of a SUBSCRIBE
    /// the granted codes are in [`Connection::last_suback`]; a single filter
    /// refused with 0x80 gives `Err(SubscribeRefused)` (the connection stays
    /// usable). `FrameTooLarge` is skipped silently while waiting for an ack
    /// and reported for `OnePacket`/`NonBlocking` (connection still usable).
    /// Protocol errors, timeouts and I/O errors end the connection (session
    /// -> Disconnected; the caller closes the socket).
    pub fn run<H: Host>(&mut self, host: &mut H, until: WaitFor) -> Result<Progress<'_>, Error> {
        let step = self.run_step(host, until)?;
        self.progress(step)
    }

    /// [`Client::run`] without the borrow of the message.
    fn run_step<H: Host>(&mut self, host: &mut H, until: WaitFor) -> Result<Step, Error> {
        let r = self.drive(host, until);
        let r = self.conn.check(r);
        #[cfg(feature = "v5")]
        if let Err(Error::Protocol(_)) = r {
            // MQTT 5: the DISCONNECT with the reason code, if it can go.
            let now = host.now_ms();
            let _ = self.send(host, now);
        }
        r
    }

    /// The MQTT 5 reason code of the last packet (0 without `v5`).
    fn last_reason(&self) -> u8 {
        #[cfg(feature = "v5")]
        return self.conn.last_reason_code();
        #[cfg(not(feature = "v5"))]
        0
    }

    fn progress(&self, step: Step) -> Result<Progress<'_>, Error> {
        match step {
            Step::Done => Ok(Progress::Done),
            Step::Idle => Ok(Progress::Idle),
            Step::Packet(b) => Ok(Progress::Packet(b)),
            // Answered inside Client::reauthenticate, never handed out.
            #[cfg(feature = "v5")]
            Step::Challenge => Ok(Progress::Idle),
            Step::Message => self
                .conn
                .message()
                .map(Progress::Message)
                .ok_or(Error::Protocol(crate::ProtocolError::PacketTooShort)),
        }
    }

    /// What event `ev` means for a wait for `until`: a result, or `None`
    /// to go on.
    /// `reason` is the packet's MQTT 5 reason code (0 on 3.1.1): from 0x80
    /// up the acknowledged request failed (`Refused`).
    fn step(until: WaitFor, ev: Event, first: u8, reason: u8) -> Result<Option<Step>, Error> {
        // OnePacket / NonBlocking return after any processed packet.
        let single = matches!(until, WaitFor::OnePacket | WaitFor::NonBlocking);
        let acked = |id| matches!(until, WaitFor::Ack(want) if want == id);
        Ok(match ev {
            Event::Message { .. } => Some(Step::Message),
            Event::Published(id)
            | Event::Unsubscribed(id)
            | Event::Subscribed { packet_id: id, .. }
                if acked(id) =>
            {
                if let Some(e) = ack_error(ev, reason) {
                    return Err(e);
                }
                Some(Step::Done)
            }
            #[cfg(feature = "v5")]
            Event::AuthChallenge if matches!(until, WaitFor::Auth(_)) => Some(Step::Challenge),
            // The end of a re-authentication (a challenge is the event above).
            #[cfg(feature = "v5")]
            Event::Other(0xF0) if matches!(until, WaitFor::Auth(_)) => Some(Step::Done),
            // Our own keepalive ping is no news for wait_msg; the answer to
            // the application's ping() ends it with None.
            Event::Pong { requested } => (single && requested).then_some(Step::Idle),
            _ => single.then_some(Step::Packet(first)),
        })
    }

    fn drive<H: Host>(&mut self, host: &mut H, until: WaitFor) -> Result<Step, Error> {
        if self.conn.session().state() != State::Connected {
            return Err(Error::NotConnected);
        }
        if let WaitFor::Ack(id) = until {
            if !self.conn.session().is_inflight(id) {
                // Already acknowledged (or never sent).
                return Ok(Step::Done);
            }
        }
        let single = matches!(until, WaitFor::OnePacket | WaitFor::NonBlocking);
        let mut now = host.now_ms();
        loop {
            self.send(host, now)?;
            match self.conn.poll_event(now) {
                Ok(Some(ev)) => {
                    match Self::step(until, ev, self.conn.last_first_byte(), self.last_reason())? {
                        Some(step) => return Ok(step),
                        // More frames may be buffered: handle them before reading.
                        None => continue,
                    }
                }
                Ok(None) => {}
                Err(Error::FrameTooLarge { len }) => {
                    if single {
                        return Err(Error::FrameTooLarge { len });
                    }
                    continue;
                }
                Err(e) => return Err(e),
            }
            // No whole frame buffered: check deadlines, send what is due,
            // read. Without new data there is no new frame, so a timed-out
            // read goes straight back to the deadline check (no useless
            // retransmission right at the response deadline).
            loop {
                now = host.now_ms();
                self.conn.handle_timeout(now)?;
                self.send(host, now)?;
                if let WaitFor::Ack(id) = until {
                    if !self.conn.session().is_inflight(id) {
                        // Dropped because its stored frame was lost.
                        return Err(Error::Host);
                    }
                }
                let deadline = self.conn.next_deadline();
                let wait = match until {
                    WaitFor::NonBlocking => ReadWait::Poll,
                    WaitFor::OnePacket => ReadWait::Socket(deadline.map(|d| ms_until(d, now))),
                    WaitFor::Ack(_) => {
                        let timeout = self.conn.session().config().response_timeout_ms;
                        let fallback = now.saturating_add(u64::from(timeout));
                        ReadWait::Force(ms_until(deadline.unwrap_or(fallback), now))
                    }
                    #[cfg(feature = "v5")]
                    WaitFor::Auth(end) => {
                        if now >= end {
                            return Err(Error::Timeout);
                        }
                        ReadWait::Force(ms_until(deadline.map_or(end, |d| d.min(end)), now))
                    }
                };
                match (self.read(host, wait)?, until) {
                    (ReadResult::Data(_), _) => break,
                    // Non-blocking socket (or poll) with nothing more: partial
                    // bytes stay buffered for the next call.
                    (ReadResult::WouldBlock, WaitFor::OnePacket | WaitFor::NonBlocking)
                    | (ReadResult::TimedOut, WaitFor::NonBlocking) => return Ok(Step::Idle),
                    // A deadline passed: check timeouts and pings again.
                    (ReadResult::TimedOut | ReadResult::WouldBlock, _) => {}
                }
            }
            now = host.now_ms();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_until_is_clamped() {
        assert_eq!(ms_until(10, 20), 1);
        assert_eq!(ms_until(1_000, 400), 600);
        assert_eq!(ms_until(u64::MAX, 0), u32::MAX);
    }
}
