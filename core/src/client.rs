//! Blocking driver: a [`Session`] plus a [`Framer`] and a transmit buffer,
//! driving a caller-supplied [`Host`] (socket + clock + store of unacked
//! PUBLISH frames). Both Python bindings are thin wrappers around it.
//!
//! Every wait is bounded: acknowledgement waits read with
//! [`ReadWait::Force`] up to the session's next deadline, `wait_msg`-style
//! waits with [`ReadWait::Socket`] bounded by the keepalive schedule, and
//! `check_msg`-style calls only poll.

use crate::buffer::Buffer;
use crate::codec;
use crate::framer::Framer;
use crate::session::{Config, Event, Session, State, Transmit};
use crate::subscriptions::Subscriptions;
use crate::{Error, PacketId, ProtocolError, QoS};

mod reconnect;
pub use reconnect::{Policy, RetryAction, RESUBSCRIBE_BATCH};

/// Default of both timeouts (spec/PYAPI.md, "Timeouts"): acknowledgements
/// and a write that the socket does not take.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// The first byte of a PUBLISH as umqtt.simple's `wait_msg()` returns it
/// after delivering the message (`0x30 | dup << 3 | qos << 1 | retain`).
pub const fn publish_first_byte(p: &codec::Publish<'_>) -> u8 {
    let dup = if p.dup { 8 } else { 0 };
    let retain = if p.retain { 1 } else { 0 };
    0x30 | dup | ((p.qos as u8) << 1) | retain
}

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
    /// Keep a copy of an outbound QoS 1/2 PUBLISH frame until it is
    /// acknowledged (needed to resend it).
    fn store(&mut self, id: PacketId, frame: &[u8]) -> Result<(), Error>;
    /// The stored frame for `id` (mutable so [`codec::set_dup`] can mark it).
    fn stored(&mut self, id: PacketId) -> Option<&mut [u8]>;
    /// Drop the stored frame for `id`.
    fn forget(&mut self, id: PacketId);
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
}

/// Result of [`Client::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// An application message, borrowed from the receive buffer: copy it,
    /// run the callback, call `run` again (its acknowledgement goes out on
    /// the next call, i.e. after the callback, as umqtt.simple does).
    Message(codec::Publish<'a>),
    /// The awaited acknowledgement arrived.
    Done,
    /// Non-blocking: no whole packet available (yet).
    Idle,
    /// `OnePacket`/`NonBlocking`: a packet other than a new message was
    /// processed; this is its first byte.
    Packet(u8),
}

/// Where a message lies in the receive buffer (addresses and lengths), so
/// it can be borrowed again once the framer's mutable borrow has ended
/// (returning the borrow from inside the drive loop is rejected by the
/// borrow checker).
#[derive(Debug, Clone, Copy)]
struct MessageAt {
    topic: (usize, usize),
    payload: (usize, usize),
    qos: QoS,
    retain: bool,
    dup: bool,
    packet_id: Option<PacketId>,
}

/// Internal result of one drive loop: [`Progress`] without borrows.
#[derive(Debug, Clone, Copy)]
enum Step {
    Message(MessageAt),
    Done,
    Idle,
    Packet(u8),
}

fn span(s: &[u8]) -> (usize, usize) {
    (s.as_ptr() as usize, s.len())
}

/// The sub-slice of `buf` at address `addr` with `len` bytes.
fn slice_at(buf: &[u8], (addr, len): (usize, usize)) -> Option<&[u8]> {
    if len == 0 {
        return Some(&[]);
    }
    let off = addr.checked_sub(buf.as_ptr() as usize)?;
    buf.get(off..off.checked_add(len)?)
}

/// Errors after which the connection cannot be used any more.
fn is_fatal(e: &Error) -> bool {
    matches!(
        e,
        Error::Protocol(_)
            | Error::PingTimeout
            | Error::Timeout
            | Error::ConnectionClosed
            | Error::Io(_)
            | Error::ConnectionRefused(_)
    )
}

/// Run `f` on the buffer; on `BufferTooSmall` grow it once and retry.
fn with_growth<B: Buffer, T>(
    buf: &mut B,
    mut f: impl FnMut(&mut [u8]) -> Result<T, Error>,
) -> Result<T, Error> {
    match f(buf.bytes_mut()) {
        Err(Error::BufferTooSmall { needed }) => {
            if !buf.grow(needed) {
                return Err(Error::BufferTooSmall { needed });
            }
            f(buf.bytes_mut())
        }
        r => r,
    }
}

fn write_prefix<B: Buffer, H: Host>(buf: &B, len: usize, host: &mut H) -> Result<(), Error> {
    let data = buf
        .bytes()
        .get(..len)
        .ok_or(Error::BufferTooSmall { needed: len })?;
    host.write(data)
}

/// Send everything the session wants sent now (acks, retransmissions,
/// PINGREQ).
fn flush<B: Buffer, H: Host, const I: usize>(
    session: &mut Session<I>,
    tx: &mut B,
    host: &mut H,
    now: u64,
) -> Result<(), Error> {
    loop {
        match with_growth(tx, |out| session.poll_transmit(now, out))? {
            None => return Ok(()),
            Some(Transmit::Packet(len)) => write_prefix(tx, len, host)?,
            Some(Transmit::Republish(id)) => {
                // Copy the stored frame into tx: the host cannot lend it and
                // write at the same time.
                let copied = match host.stored(id) {
                    Some(frame) => {
                        codec::set_dup(frame);
                        let n = frame.len();
                        if tx.bytes().len() < n && !tx.grow(n) {
                            return Err(Error::BufferTooSmall { needed: n });
                        }
                        let dst = tx
                            .bytes_mut()
                            .get_mut(..n)
                            .ok_or(Error::BufferTooSmall { needed: n })?;
                        dst.copy_from_slice(frame);
                        Some(n)
                    }
                    None => None,
                };
                match copied {
                    Some(n) => write_prefix(tx, n, host)?,
                    // Without its frame the message cannot be resent.
                    None => {
                        session.drop_inflight(id);
                    }
                }
            }
        }
    }
}

/// Milliseconds from `now` to `deadline`, at least 1, at most `u32::MAX`.
fn ms_until(deadline: u64, now: u64) -> u32 {
    u32::try_from(deadline.saturating_sub(now))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// A blocking MQTT client over a [`Host`]: receive buffer `RB`, transmit
/// buffer `TB` (both grow on demand if the buffer type allows it), and the
/// registry of granted subscriptions in `SB` (see
/// [`Client::with_subscriptions`]; none with [`Client::new`]).
///
/// The session inside holds an 8 KiB bitmap of inbound QoS 2 ids (see
/// [`crate::session::inbound`]), so a client is a little over 8 KiB: on a
/// small stack keep it in static or heap memory rather than a local.
#[derive(Debug)]
pub struct Client<RB: Buffer, TB: Buffer, const INFLIGHT: usize = 16, SB: Buffer = [u8; 0]> {
    session: Session<INFLIGHT>,
    framer: Framer<RB>,
    tx: TB,
    suback: heapless::Vec<u8, 16>,
    subs: Subscriptions<SB>,
    /// The QoS 1/2 message the last `start_publish` put in the session but
    /// could not write (see [`Client::interrupted_publish`]).
    interrupted: Option<PacketId>,
    /// The id of the QoS 2 message the last `run` returned, until the next
    /// `run` or `flush` (see [`Client::abandon_message`]).
    delivering: Option<PacketId>,
    /// The PINGREQ awaiting its answer is the application's (`ping()`), so
    /// its PINGRESP ends a `wait_msg`; the automatic ones do not.
    user_ping: bool,
    /// The connection failed and no `connect` succeeded since (and no
    /// `disconnect` closed it on purpose): see [`Client::lost`].
    lost: bool,
    /// Automatic reconnect and the delays of the current `reconnect()`.
    retry: reconnect::Retry,
    /// Longest wait of one write on a socket that takes no data (ms).
    socket_timeout_ms: u32,
}

impl<RB: Buffer, TB: Buffer, const INFLIGHT: usize> Client<RB, TB, INFLIGHT> {
    /// A disconnected client that does not remember its subscriptions
    /// ([`Client::start_resubscribe`] never has anything to send).
    pub fn new(config: Config, rx: RB, tx: TB) -> Self {
        Client::build(config, rx, tx, Subscriptions::disabled([]))
    }
}

impl<RB: Buffer, TB: Buffer, const INFLIGHT: usize, SB: Buffer> Client<RB, TB, INFLIGHT, SB> {
    /// A disconnected client that records the subscriptions the broker
    /// grants in `subs` (growing it as needed), so that
    /// [`Client::start_resubscribe`] can restore them after a broker lost
    /// the session.
    pub fn with_subscriptions(config: Config, rx: RB, tx: TB, subs: SB) -> Self {
        Client::build(config, rx, tx, Subscriptions::new(subs))
    }

    fn build(config: Config, rx: RB, tx: TB, subs: Subscriptions<SB>) -> Self {
        Client {
            session: Session::new(config),
            framer: Framer::new(rx),
            tx,
            suback: heapless::Vec::new(),
            subs,
            interrupted: None,
            delivering: None,
            user_ping: false,
            lost: false,
            retry: reconnect::Retry::new(),
            socket_timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }

    /// The protocol state.
    pub fn session(&self) -> &Session<INFLIGHT> {
        &self.session
    }

    /// The protocol state, mutable (configuration, packet id).
    pub fn session_mut(&mut self) -> &mut Session<INFLIGHT> {
        &mut self.session
    }

    /// The receive framer (buffer inspection).
    pub fn framer(&self) -> &Framer<RB> {
        &self.framer
    }

    /// Return codes of the last SUBACK (at most 16 kept).
    pub fn last_suback(&self) -> &[u8] {
        &self.suback
    }

    /// Mark the connection dead when `r` failed fatally; pass `r` on.
    fn check<T>(&mut self, r: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &r {
            if is_fatal(e) {
                self.session.connection_lost();
                self.subs.connection_lost();
            }
        }
        if r.is_err() && self.session.state() != State::Connected {
            self.lost = true;
        }
        r
    }

    /// Whether the connection failed and no `connect` succeeded since (an
    /// application `disconnect()` is not a failure). With automatic
    /// reconnect on, the next operation reconnects first.
    pub fn lost(&self) -> bool {
        self.lost
    }

    /// The application closed the connection on purpose (`disconnect()`
    /// without a connection to send DISCONNECT on): nothing reconnects.
    pub fn closed(&mut self) {
        self.lost = false;
        if self.session.state() != State::Disconnected {
            self.session.connection_lost();
            self.subs.connection_lost();
        }
    }

    /// `socket_timeout` and `message_timeout` in ms (spec/PYAPI.md,
    /// "Timeouts"): the longest one write may wait, and how long CONNACK,
    /// SUBACK, UNSUBACK, PUBACK and PUBCOMP may take.
    pub fn set_timeouts(&mut self, socket_ms: u32, message_ms: u32) {
        self.socket_timeout_ms = socket_ms;
        self.session.config_mut().response_timeout_ms = message_ms;
    }

    /// The longest one write may wait for a socket that takes no data (ms).
    pub fn socket_timeout_ms(&self) -> u32 {
        self.socket_timeout_ms
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
        let r = self.check(r);
        if r.is_ok() {
            self.lost = false;
            self.user_ping = false;
        }
        r
    }

    fn connect_inner<H: Host>(
        &mut self,
        host: &mut H,
        c: &codec::Connect,
        timeout_ms: Option<u32>,
    ) -> Result<bool, Error> {
        self.framer.clear();
        // Requests of the old connection are void; a clean session also
        // starts without subscriptions.
        if c.clean_session {
            self.subs.clear();
        } else {
            self.subs.connection_lost();
        }
        // A clean session drops the in-flight messages: their stored frames go too.
        let mut dropped: heapless::Vec<PacketId, INFLIGHT> = heapless::Vec::new();
        if c.clean_session {
            for id in self.session.inflight_ids() {
                // Cannot overflow: the table holds at most INFLIGHT ids.
                let _ = dropped.push(id);
            }
        }
        let mut now = host.now_ms();
        let session = &mut self.session;
        let len = with_growth(&mut self.tx, |out| session.connect(c, now, out))?;
        for id in dropped {
            host.forget(id);
        }
        write_prefix(&self.tx, len, host)?;
        let wait = timeout_ms.unwrap_or(self.session.config().response_timeout_ms);
        let deadline = now.saturating_add(u64::from(wait));
        let session_present = loop {
            match self.framer.next_frame() {
                Ok(Some(frame)) => {
                    // Anything but CONNACK is an error from the session.
                    if let Event::Connected { session_present } =
                        self.session.handle_frame(frame, now)?
                    {
                        break session_present;
                    }
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
        flush(&mut self.session, &mut self.tx, host, now)?;
        Ok(session_present)
    }

    /// Read once into the framer (`Data(0)` from the host counts as EOF).
    fn read<H: Host>(&mut self, host: &mut H, wait: ReadWait) -> Result<ReadResult, Error> {
        let spare = self.framer.spare();
        if spare.is_empty() {
            // An empty buffer that cannot grow: nothing can ever be received.
            return Err(Error::BufferTooSmall { needed: 1 });
        }
        let r = host.read(spare, wait)?;
        match r {
            ReadResult::Data(0) => return Err(Error::ConnectionClosed),
            ReadResult::Data(n) => self.framer.commit(n),
            ReadResult::WouldBlock | ReadResult::TimedOut => {}
        }
        Ok(r)
    }

    /// Send what the session has queued now (acknowledgements of delivered
    /// messages, due PINGREQ, retransmissions) without reading. `run` does
    /// this itself at its start; a binding calls it after the application's
    /// callback so a QoS 1/2 message is acknowledged before `wait_msg`
    /// returns, as umqtt.simple does.
    pub fn flush<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        self.delivering = None;
        let now = host.now_ms();
        let r = flush(&mut self.session, &mut self.tx, host, now);
        self.check(r)
    }

    /// The message the last [`Client::run`] returned could not be handed to
    /// the application (the binding ran out of memory copying it out):
    /// call this right away, before any other call. The connection ends
    /// without the message's acknowledgement (session -> Disconnected; the
    /// caller closes the socket), so the broker redelivers it after a
    /// reconnect with `clean_session = false` instead of counting it as
    /// delivered. See [`Session::abandon_message`].
    pub fn abandon_message(&mut self) {
        let id = self.delivering.take();
        self.session.abandon_message(id);
        self.subs.connection_lost();
        self.lost = true;
    }

    /// Send DISCONNECT (after any pending acknowledgements); the session
    /// state is kept for a later `connect` with `clean_session = false`.
    /// Closed on purpose: whatever happens, nothing reconnects afterwards.
    pub fn disconnect<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        let r = self.disconnect_inner(host);
        self.closed();
        r
    }

    fn disconnect_inner<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        self.flush(host)?;
        let session = &mut self.session;
        let len = with_growth(&mut self.tx, |out| session.disconnect(out))?;
        self.subs.connection_lost();
        self.framer.clear();
        let r = write_prefix(&self.tx, len, host);
        self.check(r)
    }

    /// Send a PINGREQ; does not wait (later calls check the answer).
    pub fn ping<H: Host>(&mut self, host: &mut H) -> Result<(), Error> {
        let now = host.now_ms();
        let session = &mut self.session;
        let len = with_growth(&mut self.tx, |out| session.ping(now, out))?;
        self.user_ping = true;
        let r = write_prefix(&self.tx, len, host);
        self.check(r)
    }

    /// Encode a PUBLISH into tx (growing it), store it for QoS 1/2, write
    /// it in one `host.write`. Returns the id to wait for.
    pub fn start_publish<H: Host>(
        &mut self,
        host: &mut H,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
    ) -> Result<Option<PacketId>, Error> {
        self.interrupted = None;
        let now = host.now_ms();
        let r = flush(&mut self.session, &mut self.tx, host, now);
        self.check(r)?;
        let session = &mut self.session;
        let (len, id) = with_growth(&mut self.tx, |out| {
            session.publish(topic, payload, qos, retain, now, out)
        })?;
        if let Some(id) = id {
            let frame = self
                .tx
                .bytes()
                .get(..len)
                .ok_or(Error::BufferTooSmall { needed: len })?;
            if let Err(e) = host.store(id, frame) {
                self.session.drop_inflight(id);
                return Err(e);
            }
        }
        // On a write error the message stays in flight (stored) and is
        // resent after a reconnect with clean_session = false.
        let r = write_prefix(&self.tx, len, host);
        if r.is_err() {
            self.interrupted = id;
        }
        self.check(r)?;
        Ok(id)
    }

    /// Send a SUBSCRIBE; wait for it with `run(WaitFor::Ack(id))`.
    pub fn start_subscribe<H: Host>(
        &mut self,
        host: &mut H,
        filters: &[(&[u8], QoS)],
    ) -> Result<PacketId, Error> {
        let now = host.now_ms();
        let r = flush(&mut self.session, &mut self.tx, host, now);
        self.check(r)?;
        let session = &mut self.session;
        let (len, id) = with_growth(&mut self.tx, |out| session.subscribe(filters, now, out))?;
        if let Err(e) = self.subs.track_subscribe(id, filters) {
            self.session.drop_inflight(id);
            return Err(e);
        }
        self.suback.clear();
        let r = write_prefix(&self.tx, len, host);
        self.check(r)?;
        Ok(id)
    }

    /// Send an UNSUBSCRIBE; wait for it with `run(WaitFor::Ack(id))`.
    pub fn start_unsubscribe<H: Host>(
        &mut self,
        host: &mut H,
        filters: &[&[u8]],
    ) -> Result<PacketId, Error> {
        let now = host.now_ms();
        let r = flush(&mut self.session, &mut self.tx, host, now);
        self.check(r)?;
        let session = &mut self.session;
        let (len, id) = with_growth(&mut self.tx, |out| session.unsubscribe(filters, now, out))?;
        self.subs.track_unsubscribe(id, filters);
        let r = write_prefix(&self.tx, len, host);
        self.check(r)?;
        Ok(id)
    }

    /// Drive I/O until `until` is satisfied; see [`WaitFor`] and
    /// [`Progress`]. Sends due acknowledgements, PINGREQs and
    /// retransmissions and checks every deadline. For `Ack` of a SUBSCRIBE
    /// the granted codes are in [`Client::last_suback`]; a single filter
    /// refused with 0x80 gives `Err(SubscribeRefused)` (the connection stays
    /// usable). `FrameTooLarge` is skipped silently while waiting for an ack
    /// and reported for `OnePacket`/`NonBlocking` (connection still usable).
    /// Protocol errors, timeouts and I/O errors end the connection (session
    /// -> Disconnected; the caller closes the socket).
    pub fn run<H: Host>(&mut self, host: &mut H, until: WaitFor) -> Result<Progress<'_>, Error> {
        self.delivering = None;
        let r = self.drive(host, until);
        match self.check(r)? {
            Step::Done => Ok(Progress::Done),
            Step::Idle => Ok(Progress::Idle),
            Step::Packet(b) => Ok(Progress::Packet(b)),
            Step::Message(at) => {
                self.delivering = at.packet_id.filter(|_| at.qos == QoS::ExactlyOnce);
                // The frame was just returned by the framer and nothing has
                // touched the buffer since.
                let buf = self.framer.buffer().bytes();
                let (Some(topic), Some(payload)) =
                    (slice_at(buf, at.topic), slice_at(buf, at.payload))
                else {
                    return Err(Error::Protocol(ProtocolError::PacketTooShort));
                };
                Ok(Progress::Message(codec::Publish {
                    topic,
                    payload,
                    qos: at.qos,
                    retain: at.retain,
                    dup: at.dup,
                    packet_id: at.packet_id,
                }))
            }
        }
    }

    fn drive<H: Host>(&mut self, host: &mut H, until: WaitFor) -> Result<Step, Error> {
        if self.session.state() != State::Connected {
            return Err(Error::NotConnected);
        }
        if let WaitFor::Ack(id) = until {
            if !self.session.is_inflight(id) {
                // Already acknowledged (or never sent).
                return Ok(Step::Done);
            }
        }
        // OnePacket / NonBlocking return after any processed packet.
        let single = !matches!(until, WaitFor::Ack(_));
        let mut now = host.now_ms();
        loop {
            flush(&mut self.session, &mut self.tx, host, now)?;
            match self.framer.next_frame() {
                Ok(Some(frame)) => {
                    let first = frame.first().copied().unwrap_or(0);
                    let step = match self.session.handle_frame(frame, now)? {
                        Event::Message(m) => Some(Step::Message(MessageAt {
                            topic: span(m.topic),
                            payload: span(m.payload),
                            qos: m.qos,
                            retain: m.retain,
                            dup: m.dup,
                            packet_id: m.packet_id,
                        })),
                        Event::Published(id) => {
                            // Also for leftovers of retransmissions: the
                            // message is complete, its frame can go.
                            host.forget(id);
                            match until {
                                WaitFor::Ack(want) if want == id => Some(Step::Done),
                                _ => single.then_some(Step::Packet(first)),
                            }
                        }
                        Event::Subscribed {
                            packet_id,
                            return_codes,
                        } => {
                            self.suback.clear();
                            for &c in return_codes.iter().take(self.suback.capacity()) {
                                // Cannot fail: at most capacity() codes.
                                let _ = self.suback.push(c);
                            }
                            let resubscribed = self.subs.on_suback(packet_id, return_codes);
                            match until {
                                WaitFor::Ack(want) if want == packet_id => {
                                    // A refused resubscription is only forgotten.
                                    if return_codes == [0x80] && !resubscribed {
                                        return Err(Error::SubscribeRefused);
                                    }
                                    Some(Step::Done)
                                }
                                _ => single.then_some(Step::Packet(first)),
                            }
                        }
                        Event::Unsubscribed(id) => {
                            self.subs.on_unsuback(id);
                            match until {
                                WaitFor::Ack(want) if want == id => Some(Step::Done),
                                _ => single.then_some(Step::Packet(first)),
                            }
                        }
                        // Our own keepalive ping is no news for wait_msg.
                        Event::Pong => core::mem::take(&mut self.user_ping)
                            .then_some(Step::Packet(first))
                            .filter(|_| single),
                        Event::Connected { .. } | Event::Nothing => {
                            single.then_some(Step::Packet(first))
                        }
                    };
                    match step {
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
                self.session.handle_timeout(now)?;
                flush(&mut self.session, &mut self.tx, host, now)?;
                if let WaitFor::Ack(id) = until {
                    if !self.session.is_inflight(id) {
                        // Dropped by flush because the host lost its stored frame.
                        return Err(Error::Host);
                    }
                }
                let deadline = self.session.next_deadline();
                let wait = match until {
                    WaitFor::NonBlocking => ReadWait::Poll,
                    WaitFor::OnePacket => ReadWait::Socket(deadline.map(|d| ms_until(d, now))),
                    WaitFor::Ack(_) => {
                        let fallback = now
                            .saturating_add(u64::from(self.session.config().response_timeout_ms));
                        ReadWait::Force(ms_until(deadline.unwrap_or(fallback), now))
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn slice_at_finds_sub_slices_only() {
        let buf = [1u8, 2, 3, 4, 5];
        assert_eq!(slice_at(&buf, span(&buf[1..4])), Some(&buf[1..4]));
        assert_eq!(slice_at(&buf, span(&buf[..0])), Some(&[][..]));
        // addresses before the buffer or running past its end
        assert_eq!(slice_at(&buf, (buf.as_ptr() as usize - 1, 2)), None);
        assert_eq!(slice_at(&buf, (buf.as_ptr() as usize + 4, 2)), None);
    }

    #[test]
    fn ms_until_is_clamped() {
        assert_eq!(ms_until(10, 20), 1);
        assert_eq!(ms_until(1_000, 400), 600);
        assert_eq!(ms_until(u64::MAX, 0), u32::MAX);
    }
}
