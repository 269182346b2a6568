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
mod v5;
mod ws;
mod ws_aio;

use core::ffi::c_void;
use ffi::{
    Bytes, ConnectArgs, Filter, Out, ReqArgs, ST_ERROR, ST_IDLE, ST_MESSAGE, ST_OK, ST_PACKET,
};
use heap::HeapBuf;
use host::{Clock, MpHost};
use umqtt_core::client::{
    publish_first_byte, Client, Op, Policy, Progress, Request, WaitFor, DEFAULT_TIMEOUT_MS,
};
use umqtt_core::codec::MAX_PACKET;
#[cfg(not(feature = "v5"))]
use umqtt_core::codec::{Connect, Will};
use umqtt_core::session::{Config, State};
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

/// Request kinds for [`umqtt_request`].
pub const REQ_PUBLISH: i32 = 0;
pub const REQ_SUBSCRIBE: i32 = 1;
pub const REQ_UNSUBSCRIBE: i32 = 2;
/// The resubscription of `reconnect()`.
pub const REQ_RESUBSCRIBE: i32 = 3;
pub const REQ_SUBSCRIBE_LIST: i32 = 4;

/// Most filters one subscribe() with a list takes here (no allocation).
const LIST_FILTERS: usize = umqtt_core::client::RESUBSCRIBE_BATCH;

/// One round of a publish / subscribe / unsubscribe / resubscription
/// (`req.kind`) by the core's [`umqtt_core::client::Request`]: `*waiting`
/// (0: not sent) is its state, kept by the glue across rounds and
/// reconnects. An MQTT 5 client sends the MQTT 5 packet, with
/// `req.properties` and the subscription options. Statuses as
/// [`umqtt_run`]: ST_OK when complete (`out.value` = the first code of a
/// SUBACK, or the reason code of an MQTT 5 ack), ST_MESSAGE for a message
/// that arrived meanwhile.
///
/// # Safety
/// See [`parts`]; `req` and its buffers must stay valid for the call,
/// `waiting` must be valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_request(
    eng: *mut c_void,
    io: *mut c_void,
    req: *const ReqArgs,
    waiting: *mut u32,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    // SAFETY: forwarded contract.
    let (r, waiting) = unsafe { (&*req, &mut *waiting) };
    // SAFETY: Python buffers alive for the call.
    let (t, m) = unsafe { (r.topic.as_slice(), r.msg.as_slice()) };
    let qos = match qos(r.qos) {
        Ok(q) => q,
        Err(e) => return fail(out, e),
    };
    let retain = r.retain != 0;
    // The subscription options (the defaults in other requests).
    let (no_local, rap) = (r.no_local != 0, r.retain_as_published != 0);
    let v5 = engine.client.protocol() == ProtocolVersion::V5;
    let retain_handling = match args::sub_options(no_local, rap, r.retain_handling.into(), v5) {
        Ok(v) => v,
        Err(e) => return fail(out, e),
    };
    // (A build without MQTT 5 has only 3.1.1 clients: the defaults, checked.)
    #[cfg(not(feature = "v5"))]
    let _ = retain_handling;
    // With MQTT 5 in the build, one operation for both protocols: the core
    // sends the 3.1.1 packet on a 3.1.1 connection and refuses there what
    // needs MQTT 5 (properties, subscription options).
    #[cfg(feature = "v5")]
    let props = {
        let ctx = match r.kind {
            REQ_PUBLISH => umqtt_core::codec::v5::Context::Publish,
            REQ_UNSUBSCRIBE => umqtt_core::codec::v5::Context::Unsubscribe,
            _ => umqtt_core::codec::v5::Context::Subscribe,
        };
        // SAFETY: the glue's encoding, alive for the call.
        match unsafe { v5::properties(r.properties, ctx) } {
            Ok(p) => p,
            Err(e) => return fail(out, e),
        }
    };
    #[cfg(feature = "v5")]
    let op = match r.kind {
        REQ_PUBLISH => Op::PublishV5 {
            topic: t,
            payload: m,
            qos,
            retain,
            properties: props,
        },
        REQ_UNSUBSCRIBE => Op::UnsubscribeV5 {
            filters: core::slice::from_ref(&t),
            properties: props,
        },
        REQ_SUBSCRIBE | REQ_SUBSCRIBE_LIST => {
            let with_options = |f, qos| {
                let o = umqtt_core::codec::v5::SubOptions {
                    qos,
                    no_local,
                    retain_as_published: rap,
                    retain_handling,
                };
                (f, o)
            };
            let mut filters = [with_options(&[][..], qos); LIST_FILTERS];
            let op = match subscribe_filters(r, t, qos, &mut filters, with_options) {
                Ok(filters) => Op::SubscribeV5 {
                    filters,
                    properties: props,
                },
                Err(e) => return fail(out, e),
            };
            return run_request(engine, io, op, waiting, out);
        }
        _ => Op::Resubscribe,
    };
    #[cfg(not(feature = "v5"))]
    let op = match r.kind {
        REQ_PUBLISH => Op::Publish {
            topic: t,
            payload: m,
            qos,
            retain,
        },
        REQ_UNSUBSCRIBE => Op::Unsubscribe(t),
        REQ_SUBSCRIBE | REQ_SUBSCRIBE_LIST => {
            let mut filters = [(&[][..], qos); LIST_FILTERS];
            let op = match subscribe_filters(r, t, qos, &mut filters, |f, q| (f, q)) {
                Ok(filters) => Op::SubscribeAll(filters),
                Err(e) => return fail(out, e),
            };
            return run_request(engine, io, op, waiting, out);
        }
        _ => Op::Resubscribe,
    };
    run_request(engine, io, op, waiting, out)
}

/// One round of `op` on the glue's stream `io`: the rest of [`umqtt_request`].
fn run_request(
    engine: &mut Engine,
    io: *mut c_void,
    op: Op<'_>,
    waiting: &mut u32,
    out: &mut Out,
) -> i32 {
    let id = u16::try_from(*waiting).ok().and_then(PacketId::new);
    let mut req = Request::resume(op, id);
    let (client, mut host) = engine.split(io);
    let res = client.request(&mut host, &mut req);
    let err = res.as_ref().err().copied();
    let st = report(out, res).unwrap_or_else(|| done(client, out));
    if let Some(e) = err {
        v5::with_reason(out, client, &e);
    } else if let (ST_OK, Some(code)) = (st, v5::reply_code(client, &req)) {
        // The call returns the reason code of its ack.
        out.value = code;
        out.reason = 1;
    }
    *waiting = req.waiting().map_or(0, |i| u32::from(i.get()));
    st
}

/// The filters of a subscribe(), one (`t`, `qos`) or the list's, each
/// made by `make` into `into`.
fn subscribe_filters<'a, T: Copy>(
    r: &ReqArgs,
    t: &'a [u8],
    qos: QoS,
    into: &'a mut [T; LIST_FILTERS],
    make: impl Fn(&'a [u8], QoS) -> T,
) -> Result<&'a [T], Error> {
    if r.kind != REQ_SUBSCRIBE_LIST {
        let one = into.get_mut(..1).unwrap_or_default();
        one.fill(make(t, qos));
        return Ok(one);
    }
    if r.n_filters > LIST_FILTERS {
        return Err(umqtt_core::ArgError::TooManyFilters.into());
    }
    // SAFETY: the glue passes `n_filters` items alive for the call.
    let list: &[Filter] = unsafe { core::slice::from_raw_parts(r.filters, r.n_filters) };
    for (slot, f) in into.iter_mut().zip(list) {
        // SAFETY: as above.
        *slot = make(unsafe { f.topic.as_slice() }, crate::qos(f.qos)?);
    }
    Ok(into.get(..list.len()).unwrap_or_default())
}

/// The codes of the last SUBACK (or MQTT 5 UNSUBACK), at most `cap` into
/// `buf`; their number.
///
/// # Safety
/// See [`parts`]; `buf` must have `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_codes(eng: *mut c_void, buf: *mut u8, cap: usize) -> usize {
    // SAFETY: forwarded contract.
    let (engine, buf) = unsafe {
        (
            &*eng.cast::<Engine>(),
            core::slice::from_raw_parts_mut(buf, cap),
        )
    };
    let codes = engine.client.last_suback();
    let n = codes.len().min(cap);
    if let (Some(dst), Some(src)) = (buf.get_mut(..n), codes.get(..n)) {
        dst.copy_from_slice(src);
    }
    n
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

/// set_reconnect(): `attempts` and the delays in ms (converted by the
/// glue, checked here; NOT_GIVEN: the default).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_set_reconnect(
    eng: *mut c_void,
    attempts: i64,
    min_ms: i64,
    max_ms: i64,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let ms = |v| args::given(v).map(args::duration_ms).transpose();
    let policy =
        ms(min_ms).and_then(|lo| Policy::with_defaults(args::given(attempts), lo, ms(max_ms)?));
    status(out, policy.map(|p| engine.client.set_reconnect(Some(p))))
}

/// MQTTClient(..., socket_timeout, message_timeout) in ms; NOT_GIVEN:
/// the default.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_set_timeouts(
    eng: *mut c_void,
    socket_ms: i64,
    message_ms: i64,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    let ms = |v| args::given(v).map_or(Ok(DEFAULT_TIMEOUT_MS), args::duration_ms);
    let r = ms(socket_ms).and_then(|s| Ok((s, ms(message_ms)?)));
    status(out, r.map(|(s, m)| engine.client.set_timeouts(s, m)))
}

/// Kinds of [`umqtt_check_arg`]: the core's `args` rules.
pub const ARG_QOS: i32 = 0;
pub const ARG_KEEPALIVE: i32 = 1;
pub const ARG_PID: i32 = 2;
pub const ARG_PROTOCOL: i32 = 3;
/// The will topic (`topic`).
pub const ARG_WILL_TOPIC: i32 = 4;
/// disconnect()'s reason on a 3.1.1 client (`ARG_REASON_V5`: on MQTT 5).
pub const ARG_REASON_V4: i32 = 5;
pub const ARG_REASON_V5: i32 = 6;
/// An int port.
pub const ARG_PORT: i32 = 7;
/// A time in ms (negative: ValueError).
pub const ARG_DURATION: i32 = 8;

/// Check the argument `v` (or `topic`) by the rule `what` (ARG_*).
///
/// # Safety
/// `out` must be valid; `topic` alive for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_check_arg(what: i32, v: i64, topic: Bytes, out: *mut Out) -> i32 {
    // SAFETY: the glue passes a valid pointer.
    let out = unsafe { &mut *out };
    let r = match what {
        ARG_QOS => args::qos(v).map(drop),
        ARG_KEEPALIVE => args::keepalive(v).map(drop),
        ARG_PID => args::packet_id(v).map(drop),
        ARG_PROTOCOL => args::protocol(v).map(drop),
        ARG_REASON_V4 => args::disconnect_reason(v, false).map(drop),
        ARG_REASON_V5 => args::disconnect_reason(v, true).map(drop),
        ARG_PORT => args::port_number(v).map(drop),
        ARG_DURATION => args::duration_ms(v).map(drop),
        // ARG_WILL_TOPIC. SAFETY: Python buffer alive for the call.
        _ => args::will_topic(unsafe { topic.as_slice() }),
    };
    status(out, r)
}

/// Codes of [`umqtt_error`]: errors the glue finds before calling in.
pub const ERR_BUSY: i32 = 0;
pub const ERR_NO_CALLBACK: i32 = 1;
pub const ERR_NOT_CONNECTED: i32 = 2;
/// reauthenticate() without set_auth().
pub const ERR_NO_AUTH: i32 = 3;

/// The core's error of `code` (ERR_*) for the glue to raise.
///
/// # Safety
/// `out` must be valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_error(code: i32, out: *mut Out) -> i32 {
    // SAFETY: the glue passes a valid pointer.
    let out = unsafe { &mut *out };
    let e = match code {
        ERR_BUSY => Error::Busy,
        ERR_NO_CALLBACK => Error::InvalidArgument(umqtt_core::ArgError::NoCallback),
        #[cfg(feature = "v5")]
        ERR_NO_AUTH => umqtt_core::ArgError::NoAuthInProgress.into(),
        #[cfg(not(feature = "v5"))]
        ERR_NO_AUTH => umqtt_core::ArgError::PropertiesNeedV5.into(),
        // ERR_NOT_CONNECTED.
        _ => Error::NotConnected,
    };
    fail(out, e)
}

/// 1 when packets wait to go out at once (the acknowledgement of the
/// message just delivered): wait_msg() flushes after the callback only then.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_has_queued(eng: *mut c_void) -> i32 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &*eng.cast::<Engine>() };
    i32::from(engine.client.has_queued())
}

/// 1 when automatic reconnect is on and the connection was lost: the
/// operation reconnects first.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_must_resume(eng: *mut c_void) -> i32 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &*eng.cast::<Engine>() };
    i32::from(engine.client.must_resume())
}

/// An operation failed with exception `kind` (glue id) and `code`: 1 to
/// reconnect and carry on (the core's rule).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_should_reconnect(eng: *mut c_void, kind: i32, code: i32) -> i32 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    i32::from(
        engine
            .client
            .should_reconnect(umqtt_core::ExcKind::from_i32(kind), code),
    )
}

/// disconnect() without a connection: nothing reconnects.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_closed(eng: *mut c_void) {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    engine.client.closed();
}

/// Start a reconnect(): delays jittered from `seed`.
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_reconnect_begin(eng: *mut c_void, seed: u32) {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    engine.client.reconnect_begin(seed);
}

/// One attempt of reconnect() failed with exception `kind`/`code`: the ms to
/// sleep before the next attempt, or negative to raise it (given up, or not a
/// connection failure).
///
/// # Safety
/// See [`parts`].
#[no_mangle]
pub unsafe extern "C" fn umqtt_reconnect_failed(eng: *mut c_void, kind: i32, code: i32) -> i64 {
    // SAFETY: forwarded contract.
    let engine = unsafe { &mut *eng.cast::<Engine>() };
    engine
        .client
        .reconnect_failed(umqtt_core::ExcKind::from_i32(kind), code)
        .as_ms()
}
