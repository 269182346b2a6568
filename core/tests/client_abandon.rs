//! `Client::abandon_message`: a binding that cannot copy a delivered message
//! out (out of memory) ends the connection without acknowledging it, and
//! the broker's redelivery after a reconnect reaches the application.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::fake_host::*;
use support::*;
use umqtt_core::client::{Progress, WaitFor};
use umqtt_core::session::State;
use umqtt_core::{Error, QoS};

/// Reconnect with clean_session = false; the broker kept the session.
fn resume(c: &mut C, h: &mut FakeHost) {
    h.push(&[0x20, 2, 1, 0]);
    assert_eq!(c.connect(h, &conn(false, 0), None), Ok(true));
    h.take_writes();
}

#[test]
fn abandoned_qos1_message_is_not_acknowledged_and_comes_again() {
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"big", 1, 9, false));
    let (_, p, q, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((p, q), (b"big".to_vec(), QoS::AtLeastOnce));
    c.abandon_message();
    assert_eq!(c.session().state(), State::Disconnected);
    // Neither a flush nor a later call sends the PUBACK.
    assert_eq!(c.flush(&mut h), Ok(()));
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::NotConnected));
    assert!(h.take_writes().is_empty());

    resume(&mut c, &mut h);
    h.push(&publish(b"t", b"big", 1, 9, true));
    let (_, p, _, dup) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((p, dup), (b"big".to_vec(), true));
    c.flush(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 9)]);
}

#[test]
fn abandoned_qos2_message_is_delivered_again_not_taken_for_a_duplicate() {
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"two", 2, 5, false));
    expect_message(&mut c, &mut h, WaitFor::OnePacket);
    c.abandon_message();
    assert_eq!(c.session().inbound_len(), 0);
    assert!(h.take_writes().is_empty(), "no PUBREC");

    resume(&mut c, &mut h);
    h.push(&publish(b"t", b"two", 2, 5, true));
    h.push(&ack(PUBREL, 5));
    let (_, p, q, dup) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((p, q, dup), (b"two".to_vec(), QoS::ExactlyOnce, true));
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Ok(Progress::Packet(0x62))
    );
    c.flush(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBREC, 5), ack(PUBCOMP, 5)]);
}

#[test]
fn abandon_after_the_acknowledgement_went_out_keeps_the_qos2_id() {
    // Misuse (too late): the PUBREC is already sent, so the id must stay
    // recorded or a resent PUBLISH would be delivered twice.
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"two", 2, 5, false));
    expect_message(&mut c, &mut h, WaitFor::OnePacket);
    c.flush(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBREC, 5)]);
    c.abandon_message();
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(c.session().inbound_len(), 1);

    resume(&mut c, &mut h);
    h.push(&publish(b"t", b"two", 2, 5, true));
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Ok(Progress::Packet(0x3c))
    );
}

#[test]
fn abandon_drops_only_the_connection_not_outbound_messages() {
    let (mut c, mut h) = connected(0);
    let id = c
        .start_publish(&mut h, b"out", b"m", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    h.take_writes();
    h.push(&publish(b"t", b"in", 1, 3, false));
    expect_message(&mut c, &mut h, WaitFor::Ack(id));
    c.abandon_message();
    assert_eq!(c.session().inflight_len(), 1);
    h.push(&[0x20, 2, 1, 0]);
    assert_eq!(c.connect(&mut h, &conn(false, 0), None), Ok(true));
    let w = h.take_writes();
    // CONNECT, then the outbound message again (DUP); no PUBACK for id 3.
    assert_eq!(w.len(), 2);
    assert_eq!(w[1][0], 0x3a);
}
