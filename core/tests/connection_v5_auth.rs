//! MQTT 5 enhanced authentication through the sans-IO Connection, fed
//! broker frames by hand: AUTH challenges during connect() and a
//! re-authentication, a CONNACK naming a method we never sent.
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;
#[path = "support/v5_sansio.rs"]
mod v5_sansio;

use umqtt_core::codec::v5::{Connect, Context, PropertyBuilder, PropertyId, Role, Value};
use umqtt_core::connection::Event;
use umqtt_core::{ArgError, Error, ProtocolError};
use v5_sansio::{connect_v5_pkt, drain, feed, new_conn, start};

/// A successful CONNACK naming authentication method `method`.
fn connack_naming(method: &str) -> Vec<u8> {
    let mut buf = [0u8; 16];
    let mut b = PropertyBuilder::new(&mut buf, Context::ConnAck, Role::Server);
    b.push_named("authentication_method", Value::Str(method))
        .unwrap();
    let ack = umqtt_core::codec::v5::ConnAck {
        session_present: false,
        reason_code: 0,
        properties: b.finish(),
    };
    let mut f = vec![0u8; 32];
    let n = ack.encode(&mut f).unwrap();
    f.truncate(n);
    f
}

/// An AUTH from the "broker" with `method` and `data`.
fn server_auth(code: u8, method: &str, data: &[u8]) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let a = umqtt_core::v5::auth_packet(code, method, data, &mut buf).unwrap();
    let p = umqtt_core::codec::v5::Packet::Auth(a);
    let mut out = vec![0u8; p.encoded_len().unwrap()];
    p.encode(&mut out).unwrap();
    out
}

#[test]
fn enhanced_authentication_challenges_and_reauthentication() {
    let mut c = new_conn();
    let mut buf = [0u8; 32];
    let mut b = PropertyBuilder::new(&mut buf, Context::Connect, Role::Client);
    b.push_named("authentication_method", Value::Str("TOKEN"))
        .unwrap();
    b.push_named("authentication_data", Value::Binary(b"c0"))
        .unwrap();
    let pkt = Connect {
        properties: b.finish(),
        ..connect_v5_pkt()
    };
    c.connect_v5(&pkt, 0).unwrap();
    drain(&mut c);
    // Challenge during CONNECT, answered with our data.
    let (ev, _) = feed(&mut c, &server_auth(0x18, "TOKEN", b"s1"))
        .unwrap()
        .unwrap();
    assert_eq!(ev, Event::AuthChallenge);
    let data = c
        .last_properties()
        .get_binary(PropertyId::AuthenticationData);
    assert_eq!(data, Some(&b"s1"[..]));
    c.auth_continue(b"r1", 0).unwrap();
    let sent = drain(&mut c);
    assert_eq!(sent[0], 0xF0);
    assert_eq!(
        sent,
        server_auth(0x18, "TOKEN", b"r1"),
        "AUTH 0x18 with method and data"
    );
    // CONNACK naming the method: connected.
    let f = connack_naming("TOKEN");
    let (ev, _) = feed(&mut c, &f).unwrap().unwrap();
    assert!(matches!(ev, Event::Connected { .. }));
    // Re-authentication: AUTH 0x19, a challenge, then AUTH 0x00.
    c.reauthenticate(b"again", 0).unwrap();
    assert_eq!(drain(&mut c), server_auth(0x19, "TOKEN", b"again"));
    assert_eq!(
        c.reauthenticate(b"twice", 0),
        Err(Error::InvalidArgument(ArgError::NoAuthInProgress)),
        "one exchange at a time"
    );
    let (ev, _) = feed(&mut c, &server_auth(0x18, "TOKEN", b"s2"))
        .unwrap()
        .unwrap();
    assert_eq!(ev, Event::AuthChallenge);
    c.auth_continue(b"r2", 0).unwrap();
    drain(&mut c);
    let (ev, _) = feed(&mut c, &server_auth(0, "TOKEN", b""))
        .unwrap()
        .unwrap();
    assert_eq!(ev, Event::Other(0xF0));
    // Another method is a protocol error (4.12.0-5): DISCONNECT 0x82.
    c.reauthenticate(b"3", 0).unwrap();
    drain(&mut c);
    assert_eq!(
        feed(&mut c, &server_auth(0x18, "OTHER", b"x")),
        Err(Error::Protocol(ProtocolError::UnexpectedAuth))
    );
    assert_eq!(drain(&mut c), [0xE0, 1, 0x82]);
}

#[test]
fn a_connack_naming_a_method_we_never_sent_is_a_protocol_error() {
    let mut c = new_conn();
    start(&mut c);
    let f = connack_naming("TOKEN");
    assert_eq!(
        feed(&mut c, &f),
        Err(Error::Protocol(ProtocolError::UnexpectedAuth))
    );
    assert!(c.lost());
}

#[test]
fn the_client_answers_auth_challenges_during_connect() {
    let mut c = support::fake_host::new_client();
    let mut h = support::fake_host::FakeHost::new();
    h.push(&server_auth(0x18, "TOKEN", b"s1"));
    let f = connack_naming("TOKEN");
    h.push(&f);
    let mut buf = [0u8; 32];
    let mut b = PropertyBuilder::new(&mut buf, Context::Connect, Role::Client);
    b.push_named("authentication_method", Value::Str("TOKEN"))
        .unwrap();
    let pkt = Connect {
        properties: b.finish(),
        ..connect_v5_pkt()
    };
    let mut seen = Vec::new();
    let present = c
        .connect_v5_auth(&mut h, &pkt, Some(1000), |data, answer| {
            seen.push(data.to_vec());
            answer[..2].copy_from_slice(b"r1");
            Ok(2)
        })
        .unwrap();
    assert!(!present);
    assert_eq!(seen, [b"s1".to_vec()]);
    let writes: Vec<u8> = h.take_writes().concat();
    let answer = server_auth(0x18, "TOKEN", b"r1");
    assert!(
        writes.windows(answer.len()).any(|w| w == answer),
        "AUTH answer sent: {writes:02x?}"
    );
    // Without a handler a challenge is a protocol error.
    let mut c = support::fake_host::new_client();
    let mut h = support::fake_host::FakeHost::new();
    h.push(&server_auth(0x18, "TOKEN", b"s1"));
    assert_eq!(
        c.connect_v5(&mut h, &pkt, Some(1000)),
        Err(Error::Protocol(ProtocolError::UnexpectedAuth))
    );
}
