//! The operations that wait for an acknowledgement (publish at QoS 1/2,
//! subscribe, unsubscribe, the resubscription of reconnect()), one round
//! per call of the glue, by the core's [`umqtt_core::client::Request`].
use core::ffi::c_void;
use umqtt_core::client::{Op, Request};
use umqtt_core::{args, Error, PacketId, ProtocolVersion, QoS};

use crate::ffi::{Filter, Out, ReqArgs, ST_OK};
use crate::{done, fail, parts, qos, report, v5, Engine};

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
