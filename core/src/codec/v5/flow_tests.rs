//! Byte-level tests of the MQTT 5 message-flow packets: PUBLISH, the acks,
//! SUBSCRIBE / UNSUBSCRIBE and theirs, DISCONNECT and AUTH. Malformed cases
//! cite the MQTT 5.0 statement (or section) they enforce.

use super::tests::{cli, pid, props, srv};
use super::*;
use crate::error::{ArgError, PropertyError, ProtocolError};
use crate::types::QoS;
use ProtocolError as E;

#[test]
fn publish_properties_and_aliases() {
    let mut pb = [0u8; 128];
    let p = props(
        &mut pb,
        Context::Publish,
        Role::Client,
        &[
            (PropertyId::ContentType, Value::Str("text/plain")),
            (PropertyId::CorrelationData, Value::Binary(b"\x00\x01")),
            (PropertyId::UserProperty, Value::Pair("a", "1")),
            (PropertyId::UserProperty, Value::Pair("a", "2")),
            (PropertyId::MessageExpiryInterval, Value::Int(3600)),
        ],
    );
    let pubp = Publish {
        topic: b"t/1",
        payload: b"hello",
        qos: QoS::AtLeastOnce,
        retain: false,
        dup: false,
        packet_id: Some(pid(9)),
        properties: p,
    };
    let mut out = [0u8; 128];
    let n = pubp.encode(&mut out).unwrap();
    let Packet::Publish(d) = srv(&out[..n]).unwrap() else {
        panic!()
    };
    assert_eq!(d, pubp);
    let ups: heapless::Vec<(&str, &str), 4> = d.properties.user_properties().collect();
    assert_eq!(&ups[..], &[("a", "1"), ("a", "2")]);
    assert_eq!(
        d.properties.get_binary(PropertyId::CorrelationData),
        Some(&b"\x00\x01"[..])
    );

    let mut out2 = [0u8; 128];
    // With an alias: the alias property goes first; the topic may be left out.
    let n2 = pubp.encode_aliased(3, false, &mut out2).unwrap();
    assert_eq!(pubp.encoded_len_aliased(3, false), Ok(n2));
    assert_eq!(n2, n + 3 - 3, "3 bytes of alias, 3 bytes of topic saved");
    let Packet::Publish(d) = srv(&out2[..n2]).unwrap() else {
        panic!()
    };
    assert_eq!(d.topic, b"");
    assert_eq!(d.properties.get_int(PropertyId::TopicAlias), Some(3));
    assert_eq!(d.properties.user_properties().count(), 2);
    let n3 = pubp.encode_aliased(3, true, &mut out2).unwrap();
    let Packet::Publish(d) = srv(&out2[..n3]).unwrap() else {
        panic!()
    };
    assert_eq!(d.topic, b"t/1");
    assert_eq!(
        pubp.encode_aliased(0, true, &mut out2),
        Err(PropertyError::OutOfRange.into())
    );
    let empty = Publish { topic: b"", ..pubp };
    assert_eq!(
        empty.encode(&mut out2),
        Err(ArgError::EmptyTopicWithoutAlias.into())
    );
}

#[test]
fn publish_malformed() {
    // 3.3.2-8: topic alias 0 -> 0x94.
    assert_eq!(
        srv(&[0x30, 7, 0, 1, b't', 3, 0x23, 0, 0]),
        Err(E::TopicAliasInvalid)
    );
    assert_eq!(E::TopicAliasInvalid.reason_code(), 0x94);
    // 3.3.2-1 / 3.3.4: an empty topic needs an alias (protocol error).
    assert_eq!(srv(&[0x30, 3, 0, 0, 0]), Err(E::MissingTopic));
    // 3.3.2.3.4: one topic alias only.
    assert_eq!(
        srv(&[0x30, 9, 0, 0, 6, 0x23, 0, 1, 0x23, 0, 2]),
        Err(E::DuplicateProperty)
    );
    // 3.3.2.3.8: subscription id 0 is a protocol error; several are fine
    // from the server (3.3.4-4), never from a client (3.3.4-6).
    assert_eq!(
        srv(&[0x30, 6, 0, 1, b't', 2, 0x0B, 0]),
        Err(E::InvalidPropertyValue)
    );
    let f = [0x30, 9, 0, 1, b't', 5, 0x0B, 1, 0x0B, 0x80, 0x01];
    let Packet::Publish(p) = srv(&f).unwrap() else {
        panic!()
    };
    let ids: heapless::Vec<u32, 4> = p.properties.subscription_identifiers().collect();
    assert_eq!(&ids[..], &[1, 128]);
    assert_eq!(cli(&f), Err(E::MalformedProperty));
    // A truncated varint subscription id.
    assert_eq!(
        srv(&[0x30, 6, 0, 1, b't', 2, 0x0B, 0x80]),
        Err(E::MalformedProperty)
    );
    // 3.3.2.3.2: payload format indicator twice.
    assert_eq!(
        srv(&[0x30, 9, 0, 1, b't', 4, 0x01, 1, 0x01, 1, b'x']),
        Err(E::DuplicateProperty)
    );
    // 3.3.2-14: a response topic with a wildcard.
    assert_eq!(
        srv(&[0x30, 8, 0, 1, b't', 4, 0x08, 0, 1, b'#']),
        Err(E::InvalidPropertyValue)
    );
    // Wildcards in the topic (3.3.2-2), a property not allowed in PUBLISH.
    assert_eq!(srv(&[0x30, 4, 0, 1, b'#', 0]), Err(E::InvalidTopic));
    assert_eq!(
        srv(&[0x30, 6, 0, 1, b't', 2, 0x24, 1]),
        Err(E::MalformedProperty)
    );
    // 3.3.1-2: DUP on QoS 0.
    assert_eq!(srv(&[0x38, 4, 0, 1, b't', 0]), Err(E::InvalidFlags));
    // QoS 1 without its packet id, QoS 3.
    assert_eq!(srv(&[0x32, 4, 0, 1, b't', 0]), Err(E::PacketTooShort));
    assert_eq!(srv(&[0x36, 6, 0, 1, b't', 0, 1, 0]), Err(E::InvalidQoS));
}

#[test]
fn acks_short_forms() {
    let ok = |reason_code| Ack {
        packet_id: pid(1),
        reason_code,
        properties: Properties::EMPTY,
    };
    // 3.4.2.1: the reason code and property length may be omitted.
    assert_eq!(srv(&[0x40, 2, 0, 1]), Ok(Packet::PubAck(ok(0))));
    assert_eq!(srv(&[0x40, 3, 0, 1, 0x10]), Ok(Packet::PubAck(ok(0x10))));
    assert_eq!(srv(&[0x50, 4, 0, 1, 0x87, 0]), Ok(Packet::PubRec(ok(0x87))));
    assert_eq!(srv(&[0x62, 3, 0, 1, 0x92]), Ok(Packet::PubRel(ok(0x92))));
    assert_eq!(srv(&[0x70, 2, 0, 1]), Ok(Packet::PubComp(ok(0))));
    // Codes the packet does not define (3.4.2.1, 3.6.2.1).
    assert_eq!(srv(&[0x40, 3, 0, 1, 0x11]), Err(E::InvalidReasonCode));
    assert_eq!(srv(&[0x70, 3, 0, 1, 0x10]), Err(E::InvalidReasonCode));
    assert_eq!(srv(&[0x40, 2, 0, 0]), Err(E::PacketIdZero));
    assert_eq!(srv(&[0x40, 5, 0, 1, 0, 0, 0]), Err(E::TrailingBytes));
    assert!(srv(&[0x62, 2, 0, 1]).is_ok());
    assert_eq!(srv(&[0x60, 2, 0, 1]), Err(E::InvalidFlags));
    let mut out = [0u8; 32];
    assert_eq!(ok(0).encode(PacketType::PubAck, &mut out), Ok(4));
    assert_eq!(out[..4], [0x40, 2, 0, 1]);
    assert_eq!(ok(0x10).encode(PacketType::PubAck, &mut out), Ok(5));
    assert_eq!(out[..5], [0x40, 3, 0, 1, 0x10]);
    assert_eq!(ok(0x92).encode(PacketType::PubRel, &mut out), Ok(5));
    assert_eq!(out[..5], [0x62, 3, 0, 1, 0x92]);
    assert_eq!(
        ok(0x10).encode(PacketType::PubComp, &mut out),
        Err(ArgError::InvalidReasonCode.into())
    );
    assert_eq!(
        ok(0).encode(PacketType::SubAck, &mut out),
        Err(ArgError::NotAnAck.into())
    );
    let mut pb = [0u8; 16];
    let p = props(
        &mut pb,
        Context::Ack,
        Role::Server,
        &[(PropertyId::ReasonString, Value::Str("x"))],
    );
    let a = Ack {
        packet_id: pid(2),
        reason_code: 0,
        properties: p,
    };
    let n = a.encode(PacketType::PubAck, &mut out).unwrap();
    assert_eq!(&out[..n], &[0x40, 8, 0, 2, 0, 4, 0x1F, 0, 1, b'x']);
    assert_eq!(srv(&out[..n]), Ok(Packet::PubAck(a)));
}

#[test]
fn subscribe_options_and_acks() {
    let opts = SubOptions {
        qos: QoS::ExactlyOnce,
        no_local: true,
        retain_as_published: true,
        retain_handling: 2,
    };
    assert_eq!(opts.to_byte(), Ok(0b0010_1110));
    assert_eq!(SubOptions::from_byte(0b0010_1110), Ok(opts));
    // 3.8.3-5: reserved bits; 3.8.3.1: retain handling 3, QoS 3.
    assert_eq!(SubOptions::from_byte(0x40), Err(E::ReservedBits));
    assert_eq!(SubOptions::from_byte(0x30), Err(E::InvalidPropertyValue));
    assert_eq!(SubOptions::from_byte(0x03), Err(E::InvalidQoS));
    let mut pb = [0u8; 16];
    let p = props(
        &mut pb,
        Context::Subscribe,
        Role::Client,
        &[(PropertyId::SubscriptionIdentifier, Value::Int(7))],
    );
    let list = [
        (&b"a/+"[..], opts),
        (&b"b"[..], SubOptions::qos(QoS::AtMostOnce)),
    ];
    let s = Subscribe {
        packet_id: pid(3),
        properties: p,
        filters: Filters::List(&list),
    };
    let mut out = [0u8; 64];
    let n = s.encode(&mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0x82, 15, 0, 3, 2, 0x0B, 7, 0, 3, b'a', b'/', b'+', 0x2E, 0, 1, b'b', 0]
    );
    assert_eq!(cli(&out[..n]), Ok(Packet::Subscribe(s)));
    assert_eq!(srv(&out[..n]), Err(E::UnexpectedPacket));
    // 3.8.3-4: no_local on a shared subscription.
    let shared = [(&b"$share/g/t"[..], opts)];
    let s2 = Subscribe {
        filters: Filters::List(&shared),
        ..s
    };
    assert_eq!(
        s2.encode(&mut out),
        Err(ArgError::NoLocalOnSharedSubscription.into())
    );
    let bad = SubOptions {
        retain_handling: 3,
        ..opts
    };
    let l3 = [(&b"t"[..], bad)];
    assert_eq!(
        Subscribe {
            filters: Filters::List(&l3),
            ..s
        }
        .encode(&mut out),
        Err(ArgError::InvalidSubscriptionOptions.into())
    );
    // 3.8.2.1.2: only one subscription identifier in SUBSCRIBE.
    assert_eq!(
        cli(&[0x82, 11, 0, 1, 4, 0x0B, 1, 0x0B, 2, 0, 1, b't', 0]),
        Err(E::DuplicateProperty)
    );
    // 3.8.3-2: at least one filter.
    assert_eq!(cli(&[0x82, 3, 0, 1, 0]), Err(E::PacketTooShort));

    let uf: [&[u8]; 2] = [b"a", b"b/#"];
    let u = Unsubscribe {
        packet_id: pid(4),
        properties: Properties::EMPTY,
        filters: Filters::List(&uf),
    };
    let n = u.encode(&mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0xA2, 11, 0, 4, 0, 0, 1, b'a', 0, 3, b'b', b'/', b'#']
    );
    assert_eq!(cli(&out[..n]), Ok(Packet::Unsubscribe(u)));

    // SUBACK / UNSUBACK reason codes (3.9.3, 3.11.3).
    let Packet::SubAck(a) = srv(&[0x90, 6, 0, 3, 0, 2, 0x87, 0xA2]).unwrap() else {
        panic!()
    };
    assert_eq!(a.reason_codes, &[2, 0x87, 0xA2]);
    assert_eq!(srv(&[0x90, 4, 0, 3, 0, 0x11]), Err(E::InvalidReasonCode));
    assert_eq!(srv(&[0x90, 3, 0, 3, 0]), Err(E::PacketTooShort));
    let Packet::UnsubAck(a) = srv(&[0xB0, 5, 0, 4, 0, 0x11, 0]).unwrap() else {
        panic!()
    };
    assert_eq!(a.reason_codes, &[0x11, 0]);
    assert_eq!(srv(&[0xB0, 4, 0, 4, 0, 0x02]), Err(E::InvalidReasonCode));
    assert_eq!(cli(&[0xB0, 4, 0, 4, 0, 0]), Err(E::UnexpectedPacket));
    let n = a.encode(PacketType::UnsubAck, &mut out).unwrap();
    assert_eq!(&out[..n], &[0xB0, 5, 0, 4, 0, 0x11, 0]);
}

#[test]
fn disconnect_and_auth() {
    let d = |reason_code| Disconnect {
        reason_code,
        properties: Properties::EMPTY,
    };
    // 3.14.2.1: remaining length 0 means reason 0; 3.14.2.2: < 2 means no properties.
    assert_eq!(srv(&[0xE0, 0]), Ok(Packet::Disconnect(d(0))));
    assert_eq!(srv(&[0xE0, 1, 0x8B]), Ok(Packet::Disconnect(d(0x8B))));
    assert_eq!(srv(&[0xE0, 2, 0x98, 0]), Ok(Packet::Disconnect(d(0x98))));
    assert_eq!(srv(&[0xE0, 1, 0x01]), Err(E::InvalidReasonCode));
    assert_eq!(srv(&[0xE1, 0]), Err(E::InvalidFlags));
    // Server reference from the server (0x9C use another server) ...
    let f = [0xE0, 7, 0x9C, 5, 0x1C, 0, 2, b'h', b'2'];
    let Packet::Disconnect(x) = srv(&f).unwrap() else {
        panic!()
    };
    assert_eq!(
        x.properties.get_str(PropertyId::ServerReference),
        Some("h2")
    );
    // ... but not from a client; 3.14.2-2: no session expiry from a server.
    assert_eq!(cli(&f), Err(E::MalformedProperty));
    let se = [0xE0, 7, 0, 5, 0x11, 0, 0, 0, 1];
    assert_eq!(srv(&se), Err(E::MalformedProperty));
    assert!(cli(&se).is_ok());
    let mut out = [0u8; 32];
    assert_eq!(Disconnect::NORMAL.encode(&mut out), Ok(2));
    assert_eq!(out[..2], [0xE0, 0]);
    assert_eq!(d(4).encode(&mut out), Ok(3));
    assert_eq!(out[..3], [0xE0, 1, 4]);
    assert_eq!(
        d(0x11).encode(&mut out),
        Err(ArgError::InvalidReasonCode.into())
    );

    // AUTH (3.15): both fields omitted only together.
    let a = |reason_code| Auth {
        reason_code,
        properties: Properties::EMPTY,
    };
    assert_eq!(srv(&[0xF0, 0]), Ok(Packet::Auth(a(0))));
    assert_eq!(srv(&[0xF0, 2, 0x18, 0]), Ok(Packet::Auth(a(0x18))));
    assert_eq!(srv(&[0xF0, 1, 0x18]), Err(E::PacketTooShort));
    assert_eq!(srv(&[0xF0, 2, 0x80, 0]), Err(E::InvalidReasonCode));
    assert_eq!(srv(&[0xF1, 0]), Err(E::InvalidFlags));
    let mut pb = [0u8; 32];
    let p = props(
        &mut pb,
        Context::Auth,
        Role::Client,
        &[
            (PropertyId::AuthenticationMethod, Value::Str("SCRAM")),
            (PropertyId::AuthenticationData, Value::Binary(b"\x01\x02")),
        ],
    );
    let x = Auth {
        reason_code: 0x18,
        properties: p,
    };
    let n = x.encode(&mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0xF0, 15, 0x18, 13, 0x15, 0, 5, b'S', b'C', b'R', b'A', b'M', 0x16, 0, 2, 1, 2]
    );
    assert_eq!(srv(&out[..n]), Ok(Packet::Auth(x)));
    assert_eq!(a(0x18).encode(&mut out), Ok(4));
    assert_eq!(out[..4], [0xF0, 2, 0x18, 0]);
    // Properties only AUTH allows are malformed elsewhere.
    assert_eq!(srv(&[0xE0, 5, 0, 3, 0x16, 0, 0]), Err(E::MalformedProperty));
}
