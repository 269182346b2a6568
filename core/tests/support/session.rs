//! Session test helpers: drive a [`Session`] and collect what it sends.

use super::conn;
use umqtt_core::session::{Config, Event, Session, Transmit};
use umqtt_core::{PacketId, QoS};

pub type S = Session<16>;

/// Everything poll_transmit produces at `now`, as byte strings
/// (Republish shown as "R" + id).
pub fn drain<const I: usize>(s: &mut Session<I>, now: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    while let Some(t) = s.poll_transmit(now, &mut buf).unwrap() {
        match t {
            Transmit::Packet(n) => out.push(buf[..n].to_vec()),
            Transmit::Republish(id) => {
                let mut r = b"R".to_vec();
                r.extend_from_slice(&id.get().to_be_bytes());
                out.push(r)
            }
        }
        assert!(out.len() < 100, "poll_transmit never ends");
    }
    out
}

pub fn republish(id: u16) -> Vec<u8> {
    let mut r = b"R".to_vec();
    r.extend_from_slice(&id.to_be_bytes());
    r
}

pub fn connected_with(config: Config, clean: bool, keepalive: u16, now: u64) -> S {
    let mut s = S::new(config);
    let mut buf = [0u8; 64];
    s.connect(&conn(clean, keepalive), now, &mut buf).unwrap();
    assert_eq!(
        s.handle_frame(&[0x20, 2, 0, 0], now).unwrap(),
        Event::Connected {
            session_present: false
        }
    );
    s
}

pub fn connected() -> S {
    connected_with(Config::default(), true, 0, 0)
}

pub fn pub_out(s: &mut S, qos: QoS, now: u64) -> Option<PacketId> {
    let mut buf = [0u8; 64];
    s.publish(b"t", b"x", qos, false, now, &mut buf).unwrap().1
}
