//! MQTT 5 in `umqtt/_conn5.mpy`: the operations with properties, options
//! and reason codes (as pyo3_binding/src/conn.rs), the properties the glue
//! hands over as items (../c/props.h) encoded by the core's builder, and
//! received ones handed back item by item. Every rule (names, types,
//! ranges, which packet allows what) is the core's.
use super::{
    filters, Bytes, Core, Io, LIST_FILTERS, OP_AUTH_CONTINUE, OP_PROPS, OP_PROP_AT, OP_REAUTH,
};
use super::{OP_CONNECT, OP_DISCONNECT, OP_PUBLISH, OP_SUBSCRIBE, OP_UNSUBSCRIBE};
use umqtt_core::codec::v5::{self, Context, Flat, Properties, Role, SubOptions};
use umqtt_core::{args, ArgError, Error, QoS};

/// Properties OP_PROPS encoded, for a packet of `ctx`.
fn props(b: &Bytes, ctx: Context) -> Result<Properties<'_>, Error> {
    Ok(Properties::parse(b.or_empty(), ctx, Role::Client)?)
}

/// The operations an MQTT 5 engine (`v5`) runs differently, and OP_PROPS /
/// OP_PROP_AT; `None`: not one of them (the 3.1.1 code runs it).
pub(super) fn run(
    c: &mut Core,
    now: u64,
    v5: bool,
    op: i32,
    io: &mut Io,
) -> Option<Result<(), Error>> {
    match op {
        OP_PROPS => Some(encode(v5, io)),
        OP_PROP_AT => {
            prop_at(c, io);
            Some(Ok(()))
        }
        _ if !v5 => None,
        _ => run_v5(c, now, op, io),
    }
}

fn run_v5(c: &mut Core, now: u64, op: i32, io: &mut Io) -> Option<Result<(), Error>> {
    let [i0, i1, i2, i3] = io.i;
    let r = match op {
        OP_CONNECT => connect(c, now, io),
        OP_PUBLISH => (|| {
            let (t, m) = (io.a.or_empty(), io.b.or_empty());
            let p = props(&io.f, Context::Publish)?;
            let id = c.publish_v5(t, m, args::qos(i0)?, i1 != 0, p, now)?;
            io.r[0] = id.map_or(0, |p| i64::from(p.get()));
            Ok(())
        })(),
        OP_SUBSCRIBE => (|| {
            let mut list = [(&[][..], QoS::AtMostOnce); LIST_FILTERS];
            let n = filters(io, &mut list)?;
            let retain_handling = args::sub_options(i1 != 0, i2 != 0, i3, true)?;
            // The options apply to each filter.
            let with = list.map(|(f, qos)| {
                let o = SubOptions {
                    qos,
                    no_local: i1 != 0,
                    retain_as_published: i2 != 0,
                    retain_handling,
                };
                (f, o)
            });
            let p = props(&io.f, Context::Subscribe)?;
            let id = c.subscribe_v5(with.get(..n).unwrap_or(&[]), p, now)?;
            io.r[0] = i64::from(id.get());
            Ok(())
        })(),
        OP_UNSUBSCRIBE => (|| {
            let p = props(&io.f, Context::Unsubscribe)?;
            let id = c.unsubscribe_v5(&[io.a.or_empty()], p, now)?;
            io.r[0] = i64::from(id.get());
            Ok(())
        })(),
        OP_DISCONNECT => (|| {
            let reason = args::disconnect_reason(i0, true)?;
            let p = props(&io.f, Context::Disconnect)?;
            c.disconnect_v5(reason, p, now)
        })(),
        OP_AUTH_CONTINUE => c.auth_continue(io.a.or_empty(), now),
        OP_REAUTH => c.reauthenticate(io.a.or_empty(), now),
        _ => return None,
    };
    Some(r)
}

/// OP_CONNECT of an MQTT 5 engine (the arguments as the 3.1.1 one, plus
/// the CONNECT's properties `f` and the will's `g`).
fn connect(c: &mut Core, now: u64, io: &Io) -> Result<(), Error> {
    let [i0, i1, i2, i3] = io.i;
    let will = match io.d.get() {
        Some(topic) => {
            args::will_topic(topic)?;
            Some(v5::Will {
                topic,
                payload: io.e.or_empty(),
                qos: args::qos(i2)?,
                retain: i3 != 0,
                properties: props(&io.g, Context::Will)?,
            })
        }
        None => None,
    };
    let p = v5::Connect {
        client_id: io.a.or_empty(),
        keepalive: args::keepalive(i0)?,
        clean_start: i1 != 0,
        username: io.b.get(),
        password: io.c.get(),
        will,
        properties: props(&io.f, Context::Connect)?,
    };
    c.connect_v5(&p, now)
}

/// OP_PROPS: encode the `n_items` items for a packet of context `i[0]`
/// into `out[..cap]`; `r[0]` = the length. With `cap` 0 it only sizes:
/// `r[0]` = the bytes to allocate. On a 3.1.1 engine any property is the
/// core's ValueError.
fn encode(v5: bool, io: &mut Io) -> Result<(), Error> {
    io.r[0] = 0;
    if io.n_items == 0 || io.items.is_null() {
        return Ok(());
    }
    if !v5 {
        return Err(ArgError::PropertiesNeedV5.into());
    }
    // SAFETY: the glue passes n_items items whose buffers live for the
    // call, and cap writable bytes at out.
    let (items, buf) = unsafe {
        (
            core::slice::from_raw_parts(io.items, io.n_items),
            match io.cap {
                0 => &mut [][..],
                cap => core::slice::from_raw_parts_mut(io.out, cap),
            },
        )
    };
    let items = items.iter().map(|it| {
        let (a, b) = (it.a.or_empty(), it.b.or_empty());
        (
            it.name.or_empty(),
            Flat::new(it.kind, it.num, a, b, it.list != 0),
        )
    });
    // The last i[1] items: set_auth()'s method and data.
    let n_auth = usize::try_from(io.i[1]).unwrap_or(0);
    let len = match v5::encode_flat_with_auth(items, Context::from_index(io.i[0]), n_auth, buf) {
        Ok(len) => len,
        // Sizing.
        Err(Error::BufferTooSmall { needed }) if io.cap == 0 => needed,
        Err(e) => return Err(e),
    };
    io.r[0] = i64::try_from(len).unwrap_or(i64::MAX);
    Ok(())
}

/// OP_PROP_AT: property `i[1]` of the CONNACK (`i[0]` 0) or of the packet
/// of the last event (1: a message's) into `item`; `r[0]` 0 past the end.
/// The pointers borrow the engine until its next operation.
fn prop_at(c: &Core, io: &mut Io) {
    let found = usize::try_from(io.i[1])
        .ok()
        .and_then(|i| c.property_at(io.i[0] == 0, i));
    let Some((id, f)) = found else {
        io.r[0] = 0;
        return;
    };
    let it = &mut io.item;
    it.name.set(id.name().as_bytes());
    it.list = i32::from(id.is_list());
    (it.kind, it.num) = (f.kind, f.num);
    it.a.set(f.a);
    it.b.set(f.b);
    io.r[0] = 1;
}
