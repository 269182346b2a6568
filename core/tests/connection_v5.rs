//! MQTT 5 through the sans-IO Connection, fed broker frames by hand: the
//! hostile and legal tables of v5_hostile.rs end to end (a clear error and
//! the right DISCONNECT queued, never a panic), inbound topic aliases, the
//! reason codes of acknowledgements and of a server's DISCONNECT (enhanced
//! authentication: connection_v5_auth.rs).
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;
#[path = "support/v5_frames.rs"]
mod v5_frames;
#[path = "support/v5_sansio.rs"]
mod v5_sansio;

use umqtt_core::codec::v5::{Connect, Context, PropertyBuilder, PropertyId, Role, Value};
use umqtt_core::connection::Event;
use umqtt_core::session::State;
use umqtt_core::{ArgError, Error, ProtocolError, ProtocolVersion, QoS};
use v5_frames::{CONNACK, HOSTILE, LEGAL};
use v5_sansio::{connect_v5_pkt, drain, feed, new_conn, start, EMPTY};

#[test]
fn hostile_frames_through_the_connection() {
    for (spec, before, frame, reason) in HOSTILE {
        let mut c = new_conn();
        start(&mut c);
        for f in *before {
            feed(&mut c, f).unwrap_or_else(|e| panic!("{spec}: setup frame refused: {e:?}"));
        }
        let e = feed(&mut c, frame).expect_err(spec);
        match e {
            Error::Protocol(p) => assert_eq!(p.reason_code(), *reason, "{spec}: {p:?}"),
            other => panic!("{spec}: {other:?}"),
        }
        assert_eq!(c.session().state(), State::Disconnected, "{spec}");
        assert!(c.lost(), "{spec}");
        assert_eq!(
            drain(&mut c),
            [0xE0, 1, *reason],
            "{spec}: DISCONNECT queued"
        );
        // Still defined afterwards: nothing more to read, nothing to send.
        assert_eq!(c.poll_event(0), Ok(None), "{spec}");
        assert_eq!(
            c.publish(b"t", b"x", QoS::AtMostOnce, false, 0),
            Err(Error::NotConnected)
        );
    }
}

#[test]
fn legal_frames_through_the_connection() {
    for (spec, before, frame, topic) in LEGAL {
        let mut c = new_conn();
        start(&mut c);
        for f in *before {
            feed(&mut c, f).unwrap_or_else(|e| panic!("{spec}: setup frame refused: {e:?}"));
        }
        let got = feed(&mut c, frame);
        if frame[0] == 0xE0 {
            // A server's DISCONNECT is legal, and ends the connection.
            assert_eq!(got, Err(Error::ServerDisconnect(0)), "{spec}");
            assert_eq!(drain(&mut c), b"", "{spec}: nothing answers it");
            continue;
        }
        if frame[0] == 0xF0 {
            // A well-formed AUTH, but we asked for no enhanced
            // authentication (4.12: the server must not send one).
            assert_eq!(
                got,
                Err(Error::Protocol(ProtocolError::UnexpectedAuth)),
                "{spec}"
            );
            continue;
        }
        let got = got.unwrap_or_else(|e| panic!("{spec}: {e:?}"));
        assert_eq!(got.and_then(|(_, t)| t).as_deref(), *topic, "{spec}");
    }
}

#[test]
fn a_frame_above_our_maximum_packet_size_is_0x95() {
    let mut c = new_conn();
    start(&mut c);
    feed(&mut c, CONNACK).unwrap();
    let mut f = vec![0x30, 65, 0, 1, b't', 0];
    f.extend([b'x'; 61]);
    assert_eq!(
        feed(&mut c, &f),
        Err(Error::Protocol(ProtocolError::PacketTooLarge))
    );
    assert_eq!(drain(&mut c), [0xE0, 1, 0x95]);
}

#[test]
fn inbound_topic_aliases_are_kept_and_reset_on_every_connection() {
    let mut c = new_conn();
    start(&mut c);
    feed(&mut c, CONNACK).unwrap();
    // "a/b" with alias 1, then alias 1 alone, then re-pointed to "c".
    let set = [0x30, 10, 0, 3, b'a', b'/', b'b', 3, 0x23, 0, 1, b'1'];
    let use_ = [0x30, 7, 0, 0, 3, 0x23, 0, 1, b'2'];
    let repoint = [0x30, 8, 0, 1, b'c', 3, 0x23, 0, 1, b'3'];
    for (f, topic, payload) in [
        (&set[..], &b"a/b"[..], &b"1"[..]),
        (&use_, b"a/b", b"2"),
        (&repoint, b"c", b"3"),
        (&use_, b"c", b"2"),
    ] {
        let (ev, t) = feed(&mut c, f).unwrap().unwrap();
        assert!(matches!(ev, Event::Message { .. }));
        assert_eq!(t.as_deref(), Some(topic));
        assert_eq!(c.message().unwrap().payload, payload);
        // The alias property itself is the message's too.
        assert_eq!(c.last_properties().get_int(PropertyId::TopicAlias), Some(1));
    }
    // A new connection starts without aliases: alias 1 alone is 0x82.
    start(&mut c);
    feed(&mut c, CONNACK).unwrap();
    assert_eq!(
        feed(&mut c, &use_),
        Err(Error::Protocol(ProtocolError::MissingTopic))
    );
    assert_eq!(drain(&mut c), [0xE0, 1, 0x82]);
}

#[test]
fn acknowledgement_reason_codes_complete_the_publish() {
    let mut c = new_conn();
    start(&mut c);
    feed(&mut c, CONNACK).unwrap();
    let id1 = c
        .publish(b"t", b"1", QoS::AtLeastOnce, false, 0)
        .unwrap()
        .unwrap();
    drain(&mut c);
    // PUBACK 0x10 no matching subscribers: success.
    let [h, l] = id1.get().to_be_bytes();
    let (ev, _) = feed(&mut c, &[0x40, 3, h, l, 0x10]).unwrap().unwrap();
    assert_eq!(ev, Event::Published(id1));
    assert_eq!(c.last_outcome(), Ok(0x10));
    // QoS 2: PUBREC 0x10, PUBREL, PUBCOMP 0: the outcome is the PUBREC's.
    let id = c
        .publish(b"t", b"1", QoS::ExactlyOnce, false, 0)
        .unwrap()
        .unwrap();
    drain(&mut c);
    let [h, l] = id.get().to_be_bytes();
    let (ev, _) = feed(&mut c, &[0x50, 3, h, l, 0x10]).unwrap().unwrap();
    assert_eq!(ev, Event::Other(0x50));
    assert_eq!(drain(&mut c), [0x62, 2, h, l], "PUBREL");
    let (ev, _) = feed(&mut c, &[0x70, 2, h, l]).unwrap().unwrap();
    assert_eq!(ev, Event::Published(id));
    assert_eq!(c.last_outcome(), Ok(0x10));
    // PUBREC 0x97 quota exceeded with a reason string: the QoS 2 exchange
    // ends there (no PUBREL), refused.
    let id2 = c
        .publish(b"t", b"2", QoS::ExactlyOnce, false, 0)
        .unwrap()
        .unwrap();
    drain(&mut c);
    let [h, l] = id2.get().to_be_bytes();
    let pubrec = [0x50, 10, h, l, 0x97, 6, 0x1F, 0, 3, b'f', b'u', b'l'];
    let (ev, _) = feed(&mut c, &pubrec).unwrap().unwrap();
    assert_eq!(ev, Event::Published(id2));
    assert_eq!(c.last_outcome(), Err(Error::Refused(0x97)));
    assert_eq!(c.last_reason_string(), Some("ful"));
    assert_eq!(drain(&mut c), b"", "no PUBREL after a failed PUBREC");
    assert_eq!(c.session().inflight_len(), 0);
    assert!(c.frames().is_empty());
}

#[test]
fn a_server_disconnect_is_a_clear_error_with_its_reason_string() {
    let mut c = new_conn();
    start(&mut c);
    feed(&mut c, CONNACK).unwrap();
    let bye = [0xE0, 8, 0x8B, 6, 0x1F, 0, 3, b'b', b'y', b'e'];
    assert_eq!(feed(&mut c, &bye), Err(Error::ServerDisconnect(0x8B)));
    assert_eq!(c.last_reason_code(), 0x8B);
    assert_eq!(c.last_reason_string(), Some("bye"));
    assert_eq!(c.session().state(), State::Disconnected);
    assert!(c.lost());
    let r = Error::ServerDisconnect(0x8B).report();
    assert_eq!(r.code, 0x8B);
}

#[test]
fn a_refused_connack_keeps_its_code_and_reason_string() {
    let mut c = new_conn();
    start(&mut c);
    let refused = [0x20, 9, 0, 0x87, 6, 0x1F, 0, 3, b'n', b'o', b'!'];
    assert_eq!(feed(&mut c, &refused), Err(Error::ConnectionRefused(0x87)));
    assert_eq!(c.last_reason_string(), Some("no!"));
    assert_eq!(Error::ConnectionRefused(0x87).report().code, 0x87);
}

#[test]
fn errors_of_the_broker_carry_its_reason_string_on_mqtt_5_only() {
    let mut c = new_conn();
    start(&mut c);
    let refused = [0x20, 9, 0, 0x87, 6, 0x1F, 0, 3, b'n', b'o', b'!'];
    let e = feed(&mut c, &refused).unwrap_err();
    assert_eq!(c.error_reason(&e), Some(Some("no!")));
    for e in [Error::SubscribeRefused, Error::Refused(0x87)] {
        assert_eq!(c.error_reason(&e), Some(Some("no!")), "{e:?}");
    }
    for e in [
        Error::Timeout,
        Error::Protocol(ProtocolError::MalformedProperty),
    ] {
        assert_eq!(c.error_reason(&e), None, "{e:?}");
    }
    // An empty reason string is none.
    let mut c = new_conn();
    start(&mut c);
    feed(&mut c, CONNACK).unwrap();
    let bye = [0xE0, 5, 0x8B, 3, 0x1F, 0, 0];
    let e = feed(&mut c, &bye).unwrap_err();
    assert_eq!(c.error_reason(&e), Some(None));
    // 3.1.1: none.
    let mut c = new_conn();
    c.connect(&support::conn(true, 0), 0).unwrap();
    drain(&mut c);
    assert_eq!(
        feed(&mut c, &[0x20, 2, 0, 5]),
        Err(Error::ConnectionRefused(5))
    );
    assert_eq!(c.error_reason(&Error::ConnectionRefused(5)), None);
}

#[test]
fn received_properties_by_index() {
    use umqtt_core::codec::v5::Flat;
    let mut c = new_conn();
    start(&mut c);
    let refused = [0x20, 9, 0, 0x87, 6, 0x1F, 0, 3, b'n', b'o', b'!'];
    feed(&mut c, &refused).unwrap_err();
    let (id, f) = c.property_at(false, 0).unwrap();
    assert_eq!((id.name(), id.is_list()), ("reason_string", false));
    assert_eq!((f.kind, f.a), (Flat::STR, &b"no!"[..]));
    assert!(c.property_at(false, 1).is_none());
    assert!(c.property_at(true, 0).is_none(), "no CONNACK accepted");
}

#[test]
fn properties_need_protocol_5() {
    let mut c = new_conn();
    c.connect(&support::conn(true, 0), 0).unwrap();
    drain(&mut c);
    feed(&mut c, &[0x20, 2, 0, 0]).unwrap();
    assert_eq!(c.protocol(), ProtocolVersion::V311);
    let mut buf = [0u8; 16];
    let mut b = PropertyBuilder::new(&mut buf, Context::Publish, Role::Client);
    b.push_named("content_type", Value::Str("x")).unwrap();
    let props = b.finish();
    assert_eq!(
        c.publish_v5(b"t", b"x", QoS::AtMostOnce, false, props, 0),
        Err(Error::InvalidArgument(ArgError::PropertiesNeedV5))
    );
    assert_eq!(drain(&mut c), b"", "nothing sent");
    // Empty properties are fine on 3.1.1: the 3.1.1 frame.
    let none = umqtt_core::codec::v5::Properties::EMPTY;
    c.publish_v5(b"t", b"x", QoS::AtMostOnce, false, none, 0)
        .unwrap();
    assert_eq!(drain(&mut c), [0x30, 4, 0, 1, b't', b'x']);
    // So are the other operations: one call for both protocols, the 3.1.1
    // packet when nothing needs MQTT 5.
    use umqtt_core::codec::v5::SubOptions;
    let plain = [(&b"a"[..], SubOptions::qos(QoS::AtLeastOnce))];
    let id = c.subscribe_v5(&plain, none, 0).unwrap().get() as u8;
    assert_eq!(drain(&mut c), [0x82, 6, 0, id, 0, 1, b'a', 1]);
    let mut sub_buf = [0u8; 8];
    let mut b = PropertyBuilder::new(&mut sub_buf, Context::Subscribe, Role::Client);
    b.push_named("subscription_identifier", Value::Int(1))
        .unwrap();
    let sub_props = b.finish();
    let no_local = SubOptions {
        no_local: true,
        ..SubOptions::qos(QoS::AtMostOnce)
    };
    for (filters, p) in [
        (&[(&b"a"[..], no_local)][..], none),
        (&plain[..], sub_props),
    ] {
        assert_eq!(
            c.subscribe_v5(filters, p, 0),
            Err(Error::InvalidArgument(ArgError::PropertiesNeedV5))
        );
    }
    let id = c.unsubscribe_v5(&[b"a"], none, 0).unwrap().get() as u8;
    assert_eq!(drain(&mut c), [0xA2, 5, 0, id, 0, 1, b'a']);
    assert_eq!(
        c.disconnect_v5(4, none, 0),
        Err(Error::InvalidArgument(ArgError::PropertiesNeedV5))
    );
    assert_eq!(drain(&mut c), b"", "nothing sent");
    c.disconnect_v5(0, none, 0).unwrap();
    assert_eq!(drain(&mut c), [0xE0, 0]);
}

#[test]
fn one_connect_description_for_both_protocols() {
    use umqtt_core::codec::v5::Will;
    let will = Will {
        topic: b"w",
        payload: b"gone",
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: EMPTY,
    };
    let c5 = Connect {
        client_id: b"cid",
        keepalive: 30,
        clean_start: false,
        username: Some(b"u"),
        password: Some(b"p"),
        will: Some(will),
        properties: EMPTY,
    };
    let c311 = umqtt_core::codec::Connect {
        username: Some(b"u"),
        password: Some(b"p"),
        will: Some(umqtt_core::codec::Will {
            topic: b"w",
            message: b"gone",
            qos: QoS::AtLeastOnce,
            retain: true,
        }),
        ..support::conn(false, 30)
    };
    let (mut a, mut b) = (new_conn(), new_conn());
    a.connect_as(ProtocolVersion::V311, &c5, 0).unwrap();
    b.connect(&c311, 0).unwrap();
    assert_eq!(a.protocol(), ProtocolVersion::V311);
    assert_eq!(drain(&mut a), drain(&mut b));
    assert_eq!(
        c5.encoded_len_for(ProtocolVersion::V311),
        c311.encoded_len()
    );
    // MQTT 5: the MQTT 5 CONNECT.
    let (mut a, mut b) = (new_conn(), new_conn());
    a.connect_as(ProtocolVersion::V5, &c5, 0).unwrap();
    b.connect_v5(&c5, 0).unwrap();
    assert_eq!(a.protocol(), ProtocolVersion::V5);
    assert_eq!(drain(&mut a), drain(&mut b));
    // Properties (of the CONNECT or of the will) need MQTT 5.
    let mut buf = [0u8; 16];
    let mut p = PropertyBuilder::new(&mut buf, Context::Will, Role::Client);
    p.push_named("will_delay_interval", Value::Int(5)).unwrap();
    let with_props = Connect {
        will: Some(Will {
            properties: p.finish(),
            ..will
        }),
        ..c5
    };
    let mut a = new_conn();
    assert_eq!(
        a.connect_as(ProtocolVersion::V311, &with_props, 0),
        Err(Error::InvalidArgument(ArgError::PropertiesNeedV5))
    );
    assert_eq!(drain(&mut a), b"", "nothing sent");
    assert!(with_props.encoded_len_for(ProtocolVersion::V5).is_ok());
}

#[test]
fn outbound_topic_aliases_when_the_broker_allows_them_never_in_a_stored_frame() {
    let mut c = new_conn();
    start(&mut c);
    // No CONNACK alias maximum: no aliases.
    feed(&mut c, CONNACK).unwrap();
    c.publish_v5(b"a/b", b"1", QoS::AtMostOnce, false, EMPTY, 0)
        .unwrap();
    assert_eq!(drain(&mut c), [0x30, 7, 0, 3, b'a', b'/', b'b', 0, b'1']);
    // topic_alias_maximum 1: the first topic gets alias 1, then an empty topic.
    start(&mut c);
    feed(&mut c, &[0x20, 6, 0, 0, 3, 0x22, 0, 1]).unwrap();
    let id = c
        .publish_v5(b"a/b", b"1", QoS::AtLeastOnce, false, EMPTY, 0)
        .unwrap()
        .unwrap();
    let [h, l] = id.get().to_be_bytes();
    assert_eq!(
        drain(&mut c),
        [0x32, 12, 0, 3, b'a', b'/', b'b', h, l, 3, 0x23, 0, 1, b'1'],
        "established"
    );
    assert_eq!(
        c.frames().get(id).unwrap(),
        [0x32, 9, 0, 3, b'a', b'/', b'b', h, l, 0, b'1'],
        "stored in full"
    );
    c.publish_v5(b"a/b", b"2", QoS::AtMostOnce, false, EMPTY, 0)
        .unwrap();
    assert_eq!(
        drain(&mut c),
        [0x30, 7, 0, 0, 3, 0x23, 0, 1, b'2'],
        "reused"
    );
    c.publish_v5(b"c", b"3", QoS::AtMostOnce, false, EMPTY, 0)
        .unwrap();
    assert_eq!(
        drain(&mut c),
        [0x30, 5, 0, 1, b'c', 0, b'3'],
        "only one alias"
    );
    // A reconnect resends the stored frame (full topic, DUP), and aliases
    // start over.
    c.check::<()>(Err(Error::ConnectionClosed)).unwrap_err();
    let keep = Connect {
        clean_start: false,
        ..connect_v5_pkt()
    };
    c.connect_v5(&keep, 0).unwrap();
    drain(&mut c);
    feed(&mut c, &[0x20, 6, 1, 0, 3, 0x22, 0, 1]).unwrap();
    assert_eq!(
        drain(&mut c),
        [0x3A, 9, 0, 3, b'a', b'/', b'b', h, l, 0, b'1']
    );
    c.publish_v5(b"a/b", b"4", QoS::AtMostOnce, false, EMPTY, 0)
        .unwrap();
    assert_eq!(
        drain(&mut c),
        [0x30, 10, 0, 3, b'a', b'/', b'b', 3, 0x23, 0, 1, b'4'],
        "established again"
    );
}
