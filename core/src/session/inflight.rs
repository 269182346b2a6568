//! Outbound requests waiting for an acknowledgement: QoS 1/2 PUBLISH (part
//! of the session state, kept across reconnects) and SUBSCRIBE/UNSUBSCRIBE
//! (dropped with the connection). One table holds every packet id in use,
//! so the id allocator needs a single O(1) lookup.

use heapless::FnvIndexMap;

use crate::{Error, PacketId};

/// What an in-flight packet id is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    /// QoS 1 PUBLISH sent, waiting for PUBACK.
    PubAck,
    /// QoS 2 PUBLISH sent, waiting for PUBREC.
    PubRec,
    /// QoS 2 PUBREL sent, waiting for PUBCOMP.
    PubComp,
    /// SUBSCRIBE sent with this many filters, waiting for SUBACK.
    SubAck {
        /// Number of filters, i.e. of return codes the SUBACK must carry.
        filters: usize,
    },
    /// UNSUBSCRIBE sent, waiting for UNSUBACK.
    UnsubAck,
}

impl Awaiting {
    /// True for the QoS 1/2 states that belong to the session state.
    pub const fn is_publish(self) -> bool {
        matches!(
            self,
            Awaiting::PubAck | Awaiting::PubRec | Awaiting::PubComp
        )
    }
}

/// One in-flight packet id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// What the id waits for.
    pub awaiting: Awaiting,
    /// Creation order; retransmissions go out in this order (MQTT 4.6).
    pub seq: u64,
    /// When the packet (or its last retransmission) was sent.
    pub sent_at: u64,
    /// When to send it again; `None` = not scheduled.
    pub resend_at: Option<u64>,
    /// When to give up waiting (response timeout).
    pub deadline: u64,
    /// MQTT 5: the PUBREC's reason code (0x10 no matching subscribers is
    /// the QoS 2 message's outcome; its PUBCOMP says 0).
    pub pubrec_reason: u8,
}

/// The table of in-flight packet ids; `N` must be a power of two (heapless
/// index map).
#[derive(Debug, Clone)]
pub struct Inflight<const N: usize> {
    map: FnvIndexMap<PacketId, Entry, N>,
    next_seq: u64,
}

impl<const N: usize> Default for Inflight<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Inflight<N> {
    /// An empty table.
    pub fn new() -> Self {
        Inflight {
            map: FnvIndexMap::new(),
            next_seq: 0,
        }
    }

    /// Ids in the table.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no id is in flight.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// True when no id can be added.
    pub fn is_full(&self) -> bool {
        self.map.len() >= N
    }

    /// Whether `id` is in use.
    pub fn contains(&self, id: PacketId) -> bool {
        self.map.contains_key(&id)
    }

    /// The entry for `id`.
    pub fn get(&self, id: PacketId) -> Option<&Entry> {
        self.map.get(&id)
    }

    /// Iterate over the entries (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (&PacketId, &Entry)> {
        self.map.iter()
    }

    /// Record a packet sent at `now`. `resend_after` = retransmission
    /// interval (None: never retransmit), `timeout` = response timeout.
    pub fn insert(
        &mut self,
        id: PacketId,
        awaiting: Awaiting,
        now: u64,
        resend_after: Option<u32>,
        timeout: u32,
    ) -> Result<(), Error> {
        if self.map.contains_key(&id) {
            // The allocator never hands out an id in use; refuse rather
            // than silently overwrite another packet's state.
            return Err(Error::InflightFull);
        }
        let entry = Entry {
            awaiting,
            seq: self.next_seq,
            sent_at: now,
            resend_at: resend_after.map(|ms| now.saturating_add(u64::from(ms))),
            deadline: now.saturating_add(u64::from(timeout)),
            pubrec_reason: 0,
        };
        self.map
            .insert(id, entry)
            .map_err(|_| Error::InflightFull)?;
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(())
    }

    /// Forget `id`; returns its entry.
    pub fn remove(&mut self, id: PacketId) -> Option<Entry> {
        self.map.remove(&id)
    }

    /// Forget everything (clean session).
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The connection is gone: keep the QoS 1/2 session state, drop
    /// SUBSCRIBE/UNSUBSCRIBE requests (MQTT does not resume those).
    pub fn drop_requests(&mut self) {
        self.map.retain(|_, e| e.awaiting.is_publish());
    }

    /// PUBREC for a QoS 2 publish: now waiting for PUBCOMP; PUBREL is due
    /// at once and the response timeout restarts.
    pub fn pubrec(&mut self, id: PacketId, now: u64, timeout: u32) {
        if let Some(e) = self.map.get_mut(&id) {
            e.awaiting = Awaiting::PubComp;
            e.resend_at = Some(now);
            e.deadline = now.saturating_add(u64::from(timeout));
        }
    }

    /// Remember the reason code of the PUBREC of `id`.
    pub fn set_pubrec_reason(&mut self, id: PacketId, code: u8) {
        if let Some(e) = self.map.get_mut(&id) {
            e.pubrec_reason = code;
        }
    }

    /// Schedule an immediate resend of `id` (duplicate PUBREC: PUBREL again).
    pub fn resend_now(&mut self, id: PacketId, now: u64) {
        if let Some(e) = self.map.get_mut(&id) {
            e.resend_at = Some(now);
        }
    }

    /// A new connection was accepted: resend every publish/PUBREL at once
    /// (MQTT 4.4) and restart the response timeouts.
    pub fn resume(&mut self, now: u64, timeout: u32) {
        let deadline = now.saturating_add(u64::from(timeout));
        for e in self.map.values_mut() {
            if e.awaiting.is_publish() {
                e.resend_at = Some(now);
                e.deadline = deadline;
            }
        }
    }

    /// The publish/PUBREL due for (re)sending at `now`, oldest first.
    pub fn next_due(&self, now: u64) -> Option<(PacketId, Awaiting)> {
        self.map
            .iter()
            .filter(|(_, e)| e.awaiting.is_publish() && e.resend_at.is_some_and(|t| t <= now))
            .min_by_key(|(_, e)| e.seq)
            .map(|(id, e)| (*id, e.awaiting))
    }

    /// `id` was (re)sent at `now`; schedule the next retransmission.
    pub fn mark_sent(&mut self, id: PacketId, now: u64, resend_after: Option<u32>) {
        if let Some(e) = self.map.get_mut(&id) {
            e.sent_at = now;
            e.resend_at = resend_after.map(|ms| now.saturating_add(u64::from(ms)));
        }
    }

    /// Earliest resend time or response deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        self.map
            .values()
            .map(|e| match e.resend_at {
                Some(r) if e.awaiting.is_publish() => r.min(e.deadline),
                _ => e.deadline,
            })
            .min()
    }

    /// True when some request waited past its response deadline.
    pub fn expired(&self, now: u64) -> bool {
        self.map.values().any(|e| e.deadline <= now)
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
    fn insert_get_remove_full() {
        let mut t: Inflight<2> = Inflight::new();
        t.insert(pid(1), Awaiting::PubAck, 0, Some(10), 100)
            .unwrap();
        assert_eq!(
            t.insert(pid(1), Awaiting::PubAck, 0, None, 100),
            Err(Error::InflightFull)
        );
        t.insert(pid(2), Awaiting::PubRec, 0, None, 100).unwrap();
        assert!(t.is_full());
        assert_eq!(
            t.insert(pid(3), Awaiting::PubAck, 0, None, 100),
            Err(Error::InflightFull)
        );
        assert_eq!(t.remove(pid(1)).unwrap().awaiting, Awaiting::PubAck);
        assert!(!t.contains(pid(1)));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn due_in_creation_order_and_rescheduled() {
        let mut t: Inflight<4> = Inflight::new();
        t.insert(pid(9), Awaiting::PubAck, 0, Some(10), 100)
            .unwrap();
        t.insert(pid(3), Awaiting::PubRec, 1, Some(10), 100)
            .unwrap();
        assert_eq!(t.next_due(9), None);
        assert_eq!(t.next_deadline(), Some(10));
        assert_eq!(t.next_due(11), Some((pid(9), Awaiting::PubAck)));
        t.mark_sent(pid(9), 11, Some(10));
        assert_eq!(t.next_due(11), Some((pid(3), Awaiting::PubRec)));
        t.mark_sent(pid(3), 11, Some(10));
        assert_eq!(t.next_due(11), None);
        assert_eq!(t.next_deadline(), Some(21));
        assert!(!t.expired(99));
        assert!(t.expired(100));
    }

    #[test]
    fn pubrec_moves_to_pubcomp_and_resume_rearms() {
        let mut t: Inflight<4> = Inflight::new();
        t.insert(pid(1), Awaiting::PubRec, 0, None, 100).unwrap();
        t.insert(pid(2), Awaiting::SubAck { filters: 1 }, 0, None, 100)
            .unwrap();
        assert_eq!(t.next_due(1000), None);
        t.pubrec(pid(1), 50, 100);
        let e = t.get(pid(1)).unwrap();
        assert_eq!((e.awaiting, e.deadline), (Awaiting::PubComp, 150));
        assert_eq!(t.next_due(50), Some((pid(1), Awaiting::PubComp)));
        t.mark_sent(pid(1), 50, None);
        assert_eq!(t.next_due(1000), None);
        t.drop_requests();
        assert!(!t.contains(pid(2)));
        t.resume(500, 100);
        assert_eq!(t.next_due(500), Some((pid(1), Awaiting::PubComp)));
        assert_eq!(t.get(pid(1)).unwrap().deadline, 600);
    }
}
