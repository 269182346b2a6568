//! MicroPython native module `umqtt.simple`: the Rust half.
//!
//! The C glue (`c/umqtt_glue.c`) owns everything MicroPython: argument
//! parsing, attribute reads, object creation and raising. It allocates an
//! engine block on the MicroPython heap, and calls the `umqtt_*` functions
//! below, which drive [`umqtt_core::client::Client`] and report back through
//! [`ffi::Out`] with status codes; the glue raises after they returned, so no
//! exception ever unwinds through Rust. Callbacks run in the glue after
//! `umqtt_run` returned a message, never under a Rust frame.
#![no_std]

mod ffi;
mod heap;
mod host;

use core::ffi::c_void;
use ffi::{Bytes, ConnectArgs, Exc, Out, ST_ERROR, ST_IDLE, ST_MESSAGE, ST_OK, ST_PACKET};
use heap::{FrameStore, HeapBuf};
use host::{Clock, MpHost};
use umqtt_core::backoff::Backoff;
use umqtt_core::client::{Client, Progress, WaitFor};
use umqtt_core::codec::{Connect, Will, MAX_REMAINING_LEN};
use umqtt_core::session::{Config, State};
use umqtt_core::{ArgError, Error, PacketId, ProtocolVersion, QoS};

/// QoS 1/2 messages in flight at once (and stored frames).
const INFLIGHT: usize = 16;
/// Largest MQTT packet; in practice the heap runs out first on a board, and
/// then an oversized incoming packet is skipped (MQTTException 258).
const MAX_PACKET: usize = MAX_REMAINING_LEN + 5;
/// First size of the receive and transmit buffers (they grow on demand).
const INITIAL_BUF: usize = 256;

/// MQTTException codes beyond the CONNACK/SUBACK ones (see PYAPI.md).
const SUBSCRIBE_REFUSED: i32 = 0x80;
const PROTOCOL_ERROR: i32 = 256;
const PING_TIMEOUT: i32 = 257;
const FRAME_TOO_LARGE: i32 = 258;
const NOT_CONNECTED: i32 = 259;
const INFLIGHT_FULL: i32 = 260;

/// The core client: receive and transmit buffers, in-flight limits, and the
/// registry of granted subscriptions (restored by reconnect()).
type Core = Client<HeapBuf, HeapBuf, INFLIGHT, HeapBuf>;

/// Everything the module keeps per client; lives inside a GC block.
pub struct Engine {
    client: Core,
    store: FrameStore<INFLIGHT>,
    clock: Clock,
    /// Delays between reconnect attempts (reconnect() in simple.py).
    backoff: Backoff,
}

impl Engine {
    /// The client and a host for this call (disjoint borrows).
    fn split(&mut self, io: *mut c_void) -> (&mut Core, MpHost<'_, INFLIGHT>) {
        let host = MpHost {
            io,
            clock: &mut self.clock,
            store: &mut self.store,
        };
        (&mut self.client, host)
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // No formatting (it would pull in kilobytes). The core is written not to
    // panic; if it ever does, raising beats hanging or resetting the board.
    // SAFETY: glue_panic never returns.
    unsafe { ffi::glue_panic() }
}

fn set_error(out: &mut Out, kind: Exc, code: i32, msg: &'static str) -> i32 {
    out.kind = kind as i32;
    out.code = code;
    out.msg = msg.as_ptr();
    out.msg_len = msg.len();
    ST_ERROR
}

/// Translate a core error into what the glue raises (PYAPI.md).
fn fail(out: &mut Out, e: Error) -> i32 {
    let msg = e.as_str();
    match e {
        Error::ConnectionRefused(rc) => set_error(out, Exc::Mqtt, i32::from(rc), ""),
        Error::SubscribeRefused => set_error(out, Exc::Mqtt, SUBSCRIBE_REFUSED, ""),
        Error::Protocol(_) => set_error(out, Exc::Mqtt, PROTOCOL_ERROR, msg),
        Error::PingTimeout => set_error(out, Exc::Mqtt, PING_TIMEOUT, msg),
        Error::FrameTooLarge { .. } => set_error(out, Exc::Mqtt, FRAME_TOO_LARGE, msg),
        Error::NotConnected => set_error(out, Exc::Mqtt, NOT_CONNECTED, msg),
        Error::InflightFull => set_error(out, Exc::Mqtt, INFLIGHT_FULL, msg),
        Error::InvalidArgument(a) => set_error(out, Exc::ValueError, 0, a.as_str()),
        Error::BufferTooSmall { .. } => {
            set_error(out, Exc::MemoryError, 0, "out of memory for MQTT packet")
        }
        Error::Timeout => set_error(out, Exc::OsError, ffi::ETIMEDOUT, msg),
        Error::ConnectionClosed => set_error(out, Exc::OsError, -1, msg),
        Error::Io(errno) => set_error(out, Exc::OsError, errno, ""),
        Error::Host => set_error(out, Exc::Pending, 0, ""),
    }
}

fn qos(v: i32) -> Result<QoS, Error> {
    u8::try_from(v)
        .ok()
        .and_then(QoS::from_u8)
        .ok_or(Error::InvalidArgument(ArgError::InvalidQoS))
}

/// # Safety
/// `eng` must be the engine block initialised by [`umqtt_engine_init`] and
/// not used by anything else during the call; `out` must be valid.
unsafe fn parts<'a>(eng: *mut c_void, out: *mut Out) -> (&'a mut Engine, &'a mut Out) {
    // SAFETY: guaranteed by the caller (the glue's busy flag forbids re-entry).
    unsafe { (&mut *eng.cast::<Engine>(), &mut *out) }
}

/// Bytes the glue must allocate for an engine.
#[no_mangle]
pub extern "C" fn umqtt_engine_size() -> usize {
    core::mem::size_of::<Engine>()
}

/// Build an engine in the (suitably aligned, zeroed) block at `eng`.
/// Returns 0, or -1 if the block is misaligned or the buffers cannot be
/// allocated.
///
/// # Safety
/// `eng` must point to `umqtt_engine_size()` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_engine_init(eng: *mut c_void) -> i32 {
    let p = eng.cast::<Engine>();
    if !p.is_aligned() {
        return -1;
    }
    let mut rx = HeapBuf::empty(MAX_PACKET);
    let mut tx = HeapBuf::empty(MAX_PACKET);
    if !rx.reserve(INITIAL_BUF) || !tx.reserve(INITIAL_BUF) {
        return -1;
    }
    let engine = Engine {
        // The registry starts empty and grows with the first subscribe.
        client: Client::with_subscriptions(Config::default(), rx, tx, HeapBuf::empty(MAX_PACKET)),
        store: FrameStore::new(MAX_PACKET),
        clock: Clock::new(),
        backoff: Backoff::new(0, 0, 0),
    };
    // SAFETY: p is aligned and points to enough writable bytes.
    unsafe { p.write(engine) };
    0
}

/// Build the CONNECT description from the glue's arguments.
///
/// # Safety
/// The buffers in `a` must stay valid for `'a`.
unsafe fn connect_packet<'a>(a: &ConnectArgs) -> Result<Connect<'a>, (Exc, &'static str)> {
    let Ok(keepalive) = u16::try_from(a.keepalive) else {
        return Err((Exc::ValueError, "keepalive must be 0..65535"));
    };
    let will = if a.has_will != 0 {
        let Ok(q) = qos(a.will_qos) else {
            return Err((Exc::ValueError, ArgError::InvalidQoS.as_str()));
        };
        Some(Will {
            // SAFETY: guaranteed by the caller.
            topic: unsafe { a.will_topic.as_slice() },
            message: unsafe { a.will_msg.as_slice() },
            qos: q,
            retain: a.will_retain != 0,
        })
    } else {
        None
    };
    // SAFETY: guaranteed by the caller.
    let c = unsafe {
        Connect {
            protocol: ProtocolVersion::V311,
            client_id: a.client_id.as_slice(),
            keepalive,
            clean_session: a.clean_session != 0,
            username: (a.has_user != 0).then(|| a.user.as_slice()),
            password: (a.has_password != 0).then(|| a.password.as_slice()),
            will,
        }
    };
    // Validates client id, will topic, user/password before any I/O.
    match c.encoded_len() {
        Ok(_) => Ok(c),
        Err(Error::InvalidArgument(e)) => Err((Exc::ValueError, e.as_str())),
        Err(e) => Err((Exc::ValueError, e.as_str())),
    }
}

/// Validate the CONNECT arguments without touching any engine or socket.
///
/// # Safety
/// `args` and `out` must be valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_check_connect(args: *const ConnectArgs, out: *mut Out) -> i32 {
    // SAFETY: the glue passes valid pointers.
    let (a, out) = unsafe { (&*args, &mut *out) };
    // SAFETY: buffers alive for the call.
    match unsafe { connect_packet(a) } {
        Ok(_) => ST_OK,
        Err((kind, msg)) => set_error(out, kind, 0, msg),
    }
}

/// Send CONNECT and wait for CONNACK. `out.value` = session present.
///
/// # Safety
/// See [`parts`]; `args` must be valid with buffers alive for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_connect(
    eng: *mut c_void,
    io: *mut c_void,
    args: *const ConnectArgs,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    // SAFETY: the glue passes a valid ConnectArgs whose buffers outlive the call.
    let a = unsafe { &*args };
    let c = match unsafe { connect_packet(a) } {
        Ok(c) => c,
        Err((kind, msg)) => return set_error(out, kind, 0, msg),
    };
    // -1: no timeout given; past u32 milliseconds (~49 days): as long as possible.
    let timeout = (a.timeout_ms >= 0).then(|| u32::try_from(a.timeout_ms).unwrap_or(u32::MAX));
    let (client, mut host) = engine.split(io);
    match client.connect(&mut host, &c, timeout) {
        Ok(sp) => {
            out.value = u32::from(sp);
            ST_OK
        }
        Err(e) => fail(out, e),
    }
}

/// Send what the session has queued (acks of a message just delivered,
/// PINGREQ, retransmissions) without reading: wait_msg() acknowledges a
/// message right after its callback, as umqtt.simple does.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_flush(eng: *mut c_void, io: *mut c_void, out: *mut Out) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let (client, mut host) = engine.split(io);
    let r = client.flush(&mut host);
    match r {
        Ok(()) => ST_OK,
        Err(e) => fail(out, e),
    }
}

/// Start a PUBLISH; `out.value` = packet id to wait for (0 for QoS 0).
/// On failure `out.value` is the id of a QoS 1/2 message that the session
/// took but could not send (resent by a reconnect), else 0.
///
/// # Safety
/// See [`parts`]; `topic`/`msg` must stay valid for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_publish(
    eng: *mut c_void,
    io: *mut c_void,
    topic: Bytes,
    msg: Bytes,
    qos_v: i32,
    retain: i32,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let q = match qos(qos_v) {
        Ok(q) => q,
        Err(e) => return fail(out, e),
    };
    let (client, mut host) = engine.split(io);
    // SAFETY: Python buffers alive for the call.
    let (t, m) = unsafe { (topic.as_slice(), msg.as_slice()) };
    match client.start_publish(&mut host, t, m, q, retain != 0) {
        Ok(id) => {
            out.value = id.map_or(0, |i| u32::from(i.get()));
            ST_OK
        }
        Err(e) => {
            out.value = client
                .interrupted_publish()
                .map_or(0, |i| u32::from(i.get()));
            fail(out, e)
        }
    }
}

/// Start a SUBSCRIBE (one filter); `out.value` = packet id.
///
/// # Safety
/// See [`umqtt_publish`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_subscribe(
    eng: *mut c_void,
    io: *mut c_void,
    topic: Bytes,
    qos_v: i32,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let q = match qos(qos_v) {
        Ok(q) => q,
        Err(e) => return fail(out, e),
    };
    let (client, mut host) = engine.split(io);
    // SAFETY: Python buffer alive for the call.
    let filters = [(unsafe { topic.as_slice() }, q)];
    match client.start_subscribe(&mut host, &filters) {
        Ok(id) => {
            out.value = u32::from(id.get());
            ST_OK
        }
        Err(e) => fail(out, e),
    }
}

/// Start an UNSUBSCRIBE; `out.value` = packet id.
///
/// # Safety
/// See [`umqtt_publish`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_unsubscribe(
    eng: *mut c_void,
    io: *mut c_void,
    topic: Bytes,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let (client, mut host) = engine.split(io);
    // SAFETY: Python buffer alive for the call.
    let filters = [unsafe { topic.as_slice() }];
    match client.start_unsubscribe(&mut host, &filters) {
        Ok(id) => {
            out.value = u32::from(id.get());
            ST_OK
        }
        Err(e) => fail(out, e),
    }
}

/// Wait kinds for [`umqtt_run`].
const RUN_ACK: i32 = 0;
const RUN_ONE: i32 = 1;
const RUN_NONBLOCKING: i32 = 2;

/// Drive I/O: `kind` RUN_ACK waits for `id`'s acknowledgement (ST_OK),
/// RUN_ONE is wait_msg(), RUN_NONBLOCKING is check_msg(). ST_MESSAGE leaves
/// the message in `out.topic`/`out.payload` until the next call; ST_PACKET
/// puts the packet's first byte in `out.value`; ST_IDLE: nothing (yet).
/// For a SUBSCRIBE ack, `out.value` is the first granted QoS.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_run(
    eng: *mut c_void,
    io: *mut c_void,
    kind: i32,
    id: u32,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let until = match kind {
        RUN_ACK => match u16::try_from(id).ok().and_then(PacketId::new) {
            Some(pid) => WaitFor::Ack(pid),
            None => return ST_OK,
        },
        RUN_ONE => WaitFor::OnePacket,
        RUN_NONBLOCKING => WaitFor::NonBlocking,
        _ => return set_error(out, Exc::ValueError, 0, "bad wait kind"),
    };
    let (client, mut host) = engine.split(io);
    match client.run(&mut host, until) {
        Ok(Progress::Message(m)) => {
            out.topic = m.topic.as_ptr();
            out.topic_len = m.topic.len();
            out.payload = m.payload.as_ptr();
            out.payload_len = m.payload.len();
            ST_MESSAGE
        }
        Ok(Progress::Done) => {
            out.value = client.last_suback().first().map_or(0, |&c| u32::from(c));
            ST_OK
        }
        Ok(Progress::Idle) => ST_IDLE,
        Ok(Progress::Packet(b)) => {
            out.value = u32::from(b);
            ST_PACKET
        }
        Err(e) => fail(out, e),
    }
}

/// The message the last `umqtt_run` returned could not be copied out (the
/// glue ran out of memory): end the connection without acknowledging it,
/// so the broker redelivers it after a reconnect with clean_session=False.
/// The glue closes the socket and raises the MemoryError.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_abandon(eng: *mut c_void) {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    engine.client.abandon_message();
}

/// Send PINGREQ (no wait).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_ping(eng: *mut c_void, io: *mut c_void, out: *mut Out) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let (client, mut host) = engine.split(io);
    match client.ping(&mut host) {
        Ok(()) => ST_OK,
        Err(e) => fail(out, e),
    }
}

/// Send DISCONNECT.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_disconnect(eng: *mut c_void, io: *mut c_void, out: *mut Out) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let (client, mut host) = engine.split(io);
    match client.disconnect(&mut host) {
        Ok(()) => ST_OK,
        Err(e) => fail(out, e),
    }
}

/// Last packet id used (umqtt.simple's `pid` attribute).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_last_pid(eng: *mut c_void) -> u32 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &*eng.cast::<Engine>() };
    u32::from(engine.client.session().last_packet_id())
}

/// 1 while the session is connected (else the glue closes the socket after
/// an error, like the CPython binding).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_is_connected(eng: *mut c_void) -> i32 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &*eng.cast::<Engine>() };
    i32::from(engine.client.session().state() == State::Connected)
}

/// Set the last packet id (the client's `pid` attribute, read at connect).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_set_pid(eng: *mut c_void, pid: u32) {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    if let Ok(p) = u16::try_from(pid) {
        engine.client.session_mut().set_last_packet_id(p);
    }
}

/// Send one SUBSCRIBE restoring remembered subscriptions after the broker
/// lost the session; `out.value` = its packet id, 0 when all are restored.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_resubscribe(
    eng: *mut c_void,
    io: *mut c_void,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let (client, mut host) = engine.split(io);
    match client.start_resubscribe(&mut host) {
        Ok(id) => {
            out.value = id.map_or(0, |i| u32::from(i.get()));
            ST_OK
        }
        Err(e) => fail(out, e),
    }
}

/// Start a series of reconnect delays (ms, doubling from `min_ms` to
/// `max_ms`, jittered from `seed`).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_backoff_start(
    eng: *mut c_void,
    min_ms: u32,
    max_ms: u32,
    seed: u32,
) {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    engine.backoff = Backoff::new(min_ms, max_ms, seed);
}

/// The next reconnect delay in ms.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_backoff_next(eng: *mut c_void) -> u32 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    engine.backoff.next_delay_ms()
}
