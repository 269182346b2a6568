//! Storage on the MicroPython heap: growable buffers for the framer and the
//! encoder, and the store of unacknowledged QoS 1/2 PUBLISH frames.
//!
//! Every block is reachable from the engine object (which lives inside a GC
//! block itself), so MicroPython's conservative collector keeps it alive.
use crate::ffi::glue_realloc;
use umqtt_core::{Buffer, PacketId};

/// A byte buffer allocated with `m_realloc`, grown on demand up to `max`.
pub struct HeapBuf {
    ptr: *mut u8,
    cap: usize,
    max: usize,
}

impl HeapBuf {
    pub const fn empty(max: usize) -> Self {
        HeapBuf {
            ptr: core::ptr::null_mut(),
            cap: 0,
            max,
        }
    }

    /// Make room for at least `len` bytes (contents kept). false on failure.
    pub fn reserve(&mut self, len: usize) -> bool {
        if len <= self.cap {
            return true;
        }
        if len > self.max {
            return false;
        }
        // Grow geometrically so a stream of slightly growing packets does
        // not realloc every time; on a small heap fall back to just `len`
        // (a 1 MB frame should not need 2 MB).
        let doubled = len.max(self.cap.saturating_mul(2)).min(self.max);
        for want in [doubled, len] {
            // SAFETY: ptr is null or a block from glue_realloc of `cap` bytes.
            let p = unsafe { glue_realloc(self.ptr, want) };
            if !p.is_null() {
                self.ptr = p;
                self.cap = want;
                return true;
            }
        }
        false
    }
}

impl Buffer for HeapBuf {
    fn bytes(&self) -> &[u8] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: ptr is a live block of cap bytes owned by self.
        unsafe { core::slice::from_raw_parts(self.ptr, self.cap) }
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        if self.ptr.is_null() {
            return &mut [];
        }
        // SAFETY: as above, and &mut self guarantees exclusivity.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.cap) }
    }
    fn grow(&mut self, len: usize) -> bool {
        self.reserve(len)
    }
}

/// One stored frame; `id == 0` marks a free slot whose block is kept for
/// reuse (so steady-state QoS 1/2 publishing does not allocate).
struct Slot {
    id: u16,
    len: usize,
    buf: HeapBuf,
}

/// Frames of in-flight QoS 1/2 PUBLISHes, one slot per in-flight id.
pub struct FrameStore<const N: usize> {
    slots: [Slot; N],
}

impl<const N: usize> FrameStore<N> {
    pub fn new(max: usize) -> Self {
        FrameStore {
            slots: core::array::from_fn(|_| Slot {
                id: 0,
                len: 0,
                buf: HeapBuf::empty(max),
            }),
        }
    }

    fn find(&mut self, id: u16) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }

    /// Copy `frame` for `id`; false if no slot is free or memory ran out.
    pub fn store(&mut self, id: PacketId, frame: &[u8]) -> bool {
        let id = id.get();
        // Prefer the slot of the same id, then a free one with enough room.
        let idx = match self.slots.iter().position(|s| s.id == id) {
            Some(i) => Some(i),
            None => self
                .slots
                .iter()
                .position(|s| s.id == 0 && s.buf.cap >= frame.len())
                .or_else(|| self.slots.iter().position(|s| s.id == 0)),
        };
        let Some(slot) = idx.and_then(|i| self.slots.get_mut(i)) else {
            return false;
        };
        if !slot.buf.reserve(frame.len()) {
            return false;
        }
        let Some(dst) = slot.buf.bytes_mut().get_mut(..frame.len()) else {
            return false;
        };
        dst.copy_from_slice(frame);
        slot.id = id;
        slot.len = frame.len();
        true
    }

    pub fn stored(&mut self, id: PacketId) -> Option<&mut [u8]> {
        let slot = self.find(id.get())?;
        let len = slot.len;
        slot.buf.bytes_mut().get_mut(..len)
    }

    pub fn forget(&mut self, id: PacketId) {
        if let Some(slot) = self.find(id.get()) {
            slot.id = 0;
            slot.len = 0;
        }
    }
}
