//! The sans-IO connection driven by hand against a real Mosquitto 2 (started
//! here on a free loopback port) over a std TCP socket: no `Host`, no
//! `Client`; the loop below is all a driver needs.
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

use support::broker::Broker;
use support::{conn, VecBuf};
use umqtt_core::codec::Connect;
use umqtt_core::connection::{Connection, Event};
use umqtt_core::session::{Config, State};
use umqtt_core::subscriptions::Subscriptions;
use umqtt_core::QoS;

type Conn = Connection<VecBuf, VecBuf, VecBuf, VecBuf>;

struct Driver {
    conn: Conn,
    sock: TcpStream,
    start: Instant,
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
            start: Instant::now(),
        }
    }

    fn open(port: u16) -> TcpStream {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_nodelay(true).unwrap();
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

    /// Events until `want` says stop (messages copied out as they come).
    fn until(&mut self, mut want: impl FnMut(Event, Option<(Vec<u8>, Vec<u8>)>) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.send();
            while let Some(ev) = self.conn.poll_event(self.now()).unwrap() {
                let msg = self
                    .conn
                    .message()
                    .map(|m| (m.topic.to_vec(), m.payload.to_vec()));
                // The acknowledgement of a message goes out after "the callback".
                self.send();
                if want(ev, msg) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "timed out");
            self.sock
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let buf = self.conn.recv_buffer();
            match self.sock.read(buf) {
                Ok(0) => panic!("broker closed the connection"),
                Ok(n) => self.conn.received(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("{e}"),
            }
            self.conn.handle_timeout(self.now()).unwrap();
        }
    }

    fn connect(&mut self, c: &Connect) -> bool {
        self.conn.connect(c, self.now()).unwrap();
        let mut present = None;
        self.until(|ev, _| match ev {
            Event::Connected { session_present } => {
                present = Some(session_present);
                true
            }
            _ => false,
        });
        present.unwrap()
    }
}

#[test]
fn qos_0_1_2_round_trip_and_a_resumed_session_resends_with_dup() {
    let broker = Broker::start("connection");
    let pkt = Connect {
        client_id: b"conn-sansio",
        ..conn(true, 30)
    };
    let mut d = Driver::new(broker.port);
    assert!(!d.connect(&pkt));
    let sub = d.conn.subscribe(&[(b"c/#", QoS::ExactlyOnce)], 0).unwrap();
    d.until(|ev, _| matches!(ev, Event::Subscribed { packet_id, .. } if packet_id == sub));
    assert_eq!(d.conn.last_suback(), &[2]);

    let mut got = Vec::new();
    for (qos, payload) in [
        (QoS::AtMostOnce, &b"zero"[..]),
        (QoS::AtLeastOnce, b"one"),
        (QoS::ExactlyOnce, b"two"),
    ] {
        let now = d.now();
        let id = d.conn.publish(b"c/x", payload, qos, false, now).unwrap();
        let mut acked = id.is_none();
        let mut delivered = false;
        d.until(|ev, msg| {
            match ev {
                Event::Published(p) if Some(p) == id => acked = true,
                Event::Message { .. } => {
                    got.push(msg.unwrap());
                    delivered = true;
                }
                _ => {}
            }
            acked && delivered
        });
    }
    assert_eq!(
        got,
        vec![
            (b"c/x".to_vec(), b"zero".to_vec()),
            (b"c/x".to_vec(), b"one".to_vec()),
            (b"c/x".to_vec(), b"two".to_vec()),
        ]
    );
    assert!(d.conn.frames().is_empty());

    // Keep the session, publish QoS 1 and drop the socket before its PUBACK
    // is read: the resumed session resends the stored frame with DUP.
    let keep = Connect {
        clean_session: false,
        ..pkt
    };
    d.sock = Driver::open(broker.port);
    d.conn.closed();
    assert!(!d.connect(&keep));
    // The broker has no session: restore the remembered subscription.
    let again = d.conn.resubscribe(d.now()).unwrap().unwrap();
    d.until(|ev, _| matches!(ev, Event::Subscribed { packet_id, .. } if packet_id == again));
    assert_eq!(d.conn.resubscribe(d.now()), Ok(None));
    let now = d.now();
    let id = d
        .conn
        .publish(b"c/y", b"again", QoS::AtLeastOnce, false, now)
        .unwrap()
        .unwrap();
    d.send();
    d.conn.fail(&umqtt_core::Error::ConnectionClosed);
    assert_eq!(d.conn.session().state(), State::Disconnected);
    assert!(d.conn.lost());
    assert!(d.conn.frames().get(id).is_some());
    d.sock = Driver::open(broker.port);
    assert!(d.connect(&keep), "session present");
    let mut acked = false;
    let mut copies = 0;
    d.until(|ev, msg| {
        match ev {
            Event::Published(p) if p == id => acked = true,
            Event::Message { .. } if msg.unwrap().1 == b"again" => copies += 1,
            _ => {}
        }
        acked && copies >= 1
    });
    assert!(d.conn.frames().is_empty());
    assert!(!d.conn.lost());
}
