//! The connection driven by hand: bytes in, events and bytes out, no host.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use super::*;
use crate::codec::Connect;
use crate::{ArgError, ProtocolVersion};

type Conn = Connection<[u8; 256], [u8; 256], [u8; 256], [u8; 256]>;

fn new_conn() -> Conn {
    Connection::new(
        Config::default(),
        [0; 256],
        [0; 256],
        [0; 256],
        Subscriptions::new([0; 256]),
    )
}

fn connect_packet(clean: bool, keepalive: u16) -> Connect<'static> {
    Connect {
        protocol: ProtocolVersion::V311,
        client_id: b"cid",
        keepalive,
        clean_session: clean,
        username: None,
        password: None,
        will: None,
    }
}

/// Everything `poll_transmit` has now.
fn take_all(c: &mut Conn, now: u64) -> heapless::Vec<u8, 256> {
    let mut v = heapless::Vec::new();
    while let Some(b) = c.poll_transmit(now).unwrap() {
        let n = b.len();
        v.extend_from_slice(b).unwrap();
        c.transmitted(n);
    }
    v
}

fn connected(clean: bool) -> Conn {
    let mut c = new_conn();
    c.connect(&connect_packet(clean, 0), 0).unwrap();
    take_all(&mut c, 0);
    assert_eq!(c.handle_input(&[0x20, 2, 0, 0]), 4);
    assert_eq!(
        c.poll_event(0),
        Ok(Some(Event::Connected {
            session_present: false
        }))
    );
    c
}

fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

#[test]
fn connect_queues_connect_and_reports_connack() {
    let mut c = new_conn();
    c.connect(&connect_packet(true, 30), 0).unwrap();
    let out = take_all(&mut c, 0);
    assert_eq!(out[0], 0x10, "CONNECT");
    assert_eq!(c.poll_event(0), Ok(None));
    // Read straight into the receive buffer, in two pieces.
    let buf = c.recv_buffer();
    buf[..3].copy_from_slice(&[0x20, 2, 1]);
    c.received(3);
    assert_eq!(c.poll_event(0), Ok(None));
    c.recv_buffer()[0] = 0;
    c.received(1);
    assert_eq!(
        c.poll_event(0),
        Ok(Some(Event::Connected {
            session_present: true
        }))
    );
    assert!(!c.lost());
    // Keepalive: the PINGREQ is due at 3/4 of 30 s, and it is ours.
    assert_eq!(c.next_deadline(), Some(22_500));
    c.handle_timeout(30_000).unwrap();
    assert_eq!(&take_all(&mut c, 30_000)[..], &[0xC0, 0]);
    c.handle_input(&[0xD0, 0]);
    assert_eq!(
        c.poll_event(30_001),
        Ok(Some(Event::Pong { requested: false }))
    );
    c.ping(30_002).unwrap();
    assert_eq!(&take_all(&mut c, 30_002)[..], &[0xC0, 0]);
    c.handle_input(&[0xD0, 0]);
    assert_eq!(
        c.poll_event(30_003),
        Ok(Some(Event::Pong { requested: true }))
    );
}

#[test]
fn each_connect_step_is_bounded_by_the_callers_budget_else_message_timeout() {
    let mut c = new_conn();
    assert_eq!(c.connect_step_timeout_ms(None), 30_000);
    c.set_message_timeout_ms(1_500);
    assert_eq!(c.connect_step_timeout_ms(None), 1_500);
    assert_eq!(c.connect_step_timeout_ms(Some(7)), 7);
    // The CONNACK wait follows the same rule.
    c.connect(&connect_packet(true, 0), 100).unwrap();
    take_all(&mut c, 100);
    assert!(c.handle_timeout(1_599).is_ok());
    assert_eq!(c.handle_timeout(1_600), Err(Error::Timeout));
}

#[test]
fn qos1_publish_is_stored_resent_with_dup_and_forgotten_on_puback() {
    let mut c = connected(false);
    let id = c
        .publish(b"t", b"m", QoS::AtLeastOnce, false, 0)
        .unwrap()
        .unwrap();
    assert_eq!(c.frames().get(id), Some(&b"\x32\x06\x00\x01t\x00\x01m"[..]));
    // The write fails half-way: the publish is interrupted, kept in flight.
    let n = c.poll_transmit(0).unwrap().unwrap().len();
    assert_eq!(n, 8);
    c.fail(&Error::Io(32));
    assert!(c.lost());
    assert_eq!(c.interrupted_publish(), Some(id));
    assert_eq!(c.poll_transmit(0), Ok(None));
    // Resume: CONNECT, then the stored frame again with DUP.
    c.connect(&connect_packet(false, 0), 10).unwrap();
    assert_eq!(take_all(&mut c, 10)[0], 0x10);
    c.handle_input(&[0x20, 2, 1, 0]);
    assert_eq!(
        c.poll_event(10),
        Ok(Some(Event::Connected {
            session_present: true
        }))
    );
    assert_eq!(&take_all(&mut c, 10)[..], b"\x3a\x06\x00\x01t\x00\x01m");
    c.handle_input(&[0x40, 2, 0, 1]);
    assert_eq!(c.poll_event(11), Ok(Some(Event::Published(id))));
    assert!(c.frames().is_empty());
    assert!(!c.session().is_inflight(id));
}

#[test]
fn a_clean_session_drops_the_stored_frames() {
    let mut c = connected(false);
    c.publish(b"t", b"m", QoS::ExactlyOnce, false, 0).unwrap();
    take_all(&mut c, 0);
    assert!(!c.frames().is_empty());
    c.fail(&Error::ConnectionClosed);
    c.connect(&connect_packet(true, 0), 1).unwrap();
    assert!(c.frames().is_empty());
    assert_eq!(c.interrupted_publish(), None, "it was written");
}

#[test]
fn message_is_lent_and_acknowledged_on_the_next_transmit() {
    let mut c = connected(false);
    // QoS 1 PUBLISH id 7, topic "a/b", payload "hi".
    c.handle_input(&[0x32, 9, 0, 3, b'a', b'/', b'b', 0, 7, b'h', b'i']);
    assert_eq!(c.poll_event(0), Ok(Some(Event::Message { first: 0x32 })));
    let m = c.message().unwrap();
    assert_eq!((m.topic, m.payload), (&b"a/b"[..], &b"hi"[..]));
    assert_eq!(m.packet_id, Some(pid(7)));
    assert_eq!(c.last_first_byte(), 0x32);
    // The application's callback runs here; then the PUBACK goes out.
    assert!(c.has_queued());
    assert_eq!(&take_all(&mut c, 0)[..], &[0x40, 2, 0, 7]);
    assert!(!c.has_queued());
    assert_eq!(c.poll_event(0), Ok(None));
    assert!(c.message().is_none());
}

#[test]
fn after_a_qos0_message_nothing_waits_to_go_out() {
    let mut c = connected(false);
    assert!(!c.has_queued());
    c.handle_input(&[0x30, 5, 0, 1, b't', b'h', b'i']);
    assert_eq!(c.poll_event(0), Ok(Some(Event::Message { first: 0x30 })));
    // No flush after the callback; a ping that falls due goes later.
    assert!(!c.has_queued());
    // Bytes an operation queued do wait.
    c.ping(0).unwrap();
    assert!(c.has_queued());
    take_all(&mut c, 0);
    assert!(!c.has_queued());
}

#[test]
fn abandoning_a_message_ends_the_connection_without_its_ack() {
    let mut c = connected(false);
    c.handle_input(&[0x34, 6, 0, 1, b't', 0, 9, b'x']);
    assert_eq!(c.poll_event(0), Ok(Some(Event::Message { first: 0x34 })));
    c.abandon_message();
    assert!(c.lost());
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(c.poll_transmit(0), Ok(None), "no PUBREC");
}

#[test]
fn subscribe_is_remembered_and_restored_when_the_session_is_lost() {
    let mut c = connected(false);
    let id = c.subscribe(&[(b"s/#", QoS::AtLeastOnce)], 0).unwrap();
    take_all(&mut c, 0);
    c.handle_input(&[0x90, 3, 0, id.get() as u8, 1]);
    assert_eq!(
        c.poll_event(0),
        Ok(Some(Event::Subscribed {
            packet_id: id,
            resubscribed: false,
            refused: false
        }))
    );
    assert_eq!(c.last_suback(), &[1]);
    assert_eq!(c.subscriptions().get(b"s/#"), Some(QoS::AtLeastOnce));
    // The broker restarted without the session.
    c.fail(&Error::ConnectionClosed);
    c.connect(&connect_packet(false, 0), 1).unwrap();
    take_all(&mut c, 1);
    c.handle_input(&[0x20, 2, 0, 0]);
    c.poll_event(1).unwrap();
    let again = c.resubscribe(1).unwrap().unwrap();
    let out = take_all(&mut c, 1);
    assert_eq!(out[0], 0x82);
    assert!(out.windows(3).any(|w| w == b"s/#"));
    c.handle_input(&[0x90, 3, 0, again.get() as u8, 0x80]);
    assert_eq!(
        c.poll_event(1),
        Ok(Some(Event::Subscribed {
            packet_id: again,
            resubscribed: true,
            refused: true
        }))
    );
    // A refused resubscription is forgotten; nothing more to restore.
    assert_eq!(c.resubscribe(1), Ok(None));
}

#[test]
fn a_resumed_session_kept_the_subscriptions() {
    let mut c = connected(false);
    let id = c.subscribe(&[(b"s/#", QoS::AtLeastOnce)], 0).unwrap();
    take_all(&mut c, 0);
    c.handle_input(&[0x90, 3, 0, id.get() as u8, 1]);
    c.poll_event(0).unwrap();
    // The broker resumed the session: nothing to restore, on this connection
    // and on one after it that resumes again.
    for now in [1, 2] {
        c.fail(&Error::ConnectionClosed);
        c.connect(&connect_packet(false, 0), now).unwrap();
        take_all(&mut c, now);
        c.handle_input(&[0x20, 2, 1, 0]);
        assert_eq!(
            c.poll_event(now),
            Ok(Some(Event::Connected {
                session_present: true
            }))
        );
        assert_eq!(c.resubscribe(now), Ok(None));
    }
    // A broker that lost it: the subscription goes out again.
    c.fail(&Error::ConnectionClosed);
    c.connect(&connect_packet(false, 0), 3).unwrap();
    take_all(&mut c, 3);
    c.handle_input(&[0x20, 2, 0, 0]);
    c.poll_event(3).unwrap();
    assert!(c.resubscribe(3).unwrap().is_some());
    assert!(take_all(&mut c, 3).windows(3).any(|w| w == b"s/#"));
}

#[test]
fn protocol_errors_end_the_connection_oversized_frames_do_not() {
    let mut c: Connection<[u8; 16], [u8; 64], [u8; 0], [u8; 0]> = Connection::new(
        Config::default(),
        [0; 16],
        [0; 64],
        [],
        Subscriptions::disabled([]),
    );
    c.connect(&connect_packet(true, 0), 0).unwrap();
    let _ = c.poll_transmit(0).unwrap().map(|b| b.len());
    c.transmitted(64);
    c.handle_input(&[0x20, 2, 0, 0]);
    c.poll_event(0).unwrap();
    // 40-byte QoS 0 PUBLISH: larger than the receive buffer.
    let mut big = [0u8; 42];
    big[..5].copy_from_slice(&[0x30, 40, 0, 1, b't']);
    let mut fed = 0;
    let mut skipped = false;
    while fed < big.len() {
        fed += c.handle_input(&big[fed..]);
        if let Err(Error::FrameTooLarge { len }) = c.poll_event(0) {
            assert_eq!(len, 42);
            skipped = true;
        }
    }
    assert!(skipped);
    assert_eq!(c.poll_event(0), Ok(None));
    assert_eq!(c.session().state(), State::Connected);
    // A QoS 1 publish cannot be stored in a store without room.
    assert!(matches!(
        c.publish(b"t", b"m", QoS::AtLeastOnce, false, 0),
        Err(Error::BufferTooSmall { .. })
    ));
    assert_eq!(c.session().inflight_len(), 0);
    assert_eq!(c.poll_transmit(0), Ok(None), "nothing of it queued");
    // A reserved packet type is fatal.
    c.handle_input(&[0xF0, 0]);
    assert!(matches!(c.poll_event(0), Err(Error::Protocol(_))));
    assert_eq!(c.session().state(), State::Disconnected);
    assert!(c.lost());
}

#[test]
fn publish_room_counts_free_slots() {
    let mut c = connected(true);
    assert_eq!(c.session().publish_room(), 16);
    let mut ids = heapless::Vec::<PacketId, 16>::new();
    for _ in 0..16 {
        let id = c.publish(b"t", b"m", QoS::AtLeastOnce, false, 0).unwrap();
        ids.push(id.unwrap()).unwrap();
        take_all(&mut c, 0);
    }
    assert_eq!(c.session().publish_room(), 0);
    // No room: the session refuses, as publish_room said.
    assert_eq!(
        c.publish(b"t", b"m", QoS::AtLeastOnce, false, 0),
        Err(Error::InflightFull)
    );
    // QoS 0 needs no room.
    assert_eq!(c.publish(b"t", b"m", QoS::AtMostOnce, false, 0), Ok(None));
    take_all(&mut c, 0);
    let id = ids[3].get().to_be_bytes();
    assert_eq!(c.handle_input(&[0x40, 2, id[0], id[1]]), 4);
    assert_eq!(c.poll_event(0), Ok(Some(Event::Published(ids[3]))));
    assert_eq!(c.session().publish_room(), 1);
}

#[test]
fn queue_pending_keeps_acks_of_many_frames() {
    let mut c = connected(true);
    // 12 QoS 1 messages in one read, more than the session's queue of
    // acknowledgements holds: a driver that writes only after all of them
    // moves the acks out after each frame.
    let mut input = heapless::Vec::<u8, 128>::new();
    for id in 1..=12u8 {
        input
            .extend_from_slice(&[0x32, 6, 0, 1, b't', 0, id, b'x'])
            .unwrap();
    }
    assert_eq!(c.handle_input(&input), input.len());
    for _ in 0..12 {
        assert!(matches!(c.poll_event(0), Ok(Some(Event::Message { .. }))));
        c.queue_pending(0).unwrap();
    }
    assert_eq!(c.poll_event(0), Ok(None));
    let out = take_all(&mut c, 0);
    let mut want = heapless::Vec::<u8, 64>::new();
    for id in 1..=12u8 {
        want.extend_from_slice(&[0x40, 2, 0, id]).unwrap();
    }
    assert_eq!(&out[..], &want[..]);
}

#[test]
fn ack_error_is_the_one_refusal_rule() {
    let id = PacketId::new(1).unwrap();
    let sub = |refused, resubscribed| Event::Subscribed {
        packet_id: id,
        resubscribed,
        refused,
    };
    assert_eq!(ack_error(Event::Published(id), 0), None);
    assert_eq!(ack_error(Event::Published(id), 0x10), None);
    assert_eq!(ack_error(Event::Unsubscribed(id), 0x11), None);
    assert_eq!(ack_error(sub(false, false), 0), None);
    // 3.1.1: a refused filter has no reason code.
    assert_eq!(
        ack_error(sub(true, false), 0),
        Some(Error::SubscribeRefused)
    );
    // A refused resubscription is only forgotten.
    assert_eq!(ack_error(sub(true, true), 0x87), None);
    assert_eq!(ack_error(Event::Pong { requested: true }, 0x87), None);
    #[cfg(feature = "v5")]
    {
        assert_eq!(
            ack_error(Event::Published(id), 0x87),
            Some(Error::Refused(0x87))
        );
        assert_eq!(
            ack_error(Event::Unsubscribed(id), 0x80),
            Some(Error::Refused(0x80))
        );
        assert_eq!(
            ack_error(sub(true, false), 0x87),
            Some(Error::Refused(0x87))
        );
    }
}

#[test]
fn a_subscribe_carries_at_most_the_codes_it_can_keep() {
    // Every code of its SUBACK is kept (last_suback), so a longer list is
    // refused before anything is queued, on 3.1.1 as on MQTT 5.
    let mut c = connected(false);
    let filters = [(&b"f/x"[..], QoS::AtMostOnce); RESUBSCRIBE_BATCH + 1];
    assert_eq!(
        c.subscribe(&filters, 0),
        Err(Error::InvalidArgument(ArgError::TooManyFilters))
    );
    assert_eq!(c.poll_transmit(0), Ok(None));
    let id = c.subscribe(&filters[..RESUBSCRIBE_BATCH], 0).unwrap();
    take_all(&mut c, 0);
    let mut suback = [0u8; 4 + RESUBSCRIBE_BATCH];
    suback[..4].copy_from_slice(&[0x90, 2 + RESUBSCRIBE_BATCH as u8, 0, id.get() as u8]);
    c.handle_input(&suback);
    assert!(matches!(
        c.poll_event(0),
        Ok(Some(Event::Subscribed { .. }))
    ));
    assert_eq!(c.last_suback(), &[0; RESUBSCRIBE_BATCH]);
}

#[test]
fn two_connections_with_one_seed_draw_different_delays() {
    // Two clients whose drivers read the same clock: the core mixes in
    // each connection's address, so their retries do not fall in step.
    let delays = |c: &mut Conn| {
        c.reconnect_begin(12_345);
        (0..4)
            .map(|_| match c.reconnect_failed(crate::ExcKind::OsError, 111) {
                RetryAction::Sleep(ms) => ms,
                other => panic!("{other:?}"),
            })
            .collect::<heapless::Vec<u32, 4>>()
    };
    let (mut a, mut b) = (new_conn(), new_conn());
    assert_ne!(delays(&mut a), delays(&mut b));
}

#[test]
fn not_connected_is_no_loss_to_resume() {
    // set_reconnect() on a client that never connected: an operation
    // refused with "not connected" does not make the next one reconnect
    // (it did on CPython, whose binding asked the core; MicroPython's
    // refused before asking). A failure while connecting does.
    let mut c = new_conn();
    c.set_reconnect(Some(Policy::new(2, 0, 0).unwrap()));
    let (kind, code) = (crate::ExcKind::Mqtt, crate::error::code::NOT_CONNECTED);
    assert!(!c.should_reconnect(kind, code));
    assert!(!c.lost() && !c.must_resume());
    assert!(c.should_reconnect(crate::ExcKind::OsError, 111));
    assert!(c.lost() && c.must_resume());
}
