//! The subscriber side of a broker restart, packet by packet, as Mosquitto
//! 2.0.11 played it in tests/test_reconnect.py (see tests/test_broker_restore.py):
//! the session must keep inbound QoS 2 ids across the reconnect, answer
//! resent PUBRELs, and take a PUBLISH whose id it had already released as a
//! new message (MQTT 3.1.1 4.3.3 method B: after PUBCOMP the id is free).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::session::*;
use support::*;
use umqtt_core::session::Event;
use umqtt_core::QoS;

/// Reconnect with the session kept by the broker.
fn resume(s: &mut S, now: u64) {
    s.connection_lost();
    let mut buf = [0u8; 64];
    s.connect(&conn(false, 0), now, &mut buf).unwrap();
    assert_eq!(
        s.handle_frame(&[0x20, 2, 1, 0], now).unwrap(),
        Event::Connected {
            session_present: true
        }
    );
}

fn delivered(e: Event<'_>) -> bool {
    matches!(e, Event::Message(m) if m.qos == QoS::ExactlyOnce)
}

#[test]
fn broker_restart_with_qos2_in_every_state() {
    let mut s = connected();
    // 1: PUBREC sent, no PUBREL yet. 2: PUBREL answered with PUBCOMP, which
    // the broker never read before it stopped.
    for id in [1, 2] {
        assert!(delivered(
            s.handle_frame(&publish(b"t", b"m", 2, id, false), 0)
                .unwrap()
        ));
    }
    assert_eq!(s.handle_frame(&ack(PUBREL, 2), 0).unwrap(), Event::Nothing);
    assert_eq!(
        drain(&mut s, 0),
        vec![ack(PUBREC, 1), ack(PUBREC, 2), ack(PUBCOMP, 2)]
    );
    assert_eq!(s.inbound_len(), 1);

    resume(&mut s, 1_000);
    // A broker that restored its state: PUBLISH DUP for 1 (still held: a
    // duplicate, PUBREC again), PUBREL for 2 (PUBCOMP again, nothing delivered).
    assert_eq!(
        s.handle_frame(&publish(b"t", b"m", 2, 1, true), 1_000)
            .unwrap(),
        Event::Nothing
    );
    assert_eq!(
        s.handle_frame(&ack(PUBREL, 2), 1_000).unwrap(),
        Event::Nothing
    );
    assert_eq!(drain(&mut s, 1_000), vec![ack(PUBREC, 1), ack(PUBCOMP, 2)]);
    assert_eq!(
        s.handle_frame(&ack(PUBREL, 1), 1_000).unwrap(),
        Event::Nothing
    );
    assert_eq!(drain(&mut s, 1_000), vec![ack(PUBCOMP, 1)]);
    assert_eq!(s.inbound_len(), 0);

    // Mosquitto 2.0.11 with more than max_inflight_messages in flight: it
    // resends a message we completed as PUBLISH DUP. Its id was released, so
    // the session cannot tell it from a new message and must deliver it.
    resume(&mut s, 2_000);
    assert!(delivered(
        s.handle_frame(&publish(b"t", b"m", 2, 2, true), 2_000)
            .unwrap()
    ));
    assert_eq!(drain(&mut s, 2_000), vec![ack(PUBREC, 2)]);
}
