//! MQTT 5 through the blocking Client and its Request (what the bindings
//! call) against a real Mosquitto 2: connect with properties and an
//! assigned id, publish outcomes (0x10, an ACL refusal 0x87 that leaves the
//! connection up), subscribe with options, a message's properties, a will
//! with properties sent by DISCONNECT reason 0x04, and a bad login.
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::time::{Duration, Instant};

use support::mosquitto::Mosquitto;
use support::tcp_host::TcpHost;
use support::VecBuf;
use umqtt_core::client::{Client, Op, Progress, Request, WaitFor};
use umqtt_core::codec::v5::{
    Connect, Context, Properties, PropertyBuilder, PropertyId, Role, SubOptions, Value, Will,
};
use umqtt_core::session::Config;
use umqtt_core::{Error, QoS};

type C = Client<VecBuf, VecBuf, VecBuf>;

fn client() -> C {
    Client::new(
        Config::default(),
        VecBuf::new(64, 1 << 20),
        VecBuf::new(64, 1 << 20),
        VecBuf::new(0, 1 << 20),
    )
}

fn props<'b>(buf: &'b mut [u8], ctx: Context, items: &[(&str, Value<'_>)]) -> Properties<'b> {
    let mut b = PropertyBuilder::new(buf, ctx, Role::Client);
    for (name, v) in items {
        b.push_named(name, *v).unwrap();
    }
    b.finish()
}

fn connect_pkt(id: &str) -> Connect<'_> {
    Connect {
        client_id: id.as_bytes(),
        keepalive: 30,
        clean_start: true,
        username: None,
        password: None,
        will: None,
        properties: Properties::EMPTY,
    }
}

/// Run `req` to its end, collecting messages (topic, payload, properties
/// as `(name, value)`) that arrive meanwhile.
fn perform(
    c: &mut C,
    h: &mut TcpHost,
    mut req: Request<'_>,
    got: &mut Vec<(Vec<u8>, Vec<u8>, Vec<String>)>,
) -> Result<(), Error> {
    loop {
        match c.request(h, &mut req)? {
            Progress::Message(m) => {
                let (t, p) = (m.topic.to_vec(), m.payload.to_vec());
                let pr = c
                    .last_properties()
                    .iter()
                    .map(|(id, v)| format!("{}={v:?}", id.name()))
                    .collect();
                got.push((t, p, pr));
                c.flush(h)?;
            }
            _ => return Ok(()),
        }
    }
}

/// Messages within `ms`.
fn collect(c: &mut C, h: &mut TcpHost, ms: u64) -> Vec<(Vec<u8>, Vec<String>)> {
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < end {
        let p = c.run(h, WaitFor::NonBlocking).unwrap();
        if p == Progress::Idle {
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Progress::Message(m) = p {
            let t = m.topic.to_vec();
            let pr = c
                .last_properties()
                .iter()
                .map(|(id, v)| format!("{}={v:?}", id.name()))
                .collect();
            got.push((t, pr));
            c.flush(h).unwrap();
        }
    }
    got
}

#[test]
fn requests_complete_with_reason_codes_and_an_acl_refusal_keeps_the_connection() {
    let b = Mosquitto::with_login("client5-acl", Some("user u\ntopic readwrite ok/#\n"));
    let mut c = client();
    let mut h = TcpHost::connect(b.port);
    let bad = Connect {
        username: Some(b"u"),
        password: Some(b"wrong"),
        ..connect_pkt("")
    };
    assert_eq!(
        c.connect_v5(&mut h, &bad, Some(5_000)),
        Err(Error::ConnectionRefused(0x87)),
        "Mosquitto 2.0.11: a bad login is 0x87, not 0x86"
    );
    let mut h = TcpHost::connect(b.port);
    let good = Connect {
        password: Some(b"secret"),
        ..bad
    };
    assert!(!c.connect_v5(&mut h, &good, Some(5_000)).unwrap());
    let assigned = c.assigned_client_identifier().unwrap().to_string();
    assert!(!assigned.is_empty(), "empty id: the broker assigned one");

    let mut got = Vec::new();
    let publish = |topic: &'static str, qos| {
        Request::new(Op::PublishV5 {
            topic: topic.as_bytes(),
            payload: b"m",
            qos,
            retain: false,
            properties: Properties::EMPTY,
        })
    };
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        perform(&mut c, &mut h, publish("denied/x", qos), &mut got)
            .map(|()| panic!("ACL refusal expected"))
            .unwrap_or_else(|e| assert_eq!(e, Error::Refused(0x87), "{qos:?}"));
        let r = Error::Refused(0x87).report();
        assert_eq!(r.code, 0x87);
        assert!(!c.lost(), "a refused publish leaves the connection up");
    }
    perform(&mut c, &mut h, publish("ok/x", QoS::AtLeastOnce), &mut got).unwrap();
    assert_eq!(c.last_outcome(), Ok(0x10), "no matching subscribers");
    // What the application's call returns: the ack's code, none for QoS 0.
    let op = Op::PublishV5 {
        topic: b"ok/x",
        payload: b"m",
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Properties::EMPTY,
    };
    assert_eq!(c.reply_code(&Request::new(op)), Some(0x10));
    let qos0 = Op::PublishV5 {
        topic: b"ok/x",
        payload: b"m",
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Properties::EMPTY,
    };
    assert_eq!(c.reply_code(&Request::new(qos0)), None);

    // Subscribe with options and a subscription identifier, get our own
    // message back with its properties.
    let filters = [(&b"ok/#"[..], SubOptions::qos(QoS::AtLeastOnce))];
    let mut buf = [0u8; 16];
    let sp = props(
        &mut buf,
        Context::Subscribe,
        &[("subscription_identifier", Value::Int(5))],
    );
    let sub = Request::new(Op::SubscribeV5 {
        filters: &filters,
        properties: sp,
    });
    perform(&mut c, &mut h, sub, &mut got).unwrap();
    assert_eq!(c.last_suback(), [1]);
    let mut buf = [0u8; 64];
    let pp = props(
        &mut buf,
        Context::Publish,
        &[
            ("user_property", Value::Pair("k", "v1")),
            ("user_property", Value::Pair("k", "v2")),
            ("message_expiry_interval", Value::Int(60)),
        ],
    );
    let req = Request::new(Op::PublishV5 {
        topic: b"ok/y",
        payload: b"hello",
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: pp,
    });
    perform(&mut c, &mut h, req, &mut got).unwrap();
    assert_eq!(c.last_outcome(), Ok(0));
    if got.is_empty() {
        got.extend(
            collect(&mut c, &mut h, 500)
                .into_iter()
                .map(|(t, p)| (t, b"hello".to_vec(), p)),
        );
    }
    assert_eq!(got.len(), 1, "{got:?}");
    let (topic, payload, pr) = &got[0];
    assert_eq!(
        (topic.as_slice(), payload.as_slice()),
        (&b"ok/y"[..], &b"hello"[..])
    );
    assert!(
        pr.contains(&"subscription_identifier=Int(5)".to_string()),
        "{pr:?}"
    );
    let users: Vec<_> = pr
        .iter()
        .filter(|p| p.starts_with("user_property"))
        .collect();
    assert_eq!(
        users,
        [
            r#"user_property=Pair("k", "v1")"#,
            r#"user_property=Pair("k", "v2")"#
        ]
    );
    assert!(
        pr.iter()
            .any(|p| p.starts_with("message_expiry_interval=Int(")),
        "{pr:?}"
    );
    let unsub = Request::new(Op::UnsubscribeV5 {
        filters: &[b"ok/#", b"ok/none"],
        properties: Properties::EMPTY,
    });
    perform(&mut c, &mut h, unsub, &mut got).unwrap();
    assert_eq!(c.last_suback(), [0, 0x11]);
    assert_eq!(
        c.reply_code(&Request::new(Op::Unsubscribe(b"ok/#"))),
        Some(0)
    );
    c.disconnect_v5(&mut h, 0, Properties::EMPTY).unwrap();
}

#[test]
fn a_will_with_properties_sent_by_disconnect_reason_4() {
    let b = Mosquitto::start("client5-will", "");
    let mut watcher = client();
    let mut wh = TcpHost::connect(b.port);
    watcher
        .connect_v5(&mut wh, &connect_pkt("watcher"), Some(5_000))
        .unwrap();
    let f = [(&b"will/#"[..], SubOptions::qos(QoS::AtLeastOnce))];
    watcher
        .start_subscribe_v5(&mut wh, &f, Properties::EMPTY)
        .and_then(|id| watcher.run(&mut wh, WaitFor::Ack(id)).map(|_| ()))
        .unwrap();

    let mut buf = [0u8; 64];
    let wp = props(
        &mut buf,
        Context::Will,
        &[
            ("content_type", Value::Str("text/plain")),
            ("user_property", Value::Pair("why", "gone")),
        ],
    );
    let will = Will {
        topic: b"will/a",
        payload: b"bye",
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: wp,
    };
    let mut c = client();
    let mut h = TcpHost::connect(b.port);
    let pkt = Connect {
        will: Some(will),
        ..connect_pkt("willing")
    };
    c.connect_v5(&mut h, &pkt, Some(5_000)).unwrap();
    // 0x04: disconnect with will message.
    c.disconnect_v5(&mut h, 0x04, Properties::EMPTY).unwrap();
    let got = collect(&mut watcher, &mut wh, 1000);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, b"will/a");
    assert!(got[0]
        .1
        .contains(&r#"content_type=Str("text/plain")"#.to_string()));
    assert!(got[0]
        .1
        .contains(&r#"user_property=Pair("why", "gone")"#.to_string()));

    // Reason 0: no will.
    let mut h = TcpHost::connect(b.port);
    c.connect_v5(&mut h, &pkt, Some(5_000)).unwrap();
    c.disconnect_v5(&mut h, 0, Properties::EMPTY).unwrap();
    assert!(collect(&mut watcher, &mut wh, 500).is_empty());
    assert_eq!(
        watcher
            .connack_properties()
            .get_int(PropertyId::ReceiveMaximum),
        Some(20),
        "Mosquitto 2.0.11's default max_inflight_messages"
    );
}
