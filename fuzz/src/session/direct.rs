//! Direct mode: a `Session` driven by hand and checked against a model.
//!
//! The model keeps what the session must keep (ids in flight and what each
//! awaits, inbound QoS 2 ids, the acks it owes, the messages it must resend)
//! and predicts the result of every call. Liveness is checked as a driver
//! would experience it: after timeouts and transmissions at `now`, the next
//! deadline is in the future (no busy loop), and a silent broker makes the
//! session fail within the bound its configuration promises.

use std::collections::HashMap;

use umqtt_core::codec::{self, check_topic_filter, decode, Packet};
use umqtt_core::framer::Framer;
use umqtt_core::session::{Config, Session, State, Transmit};
use umqtt_core::{Error, PacketId, QoS};

use super::model::{Ev, Model, Req, V};
use super::{config, connect, filter, millis, payload, silence_bound, topic, INFLIGHT};
use crate::VecBuf;

type S = Session<INFLIGHT>;

struct Harness<'a> {
    s: S,
    m: Model,
    cfg: Config,
    now: u64,
    framer: Framer<VecBuf>,
    stream: &'a [u8],
    /// The caller's copies of outbound QoS 1/2 PUBLISH frames.
    frames: HashMap<u16, Vec<u8>>,
}

impl Harness<'_> {
    /// Compare the session's visible state with the model.
    fn check_state(&self) {
        assert_eq!(self.s.state(), self.m.state(), "state");
        assert!(self.s.inflight_len() <= INFLIGHT);
        assert_eq!(self.s.inflight_len(), self.m.reqs.len(), "in-flight count");
        for id in self.s.inflight_ids() {
            assert!(
                self.m.reqs.contains_key(&id.get()),
                "unexpected id {id:?} in flight"
            );
        }
        assert_eq!(self.s.inbound_len(), self.m.inbound.len(), "inbound count");
        assert_eq!(self.s.last_packet_id(), self.m.last_id, "last packet id");
    }

    /// The next frame of the broker stream, if any.
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.framer.next_frame() {
                Ok(Some(f)) => return Some(f.to_vec()),
                Ok(None) => {}
                Err(Error::FrameTooLarge { .. }) => continue,
                Err(_) => {
                    // Malformed length: a driver closes the connection.
                    self.s.connection_lost();
                    self.m.lost();
                    self.framer.clear();
                }
            }
            if self.stream.is_empty() {
                return None;
            }
            let n = self.framer.push(self.stream);
            self.stream = &self.stream[n..];
        }
    }

    fn frame(&mut self) {
        let Some(f) = self.next_frame() else { return };
        let got = self.s.handle_frame(&f, self.now).map(Ev::from);
        crate::trace!("  frame {f:02x?} -> {got:?}");
        let want = self.m.on_frame(&f);
        assert_eq!(got, want, "handle_frame({f:02x?})");
        if got == Err(Error::InflightFull) {
            // Nothing was consumed: drain the acks and hand it in again.
            self.drain(64);
            let got = self.s.handle_frame(&f, self.now).map(Ev::from);
            assert_eq!(
                got,
                self.m.on_frame(&f),
                "handle_frame({f:02x?}) after drain"
            );
            assert_ne!(got, Err(Error::InflightFull));
        }
    }

    /// Everything `poll_transmit` has now, with an output buffer of `small`
    /// bytes first (a `BufferTooSmall` must consume nothing).
    fn drain(&mut self, small: usize) {
        let connected = self.m.connected;
        let mut pings = 0;
        for _ in 0..1_000 {
            let mut out = [0u8; 64];
            let r = match self.s.poll_transmit(self.now, &mut out[..small]) {
                Err(Error::BufferTooSmall { needed }) => {
                    assert!(needed > small && needed <= 4, "needed {needed}");
                    self.s.poll_transmit(self.now, &mut out)
                }
                r => r,
            };
            let t = match r.expect("poll_transmit failed with room") {
                None => break,
                Some(t) => t,
            };
            crate::trace!("  transmit {t:?} {:02x?}", &out[..4]);
            assert!(connected, "poll_transmit sent while not connected");
            match t {
                Transmit::Packet(len) => {
                    let pkt = &out[..len];
                    // Owed acks first, in order.
                    if let Some(want) = self.m.acks.pop_front() {
                        assert_eq!(pkt, want, "ack order");
                        continue;
                    }
                    match *pkt {
                        [0xC0, 0] => {
                            pings += 1;
                            assert_eq!(pings, 1, "two PINGREQs in one drain");
                        }
                        [0x62, 2, hi, lo] => {
                            let id = u16::from_be_bytes([hi, lo]);
                            assert_eq!(
                                self.m.reqs.get(&id),
                                Some(&Req::Publish {
                                    qos: QoS::ExactlyOnce,
                                    released: true
                                }),
                                "PUBREL resent for id {id}"
                            );
                            self.m.due.remove(&id);
                        }
                        _ => panic!("unexpected transmit {pkt:02x?}"),
                    }
                }
                Transmit::Republish(id) => {
                    assert!(self.m.acks.is_empty(), "retransmission before owed acks");
                    assert!(
                        matches!(
                            self.m.reqs.get(&id.get()),
                            Some(Req::Publish {
                                released: false,
                                ..
                            })
                        ),
                        "Republish of {id:?} that awaits no PUBACK/PUBREC"
                    );
                    self.m.due.remove(&id.get());
                    let frame = self.frames.get_mut(&id.get()).expect("no stored frame");
                    codec::set_dup(frame);
                    match decode(frame, V) {
                        Ok(Packet::Publish(p)) => assert!(p.dup && p.packet_id == Some(id)),
                        other => panic!("stored frame decodes as {other:?}"),
                    }
                }
            }
        }
        if connected {
            assert!(self.m.acks.is_empty(), "owed acks not sent");
            assert!(self.m.due.is_empty(), "not resent: {:?}", self.m.due);
        }
        assert_eq!(
            self.s.poll_transmit(self.now, &mut [0u8; 64]),
            Ok(None),
            "poll_transmit never ends"
        );
    }

    /// `handle_timeout(now)`: an error only once a deadline has passed.
    fn timeout(&mut self) {
        let deadline = self.s.next_deadline();
        if let Err(e) = self.s.handle_timeout(self.now) {
            crate::trace!("  timeout at {}: {e:?}", self.now);
            assert!(matches!(e, Error::Timeout | Error::PingTimeout), "{e:?}");
            assert!(
                deadline.is_some_and(|d| d <= self.now),
                "{e:?} at {} before the deadline {deadline:?}",
                self.now
            );
            self.m.lost();
        }
    }

    /// A driver's turn at `now`: timeouts, then everything due is sent;
    /// afterwards the next deadline must lie in the future, or a driver
    /// sleeping until it would spin.
    fn settle(&mut self) {
        self.timeout();
        self.drain(64);
        if let Some(d) = self.s.next_deadline() {
            if d <= self.now {
                assert!(
                    self.s.handle_timeout(self.now).is_err(),
                    "deadline {d} due at {} with nothing to do: a driver would spin",
                    self.now
                );
                self.m.lost();
            }
        }
    }

    /// The broker goes silent: follow the deadlines. The session must give
    /// up within its bound unless it has nothing to wait for.
    fn silence(&mut self) {
        let start = self.now;
        let bound = silence_bound(&self.cfg, self.m.keepalive);
        for _ in 0..10_000 {
            self.settle();
            if self.m.state() == State::Disconnected {
                let took = self.now - start;
                assert!(
                    took <= bound,
                    "silent broker detected after {took} ms > {bound}"
                );
                return;
            }
            match self.s.next_deadline() {
                None => {
                    assert!(self.m.connected, "connecting without a deadline");
                    assert!(
                        self.m.keepalive == 0 && self.m.reqs.is_empty(),
                        "no deadline while waiting for {:?}",
                        self.m.reqs
                    );
                    return;
                }
                Some(d) => {
                    // Just before the deadline nothing may fail yet.
                    if d > self.now.saturating_add(1) {
                        self.now = d - 1;
                        self.timeout();
                    }
                    self.now = self.now.max(d);
                }
            }
        }
        panic!("a silent broker went unnoticed for 10,000 deadlines");
    }

    fn connect(&mut self, arg: u8) {
        let c = connect(arg);
        let mut out = [0u8; 64];
        match self.s.connect(&c, self.now, &mut out) {
            Ok(n) => {
                assert_eq!(out[0], 0x10);
                assert_eq!(usize::from(out[1]) + 2, n);
                self.m.connected = false;
                self.m.connecting = true;
                self.m.keepalive = c.keepalive;
                if c.clean_session {
                    self.m.reqs.clear();
                    self.m.inbound.clear();
                    self.m.due.clear();
                    self.frames.clear();
                } else {
                    self.m.reqs.retain(|_, r| matches!(r, Req::Publish { .. }));
                }
                self.m.acks.clear();
            }
            Err(e) => {
                assert!(c.client_id.is_empty() && !c.clean_session, "connect: {e:?}");
                assert_eq!(
                    e,
                    umqtt_core::ArgError::EmptyClientIdNeedsCleanSession.into()
                );
            }
        }
    }

    /// Model's verdict on a new request before it is made.
    fn request_error(
        &self,
        arg_check: Result<(), umqtt_core::ArgError>,
        needs_id: bool,
    ) -> Option<Error> {
        if let Err(e) = arg_check {
            return Some(e.into());
        }
        if !self.m.connected {
            return Some(Error::NotConnected);
        }
        if needs_id && self.m.reqs.len() >= INFLIGHT {
            return Some(Error::InflightFull);
        }
        None
    }

    /// The id a successful request got: the next free one.
    fn take_id(&mut self, id: PacketId, req: Req) {
        assert_eq!(id.get(), self.m.next_id(), "packet id allocation");
        self.m.last_id = id.get();
        self.m.reqs.insert(id.get(), req);
    }

    fn publish(&mut self, qos: QoS, arg: u8) {
        let (t, p, retain) = (topic(arg), payload(arg), arg & 1 != 0);
        let want = self.request_error(codec::check_sent_topic_name(t), qos != QoS::AtMostOnce);
        let mut out = vec![0u8; 512];
        match self.s.publish(t, p, qos, retain, self.now, &mut out) {
            Ok((len, id)) => {
                assert_eq!(want, None, "publish succeeded");
                let frame = out[..len].to_vec();
                let expect = codec::Publish {
                    topic: t,
                    payload: p,
                    qos,
                    retain,
                    dup: false,
                    packet_id: id,
                };
                assert_eq!(decode(&frame, V), Ok(Packet::Publish(expect)));
                assert_eq!(id.is_some(), qos != QoS::AtMostOnce);
                if let Some(id) = id {
                    self.take_id(
                        id,
                        Req::Publish {
                            qos,
                            released: false,
                        },
                    );
                    self.frames.insert(id.get(), frame);
                }
            }
            Err(e) => assert_eq!(Some(e), want, "publish failed"),
        }
    }

    fn subscribe(&mut self, arg: u8) {
        let n = usize::from(arg % 3) + 1;
        let filters: Vec<(&[u8], QoS)> = (0..n)
            .map(|i| {
                (
                    filter((arg >> 2) + i as u8),
                    QoS::from_u8(i as u8 % 3).unwrap(),
                )
            })
            .collect();
        let check = filters.iter().try_for_each(|(f, _)| check_topic_filter(f));
        let want = self.request_error(check, true);
        let mut out = [0u8; 128];
        match self.s.subscribe(&filters, self.now, &mut out) {
            Ok((_, id)) => {
                assert_eq!(want, None, "subscribe succeeded");
                assert_eq!(out[0], 0x82);
                self.take_id(id, Req::Sub(n));
            }
            Err(e) => assert_eq!(Some(e), want, "subscribe failed"),
        }
    }

    fn unsubscribe(&mut self, arg: u8) {
        let f = [filter(arg), filter(arg >> 1)];
        let filters = &f[..usize::from(arg >> 3) + 1];
        let check = filters.iter().try_for_each(|f| check_topic_filter(f));
        let want = self.request_error(check, true);
        let mut out = [0u8; 128];
        match self.s.unsubscribe(filters, self.now, &mut out) {
            Ok((_, id)) => {
                assert_eq!(want, None, "unsubscribe succeeded");
                assert_eq!(out[0], 0xA2);
                self.take_id(id, Req::Unsub);
            }
            Err(e) => assert_eq!(Some(e), want, "unsubscribe failed"),
        }
    }

    fn op(&mut self, byte: u8) {
        let arg = byte >> 4;
        crate::trace!(
            "t={} op {} arg {arg} state {:?} in flight {:?}",
            self.now,
            byte & 15,
            self.m.state(),
            self.m.reqs
        );
        match byte & 15 {
            0 => self.connect(arg),
            1 => self.publish(QoS::AtMostOnce, arg),
            2 => self.publish(QoS::AtLeastOnce, arg),
            3 => self.publish(QoS::ExactlyOnce, arg),
            4 => self.subscribe(arg),
            5 => self.unsubscribe(arg),
            6 => {
                self.frame();
                self.drain([0, 1, 3, 64][usize::from(arg & 3)]);
            }
            7 => (0..=arg & 7).for_each(|_| self.frame()),
            8 => self.drain([0, 1, 3, 64][usize::from(arg & 3)]),
            9 => {
                self.now = self.now.saturating_add(millis(arg));
                self.timeout();
            }
            10 => {
                let mut out = [0u8; 4];
                let r = self.s.ping(self.now, &mut out);
                match self.m.connected {
                    true => assert_eq!((r, &out[..2]), (Ok(2), &[0xC0, 0][..])),
                    false => assert_eq!(r, Err(Error::NotConnected)),
                }
            }
            11 => {
                let mut out = [0u8; 4];
                assert_eq!(self.s.disconnect(&mut out), Ok(2));
                assert_eq!(out[..2], [0xE0, 0]);
                self.m.lost();
            }
            12 => {
                self.s.connection_lost();
                self.m.lost();
            }
            13 => {
                let v = [0, 1, 65_534, 65_535][usize::from(arg & 3)];
                self.s.set_last_packet_id(v);
                self.m.last_id = v;
            }
            14 => self.settle(),
            _ => self.silence(),
        }
        self.check_state();
    }
}

/// Run the op script against a fresh session.
pub fn run(cfg: u8, ops: &[u8], stream: &[u8]) {
    let cfg = config(cfg);
    let mut h = Harness {
        s: S::new(cfg),
        m: Model::default(),
        cfg,
        now: 0,
        framer: Framer::new(VecBuf::new(16, 4096)),
        stream,
        frames: HashMap::new(),
    };
    for &op in ops {
        h.op(op);
        // Frames of completed messages are no longer needed.
        h.frames.retain(|id, _| h.m.reqs.contains_key(id));
    }
    // Whatever the script did, a final drain and a silent broker are handled.
    h.settle();
    h.silence();
}
