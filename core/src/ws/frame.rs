//! Client frames (RFC 6455 5.2): FIN set, masked with a caller-supplied key
//! (the core has no random source; a binding passes fresh random bytes for
//! every frame, RFC 6455 5.3).

use super::{Out, WsError};

/// Longest client frame header: 2 bytes, 8-byte length, 4-byte mask key.
pub const MAX_CLIENT_HEADER: usize = 14;

/// Largest control frame payload (RFC 6455 5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Frame opcodes (RFC 6455 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    /// Continuation of a fragmented message.
    Continuation = 0x0,
    /// UTF-8 text (MQTT never uses it).
    Text = 0x1,
    /// Binary data: MQTT bytes.
    Binary = 0x2,
    /// Close.
    Close = 0x8,
    /// Ping.
    Ping = 0x9,
    /// Pong.
    Pong = 0xA,
}

impl Opcode {
    /// The opcode of the low nibble, `None` for a reserved one.
    pub const fn from_u8(b: u8) -> Option<Opcode> {
        match b & 0x0f {
            0x0 => Some(Opcode::Continuation),
            0x1 => Some(Opcode::Text),
            0x2 => Some(Opcode::Binary),
            0x8 => Some(Opcode::Close),
            0x9 => Some(Opcode::Ping),
            0xA => Some(Opcode::Pong),
            _ => None,
        }
    }

    /// Close, ping or pong.
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x08 != 0
    }
}

/// Length of a masked client frame header for `payload_len` bytes.
pub const fn header_len(payload_len: usize) -> usize {
    if payload_len < 126 {
        6
    } else if payload_len <= 0xffff {
        8
    } else {
        14
    }
}

/// Length of the whole masked frame for `payload_len` bytes (saturating).
pub const fn frame_len(payload_len: usize) -> usize {
    payload_len.saturating_add(header_len(payload_len))
}

/// The header bytes (FIN set, MASK set) and their length.
pub fn header(op: Opcode, payload_len: usize, mask: [u8; 4]) -> ([u8; MAX_CLIENT_HEADER], usize) {
    let mut h = [0u8; MAX_CLIENT_HEADER];
    let [m0, m1, m2, m3] = mask;
    let len = payload_len as u64;
    let (n, ext): (usize, [u8; 8]) = if payload_len < 126 {
        (0, [0; 8])
    } else if payload_len <= 0xffff {
        let [a, b] = (payload_len as u16).to_be_bytes();
        (2, [a, b, 0, 0, 0, 0, 0, 0])
    } else {
        (8, len.to_be_bytes())
    };
    let len7 = match n {
        0 => payload_len as u8,
        2 => 126,
        _ => 127,
    };
    let mut w = Out::new(&mut h);
    w.put(&[0x80 | op as u8, 0x80 | len7]);
    w.put(ext.get(..n).unwrap_or(&[]));
    w.put(&[m0, m1, m2, m3]);
    let used = w.len;
    (h, used)
}

/// XOR `data` with the mask key, `data[0]` being payload byte 0.
pub fn apply_mask(data: &mut [u8], mask: [u8; 4]) {
    let key = u32::from_ne_bytes(mask);
    let mut chunks = data.chunks_exact_mut(4);
    for c in &mut chunks {
        let mut w = [0u8; 4];
        w.copy_from_slice(c);
        c.copy_from_slice(&(u32::from_ne_bytes(w) ^ key).to_ne_bytes());
    }
    for (b, m) in chunks.into_remainder().iter_mut().zip(mask) {
        *b ^= m;
    }
}

/// Write one masked frame carrying `payload` into `out`; returns its length.
/// Control frames (close, ping, pong) take at most 125 bytes.
pub fn encode(op: Opcode, payload: &[u8], mask: [u8; 4], out: &mut [u8]) -> Result<usize, WsError> {
    if op.is_control() && payload.len() > MAX_CONTROL_PAYLOAD {
        return Err(WsError::ControlTooLong);
    }
    let (h, hl) = header(op, payload.len(), mask);
    let mut w = Out::new(out);
    w.put(h.get(..hl).unwrap_or(&[]));
    w.put(payload);
    let n = w.finish()?;
    if let Some(body) = out.get_mut(hl..n) {
        apply_mask(body, mask);
    }
    Ok(n)
}

/// Frame a payload that the caller already placed at
/// `buf[MAX_CLIENT_HEADER..MAX_CLIENT_HEADER + payload_len]` (so an MQTT
/// packet can be encoded straight into the send buffer): masks it in place
/// and writes the header just before it. Returns the start of the frame in
/// `buf`; the frame is `buf[start..MAX_CLIENT_HEADER + payload_len]`.
pub fn frame_in_place(
    op: Opcode,
    buf: &mut [u8],
    payload_len: usize,
    mask: [u8; 4],
) -> Result<usize, WsError> {
    if op.is_control() && payload_len > MAX_CONTROL_PAYLOAD {
        return Err(WsError::ControlTooLong);
    }
    let end = MAX_CLIENT_HEADER.saturating_add(payload_len);
    let (h, hl) = header(op, payload_len, mask);
    let start = MAX_CLIENT_HEADER.saturating_sub(hl);
    if buf.len() < end {
        return Err(WsError::BufferTooSmall { needed: end });
    }
    if let Some(body) = buf.get_mut(MAX_CLIENT_HEADER..end) {
        apply_mask(body, mask);
    }
    if let (Some(dst), Some(src)) = (buf.get_mut(start..MAX_CLIENT_HEADER), h.get(..hl)) {
        dst.copy_from_slice(src);
    }
    Ok(start)
}
