//! The sans-IO MQTT 5 Connection the connection_v5*.rs tests feed broker
//! frames by hand: made, started (CONNECT written out), drained, fed.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, dead_code)]

use crate::support::VecBuf;
use umqtt_core::codec::v5::{Connect, Context, PropertyBuilder, PropertyId, Role, Value};
use umqtt_core::connection::{Connection, Event};
use umqtt_core::session::Config;
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::{Error, ProtocolVersion};

pub type Conn = Connection<VecBuf, VecBuf, VecBuf, VecBuf>;

pub const EMPTY: umqtt_core::codec::v5::Properties<'static> =
    umqtt_core::codec::v5::Properties::EMPTY;

pub fn connect_v5_pkt() -> Connect<'static> {
    Connect {
        client_id: b"hostile",
        keepalive: 0,
        clean_start: true,
        username: None,
        password: None,
        will: None,
        properties: EMPTY,
    }
}

pub fn new_conn() -> Conn {
    Connection::new(
        Config::default(),
        VecBuf::new(64, 1 << 16),
        VecBuf::new(64, 1 << 16),
        VecBuf::new(0, 1 << 16),
        Subscriptions::new(VecBuf::new(0, 1 << 12)),
    )
}

/// CONNECT as v5_frames assumes (alias maximum 2, receive maximum 2,
/// maximum packet size 64), its bytes written out.
pub fn start(c: &mut Conn) {
    let mut buf = [0u8; 32];
    let mut b = PropertyBuilder::new(&mut buf, Context::Connect, Role::Client);
    b.push(PropertyId::TopicAliasMaximum, Value::Int(2))
        .unwrap();
    b.push(PropertyId::ReceiveMaximum, Value::Int(2)).unwrap();
    b.push(PropertyId::MaximumPacketSize, Value::Int(64))
        .unwrap();
    let connect = Connect {
        properties: b.finish(),
        ..connect_v5_pkt()
    };
    c.connect_v5(&connect, 0).unwrap();
    assert_eq!(c.protocol(), ProtocolVersion::V5);
    drain(c);
}

pub fn drain(c: &mut Conn) -> Vec<u8> {
    let mut sent = Vec::new();
    while let Some(b) = c.poll_transmit(0).unwrap() {
        let n = b.len();
        sent.extend_from_slice(b);
        c.transmitted(n);
    }
    sent
}

/// An event and the resolved topic of its message.
pub type Fed = Option<(Event, Option<Vec<u8>>)>;

/// Feed one frame; the event (or error) and the resolved topic of a message.
pub fn feed(c: &mut Conn, f: &[u8]) -> Result<Fed, Error> {
    assert_eq!(c.handle_input(f), f.len());
    let ev = c.poll_event(0)?;
    Ok(ev.map(|e| (e, c.message().map(|m| m.topic.to_vec()))))
}
