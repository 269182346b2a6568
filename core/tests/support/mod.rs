//! Helpers shared by the session and client tests: frames from the
//! "broker" built by hand (not with the codec's encoders) and a growable
//! buffer like the bindings use.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

pub mod broker;
pub mod fake_host;
pub mod mosquitto;
pub mod session;
pub mod tcp_host;
#[cfg(feature = "v5")]
pub mod v5conn;

use umqtt_core::codec::Connect;
use umqtt_core::{Buffer, PacketId, ProtocolVersion};

pub fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

pub fn conn(clean: bool, keepalive: u16) -> Connect<'static> {
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

pub fn varint(mut n: usize, out: &mut Vec<u8>) {
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

pub fn publish(topic: &[u8], payload: &[u8], qos: u8, id: u16, dup: bool) -> Vec<u8> {
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

pub fn ack(first: u8, id: u16) -> Vec<u8> {
    let [h, l] = id.to_be_bytes();
    vec![first, 2, h, l]
}

pub const PUBACK: u8 = 0x40;
pub const PUBREC: u8 = 0x50;
pub const PUBREL: u8 = 0x62;
pub const PUBCOMP: u8 = 0x70;
pub const UNSUBACK: u8 = 0xb0;
pub const PINGREQ: [u8; 2] = [0xc0, 0];
pub const PINGRESP: [u8; 2] = [0xd0, 0];

pub fn suback(id: u16, codes: &[u8]) -> Vec<u8> {
    let [h, l] = id.to_be_bytes();
    let mut f = vec![0x90, (2 + codes.len()) as u8, h, l];
    f.extend_from_slice(codes);
    f
}

/// A growable buffer with a size limit (like the bindings' Vec buffers).
pub struct VecBuf {
    pub v: Vec<u8>,
    pub max: usize,
}

impl VecBuf {
    pub fn new(len: usize, max: usize) -> Self {
        VecBuf {
            v: vec![0; len],
            max,
        }
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
