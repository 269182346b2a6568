//! The blocking driver against a real Mosquitto 2 (started here on a free
//! loopback port with its own config) over a std TCP socket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::time::{Duration, Instant};

use support::broker::Broker;
use support::tcp_host::TcpHost;
use support::{conn, VecBuf};
use umqtt_core::client::{Client, Progress, WaitFor};
use umqtt_core::codec::Connect;
use umqtt_core::session::Config;
use umqtt_core::{PacketId, QoS};

type C = Client<VecBuf, VecBuf, VecBuf>;

fn connect(port: u16, id: &'static [u8], clean: bool) -> (C, TcpHost, bool) {
    let mut c: C = Client::new(
        Config::default(),
        VecBuf::new(64, 1 << 20),
        VecBuf::new(64, 1 << 20),
        VecBuf::new(0, 1 << 20),
    );
    let mut h = TcpHost::connect(port);
    let c_pkt = Connect {
        client_id: id,
        keepalive: 10,
        ..conn(clean, 10)
    };
    let sp = c.connect(&mut h, &c_pkt, Some(5_000)).unwrap();
    (c, h, sp)
}

type Got = Vec<(Vec<u8>, Vec<u8>, QoS)>;

/// Wait for `id`, collecting messages delivered meanwhile.
fn wait_ack(c: &mut C, h: &mut TcpHost, id: PacketId, got: &mut Got) {
    loop {
        match c.run(h, WaitFor::Ack(id)).unwrap() {
            Progress::Done => return,
            Progress::Message(m) => got.push((m.topic.to_vec(), m.payload.to_vec(), m.qos)),
            other => panic!("{other:?}"),
        }
    }
}

fn collect(c: &mut C, h: &mut TcpHost, got: &mut Got, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < n {
        assert!(Instant::now() < deadline, "messages missing: {got:?}");
        match c.run(h, WaitFor::OnePacket).unwrap() {
            Progress::Message(m) => got.push((m.topic.to_vec(), m.payload.to_vec(), m.qos)),
            Progress::Packet(_) | Progress::Idle => {}
            Progress::Done => panic!("unexpected Done"),
        }
    }
}

#[test]
fn qos_0_1_2_roundtrip_through_mosquitto() {
    let b = Broker::start("roundtrip");
    let (mut c, mut h, sp) = connect(b.port, b"umqtt-rt", true);
    assert!(!sp);
    let sub = c
        .start_subscribe(&mut h, &[(b"rt/#", QoS::ExactlyOnce)])
        .unwrap();
    let mut got = Got::new();
    wait_ack(&mut c, &mut h, sub, &mut got);
    assert_eq!(c.last_suback(), &[2]);
    let big = vec![b'z'; 100_000];
    for (qos, payload) in [
        (QoS::AtMostOnce, &b"zero"[..]),
        (QoS::AtLeastOnce, b"one"),
        (QoS::ExactlyOnce, b"two"),
        (QoS::ExactlyOnce, &big),
    ] {
        if let Some(id) = c
            .start_publish(&mut h, b"rt/x", payload, qos, false)
            .unwrap()
        {
            wait_ack(&mut c, &mut h, id, &mut got);
        }
    }
    collect(&mut c, &mut h, &mut got, 4);
    got.sort_by_key(|g| g.1.len());
    assert_eq!(
        got[0],
        (b"rt/x".to_vec(), b"one".to_vec(), QoS::AtLeastOnce)
    );
    assert_eq!(
        got[1],
        (b"rt/x".to_vec(), b"two".to_vec(), QoS::ExactlyOnce)
    );
    assert_eq!(
        got[2],
        (b"rt/x".to_vec(), b"zero".to_vec(), QoS::AtMostOnce)
    );
    assert_eq!(got[3].1, big);
    assert!(c.frames().is_empty());
    // an unsubscribe, a ping and its answer, then a clean disconnect
    let un = c.start_unsubscribe(&mut h, &[b"rt/#"]).unwrap();
    wait_ack(&mut c, &mut h, un, &mut got);
    c.ping(&mut h).unwrap();
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    c.disconnect(&mut h).unwrap();
    assert_eq!(c.session().inflight_len(), 0);
    assert_eq!(c.session().inbound_len(), 0);
}

#[test]
fn persistent_session_resumes_with_queued_message() {
    let b = Broker::start("resume");
    let (mut a, mut ha, _) = connect(b.port, b"umqtt-resume", true);
    a.disconnect(&mut ha).unwrap();
    let (mut a, mut ha, sp) = connect(b.port, b"umqtt-resume", false);
    assert!(!sp);
    let sub = a
        .start_subscribe(&mut ha, &[(b"queue/me", QoS::AtLeastOnce)])
        .unwrap();
    wait_ack(&mut a, &mut ha, sub, &mut Got::new());
    a.disconnect(&mut ha).unwrap();
    drop(ha);

    let (mut p, mut hp, _) = connect(b.port, b"umqtt-pub", true);
    let id = p
        .start_publish(&mut hp, b"queue/me", b"while away", QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    wait_ack(&mut p, &mut hp, id, &mut Got::new());

    // Same Client object, new socket, clean_session = false.
    let mut ha = TcpHost::connect(b.port);
    let c_pkt = Connect {
        client_id: b"umqtt-resume",
        ..conn(false, 10)
    };
    assert_eq!(a.connect(&mut ha, &c_pkt, Some(5_000)), Ok(true));
    let mut got = Got::new();
    collect(&mut a, &mut ha, &mut got, 1);
    assert_eq!(
        got[0],
        (
            b"queue/me".to_vec(),
            b"while away".to_vec(),
            QoS::AtLeastOnce
        )
    );
}
