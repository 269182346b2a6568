//! Decode-v5 target: the MQTT 5 codec on arbitrary input.
//!
//! Input layout: `[mode] [rest...]`. Bit 0 of `mode` picks the sender
//! (0: server, what a client decodes; 1: client).
//! - bit 1 clear: `rest` is one frame for `codec::v5::decode`. Whatever it
//!   accepts must re-encode (possibly shorter: short forms) to a frame
//!   that decodes to the same packet; a PUBLISH also goes through the
//!   inbound alias table (an accepted alias resolves to a topic), and
//!   `decode_from_server` agrees with `decode` for server frames.
//! - bit 1 set: `rest` is a script of property pushes into a
//!   `PropertyBuilder` for the context `mode >> 2` (mod 11): each step is
//!   `[id] [len] [len bytes]`, turned into a value of the id's kind. The
//!   list the builder produces must parse back, item for item, unless
//!   `validate()` refuses it (then it must not parse).

use umqtt_core::codec::v5::{
    decode, decode_from_server, Context, Kind, Packet, Properties, PropertyBuilder, PropertyId,
    Role, Value,
};
use umqtt_core::v5::InboundAliases;
use umqtt_core::Error;

use crate::{trace, Input};

/// Run one input.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let role = if mode & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    if mode & 2 == 0 {
        frame(input.rest(), role);
    } else {
        let ctx = Context::ALL[usize::from(mode >> 2) % Context::ALL.len()];
        builder(input, ctx, role);
    }
}

fn frame(bytes: &[u8], role: Role) {
    if role == Role::Server {
        assert_eq!(
            decode_from_server(bytes).map(Packet::from),
            decode(bytes, role)
        );
    }
    let Ok(p) = decode(bytes, role) else {
        trace!("rejected: {:?}", decode(bytes, role));
        return;
    };
    trace!("accepted: {p:?}");
    let len = p.encoded_len().expect("accepted packet does not size");
    assert!(len <= bytes.len(), "re-encoding grew the packet");
    let mut out = vec![0u8; len];
    assert_eq!(p.encode(&mut out), Ok(len));
    assert_eq!(decode(&out, role), Ok(p), "re-encoded bytes {out:02x?}");
    if let Packet::Publish(m) = p {
        let mut aliases = InboundAliases::<4, 64>::new();
        if let Ok(topic) = aliases.resolve_publish(&m) {
            assert!(!topic.is_empty());
            assert_eq!(topic, m.topic, "a first alias must come with its topic");
        }
    }
}

fn builder(mut input: Input<'_>, ctx: Context, role: Role) {
    let mut buf = vec![0u8; 512];
    let mut b = PropertyBuilder::new(&mut buf, ctx, role);
    let mut pushed = Vec::new();
    loop {
        let id = input.byte();
        let n = usize::from(input.byte());
        let raw = input.take(n);
        if id == 0 && raw.is_empty() {
            break;
        }
        let Some(id) = PropertyId::from_u8(id) else {
            continue;
        };
        let int = raw
            .iter()
            .fold(0u32, |a, &x| a.rotate_left(8) ^ u32::from(x));
        let text = std::str::from_utf8(raw).unwrap_or("");
        let mid = (0..=text.len() / 2)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let (k, v) = text.split_at(mid);
        let value = match id.kind() {
            Kind::Utf8 => Value::Str(text),
            Kind::Binary => Value::Binary(raw),
            Kind::Utf8Pair => Value::Pair(k, v),
            _ => Value::Int(int),
        };
        match b.push(id, value) {
            Ok(()) => pushed.push((id, value)),
            Err(Error::InvalidArgument(_)) | Err(Error::BufferTooSmall { .. }) => {}
            Err(e) => panic!("unexpected builder error {e:?}"),
        }
    }
    let valid = b.validate().is_ok();
    let props = b.finish();
    let parsed = Properties::parse(props.as_bytes(), ctx, role);
    if !valid {
        assert!(parsed.is_err(), "a list validate() refuses must not parse");
        return;
    }
    let parsed = parsed.expect("built list must parse");
    assert_eq!(parsed.iter().count(), pushed.len());
    for (got, want) in parsed.iter().zip(&pushed) {
        assert_eq!(got, *want);
    }
}
