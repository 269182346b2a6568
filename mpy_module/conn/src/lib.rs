//! MicroPython native module `umqtt._conn`: the Rust half. umqtt-core's
//! sans-IO [`Connection`] for `umqtt.aio` (the same methods as CPython's
//! `umqtt._umqtt.Conn`, pyo3_binding/src/conn.rs). The C glue
//! (`conn_glue.c`) converts objects and raises; one entry point,
//! [`umqtt_conn`], runs an operation on the engine block it allocated.
//!
//! Built twice: `umqtt/_conn.mpy` (MQTT 3.1.1) and, with the `v5` feature,
//! `umqtt/_conn5.mpy` (also MQTT 5: `v5.rs`), which umqtt.aio loads only
//! for protocol=5.
#![no_std]

#[path = "../../src/heap.rs"]
mod heap;
#[cfg(feature = "v5")]
mod v5;

use core::ffi::c_void;
use heap::HeapBuf;
use umqtt_core::codec::{Connect, Will, MAX_PACKET};
use umqtt_core::connection::{Connection, Event, Policy, Transport};
use umqtt_core::session::{Config, State};
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::{args, Error, ExcKind, PacketId, ProtocolVersion};

mod ffi {
    extern "C" {
        /// `m_realloc` (null on failure; `len` 0 frees).
        pub fn glue_realloc(ptr: *mut u8, len: usize) -> *mut u8;
        pub fn glue_panic() -> !;
    }
}

type Core = Connection<HeapBuf, HeapBuf, HeapBuf, HeapBuf, 16>;

/// The engine inside the glue's GC block (scanned conservatively: every
/// buffer is reachable from it).
pub struct Engine {
    core: Core,
    /// TCP, or the WebSocket of OP_WS_OPEN.
    wire: Transport<HeapBuf>,
    /// protocol=5.
    v5: bool,
    /// `ticks_ms()` as a monotonic u64 (it wraps at `mask + 1`).
    last: usize,
    now: u64,
}

/// A byte string from the glue (`ptr` null: None).
#[repr(C)]
pub struct Bytes {
    ptr: *const u8,
    len: usize,
}

impl Bytes {
    fn get(&self) -> Option<&[u8]> {
        if self.ptr.is_null() {
            None
        } else {
            // SAFETY: the glue passes a live buffer of len bytes.
            Some(unsafe { core::slice::from_raw_parts(self.ptr, self.len) })
        }
    }
    fn or_empty(&self) -> &[u8] {
        self.get().unwrap_or(&[])
    }
    fn set(&mut self, b: &[u8]) {
        self.ptr = b.as_ptr();
        self.len = b.len();
    }
    const NONE: Bytes = Bytes {
        ptr: core::ptr::null(),
        len: 0,
    };
}

/// A property: name and value by kind (`num`, `a`, or the pair `a`, `b`);
/// `list`: the dict has it in a list (`umqtt_prop_t` in C, the layout
/// simple.mpy's `PropItem` has too: ../c/props.h serves both).
#[repr(C)]
pub struct PropItem {
    name: Bytes,
    a: Bytes,
    b: Bytes,
    num: i64,
    kind: i32,
    list: i32,
}

/// A (filter, qos) pair of subscribe()'s list (`filter_t` in C).
#[repr(C)]
pub struct Filter {
    topic: Bytes,
    qos: i64,
}

/// Most filters in one SUBSCRIBE from a list (they are not allocated; as
/// simple.mpy's subscribe()).
const LIST_FILTERS: usize = umqtt_core::connection::RESUBSCRIBE_BATCH;

/// OP_SUBSCRIBE's filters into `into`: the glue's list, or the topic `a` at
/// QoS `i[0]`; their number.
fn filters<'a>(
    io: &'a Io,
    into: &mut [(&'a [u8], umqtt_core::QoS); LIST_FILTERS],
) -> Result<usize, Error> {
    if io.filters.is_null() {
        if let Some(slot) = into.first_mut() {
            *slot = (io.a.or_empty(), args::qos(io.i[0])?);
        }
        return Ok(1);
    }
    if io.n_filters > LIST_FILTERS {
        return Err(umqtt_core::ArgError::TooManyFilters.into());
    }
    // SAFETY: the glue passes n_filters pairs alive for the call.
    let list = unsafe { core::slice::from_raw_parts(io.filters, io.n_filters) };
    for (slot, f) in into.iter_mut().zip(list) {
        *slot = (f.topic.or_empty(), args::qos(f.qos)?);
    }
    Ok(list.len())
}

/// Arguments in, results out (`io_t` in C: cbindgen.toml).
#[repr(C)]
pub struct Io {
    ticks: usize,
    mask: usize,
    a: Bytes,
    b: Bytes,
    c: Bytes,
    d: Bytes,
    e: Bytes,
    i: [i64; 4],
    /// Error: exception class (ExcKind), code, message.
    kind: i32,
    code: i32,
    msg: *const u8,
    msg_len: usize,
    r: [i64; 3],
    p: Bytes,
    q: Bytes,
    /// MQTT 5: the encoded properties of the operation (`f`) and of the
    /// will (`g`), from OP_PROPS.
    f: Bytes,
    g: Bytes,
    /// OP_PROPS: `n_items` items to encode into `out[..cap]`.
    items: *const PropItem,
    n_items: usize,
    out: *mut u8,
    cap: usize,
    /// OP_PROP_AT: the property.
    item: PropItem,
    /// The error report is an MQTT 5 refusal or server DISCONNECT: `msg` is
    /// its reason string (`MQTTException(code, str or None)`).
    reason: i32,
    /// OP_EVENT: the acknowledged request failed; the error report says how.
    failed: i32,
    /// OP_SUBSCRIBE: a list of `n_filters` pairs (null: the topic `a`).
    filters: *const Filter,
    n_filters: usize,
    /// OP_WS_OPEN: `n_headers` (name, value) pairs, `2 * n_headers` strings.
    headers: *const Bytes,
    n_headers: usize,
}

// Operations (same numbers in conn_glue.c).
pub const OP_CONNECT: i32 = 1;
pub const OP_PUBLISH: i32 = 2;
pub const OP_SUBSCRIBE: i32 = 3;
pub const OP_UNSUBSCRIBE: i32 = 4;
pub const OP_DISCONNECT: i32 = 5;
pub const OP_OUT: i32 = 6;
pub const OP_TRANSMITTED: i32 = 7;
pub const OP_FEED: i32 = 8;
pub const OP_EVENT: i32 = 9;
pub const OP_DEADLINE: i32 = 10;
pub const OP_TIMEOUT: i32 = 11;
pub const OP_LOST: i32 = 12;
pub const OP_CLOSED: i32 = 13;
pub const OP_CONNECTED: i32 = 14;
pub const OP_ROOM: i32 = 15;
pub const OP_SET_RECONNECT: i32 = 16;
pub const OP_RECONNECT_ON: i32 = 17;
pub const OP_RECONNECT_BEGIN: i32 = 18;
pub const OP_RECONNECT_FAILED: i32 = 19;
pub const OP_SHOULD_RECONNECT: i32 = 20;
pub const OP_RESUBSCRIBE: i32 = 21;
pub const OP_ERROR: i32 = 22;
pub const OP_PROTOCOL: i32 = 23;
pub const OP_ARG: i32 = 24;
pub const OP_MESSAGE_TIMEOUT: i32 = 29;
pub const OP_CONNECT_STEP: i32 = 30;
#[cfg(feature = "v5")]
pub const OP_PROPS: i32 = 25;
#[cfg(feature = "v5")]
pub const OP_PROP_AT: i32 = 26;
#[cfg(feature = "v5")]
pub const OP_AUTH_CONTINUE: i32 = 27;
#[cfg(feature = "v5")]
pub const OP_REAUTH: i32 = 28;
/// MQTT over WebSockets on the new socket: host `a`, path `b`, port
/// `i[0]`, tls `i[1]`, the headers, 16 random bytes each in `c` (the
/// handshake's key) and `d` (the masks).
#[cfg(feature = "ws")]
pub const OP_WS_OPEN: i32 = 31;

// OP_ERROR / OP_ARG selectors.
pub const ERR_CLOSED: i64 = 1;
pub const ERR_SUBSCRIBE_REFUSED: i64 = 2;
pub const ERR_TIMEOUT: i64 = 3;
pub const ERR_NEED_V5: i64 = 4;
pub const ERR_DISCONNECTED: i64 = 5;
pub const ARG_QOS: i64 = 1;
pub const ARG_KEEPALIVE: i64 = 2;
pub const ARG_PORT: i64 = 3;
pub const ARG_DURATION: i64 = 4;
pub const ARG_WILL_TOPIC: i64 = 5;

const ST_OK: i32 = 0;
const ST_ERROR: i32 = 1;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: the glue raises (long-jumps) and never returns.
    unsafe { ffi::glue_panic() }
}

fn report(io: &mut Io, e: Error) -> i32 {
    let r = e.report();
    io.kind = r.kind as i32;
    io.code = r.code;
    io.msg = r.msg.as_ptr();
    io.msg_len = r.msg.len();
    io.reason = 0;
    ST_ERROR
}

/// [`report`], and on MQTT 5 an error the core says carries the reason
/// string of its packet (as in the blocking client) with it.
fn report_from(io: &mut Io, e: Error, c: &Core) -> i32 {
    let st = report(io, e);
    #[cfg(feature = "v5")]
    if let Some(r) = c.error_reason(&e) {
        let r = r.unwrap_or("");
        io.reason = 1;
        io.msg = r.as_ptr();
        io.msg_len = r.len();
    }
    let _ = c;
    st
}

fn kind_of(v: i64) -> ExcKind {
    match v {
        0 => ExcKind::Mqtt,
        1 => ExcKind::OsError,
        _ => ExcKind::Pending,
    }
}

fn pid(id: Option<PacketId>) -> i64 {
    id.map_or(0, |p| i64::from(p.get()))
}

/// Bytes the glue allocates for an engine.
#[no_mangle]
pub extern "C" fn umqtt_conn_size() -> usize {
    core::mem::size_of::<Engine>()
}

/// Build an engine in the zeroed, aligned block `eng`: 0, or -1.
///
/// # Safety
/// `eng` must point to `umqtt_conn_size()` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_conn_init(eng: *mut c_void) -> i32 {
    let p = eng.cast::<Engine>();
    if !p.is_aligned() {
        return -1;
    }
    let mut rx = HeapBuf::empty(MAX_PACKET);
    let mut tx = HeapBuf::empty(MAX_PACKET);
    if !rx.reserve(512) || !tx.reserve(256) {
        return -1;
    }
    let e = Engine {
        v5: false,
        core: Connection::new(
            Config::default(),
            rx,
            tx,
            HeapBuf::empty(MAX_PACKET),
            Subscriptions::new(HeapBuf::empty(MAX_PACKET)),
        ),
        wire: Transport::new(HeapBuf::empty(MAX_PACKET)),
        last: 0,
        now: 0,
    };
    // SAFETY: p is aligned and points to enough writable bytes.
    unsafe { p.write(e) };
    0
}

/// Where a client's arguments connect (core `args::ws_target_raw`; no
/// engine: umqtt.aio asks before it picks the module): server `a`,
/// transport `b`, ws_path `c`, port `i[0]`, ssl `i[1]`. `r[0]` 1 for a
/// WebSocket (host `p`, path `q`), `r[1]` the port (its default for 0),
/// `r[2]` TLS.
///
/// # Safety
/// `io` valid, its byte strings live for the call.
#[cfg(feature = "ws")]
#[no_mangle]
pub unsafe extern "C" fn umqtt_conn_ws_target(io: *mut Io) -> i32 {
    // SAFETY: guaranteed by the caller.
    let io = unsafe { &mut *io };
    let port = u32::try_from(io.i[0]).unwrap_or(0);
    let ssl = io.i[1] != 0;
    match args::ws_target_raw(io.a.or_empty(), port, ssl, io.b.or_empty(), io.c.or_empty()) {
        Ok(Some(t)) => {
            io.r = [1, i64::from(t.port), i64::from(t.tls)];
            io.p.set(t.host.as_bytes());
            io.q.set(t.path.as_bytes());
            ST_OK
        }
        Ok(None) => {
            let port = args::port(u16::try_from(port).unwrap_or(0), ssl, false);
            io.r = [0, i64::from(port), i64::from(ssl)];
            ST_OK
        }
        Err(e) => report(io, e),
    }
}

/// Run operation `op` (OP_*) with `io`: ST_OK or ST_ERROR (io.kind/code/msg).
///
/// # Safety
/// `eng` must be an engine built by [`umqtt_conn_init`], not in use by
/// another call; `io` valid, its byte strings live for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_conn(eng: *mut c_void, op: i32, io: *mut Io) -> i32 {
    // SAFETY: guaranteed by the caller.
    let (e, io) = unsafe { (&mut *eng.cast::<Engine>(), &mut *io) };
    // The clock: the masked difference is right across one wrap of
    // ticks_ms (OP_ERROR only builds an error and reads no time).
    if op != OP_ERROR {
        let delta = io.ticks.wrapping_sub(e.last) & io.mask;
        e.last = io.ticks;
        e.now = e.now.saturating_add(delta as u64);
    }
    match run(e, op, io) {
        Ok(()) => ST_OK,
        Err(err) => report_from(io, err, &e.core),
    }
}

/// The operations on the bytes (through the transport: TCP or a
/// WebSocket), then the others.
fn run(e: &mut Engine, op: i32, io: &mut Io) -> Result<(), Error> {
    let (c, w, now, v5) = (&mut e.core, &mut e.wire, e.now, e.v5);
    match op {
        OP_OUT => {
            c.queue_pending(now)?;
            io.p = Bytes::NONE;
            if let Some(b) = w.poll_transmit(c, now)? {
                io.p.set(b);
            }
        }
        OP_TRANSMITTED => w.transmitted(c, usize::try_from(io.i[0]).unwrap_or(0)),
        OP_FEED => io.r[0] = w.feed(c, io.a.or_empty())? as i64,
        OP_EVENT => event(c, w, now, v5, io)?,
        OP_DEADLINE => {
            io.r[0] = w.next_deadline(c).map_or(-1, |d| {
                i64::try_from(d.saturating_sub(now)).unwrap_or(i64::MAX)
            });
        }
        #[cfg(feature = "ws")]
        OP_WS_OPEN => ws_open(w, io)?,
        _ => {
            operation(e, op, io)?;
            // A connection is MQTT over TCP unless OP_WS_OPEN follows; a
            // WebSocket closes behind the DISCONNECT.
            match op {
                OP_CONNECT => e.wire.tcp(),
                OP_DISCONNECT => e.wire.close(&mut e.core, e.now)?,
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(feature = "ws")]
fn ws_open(w: &mut Transport<HeapBuf>, io: &Io) -> Result<(), Error> {
    let pairs = if io.headers.is_null() {
        &[][..]
    } else {
        // SAFETY: the glue passes 2 * n_headers strings alive for the call.
        unsafe { core::slice::from_raw_parts(io.headers, io.n_headers.saturating_mul(2)) }
    };
    let headers = pairs.chunks_exact(2).map(|kv| match kv {
        [k, v] => (k.or_empty(), v.or_empty()),
        _ => (&[][..], &[][..]),
    });
    let random = |b: &Bytes| <[u8; 16]>::try_from(b.or_empty()).map_err(|_| Error::Host);
    let (nonce, seed) = (random(&io.c)?, random(&io.d)?);
    let port = u16::try_from(io.i[0]).unwrap_or(0);
    let (host, path) = (io.a.or_empty(), io.b.or_empty());
    umqtt_core::ws::with_raw_request(host, port, io.i[1] != 0, path, headers, |req| {
        w.websocket(req, &nonce, seed)
    })
}

/// The other operations (OP_*), on the connection.
fn operation(e: &mut Engine, op: i32, io: &mut Io) -> Result<(), Error> {
    let (c, now) = (&mut e.core, e.now);
    let [i0, i1, i2, i3] = io.i;
    #[cfg(feature = "v5")]
    if let Some(r) = v5::run(c, now, e.v5, op, io) {
        return r;
    }
    match op {
        OP_CONNECT => {
            let will = match io.d.get() {
                Some(topic) => {
                    args::will_topic(topic)?;
                    Some(Will {
                        topic,
                        message: io.e.or_empty(),
                        qos: args::qos(i2)?,
                        retain: i3 != 0,
                    })
                }
                None => None,
            };
            let p = Connect {
                protocol: ProtocolVersion::V311,
                client_id: io.a.or_empty(),
                keepalive: args::keepalive(i0)?,
                clean_session: i1 != 0,
                username: io.b.get(),
                password: io.c.get(),
                will,
            };
            c.connect(&p, now)?;
        }
        OP_PUBLISH => {
            let (t, m) = (io.a.or_empty(), io.b.or_empty());
            io.r[0] = pid(c.publish(t, m, args::qos(i0)?, i1 != 0, now)?);
        }
        OP_SUBSCRIBE => {
            let mut list = [(&[][..], umqtt_core::QoS::AtMostOnce); LIST_FILTERS];
            let n = filters(io, &mut list)?;
            // The MQTT 5 subscription options: the defaults on 3.1.1.
            args::sub_options(i1 != 0, i2 != 0, i3, false)?;
            let id = c.subscribe(list.get(..n).unwrap_or(&[]), now)?;
            io.r[0] = i64::from(id.get());
        }
        OP_UNSUBSCRIBE => io.r[0] = i64::from(c.unsubscribe(&[io.a.or_empty()], now)?.get()),
        OP_DISCONNECT => {
            args::disconnect_reason(i0, false)?;
            c.disconnect(now)?
        }
        OP_TIMEOUT => c.handle_timeout(now)?,
        OP_LOST => c.fail(&Error::ConnectionClosed),
        OP_CLOSED => c.closed(),
        OP_CONNECTED => io.r[0] = i64::from(c.session().state() == State::Connected),
        OP_ROOM => io.r[0] = c.session().publish_room() as i64,
        OP_SET_RECONNECT => {
            let ms = |v| args::given(v).map(args::duration_ms).transpose();
            let p = Policy::with_defaults(args::given(i0), ms(i1)?, ms(i2)?)?;
            c.set_reconnect(Some(p));
        }
        OP_MESSAGE_TIMEOUT => c.set_message_timeout_ms(args::duration_ms(i0)?),
        OP_CONNECT_STEP => io.r[0] = i64::from(c.connect_step_timeout_ms(None)),
        OP_RECONNECT_ON => io.r[0] = i64::from(c.reconnect_policy().is_some()),
        OP_RECONNECT_BEGIN => c.reconnect_begin(i0 as u32),
        OP_RECONNECT_FAILED => {
            io.r[0] = c.reconnect_failed(kind_of(i0), i1 as i32).as_ms();
        }
        OP_SHOULD_RECONNECT => io.r[0] = i64::from(c.should_reconnect(kind_of(i0), i1 as i32)),
        OP_RESUBSCRIBE => io.r[0] = pid(c.resubscribe(now)?),
        OP_ERROR => {
            return Err(match i0 {
                ERR_CLOSED => Error::ConnectionClosed,
                ERR_SUBSCRIBE_REFUSED => Error::SubscribeRefused,
                ERR_TIMEOUT => Error::Timeout,
                ERR_NEED_V5 => umqtt_core::ArgError::PropertiesNeedV5.into(),
                ERR_DISCONNECTED => Error::Disconnected,
                _ => Error::Host,
            })
        }
        OP_PROTOCOL => {
            let level = args::protocol(i0)?.level();
            e.v5 = cfg!(feature = "v5") && level == 5;
            io.r[0] = i64::from(level);
        }
        OP_ARG => {
            match i0 {
                ARG_QOS => drop(args::qos(i1)?),
                ARG_KEEPALIVE => drop(args::keepalive(i1)?),
                // The port to open: 0 is the default for MQTT over TCP.
                ARG_PORT => io.r[0] = i64::from(args::port(args::port_number(i1)?, i2 != 0, false)),
                ARG_DURATION => drop(args::duration_ms(i1)?),
                ARG_WILL_TOPIC => args::will_topic(io.a.or_empty())?,
                _ => {}
            };
        }
        _ => return Err(Error::Host),
    }
    Ok(())
}

/// OP_EVENT: r[0] the kind (0: none; as pyo3_binding/src/conn.rs), r[1..]
/// its values, p/q a message's topic and payload (p: a SUBACK's codes, an
/// AUTH challenge's data); `failed` with the error report when the
/// acknowledged request failed (the core's rule).
fn event(
    c: &mut Core,
    w: &mut Transport<HeapBuf>,
    now: u64,
    v5: bool,
    io: &mut Io,
) -> Result<(), Error> {
    // An error with the connection still up (FrameTooLarge, 258: the
    // packet was skipped) is for umqtt.aio's messages() to raise.
    let Some(ev) = w.poll_event(c, now)? else {
        io.r[0] = 0;
        return Ok(());
    };
    io.failed = 0;
    #[cfg(feature = "v5")]
    let reason = c.last_reason_code();
    #[cfg(not(feature = "v5"))]
    let reason = 0;
    if let Some(e) = umqtt_core::connection::ack_error(ev, reason) {
        report_from(io, e, c);
        io.failed = 1;
    }
    // r[2] of an ack: its MQTT 5 reason code, -1 on 3.1.1.
    let code = if v5 { i64::from(reason) } else { -1 };
    io.r = match ev {
        Event::Connected { session_present } => [1, i64::from(session_present), 0],
        Event::Message { first } => {
            let m = c.message().ok_or(Error::Host)?;
            io.p.set(m.topic);
            io.q.set(m.payload);
            [2, i64::from(first), 0]
        }
        Event::Published(id) => [3, i64::from(id.get()), code],
        // r[2]: the granted QoS (the SUBACK's first code); p: every code.
        Event::Subscribed { packet_id, .. } => {
            let codes = c.last_suback();
            io.p.set(codes);
            let granted = codes.first().map_or(0, |&q| i64::from(q));
            [4, i64::from(packet_id.get()), granted]
        }
        Event::Unsubscribed(id) => [5, i64::from(id.get()), code],
        Event::Pong { requested } => [6, i64::from(requested), 0],
        Event::Other(first) => [7, i64::from(first), 0],
        // p: the challenge's authentication_data (OP_AUTH_CONTINUE answers).
        #[cfg(feature = "v5")]
        Event::AuthChallenge => {
            let data = c
                .last_properties()
                .get_binary(umqtt_core::codec::v5::PropertyId::AuthenticationData);
            io.p.set(data.unwrap_or_default());
            [8, 0, 0]
        }
    };
    // The acknowledgement joins the bytes of the next OP_OUT (the message
    // stays readable: queueing touches only the transmit buffer).
    c.queue_pending(now)
}
