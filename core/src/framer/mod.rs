//! Incremental framing: turns a byte stream, arriving in pieces of any size,
//! into whole MQTT frames (fixed header included) inside a caller buffer.
//!
//! Frames are returned as slices of the buffer (zero-copy). The buffer is
//! compacted (one `copy_within` of the unfinished frame) only when the
//! unfinished frame would not fit behind its current position, so each
//! byte is moved at most once. A frame larger than the buffer makes it
//! grow through [`Buffer::grow`] as the frame's bytes arrive (doubling, so
//! O(log n) grows), never straight to the announced length: five hostile
//! bytes can announce 256 MB. The first grow is tried as soon as the length
//! is known, so a buffer that cannot grow rejects the frame at once. When a
//! grow fails the frame is reported once as [`Error::FrameTooLarge`] and its
//! bytes are discarded as they arrive, so the stream stays in sync and the
//! next frame is found.

use crate::buffer::Buffer;
use crate::codec::decode_varint;
use crate::error::{Error, ProtocolError};

/// Longest fixed header: type byte + 4 remaining-length bytes.
const MAX_HEADER: usize = 5;

/// Smallest growth for a frame larger than the buffer (tiny buffers double
/// too slowly).
const GROW_STEP: usize = 256;

/// Discarding an oversized frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// Normal framing.
    Off,
    /// The buffer (under 5 bytes, not growable) could not hold the fixed
    /// header, so it is collected here to learn the frame length.
    Header { bytes: [u8; MAX_HEADER], len: usize },
    /// Bytes of the oversized frame still to discard.
    Body(usize),
}

/// Splits a byte stream into MQTT frames; see the module documentation.
#[derive(Debug)]
pub struct Framer<B: Buffer> {
    buf: B,
    /// Start of the bytes not yet returned as frames.
    start: usize,
    /// End of the received bytes.
    end: usize,
    skip: Skip,
    /// A `FrameTooLarge` not reported yet.
    too_large: Option<usize>,
    /// A malformed remaining length was seen: framing is lost for good.
    malformed: bool,
    /// The pending frame is larger than the buffer, and a first grow for it
    /// succeeded: further grows wait until the buffer is full.
    growing: bool,
}

/// Total frame length from the start of `data`: `Ok(None)` while the fixed
/// header is incomplete.
fn frame_total(data: &[u8]) -> Result<Option<usize>, ProtocolError> {
    let Some(rest) = data.get(1..) else {
        return Ok(None);
    };
    // At most 1 + 4 + 268,435,455: no overflow even on 32-bit targets.
    Ok(decode_varint(rest)?.map(|(rl, used)| rl.saturating_add(used).saturating_add(1)))
}

impl<B: Buffer> Framer<B> {
    /// Frame bytes received into `buf`.
    pub fn new(buf: B) -> Self {
        Framer {
            buf,
            start: 0,
            end: 0,
            skip: Skip::Off,
            too_large: None,
            malformed: false,
            growing: false,
        }
    }

    /// The receive buffer.
    pub fn buffer(&self) -> &B {
        &self.buf
    }

    /// The receive buffer, mutable (to replace or resize it; its contents
    /// must be kept, or call [`Framer::clear`]).
    pub fn buffer_mut(&mut self) -> &mut B {
        &mut self.buf
    }

    /// Bytes held that are not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.data().len()
    }

    /// Drop everything (new connection).
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.skip = Skip::Off;
        self.too_large = None;
        self.malformed = false;
        self.growing = false;
    }

    fn data(&self) -> &[u8] {
        self.buf.bytes().get(self.start..self.end).unwrap_or(&[])
    }

    fn discard_all(&mut self) {
        self.start = 0;
        self.end = 0;
        self.growing = false;
    }

    /// Move the unfinished bytes to the front of the buffer.
    fn compact(&mut self) {
        let b = self.buf.bytes_mut();
        if self.start == 0 && self.end <= b.len() {
            return;
        }
        if self.start <= self.end && self.end <= b.len() {
            b.copy_within(self.start..self.end, 0);
            self.end = self.end.saturating_sub(self.start);
            self.start = 0;
        } else {
            // Only reachable if the caller shrank the buffer behind our back.
            self.discard_all();
        }
    }

    /// Make room for the pending frame: compact, grow, or switch to skip
    /// mode. Afterwards `buf[end..]` is where new bytes go.
    fn prepare(&mut self) {
        if self.malformed || self.skip != Skip::Off {
            self.discard_all();
            return;
        }
        if self.start >= self.end {
            self.discard_all();
        }
        let cap = self.buf.bytes().len();
        if self.end > cap {
            self.compact();
        }
        match frame_total(self.data()) {
            Err(_) => {
                self.malformed = true;
                self.discard_all();
                return;
            }
            // An unreported FrameTooLarge blocks the decision on the next
            // oversized frame (one error slot); next_frame() reports it first.
            Ok(Some(total)) if total > cap && self.too_large.is_some() => {}
            Ok(None) if self.too_large.is_some() => {}
            Ok(Some(total)) => {
                if total > cap {
                    // Front first: a grow then copies only the frame's bytes.
                    self.compact();
                    if (!self.growing || self.end >= cap) && !self.grow_for(total, cap) {
                        self.start_skip(total);
                        return;
                    }
                }
                if self.start.saturating_add(total) > self.buf.bytes().len() {
                    self.compact();
                }
            }
            Ok(None) => {
                if self.start == 0 && self.end >= cap {
                    // Only a buffer under 5 bytes can be full of an unfinished header.
                    if !(self.buf.grow(MAX_HEADER) && self.buf.bytes().len() > self.end) {
                        let mut bytes = [0u8; MAX_HEADER];
                        let held = self.data();
                        let len = held.len().min(MAX_HEADER);
                        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), held.get(..len)) {
                            dst.copy_from_slice(src);
                        }
                        self.skip = Skip::Header { bytes, len };
                        self.discard_all();
                        return;
                    }
                }
            }
        }
        if self.start > 0 && self.end >= self.buf.bytes().len() {
            self.compact();
        }
    }

    /// Grow the buffer (`cap` bytes, holding the start of a `total`-byte
    /// frame at its front) for the bytes to come: to twice its size, at
    /// most to `total`. Returns false if it cannot.
    fn grow_for(&mut self, total: usize, cap: usize) -> bool {
        let step = cap
            .saturating_mul(2)
            .max(self.end.saturating_add(GROW_STEP));
        let want = total.min(step);
        let ok = self.buf.grow(want) && self.buf.bytes().len() >= want;
        self.growing = ok;
        ok
    }

    /// The pending frame of `total` bytes cannot fit: report it and drop
    /// its bytes, those held now and those still to come.
    fn start_skip(&mut self, total: usize) {
        let held = self.data().len();
        self.too_large = Some(total);
        self.skip = Skip::Body(total.saturating_sub(held));
        self.discard_all();
        if self.skip == Skip::Body(0) {
            self.skip = Skip::Off;
        }
    }

    /// Free room to receive into. Compacts first; if the pending frame's
    /// total length is known and exceeds the buffer, calls [`Buffer::grow`]
    /// (once as soon as the length is known, then each time the buffer is
    /// full, doubling it up to the frame's length); if that fails the frame
    /// is in skip mode (its bytes are discarded as they arrive). May be
    /// shorter than [`Framer::wanted`] while a big frame arrives. Never
    /// empty once [`Framer::next_frame`] has returned `Ok(None)`, unless the
    /// buffer is empty and cannot grow.
    pub fn spare(&mut self) -> &mut [u8] {
        self.prepare();
        let end = self.end;
        self.buf.bytes_mut().get_mut(end..).unwrap_or(&mut [])
    }

    /// `n` bytes of [`Framer::spare`] were filled.
    pub fn commit(&mut self, n: usize) {
        let cap = self.buf.bytes().len();
        let stop = self.end.saturating_add(n).min(cap);
        let mut pos = self.end.min(stop);
        loop {
            if self.malformed {
                self.discard_all();
                return;
            }
            match &mut self.skip {
                Skip::Off => {
                    // Leaving skip mode: the next frame starts at `pos`.
                    if self.start >= self.end {
                        self.start = pos;
                    }
                    self.end = stop;
                    return;
                }
                Skip::Body(left) => {
                    let d = (*left).min(stop.saturating_sub(pos));
                    *left = left.saturating_sub(d);
                    pos = pos.saturating_add(d);
                    if *left == 0 {
                        self.skip = Skip::Off;
                    } else {
                        self.discard_all();
                        return;
                    }
                }
                Skip::Header { bytes, len } => {
                    let Some(&b) = self.buf.bytes().get(pos).filter(|_| pos < stop) else {
                        self.discard_all();
                        return;
                    };
                    pos = pos.saturating_add(1);
                    if let Some(slot) = bytes.get_mut(*len) {
                        *slot = b;
                    }
                    *len = len.saturating_add(1).min(MAX_HEADER);
                    match frame_total(bytes.get(..*len).unwrap_or(&[])) {
                        Err(_) => self.malformed = true,
                        Ok(None) => {}
                        Ok(Some(total)) => {
                            self.too_large = Some(total);
                            self.skip = Skip::Body(total.saturating_sub(*len));
                        }
                    }
                }
            }
        }
    }

    /// Copy-in variant of [`Framer::spare`] + [`Framer::commit`]; returns
    /// the bytes taken: less than `data.len()` when the buffer is full of
    /// bytes [`Framer::next_frame`] has to deal with first (whole frames, or
    /// a second oversized frame while the first one is still unreported).
    pub fn push(&mut self, data: &[u8]) -> usize {
        let mut rest = data;
        while !rest.is_empty() {
            if let Skip::Body(left) = self.skip {
                // Discard straight from the input, no copy.
                let d = left.min(rest.len());
                self.commit_skipped(d);
                rest = rest.get(d..).unwrap_or(&[]);
                continue;
            }
            let room = self.spare();
            let n = room.len().min(rest.len());
            let (Some(dst), Some(src)) = (room.get_mut(..n), rest.get(..n)) else {
                break;
            };
            if n == 0 {
                break;
            }
            dst.copy_from_slice(src);
            self.commit(n);
            rest = rest.get(n..).unwrap_or(&[]);
        }
        data.len().saturating_sub(rest.len())
    }

    /// Account for `d` bytes of an oversized frame dropped without copying.
    fn commit_skipped(&mut self, d: usize) {
        if let Skip::Body(left) = &mut self.skip {
            *left = left.saturating_sub(d);
            if *left == 0 {
                self.skip = Skip::Off;
            }
        }
        self.discard_all();
    }

    /// Bytes still needed to finish the current frame if known (at least 1
    /// when unknown; 0 when a whole frame is already buffered), so a
    /// blocking reader can read exactly that much and never read past a
    /// frame. Cap the read at `spare().len()`.
    pub fn wanted(&self) -> usize {
        if self.malformed {
            return 1;
        }
        match self.skip {
            Skip::Body(left) => left.max(1),
            Skip::Header { .. } => 1,
            Skip::Off => {
                let data = self.data();
                match frame_total(data) {
                    Ok(Some(total)) => total.saturating_sub(data.len()),
                    // The shortest frame is 2 bytes.
                    Ok(None) if data.is_empty() => 2,
                    Ok(None) | Err(_) => 1,
                }
            }
        }
    }

    /// Next whole frame (fixed header included) or `Ok(None)` when more
    /// bytes are needed. `Err(Error::FrameTooLarge{len})` once per frame
    /// that cannot fit (not fatal: its bytes are skipped, framing stays in
    /// sync). `Err(Protocol(MalformedRemainingLength))` is fatal (repeated
    /// until [`Framer::clear`]).
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        // The oversized frame came before anything now buffered, including
        // a malformed length that `push` found after it.
        if let Some(len) = self.too_large.take() {
            return Err(Error::FrameTooLarge { len });
        }
        if self.malformed {
            return Err(ProtocolError::MalformedRemainingLength.into());
        }
        if self.skip == Skip::Off {
            let total = match frame_total(self.data()) {
                Err(e) => {
                    self.malformed = true;
                    self.discard_all();
                    return Err(e.into());
                }
                Ok(None) => None,
                Ok(Some(total)) => Some(total),
            };
            if let Some(total) = total {
                if self.data().len() >= total {
                    let at = self.start;
                    self.start = at.saturating_add(total);
                    self.growing = false;
                    let frame_end = self.start;
                    return Ok(self.buf.bytes().get(at..frame_end));
                }
                if total > self.buf.bytes().len() {
                    // Decide now, so the error comes before any later frame.
                    self.prepare();
                }
            }
        }
        if let Some(len) = self.too_large.take() {
            return Err(Error::FrameTooLarge { len });
        }
        Ok(None)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
mod tests;
