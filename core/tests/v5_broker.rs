//! The MQTT 5 codec and session parts against a real Mosquitto 2 speaking
//! MQTT 5 (started here on a free loopback port), over plain blocking TCP.
//! A PINGREQ after an action is the barrier that proves a negative: the
//! broker answers in order, so a message it would have sent arrives first.
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::io::{Read, Write};

use support::mosquitto::Mosquitto;
use support::v5conn::*;
use umqtt_core::codec::v5::{
    decode, reason, Context, Disconnect, Filters, Packet, Properties, PropertyId, Role, SubOptions,
    Unsubscribe, Value,
};
use umqtt_core::codec::PacketType;
use umqtt_core::v5::{connect_session_expiry, AliasUse, OutboundAliases, SendQuota, ServerLimits};
use umqtt_core::QoS;

#[test]
fn connack_properties_and_limits() {
    let b = Mosquitto::start("connack", "max_keepalive 10\nmax_inflight_messages 3");
    let (mut c, f) = connect(
        b.port,
        "",
        true,
        &[
            (PropertyId::ReceiveMaximum, Value::Int(10)),
            (PropertyId::TopicAliasMaximum, Value::Int(4)),
            (PropertyId::MaximumPacketSize, Value::Int(65_536)),
            (PropertyId::RequestProblemInformation, Value::Int(1)),
            (PropertyId::UserProperty, Value::Pair("app", "umqtt")),
        ],
        None,
    );
    let a = connack(&f);
    assert_eq!((a.reason_code, a.session_present), (0, false));
    let p = a.properties;
    // Mosquitto 2 announces its topic alias maximum (10 by default) and its
    // receive maximum (max_inflight_messages); it caps our keepalive at
    // max_keepalive and assigns an id to an empty one.
    assert_eq!(p.get_int(PropertyId::TopicAliasMaximum), Some(10));
    assert_eq!(p.get_int(PropertyId::ReceiveMaximum), Some(3));
    assert_eq!(p.get_int(PropertyId::ServerKeepAlive), Some(10));
    let assigned = p.get_str(PropertyId::AssignedClientIdentifier).unwrap();
    assert!(!assigned.is_empty());
    let limits = ServerLimits::from_connack(&p);
    assert_eq!(limits.receive_maximum, 3);
    assert_eq!(limits.topic_alias_maximum, 10);
    assert_eq!(limits.server_keep_alive, Some(10));
    let mut quota = SendQuota::new();
    quota.reset(p.get_int(PropertyId::ReceiveMaximum));
    assert_eq!(quota.maximum(), 3);
    c.send(&Packet::Disconnect(Disconnect::NORMAL));
}

#[test]
fn publish_properties_round_trip_through_subscription() {
    let b = Mosquitto::start("props", "");
    let (mut c, f) = connect(b.port, "rt", true, &[], None);
    assert_eq!(connack(&f).reason_code, 0);
    let codes = subscribe(
        &mut c,
        1,
        "v5/#",
        SubOptions::qos(QoS::AtLeastOnce),
        &[(PropertyId::SubscriptionIdentifier, Value::Int(7))],
    );
    assert_eq!(codes, [1]);
    assert_eq!(
        subscribe(
            &mut c,
            2,
            "v5/+",
            SubOptions::qos(QoS::AtMostOnce),
            &[(PropertyId::SubscriptionIdentifier, Value::Int(300))]
        ),
        [0]
    );
    let mut pb = [0u8; 256];
    let p = props(
        &mut pb,
        Context::Publish,
        &[
            (PropertyId::UserProperty, Value::Pair("b", "1")),
            (PropertyId::UserProperty, Value::Pair("a", "2")),
            (PropertyId::UserProperty, Value::Pair("b", "3")),
            (PropertyId::CorrelationData, Value::Binary(b"\x00\xffid")),
            (PropertyId::ContentType, Value::Str("application/json")),
            (PropertyId::ResponseTopic, Value::Str("v5/reply")),
            (PropertyId::PayloadFormatIndicator, Value::Int(1)),
            (PropertyId::MessageExpiryInterval, Value::Int(3600)),
        ],
    );
    c.send(&Packet::Publish(publish(
        "v5/x",
        b"{}",
        QoS::AtLeastOnce,
        10,
        p,
    )));
    let frames = c.drain();
    let mut acked = false;
    let mut delivered = Vec::new();
    for f in &frames {
        match decode(f, Role::Server).unwrap() {
            Packet::PubAck(a) => {
                assert_eq!((a.packet_id, a.reason_code), (pid(10), 0));
                acked = true;
            }
            Packet::Publish(m) => {
                assert_eq!((m.topic, m.payload), (&b"v5/x"[..], &b"{}"[..]));
                let ups: Vec<_> = m.properties.user_properties().collect();
                assert_eq!(
                    ups,
                    [("b", "1"), ("a", "2"), ("b", "3")],
                    "order and repeats kept"
                );
                let q = &m.properties;
                assert_eq!(
                    q.get_binary(PropertyId::CorrelationData),
                    Some(&b"\x00\xffid"[..])
                );
                assert_eq!(q.get_str(PropertyId::ContentType), Some("application/json"));
                assert_eq!(q.get_str(PropertyId::ResponseTopic), Some("v5/reply"));
                assert_eq!(q.get_int(PropertyId::PayloadFormatIndicator), Some(1));
                let expiry = q.get_int(PropertyId::MessageExpiryInterval).unwrap();
                assert!((3500..=3600).contains(&expiry), "expiry {expiry}");
                delivered.push(m.properties.subscription_identifiers().collect::<Vec<_>>());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(acked);
    // Mosquitto sends one copy per matching subscription, each with its
    // subscription identifier.
    delivered.sort();
    assert_eq!(delivered, [vec![7], vec![300]]);
    // Nobody subscribed: PUBACK 0x10 no matching subscribers.
    c.send(&Packet::Publish(publish(
        "other",
        b"x",
        QoS::AtLeastOnce,
        11,
        Properties::EMPTY,
    )));
    let f = c.recv();
    assert_eq!(puback(&f).reason_code, reason::NO_MATCHING_SUBSCRIBERS);
}

#[test]
fn subscription_options() {
    let b = Mosquitto::start("opts", "");
    let (mut c, _) = connect(b.port, "me", true, &[], None);
    let (mut other, _) = connect(b.port, "other", true, &[], None);
    let nl = SubOptions {
        no_local: true,
        ..SubOptions::qos(QoS::AtMostOnce)
    };
    assert_eq!(subscribe(&mut c, 1, "nl", nl, &[]), [0]);
    c.send(&Packet::Publish(publish(
        "nl",
        b"mine",
        QoS::AtMostOnce,
        0,
        Properties::EMPTY,
    )));
    assert!(
        c.drain().is_empty(),
        "no_local: our own message is not delivered"
    );
    other.send(&Packet::Publish(publish(
        "nl",
        b"theirs",
        QoS::AtMostOnce,
        0,
        Properties::EMPTY,
    )));
    other.drain();
    let got = c.drain();
    assert_eq!(got.len(), 1);

    // A retained message, then retain_as_published and retain_handling.
    let mut retained = publish("ret", b"kept", QoS::AtMostOnce, 0, Properties::EMPTY);
    retained.retain = true;
    other.send(&Packet::Publish(retained));
    other.drain();
    let rh2 = SubOptions {
        retain_handling: 2,
        ..SubOptions::qos(QoS::AtMostOnce)
    };
    assert_eq!(subscribe(&mut c, 2, "ret", rh2, &[]), [0]);
    assert!(
        c.drain().is_empty(),
        "retain_handling 2: no retained message on subscribe"
    );
    // retain_handling 0 (a new subscription of another client): the
    // retained message comes, flagged RETAIN.
    let (mut e, _) = connect(b.port, "rap", true, &[], None);
    let rap = SubOptions {
        retain_as_published: true,
        ..SubOptions::qos(QoS::AtMostOnce)
    };
    assert_eq!(subscribe(&mut e, 1, "ret", rap, &[]), [0]);
    let f = e.drain();
    let Ok(Packet::Publish(m)) = decode(&f[0], Role::Server) else {
        panic!()
    };
    assert!(m.retain && m.payload == b"kept");
    // A live retained publish keeps RETAIN only with retain_as_published.
    let (mut d, _) = connect(b.port, "plain", true, &[], None);
    assert_eq!(subscribe(&mut d, 1, "ret", rh2, &[]), [0]);
    let mut live = publish("ret", b"again", QoS::AtMostOnce, 0, Properties::EMPTY);
    live.retain = true;
    other.send(&Packet::Publish(live));
    other.drain();
    for (conn, want) in [(&mut e, true), (&mut d, false)] {
        let f = conn.drain();
        let Ok(Packet::Publish(m)) = decode(&f[0], Role::Server) else {
            panic!()
        };
        assert_eq!(m.retain, want, "retain_as_published {want}");
    }

    // UNSUBACK: 0 for a subscription, 0x11 when none existed.
    let mut pb = [0u8; 32];
    let fs: [&[u8]; 2] = [b"nl", b"never"];
    c.send(&Packet::Unsubscribe(Unsubscribe {
        packet_id: pid(9),
        properties: props(
            &mut pb,
            Context::Unsubscribe,
            &[(PropertyId::UserProperty, Value::Pair("k", "v"))],
        ),
        filters: Filters::List(&fs),
    }));
    // c also holds the live retained message (its retain_handling 2
    // subscription): skip it.
    let frames = c.drain();
    let f = frames.last().unwrap();
    let Ok(Packet::UnsubAck(a)) = decode(f, Role::Server) else {
        panic!("{frames:02x?}")
    };
    assert_eq!(a.reason_codes, [0, reason::NO_SUBSCRIPTION_EXISTED]);
}

#[test]
fn outbound_topic_aliases() {
    let b = Mosquitto::start("alias", "");
    let (mut sub, _) = connect(b.port, "sub", true, &[], None);
    subscribe(
        &mut sub,
        1,
        "alias/#",
        SubOptions::qos(QoS::AtMostOnce),
        &[],
    );
    let (mut c, f) = connect(b.port, "pub", true, &[], None);
    let limits = ServerLimits::from_connack(&connack(&f).properties);
    let mut aliases = OutboundAliases::<4, 64>::new();
    aliases.reset(limits.topic_alias_maximum);
    let mut sent = Vec::new();
    for (i, t) in ["alias/one", "alias/two", "alias/one", "alias/one"]
        .iter()
        .enumerate()
    {
        let p = publish(
            t,
            format!("{i}").as_bytes(),
            QoS::AtMostOnce,
            0,
            Properties::EMPTY,
        );
        let use_ = aliases.assign(p.topic);
        let mut out = [0u8; 64];
        let n = match use_ {
            AliasUse::Establish(a) => p.encode_aliased(a, true, &mut out),
            AliasUse::Reuse(a) => p.encode_aliased(a, false, &mut out),
            AliasUse::None => p.encode(&mut out),
        }
        .unwrap();
        c.sock.write_all(&out[..n]).unwrap();
        sent.push(use_);
    }
    assert_eq!(
        sent,
        [
            AliasUse::Establish(1),
            AliasUse::Establish(2),
            AliasUse::Reuse(1),
            AliasUse::Reuse(1)
        ]
    );
    assert!(
        c.drain().is_empty(),
        "the broker accepted every aliased PUBLISH"
    );
    let got: Vec<(Vec<u8>, Vec<u8>)> = sub
        .drain()
        .iter()
        .map(|f| match decode(f, Role::Server).unwrap() {
            Packet::Publish(m) => (m.topic.to_vec(), m.payload.to_vec()),
            other => panic!("{other:?}"),
        })
        .collect();
    let want: Vec<(Vec<u8>, Vec<u8>)> = ["alias/one", "alias/two", "alias/one", "alias/one"]
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_bytes().to_vec(), format!("{i}").into_bytes()))
        .collect();
    assert_eq!(got, want, "the subscriber sees the full topics");
    // An alias above the broker's maximum is a protocol error: Mosquitto
    // closes with DISCONNECT 0x94.
    let p = publish("alias/x", b"", QoS::AtMostOnce, 0, Properties::EMPTY);
    let mut out = [0u8; 64];
    let n = p
        .encode_aliased(limits.topic_alias_maximum + 1, true, &mut out)
        .unwrap();
    c.sock.write_all(&out[..n]).unwrap();
    let f = c.recv();
    let Ok(Packet::Disconnect(d)) = decode(&f, Role::Server) else {
        panic!("{f:02x?}")
    };
    assert_eq!(d.reason_code, reason::TOPIC_ALIAS_INVALID);
}

#[test]
fn maximum_packet_size_we_announce_is_respected() {
    let b = Mosquitto::start("maxsize", "");
    let (mut small, _) = connect(
        b.port,
        "small",
        true,
        &[(PropertyId::MaximumPacketSize, Value::Int(64))],
        None,
    );
    subscribe(&mut small, 1, "big", SubOptions::qos(QoS::AtMostOnce), &[]);
    let (mut other, _) = connect(b.port, "other", true, &[], None);
    other.send(&Packet::Publish(publish(
        "big",
        &[7u8; 100],
        QoS::AtMostOnce,
        0,
        Properties::EMPTY,
    )));
    other.send(&Packet::Publish(publish(
        "big",
        &[8u8; 10],
        QoS::AtMostOnce,
        0,
        Properties::EMPTY,
    )));
    other.drain();
    let got = small.drain();
    assert_eq!(
        got.len(),
        1,
        "the broker drops what exceeds our maximum_packet_size"
    );
    let Ok(Packet::Publish(m)) = decode(&got[0], Role::Server) else {
        panic!()
    };
    assert_eq!(m.payload, [8u8; 10]);
}

#[test]
fn session_expiry_and_will_on_disconnect_reason() {
    let b = Mosquitto::start("session", "");
    // clean_session=False without a session expiry keeps the 3.1.1 meaning.
    let expiry = connect_session_expiry(false, None).unwrap();
    let (mut c, f) = connect(
        b.port,
        "keep",
        false,
        &[(PropertyId::SessionExpiryInterval, Value::Int(expiry))],
        None,
    );
    assert!(!connack(&f).session_present);
    subscribe(&mut c, 1, "s/#", SubOptions::qos(QoS::AtLeastOnce), &[]);
    c.disconnect(Disconnect::NORMAL);
    let (c, f) = connect(
        b.port,
        "keep",
        false,
        &[(PropertyId::SessionExpiryInterval, Value::Int(expiry))],
        None,
    );
    assert!(
        connack(&f).session_present,
        "the session outlived the connection"
    );
    // A session expiry of 0 at DISCONNECT ends it.
    let mut pb = [0u8; 16];
    c.disconnect(Disconnect {
        reason_code: 0,
        properties: props(
            &mut pb,
            Context::Disconnect,
            &[(PropertyId::SessionExpiryInterval, Value::Int(0))],
        ),
    });
    let (_c, f) = connect(b.port, "keep", false, &[], None);
    assert!(!connack(&f).session_present);

    // DISCONNECT 0x04 sends the will (with its properties); 0x00 does not.
    let (mut watcher, _) = connect(b.port, "watch", true, &[], None);
    subscribe(
        &mut watcher,
        1,
        "will/#",
        SubOptions::qos(QoS::AtMostOnce),
        &[],
    );
    let mut wb = [0u8; 64];
    let (w, f) = connect(b.port, "w1", true, &[], Some(will_msg(&mut wb, b"w1")));
    assert_eq!(connack(&f).reason_code, 0);
    w.disconnect(Disconnect::NORMAL);
    assert!(watcher.drain().is_empty(), "normal disconnection: no will");
    let (w, _) = connect(b.port, "w2", true, &[], Some(will_msg(&mut wb, b"w2")));
    w.disconnect(Disconnect {
        reason_code: reason::DISCONNECT_WITH_WILL_MESSAGE,
        properties: Properties::EMPTY,
    });
    // A will wrongly sent for w1 would arrive first and fail here.
    let got = watcher.recv();
    let Ok(Packet::Publish(m)) = decode(&got, Role::Server) else {
        panic!("{got:02x?}")
    };
    assert_eq!((m.topic, m.payload), (&b"will/t"[..], &b"w2"[..]));
    assert_eq!(
        m.properties.get_str(PropertyId::ContentType),
        Some("text/plain")
    );
    assert_eq!(
        m.properties.user_properties().collect::<Vec<_>>(),
        [("w", "1")]
    );
}

#[test]
fn quota_against_a_small_receive_maximum() {
    let b = Mosquitto::start("quota", "max_inflight_messages 2");
    let (mut c, f) = connect(b.port, "q", true, &[], None);
    let mut quota = SendQuota::new();
    quota.reset(connack(&f).properties.get_int(PropertyId::ReceiveMaximum));
    let mut sent = 0u16;
    for id in 1..=5u16 {
        if !quota.acquire(QoS::AtLeastOnce) {
            break;
        }
        c.send(&Packet::Publish(publish(
            "q",
            b"x",
            QoS::AtLeastOnce,
            id,
            Properties::EMPTY,
        )));
        sent += 1;
    }
    assert_eq!(
        sent, 2,
        "never more unacknowledged than the broker's receive maximum"
    );
    for _ in 0..2 {
        let f = c.recv();
        quota.on_ack(PacketType::PubAck, puback(&f).reason_code);
    }
    assert!(quota.acquire(QoS::AtLeastOnce));

    // Why it matters: QoS 2 flows stay open until PUBREL. A third one
    // beyond the broker's receive maximum of 2 is refused by Mosquitto
    // 2.0.11 with PUBREC 0x97 (quota exceeded).
    let (mut c, _) = connect(b.port, "q2", true, &[], None);
    for id in 1..=3u16 {
        c.send(&Packet::Publish(publish(
            "q",
            b"x",
            QoS::ExactlyOnce,
            id,
            Properties::EMPTY,
        )));
    }
    let codes: Vec<(u16, u8)> = (0..3)
        .map(|_| {
            let f = c.recv();
            let Ok(Packet::PubRec(a)) = decode(&f, Role::Server) else {
                panic!("{f:02x?}")
            };
            (a.packet_id.get(), a.reason_code)
        })
        .collect();
    assert_eq!(codes, [(1, 0), (2, 0), (3, reason::QUOTA_EXCEEDED)]);
}

/// Refusals as Mosquitto 2.0.11 sends them in MQTT 5 (facts the Python
/// tests build on): a bad login is CONNACK 0x87 (not 0x86), an ACL-denied
/// publish is PUBACK / PUBREC 0x87, a session takeover closes the old
/// connection without a DISCONNECT.
#[test]
fn refusals_and_takeover() {
    let b = Mosquitto::start_with(
        "refuse",
        "allow_anonymous false\npassword_file {dir}/passwd\nacl_file {dir}/acl",
        |dir| {
            let file = dir.join("passwd");
            let ok = std::process::Command::new("mosquitto_passwd")
                .args(["-b", "-c"])
                .arg(&file)
                .args(["u", "secret"])
                .status()
                .expect("mosquitto_passwd (package mosquitto)");
            assert!(ok.success());
            std::fs::write(dir.join("acl"), "user u\ntopic readwrite ok/#\n").unwrap();
        },
    );
    let (_, f) = connect_as(b.port, "x", true, &[], None, Some(("u", "wrong")));
    assert_eq!(connack(&f).reason_code, reason::NOT_AUTHORIZED);
    let (_, f) = connect(b.port, "anon", true, &[], None);
    assert_eq!(connack(&f).reason_code, reason::NOT_AUTHORIZED);
    let (mut c, f) = connect_as(b.port, "x", true, &[], None, Some(("u", "secret")));
    assert_eq!(connack(&f).reason_code, 0);
    c.send(&Packet::Publish(publish(
        "ok/t",
        b"1",
        QoS::AtLeastOnce,
        1,
        Properties::EMPTY,
    )));
    assert_eq!(
        puback(&c.recv()).reason_code,
        reason::NO_MATCHING_SUBSCRIBERS
    );
    c.send(&Packet::Publish(publish(
        "denied",
        b"1",
        QoS::AtLeastOnce,
        2,
        Properties::EMPTY,
    )));
    assert_eq!(puback(&c.recv()).reason_code, reason::NOT_AUTHORIZED);
    c.send(&Packet::Publish(publish(
        "denied",
        b"1",
        QoS::ExactlyOnce,
        3,
        Properties::EMPTY,
    )));
    let f = c.recv();
    let Ok(Packet::PubRec(a)) = decode(&f, Role::Server) else {
        panic!("{f:02x?}")
    };
    assert_eq!(
        (a.packet_id, a.reason_code),
        (pid(3), reason::NOT_AUTHORIZED)
    );
    // Takeover: the same client id connects again.
    let (_new, f) = connect_as(b.port, "x", true, &[], None, Some(("u", "secret")));
    assert_eq!(connack(&f).reason_code, 0);
    let mut rest = Vec::new();
    let _ = c.sock.read_to_end(&mut rest);
    assert!(rest.is_empty(), "closed without DISCONNECT: {rest:02x?}");
}

/// Message expiry counts down while the broker holds a message: a retained
/// message with 30 s left, fetched over 1.2 s later, has at most 29 s left
/// (Mosquitto counts whole seconds), and more than 20 on a busy machine.
#[test]
fn message_expiry_counts_down() {
    let b = Mosquitto::start("expiry", "");
    let (mut c, _) = connect(b.port, "pub", true, &[], None);
    let mut pb = [0u8; 16];
    let p = props(
        &mut pb,
        Context::Publish,
        &[(PropertyId::MessageExpiryInterval, Value::Int(30))],
    );
    let mut m = publish("exp", b"x", QoS::AtMostOnce, 0, p);
    m.retain = true;
    c.send(&Packet::Publish(m));
    c.drain();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let (mut s, _) = connect(b.port, "sub", true, &[], None);
    subscribe(&mut s, 1, "exp", SubOptions::qos(QoS::AtMostOnce), &[]);
    let f = s.drain();
    let Ok(Packet::Publish(got)) = decode(&f[0], Role::Server) else {
        panic!("{f:02x?}")
    };
    let left = got
        .properties
        .get_int(PropertyId::MessageExpiryInterval)
        .unwrap();
    assert!((21..=29).contains(&left), "{left} s left");
}
