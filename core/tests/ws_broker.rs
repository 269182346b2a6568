//! MQTT over WebSockets end to end: the blocking `Client` over a `Host`
//! whose bytes go through `umqtt_core::ws` on a std TCP socket, against a
//! real Mosquitto 2 with a WebSocket listener and against aedes (1 MB both
//! ways), both started here on free loopback ports, and against small fake
//! WebSocket servers for what a
//! real broker never sends: a bad accept key, masked, oversized, reserved
//! and fragmented frames, pings, and a close in the middle of a packet.
#![cfg(feature = "ws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;
mod ws_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use support::broker::Broker;
use support::{conn, VecBuf};
use umqtt_core::client::{Client, Progress, WaitFor};
use umqtt_core::codec::Connect;
use umqtt_core::session::Config;
use umqtt_core::ws::handshake::{accept_key, MAX_RESPONSE};
use umqtt_core::ws::WsError;
use umqtt_core::{Error, PacketId, QoS};
use ws_support::host::{ws_connect, WsHost};
use ws_support::{data_frame, parse_client_frame, server_frame, LenForm};

type C = Client<VecBuf, VecBuf, VecBuf>;

fn client() -> C {
    Client::new(
        Config::default(),
        VecBuf::new(64, 4 << 20),
        VecBuf::new(64, 4 << 20),
        VecBuf::new(0, 4 << 20),
    )
}

fn connect(port: u16, id: &'static [u8]) -> (C, WsHost) {
    let mut c = client();
    let mut h = ws_connect(port, "/mqtt", &[("Origin", "http://localhost")]).unwrap();
    let pkt = Connect {
        client_id: id,
        // Keepalive: a PINGRESP may queue behind a slow WebSocket transfer.
        ..conn(true, 30)
    };
    assert_eq!(c.connect(&mut h, &pkt, Some(5_000)), Ok(false));
    (c, h)
}

type Got = Vec<(Vec<u8>, Vec<u8>, QoS)>;

fn push(got: &mut Got, p: Progress<'_>) {
    if let Progress::Message(m) = p {
        got.push((m.topic.to_vec(), m.payload.to_vec(), m.qos));
    }
}

fn wait_ack(c: &mut C, h: &mut WsHost, id: PacketId, got: &mut Got) {
    loop {
        match c.run(h, WaitFor::Ack(id)).unwrap() {
            Progress::Done => return,
            p => push(got, p),
        }
    }
}

fn collect(c: &mut C, h: &mut WsHost, got: &mut Got, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < n {
        assert!(Instant::now() < deadline, "messages missing: {}", got.len());
        let p = c.run(h, WaitFor::OnePacket).unwrap();
        assert_ne!(p, Progress::Done);
        push(got, p);
    }
}

#[test]
fn full_session_over_websockets_through_mosquitto() {
    let b = Broker::start_with_websockets("ws-session");
    let (mut c, mut h) = connect(b.ws_port, b"umqtt-ws");
    let sub = c
        .start_subscribe(&mut h, &[(b"ws/#", QoS::ExactlyOnce)])
        .unwrap();
    let mut got = Got::new();
    wait_ack(&mut c, &mut h, sub, &mut got);
    assert_eq!(c.last_suback(), &[2]);
    // 1 MB to the broker in one frame (64-bit length); its PUBCOMP shows
    // the broker took the whole packet. Mosquitto 2.0.11 sends WebSocket
    // data to clients at only ~40 KB/s (about 4 KB per turn of its event
    // loop), so what comes back is kept to 100 KB: still one MQTT packet
    // over many reads.
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let id = c
        .start_publish(&mut h, b"big/x", &big, QoS::ExactlyOnce, false)
        .unwrap()
        .unwrap();
    wait_ack(&mut c, &mut h, id, &mut got);
    let sent: Vec<(&[u8], QoS)> = vec![
        (b"zero", QoS::AtMostOnce),
        (b"one", QoS::AtLeastOnce),
        (b"two", QoS::ExactlyOnce),
        (&big[..100_000], QoS::ExactlyOnce),
        (&big[..66_000], QoS::AtLeastOnce),
    ];
    for (payload, qos) in &sent {
        if let Some(id) = c
            .start_publish(&mut h, b"ws/x", payload, *qos, false)
            .unwrap()
        {
            wait_ack(&mut c, &mut h, id, &mut got);
        }
    }
    collect(&mut c, &mut h, &mut got, sent.len());
    for (payload, qos) in &sent {
        assert!(
            got.contains(&(b"ws/x".to_vec(), payload.to_vec(), *qos)),
            "missing {} bytes at {qos:?}",
            payload.len()
        );
    }
    assert_eq!(got.len(), sent.len());
    assert_eq!(c.frames().ids().count(), 0);
    // Retained message: a second client over WebSockets gets it.
    let id = c
        .start_publish(&mut h, b"ws/retained", b"kept", QoS::AtLeastOnce, true)
        .unwrap()
        .unwrap();
    wait_ack(&mut c, &mut h, id, &mut got);
    let (mut c2, mut h2) = connect(b.ws_port, b"umqtt-ws-2");
    let sub = c2
        .start_subscribe(&mut h2, &[(b"ws/retained", QoS::AtLeastOnce)])
        .unwrap();
    let mut got2 = Got::new();
    wait_ack(&mut c2, &mut h2, sub, &mut got2);
    collect(&mut c2, &mut h2, &mut got2, 1);
    assert_eq!(got2[0].1, b"kept");
    // Unsubscribe, a ping and its answer, a clean disconnect.
    let un = c.start_unsubscribe(&mut h, &[b"ws/#"]).unwrap();
    wait_ack(&mut c, &mut h, un, &mut got);
    c.ping(&mut h).unwrap();
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    c.disconnect(&mut h).unwrap();
    h.link.close(&mut h.raw).unwrap();
    // The broker closes: its close frame (answered) or the end of the stream.
    let mut buf = [0u8; 64];
    let r = h.link.read(
        &mut h.raw,
        &mut buf,
        umqtt_core::client::ReadWait::Force(5_000),
    );
    assert!(
        matches!(
            r,
            Err(Error::ConnectionClosed | Error::WebSocket(WsError::Closed(_)))
        ),
        "{r:?}"
    );
}

/// aedes (npm, behind the `ws` package) from tests/harness/node/, installed
/// by scripts/setup_ws.sh: the second WebSocket broker, for large messages
/// (Mosquitto 2.0.11 sends WebSocket data to clients at ~40 KB/s).
struct Aedes {
    child: std::process::Child,
    ws_port: u16,
}

impl Aedes {
    fn start() -> Aedes {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/harness/node");
        assert!(
            dir.join("node_modules/aedes").is_dir(),
            "aedes is not installed: run scripts/setup_ws.sh"
        );
        let free = || {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (port, ws_port) = (free(), free());
        let mut child = std::process::Command::new("node")
            .arg("aedes_broker.mjs")
            .arg(port.to_string())
            .arg(ws_port.to_string())
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node must be installed (scripts/setup_ws.sh)");
        // It prints "ready" once both listeners are up.
        let mut out = child.stdout.take().unwrap();
        let mut seen = Vec::new();
        let mut b = [0u8; 64];
        while !String::from_utf8_lossy(&seen).contains("ready") {
            let n = out.read(&mut b).unwrap();
            assert!(n > 0, "aedes exited before it was ready");
            seen.extend_from_slice(&b[..n]);
        }
        Aedes { child, ws_port }
    }
}

impl Drop for Aedes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn one_megabyte_both_ways_through_aedes() {
    let b = Aedes::start();
    let (mut c, mut h) = connect(b.ws_port, b"umqtt-ws-big");
    let sub = c
        .start_subscribe(&mut h, &[(b"big/#", QoS::ExactlyOnce)])
        .unwrap();
    let mut got = Got::new();
    wait_ack(&mut c, &mut h, sub, &mut got);
    let big: Vec<u8> = (0..1_048_576u32).map(|i| (i % 253) as u8).collect();
    for qos in [QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::AtMostOnce] {
        if let Some(id) = c.start_publish(&mut h, b"big/x", &big, qos, false).unwrap() {
            wait_ack(&mut c, &mut h, id, &mut got);
        }
    }
    collect(&mut c, &mut h, &mut got, 3);
    let mut qos: Vec<QoS> = got.iter().map(|g| g.2).collect();
    qos.sort_by_key(|q| *q as u8);
    assert_eq!(qos, [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]);
    assert!(got.iter().all(|g| g.0 == b"big/x" && g.1 == big));
    c.ping(&mut h).unwrap();
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    c.disconnect(&mut h).unwrap();
}

/// A fake WebSocket server on a free port: accepts one connection, reads
/// the request, answers with `answer(key)` and then runs `script`.
fn fake_server(answer: fn(&str) -> String, script: fn(&mut TcpStream)) -> (u16, JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = Vec::new();
        let mut b = [0u8; 1];
        while !req.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).unwrap(), 1);
            req.push(b[0]);
        }
        let req = String::from_utf8(req).unwrap();
        assert!(req.starts_with("GET /mqtt HTTP/1.1\r\n"));
        assert!(req.contains("\r\nSec-WebSocket-Protocol: mqtt\r\n"));
        assert!(req.contains("\r\nSec-WebSocket-Version: 13\r\n"));
        assert!(req.contains("\r\nOrigin: http://localhost\r\n"));
        let key = req
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .to_string();
        s.write_all(answer(&key).as_bytes()).unwrap();
        script(&mut s);
    });
    (port, t)
}

fn good_answer(key: &str) -> String {
    let accept = accept_key(key.as_bytes());
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
        std::str::from_utf8(&accept).unwrap()
    )
}

/// Read one client frame (checking it is masked), return (b0, payload).
/// Reads exactly its bytes: the next frame may already be in the socket.
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut buf = vec![0u8; 2];
    s.read_exact(&mut buf).unwrap();
    let ext = match buf[1] & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mut more = vec![0u8; ext + 4];
    s.read_exact(&mut more).unwrap();
    buf.extend_from_slice(&more);
    while parse_client_frame(&buf).is_none() {
        let mut b = [0u8; 1];
        s.read_exact(&mut b).unwrap();
        buf.push(b[0]);
    }
    let (b0, payload, len) = parse_client_frame(&buf).unwrap();
    assert_eq!(len, buf.len());
    (b0, payload)
}

const CONNACK: [u8; 4] = [0x20, 2, 0, 0];

/// Read the CONNECT frame; its payload must be an MQTT CONNECT.
fn expect_connect(s: &mut TcpStream) {
    let (b0, p) = read_frame(s);
    assert_eq!(b0, 0x82);
    assert_eq!(p[0], 0x10);
}

/// Connect through the fake server: the handshake's or CONNECT's result,
/// and the host if the handshake passed.
fn try_connect(port: u16) -> (Result<bool, Error>, Option<WsHost>) {
    match ws_connect(port, "/mqtt", &[("Origin", "http://localhost")]) {
        Err(e) => (Err(Error::WebSocket(e)), None),
        Ok(mut h) => {
            let mut c = client();
            let r = c.connect(&mut h, &conn(true, 10), Some(5_000));
            (r, Some(h))
        }
    }
}

fn ws_err(e: WsError) -> Result<bool, Error> {
    Err(Error::WebSocket(e))
}

#[test]
fn bad_accept_key_is_refused() {
    let (port, t) = fake_server(|_| good_answer("not the key"), |_| {});
    assert_eq!(try_connect(port).0, ws_err(WsError::BadAccept));
    t.join().unwrap();
}

#[test]
fn missing_subprotocol_and_http_error_are_refused() {
    let (port, t) = fake_server(
        |k| good_answer(k).replace("Sec-WebSocket-Protocol: mqtt\r\n", ""),
        |_| {},
    );
    assert_eq!(try_connect(port).0, ws_err(WsError::BadSubprotocol));
    t.join().unwrap();
    let (port, t) = fake_server(
        |_| "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".into(),
        |_| {},
    );
    assert_eq!(try_connect(port).0, ws_err(WsError::Status(403)));
    t.join().unwrap();
    let (port, t) = fake_server(
        |_| format!("HTTP/1.1 101 OK\r\nX: {}\r\n", "y".repeat(MAX_RESPONSE)),
        |_| {},
    );
    assert_eq!(try_connect(port).0, ws_err(WsError::ResponseTooLong));
    t.join().unwrap();
}

#[test]
fn masked_server_frame_is_refused() {
    let (port, t) = fake_server(good_answer, |s| {
        expect_connect(s);
        let mut f = vec![0x82, 0x84, 1, 2, 3, 4];
        f.extend(CONNACK.iter().zip([1, 2, 3, 4]).map(|(b, m)| b ^ m));
        s.write_all(&f).unwrap();
    });
    assert_eq!(try_connect(port).0, ws_err(WsError::MaskedFrame));
    t.join().unwrap();
}

#[test]
fn oversized_and_text_and_reserved_frames_are_refused() {
    let (port, t) = fake_server(good_answer, |s| {
        expect_connect(s);
        // Announces 1 TB; nothing of it needs to arrive.
        s.write_all(&[0x82, 0x7f, 0, 0, 1, 0, 0, 0, 0, 0]).unwrap();
    });
    assert_eq!(
        try_connect(port).0,
        ws_err(WsError::FrameTooLarge { len: 1 << 40 })
    );
    t.join().unwrap();
    let (port, t) = fake_server(good_answer, |s| {
        expect_connect(s);
        s.write_all(&server_frame(0x81, &CONNACK, LenForm::Minimal))
            .unwrap();
    });
    assert_eq!(try_connect(port).0, ws_err(WsError::TextFrame));
    t.join().unwrap();
    let (port, t) = fake_server(good_answer, |s| {
        expect_connect(s);
        s.write_all(&server_frame(0xc2, &CONNACK, LenForm::Minimal))
            .unwrap();
    });
    assert_eq!(try_connect(port).0, ws_err(WsError::ReservedBits));
    t.join().unwrap();
}

#[test]
fn close_in_the_middle_of_a_packet() {
    let (port, t) = fake_server(good_answer, |s| {
        expect_connect(s);
        // Half a CONNACK, then close 1011 (internal error).
        s.write_all(&data_frame(true, false, &CONNACK[..2], LenForm::Minimal))
            .unwrap();
        s.write_all(&server_frame(
            0x88,
            &1011u16.to_be_bytes(),
            LenForm::Minimal,
        ))
        .unwrap();
        // The client answers the close, echoing the code.
        assert_eq!(read_frame(s), (0x88, 1011u16.to_be_bytes().to_vec()));
    });
    let (r, h) = try_connect(port);
    assert_eq!(r, ws_err(WsError::Closed(Some(1011))));
    // The stream stopped inside a fragmented message.
    assert!(h.unwrap().link.decoder().mid_message());
    t.join().unwrap();
}

#[test]
fn fragmented_connack_with_pings_between() {
    let (port, t) = fake_server(good_answer, |s| {
        expect_connect(s);
        // CONNACK in four fragments (one empty, mixed length forms) with a
        // ping and an unsolicited pong between them, in one write.
        let mut f = data_frame(true, false, &CONNACK[..1], LenForm::Ext64);
        f.extend(server_frame(0x89, b"are you there", LenForm::Minimal));
        f.extend(data_frame(false, false, &[], LenForm::Minimal));
        f.extend(server_frame(0x8a, b"", LenForm::Minimal));
        f.extend(data_frame(false, false, &CONNACK[1..3], LenForm::Ext16));
        f.extend(data_frame(false, true, &CONNACK[3..], LenForm::Minimal));
        // SUBACK and a PUBLISH packed into one frame, sent byte by byte.
        let mut packed = vec![0x90, 3, 0, 1, 1];
        packed.extend([0x30, 7, 0, 1, b't', b'h', b'e', b'l', b'o']);
        let packed = data_frame(true, true, &packed, LenForm::Minimal);
        s.write_all(&f).unwrap();
        assert_eq!(read_frame(s), (0x8a, b"are you there".to_vec()));
        let (b0, sub) = read_frame(s);
        assert_eq!((b0, sub[0]), (0x82, 0x82));
        for b in packed {
            s.write_all(&[b]).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        // The client's DISCONNECT, then its close.
        assert_eq!(read_frame(s), (0x82, vec![0xe0, 0]));
    });
    let mut h = ws_connect(port, "/mqtt", &[("Origin", "http://localhost")]).unwrap();
    let mut c = client();
    assert_eq!(c.connect(&mut h, &conn(true, 10), Some(5_000)), Ok(false));
    assert_eq!(h.raw.pongs_sent, 1);
    let id = c
        .start_subscribe(&mut h, &[(b"t", QoS::AtLeastOnce)])
        .unwrap();
    assert_eq!(id.get(), 1);
    let mut got = Got::new();
    wait_ack(&mut c, &mut h, id, &mut got);
    collect(&mut c, &mut h, &mut got, 1);
    assert_eq!(
        got,
        vec![(b"t".to_vec(), b"helo".to_vec(), QoS::AtMostOnce)]
    );
    c.disconnect(&mut h).unwrap();
    t.join().unwrap();
}
