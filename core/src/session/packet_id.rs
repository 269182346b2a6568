//! Packet identifier allocation.
//!
//! Ids count up from 1, wrap from 65,535 back to 1 (0 is not a valid id)
//! and skip every id the caller reports as in use. The caller keeps the ids
//! in use in a hash map, so each probe is O(1); because that map holds at
//! most its capacity of ids and the caller refuses to allocate when it is
//! full, a free id is found after at most `capacity + 1` probes.

use crate::PacketId;

/// Hands out packet ids in increasing order, never one in use.
#[derive(Debug, Clone, Default)]
pub struct PacketIds {
    /// The last id handed out (0 before the first).
    last: u16,
}

/// The id after `v`: 65,535 wraps to 1 and 0 is never produced.
pub const fn next_id(v: u16) -> u16 {
    match v.checked_add(1) {
        Some(n) => n,
        None => 1,
    }
}

impl PacketIds {
    /// An allocator whose first id will be 1.
    pub const fn new() -> Self {
        PacketIds { last: 0 }
    }

    /// The last id handed out by [`PacketIds::commit`], 0 if none yet.
    pub const fn last(&self) -> u16 {
        self.last
    }

    /// Make the next allocation start after `v` (tests, or restoring state).
    pub fn set_last(&mut self, v: u16) {
        self.last = v;
    }

    /// The next id that `in_use` does not claim, without consuming it, so a
    /// failed encode does not burn an id. `None` only if every id is in use.
    pub fn peek(&self, in_use: impl Fn(PacketId) -> bool) -> Option<PacketId> {
        let mut v = self.last;
        // Bounded by the number of non-zero ids; in practice it stops after
        // at most (ids in use + 1) probes.
        for _ in 0..u16::MAX {
            v = next_id(v);
            if let Some(id) = PacketId::new(v) {
                if !in_use(id) {
                    return Some(id);
                }
            }
        }
        None
    }

    /// Record `id` (from [`PacketIds::peek`]) as handed out.
    pub fn commit(&mut self, id: PacketId) {
        self.last = id.get();
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
    fn counts_from_one() {
        let mut ids = PacketIds::new();
        let a = ids.peek(|_| false).unwrap();
        assert_eq!(a.get(), 1);
        // peek alone does not consume
        assert_eq!(ids.peek(|_| false).unwrap().get(), 1);
        ids.commit(a);
        assert_eq!(ids.peek(|_| false).unwrap().get(), 2);
        assert_eq!(ids.last(), 1);
    }

    #[test]
    fn wraps_past_65535_skipping_zero_and_in_use() {
        let mut ids = PacketIds::new();
        ids.set_last(65_534);
        let busy = [pid(65_535), pid(1), pid(2)];
        let id = ids.peek(|i| busy.contains(&i)).unwrap();
        assert_eq!(id.get(), 3);
        ids.commit(id);
        ids.set_last(65_534);
        let id = ids.peek(|_| false).unwrap();
        assert_eq!(id.get(), 65_535);
        ids.commit(id);
        assert_eq!(ids.peek(|_| false).unwrap().get(), 1);
    }

    #[test]
    fn all_in_use_gives_none() {
        let ids = PacketIds::new();
        assert!(ids.peek(|_| true).is_none());
    }

    #[test]
    fn next_id_wraps() {
        assert_eq!(next_id(0), 1);
        assert_eq!(next_id(65_535), 1);
        assert_eq!(next_id(7), 8);
    }
}
