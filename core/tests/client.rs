//! Blocking driver tests against a fake in-memory host: the "broker" is a
//! script of byte chunks and silences, the clock is fake (it only moves
//! when the client waits), and every write is recorded.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, clippy::arithmetic_side_effects)]

use std::collections::{HashMap, VecDeque};

use umqtt_core::client::{Client, Host, Progress, ReadResult, ReadWait, WaitFor};
use umqtt_core::codec::Connect;
use umqtt_core::session::{Config, State};
use umqtt_core::{Buffer, Error, PacketId, ProtocolError, ProtocolVersion, QoS};

/// What the broker does next.
#[derive(Debug, Clone)]
enum Act {
    /// Bytes arrive (possibly read in several pieces).
    Bytes(Vec<u8>),
    /// Nothing arrives for this many ms.
    Silence(u64),
    /// The broker closes the connection.
    Close,
}

#[derive(Default)]
struct FakeHost {
    now: u64,
    script: VecDeque<Act>,
    writes: Vec<Vec<u8>>,
    store: HashMap<u16, Vec<u8>>,
    /// The "socket" was made non-blocking by the application.
    nonblocking: bool,
    /// Every read's wait mode.
    waits: Vec<ReadWait>,
    /// Largest read size handed out (to test partial reads).
    max_read: Option<usize>,
}

impl FakeHost {
    fn new() -> Self {
        FakeHost::default()
    }
    fn push(&mut self, bytes: &[u8]) {
        self.script.push_back(Act::Bytes(bytes.to_vec()));
    }
    fn silence(&mut self, ms: u64) {
        self.script.push_back(Act::Silence(ms));
    }
    fn take_writes(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.writes)
    }
}

impl Host for FakeHost {
    fn now_ms(&mut self) -> u64 {
        self.now
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.writes.push(data.to_vec());
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        self.waits.push(wait);
        assert!(!buf.is_empty());
        // How long this call may block, None = forever.
        let limit: Option<u64> = match wait {
            ReadWait::Poll => Some(0),
            ReadWait::Socket(_) if self.nonblocking => Some(0),
            ReadWait::Socket(t) => t.map(u64::from),
            ReadWait::Force(t) => Some(u64::from(t)),
        };
        loop {
            match self.script.pop_front() {
                Some(Act::Bytes(b)) => {
                    let n = b.len().min(buf.len()).min(self.max_read.unwrap_or(usize::MAX));
                    buf[..n].copy_from_slice(&b[..n]);
                    if n < b.len() {
                        self.script.push_front(Act::Bytes(b[n..].to_vec()));
                    }
                    return Ok(ReadResult::Data(n));
                }
                Some(Act::Silence(ms)) => match limit {
                    Some(0) => {
                        self.script.push_front(Act::Silence(ms));
                        return Ok(ReadResult::WouldBlock);
                    }
                    Some(t) if t < ms => {
                        self.now += t;
                        self.script.push_front(Act::Silence(ms - t));
                        return Ok(ReadResult::TimedOut);
                    }
                    _ => self.now += ms,
                },
                Some(Act::Close) => return Err(Error::ConnectionClosed),
                None => match limit {
                    Some(0) => return Ok(ReadResult::WouldBlock),
                    Some(t) => {
                        self.now += t;
                        return Ok(ReadResult::TimedOut);
                    }
                    None => panic!("read would block forever"),
                },
            }
        }
    }
    fn store(&mut self, id: PacketId, frame: &[u8]) -> Result<(), Error> {
        self.store.insert(id.get(), frame.to_vec());
        Ok(())
    }
    fn stored(&mut self, id: PacketId) -> Option<&mut [u8]> {
        self.store.get_mut(&id.get()).map(|v| v.as_mut_slice())
    }
    fn forget(&mut self, id: PacketId) {
        self.store.remove(&id.get());
    }
}

/// A growable buffer with a size limit (like the bindings' Vec buffers).
struct VecBuf {
    v: Vec<u8>,
    max: usize,
}

impl VecBuf {
    fn new(len: usize, max: usize) -> Self {
        VecBuf { v: vec![0; len], max }
    }
}

impl Buffer for VecBuf {
    fn bytes(&self) -> &[u8] {
        &self.v
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.v
    }
    fn grow(&mut self, len: usize) -> bool {
        if len > self.max {
            return false;
        }
        if len > self.v.len() {
            self.v.resize(len, 0);
        }
        true
    }
}

type C = Client<VecBuf, VecBuf>;

fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

fn new_client() -> C {
    Client::new(Config::default(), VecBuf::new(16, 1 << 16), VecBuf::new(16, 1 << 16))
}

fn conn(clean: bool, keepalive: u16) -> Connect<'static> {
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

fn connected(keepalive: u16) -> (C, FakeHost) {
    let mut c = new_client();
    let mut h = FakeHost::new();
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(c.connect(&mut h, &conn(true, keepalive), None), Ok(false));
    h.take_writes();
    h.waits.clear();
    (c, h)
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n % 128) as u8;
        n /= 128;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn publish(topic: &[u8], payload: &[u8], qos: u8, id: u16, dup: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    body.extend_from_slice(topic);
    if qos > 0 {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let mut f = vec![0x30 | (qos << 1) | if dup { 0x08 } else { 0 }];
    varint(body.len(), &mut f);
    f.extend_from_slice(&body);
    f
}

fn ack(first: u8, id: u16) -> Vec<u8> {
    let [h, l] = id.to_be_bytes();
    vec![first, 2, h, l]
}

const PUBACK: u8 = 0x40;
const PUBREC: u8 = 0x50;
const PUBREL: u8 = 0x62;
const PUBCOMP: u8 = 0x70;
const PINGREQ: [u8; 2] = [0xc0, 0];
const PINGRESP: [u8; 2] = [0xd0, 0];

/// Run and copy a message out: (topic, payload, qos, dup).
fn expect_message(c: &mut C, h: &mut FakeHost, until: WaitFor) -> (Vec<u8>, Vec<u8>, QoS, bool) {
    match c.run(h, until) {
        Ok(Progress::Message(m)) => (m.topic.to_vec(), m.payload.to_vec(), m.qos, m.dup),
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn connect_writes_connect_and_returns_session_present() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    // CONNACK arrives in two pieces
    h.push(&[0x20, 2]);
    h.push(&[1, 0]);
    assert_eq!(c.connect(&mut h, &conn(false, 30), None), Ok(true));
    assert_eq!(c.session().state(), State::Connected);
    let w = h.take_writes();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0], b"\x10\x0f\x00\x04MQTT\x04\x00\x00\x1e\x00\x03cid");
    assert!(matches!(h.waits[0], ReadWait::Force(30_000)));
}

#[test]
fn connack_refused_rc_1_to_5() {
    for rc in 1..=5u8 {
        let mut c = new_client();
        let mut h = FakeHost::new();
        h.push(&[0x20, 2, 0, rc]);
        assert_eq!(c.connect(&mut h, &conn(true, 0), None), Err(Error::ConnectionRefused(rc)));
        assert_eq!(c.session().state(), State::Disconnected);
    }
}

#[test]
fn connect_timeout_is_bounded() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    h.silence(10_000);
    assert_eq!(c.connect(&mut h, &conn(true, 0), Some(2_500)), Err(Error::Timeout));
    assert_eq!(h.now, 2_500);
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn packets_before_connack_and_second_connack() {
    let mut c = new_client();
    let mut h = FakeHost::new();
    h.push(&publish(b"t", b"x", 0, 0, false));
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(
        c.connect(&mut h, &conn(true, 0), None),
        Err(Error::Protocol(ProtocolError::UnexpectedConnAck))
    );
    assert_eq!(c.session().state(), State::Disconnected);

    let (mut c, mut h) = connected(0);
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::Protocol(ProtocolError::UnexpectedConnAck))
    );
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::NotConnected));
}

#[test]
fn qos0_publish_is_one_write() {
    let (mut c, mut h) = connected(0);
    let payload = vec![7u8; 1000]; // forces tx to grow from 16 bytes
    assert_eq!(c.start_publish(&mut h, b"a/b", &payload, QoS::AtMostOnce, false), Ok(None));
    let w = h.take_writes();
    assert_eq!(w.len(), 1);
    assert_eq!(&w[0][..8], b"\x30\xed\x07\x00\x03a/b");
    assert_eq!(w[0].len(), 1008);
    assert!(h.store.is_empty());
}

#[test]
fn tx_that_cannot_grow_reports_buffer_too_small() {
    let mut c: Client<VecBuf, [u8; 32]> = Client::new(Config::default(), VecBuf::new(64, 64), [0u8; 32]);
    let mut h = FakeHost::new();
    h.push(&[0x20, 2, 0, 0]);
    c.connect(&mut h, &conn(true, 0), None).unwrap();
    assert_eq!(
        c.start_publish(&mut h, b"t", &[0; 100], QoS::AtLeastOnce, false),
        Err(Error::BufferTooSmall { needed: 107 })
    );
    assert_eq!(c.session().inflight_len(), 0);
    assert_eq!(c.session().state(), State::Connected);
}

#[test]
fn qos1_publish_waits_for_puback() {
    let (mut c, mut h) = connected(0);
    let id = c.start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false).unwrap().unwrap();
    assert_eq!(id, pid(1));
    assert_eq!(h.store[&1], b"\x32\x06\x00\x01t\x00\x01m");
    h.push(&ack(PUBACK, 1));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert!(h.store.is_empty(), "acknowledged frame forgotten");
    assert_eq!(h.take_writes(), vec![b"\x32\x06\x00\x01t\x00\x01m".to_vec()]);
    // waiting again for a finished id returns at once
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
}

#[test]
fn qos2_publish_full_handshake() {
    let (mut c, mut h) = connected(0);
    let id = c.start_publish(&mut h, b"t", b"m", QoS::ExactlyOnce, true).unwrap().unwrap();
    h.push(&ack(PUBREC, id.get()));
    h.push(&ack(PUBCOMP, id.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    let w = h.take_writes();
    assert_eq!(w, vec![b"\x35\x06\x00\x01t\x00\x01m".to_vec(), ack(PUBREL, 1)]);
    assert!(h.store.is_empty());
}

#[test]
fn messages_delivered_while_waiting_for_ack_and_acked_after_callback() {
    let (mut c, mut h) = connected(0);
    let id = c.start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false).unwrap().unwrap();
    h.take_writes();
    // message and PUBACK arrive in one read
    let mut data = publish(b"in", b"hello", 1, 77, false);
    data.extend_from_slice(&ack(PUBACK, 1));
    h.push(&data);
    assert_eq!(
        expect_message(&mut c, &mut h, WaitFor::Ack(id)),
        (b"in".to_vec(), b"hello".to_vec(), QoS::AtLeastOnce, false)
    );
    assert!(h.writes.is_empty(), "PUBACK goes out after the callback");
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 77)]);
}

#[test]
fn qos2_inbound_duplicate_delivered_once() {
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"once", 2, 7, false));
    h.push(&publish(b"t", b"once", 2, 7, true));
    h.push(&ack(PUBREL, 7));
    let (_, p, q, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((p, q), (b"once".to_vec(), QoS::ExactlyOnce));
    // the duplicate is processed but not delivered
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Packet(0x3c)));
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Packet(0x62)));
    // drain the last PUBCOMP with a non-blocking call
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert_eq!(h.take_writes(), vec![ack(PUBREC, 7), ack(PUBREC, 7), ack(PUBCOMP, 7)]);
}

#[test]
fn pubrel_for_unknown_id_answered_with_pubcomp() {
    let (mut c, mut h) = connected(0);
    h.push(&ack(PUBREL, 999));
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Packet(0x62)));
    c.disconnect(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBCOMP, 999), vec![0xe0, 0]]);
}

#[test]
fn retransmission_with_dup_after_retransmit_ms() {
    let (mut c, mut h) = connected(0);
    let id = c.start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false).unwrap().unwrap();
    h.silence(10_500);
    h.push(&ack(PUBACK, 1));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    let w = h.take_writes();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0][0], 0x32);
    assert_eq!(w[1][0], 0x3a, "DUP set on the retransmission");
    assert_eq!(w[1][1..], w[0][1..]);
    assert_eq!(h.now, 10_500);
    // waits bounded by the retransmission schedule
    assert_eq!(h.waits, vec![ReadWait::Force(10_000), ReadWait::Force(10_000)]);
}

#[test]
fn qos_ack_response_timeout() {
    let (mut c, mut h) = connected(0);
    let id = c.start_publish(&mut h, b"t", b"m", QoS::AtLeastOnce, false).unwrap().unwrap();
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Err(Error::Timeout));
    assert_eq!(h.now, 30_000);
    assert_eq!(h.take_writes().len(), 3, "original + 2 retransmissions");
    assert_eq!(c.session().state(), State::Disconnected);
    assert!(h.store.contains_key(&1), "kept for the next session");
}

#[test]
fn subscribe_timeout() {
    let (mut c, mut h) = connected(0);
    c.session_mut().config_mut().response_timeout_ms = 1_000;
    let id = c.start_subscribe(&mut h, &[(b"a", QoS::AtMostOnce)]).unwrap();
    h.silence(5_000);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Err(Error::Timeout));
    assert_eq!(h.now, 1_000);
}

#[test]
fn resume_after_reconnect_with_session_present() {
    let (mut c, mut h) = connected(0);
    let a = c.start_publish(&mut h, b"t", b"1", QoS::AtLeastOnce, false).unwrap().unwrap();
    let b = c.start_publish(&mut h, b"t", b"2", QoS::ExactlyOnce, false).unwrap().unwrap();
    h.push(&ack(PUBREC, b.get()));
    h.script.push_back(Act::Close);
    assert_eq!(c.run(&mut h, WaitFor::Ack(b)), Err(Error::ConnectionClosed));
    assert_eq!(c.session().state(), State::Disconnected);
    let w = h.take_writes();
    assert_eq!(w.last().unwrap(), &ack(PUBREL, 2));

    // new socket, same client, clean_session = false
    h.push(&[0x20, 2, 1, 0]);
    assert_eq!(c.connect(&mut h, &conn(false, 0), None), Ok(true));
    let w = h.take_writes();
    assert_eq!(w.len(), 3);
    assert_eq!(w[0][0], 0x10);
    assert_eq!(w[1], b"\x3a\x06\x00\x01t\x00\x011", "QoS 1 republished with DUP");
    assert_eq!(w[2], ack(PUBREL, 2));
    h.push(&ack(PUBACK, a.get()));
    h.push(&ack(PUBCOMP, b.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(a)), Ok(Progress::Done));
    assert_eq!(c.run(&mut h, WaitFor::Ack(b)), Ok(Progress::Done));
    assert!(h.store.is_empty());
    assert_eq!(c.session().inflight_len(), 0);
}

#[test]
fn clean_reconnect_forgets_stored_frames() {
    let (mut c, mut h) = connected(0);
    c.start_publish(&mut h, b"t", b"1", QoS::AtLeastOnce, false).unwrap();
    assert_eq!(h.store.len(), 1);
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(c.connect(&mut h, &conn(true, 0), None), Ok(false));
    assert!(h.store.is_empty());
    assert_eq!(c.session().inflight_len(), 0);
}

#[test]
fn lost_stored_frame_drops_message() {
    let (mut c, mut h) = connected(0);
    let id = c.start_publish(&mut h, b"t", b"1", QoS::AtLeastOnce, false).unwrap().unwrap();
    h.take_writes();
    h.store.clear();
    c.session_mut().connection_lost();
    h.push(&[0x20, 2, 1, 0]);
    assert_eq!(c.connect(&mut h, &conn(false, 0), None), Ok(true));
    assert!(!c.session().is_inflight(id));
    assert_eq!(h.take_writes().len(), 1, "only CONNECT");
}

#[test]
fn packet_id_wraps_past_65535_skipping_ids_in_flight() {
    let (mut c, mut h) = connected(0);
    let one = c.start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false).unwrap();
    let two = c.start_publish(&mut h, b"t", b"", QoS::ExactlyOnce, false).unwrap();
    assert_eq!((one, two), (Some(pid(1)), Some(pid(2))));
    c.session_mut().set_last_packet_id(65_534);
    let a = c.start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false).unwrap();
    let b = c.start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false).unwrap();
    assert_eq!((a, b), (Some(pid(65_535)), Some(pid(3))));
    let w = h.take_writes();
    assert_eq!(&w[2][5..7], &[0xff, 0xff]);
    assert_eq!(&w[3][5..7], &[0, 3]);
    assert_eq!(c.session().last_packet_id(), 3);
}

#[test]
fn keepalive_ping_at_three_quarters_then_ping_timeout() {
    let (mut c, mut h) = connected(4);
    // blocking wait_msg: the wait is bounded by the ping schedule
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::PingTimeout));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    assert_eq!(h.waits, vec![ReadWait::Socket(Some(3_000)), ReadWait::Socket(Some(2_000))]);
    assert_eq!(h.now, 5_000);
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn keepalive_ping_answered() {
    let (mut c, mut h) = connected(4);
    h.silence(3_100);
    h.push(&PINGRESP);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Packet(0xd0)));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    assert_eq!(c.session().next_deadline(), Some(3_000 + 3_000));
}

#[test]
fn check_msg_sends_due_ping_and_detects_timeout() {
    let (mut c, mut h) = connected(2);
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert!(h.writes.is_empty());
    h.now = 1_500;
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    h.now = 2_499;
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    h.now = 2_500;
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Err(Error::PingTimeout));
    assert!(h.waits.iter().all(|w| *w == ReadWait::Poll));
}

#[test]
fn explicit_ping_does_not_wait() {
    let (mut c, mut h) = connected(0);
    assert_eq!(c.ping(&mut h), Ok(()));
    assert_eq!(h.take_writes(), vec![PINGREQ.to_vec()]);
    assert!(h.waits.is_empty());
    h.push(&PINGRESP);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Packet(0xd0)));
}

#[test]
fn suback_refused_keeps_connection() {
    let (mut c, mut h) = connected(0);
    let id = c.start_subscribe(&mut h, &[(b"secret/#", QoS::AtLeastOnce)]).unwrap();
    h.push(&[0x90, 3, 0, id.get() as u8, 0x80]);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Err(Error::SubscribeRefused));
    assert_eq!(c.last_suback(), &[0x80]);
    assert_eq!(c.session().state(), State::Connected);
    let id = c.start_subscribe(&mut h, &[(b"ok", QoS::ExactlyOnce)]).unwrap();
    h.push(&[0x90, 3, 0, id.get() as u8, 2]);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(c.last_suback(), &[2]);
}

#[test]
fn unsubscribe_waits_for_unsuback() {
    let (mut c, mut h) = connected(0);
    let id = c.start_unsubscribe(&mut h, &[b"a", b"b/+"]).unwrap();
    h.push(&[0xb0, 2, 0, id.get() as u8]);
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert_eq!(h.take_writes(), vec![b"\xa2\x0a\x00\x01\x00\x01a\x00\x03b/+".to_vec()]);
}

#[test]
fn one_packet_on_nonblocking_socket_keeps_partial_frame() {
    let (mut c, mut h) = connected(0);
    h.nonblocking = true;
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    let f = publish(b"topic", b"payload", 0, 0, false);
    h.push(&f[..5]);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Ok(Progress::Idle));
    assert_eq!(c.framer().buffered(), 5);
    h.push(&f[5..]);
    let (t, p, _, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!((t, p), (b"topic".to_vec(), b"payload".to_vec()));
    assert_eq!(c.framer().buffered(), 0);
}

#[test]
fn nonblocking_never_blocks() {
    let (mut c, mut h) = connected(60);
    h.waits.clear();
    // a blocking socket and a broker that sends byte by byte with pauses
    h.max_read = Some(1);
    let f = publish(b"t", b"p", 1, 5, false);
    for b in &f {
        h.push(&[*b]);
        h.silence(1_000);
    }
    let mut got = None;
    for _ in 0..100 {
        match c.run(&mut h, WaitFor::NonBlocking).unwrap() {
            Progress::Idle => h.script.pop_front().map(|_| ()).unwrap_or(()),
            Progress::Message(m) => {
                got = Some(m.payload.to_vec());
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, Some(b"p".to_vec()));
    assert!(h.waits.iter().all(|w| *w == ReadWait::Poll));
    assert_eq!(h.now, 0, "no time passed inside the client");
    assert_eq!(c.run(&mut h, WaitFor::NonBlocking), Ok(Progress::Idle));
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 5)]);
}

#[test]
fn frame_too_large_skipped_and_connection_still_works() {
    // receive buffer fixed at 32 bytes
    let mut c: Client<[u8; 32], VecBuf> = Client::new(Config::default(), [0u8; 32], VecBuf::new(64, 1024));
    let mut h = FakeHost::new();
    h.push(&[0x20, 2, 0, 0]);
    c.connect(&mut h, &conn(true, 0), None).unwrap();
    let big = publish(b"big", &[1; 100], 0, 0, false);
    h.push(&big);
    h.push(&publish(b"small", b"ok", 0, 0, false));
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::FrameTooLarge { len: big.len() }));
    assert_eq!(c.session().state(), State::Connected);
    let (t, p, _, _) = match c.run(&mut h, WaitFor::OnePacket) {
        Ok(Progress::Message(m)) => (m.topic.to_vec(), m.payload.to_vec(), m.qos, m.dup),
        other => panic!("{other:?}"),
    };
    assert_eq!((t, p), (b"small".to_vec(), b"ok".to_vec()));

    // while waiting for an ack the oversized frame is skipped silently
    let id = c.start_publish(&mut h, b"t", b"", QoS::AtLeastOnce, false).unwrap().unwrap();
    h.push(&big);
    h.push(&ack(PUBACK, id.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
}

#[test]
fn growable_rx_takes_big_frames() {
    let (mut c, mut h) = connected(0);
    let payload = vec![9u8; 5_000];
    h.push(&publish(b"big", &payload, 0, 0, false));
    let (_, p, _, _) = expect_message(&mut c, &mut h, WaitFor::OnePacket);
    assert_eq!(p, payload);
}

#[test]
fn published_leftover_for_other_id_forgets_its_frame() {
    let (mut c, mut h) = connected(0);
    let a = c.start_publish(&mut h, b"t", b"a", QoS::AtLeastOnce, false).unwrap().unwrap();
    let b = c.start_publish(&mut h, b"t", b"b", QoS::AtLeastOnce, false).unwrap().unwrap();
    h.push(&ack(PUBACK, a.get()));
    h.push(&ack(PUBACK, b.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(b)), Ok(Progress::Done));
    assert!(h.store.is_empty());
    assert_eq!(c.run(&mut h, WaitFor::Ack(a)), Ok(Progress::Done));
}

#[test]
fn connection_closed_while_waiting() {
    let (mut c, mut h) = connected(0);
    h.script.push_back(Act::Close);
    assert_eq!(c.run(&mut h, WaitFor::OnePacket), Err(Error::ConnectionClosed));
    assert_eq!(c.session().state(), State::Disconnected);
    assert_eq!(
        c.start_publish(&mut h, b"t", b"", QoS::AtMostOnce, false),
        Err(Error::NotConnected)
    );
}

#[test]
fn malformed_remaining_length_is_fatal() {
    let (mut c, mut h) = connected(0);
    h.push(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::Protocol(ProtocolError::MalformedRemainingLength))
    );
    assert_eq!(c.session().state(), State::Disconnected);
}

#[test]
fn disconnect_flushes_pending_acks() {
    let (mut c, mut h) = connected(0);
    h.push(&publish(b"t", b"m", 1, 3, false));
    expect_message(&mut c, &mut h, WaitFor::OnePacket);
    c.disconnect(&mut h).unwrap();
    assert_eq!(h.take_writes(), vec![ack(PUBACK, 3), vec![0xe0, 0]]);
    assert_eq!(c.session().state(), State::Disconnected);
}
