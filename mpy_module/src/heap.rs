//! Storage on the MicroPython heap: growable buffers for the framer, the
//! encoder, the core's store of in-flight frames and the subscriptions.
//!
//! Every block is reachable from the engine object (which lives inside a GC
//! block itself), so MicroPython's conservative collector keeps it alive.
use crate::ffi::glue_realloc;
use umqtt_core::Buffer;

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
