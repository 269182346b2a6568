//! MQTT 5 through the sans-IO Connection against a real Mosquitto 2 (one
//! per test, started here): CONNECT / CONNACK properties, QoS 0/1/2 both
//! ways with properties, subscription identifiers and options, reason
//! codes, the broker's limits, session resume. Facts about Mosquitto
//! 2.0.11 used here: a bad login gets CONNACK 0x87; `max_keepalive` is
//! sent back as `server_keep_alive`; `max_inflight_messages` is its
//! `receive_maximum`.
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::mosquitto::Mosquitto;
use support::VecBuf;
use umqtt_core::codec::v5::{
    Connect, Context, Properties, PropertyBuilder, PropertyId, Role, SubOptions, Value,
};
use umqtt_core::connection::{Connection, Event};
use umqtt_core::session::Config;
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::{ArgError, Error, PacketId, QoS};

type Conn = Connection<VecBuf, VecBuf, VecBuf, VecBuf>;

/// A received message: topic, payload, retain, its properties as
/// `(name, value)` pairs (what a binding turns into a dict).
#[derive(Debug, Clone, PartialEq)]
struct Msg {
    topic: Vec<u8>,
    payload: Vec<u8>,
    retain: bool,
    props: Vec<(&'static str, String)>,
}

fn pairs(p: &Properties<'_>) -> Vec<(&'static str, String)> {
    p.iter()
        .map(|(id, v)| (id.name(), format!("{v:?}")))
        .collect()
}

struct Driver {
    conn: Conn,
    sock: TcpStream,
    port: u16,
    start: Instant,
    got: Vec<Msg>,
}

impl Driver {
    fn new(port: u16) -> Driver {
        let conn = Connection::new(
            Config::default(),
            VecBuf::new(64, 1 << 20),
            VecBuf::new(64, 1 << 20),
            VecBuf::new(0, 1 << 20),
            Subscriptions::new(VecBuf::new(0, 1 << 16)),
        );
        Driver {
            conn,
            sock: Driver::open(port),
            port,
            start: Instant::now(),
            got: Vec::new(),
        }
    }

    fn open(port: u16) -> TcpStream {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_nodelay(true).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        sock
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn send(&mut self) {
        let now = self.now();
        while let Some(b) = self.conn.poll_transmit(now).unwrap() {
            let n = b.len();
            self.sock.write_all(b).unwrap();
            self.conn.transmitted(n);
        }
    }

    /// Events until `want` says stop, or the first error; messages are
    /// collected in `got`. `stop_after`: give up quietly (Ok) after this long.
    fn until(
        &mut self,
        stop_after: Duration,
        mut want: impl FnMut(&Conn, Event) -> bool,
    ) -> Result<bool, Error> {
        let deadline = Instant::now() + stop_after;
        loop {
            self.send();
            while let Some(ev) = self.conn.poll_event(self.now())? {
                if let (Event::Message { .. }, Some(m)) = (ev, self.conn.message()) {
                    let msg = Msg {
                        topic: m.topic.to_vec(),
                        payload: m.payload.to_vec(),
                        retain: m.retain,
                        props: pairs(&self.conn.last_properties()),
                    };
                    self.got.push(msg);
                }
                let done = want(&self.conn, ev);
                self.send();
                if done {
                    return Ok(true);
                }
            }
            if Instant::now() > deadline {
                return Ok(false);
            }
            let buf = self.conn.recv_buffer();
            match self.sock.read(buf) {
                Ok(0) => return Err(Error::ConnectionClosed),
                Ok(n) => self.conn.received(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("{e}"),
            }
            self.conn.handle_timeout(self.now())?;
        }
    }

    fn wait(&mut self, want: impl FnMut(&Conn, Event) -> bool) -> Result<(), Error> {
        assert!(self.until(Duration::from_secs(10), want)?, "timed out");
        Ok(())
    }

    /// Connect; `Ok(session_present)`.
    fn connect(&mut self, c: &Connect<'_>) -> Result<bool, Error> {
        self.conn.connect_v5(c, self.now()).unwrap();
        let mut present = false;
        self.wait(|_, ev| match ev {
            Event::Connected { session_present } => {
                present = session_present;
                true
            }
            _ => false,
        })?;
        Ok(present)
    }

    fn reopen(&mut self) {
        self.sock = Driver::open(self.port);
    }

    /// Publish and wait for its acknowledgement: the outcome.
    fn publish(
        &mut self,
        topic: &str,
        qos: QoS,
        retain: bool,
        p: Properties<'_>,
    ) -> Result<u8, Error> {
        let now = self.now();
        let id = self
            .conn
            .publish_v5(topic.as_bytes(), b"m", qos, retain, p, now)?;
        let Some(id) = id else {
            self.send();
            return Ok(0);
        };
        self.wait(|_, ev| ev == Event::Published(id))?;
        self.conn.last_outcome()
    }

    fn subscribe(&mut self, filters: &[(&str, SubOptions)], p: Properties<'_>) -> Vec<u8> {
        let f: Vec<(&[u8], SubOptions)> = filters.iter().map(|(t, o)| (t.as_bytes(), *o)).collect();
        let id = self.conn.subscribe_v5(&f, p, self.now()).unwrap();
        self.wait(|_, ev| matches!(ev, Event::Subscribed { packet_id, .. } if packet_id == id))
            .unwrap();
        self.conn.last_suback().to_vec()
    }

    /// Messages that arrive within `ms`.
    fn collect(&mut self, ms: u64) -> Vec<Msg> {
        self.until(Duration::from_millis(ms), |_, _| false).unwrap();
        std::mem::take(&mut self.got)
    }
}

fn props<'b>(buf: &'b mut [u8], ctx: Context, items: &[(&str, Value<'_>)]) -> Properties<'b> {
    let mut b = PropertyBuilder::new(buf, ctx, Role::Client);
    for (name, v) in items {
        b.push_named(name, *v).unwrap();
    }
    b.validate().unwrap();
    b.finish()
}

fn connect_pkt<'a>(id: &'a str, clean: bool, p: Properties<'a>) -> Connect<'a> {
    Connect {
        client_id: id.as_bytes(),
        keepalive: 60,
        clean_start: clean,
        username: None,
        password: None,
        will: None,
        properties: p,
    }
}

fn opts(qos: QoS) -> SubOptions {
    SubOptions::qos(qos)
}

#[test]
fn connack_properties_assigned_id_server_keep_alive_and_session_resume() {
    let b = Mosquitto::start("conn5-connack", "max_keepalive 10\nmax_inflight_messages 3");
    let mut d = Driver::new(b.port);
    let mut buf = [0u8; 64];
    let p = props(
        &mut buf,
        Context::Connect,
        &[("session_expiry_interval", Value::Int(300))],
    );
    // Empty client id: the broker assigns one.
    assert!(!d.connect(&connect_pkt("", true, p)).unwrap());
    let assigned = d.conn.assigned_client_identifier().unwrap().to_string();
    assert!(!assigned.is_empty());
    let cp = d.conn.connack_properties();
    assert_eq!(cp.get_int(PropertyId::ServerKeepAlive), Some(10));
    assert_eq!(cp.get_int(PropertyId::ReceiveMaximum), Some(3));
    // The server's keep alive replaces our 60 s; its receive maximum is our quota.
    assert_eq!(d.conn.session().keepalive(), 10);
    assert_eq!(d.conn.server_limits().receive_maximum, 3);
    // Three QoS 1 messages in flight at most: the fourth waits (InflightFull).
    for i in 0..3 {
        let now = d.now();
        d.conn
            .publish_v5(
                b"q/x",
                &[i],
                QoS::AtLeastOnce,
                false,
                Properties::EMPTY,
                now,
            )
            .unwrap();
    }
    let now = d.now();
    assert_eq!(
        d.conn.publish_v5(
            b"q/x",
            b"4",
            QoS::AtLeastOnce,
            false,
            Properties::EMPTY,
            now
        ),
        Err(Error::InflightFull)
    );
    let mut acks = 0;
    d.wait(|_, ev| {
        acks += usize::from(matches!(ev, Event::Published(_)));
        acks == 3
    })
    .unwrap();

    // Subscribe, leave with the session kept (session_expiry_interval 300),
    // come back with the assigned id: the session is there, and a message
    // published meanwhile arrives.
    d.subscribe(&[("q/#", opts(QoS::AtLeastOnce))], Properties::EMPTY);
    d.conn.disconnect_v5(0, Properties::EMPTY, d.now()).unwrap();
    d.send();
    let mut other = Driver::new(b.port);
    other
        .connect(&connect_pkt("other", true, Properties::EMPTY))
        .unwrap();
    assert_eq!(
        other.publish("q/y", QoS::AtLeastOnce, false, Properties::EMPTY),
        Ok(0)
    );
    d.reopen();
    let mut buf = [0u8; 64];
    let p = props(
        &mut buf,
        Context::Connect,
        &[("session_expiry_interval", Value::Int(300))],
    );
    assert!(
        d.connect(&connect_pkt(&assigned, false, p)).unwrap(),
        "session present"
    );
    let got = d.collect(500);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].topic, b"q/y");
}

#[test]
fn qos_0_1_2_both_ways_with_properties_and_subscription_identifiers() {
    let b = Mosquitto::start("conn5-props", "");
    let mut d = Driver::new(b.port);
    d.connect(&connect_pkt("props5", true, Properties::EMPTY))
        .unwrap();
    // Mosquitto 2.0.11 allows 10 topic aliases: the three publishes below
    // to one topic go out aliased after the first, and arrive in full.
    assert_eq!(d.conn.server_limits().topic_alias_maximum, 10);
    let mut buf = [0u8; 16];
    let sub7 = props(
        &mut buf,
        Context::Subscribe,
        &[("subscription_identifier", Value::Int(7))],
    );
    assert_eq!(d.subscribe(&[("p/#", opts(QoS::ExactlyOnce))], sub7), [2]);
    let mut buf = [0u8; 16];
    let sub9 = props(
        &mut buf,
        Context::Subscribe,
        &[("subscription_identifier", Value::Int(9))],
    );
    assert_eq!(d.subscribe(&[("p/+/x", opts(QoS::AtLeastOnce))], sub9), [1]);

    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let mut buf = [0u8; 128];
        let p = props(
            &mut buf,
            Context::Publish,
            &[
                ("user_property", Value::Pair("a", "1")),
                ("user_property", Value::Pair("b", "2")),
                ("user_property", Value::Pair("a", "3")),
                ("content_type", Value::Str("text/plain")),
                ("correlation_data", Value::Binary(b"\x00\x01")),
                ("response_topic", Value::Str("r/1")),
            ],
        );
        assert_eq!(d.publish("p/q/x", qos, false, p), Ok(0));
        // Mosquitto 2.0.11 sends one copy per matching subscription, each
        // with that subscription's identifier (MQTT 5 3.3.4 allows this or
        // one copy with both; several ids in one PUBLISH: v5_frames.rs).
        let got = d.collect(300);
        assert_eq!(got.len(), 2, "{got:?}");
        let mut ids = Vec::new();
        for m in &got {
            assert_eq!(
                (m.topic.as_slice(), m.payload.as_slice()),
                (&b"p/q/x"[..], &b"m"[..])
            );
            let users: Vec<_> = m
                .props
                .iter()
                .filter(|(n, _)| *n == "user_property")
                .collect();
            assert_eq!(
                users.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
                [
                    r#"Pair("a", "1")"#,
                    r#"Pair("b", "2")"#,
                    r#"Pair("a", "3")"#
                ],
                "order and repeats kept"
            );
            ids.extend(
                m.props
                    .iter()
                    .filter(|(n, _)| *n == "subscription_identifier")
                    .map(|(_, v)| v.clone()),
            );
            for (name, v) in [
                ("content_type", r#"Str("text/plain")"#),
                ("correlation_data", "Binary([0, 1])"),
                ("response_topic", r#"Str("r/1")"#),
            ] {
                assert!(
                    m.props.contains(&(name, v.to_string())),
                    "{name} in {:?}",
                    m.props
                );
            }
        }
        ids.sort();
        assert_eq!(ids, ["Int(7)", "Int(9)"], "both subscriptions matched");
    }
    // 0x10: no subscriber matched, still a success.
    assert_eq!(
        d.publish("nobody/x", QoS::AtLeastOnce, false, Properties::EMPTY),
        Ok(0x10)
    );
    // Mosquitto 2.0.11 answers QoS 2 with PUBREC 0 even then (a PUBREC
    // 0x10 as the outcome: connection_v5.rs).
    assert_eq!(
        d.publish("nobody/x", QoS::ExactlyOnce, false, Properties::EMPTY),
        Ok(0)
    );
    // UNSUBACK codes: 0 and 0x11 (no subscription existed), not errors.
    let id = d
        .conn
        .unsubscribe_v5(&[b"p/#", b"none/#"], Properties::EMPTY, d.now())
        .unwrap();
    d.wait(|_, ev| ev == Event::Unsubscribed(id)).unwrap();
    assert_eq!(d.conn.last_suback(), [0, 0x11]);
}

#[test]
fn no_local_and_retain_handling() {
    let b = Mosquitto::start("conn5-opts", "");
    let mut d = Driver::new(b.port);
    d.connect(&connect_pkt("opts5", true, Properties::EMPTY))
        .unwrap();
    let no_local = SubOptions {
        no_local: true,
        ..opts(QoS::AtLeastOnce)
    };
    d.subscribe(
        &[("nl/#", no_local), ("all/#", opts(QoS::AtLeastOnce))],
        Properties::EMPTY,
    );
    d.publish("nl/x", QoS::AtLeastOnce, false, Properties::EMPTY)
        .unwrap();
    d.publish("all/x", QoS::AtLeastOnce, false, Properties::EMPTY)
        .unwrap();
    let got = d.collect(300);
    assert_eq!(
        got.iter().map(|m| m.topic.as_slice()).collect::<Vec<_>>(),
        [b"all/x"],
        "no_local: our own message is not sent back"
    );

    d.publish("r/x", QoS::AtLeastOnce, true, Properties::EMPTY)
        .unwrap();
    let never = SubOptions {
        retain_handling: 2,
        ..opts(QoS::AtLeastOnce)
    };
    d.subscribe(&[("r/#", never)], Properties::EMPTY);
    assert!(
        d.collect(300).is_empty(),
        "retain_handling 2: no retained message"
    );
    let keep_flag = SubOptions {
        retain_as_published: true,
        ..opts(QoS::AtLeastOnce)
    };
    d.subscribe(&[("r/+", keep_flag)], Properties::EMPTY);
    let got = d.collect(300);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].retain);
    // retain_handling 1: only for a new subscription (r/+ exists now).
    let new_only = SubOptions {
        retain_handling: 1,
        ..opts(QoS::AtLeastOnce)
    };
    d.subscribe(&[("r/+", new_only)], Properties::EMPTY);
    assert!(
        d.collect(300).is_empty(),
        "retain_handling 1 on an existing subscription"
    );
}

#[test]
fn bad_login_is_0x87_with_the_connack_kept() {
    let b = Mosquitto::with_login("conn5-login", None);
    let mut d = Driver::new(b.port);
    let c = Connect {
        username: Some(b"u"),
        password: Some(b"wrong"),
        ..connect_pkt("login5", true, Properties::EMPTY)
    };
    assert_eq!(d.connect(&c), Err(Error::ConnectionRefused(0x87)));
    assert!(d.conn.lost());
    assert_eq!(d.conn.last_reason_code(), 0x87);
    let r = Error::ConnectionRefused(0x87).report();
    assert_eq!(r.code, 0x87);
    d.reopen();
    let c = Connect {
        password: Some(b"secret"),
        ..c
    };
    assert_eq!(d.connect(&c), Ok(false));
}

#[test]
fn the_brokers_limits_refuse_before_sending() {
    let b = Mosquitto::start(
        "conn5-limits",
        "max_packet_size 100\nmax_qos 1\nretain_available false",
    );
    let mut d = Driver::new(b.port);
    d.connect(&connect_pkt("limits5", true, Properties::EMPTY))
        .unwrap();
    let l = *d.conn.server_limits();
    assert_eq!(
        (l.maximum_qos, l.retain_available, l.maximum_packet_size),
        (QoS::AtLeastOnce, false, Some(100))
    );
    let now = d.now();
    let e = |a| Err(Error::InvalidArgument(a));
    let c = &mut d.conn;
    let none = Properties::EMPTY;
    assert_eq!(
        c.publish_v5(b"t", b"x", QoS::ExactlyOnce, false, none, now),
        e(ArgError::QoSNotSupported)
    );
    assert_eq!(
        c.publish_v5(b"t", b"x", QoS::AtMostOnce, true, none, now),
        e(ArgError::RetainNotSupported)
    );
    let big = [b'x'; 200];
    assert_eq!(
        c.publish_v5(b"t", &big, QoS::AtLeastOnce, false, none, now),
        e(ArgError::ExceedsServerMaximumPacketSize)
    );
    assert_eq!(c.poll_transmit(now).unwrap(), None, "nothing was sent");
    assert_eq!(c.session().inflight_len(), 0, "no id taken");
    // What fits still goes through, and the connection is fine.
    assert_eq!(d.publish("t", QoS::AtLeastOnce, false, none), Ok(0x10));
}

#[test]
fn mqtt_3_1_1_on_the_same_connection_object_after_mqtt_5() {
    // The protocol is chosen per CONNECT: a 3.1.1 connect after a v5 one
    // speaks 3.1.1 again (no properties on the wire).
    let b = Mosquitto::start("conn5-switch", "");
    let mut d = Driver::new(b.port);
    d.connect(&connect_pkt("switch", true, Properties::EMPTY))
        .unwrap();
    d.conn.disconnect_v5(0, Properties::EMPTY, d.now()).unwrap();
    d.send();
    d.reopen();
    d.conn.connect(&support::conn(true, 30), d.now()).unwrap();
    d.wait(|_, ev| matches!(ev, Event::Connected { .. }))
        .unwrap();
    assert_eq!(d.conn.protocol(), umqtt_core::ProtocolVersion::V311);
    assert!(d.conn.connack_properties().is_empty());
    let id: Option<PacketId> = d
        .conn
        .publish(b"t", b"x", QoS::AtLeastOnce, false, d.now())
        .unwrap();
    let id = id.unwrap();
    d.wait(|_, ev| ev == Event::Published(id)).unwrap();
    assert_eq!(d.conn.last_outcome(), Ok(0));
}
