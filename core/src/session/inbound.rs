//! Inbound QoS 2: ids of messages delivered to the application whose
//! PUBREL has not arrived yet. A PUBLISH with such an id is a duplicate
//! and must not be delivered again (MQTT 4.3.3, method B).

use heapless::FnvIndexSet;

use crate::{PacketId, ProtocolError};

/// Ids awaiting PUBREL; `N` must be a power of two (heapless index set).
#[derive(Debug, Clone)]
pub struct Inbound<const N: usize> {
    ids: FnvIndexSet<PacketId, N>,
}

impl<const N: usize> Default for Inbound<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Inbound<N> {
    /// An empty set.
    pub fn new() -> Self {
        Inbound {
            ids: FnvIndexSet::new(),
        }
    }

    /// A QoS 2 PUBLISH arrived. `Ok(true)`: new, deliver it; `Ok(false)`:
    /// duplicate, do not. `TooManyInbound` when the broker keeps more
    /// unreleased messages than we can track.
    pub fn receive(&mut self, id: PacketId) -> Result<bool, ProtocolError> {
        match self.ids.insert(id) {
            Ok(new) => Ok(new),
            Err(_) => Err(ProtocolError::TooManyInbound),
        }
    }

    /// Whether `id` would be refused as full by [`Inbound::receive`].
    pub fn would_overflow(&self, id: PacketId) -> bool {
        self.ids.len() >= N && !self.ids.contains(&id)
    }

    /// PUBREL arrived: forget `id`. Returns whether it was known.
    pub fn release(&mut self, id: PacketId) -> bool {
        self.ids.remove(&id)
    }

    /// Whether `id` awaits PUBREL.
    pub fn contains(&self, id: PacketId) -> bool {
        self.ids.contains(&id)
    }

    /// Ids awaiting PUBREL.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no id awaits PUBREL.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Forget everything (new session).
    pub fn clear(&mut self) {
        self.ids.clear();
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
        let mut s: Inbound<2> = Inbound::new();
        assert_eq!(s.receive(pid(5)), Ok(true));
        assert_eq!(s.receive(pid(5)), Ok(false));
        assert!(s.release(pid(5)));
        assert!(!s.release(pid(5)));
        assert_eq!(s.receive(pid(5)), Ok(true));
    }

    #[test]
    fn overflow_is_an_error() {
        let mut s: Inbound<2> = Inbound::new();
        s.receive(pid(1)).unwrap();
        s.receive(pid(2)).unwrap();
        assert!(s.would_overflow(pid(3)));
        assert!(!s.would_overflow(pid(2)));
        assert_eq!(s.receive(pid(2)), Ok(false));
        assert_eq!(s.receive(pid(3)), Err(ProtocolError::TooManyInbound));
        assert_eq!(s.len(), 2);
    }
}
