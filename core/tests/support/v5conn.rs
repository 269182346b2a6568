//! A blocking MQTT 5 connection over std TCP for the real-broker tests,
//! built on the v5 codec only.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use umqtt_core::codec::decode_varint;
use umqtt_core::codec::v5::{
    decode, Ack, ConnAck, Connect, Context, Disconnect, Filters, Packet, Properties,
    PropertyBuilder, PropertyId, Publish, Role, SubOptions, Subscribe, Value, Will,
};
use umqtt_core::{PacketId, QoS};

pub type Items<'a> = &'a [(PropertyId, Value<'a>)];

pub fn props<'b>(buf: &'b mut [u8], ctx: Context, items: Items<'_>) -> Properties<'b> {
    let mut b = PropertyBuilder::new(buf, ctx, Role::Client);
    for (id, v) in items {
        b.push(*id, *v).unwrap();
    }
    b.finish()
}

pub fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

pub struct Conn {
    pub sock: TcpStream,
}

impl Conn {
    pub fn send(&mut self, p: &Packet<'_>) {
        let mut out = vec![0u8; p.encoded_len().unwrap()];
        p.encode(&mut out).unwrap();
        self.sock.write_all(&out).unwrap();
    }

    /// One whole frame (5 s at most).
    pub fn recv(&mut self) -> Vec<u8> {
        let mut frame = vec![0u8; 1];
        self.sock.read_exact(&mut frame).unwrap();
        loop {
            if let Some((len, used)) = decode_varint(&frame[1..]).unwrap() {
                let start = frame.len();
                frame.resize(1 + used + len, 0);
                self.sock.read_exact(&mut frame[start..]).unwrap();
                return frame;
            }
            let mut b = [0u8];
            self.sock.read_exact(&mut b).unwrap();
            frame.push(b[0]);
        }
    }

    /// Send DISCONNECT and wait until the broker closes the socket, so that
    /// it has acted on it before the test goes on.
    pub fn disconnect(mut self, d: Disconnect<'_>) {
        self.send(&Packet::Disconnect(d));
        let mut rest = Vec::new();
        let _ = self.sock.read_to_end(&mut rest);
        assert!(rest.is_empty(), "nothing after DISCONNECT: {rest:02x?}");
    }

    /// Frames up to the PINGRESP answering a PINGREQ sent now.
    pub fn drain(&mut self) -> Vec<Vec<u8>> {
        self.send(&Packet::PingReq);
        let mut got = Vec::new();
        loop {
            let f = self.recv();
            if f == [0xD0, 0] {
                return got;
            }
            got.push(f);
        }
    }
}

/// CONNECT with `items` as properties; returns the connection and the
/// CONNACK frame.
pub fn connect(
    port: u16,
    id: &str,
    clean: bool,
    items: Items<'_>,
    will: Option<Will<'_>>,
) -> (Conn, Vec<u8>) {
    connect_as(port, id, clean, items, will, None)
}

/// [`connect`] with a user name and password.
pub fn connect_as(
    port: u16,
    id: &str,
    clean: bool,
    items: Items<'_>,
    will: Option<Will<'_>>,
    login: Option<(&str, &str)>,
) -> (Conn, Vec<u8>) {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut c = Conn { sock };
    let mut pb = [0u8; 256];
    let c5 = Connect {
        client_id: id.as_bytes(),
        keepalive: 60,
        clean_start: clean,
        username: login.map(|(u, _)| u.as_bytes()),
        password: login.map(|(_, p)| p.as_bytes()),
        will,
        properties: props(&mut pb, Context::Connect, items),
    };
    c.send(&Packet::Connect(c5));
    let f = c.recv();
    (c, f)
}

pub fn connack(f: &[u8]) -> ConnAck<'_> {
    match decode(f, Role::Server) {
        Ok(Packet::ConnAck(a)) => a,
        other => panic!("expected CONNACK, got {other:?}"),
    }
}

pub fn subscribe(
    c: &mut Conn,
    id: u16,
    filter: &str,
    opts: SubOptions,
    items: Items<'_>,
) -> Vec<u8> {
    let mut pb = [0u8; 64];
    let list = [(filter.as_bytes(), opts)];
    c.send(&Packet::Subscribe(Subscribe {
        packet_id: pid(id),
        properties: props(&mut pb, Context::Subscribe, items),
        filters: Filters::List(&list),
    }));
    let f = c.recv();
    match decode(&f, Role::Server) {
        Ok(Packet::SubAck(a)) => {
            assert_eq!(a.packet_id, pid(id));
            a.reason_codes.to_vec()
        }
        other => panic!("expected SUBACK, got {other:?}"),
    }
}

pub fn publish(
    t: &str,
    payload: &[u8],
    qos: QoS,
    id: u16,
    properties: Properties<'_>,
) -> Publish<'static> {
    // Leaked: a test's handful of small publishes.
    let t: &'static [u8] = Box::leak(t.as_bytes().to_vec().into_boxed_slice());
    let payload: &'static [u8] = Box::leak(payload.to_vec().into_boxed_slice());
    let bytes: &'static [u8] = Box::leak(properties.as_bytes().to_vec().into_boxed_slice());
    Publish {
        topic: t,
        payload,
        qos,
        retain: false,
        dup: false,
        packet_id: (qos != QoS::AtMostOnce).then(|| pid(id)),
        properties: Properties::parse(bytes, Context::Publish, Role::Client).unwrap(),
    }
}

pub fn puback(f: &[u8]) -> Ack<'_> {
    match decode(f, Role::Server) {
        Ok(Packet::PubAck(a)) => a,
        other => panic!("expected PUBACK, got {other:?}"),
    }
}

pub fn will_msg<'a>(wb: &'a mut [u8], payload: &'static [u8]) -> Will<'a> {
    let mut b = PropertyBuilder::new(wb, Context::Will, Role::Client);
    b.push(PropertyId::ContentType, Value::Str("text/plain"))
        .unwrap();
    b.push(PropertyId::UserProperty, Value::Pair("w", "1"))
        .unwrap();
    Will {
        topic: b"will/t",
        payload,
        qos: QoS::AtMostOnce,
        retain: false,
        properties: b.finish(),
    }
}
