//! The frames of outbound QoS 1/2 PUBLISHes awaiting their acknowledgement,
//! kept so a retransmission or a resumed session can resend them (with DUP).
//!
//! One caller buffer holds the records back to back: `id` (2 bytes, big
//! endian), frame length (4 bytes), frame. The buffer grows on demand and is
//! kept for reuse, so steady-state QoS 1/2 publishing does not allocate; a
//! store that never holds a frame never allocates.
use crate::buffer::Buffer;
use crate::{Error, PacketId};

const HEADER: usize = 6;

/// See the module documentation.
#[derive(Debug)]
pub struct FrameStore<B: Buffer> {
    buf: B,
    used: usize,
}

/// One record: where its frame starts and ends in the buffer.
#[derive(Clone, Copy)]
struct Record {
    start: usize,
    frame: usize,
    end: usize,
}

impl<B: Buffer> FrameStore<B> {
    /// An empty store over `buf`.
    pub fn new(buf: B) -> Self {
        FrameStore { buf, used: 0 }
    }

    /// Bytes in use (records and their headers).
    pub fn used_bytes(&self) -> usize {
        self.used
    }

    /// No frame stored.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Drop every frame.
    pub fn clear(&mut self) {
        self.used = 0;
    }

    /// The records, in the order stored.
    fn records(&self) -> impl Iterator<Item = (u16, Record)> + '_ {
        let bytes = self.buf.bytes().get(..self.used).unwrap_or(&[]);
        let mut at = 0usize;
        core::iter::from_fn(move || {
            let frame = at.checked_add(HEADER)?;
            let (rid, len) = match bytes.get(at..frame)? {
                [a, b, c, d, e, f] => (
                    u16::from_be_bytes([*a, *b]),
                    u32::from_be_bytes([*c, *d, *e, *f]) as usize,
                ),
                _ => return None,
            };
            let end = frame.checked_add(len)?;
            let r = Record {
                start: at,
                frame,
                end,
            };
            at = end;
            Some((rid, r))
        })
    }

    fn find(&self, id: PacketId) -> Option<Record> {
        self.records()
            .find(|&(rid, _)| rid == id.get())
            .map(|(_, r)| r)
    }

    /// The ids of the stored frames.
    pub fn ids(&self) -> impl Iterator<Item = PacketId> + '_ {
        self.records().filter_map(|(id, _)| PacketId::new(id))
    }

    /// The stored frame for `id`.
    pub fn get(&self, id: PacketId) -> Option<&[u8]> {
        let r = self.find(id)?;
        self.buf.bytes().get(r.frame..r.end)
    }

    /// Keep a copy of `frame` for `id` (replacing an older one). On
    /// `BufferTooSmall` (the buffer cannot grow) nothing changed.
    pub fn store(&mut self, id: PacketId, frame: &[u8]) -> Result<(), Error> {
        self.forget(id);
        let len =
            u32::try_from(frame.len()).map_err(|_| Error::BufferTooSmall { needed: usize::MAX })?;
        let needed = self
            .used
            .checked_add(HEADER)
            .and_then(|n| n.checked_add(frame.len()))
            .ok_or(Error::BufferTooSmall { needed: usize::MAX })?;
        if self.buf.bytes().len() < needed && !self.buf.grow(needed) {
            return Err(Error::BufferTooSmall { needed });
        }
        let dst = self
            .buf
            .bytes_mut()
            .get_mut(self.used..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let (head, body) = dst.split_at_mut(HEADER);
        let [i0, i1] = id.get().to_be_bytes();
        let [l0, l1, l2, l3] = len.to_be_bytes();
        head.copy_from_slice(&[i0, i1, l0, l1, l2, l3]);
        body.copy_from_slice(frame);
        self.used = needed;
        Ok(())
    }

    /// The stored frame for `id`, mutable (to mark it DUP).
    pub fn get_mut(&mut self, id: PacketId) -> Option<&mut [u8]> {
        let r = self.find(id)?;
        self.buf.bytes_mut().get_mut(r.frame..r.end)
    }

    /// Drop the frame for `id`, if any.
    pub fn forget(&mut self, id: PacketId) {
        let Some(r) = self.find(id) else {
            return;
        };
        let used = self.used;
        if let Some(bytes) = self.buf.bytes_mut().get_mut(..used) {
            bytes.copy_within(r.end.., r.start);
        }
        self.used = used.saturating_sub(r.end.saturating_sub(r.start));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pid(v: u16) -> PacketId {
        PacketId::new(v).unwrap()
    }

    #[test]
    fn stores_finds_and_forgets_in_any_order() {
        let mut s = FrameStore::new([0u8; 64]);
        s.store(pid(1), b"one").unwrap();
        s.store(pid(2), b"second").unwrap();
        s.store(pid(3), b"3").unwrap();
        assert_eq!(s.get_mut(pid(2)).map(|f| &*f), Some(&b"second"[..]));
        s.forget(pid(2));
        assert_eq!(s.get_mut(pid(2)), None);
        assert_eq!(s.get_mut(pid(1)).map(|f| &*f), Some(&b"one"[..]));
        assert_eq!(s.get_mut(pid(3)).map(|f| &*f), Some(&b"3"[..]));
        assert_eq!(s.used_bytes(), 2 * HEADER + 4);
        // Replacing keeps one copy.
        s.store(pid(1), b"uno").unwrap();
        assert_eq!(s.used_bytes(), 2 * HEADER + 4);
        assert_eq!(s.get_mut(pid(1)).map(|f| &*f), Some(&b"uno"[..]));
        s.forget(pid(1));
        s.forget(pid(3));
        assert!(s.is_empty());
    }

    #[test]
    fn a_full_fixed_buffer_refuses_without_change() {
        let mut s = FrameStore::new([0u8; 16]);
        s.store(pid(1), b"abcdefgh").unwrap();
        assert_eq!(
            s.store(pid(2), b"abcdefgh"),
            Err(Error::BufferTooSmall { needed: 28 })
        );
        assert_eq!(s.get_mut(pid(2)), None);
        assert_eq!(s.get_mut(pid(1)).map(|f| f.len()), Some(8));
        let mut none = FrameStore::new([0u8; 0]);
        assert!(none.store(pid(1), b"x").is_err());
    }
}
