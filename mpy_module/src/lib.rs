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
pub mod request;
pub mod state;
mod v5;
mod ws;

use core::ffi::c_void;
use ffi::{Bytes, ConnectArgs, Out, ST_ERROR, ST_IDLE, ST_MESSAGE, ST_OK, ST_PACKET};
use heap::HeapBuf;
use host::{Clock, MpHost};
use umqtt_core::client::{publish_first_byte, Client, Progress, WaitFor};
use umqtt_core::codec::MAX_PACKET;
#[cfg(not(feature = "v5"))]
use umqtt_core::codec::{Connect, Will};
use umqtt_core::session::Config;
use umqtt_core::{args, Error, PacketId, ProtocolVersion, QoS};

/// QoS 1/2 messages in flight at once (and stored frames).
pub(crate) const INFLIGHT: usize = 16;
/// First size of the receive and transmit buffers (they grow on demand).
const INITIAL_BUF: usize = 256;

/// The core client: receive and transmit buffers, stored frames of in-flight
/// messages, in-flight limits, and the registry of granted subscriptions
/// (restored by reconnect()).
pub(crate) type Core = Client<HeapBuf, HeapBuf, HeapBuf, INFLIGHT, HeapBuf>;

/// What the operations run over: the socket, through the WebSocket link
/// when one is open.
#[cfg(feature = "ws")]
type Io<'a> = umqtt_core::ws::WsHost<'a, MpHost<'a>, HeapBuf>;
#[cfg(not(feature = "ws"))]
type Io<'a> = MpHost<'a>;

/// Everything the module keeps per client; lives inside a GC block.
pub struct Engine {
    pub(crate) client: Core,
    pub(crate) clock: Clock,
    #[cfg(feature = "ws")]
    pub(crate) link: ws::LinkBox,
}

impl Engine {
    /// The client and a host for this call (disjoint borrows).
    pub(crate) fn split(&mut self, io: *mut c_void) -> (&mut Core, Io<'_>) {
        let host = MpHost {
            io,
            clock: &mut self.clock,
            write_timeout_ms: u64::from(self.client.socket_timeout_ms()),
        };
        #[cfg(feature = "ws")]
        let host = umqtt_core::ws::WsHost {
            inner: host,
            link: self.link.get(),
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

/// Report `e` to the glue as the core's table says (spec/PYAPI.md).
pub(crate) fn fail(out: &mut Out, e: Error) -> i32 {
    let r = e.report();
    // The glue's EXC_* ids are the core's ExcKind values.
    out.kind = r.kind as i32;
    out.code = r.code;
    out.msg = r.msg.as_ptr();
    out.msg_len = r.msg.len();
    ST_ERROR
}

fn qos(v: i32) -> Result<QoS, Error> {
    args::qos(i64::from(v))
}

/// [`fail`] for a call on `client` (MQTT 5: with the reason string).
pub(crate) fn failed(out: &mut Out, e: Error, client: &Core) -> i32 {
    let st = fail(out, e);
    v5::with_reason(out, client, &e);
    st
}

/// `Ok` as ST_OK, an error reported.
pub(crate) fn status(out: &mut Out, r: Result<(), Error>) -> i32 {
    match r {
        Ok(()) => ST_OK,
        Err(e) => fail(out, e),
    }
}

/// # Safety
/// `eng` must be the engine block initialised by [`umqtt_engine_init`] and
/// not used by anything else during the call; `out` must be valid.
pub(crate) unsafe fn parts<'a>(eng: *mut c_void, out: *mut Out) -> (&'a mut Engine, &'a mut Out) {
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
        // The frame store and the registry start empty and grow with the
        // first QoS 1/2 publish and subscribe.
        client: Client::with_subscriptions(
            Config::default(),
            rx,
            tx,
            HeapBuf::empty(MAX_PACKET),
            HeapBuf::empty(MAX_PACKET),
        ),
        clock: Clock::new(),
        #[cfg(feature = "ws")]
        link: ws::LinkBox::empty(),
    };
    // SAFETY: p is aligned and points to enough writable bytes.
    unsafe { p.write(engine) };
    0
}

/// Build the CONNECT description from the glue's arguments (a build with
/// MQTT 5: `v5::connect_packet`).
///
/// # Safety
/// The buffers in `a` must stay valid for `'a`.
#[cfg(not(feature = "v5"))]
unsafe fn connect_packet<'a>(a: &ConnectArgs) -> Result<Connect<'a>, Error> {
    let keepalive = args::keepalive(a.keepalive)?;
    let will = if a.has_will != 0 {
        let q = qos(a.will_qos)?;
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
    c.encoded_len().map(|_| c)
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
    #[cfg(feature = "v5")]
    let c = unsafe { v5::connect_packet(a) };
    // SAFETY: buffers alive for the call.
    #[cfg(not(feature = "v5"))]
    let c = unsafe { connect_packet(a) };
    status(out, c.map(drop))
}

/// A timeout from the glue: -1 when none was given; past u32 milliseconds
/// (~49 days): as long as possible.
pub(crate) fn given_timeout(ms: i64) -> Option<u32> {
    (ms >= 0).then(|| u32::try_from(ms).unwrap_or(u32::MAX))
}

/// How long each step of connect() may take (ms; the core's rule) for
/// connect()'s `timeout_ms` (-1: none given).
///
/// # Safety
/// `eng` must be an initialised engine.
#[no_mangle]
pub unsafe extern "C" fn umqtt_connect_step_ms(eng: *mut c_void, timeout_ms: i64) -> u32 {
    // SAFETY: the glue passes its engine.
    let engine = unsafe { &*eng.cast::<Engine>() };
    engine
        .client
        .connect_step_timeout_ms(given_timeout(timeout_ms))
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
    let timeout = given_timeout(a.timeout_ms);
    let (client, mut host) = engine.split(io);
    // SAFETY: buffers alive for the call.
    #[cfg(feature = "v5")]
    let r = unsafe { v5::connect_packet(a) }.and_then(|(protocol, c)| {
        if a.has_auth != 0 {
            client.connect_v5_auth(&mut host, &c, timeout, |data, answer| {
                v5::answer(io, data, answer)
            })
        } else {
            client.connect_as(&mut host, protocol, &c, timeout)
        }
    });
    // SAFETY: buffers alive for the call.
    #[cfg(not(feature = "v5"))]
    let r = unsafe { connect_packet(a) }.and_then(|c| client.connect(&mut host, &c, timeout));
    match r {
        Ok(sp) => {
            out.value = u32::from(sp);
            ST_OK
        }
        Err(e) => failed(out, e, client),
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
    status(out, client.flush(&mut host))
}

/// Put a round's outcome in `out` and return its status; `None` for
/// `Done` (see [`done`]).
pub(crate) fn report(out: &mut Out, r: Result<Progress<'_>, Error>) -> Option<i32> {
    Some(match r {
        Ok(Progress::Message(m)) => {
            out.value = u32::from(publish_first_byte(&m));
            out.topic = m.topic.as_ptr();
            out.topic_len = m.topic.len();
            out.payload = m.payload.as_ptr();
            out.payload_len = m.payload.len();
            ST_MESSAGE
        }
        Ok(Progress::Done) => return None,
        Ok(Progress::Idle) => ST_IDLE,
        Ok(Progress::Packet(b)) => {
            out.value = u32::from(b);
            ST_PACKET
        }
        Err(e) => fail(out, e),
    })
}

/// A wait ended: ST_OK, `out.value` = the first code of the last SUBACK.
fn done(client: &Core, out: &mut Out) -> i32 {
    out.value = client.last_suback().first().map_or(0, |&c| u32::from(c));
    ST_OK
}

/// Wait kinds for [`umqtt_run`].
pub const RUN_ACK: i32 = 0;
pub const RUN_ONE: i32 = 1;
pub const RUN_NONBLOCKING: i32 = 2;

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
        // RUN_NONBLOCKING (the glue passes nothing else).
        _ => WaitFor::NonBlocking,
    };
    let (client, mut host) = engine.split(io);
    let r = client.run(&mut host, until);
    let err = r.as_ref().err().copied();
    let st = report(out, r).unwrap_or_else(|| done(client, out));
    if let Some(e) = err {
        v5::with_reason(out, client, &e);
    }
    st
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
    status(out, client.ping(&mut host))
}

/// Send DISCONNECT; MQTT 5: with `reason` and the encoded `properties`.
///
/// # Safety
/// See [`parts`]; `properties` alive for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_disconnect(
    eng: *mut c_void,
    io: *mut c_void,
    reason: i32,
    properties: Bytes,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let v5 = engine.client.protocol() == ProtocolVersion::V5;
    let code = match args::disconnect_reason(i64::from(reason), v5) {
        Ok(c) => c,
        Err(e) => return fail(out, e),
    };
    let (client, mut host) = engine.split(io);
    // SAFETY: the glue's encoding, alive for the call.
    #[cfg(feature = "v5")]
    let r = unsafe { v5::properties(properties, umqtt_core::codec::v5::Context::Disconnect) }
        .and_then(|props| client.disconnect_v5(&mut host, code, props));
    #[cfg(not(feature = "v5"))]
    let r = {
        let _ = (properties, code);
        client.disconnect(&mut host)
    };
    // On a WebSocket: the closing handshake's first frame (status 1000).
    #[cfg(feature = "ws")]
    let r = r.and_then(|()| match host.link {
        Some(link) => link.close(&mut host.inner),
        None => Ok(()),
    });
    status(out, r)
}
