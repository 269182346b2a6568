//! Growable buffers for the core: CPython can allocate, so frames and
//! packets of any MQTT-legal size get through.
pub use umqtt_core::codec::MAX_PACKET;
use umqtt_core::Buffer;

/// A `Vec<u8>` that grows on request up to `max` bytes.
pub struct VecBuf {
    v: Vec<u8>,
    max: usize,
}

impl VecBuf {
    pub fn new(initial: usize, max: usize) -> Self {
        VecBuf {
            v: vec![0; initial.min(max)],
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
        if len <= self.v.len() {
            return true;
        }
        if len > self.max {
            return false;
        }
        // Doubling keeps a stream of growing packets linear overall.
        let target = len.max(self.v.len().saturating_mul(2)).min(self.max);
        // A broker can announce a 256 MB packet in 5 bytes: when memory runs
        // out, refuse (the framer then skips the frame, MQTTException 258)
        // rather than let the allocator abort the process. Try the doubled
        // size first, then just what is needed.
        for want in [target, len] {
            if self
                .v
                .try_reserve_exact(want.saturating_sub(self.v.len()))
                .is_ok()
            {
                self.v.resize(want, 0);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_doubling_up_to_max() {
        let mut b = VecBuf::new(4, 100);
        assert!(b.grow(5));
        assert_eq!(b.bytes().len(), 8);
        assert!(b.grow(60));
        assert_eq!(b.bytes().len(), 60);
        assert!(b.grow(100));
        assert!(!b.grow(101));
        assert_eq!(b.bytes().len(), 100);
    }

    #[test]
    fn impossible_allocation_is_refused_not_aborted() {
        // More than any address space holds: try_reserve fails instead of
        // the allocator aborting (what a hostile 5-byte header could cause
        // on a machine with little memory).
        let mut b = VecBuf::new(16, usize::MAX);
        assert!(!b.grow(usize::MAX / 2));
        assert_eq!(b.bytes().len(), 16);
        assert!(b.grow(32));
    }
}
