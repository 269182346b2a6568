//! Reconnect support of the blocking driver against the fake host: the
//! registry of granted subscriptions, resubscription after a broker lost
//! the session, and the message an interrupted publish leaves in flight.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use support::fake_host::*;
use support::*;
use umqtt_core::client::{Client, Host, Progress, ReadResult, ReadWait, WaitFor};
use umqtt_core::session::{Config, State};
use umqtt_core::{ArgError, Error, QoS};

type RC = Client<VecBuf, VecBuf, VecBuf, 16, VecBuf>;

/// The fake host with writes that fail on demand (a broken socket).
struct Flaky {
    h: FakeHost,
    fail_writes: bool,
}

impl Host for Flaky {
    fn now_ms(&mut self) -> u64 {
        self.h.now_ms()
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.fail_writes {
            return Err(Error::Io(32));
        }
        self.h.write(data)
    }
    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        self.h.read(buf, wait)
    }
}

fn client() -> RC {
    Client::with_subscriptions(
        Config::default(),
        VecBuf::new(16, 1 << 16),
        VecBuf::new(16, 1 << 16),
        VecBuf::new(0, 1 << 16),
        VecBuf::new(0, 1 << 16),
    )
}

fn connect(c: &mut RC, h: &mut FakeHost, clean: bool, session_present: bool) {
    h.push(&[0x20, 2, u8::from(session_present), 0]);
    assert_eq!(c.connect(h, &conn(clean, 0), None), Ok(session_present));
    h.take_writes();
}

fn subscribe(
    c: &mut RC,
    h: &mut FakeHost,
    filters: &[(&[u8], QoS)],
    codes: &[u8],
) -> Result<(), Error> {
    let id = c.start_subscribe(h, filters)?;
    h.push(&suback(id.get(), codes));
    match c.run(h, WaitFor::Ack(id))? {
        Progress::Done => Ok(()),
        other => panic!("{other:?}"),
    }
}

fn registry(c: &RC) -> Vec<(Vec<u8>, QoS)> {
    c.subscriptions()
        .iter()
        .map(|(f, q)| (f.to_vec(), q))
        .collect()
}

/// SUBSCRIBE frame as the broker would read it.
fn subscribe_frame(id: u16, filters: &[(&[u8], u8)]) -> Vec<u8> {
    let mut body = id.to_be_bytes().to_vec();
    for (f, q) in filters {
        body.extend_from_slice(&(f.len() as u16).to_be_bytes());
        body.extend_from_slice(f);
        body.push(*q);
    }
    let mut frame = vec![0x82];
    varint(body.len(), &mut frame);
    frame.extend_from_slice(&body);
    frame
}

/// Reconnect after the broker lost the session and resubscribe until done;
/// the broker answers each SUBSCRIBE with `codes(n)`. Returns the frames.
fn resubscribe(c: &mut RC, h: &mut FakeHost, codes: impl Fn(usize) -> Vec<u8>) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while let Some(id) = c.start_resubscribe(h).unwrap() {
        let w = h.take_writes();
        assert_eq!(w.len(), 1);
        let n = frames.len();
        frames.push(w[0].clone());
        h.push(&suback(id.get(), &codes(n)));
        assert_eq!(c.run(h, WaitFor::Ack(id)), Ok(Progress::Done));
    }
    frames
}

#[test]
fn granted_subscriptions_are_restored_after_the_session_was_lost() {
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, true, false);
    subscribe(&mut c, &mut h, &[(b"a/#", QoS::AtLeastOnce)], &[1]).unwrap();
    subscribe(
        &mut c,
        &mut h,
        &[(b"b", QoS::ExactlyOnce), (b"no", QoS::AtMostOnce)],
        &[2, 0x80],
    )
    .unwrap();
    subscribe(&mut c, &mut h, &[(b"gone", QoS::AtMostOnce)], &[0]).unwrap();
    let id = c.start_unsubscribe(&mut h, &[b"gone"]).unwrap();
    h.push(&ack(UNSUBACK, id.get()));
    assert_eq!(c.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    // Everything is confirmed on this connection.
    assert_eq!(c.start_resubscribe(&mut h), Ok(None));

    // The broker closes the connection and comes back without the session.
    h.script.push_back(Act::Close);
    assert_eq!(
        c.run(&mut h, WaitFor::OnePacket),
        Err(Error::ConnectionClosed)
    );
    connect(&mut c, &mut h, false, false);
    let next = c.session().last_packet_id() + 1;
    let frames = resubscribe(&mut c, &mut h, |_| vec![1, 2]);
    assert_eq!(
        frames,
        vec![subscribe_frame(next, &[(b"a/#", 1), (b"b", 2)])]
    );
    assert_eq!(
        registry(&c),
        vec![
            (b"a/#".to_vec(), QoS::AtLeastOnce),
            (b"b".to_vec(), QoS::ExactlyOnce)
        ]
    );
}

#[test]
fn a_resubscription_the_broker_refuses_is_forgotten_not_raised() {
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, true, false);
    subscribe(&mut c, &mut h, &[(b"x", QoS::AtLeastOnce)], &[1]).unwrap();
    // A normal subscribe refused by the broker is an error...
    assert_eq!(
        subscribe(&mut c, &mut h, &[(b"y", QoS::AtLeastOnce)], &[0x80]),
        Err(Error::SubscribeRefused)
    );
    c.disconnect(&mut h).unwrap();
    connect(&mut c, &mut h, false, false);
    // ...a refused resubscription only drops the filter.
    let frames = resubscribe(&mut c, &mut h, |_| vec![0x80]);
    assert_eq!(frames.len(), 1);
    assert!(registry(&c).is_empty());
    assert_eq!(c.session().state(), State::Connected);
}

#[test]
fn many_subscriptions_go_in_batches_of_sixteen() {
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, true, false);
    let names: Vec<Vec<u8>> = (0..40).map(|i| format!("t/{i}").into_bytes()).collect();
    for n in &names {
        subscribe(&mut c, &mut h, &[(n, QoS::AtLeastOnce)], &[1]).unwrap();
    }
    c.disconnect(&mut h).unwrap();
    connect(&mut c, &mut h, false, false);
    let frames = resubscribe(&mut c, &mut h, |n| vec![1; if n < 2 { 16 } else { 8 }]);
    assert_eq!(frames.len(), 3);
    let first: Vec<(&[u8], u8)> = names[..16].iter().map(|n| (n.as_slice(), 1)).collect();
    let id = u16::from_be_bytes([frames[0][2], frames[0][3]]);
    assert_eq!(frames[0], subscribe_frame(id, &first));
    assert_eq!(registry(&c).len(), 40);
}

#[test]
fn session_present_needs_no_resubscription_but_the_registry_stays() {
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, false, false);
    subscribe(&mut c, &mut h, &[(b"k", QoS::AtMostOnce)], &[0]).unwrap();
    c.disconnect(&mut h).unwrap();
    connect(&mut c, &mut h, false, true);
    assert_eq!(registry(&c), vec![(b"k".to_vec(), QoS::AtMostOnce)]);
    // A later loss of the session still restores it.
    c.disconnect(&mut h).unwrap();
    connect(&mut c, &mut h, false, false);
    assert_eq!(resubscribe(&mut c, &mut h, |_| vec![0]).len(), 1);
}

#[test]
fn clean_session_forgets_subscriptions_and_new_without_registry_has_none() {
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, false, false);
    subscribe(&mut c, &mut h, &[(b"k", QoS::AtMostOnce)], &[0]).unwrap();
    c.disconnect(&mut h).unwrap();
    connect(&mut c, &mut h, true, false);
    assert!(registry(&c).is_empty());
    assert_eq!(c.start_resubscribe(&mut h), Ok(None));

    let (mut plain, mut h) = connected(0);
    let id = plain
        .start_subscribe(&mut h, &[(b"k", QoS::AtMostOnce)])
        .unwrap();
    h.push(&suback(id.get(), &[0]));
    assert_eq!(plain.run(&mut h, WaitFor::Ack(id)), Ok(Progress::Done));
    assert!(plain.subscriptions().is_empty());
    assert_eq!(plain.start_resubscribe(&mut h), Ok(None));
}

#[test]
fn subscribe_lost_before_its_suback_is_not_remembered() {
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, false, false);
    c.start_subscribe(&mut h, &[(b"late", QoS::AtLeastOnce)])
        .unwrap();
    h.script.push_back(Act::Close);
    assert!(c.run(&mut h, WaitFor::OnePacket).is_err());
    connect(&mut c, &mut h, false, false);
    assert_eq!(c.start_resubscribe(&mut h), Ok(None));
    assert!(registry(&c).is_empty());
}

#[test]
fn an_interrupted_publish_is_resent_by_connect_and_awaited_by_its_id() {
    let mut c = client();
    let mut f = Flaky {
        h: FakeHost::new(),
        fail_writes: false,
    };
    f.h.push(&[0x20, 2, 0, 0]);
    c.connect(&mut f, &conn(false, 0), None).unwrap();
    // A message that goes out normally is not "interrupted".
    let ok = c
        .start_publish(&mut f, b"t", b"one", QoS::AtLeastOnce, false)
        .unwrap()
        .unwrap();
    assert_eq!(c.interrupted_publish(), None);
    f.h.push(&ack(PUBACK, ok.get()));
    assert_eq!(c.run(&mut f, WaitFor::Ack(ok)), Ok(Progress::Done));

    f.fail_writes = true;
    let r = c.start_publish(&mut f, b"t", b"two", QoS::ExactlyOnce, false);
    assert_eq!(r, Err(Error::Io(32)));
    let id = c.interrupted_publish().unwrap();
    assert!(c.session().is_inflight(id));
    assert_eq!(c.session().state(), State::Disconnected);
    // A QoS 0 failure or a failure before the message was taken leaves none.
    f.fail_writes = false;
    f.h.take_writes();
    f.h.push(&[0x20, 2, 1, 0]);
    assert_eq!(c.connect(&mut f, &conn(false, 0), None), Ok(true));
    let w = f.h.take_writes();
    assert_eq!(w.len(), 2, "CONNECT then the resent PUBLISH");
    assert_eq!(w[1], {
        let mut p = publish(b"t", b"two", 2, id.get(), true);
        p[0] |= 0x08;
        p
    });
    f.h.push(&ack(PUBREC, id.get()));
    f.h.push(&ack(PUBCOMP, id.get()));
    assert_eq!(c.run(&mut f, WaitFor::Ack(id)), Ok(Progress::Done));
    f.fail_writes = true;
    assert!(c
        .start_publish(&mut f, b"t", b"q0", QoS::AtMostOnce, false)
        .is_err());
    assert_eq!(c.interrupted_publish(), None);
}

/// spec/PYAPI.md "Reconnect": the policy decides, the driver only sleeps and
/// opens sockets. Attempts run out -> GiveUp, and the client is then lost,
/// so the next operation reconnects (both runtimes share this rule).
#[test]
fn reconnect_policy_gives_up_and_marks_lost() {
    use umqtt_core::client::{Policy, RetryAction};
    use umqtt_core::ExcKind;
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, true, false);
    assert!(!c.lost());
    c.set_reconnect(Some(Policy::new(2, 100, 400).unwrap()));
    c.closed();
    c.reconnect_begin(7);
    match c.reconnect_failed(ExcKind::OsError, 111) {
        RetryAction::Sleep(ms) => assert!((50..=100).contains(&ms), "{ms}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.reconnect_failed(ExcKind::OsError, 111),
        RetryAction::GiveUp
    );
    assert!(c.lost() && c.must_resume());
    // Refusals that do not cure themselves are raised at once.
    c.reconnect_begin(7);
    assert_eq!(c.reconnect_failed(ExcKind::Mqtt, 5), RetryAction::Raise);
    assert!(matches!(
        c.reconnect_failed(ExcKind::Mqtt, 3),
        RetryAction::Sleep(_)
    ));
    // A successful connect ends "lost"; disconnect() never reconnects.
    connect(&mut c, &mut h, false, true);
    assert!(!c.lost());
    c.disconnect(&mut h).unwrap();
    assert!(!c.lost() && !c.must_resume());
}

#[test]
fn a_failed_operation_reconnects_only_when_the_connection_is_down() {
    use umqtt_core::client::Policy;
    use umqtt_core::ExcKind;
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, true, false);
    // Off: never.
    assert!(!c.should_reconnect(ExcKind::OsError, 104));
    c.set_reconnect(Some(Policy::default()));
    // Connection still up (a callback raised): no.
    assert!(!c.should_reconnect(ExcKind::OsError, 104));
    h.script.push_back(Act::Close);
    assert!(c.run(&mut h, WaitFor::OnePacket).is_err());
    assert!(c.lost());
    assert!(c.should_reconnect(ExcKind::OsError, -1));
    assert!(c.should_reconnect(ExcKind::Mqtt, 257));
    assert!(!c.should_reconnect(ExcKind::MemoryError, 0));
    assert!(Policy::new(-1, 500, 1000).is_err());
    assert!(Policy::new(1, 2000, 1000).is_err());
    assert!(Policy::new(0, 0, 0).is_ok());
    // More attempts than u32 counts are as good as no limit: saturated,
    // not refused as negative (set_reconnect(2**32) said "must be >= 0").
    assert_eq!(
        Policy::new(i64::MAX, 0, 0).map(|p| p.attempts),
        Ok(u32::MAX)
    );
    assert_eq!(
        Policy::new(i64::MIN, 0, 0).map(|p| p.attempts),
        Err(ArgError::NegativeAttempts.into())
    );
}

#[test]
fn a_publish_request_taken_by_the_session_only_waits_after_a_reconnect() {
    use umqtt_core::client::{Op, Request};
    let mut c = client();
    let mut f = Flaky {
        h: FakeHost::new(),
        fail_writes: false,
    };
    connect(&mut c, &mut f.h, false, false);
    let mut req = Request::new(Op::Publish {
        topic: b"t",
        payload: b"m",
        qos: QoS::AtLeastOnce,
        retain: false,
    });
    f.fail_writes = true;
    assert_eq!(c.request(&mut f, &mut req), Err(Error::Io(32)));
    assert_eq!(
        req.waiting(),
        Some(pid(1)),
        "taken: resent by the reconnect"
    );
    f.fail_writes = false;
    connect(&mut c, &mut f.h, false, true);
    // The reconnect resent it with DUP; the request only waits (a message
    // arriving meanwhile is handed out first).
    f.h.push(&publish(b"in", b"x", 0, 0, false));
    f.h.push(&ack(PUBACK, 1));
    assert!(matches!(
        c.request(&mut f, &mut req),
        Ok(Progress::Message(_))
    ));
    assert_eq!(c.request(&mut f, &mut req), Ok(Progress::Done));
    assert!(f.h.take_writes().is_empty(), "no second PUBLISH");
    assert!(c.frames().is_empty());
    // A 3.1.1 call returns nothing, as umqtt.simple's.
    #[cfg(feature = "v5")]
    assert_eq!(c.reply_code(&req), None);
}

#[test]
fn a_subscribe_request_is_sent_again_after_its_connection_died() {
    use umqtt_core::client::{Op, Request};
    let mut c = client();
    let mut h = FakeHost::new();
    connect(&mut c, &mut h, false, false);
    let mut req = Request::new(Op::Subscribe(b"s", QoS::AtLeastOnce));
    h.script.push_back(Act::Close);
    assert_eq!(c.request(&mut h, &mut req), Err(Error::ConnectionClosed));
    assert_eq!(req.waiting(), None, "died with the connection");
    assert_eq!(h.take_writes(), vec![subscribe_frame(1, &[(b"s", 1)])]);
    connect(&mut c, &mut h, false, true);
    h.push(&suback(2, &[1]));
    assert_eq!(c.request(&mut h, &mut req), Ok(Progress::Done));
    assert_eq!(h.take_writes(), vec![subscribe_frame(2, &[(b"s", 1)])]);
    assert_eq!(registry(&c), vec![(b"s".to_vec(), QoS::AtLeastOnce)]);
    // A refusal is raised, the connection stays.
    let mut no = Request::new(Op::Subscribe(b"no", QoS::AtMostOnce));
    h.push(&suback(3, &[0x80]));
    assert_eq!(c.request(&mut h, &mut no), Err(Error::SubscribeRefused));
    assert_eq!(c.session().state(), State::Connected);
}
