//! What the glue sets on or asks of an engine outside the operations (the
//! packet id, the timeouts, the reconnect policy and where a reconnect
//! stands), and the core's argument rules and errors it raises before
//! calling in.
use core::ffi::c_void;
use umqtt_core::client::{Policy, DEFAULT_TIMEOUT_MS};
use umqtt_core::session::State;
use umqtt_core::{args, Error};

use crate::ffi::{Bytes, Out};
use crate::{fail, parts, status, Engine};

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
