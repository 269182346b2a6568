//! Growable buffers for the core: CPython can allocate, so frames and
//! packets of any MQTT-legal size get through.
use umqtt_core::codec::MAX_REMAINING_LEN;
use umqtt_core::Buffer;

/// Largest MQTT packet: 1 type byte + 4 length bytes + the maximum body.
pub const MAX_PACKET: usize = MAX_REMAINING_LEN + 5;

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
        self.v.resize(target, 0);
        true
    }
}
