//! Session state machine tests: frames from the "broker" are built by hand
//! (tests/support), and what the session wants sent is compared byte for
//! byte.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::session::*;
use support::*;
use umqtt_core::codec::Publish;
use umqtt_core::session::{Config, Event, Session, State};
use umqtt_core::{Error, ProtocolError, QoS};

#[test]
fn connect_encodes_and_connack_connects() {
    let mut s = S::new(Config::default());
    assert_eq!(s.state(), State::Disconnected);
    let mut buf = [0u8; 64];
    let n = s.connect(&conn(true, 60), 0, &mut buf).unwrap();
    assert_eq!(buf[0], 0x10);
    assert_eq!(&buf[2..n], b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x03cid");
    assert_eq!(s.state(), State::Connecting);
    assert_eq!(s.keepalive(), 60);
    assert_eq!(s.next_deadline(), Some(30_000));
    assert_eq!(
        s.handle_frame(&[0x20, 2, 1, 0], 5).unwrap(),
        Event::Connected {
            session_present: true
        }
    );
    assert_eq!(s.state(), State::Connected);
}

#[test]
fn connect_buffer_too_small_changes_nothing() {
    let mut s = S::new(Config::default());
    let mut buf = [0u8; 4];
    assert!(matches!(
        s.connect(&conn(true, 0), 0, &mut buf),
        Err(Error::BufferTooSmall { .. })
    ));
    assert_eq!(s.state(), State::Disconnected);
}

#[test]
fn connack_refused_rc_1_to_5() {
    for rc in 1..=5u8 {
        let mut s = S::new(Config::default());
        let mut buf = [0u8; 64];
        s.connect(&conn(true, 0), 0, &mut buf).unwrap();
        assert_eq!(
            s.handle_frame(&[0x20, 2, 0, rc], 0),
            Err(Error::ConnectionRefused(rc))
        );
        assert_eq!(s.state(), State::Disconnected);
    }
    // rc 6 is not a valid CONNACK at all
    let mut s = S::new(Config::default());
    let mut buf = [0u8; 64];
    s.connect(&conn(true, 0), 0, &mut buf).unwrap();
    assert!(matches!(
        s.handle_frame(&[0x20, 2, 0, 6], 0),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn packets_before_connack_and_second_connack() {
    for frame in [
        publish(b"a", b"b", 0, 0, false),
        ack(PUBACK, 1),
        vec![0xd0, 0],
    ] {
        let mut s = S::new(Config::default());
        let mut buf = [0u8; 64];
        s.connect(&conn(true, 0), 0, &mut buf).unwrap();
        assert_eq!(
            s.handle_frame(&frame, 0),
            Err(Error::Protocol(ProtocolError::UnexpectedConnAck))
        );
        assert_eq!(s.state(), State::Disconnected);
    }
    let mut s = connected();
    assert_eq!(
        s.handle_frame(&[0x20, 2, 0, 0], 0),
        Err(Error::Protocol(ProtocolError::UnexpectedConnAck))
    );
    assert_eq!(s.state(), State::Disconnected);
}

#[test]
fn frames_while_disconnected_are_refused() {
    let mut s = S::new(Config::default());
    assert_eq!(s.handle_frame(&[0xd0, 0], 0), Err(Error::NotConnected));
    let mut buf = [0u8; 64];
    assert_eq!(
        s.publish(b"t", b"", QoS::AtMostOnce, false, 0, &mut buf),
        Err(Error::NotConnected)
    );
    assert_eq!(s.ping(0, &mut buf), Err(Error::NotConnected));
}

#[test]
fn qos0_out_and_in() {
    let mut s = connected();
    let mut buf = [0u8; 64];
    let (n, id) = s
        .publish(b"a/b", b"hi", QoS::AtMostOnce, true, 0, &mut buf)
        .unwrap();
    assert_eq!(id, None);
    assert_eq!(&buf[..n], b"\x31\x07\x00\x03a/bhi");
    assert_eq!(s.inflight_len(), 0);
    let f = publish(b"x", b"yz", 0, 0, false);
    let Event::Message(m) = s.handle_frame(&f, 0).unwrap() else {
        panic!()
    };
    assert_eq!(
        (m.topic, m.payload, m.qos),
        (&b"x"[..], &b"yz"[..], QoS::AtMostOnce)
    );
    assert!(drain(&mut s, 0).is_empty());
}

#[test]
fn invalid_topic_rejected_before_state() {
    let mut s = S::new(Config::default());
    let mut buf = [0u8; 64];
    assert!(matches!(
        s.publish(b"a/+", b"", QoS::AtMostOnce, false, 0, &mut buf),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        s.subscribe(&[], 0, &mut buf),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn qos1_out_puback_and_duplicate_puback() {
    let mut s = connected();
    let mut buf = [0u8; 64];
    let (n, id) = s
        .publish(b"t", b"x", QoS::AtLeastOnce, false, 0, &mut buf)
        .unwrap();
    assert_eq!(id, Some(pid(1)));
    assert_eq!(&buf[..n], b"\x32\x06\x00\x01t\x00\x01x");
    assert!(s.is_inflight(pid(1)));
    assert_eq!(s.last_packet_id(), 1);
    assert_eq!(
        s.handle_frame(&ack(PUBACK, 1), 1).unwrap(),
        Event::Published(pid(1))
    );
    assert!(!s.is_inflight(pid(1)));
    // A late duplicate after a retransmission is ignored.
    assert_eq!(s.handle_frame(&ack(PUBACK, 1), 2).unwrap(), Event::Nothing);
    assert_eq!(s.state(), State::Connected);
}

#[test]
fn qos2_out_full_handshake() {
    let mut s = connected();
    let id = pub_out(&mut s, QoS::ExactlyOnce, 0).unwrap();
    assert_eq!(id, pid(1));
    // PUBCOMP before PUBREC is a protocol error
    let mut s2 = s.clone();
    assert_eq!(
        s2.handle_frame(&ack(PUBCOMP, 1), 0),
        Err(Error::Protocol(ProtocolError::UnknownPacketId))
    );
    assert_eq!(s.handle_frame(&ack(PUBREC, 1), 1).unwrap(), Event::Nothing);
    assert_eq!(drain(&mut s, 1), vec![ack(PUBREL, 1)]);
    // duplicate PUBREC: PUBREL again
    assert_eq!(s.handle_frame(&ack(PUBREC, 1), 2).unwrap(), Event::Nothing);
    assert_eq!(drain(&mut s, 2), vec![ack(PUBREL, 1)]);
    assert_eq!(
        s.handle_frame(&ack(PUBCOMP, 1), 3).unwrap(),
        Event::Published(pid(1))
    );
    assert_eq!(s.inflight_len(), 0);
    assert_eq!(s.handle_frame(&ack(PUBCOMP, 1), 3).unwrap(), Event::Nothing);
}

#[test]
fn puback_for_qos2_message_is_protocol_error() {
    let mut s = connected();
    pub_out(&mut s, QoS::ExactlyOnce, 0);
    assert_eq!(
        s.handle_frame(&ack(PUBACK, 1), 0),
        Err(Error::Protocol(ProtocolError::UnknownPacketId))
    );
    assert_eq!(s.state(), State::Disconnected);
    // the QoS 2 message is still session state
    assert!(s.is_inflight(pid(1)));
}

#[test]
fn qos1_in_is_acked() {
    let mut s = connected();
    let f = publish(b"t", b"m", 1, 300, false);
    let Event::Message(m) = s.handle_frame(&f, 0).unwrap() else {
        panic!()
    };
    assert_eq!(m.packet_id, Some(pid(300)));
    assert_eq!(drain(&mut s, 0), vec![ack(PUBACK, 300)]);
}

#[test]
fn qos2_in_duplicate_delivered_once() {
    let mut s = connected();
    let f = publish(b"t", b"m", 2, 7, false);
    assert!(matches!(s.handle_frame(&f, 0).unwrap(), Event::Message(_)));
    assert_eq!(drain(&mut s, 0), vec![ack(PUBREC, 7)]);
    assert_eq!(s.inbound_len(), 1);
    let dup = publish(b"t", b"m", 2, 7, true);
    assert_eq!(s.handle_frame(&dup, 1).unwrap(), Event::Nothing);
    assert_eq!(drain(&mut s, 1), vec![ack(PUBREC, 7)]);
    assert_eq!(s.handle_frame(&ack(PUBREL, 7), 2).unwrap(), Event::Nothing);
    assert_eq!(drain(&mut s, 2), vec![ack(PUBCOMP, 7)]);
    assert_eq!(s.inbound_len(), 0);
    // after release the id is free for a new message
    assert!(matches!(s.handle_frame(&f, 3).unwrap(), Event::Message(_)));
}

#[test]
fn pubrel_unknown_answered_with_pubcomp_and_pubrec_unknown_with_pubrel() {
    let mut s = connected();
    assert_eq!(s.handle_frame(&ack(PUBREL, 42), 0).unwrap(), Event::Nothing);
    assert_eq!(s.handle_frame(&ack(PUBREC, 43), 0).unwrap(), Event::Nothing);
    assert_eq!(drain(&mut s, 0), vec![ack(PUBCOMP, 42), ack(PUBREL, 43)]);
}

#[test]
fn ack_queue_full_consumes_nothing() {
    let mut s = connected();
    for id in 1..=8u16 {
        s.handle_frame(&publish(b"t", b"", 1, id, false), 0)
            .unwrap();
    }
    let f = publish(b"t", b"", 2, 9, false);
    assert_eq!(s.handle_frame(&f, 0), Err(Error::InflightFull));
    assert_eq!(s.inbound_len(), 0);
    assert_eq!(s.state(), State::Connected);
    assert_eq!(drain(&mut s, 0).len(), 8);
    assert!(matches!(s.handle_frame(&f, 0).unwrap(), Event::Message(_)));
}

#[test]
fn inbound_qos2_has_no_limit() {
    // Brokers leave any number of QoS 2 messages unreleased: every packet id
    // at once is delivered once, answered with PUBREC, and tracked exactly.
    let mut s = connected();
    for id in 1..=u16::MAX {
        let f = publish(b"t", b"", 2, id, false);
        assert!(matches!(s.handle_frame(&f, 0).unwrap(), Event::Message(_)));
        assert_eq!(drain(&mut s, 0), vec![ack(PUBREC, id)]);
    }
    assert_eq!(s.inbound_len(), 65_535);
    assert_eq!(s.state(), State::Connected);
    for id in [1, 63, 64, 65, 40_000, 65_535] {
        let dup = publish(b"t", b"", 2, id, true);
        assert_eq!(s.handle_frame(&dup, 0).unwrap(), Event::Nothing);
        assert_eq!(drain(&mut s, 0), vec![ack(PUBREC, id)]);
    }
    for id in (1..=u16::MAX).step_by(2) {
        s.handle_frame(&ack(PUBREL, id), 0).unwrap();
        assert_eq!(drain(&mut s, 0), vec![ack(PUBCOMP, id)]);
    }
    assert_eq!(s.inbound_len(), 32_767);
    // Released ids are new messages again; the others are still duplicates.
    let f = publish(b"t", b"", 2, 65_535, false);
    assert!(matches!(s.handle_frame(&f, 0).unwrap(), Event::Message(_)));
    let f = publish(b"t", b"", 2, 65_534, false);
    assert_eq!(s.handle_frame(&f, 0).unwrap(), Event::Nothing);
    assert_eq!(s.state(), State::Connected);
}

#[test]
fn resume_after_reconnect_republish_and_pubrel_in_order() {
    let mut s = connected();
    let a = pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap();
    let b = pub_out(&mut s, QoS::ExactlyOnce, 0).unwrap();
    let c = pub_out(&mut s, QoS::ExactlyOnce, 0).unwrap();
    s.handle_frame(&ack(PUBREC, b.get()), 0).unwrap();
    assert_eq!(drain(&mut s, 0), vec![ack(PUBREL, b.get())]);
    let mut buf = [0u8; 64];
    s.subscribe(&[(b"x", QoS::AtMostOnce)], 0, &mut buf)
        .unwrap();
    s.handle_frame(&publish(b"t", b"", 2, 9, false), 0).unwrap();
    s.connection_lost();
    assert_eq!(s.state(), State::Disconnected);
    assert_eq!(s.inflight_len(), 3, "SUBSCRIBE dropped, publishes kept");
    assert!(
        drain(&mut s, 0).is_empty(),
        "nothing is sent while disconnected"
    );

    s.connect(&conn(false, 0), 50_000, &mut buf).unwrap();
    assert_eq!(
        s.handle_frame(&[0x20, 2, 1, 0], 50_000).unwrap(),
        Event::Connected {
            session_present: true
        }
    );
    assert_eq!(
        drain(&mut s, 50_000),
        vec![republish(a.get()), ack(PUBREL, b.get()), republish(c.get())]
    );
    // inbound QoS 2 state kept with the session: the resent PUBLISH is a duplicate
    assert_eq!(
        s.handle_frame(&publish(b"t", b"", 2, 9, true), 50_001)
            .unwrap(),
        Event::Nothing
    );
    // response timeouts restart at the reconnect
    assert_eq!(s.handle_timeout(79_999), Ok(()));
}

#[test]
fn reconnect_without_session_resends_and_clears_inbound() {
    let mut s = connected();
    let a = pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap();
    s.handle_frame(&publish(b"t", b"", 2, 9, false), 0).unwrap();
    s.connection_lost();
    let mut buf = [0u8; 64];
    s.connect(&conn(false, 0), 10, &mut buf).unwrap();
    assert_eq!(
        s.handle_frame(&[0x20, 2, 0, 0], 10).unwrap(),
        Event::Connected {
            session_present: false
        }
    );
    assert_eq!(drain(&mut s, 10), vec![republish(a.get())]);
    // a brand-new broker session may reuse id 9: it must be delivered
    assert!(matches!(
        s.handle_frame(&publish(b"t", b"", 2, 9, false), 11)
            .unwrap(),
        Event::Message(_)
    ));
}

#[test]
fn clean_session_forgets_state() {
    let mut s = connected();
    pub_out(&mut s, QoS::AtLeastOnce, 0);
    s.handle_frame(&publish(b"t", b"", 2, 9, false), 0).unwrap();
    s.connection_lost();
    let mut buf = [0u8; 64];
    s.connect(&conn(true, 0), 10, &mut buf).unwrap();
    s.handle_frame(&[0x20, 2, 0, 0], 10).unwrap();
    assert_eq!(s.inflight_len(), 0);
    assert_eq!(s.inbound_len(), 0);
    assert!(drain(&mut s, 10).is_empty());
}

#[test]
fn packet_id_wraps_and_skips_ids_in_flight() {
    let mut s = connected();
    let one = pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap();
    let two = pub_out(&mut s, QoS::ExactlyOnce, 0).unwrap();
    assert_eq!((one.get(), two.get()), (1, 2));
    s.set_last_packet_id(65_534);
    assert_eq!(pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap().get(), 65_535);
    assert_eq!(pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap().get(), 3);
    assert_eq!(s.last_packet_id(), 3);
    // a SUBSCRIBE id counts as in flight too
    let mut buf = [0u8; 64];
    let (_, sid) = s
        .subscribe(&[(b"a", QoS::AtMostOnce)], 0, &mut buf)
        .unwrap();
    assert_eq!(sid.get(), 4);
    s.set_last_packet_id(3);
    assert_eq!(pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap().get(), 5);
}

#[test]
fn failed_encode_does_not_burn_an_id() {
    let mut s = connected();
    let mut small = [0u8; 4];
    assert!(matches!(
        s.publish(b"topic", b"payload", QoS::AtLeastOnce, false, 0, &mut small),
        Err(Error::BufferTooSmall { .. })
    ));
    assert_eq!(s.inflight_len(), 0);
    assert_eq!(s.last_packet_id(), 0);
    assert_eq!(pub_out(&mut s, QoS::AtLeastOnce, 0).unwrap().get(), 1);
}

#[test]
fn inflight_full() {
    let mut s: Session<2> = Session::new(Config::default());
    let mut buf = [0u8; 64];
    s.connect(&conn(true, 0), 0, &mut buf).unwrap();
    s.handle_frame(&[0x20, 2, 0, 0], 0).unwrap();
    s.publish(b"t", b"", QoS::AtLeastOnce, false, 0, &mut buf)
        .unwrap();
    s.publish(b"t", b"", QoS::ExactlyOnce, false, 0, &mut buf)
        .unwrap();
    assert_eq!(
        s.publish(b"t", b"", QoS::AtLeastOnce, false, 0, &mut buf),
        Err(Error::InflightFull)
    );
    // QoS 0 needs no id
    assert!(s
        .publish(b"t", b"", QoS::AtMostOnce, false, 0, &mut buf)
        .is_ok());
}

#[test]
fn suback_codes_unknown_and_count_mismatch() {
    let mut s = connected();
    let mut buf = [0u8; 64];
    let (n, id) = s
        .subscribe(
            &[(b"a/#", QoS::AtLeastOnce), (b"b", QoS::ExactlyOnce)],
            0,
            &mut buf,
        )
        .unwrap();
    assert_eq!(&buf[..n], b"\x82\x0c\x00\x01\x00\x03a/#\x01\x00\x01b\x02");
    let f = suback(id.get(), &[1, 0x80]);
    assert_eq!(
        s.handle_frame(&f, 1).unwrap(),
        Event::Subscribed {
            packet_id: id,
            return_codes: &[1, 0x80]
        }
    );
    assert_eq!(
        s.handle_frame(&f, 1),
        Err(Error::Protocol(ProtocolError::UnknownPacketId))
    );

    let mut s = connected();
    let (_, id) = s
        .subscribe(&[(b"a", QoS::AtMostOnce)], 0, &mut buf)
        .unwrap();
    assert_eq!(
        s.handle_frame(&suback(id.get(), &[0, 0]), 0),
        Err(Error::Protocol(ProtocolError::InvalidSubAck))
    );
}

#[test]
fn unsubscribe_and_stale_unsuback() {
    let mut s = connected();
    let mut buf = [0u8; 64];
    let (n, id) = s.unsubscribe(&[b"a/b"], 0, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"\xa2\x07\x00\x01\x00\x03a/b");
    assert_eq!(
        s.handle_frame(&ack(UNSUBACK, id.get()), 0).unwrap(),
        Event::Unsubscribed(id)
    );
    assert_eq!(
        s.handle_frame(&ack(UNSUBACK, id.get()), 0).unwrap(),
        Event::Nothing
    );
}

#[test]
fn malformed_frames_end_the_connection() {
    for frame in [
        &[0x40u8, 2, 0, 0][..],
        &[0x62, 2, 0, 1, 9],
        &[0x00, 0],
        &[0x10, 0],
        &[0x34, 1],
    ] {
        let mut s = connected();
        assert!(
            matches!(s.handle_frame(frame, 0), Err(Error::Protocol(_))),
            "{frame:?}"
        );
        assert_eq!(s.state(), State::Disconnected);
    }
}

#[test]
fn disconnect_keeps_session() {
    let mut s = connected();
    pub_out(&mut s, QoS::AtLeastOnce, 0);
    let mut buf = [0u8; 8];
    assert_eq!(s.disconnect(&mut buf), Ok(2));
    assert_eq!(&buf[..2], &[0xe0, 0]);
    assert_eq!(s.state(), State::Disconnected);
    assert_eq!(s.inflight_len(), 1);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn message_view_borrows_frame() {
    let mut s = connected();
    let f = publish("héllo/wörld".as_bytes(), &[0, 1, 2, 255], 1, 65_535, true);
    let Event::Message(Publish {
        topic,
        payload,
        qos,
        dup,
        packet_id,
        ..
    }) = s.handle_frame(&f, 0).unwrap()
    else {
        panic!()
    };
    assert_eq!(topic, "héllo/wörld".as_bytes());
    assert_eq!(payload, &[0, 1, 2, 255]);
    assert_eq!(
        (qos, dup, packet_id),
        (QoS::AtLeastOnce, true, Some(pid(65_535)))
    );
}
