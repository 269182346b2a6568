//! Helpers for the WebSocket tests: server frames built by hand (not with
//! the core's encoder), a client-frame parser for what the client sends,
//! and the driver loop of `umqtt_core::ws` collecting everything decoded.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

pub mod host;

use umqtt_core::ws::{Decoder, Event, WsError};

/// How a server frame states its payload length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenForm {
    /// The shortest form, as RFC 6455 asks of senders.
    Minimal,
    /// Always the 16-bit form (payloads up to 65,535).
    Ext16,
    /// Always the 64-bit form.
    Ext64,
}

/// An unmasked server frame: `b0` is FIN/RSV/opcode.
pub fn server_frame(b0: u8, payload: &[u8], form: LenForm) -> Vec<u8> {
    let n = payload.len();
    let mut f = vec![b0];
    match form {
        LenForm::Minimal if n < 126 => f.push(n as u8),
        LenForm::Minimal | LenForm::Ext16 if n <= 0xffff => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

/// A binary (or continuation) frame.
pub fn data_frame(first: bool, fin: bool, payload: &[u8], form: LenForm) -> Vec<u8> {
    let op = if first { 0x2 } else { 0x0 };
    server_frame(if fin { 0x80 | op } else { op }, payload, form)
}

/// One client frame parsed (and unmasked) from the front of `buf`:
/// (fin+opcode byte, payload, frame length). `None` if incomplete.
/// Panics on an unmasked client frame (RFC 6455 5.1).
pub fn parse_client_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    if buf.len() < 2 {
        return None;
    }
    assert!(buf[1] & 0x80 != 0, "client frame not masked");
    let (len, mut pos) = match buf[1] & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().unwrap()) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().unwrap()) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let mask: [u8; 4] = buf.get(pos..pos + 4)?.try_into().unwrap();
    pos += 4;
    let body = buf.get(pos..pos + len)?;
    let payload = body
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ mask[i % 4])
        .collect();
    Some((buf[0], payload, pos + len))
}

/// What a driver saw from one decoder.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seen {
    pub data: Vec<u8>,
    /// Pong frames the driver sent back, parsed: their payloads.
    pub pongs: Vec<Vec<u8>>,
    pub pongs_received: usize,
    pub close: Option<Option<u16>>,
    /// Number of `Data` events (checks that none is empty).
    pub pieces: usize,
}

/// The driver loop of the module documentation over one chunk.
pub fn feed(dec: &mut Decoder, mut chunk: &[u8], seen: &mut Seen) -> Result<(), WsError> {
    let mut out = [0u8; 256];
    while !chunk.is_empty() {
        let (used, ev) = dec.decode(chunk)?;
        assert!(used <= chunk.len());
        chunk = &chunk[used..];
        match ev {
            Some(Event::Data(d)) => {
                assert!(!d.is_empty(), "empty Data event");
                seen.data.extend_from_slice(d);
                seen.pieces += 1;
            }
            Some(Event::Ping) => {
                let n = dec.encode_pong([1, 2, 3, 4], &mut out)?;
                let (b0, payload, len) = parse_client_frame(&out[..n]).unwrap();
                assert_eq!((b0, len), (0x8a, n));
                seen.pongs.push(payload);
            }
            Some(Event::Pong) => seen.pongs_received += 1,
            Some(Event::Close(code)) => seen.close = Some(code),
            None => assert!(chunk.is_empty(), "None before the input was used up"),
        }
    }
    Ok(())
}
