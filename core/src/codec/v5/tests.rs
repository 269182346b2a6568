//! Byte-level tests of the MQTT 5 codec: connection set-up (CONNECT,
//! CONNACK, the 3.1.1 hooks), properties and the builder; the message-flow
//! packets are in `flow_tests.rs`. Malformed cases cite the MQTT 5.0
//! statement (or section) they enforce.

use super::*;
use crate::codec::{Connect as Connect311, Will as Will311};
use crate::error::{ArgError, PropertyError, ProtocolError};
use crate::types::{PacketId, ProtocolVersion, QoS};
use ProtocolError as E;

pub(super) fn srv(frame: &[u8]) -> Result<Packet<'_>, ProtocolError> {
    let p = decode(frame, Role::Server);
    assert_eq!(decode_from_server(frame).map(Packet::from), p);
    p
}
pub(super) fn cli(frame: &[u8]) -> Result<Packet<'_>, ProtocolError> {
    decode(frame, Role::Client)
}
pub(super) fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}
pub(super) fn props<'b>(
    buf: &'b mut [u8],
    ctx: Context,
    role: Role,
    items: &[(PropertyId, Value<'_>)],
) -> Properties<'b> {
    let mut b = PropertyBuilder::new(buf, ctx, role);
    for (id, v) in items {
        b.push(*id, *v).unwrap();
    }
    b.finish()
}

#[test]
fn connack_with_properties() {
    // topic_alias_maximum 10, receive_maximum 20, as Mosquitto announces.
    let f = [0x20, 9, 0, 0, 6, 0x22, 0, 10, 0x21, 0, 20];
    let Packet::ConnAck(c) = srv(&f).unwrap() else {
        panic!()
    };
    assert!(!c.session_present);
    assert_eq!(c.reason_code, 0);
    assert_eq!(
        c.properties.get_int(PropertyId::TopicAliasMaximum),
        Some(10)
    );
    assert_eq!(c.properties.get_int(PropertyId::ReceiveMaximum), Some(20));
    assert_eq!(c.properties.iter().count(), 2);
    let mut out = [0u8; 16];
    let n = c.encode(&mut out).unwrap();
    assert_eq!(&out[..n], &f);
    // A refusal: 0x87 not authorised, reason string.
    let f = [0x20, 8, 0, 0x87, 5, 0x1F, 0, 2, b'n', b'o'];
    let Packet::ConnAck(c) = srv(&f).unwrap() else {
        panic!()
    };
    assert_eq!(c.reason_code, reason::NOT_AUTHORIZED);
    assert_eq!(c.properties.get_str(PropertyId::ReasonString), Some("no"));
}

#[test]
fn connack_malformed() {
    // 3.2.2.1: bits 7-1 of the acknowledge flags are reserved.
    assert_eq!(srv(&[0x20, 3, 2, 0, 0]), Err(E::ReservedBits));
    // 3.2.2-6: a refusal never has session present.
    assert_eq!(srv(&[0x20, 3, 1, 0x86, 0]), Err(E::InvalidConnAck));
    // 3.2.2.2: only CONNACK reason codes (0x8B is DISCONNECT-only).
    assert_eq!(srv(&[0x20, 3, 0, 0x8B, 0]), Err(E::InvalidReasonCode));
    // 3.2.2.3.1: the property length is not optional.
    assert_eq!(srv(&[0x20, 2, 0, 0]), Err(E::MalformedProperty));
    // Property length beyond the packet (2.2.2.1).
    assert_eq!(srv(&[0x20, 3, 0, 0, 5]), Err(E::MalformedProperty));
    // A truncated property value.
    assert_eq!(srv(&[0x20, 5, 0, 0, 2, 0x21, 0]), Err(E::MalformedProperty));
    // 2.2.2.2: an unknown identifier, or one not valid for the packet
    // (topic alias in CONNACK), is a malformed packet.
    assert_eq!(srv(&[0x20, 4, 0, 0, 1, 0x04]), Err(E::MalformedProperty));
    assert_eq!(
        srv(&[0x20, 6, 0, 0, 3, 0x23, 0, 1]),
        Err(E::MalformedProperty)
    );
    // 1.5.5-1 / 2.2.2.2: an identifier padded to two varint bytes.
    assert_eq!(
        srv(&[0x20, 7, 0, 0, 4, 0xA1, 0x00, 0, 1]),
        Err(E::MalformedProperty)
    );
    // 3.2.2.3.3: receive maximum twice, or 0, is a protocol error.
    let twice = [0x20, 9, 0, 0, 6, 0x21, 0, 1, 0x21, 0, 2];
    assert_eq!(srv(&twice), Err(E::DuplicateProperty));
    assert_eq!(E::DuplicateProperty.reason_code(), 0x82);
    assert_eq!(
        srv(&[0x20, 6, 0, 0, 3, 0x21, 0, 0]),
        Err(E::InvalidPropertyValue)
    );
    // 3.2.2.3.4: maximum QoS other than 0 or 1.
    assert_eq!(
        srv(&[0x20, 5, 0, 0, 2, 0x24, 2]),
        Err(E::InvalidPropertyValue)
    );
    // 3.2.2.3.6: maximum packet size 0.
    assert_eq!(
        srv(&[0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 0]),
        Err(E::InvalidPropertyValue)
    );
    // 1.5.4-1 / -2: a reason string that is not UTF-8 or holds U+0000.
    assert_eq!(
        srv(&[0x20, 7, 0, 0, 4, 0x1F, 0, 1, 0xFF]),
        Err(E::MalformedProperty)
    );
    assert_eq!(
        srv(&[0x20, 7, 0, 0, 4, 0x1F, 0, 1, 0x00]),
        Err(E::MalformedProperty)
    );
    // 1.5.5-1: padded varints (property length, remaining length, a
    // subscription identifier) are malformed.
    assert_eq!(srv(&[0x20, 4, 0, 0, 0x80, 0]), Err(E::MalformedProperty));
    assert_eq!(srv(&[0xD0, 0x80, 0]), Err(E::MalformedRemainingLength));
    assert_eq!(
        srv(&[0x30, 7, 0, 1, b't', 3, 0x0B, 0x81, 0]),
        Err(E::MalformedProperty)
    );
    // 3.2.2.3.18: authentication data without a method.
    assert_eq!(
        srv(&[0x20, 6, 0, 0, 3, 0x16, 0, 0]),
        Err(E::InvalidPropertyValue)
    );
    // Trailing bytes after the properties.
    assert_eq!(srv(&[0x20, 4, 0, 0, 0, 9]), Err(E::TrailingBytes));
    assert_eq!(E::MalformedProperty.reason_code(), 0x81);
}

#[test]
fn connect_bytes_and_round_trip() {
    let mut pb = [0u8; 32];
    let cp = props(
        &mut pb,
        Context::Connect,
        Role::Client,
        &[(PropertyId::SessionExpiryInterval, Value::Int(60))],
    );
    let mut wb = [0u8; 32];
    let wp = props(
        &mut wb,
        Context::Will,
        Role::Client,
        &[(PropertyId::WillDelayInterval, Value::Int(5))],
    );
    let c = Connect {
        client_id: b"c",
        keepalive: 30,
        clean_start: true,
        username: None,
        password: Some(b"pw"),
        will: Some(Will {
            topic: b"w",
            payload: b"x",
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: wp,
        }),
        properties: cp,
    };
    let mut out = [0u8; 64];
    let n = c.encode(&mut out).unwrap();
    let expected: &[u8] = &[
        0x10,
        35,
        0,
        4,
        b'M',
        b'Q',
        b'T',
        b'T',
        5,
        0b0110_1110, // password, will retain, will QoS 1, will, clean start
        0,
        30,
        5,
        0x11,
        0,
        0,
        0,
        60,
        0,
        1,
        b'c',
        5,
        0x18,
        0,
        0,
        0,
        5,
        0,
        1,
        b'w',
        0,
        1,
        b'x',
        0,
        2,
        b'p',
        b'w',
    ];
    assert_eq!(&out[..n], expected);
    assert_eq!(c.encoded_len(), Ok(n));
    assert_eq!(cli(&out[..n]), Ok(Packet::Connect(c)));
    assert_eq!(srv(&out[..n]), Err(E::UnexpectedPacket));
    // 3.1.2-3: the reserved connect flag.
    let mut bad = out;
    bad[9] |= 1;
    assert_eq!(cli(&bad[..n]), Err(E::ReservedBits));
    // 3.1.2-11/-13: will QoS or retain without the will flag.
    let min = Connect {
        will: None,
        password: None,
        properties: Properties::EMPTY,
        ..c
    };
    let n = min.encode(&mut out).unwrap();
    out[9] |= 0x20;
    assert_eq!(cli(&out[..n]), Err(E::ReservedBits));
}

#[test]
fn v311_connect_as_v5() {
    let c = Connect311 {
        protocol: ProtocolVersion::V5,
        client_id: b"",
        keepalive: 0,
        clean_session: false,
        username: None,
        password: Some(b"p"),
        will: Some(Will311 {
            topic: b"t",
            message: b"m",
            qos: QoS::AtMostOnce,
            retain: false,
        }),
    };
    let mut a = [0u8; 64];
    // The 3.1.1 struct does not encode MQTT 5; its to_v5() does, under
    // MQTT 5's rules (empty id without clean start, password alone).
    assert_eq!(c.encode(&mut a), Err(ArgError::NeedsV5Codec.into()));
    assert_eq!(c.encoded_len(), Err(ArgError::NeedsV5Codec.into()));
    let n = c.to_v5().encode(&mut a).unwrap();
    assert_eq!(a[8], 5, "protocol level 5");
    let Ok(Packet::Connect(d)) = cli(&a[..n]) else {
        panic!()
    };
    assert_eq!(d, c.to_v5());
}

#[test]
fn v311_decoder_refuses_v5() {
    use crate::codec::decode as decode311;
    // MQTT 5 frames go to decode_from_server; the 3.1.1 decoder does not
    // pull the MQTT 5 one in.
    assert_eq!(
        decode311(&[0x20, 3, 1, 0, 0], ProtocolVersion::V5),
        Err(E::UnexpectedPacket)
    );
    assert_eq!(
        decode311(&[0xD0, 0], ProtocolVersion::V5),
        Err(E::UnexpectedPacket)
    );
    // The 3.1.1 decoder itself is unchanged: a v5 CONNACK is too long.
    assert_eq!(
        decode311(&[0x20, 3, 0, 0, 0], ProtocolVersion::V311),
        Err(E::TrailingBytes)
    );
}

#[test]
fn builder_cross_rules() {
    let mut buf = [0u8; 32];
    let mut b = PropertyBuilder::new(&mut buf, Context::Connect, Role::Client);
    b.push(PropertyId::AuthenticationData, Value::Binary(b"d"))
        .unwrap();
    assert_eq!(b.validate(), Err(PropertyError::DataWithoutMethod.into()));
    b.push(PropertyId::AuthenticationMethod, Value::Str("m"))
        .unwrap();
    assert_eq!(b.validate(), Ok(()));
}

#[test]
fn ping_and_direction() {
    assert_eq!(srv(&[0xD0, 0]), Ok(Packet::PingResp));
    assert_eq!(cli(&[0xC0, 0]), Ok(Packet::PingReq));
    assert_eq!(srv(&[0xC0, 0]), Err(E::UnexpectedPacket));
    assert_eq!(srv(&[0xD0, 1, 0]), Err(E::TrailingBytes));
    assert_eq!(srv(&[0x00, 0]), Err(E::ReservedPacketType));
    let mut out = [0u8; 2];
    assert_eq!(Packet::PingReq.encode(&mut out), Ok(2));
    assert_eq!(out, [0xC0, 0]);
}

#[test]
fn builder_errors() {
    let mut buf = [0u8; 16];
    let mut b = PropertyBuilder::new(&mut buf, Context::Publish, Role::Client);
    let err = |e: PropertyError| Err(Error::InvalidArgument(ArgError::Property(e)));
    assert_eq!(
        b.push_named("nope", Value::Int(1)),
        err(PropertyError::UnknownName)
    );
    assert_eq!(
        b.push_named("content_type", Value::Int(1)),
        err(PropertyError::WrongType)
    );
    assert!(PropertyError::WrongType.is_type_error());
    assert_eq!(
        b.push_named("maximum_qos", Value::Int(1)),
        err(PropertyError::NotAllowed)
    );
    assert_eq!(
        b.push_named("subscription_identifier", Value::Int(1)),
        err(PropertyError::NotAllowed)
    );
    assert_eq!(
        b.push_named("payload_format_indicator", Value::Int(2)),
        err(PropertyError::OutOfRange)
    );
    assert_eq!(
        b.push_named("topic_alias", Value::Int(0)),
        err(PropertyError::OutOfRange)
    );
    assert_eq!(
        b.push_named("topic_alias", Value::Int(65_536)),
        err(PropertyError::OutOfRange)
    );
    assert_eq!(
        b.push_named("response_topic", Value::Str("a\0")),
        err(PropertyError::InvalidString)
    );
    assert_eq!(
        b.push_named("response_topic", Value::Str("a/+")),
        err(PropertyError::InvalidString)
    );
    assert_eq!(
        b.push_named("payload_format_indicator", Value::Int(1)),
        Ok(())
    );
    assert_eq!(
        b.push_named("payload_format_indicator", Value::Int(1)),
        err(PropertyError::Repeated)
    );
    // Too long for the buffer: nothing written, the list still usable.
    assert_eq!(
        b.push_named("content_type", Value::Str("0123456789abcdef")),
        Err(Error::BufferTooSmall { needed: 21 })
    );
    assert_eq!(b.len(), 2);
    assert_eq!(b.push_named("user_property", Value::Pair("k", "v")), Ok(()));
    assert_eq!(b.push_named("user_property", Value::Pair("k", "v")), Ok(()));
    assert_eq!(b.validate(), Ok(()));
    let p = b.finish();
    assert_eq!(
        p.as_bytes(),
        &[0x01, 1, 0x26, 0, 1, b'k', 0, 1, b'v', 0x26, 0, 1, b'k', 0, 1, b'v']
    );
    assert_eq!(
        Properties::parse(p.as_bytes(), Context::Publish, Role::Client),
        Ok(p)
    );
}

#[test]
fn encode_flat_sizes_then_encodes() {
    assert_eq!(Context::from_index(0), Context::Connect);
    assert_eq!(Context::from_index(9), Context::Disconnect);
    assert_eq!(Context::from_index(-1), Context::Publish);
    assert_eq!(Context::from_index(11), Context::Publish);
    let f = |kind, num, a: &'static str, b: &'static str| {
        Flat::new(kind, num, a.as_bytes(), b.as_bytes(), false)
    };
    let items = [
        (&b"content_type"[..], f(Flat::STR, 0, "text", "")),
        (b"message_expiry_interval", f(Flat::INT, 60, "", "")),
        (b"user_property", f(Flat::PAIR, 0, "k", "vv")),
    ];
    let it = || items.iter().copied();
    assert_eq!(
        encode_flat(it(), Context::Publish, &mut []),
        Err(Error::BufferTooSmall {
            needed: 12 + 8 + 11
        })
    );
    let mut buf = [0u8; 31];
    let n = encode_flat(it(), Context::Publish, &mut buf).unwrap();
    let p = Properties::parse(&buf[..n], Context::Publish, Role::Client).unwrap();
    assert_eq!(p.get_str(PropertyId::ContentType), Some("text"));
    assert_eq!(p.get_int(PropertyId::MessageExpiryInterval), Some(60));
    assert_eq!(p.user_properties().next(), Some(("k", "vv")));
    assert_eq!(n, 7 + 5 + 8);
    // The items' errors, after sizing; a name that is not UTF-8 is unknown.
    let bad = [
        (&b"topic_alias"[..], f(Flat::INT, 1 << 40, "", "")),
        (b"content_type", f(Flat::OTHER, 0, "", "")),
        (b"\xff", f(Flat::INT, 1, "", "")),
    ];
    let errors = [
        PropertyError::OutOfRange,
        PropertyError::WrongType,
        PropertyError::UnknownName,
    ];
    for (item, e) in bad.iter().zip(errors) {
        let r = encode_flat([*item].into_iter(), Context::Publish, &mut buf);
        assert_eq!(r, Err(e.into()));
    }
    assert_eq!(
        encode_flat([].into_iter(), Context::Publish, &mut []),
        Ok(0)
    );
    // Authentication data without a method: the user's error, before
    // anything is sent (a broker would see a protocol error).
    let data = (&b"authentication_data"[..], f(Flat::BYTES, 0, "x", ""));
    assert_eq!(
        encode_flat([data].into_iter(), Context::Connect, &mut buf),
        Err(PropertyError::DataWithoutMethod.into())
    );
    let method = (&b"authentication_method"[..], f(Flat::STR, 0, "m", ""));
    assert!(encode_flat([method, data].into_iter(), Context::Connect, &mut buf).is_ok());
}

#[test]
fn set_auth_takes_the_place_of_the_dicts_authentication() {
    let f = |kind, a: &'static str| Flat::new(kind, 0, a.as_bytes(), &[], false);
    let mut buf = [0u8; 64];
    let dict = [
        (&b"authentication_method"[..], f(Flat::STR, "dict")),
        (&b"authentication_data"[..], f(Flat::BYTES, "d")),
        (
            &b"session_expiry_interval"[..],
            Flat::new(Flat::INT, 60, &[], &[], false),
        ),
    ];
    // set_auth()'s method and data after the dict's items, under any name.
    let (method, data) = (
        (&b""[..], f(Flat::STR, "m")),
        (&b"x"[..], f(Flat::BYTES, "x")),
    );
    let mut encode = |auth: &[(&'static [u8], Flat<'static>)], with_dict: bool, n_auth| {
        let dict = dict.iter().filter(|_| with_dict);
        let items = dict.chain(auth).copied();
        let n = encode_flat_with_auth(items, Context::Connect, n_auth, &mut buf)?;
        let p = Properties::parse(buf.get(..n).unwrap(), Context::Connect, Role::Client).unwrap();
        Ok::<_, Error>((
            p.get_str(PropertyId::AuthenticationMethod)
                .map(|m| m.as_bytes().to_vec()),
            p.get_binary(PropertyId::AuthenticationData)
                .map(<[u8]>::to_vec),
            p.get_int(PropertyId::SessionExpiryInterval),
        ))
    };
    let got = |m: &[u8], d: &[u8], e| Ok((Some(m.to_vec()), Some(d.to_vec()), e));
    // Method and data: both replaced, the rest kept.
    assert_eq!(encode(&[method, data], true, 2), got(b"m", b"x", Some(60)));
    // A method only: the dict's data stays.
    assert_eq!(encode(&[method], true, 1), got(b"m", b"d", Some(60)));
    // No dict at all; and no set_auth(): encode_flat.
    assert_eq!(encode(&[method, data], false, 2), got(b"m", b"x", None));
    assert_eq!(encode(&[], true, 0), got(b"dict", b"d", Some(60)));
    // Checked by the core's rules: a method is a string.
    let bad = (&b""[..], f(Flat::BYTES, "m"));
    assert!(encode(&[bad], false, 1).is_err());
    // Sized like the rest.
    let items = [method, data].into_iter();
    assert!(matches!(
        encode_flat_with_auth(items, Context::Connect, 2, &mut []),
        Err(Error::BufferTooSmall { needed }) if needed >= 7
    ));
}

#[test]
fn a_list_value_is_for_a_repeatable_property_only() {
    let listed = |kind, num, a: &'static str, b: &'static str| {
        Flat::new(kind, num, a.as_bytes(), b.as_bytes(), true)
    };
    let mut buf = [0u8; 64];
    let mut encode = |items: &[(&'static [u8], Flat<'static>)], ctx| {
        encode_flat(items.iter().copied(), ctx, &mut buf)
    };
    // {"user_property": [("k", "v"), ("k", "w")]}, {"user_property": []}.
    let pair = |v| (&b"user_property"[..], listed(Flat::PAIR, 0, "k", v));
    assert_eq!(encode(&[pair("v"), pair("w")], Context::Publish), Ok(14));
    let none = (&b"user_property"[..], listed(Flat::EMPTY, 0, "", ""));
    assert_eq!(encode(&[none], Context::Publish), Ok(0));
    // A property that appears once: a list of one value, or of none, is the
    // wrong type ({"message_expiry_interval": [1]} was sent as 1).
    let once = (
        &b"message_expiry_interval"[..],
        listed(Flat::INT, 1, "", ""),
    );
    let empty = (
        &b"message_expiry_interval"[..],
        listed(Flat::EMPTY, 0, "", ""),
    );
    for items in [&[once][..], &[empty][..]] {
        assert_eq!(
            encode(items, Context::Publish),
            Err(PropertyError::WrongType.into())
        );
    }
    // Subscription identifiers repeat only in a PUBLISH the broker sends: a
    // client's SUBSCRIBE takes one, a client's PUBLISH none; unknown first.
    let mut sid = |ctx| {
        encode(
            &[(
                &b"subscription_identifier"[..],
                listed(Flat::INT, 1, "", ""),
            )],
            ctx,
        )
    };
    assert_eq!(
        sid(Context::Subscribe),
        Err(PropertyError::WrongType.into())
    );
    assert_eq!(sid(Context::Publish), Err(PropertyError::NotAllowed.into()));
    let unknown = (&b"no_such"[..], listed(Flat::EMPTY, 0, "", ""));
    assert_eq!(
        encode(&[unknown], Context::Publish),
        Err(PropertyError::UnknownName.into())
    );
}
