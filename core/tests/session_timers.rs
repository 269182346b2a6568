//! Session timers: retransmission, response timeouts, keepalive pings and
//! ping timeouts, all on a fake millisecond clock.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::session::*;
use support::*;
use umqtt_core::session::{Config, Event, State};
use umqtt_core::{Error, QoS};

#[test]
fn retransmit_with_dup_then_response_timeout() {
    let mut s = connected();
    let id = pub_out(&mut s, QoS::AtLeastOnce, 1000).unwrap();
    assert_eq!(s.next_deadline(), Some(11_000));
    assert!(drain(&mut s, 10_999).is_empty());
    assert_eq!(drain(&mut s, 11_000), vec![republish(id.get())]);
    assert_eq!(s.next_deadline(), Some(21_000));
    assert_eq!(drain(&mut s, 21_000), vec![republish(id.get())]);
    // next resend would be 31_000, the response deadline is 31_000 too
    assert_eq!(s.handle_timeout(30_999), Ok(()));
    assert_eq!(s.handle_timeout(31_000), Err(Error::Timeout));
    assert_eq!(s.state(), State::Disconnected);
    assert!(s.is_inflight(id), "message kept for the next session");
}

#[test]
fn retransmit_pubrel_after_pubrec() {
    let mut s = connected();
    pub_out(&mut s, QoS::ExactlyOnce, 0);
    s.handle_frame(&ack(PUBREC, 1), 100).unwrap();
    assert_eq!(drain(&mut s, 100), vec![ack(PUBREL, 1)]);
    assert!(drain(&mut s, 10_099).is_empty());
    assert_eq!(drain(&mut s, 10_100), vec![ack(PUBREL, 1)]);
}

#[test]
fn retransmit_disabled_with_zero() {
    let cfg = Config {
        retransmit_ms: 0,
        ..Config::default()
    };
    let mut s = connected_with(cfg, true, 0, 0);
    pub_out(&mut s, QoS::AtLeastOnce, 0);
    assert!(drain(&mut s, 29_999).is_empty());
    assert_eq!(s.next_deadline(), Some(30_000));
}

#[test]
fn keepalive_ping_at_three_quarters_and_ping_timeout() {
    let mut s = connected_with(Config::default(), true, 10, 0);
    assert_eq!(s.next_deadline(), Some(7_500));
    assert!(drain(&mut s, 7_499).is_empty());
    assert_eq!(drain(&mut s, 7_500), vec![vec![0xc0, 0]]);
    // ping timeout = keepalive / 2 = 5 s
    assert_eq!(s.next_deadline(), Some(12_500));
    assert!(drain(&mut s, 12_000).is_empty(), "one ping at a time");
    assert_eq!(s.handle_timeout(12_499), Ok(()));
    assert_eq!(s.handle_timeout(12_500), Err(Error::PingTimeout));
    assert_eq!(s.state(), State::Disconnected);
}

#[test]
fn keepalive_pingresp_and_traffic_push_ping_back() {
    let mut s = connected_with(Config::default(), true, 10, 0);
    let mut buf = [0u8; 64];
    // sending anything resets the idle timer
    s.publish(b"t", b"", QoS::AtMostOnce, false, 5_000, &mut buf)
        .unwrap();
    assert_eq!(s.next_deadline(), Some(12_500));
    assert_eq!(drain(&mut s, 12_500), vec![vec![0xc0, 0]]);
    assert_eq!(s.handle_frame(&[0xd0, 0], 13_000).unwrap(), Event::Pong);
    assert_eq!(s.handle_timeout(30_000), Ok(()));
    assert_eq!(s.next_deadline(), Some(20_000));
}

#[test]
fn explicit_ping_and_configured_timeout() {
    let cfg = Config {
        ping_timeout_ms: Some(700),
        ..Config::default()
    };
    let mut s = connected_with(cfg, true, 0, 0);
    assert_eq!(s.next_deadline(), None, "keepalive 0: nothing scheduled");
    let mut buf = [0u8; 8];
    assert_eq!(s.ping(100, &mut buf), Ok(2));
    assert_eq!(&buf[..2], &[0xc0, 0]);
    assert_eq!(s.next_deadline(), Some(800));
    // any packet counts as an answer
    s.handle_frame(&publish(b"t", b"", 0, 0, false), 500)
        .unwrap();
    assert_eq!(s.handle_timeout(10_000), Ok(()));
}

#[test]
fn suback_timeout() {
    let mut s = connected();
    let mut buf = [0u8; 64];
    s.subscribe(&[(b"a", QoS::AtMostOnce)], 1_000, &mut buf)
        .unwrap();
    assert_eq!(s.next_deadline(), Some(31_000));
    assert_eq!(s.handle_timeout(30_999), Ok(()));
    assert_eq!(s.handle_timeout(31_000), Err(Error::Timeout));
    assert_eq!(s.inflight_len(), 0, "requests die with the connection");
}

#[test]
fn connack_timeout() {
    let mut s = S::new(Config {
        response_timeout_ms: 500,
        ..Config::default()
    });
    let mut buf = [0u8; 64];
    s.connect(&conn(true, 0), 100, &mut buf).unwrap();
    assert_eq!(s.handle_timeout(599), Ok(()));
    assert_eq!(s.handle_timeout(600), Err(Error::Timeout));
    assert_eq!(s.state(), State::Disconnected);
}
