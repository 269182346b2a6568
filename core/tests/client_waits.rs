//! Blocking driver against a fake in-memory host: everything about
//! waiting -- retransmission, response timeouts, keepalive, non-blocking
//! sockets, partial and oversized frames.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::fake_host::*;
use support::*;
use umqtt_core::client::{Client, Progress, ReadWait, WaitFor};
use umqtt_core::session::{Config, State};
use umqtt_core::{Error, ProtocolError, QoS};

#[test]
fn retransmission_with_dup_after_retransmit_ms() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    h.silence(10_500);
    h.push(&ack(PUBACK, 1));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    let w = h.take_writes();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0][0], 0x32);
    assert_eq!(w[1][0], 0x3a, "DUP set on the retransmission");
    assert_eq!(w[1][1..], w[0][1..]);
    assert_eq!(h.now, 10_500);
    // waits bounded by the retransmission schedule
    assert_eq!(
        h.waits,
        vec![ReadWait::Force(10_000), ReadWait::Force(10_000)]
    );
}

#[test]
fn qos_ack_response_timeout() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Err(Error::Timeout));
    assert_eq!(h.now, 30_000);
    assert_eq!(h.take_writes().len(), 3, "original + 2 retransmissions");
    assert_eq!(c.session().state(), State::Disconnected);
    assert!(
        c.frames().get(pid(1)).is_some(),
        "kept for the next session"
    );
}

#[test]
fn subscribe_timeout() {
    let (mut c, mut h) = connected(0);
    c.session_mut().config_mut().response_timeout_ms = 1_000;
    let id = c
        .start_subscribe(&mut h, &[(b"a", QoS::AtMostOnce)])
        .unwrap();
    h.silence(5_000);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Err(Error::Timeout));
    assert_eq!(h.now, 1_000);
}

#[test]
fn keepalive_ping_at_three_quarters_then_ping_timeout() {
    let (mut c, mut h) = connected(4);
    // blocking wait_msg: the wait is bounded by the ping schedule
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::PingTimeout));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    assert_eq!(
        h.waits,
        vec![ReadWait::Socket(Some(3_000)), ReadWait::Socket(Some(2_000))]
    );
    assert_eq!(h.now, 5_000);
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn keepalive_ping_answered() {
    // spec/PYAPI.md "wait_msg": the PINGRESP of an automatic ping does not
    // end a blocking wait_msg(); it goes on to the next packet.
    let (mut c, mut h) = connected(4);
    h.silence(3_100);
    h.push(&PINGRESP);
    h.push(&[0x30, 4, 0, 1, b'a', b'x']);
    match c.run(&mut h, WaitFor::OnePacket) {
        Ok(Progress::Message(m)) => {
            assert_eq!((m.topic, m.payload), (&b"a"[..], &b"x"[..]));
            assert_eq!(umqtt_core::client::publish_first_byte(&m), 0x30);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    assert_eq!(c.session().next_deadline(), Some(3_000 + 3_000));
}

#[test]
fn explicit_ping_answer_ends_wait_msg() {
    let (mut c, mut h) = connected(4);
    c.ping(&mut h).unwrap();
    h.push(&PINGRESP);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    // The next PINGRESP (of an automatic ping) is ours again.
    h.silence(3_100);
    h.push(&PINGRESP);
    h.push(&[0x30, 4, 0, 1, b'a', b'x']);
    assert!(matches!(
        c.run(&mut h, WaitFor::OnePacket),
        Ok(Progress::Message(_))
    ));
}

#[test]
fn check_msg_sends_due_ping_and_detects_timeout() {
    let (mut c, mut h) = connected(2);
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert!(h.writes.is_empty());
    h.now = 1_500;
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    h.now = 2_499;
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    h.now = 2_500;
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Err(Error::PingTimeout));
    assert!(h.waits.iter().all(|w| *w == ReadWait::Poll));
}

#[test]
fn explicit_ping_does_not_wait() {
    let (mut c, mut h) = connected(0);
    assert_eq!(c.ping(&mut h), Ok(()));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    assert!(h.waits.is_empty());
    h.push(&PINGRESP);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
}

#[test]
fn one_packet_on_nonblocking_socket_keeps_partial_frame() {
    let (mut c, mut h) = connected(0);
    h.nonblocking = true;
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    let f = publish(b"topic", b"payload", 0, 0, false);
    h.push(&f[..5]);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    assert_eq!(c.framer().buffered(), 5);
    h.push(&f[5..]);
    let (t, p, _, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((t, p), (b"topic".to_vec(), b"payload".to_vec()));
    assert_eq!(c.framer().buffered(), 0);
}

#[test]
fn nonblocking_never_blocks() {
    let (mut c, mut h) = connected(60);
    h.waits.clear();
    // a blocking socket and a broker that sends byte by byte with pauses
    h.max_read = Some(1);
    let f = publish(b"t", b"p", 1, 5, false);
    for b in &f {
        h.push(&[*b]);
        h.silence(1_000);
    }
    let mut got = None;
    for _ in 0..100 {
        match c.run(&mut h, WaitFor::NonBlocking).unwrap() {
            Progress::Idle => h.script.pop_front().map(|_| ()).unwrap_or(()),
            Progress::Message(m) => {
                got = Some(m.payload.to_vec());
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, Some(b"p".to_vec()));
    assert!(h.waits.iter().all(|w| *w == ReadWait::Poll));
    assert_eq!(h.now, 0, "no time passed inside the client");
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 5)]);
}

#[test]
fn frame_too_large_skipped_and_connection_still_works() {
    // receive buffer fixed at 32 bytes
    let mut c: Client<[u8; 32], VecBuf, VecBuf> = Client::new(
        Config::default(),
        [0u8; 32],
        VecBuf::new(64, 1024),
        VecBuf::new(0, 1024),
    );
    let mut h = FakeHost::new();
    h.push(&[0x20, 2, 0, 0]);
    c.connect(&mut h, &conn(true, 0), None).unwrap();
    let big = publish(b"big", &[1; 100], 0, 0, false);
    h.push(&big);
    h.push(&publish(b"small", b"ok", 0, 0, false));
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::FrameTooLarge { len: big.len() })
    );
    assert_eq!(c.session().state(), State::Connected);
    let (t, p, _, _) = match c.run(&mut h, WaitFor::OnePacket) {
        Ok(Progress::Message(m)) => (m.topic.to_vec(), m.payload.to_vec(), m.qos, m.dup),
        other => panic!("{other:?}"),
    };
    assert_eq!((t, p), (b"small".to_vec(), b"ok".to_vec()));

    // while waiting for an ack the oversized frame is skipped silently
    let id = c
        .start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    h.push(&big);
    h.push(&ack(PUBACK, id.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
}

#[test]
fn growable_rx_takes_big_frames() {
    let (mut c, mut h) = connected(0);
    let payload = vec![9u8; 5_000];
    h.push(&publish(b"big", &payload, 0, 0, false));
    let (_, p, _, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!(p, payload);
}

#[test]
fn connection_closed_while_waiting() {
    let (mut c, mut h) = connected(0);
    h.script.push_back(Act::Close);
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::ConnectionClosed)
    );
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(
        c.start_publish(&mut h, b"t", b"", QoS::AtMostOnce, false),
        Err(Error::NotConnected)
    );
}

#[test]
fn malformed_remaining_length_is_fatal() {
    let (mut c, mut h) = connected(0);
    h.push(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::Protocol(ProtocolError::MalformedRemainingLength))
    );
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn pings_sent_during_a_long_ack_wait() {
    let (mut c, mut h) = connected(2);
    c.session_mut().config_mut().retransmit_ms = 0;
    let id = c
        .start_subscribe(&mut h, &[(b"slow", QoS::AtMostOnce)])
        .unwrap();
    h.take_writes();
    h.silence(1_600);
    h.push(&PINGRESP);
    h.silence(1_600);
    h.push(&PINGRESP);
    h.push(&[0x90, 3, 0, id.get() as u8, 0]);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec(), PINGREQ.to_vec()]);
}

#[test]
fn several_frames_in_one_read_are_all_handled_before_reading_again() {
    let (mut c, mut h) = connected(0);
    let a = c
        .start_publish(&mut h, b"t", b"a", QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    let mut data = ack(PUBREC, a.get());
    data.extend_from_slice(&ack(PUBREL, 500));
    data.extend_from_slice(&PINGRESP);
    data.extend_from_slice(&ack(PUBCOMP, a.get()));
    h.push(&data);
    assert_eq!(c.run(&mut h, WaitFor::Ack(a)), Ok(Progress::Done));
    assert_eq!(h.waits.len(), 1, "one read, four frames");
    assert_eq!(
        h.take_writes()[1..],
        [ack(PUBREL, a.get()), ack(PUBCOMP, 500)]
    );
}
