//! Inbound QoS 2: ids of messages delivered to the application whose
//! PUBREL has not arrived yet. A PUBLISH with such an id is a duplicate
//! and must not be delivered again (MQTT 4.3.3, method B).
//!
//! Why one bit per possible packet id (65,536 bits = 8 KiB) rather than a
//! small table: MQTT 3.1.1 sets no limit on how many QoS 2 messages a
//! server may leave unreleased, and brokers do not bound it in practice
//! (Mosquitto 2.0.11 was measured with 68 to ~1,400 outstanding towards a
//! busy subscriber, whatever `max_inflight_messages` said). A table that
//! can fill up forces a choice between closing the connection (and, with
//! automatic reconnect, looping forever on the same backlog) and
//! forgetting ids (delivering a resent message twice). The bitmap is
//! exact, never full, O(1) for every operation, and needs no allocation;
//! 8 KiB per client is its price.

use core::fmt;

use crate::PacketId;

/// Bits per word of the bitmap.
const WORD_BITS: u16 = u64::BITS as u16;
/// Words covering every packet id (id 0 is never used but keeps the
/// arithmetic trivial): 1,024 x 64 bits = 8 KiB.
const WORDS: usize = (u16::MAX as usize + 1) / WORD_BITS as usize;

/// Ids awaiting PUBREL: one bit per packet id, plus their count.
#[derive(Clone)]
pub struct Inbound {
    bits: [u64; WORDS],
    /// Bits set (at most 65,535: id 0 is never inserted).
    len: u16,
}

impl Default for Inbound {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Inbound {
    // The bitmap itself would print 1,024 words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound").field("len", &self.len).finish()
    }
}

/// The word holding `id` and the bit within it.
fn locate(id: PacketId) -> (usize, u64) {
    let v = id.get();
    (
        usize::from(v / WORD_BITS),
        1u64.rotate_left(u32::from(v % WORD_BITS)),
    )
}

impl Inbound {
    /// An empty set.
    pub const fn new() -> Self {
        Inbound {
            bits: [0; WORDS],
            len: 0,
        }
    }

    /// A QoS 2 PUBLISH arrived. `true`: new (now recorded), deliver it;
    /// `false`: duplicate, do not.
    pub fn receive(&mut self, id: PacketId) -> bool {
        let (word, bit) = locate(id);
        match self.bits.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                self.len = self.len.saturating_add(1);
                true
            }
            // Already recorded (the word always exists: WORDS covers u16).
            _ => false,
        }
    }

    /// PUBREL arrived: forget `id`. Returns whether it was known.
    pub fn release(&mut self, id: PacketId) -> bool {
        let (word, bit) = locate(id);
        match self.bits.get_mut(word) {
            Some(w) if *w & bit != 0 => {
                *w &= !bit;
                self.len = self.len.saturating_sub(1);
                true
            }
            _ => false,
        }
    }

    /// Whether `id` awaits PUBREL.
    pub fn contains(&self, id: PacketId) -> bool {
        let (word, bit) = locate(id);
        self.bits.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Ids awaiting PUBREL.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when no id awaits PUBREL.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forget everything (new session).
    pub fn clear(&mut self) {
        // Skip the 8 KiB sweep in the common case of nothing recorded.
        if self.len != 0 {
            self.bits = [0; WORDS];
            self.len = 0;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pid(v: u16) -> PacketId {
        PacketId::new(v).unwrap()
    }

    #[test]
    fn duplicate_detected_until_released() {
        let mut s = Inbound::new();
        assert!(s.receive(pid(5)));
        assert!(!s.receive(pid(5)));
        assert!(s.contains(pid(5)));
        assert!(s.release(pid(5)));
        assert!(!s.release(pid(5)));
        assert!(!s.contains(pid(5)));
        assert!(s.receive(pid(5)));
    }

    #[test]
    fn every_id_fits_and_is_exact() {
        let mut s = Inbound::new();
        for v in 1..=u16::MAX {
            assert!(s.receive(pid(v)), "{v}");
        }
        assert_eq!(s.len(), 65_535);
        for v in 1..=u16::MAX {
            assert!(!s.receive(pid(v)), "{v}");
        }
        assert_eq!(s.len(), 65_535);
        // Release the odd ones: the even ones stay, word edges included.
        for v in (1..=u16::MAX).step_by(2) {
            assert!(s.release(pid(v)));
        }
        assert_eq!(s.len(), 32_767);
        for v in [1, 2, 63, 64, 65, 127, 128, 65_534, 65_535] {
            assert_eq!(s.contains(pid(v)), v % 2 == 0, "{v}");
        }
        s.clear();
        assert!(s.is_empty());
        assert!((1..=u16::MAX).all(|v| !s.contains(pid(v))));
    }

    #[test]
    fn bits_do_not_alias() {
        // Neighbours across a word boundary and ids 64 apart stay separate.
        let mut s = Inbound::new();
        assert!(s.receive(pid(64)));
        for v in [63, 65, 128, 1, 65_535] {
            assert!(!s.contains(pid(v)), "{v}");
        }
        assert!(s.receive(pid(65_535)));
        assert!(!s.contains(pid(65_534)));
        assert!(s.release(pid(64)));
        assert!(s.contains(pid(65_535)));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn size_is_8_kib_plus_count() {
        assert!(core::mem::size_of::<Inbound>() <= 8192 + 8);
    }
}
