//! Blocking driver against a fake in-memory host (support/fake_host.rs):
//! connect, QoS 0/1/2 both ways, resume after reconnect, packet ids,
//! subscriptions, write errors.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::fake_host::*;
use support::*;
use umqtt_core::client::{Client, Host, Progress, ReadResult, ReadWait, WaitFor};
use umqtt_core::session::{Config, State};
use umqtt_core::{Error, ProtocolError, QoS};

#[test]
fn connect_writes_connect_and_returns_session_present() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    // CONNACK arrives in two pieces
    h.push(&[0x20, 2]);
    h.push(&[1, 0]);
    assert_eq!(c.connect(&mut h, &conn(false, 30), None), Ok(true));
    assert_eq!(c.session().state(), State::Connected);
    let w = h.take_writes();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0], b"\x10\x0f\x00\x04MQTT\x04\x00\x00\x1e\x00\x03cid");
    assert!(matches!(h.waits[0], ReadWait::Force(30_000)));
}

#[test]
fn connack_refused_rc_1_to_5() {
    for rc in 1..=5u8 {
        let mut c = new_client();
        let mut h = FakeHost::new();
        h.push(&[0x20, 2, 0, rc]);
        assert_eq!(
            c.connect(&mut h, &conn(true, 0), None),
            Err(Error::ConnectionRefused(rc))
        );
        assert_eq!(c.session().state(), State::Disconnected);
    }
}

#[test]
fn connect_timeout_is_bounded() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    h.silence(10_000);
    assert_eq!(
        c.connect(&mut h, &conn(true, 0), Some(2_500)),
        Err(Error::Timeout)
    );
    assert_eq!(h.now, 2_500);
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn packets_before_connack_and_second_connack() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    h.push(&publish(b"t", b"x", 0, 0, false));
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(
        c.connect(&mut h, &conn(true, 0), None),
        Err(Error::Protocol(ProtocolError::UnexpectedConnAck))
    );
    assert_eq!(c.session().state(), State::Disconnected);

    let (mut c, mut h) = connected(0);
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::Protocol(ProtocolError::UnexpectedConnAck))
    );
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::NotConnected));
}

#[test]
fn qos0_publish_is_one_write() {
    let (mut c, mut h) = connected(0);
    let payload = vec![7u8; 1000]; // forces tx to grow from 16 bytes
    assert_eq!(
        c.start_publish(&mut h, b"a/b", &payload, QoS::AtMostOnce, false),
        Ok(None)
    );
    let w = h.take_writes();
    assert_eq!(w.len(), 1);
    assert_eq!(&w[0][..8], b"\x30\xed\x07\x00\x03a/b");
    assert_eq!(w[0].len(), 1008);
    assert!(c.frames().is_empty());
}

#[test]
fn tx_that_cannot_grow_reports_buffer_too_small() {
    let mut c: Client<VecBuf, [u8; 32], VecBuf> = Client::new(
        Config::default(),
        VecBuf::new(64, 64),
        [0u8; 32],
        VecBuf::new(0, 1024),
    );
    let mut h = FakeHost::new();
    h.push(&[0x20, 2, 0, 0]);
    c.connect(&mut h, &conn(true, 0), None).unwrap();
    assert_eq!(
        c.start_publish(&mut h, b"t", &[0; 100], QoS::AtLeastOnce, false),
        Err(Error::BufferTooSmall { needed: 107 })
    );
    assert_eq!(c.session().inflight_len(), 0);
    assert_eq!(c.session().state(), State::Connected);
}

#[test]
fn qos1_publish_waits_for_puback() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    assert_eq!(id, pid(1));
    assert_eq!(
        c.frames().get(pid(1)).unwrap(),
        b"\x32\x06\x00\x01t\x00\x01m"
    );
    h.push(&ack(PUBACK, 1));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert!(c.frames().is_empty(), "acknowledged frame forgotten");
    assert_eq!(
        h.take_writes(),
        vec![b"\x32\x06\x00\x01t\x00\x01m".to_vec()]
    );
    // waiting again for a finished id returns at once
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
}

#[test]
fn qos2_publish_full_handshake() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_publish(&mut h, b"t", b"m", QoS::ExactlyOnce, true)
        .unwrap()
        .unwrap();
    h.push(&ack(PUBREC, id.get()));
    h.push(&ack(PUBCOMP, id.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    let w = h.take_writes();
    assert_eq!(
        w,
        vec![b"\x35\x06\x00\x01t\x00\x01m".to_vec(), ack(PUBREL, 1)]
    );
    assert!(c.frames().is_empty());
}

#[test]
fn messages_delivered_while_waiting_for_ack_and_acked_after_callback() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    h.take_writes();
    // message and PUBACK arrive in one read
    let mut data = publish(b"in", b"hello", 1, 77, false);
    data.extend_from_slice(&ack(PUBACK, 1));
    h.push(&data);
    assert_eq!(
        expect_message(&mut c, &mut h, WaitFor::Ack(id)),
        (b"in".to_vec(), b"hello".to_vec(), QoS::AtLeastOnce, false)
    );
    assert!(h.writes.is_empty(), "PUBACK goes out after the callback");
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 77)]);
}

#[test]
fn qos2_inbound_duplicate_delivered_once() {
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"once", 2, 7, false));
    h.push(&publish(b"t", b"once", 2, 7, true));
    h.push(&ack(PUBREL, 7));
    let (_, p, q, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((p, q), (b"once".to_vec(), QoS::ExactlyOnce));
    // the duplicate is processed but not delivered
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Ok(Progress::Packet(0x3c))
    );
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Ok(Progress::Packet(0x62))
    );
    // drain the last PUBCOMP with a non-blocking call
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert_eq!(
        h.take_writes(),
        vec![ack(PUBREC, 7), ack(PUBREC, 7), ack(PUBCOMP, 7)]
    );
}

#[test]
fn pubrel_for_unknown_id_answered_with_pubcomp() {
    let (mut c, mut h) = connected(0);
    h.push(&ack(PUBREL, 999));
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Ok(Progress::Packet(0x62))
    );
    c.disconnect(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBCOMP, 999), vec![0xe0, 0]]);
}

#[test]
fn resume_after_reconnect_with_session_present() {
    let (mut c, mut h) = connected(0);
    let a = c
        .start_publish(&mut h, b"t", b"1", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    let b = c
        .start_publish(&mut h, b"t", b"2", QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    h.push(&ack(PUBREC, b.get()));
    h.script.push_back(Act::Close);
    assert_eq!(c.run(&mut h, WaitFor::Ack(b)), Err(Error::ConnectionClosed));
    assert_eq!(c.session().state(), State::Disconnected);
    let w = h.take_writes();
    assert_eq!(w.last().unwrap(), &ack(PUBREL, 2));

    // new socket, same client, clean_session = false
    h.push(&[0x20, 2, 1, 0]);
    assert_eq!(c.connect(&mut h, &conn(false, 0), None), Ok(true));
    let w = h.take_writes();
    assert_eq!(w.len(), 3);
    assert_eq!(w[0][0], 0x10);
    assert_eq!(
        w[1], b"\x3a\x06\x00\x01t\x00\x011",
        "QoS 1 republished with DUP"
    );
    assert_eq!(w[2], ack(PUBREL, 2));
    h.push(&ack(PUBACK, a.get()));
    h.push(&ack(PUBCOMP, b.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(a)), Ok(Progress::Done));
    assert_eq!(c.run(&mut h, WaitFor::Ack(b)), Ok(Progress::Done));
    assert!(c.frames().is_empty());
    assert_eq!(c.session().inflight_len(), 0);
}

#[test]
fn clean_reconnect_forgets_stored_frames() {
    let (mut c, mut h) = connected(0);
    c.start_publish(&mut h, b"t", b"1", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!(c.frames().ids().count(), 1);
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(c.connect(&mut h, &conn(true, 0), None), Ok(false));
    assert!(c.frames().is_empty());
    assert_eq!(c.session().inflight_len(), 0);
}

#[test]
fn packet_id_wraps_past_65535_skipping_ids_in_flight() {
    let (mut c, mut h) = connected(0);
    let one = c
        .start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false)
        .unwrap();
    let two = c
        .start_publish(&mut h, b"t", b"", QoS::ExactlyOnce, false)
        .unwrap();
    assert_eq!((one, two), (Some(pid(1)), Some(pid(2))));
    c.session_mut().set_last_packet_id(65_534);
    let a = c
        .start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false)
        .unwrap();
    let b = c
        .start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!((a, b), (Some(pid(65_535)), Some(pid(3))));
    let w = h.take_writes();
    assert_eq!(&w[2][5..7], &[0xff, 0xff]);
    assert_eq!(&w[3][5..7], &[0, 3]);
    assert_eq!(c.session().last_packet_id(), 3);
}

#[test]
fn suback_refused_keeps_connection() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_subscribe(&mut h, &[(b"secret/#", QoS::AtLeastOnce)])
        .unwrap();
    h.push(&[0x90, 3, 0, id.get() as u8, 0x80]);
    assert_eq!(
        c.run(&mut h, WaitFor::Ack(id)),
        Err(Error::SubscribeRefused)
    );
    assert_eq!(c.last_suback(), &[0x80]);
    assert_eq!(c.session().state(), State::Connected);
    let id = c
        .start_subscribe(&mut h, &[(b"ok", QoS::ExactlyOnce)])
        .unwrap();
    h.push(&[0x90, 3, 0, id.get() as u8, 2]);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(c.last_suback(), &[2]);
}

#[test]
fn unsubscribe_waits_for_unsuback() {
    let (mut c, mut h) = connected(0);
    let id = c.start_unsubscribe(&mut h, &[b"a", b"b/+"]).unwrap();
    h.push(&[0xb0, 2, 0, id.get() as u8]);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(
        h.take_writes(),
        vec![b"\xa2\x0a\x00\x01\x00\x01a\x00\x03b/+".to_vec()]
    );
}

#[test]
fn published_leftover_for_other_id_forgets_its_frame() {
    let (mut c, mut h) = connected(0);
    let a = c
        .start_publish(&mut h, b"t", b"a", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    let b = c
        .start_publish(&mut h, b"t", b"b", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    h.push(&ack(PUBACK, a.get()));
    h.push(&ack(PUBACK, b.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(b)), Ok(Progress::Done));
    assert!(c.frames().is_empty());
    assert_eq!(c.run(&mut h, WaitFor::Ack(a)), Ok(Progress::Done));
}

#[test]
fn disconnect_flushes_pending_acks() {
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"m", 1, 3, false));
    expect_message(&mut c, &mut h, WaitFor::OnePacket);
    c.disconnect(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 3), vec![0xe0, 0]]);
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn messages_right_after_connack_stay_buffered() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    let mut data = vec![0x20, 2, 1, 0];
    data.extend_from_slice(&publish(b"queued", b"x", 1, 9, false));
    h.push(&data);
    assert_eq!(c.connect(&mut h, &conn(false, 0), None), Ok(true));
    h.nonblocking = true;
    let (t, _, _, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!(t, b"queued".to_vec());
}

/// A host whose writes fail after the first `ok` writes.
struct BrokenPipe {
    inner: FakeHost,
    ok: usize,
}

impl Host for BrokenPipe {
    fn now_ms(&mut self) -> u64 {
        self.inner.now_ms()
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.ok == 0 {
            return Err(Error::Io(32));
        }
        self.ok -= 1;
        self.inner.write(data)
    }
    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        self.inner.read(buf, wait)
    }
}

#[test]
fn write_error_ends_connection_but_keeps_message() {
    let mut c = new_client();
    let mut h = BrokenPipe {
        inner: FakeHost::new(),
        ok: 1,
    };
    h.inner.push(&[0x20, 2, 0, 0]);
    c.connect(&mut h, &conn(false, 0), None).unwrap();
    let r = c.start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false);
    assert_eq!(r, Err(Error::Io(32)));
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(c.session().inflight_len(), 1);
    assert!(c.frames().get(pid(1)).is_some());
    // reconnect: the message goes out (with DUP) on the new connection
    h.ok = 10;
    h.inner.push(&[0x20, 2, 0, 0]);
    c.connect(&mut h, &conn(false, 0), None).unwrap();
    assert_eq!(
        h.inner.writes.last().unwrap(),
        b"\x3a\x06\x00\x01t\x00\x01m"
    );
}

#[test]
fn requests_that_take_a_packet_id() {
    use umqtt_core::client::{Op, Request};
    let publish = |qos| Op::Publish {
        topic: b"t",
        payload: b"m",
        qos,
        retain: false,
    };
    // What umqtt.simple's `pid` counts: all but a QoS 0 publish.
    assert!(!Request::new(publish(QoS::AtMostOnce)).uses_packet_id());
    assert!(Request::new(publish(QoS::AtLeastOnce)).uses_packet_id());
    assert!(Request::new(publish(QoS::ExactlyOnce)).uses_packet_id());
    assert!(Request::new(Op::Subscribe(b"t", QoS::AtMostOnce)).uses_packet_id());
    assert!(Request::new(Op::Unsubscribe(b"t")).uses_packet_id());
    assert!(Request::new(Op::Resubscribe).uses_packet_id());
}
