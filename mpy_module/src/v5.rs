//! MQTT 5 for the module: properties between the glue's flat lists and the
//! core's encoding, the CONNECT of protocol=5, and the reason strings of
//! refusals. The core decides every rule (names, types, ranges, which
//! packet allows what); this file only moves values. Built without the
//! `v5` feature the entry points stay (the glue has no build flags): there
//! is no MQTT 5 client then (protocol=5 is refused), so no properties.
use crate::ffi::{Out, PropItem, ST_OK};
use crate::{fail, Core};
use core::ffi::c_void;
use umqtt_core::ArgError;
#[cfg(feature = "v5")]
use {
    crate::ffi::{Bytes, ConnectArgs},
    crate::Engine,
    umqtt_core::codec::v5::{self, Context, Flat, Properties, Role},
    umqtt_core::{Error, ProtocolVersion},
};

/// Encode `n` properties for a packet of context `ctx` (the core's
/// numbering) into `buf` (`cap` bytes); `out.value` = the length. The last
/// `n_auth` items are set_auth()'s method and data (the core's
/// `encode_flat_with_auth`; their names are not looked at). With
/// `cap` 0 the call only sizes: `out.value` = the bytes to allocate. With
/// `v5` 0 (a 3.1.1 client) any property is the core's ValueError.
///
/// # Safety
/// `items` must point to `n` items whose buffers are alive for the call,
/// `buf` to `cap` writable bytes, `out` must be valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_encode(
    ctx: i32,
    v5: i32,
    items: *const PropItem,
    n: usize,
    n_auth: usize,
    buf: *mut u8,
    cap: usize,
    out: *mut Out,
) -> i32 {
    // SAFETY: the glue passes a valid pointer.
    let out = unsafe { &mut *out };
    out.value = 0;
    if n == 0 {
        return ST_OK;
    }
    if v5 == 0 {
        return fail(out, ArgError::PropertiesNeedV5.into());
    }
    #[cfg(feature = "v5")]
    {
        // SAFETY: guaranteed by the caller.
        let (items, buf) = unsafe {
            (
                core::slice::from_raw_parts(items, n),
                match cap {
                    0 => &mut [][..],
                    _ => core::slice::from_raw_parts_mut(buf, cap),
                },
            )
        };
        // SAFETY: guaranteed by the caller.
        let items = items.iter().map(|it| unsafe {
            let (a, b) = (it.a.as_slice(), it.b.as_slice());
            (
                it.name.as_slice(),
                Flat::new(it.kind, it.num, a, b, it.list != 0),
            )
        });
        let ctx = Context::from_index(ctx.into());
        let len = match v5::encode_flat_with_auth(items, ctx, n_auth, buf) {
            Ok(len) => len,
            // Sizing.
            Err(Error::BufferTooSmall { needed }) if cap == 0 => needed,
            Err(e) => return fail(out, e),
        };
        out.value = u32::try_from(len).unwrap_or(u32::MAX);
    }
    #[cfg(not(feature = "v5"))]
    let _ = (ctx, items, n_auth, buf, cap);
    ST_OK
}

/// Property `index` of the CONNACK (`which` 0) or of the packet the last
/// call ended on (1: a delivered message's, an ack's) into `item`; 0 past
/// the end. The pointers borrow the engine until its next call.
///
/// # Safety
/// `eng` must be an initialised engine, `item` valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_prop_at(
    eng: *mut c_void,
    which: i32,
    index: usize,
    item: *mut PropItem,
) -> i32 {
    #[cfg(feature = "v5")]
    {
        // SAFETY: guaranteed by the caller.
        let (engine, item) = unsafe { (&*eng.cast::<Engine>(), &mut *item) };
        let Some((id, f)) = engine.client.property_at(which == 0, index) else {
            return 0;
        };
        let bytes = |b: &[u8]| Bytes {
            ptr: b.as_ptr(),
            len: b.len(),
        };
        item.name = bytes(id.name().as_bytes());
        item.list = i32::from(id.is_list());
        (item.kind, item.num, item.a, item.b) = (f.kind, f.num, bytes(f.a), bytes(f.b));
        1
    }
    #[cfg(not(feature = "v5"))]
    {
        let _ = (eng, which, index, item);
        0
    }
}

/// One round of reauthenticate(): with `send`, AUTH 0x19 with `data`;
/// challenges answered through `glue_auth`. Statuses as [`crate::umqtt_run`]:
/// ST_OK when the broker accepted, ST_MESSAGE for a message that arrived
/// meanwhile (deliver it, call again without `send`). `*deadline` (0: not
/// set yet) is the wait's end, kept by the glue across rounds.
///
/// # Safety
/// See [`crate::parts`]; `data` alive for the call, `deadline` valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_reauth(
    eng: *mut c_void,
    io: *mut c_void,
    data: crate::ffi::Bytes,
    send: i32,
    deadline: *mut u64,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { crate::parts(eng, out) };
    #[cfg(feature = "v5")]
    {
        // SAFETY: forwarded contract.
        let deadline = unsafe { &mut *deadline };
        let mut end = (*deadline != 0).then_some(*deadline);
        let (client, mut host) = engine.split(io);
        // SAFETY: Python buffer alive for the call.
        let data = (send != 0).then(|| unsafe { data.as_slice() });
        let r = client.reauthenticate(&mut host, data, &mut end, |d, buf| answer(io, d, buf));
        *deadline = end.unwrap_or(0);
        let err = r.as_ref().err().copied();
        let st = crate::report(out, r).unwrap_or(ST_OK);
        if let Some(e) = err {
            with_reason(out, client, &e);
        }
        st
    }
    #[cfg(not(feature = "v5"))]
    {
        let _ = (engine, io, data, send, deadline);
        fail(out, ArgError::PropertiesNeedV5.into())
    }
}

/// After call of an MQTT 5 client failed with `e`: the core's rule says
/// whether it carries the reason string of its packet.
#[cfg(feature = "v5")]
pub(crate) fn with_reason(out: &mut Out, client: &Core, e: &Error) {
    if let Some(r) = client.error_reason(e) {
        let r = r.unwrap_or("");
        out.reason = 1;
        out.msg = r.as_ptr();
        out.msg_len = r.len();
    }
}

#[cfg(not(feature = "v5"))]
pub(crate) fn with_reason(_: &mut Out, _: &Core, _: &umqtt_core::Error) {}

/// What the call of the request just completed returns (the core's
/// `reply_code`: an MQTT 5 ack's reason code), if anything.
#[cfg(feature = "v5")]
pub(crate) fn reply_code(client: &Core, req: &umqtt_core::client::Request<'_>) -> Option<u32> {
    client.reply_code(req).map(u32::from)
}

#[cfg(not(feature = "v5"))]
pub(crate) fn reply_code(_: &Core, _: &umqtt_core::client::Request<'_>) -> Option<u32> {
    None
}

/// The properties the glue encoded (`umqtt_props_encode`) for `ctx`.
///
/// # Safety
/// `b` must be alive for `'a`.
#[cfg(feature = "v5")]
pub(crate) unsafe fn properties<'a>(b: Bytes, ctx: Context) -> Result<Properties<'a>, Error> {
    // SAFETY: guaranteed by the caller.
    Ok(Properties::parse(
        unsafe { b.as_slice() },
        ctx,
        Role::Client,
    )?)
}

/// The CONNECT of the glue's arguments, for either protocol (the core
/// makes the 3.1.1 one of it: `Connect::for_protocol`), checked.
///
/// # Safety
/// The buffers in `a` must stay valid for `'a`.
#[cfg(feature = "v5")]
pub(crate) unsafe fn connect_packet<'a>(
    a: &ConnectArgs,
) -> Result<(ProtocolVersion, v5::Connect<'a>), Error> {
    let protocol = umqtt_core::args::protocol(a.protocol.into())?;
    let keepalive = umqtt_core::args::keepalive(a.keepalive)?;
    let will = if a.has_will != 0 {
        // SAFETY: guaranteed by the caller.
        Some(unsafe {
            v5::Will {
                topic: a.will_topic.as_slice(),
                payload: a.will_msg.as_slice(),
                qos: umqtt_core::args::qos(i64::from(a.will_qos))?,
                retain: a.will_retain != 0,
                properties: properties(a.will_properties, Context::Will)?,
            }
        })
    } else {
        None
    };
    // SAFETY: guaranteed by the caller.
    let c = unsafe {
        v5::Connect {
            client_id: a.client_id.as_slice(),
            keepalive,
            clean_start: a.clean_session != 0,
            username: (a.has_user != 0).then(|| a.user.as_slice()),
            password: (a.has_password != 0).then(|| a.password.as_slice()),
            will,
            properties: properties(a.properties, Context::Connect)?,
        }
    };
    c.encoded_len_for(protocol).map(|_| (protocol, c))
}

/// The application's answer to an AUTH challenge (`glue_auth`).
#[cfg(feature = "v5")]
pub(crate) fn answer(io: *mut c_void, data: &[u8], answer: &mut [u8]) -> Result<usize, Error> {
    let mut n = 0usize;
    // SAFETY: the buffers are valid for the call; the glue catches any
    // Python exception (then GLUE_EXC, raised after Rust returned).
    let st = unsafe {
        crate::ffi::glue_auth(
            io,
            data.as_ptr(),
            data.len(),
            answer.as_mut_ptr(),
            answer.len(),
            &mut n,
        )
    };
    match st {
        0 => Ok(n),
        crate::ffi::GLUE_EXC => Err(Error::Host),
        _ => Err(Error::BufferTooSmall { needed: n }),
    }
}
