//! The subscriptions a client holds, so they can be restored when a broker
//! lost the session (CONNACK session-present = 0).
//!
//! Records live in a caller-provided [`Buffer`] (no allocation here; a
//! binding's buffer grows on demand). A filter becomes a subscription when
//! its SUBACK grants it and stops being one when its UNSUBACK arrives, so
//! the registry follows what the broker acknowledged, not what was asked.
//!
//! Record layout (big-endian), one after another from offset 0:
//!
//! | bytes | field |
//! |---|---|
//! | 0 | flags (`ACTIVE`, `DONE`, `RESUB`, `DEAD` below) |
//! | 1 | requested QoS |
//! | 2..4 | id of the SUBSCRIBE awaiting its SUBACK that carries this filter (0: none) |
//! | 4..6 | position of the filter in that SUBSCRIBE |
//! | 6..8 | id of the UNSUBSCRIBE awaiting its UNSUBACK for this filter (0: none) |
//! | 8..10 | filter length |
//! | 10.. | filter |
//!
//! A filter has at most one `ACTIVE` record; a SUBSCRIBE for a filter that
//! is already active adds a pending record that replaces the old one when
//! granted (MQTT 3.1.1 sec 3.8.4: a new subscription replaces an identical
//! one).

use crate::buffer::Buffer;
use crate::{Error, PacketId, QoS};

/// Granted by a SUBACK: the broker has (or had) this subscription.
const ACTIVE: u8 = 1;
/// Granted on the current connection (no need to resubscribe).
const DONE: u8 = 2;
/// Part of a SUBSCRIBE sent by [`Subscriptions::mark_resubscribe`].
const RESUB: u8 = 4;
/// To be removed by the next compaction.
const DEAD: u8 = 8;

const HEADER: usize = 10;
const REFUSED: u8 = 0x80;

/// Header fields of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    flags: u8,
    qos: u8,
    sub_pid: u16,
    sub_index: u16,
    unsub_pid: u16,
    len: u16,
}

impl Head {
    fn read(b: &[u8]) -> Option<Head> {
        let h: &[u8; HEADER] = b.get(..HEADER)?.try_into().ok()?;
        let [flags, qos, s0, s1, i0, i1, u0, u1, l0, l1] = *h;
        Some(Head {
            flags,
            qos,
            sub_pid: u16::from_be_bytes([s0, s1]),
            sub_index: u16::from_be_bytes([i0, i1]),
            unsub_pid: u16::from_be_bytes([u0, u1]),
            len: u16::from_be_bytes([l0, l1]),
        })
    }

    fn write(&self, b: &mut [u8]) {
        let [s0, s1] = self.sub_pid.to_be_bytes();
        let [i0, i1] = self.sub_index.to_be_bytes();
        let [u0, u1] = self.unsub_pid.to_be_bytes();
        let [l0, l1] = self.len.to_be_bytes();
        if let Some(h) = b.get_mut(..HEADER) {
            h.copy_from_slice(&[self.flags, self.qos, s0, s1, i0, i1, u0, u1, l0, l1]);
        }
    }

    fn size(&self) -> usize {
        HEADER.saturating_add(usize::from(self.len))
    }

    fn is(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// The registry of subscriptions over a buffer `B`.
#[derive(Debug)]
pub struct Subscriptions<B: Buffer> {
    buf: B,
    /// Bytes of `buf` holding records.
    used: usize,
    /// A disabled registry records nothing (a client built without one).
    enabled: bool,
}

impl<B: Buffer> Subscriptions<B> {
    /// An empty registry storing its records in `buf`.
    pub fn new(buf: B) -> Self {
        Subscriptions {
            buf,
            used: 0,
            enabled: true,
        }
    }

    /// A registry that records nothing: `track` calls succeed and
    /// [`Subscriptions::iter`] is always empty.
    pub fn disabled(buf: B) -> Self {
        Subscriptions {
            buf,
            used: 0,
            enabled: false,
        }
    }

    /// The storage.
    pub fn buffer(&self) -> &B {
        &self.buf
    }

    /// Bytes used by records.
    pub fn used_bytes(&self) -> usize {
        self.used
    }

    /// Forget everything (a clean session starts without subscriptions).
    pub fn clear(&mut self) {
        self.used = 0;
    }

    /// Offsets and headers of all records, in order.
    fn records(&self) -> impl Iterator<Item = (usize, Head)> + '_ {
        let bytes = self.buf.bytes().get(..self.used).unwrap_or(&[]);
        let mut off = 0usize;
        core::iter::from_fn(move || {
            let h = Head::read(bytes.get(off..)?)?;
            let at = off;
            off = off.checked_add(h.size())?;
            Some((at, h))
        })
    }

    fn filter_at(&self, off: usize, h: &Head) -> &[u8] {
        let start = off.saturating_add(HEADER);
        self.buf
            .bytes()
            .get(start..start.saturating_add(usize::from(h.len)))
            .unwrap_or(&[])
    }

    fn set_head(&mut self, off: usize, h: &Head) {
        if let Some(b) = self.buf.bytes_mut().get_mut(off..) {
            h.write(b);
        }
    }

    /// The active subscriptions (granted by the broker), in the order they
    /// were first granted.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], QoS)> + '_ {
        self.records()
            .filter(|(_, h)| h.is(ACTIVE))
            .map(move |(off, h)| {
                (
                    self.filter_at(off, &h),
                    QoS::from_u8(h.qos).unwrap_or(QoS::AtMostOnce),
                )
            })
    }

    /// Number of active subscriptions.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No active subscription.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The requested QoS of the active subscription to `filter`.
    pub fn get(&self, filter: &[u8]) -> Option<QoS> {
        self.iter().find(|(f, _)| *f == filter).map(|(_, q)| q)
    }

    /// A SUBSCRIBE with id `id` for `filters` was encoded: remember them as
    /// pending until its SUBACK. All or nothing: `BufferTooSmall` when the
    /// buffer cannot grow enough (nothing recorded).
    pub fn track_subscribe(&mut self, id: PacketId, filters: &[(&[u8], QoS)]) -> Result<(), Error> {
        if !self.enabled {
            return Ok(());
        }
        let mut need = self.used;
        for (f, _) in filters {
            need = need
                .checked_add(HEADER)
                .and_then(|n| n.checked_add(f.len()))
                .ok_or(Error::BufferTooSmall { needed: usize::MAX })?;
        }
        if self.buf.bytes().len() < need && !self.buf.grow(need) {
            return Err(Error::BufferTooSmall { needed: need });
        }
        for (i, (f, q)) in filters.iter().enumerate() {
            let (Ok(len), Ok(index)) = (u16::try_from(f.len()), u16::try_from(i)) else {
                // Filters are at most 65,535 bytes (checked by the session);
                // a SUBSCRIBE with more than 65,535 filters cannot be framed.
                continue;
            };
            let head = Head {
                flags: 0,
                qos: *q as u8,
                sub_pid: id.get(),
                sub_index: index,
                unsub_pid: 0,
                len,
            };
            let off = self.used;
            let end = off.saturating_add(head.size());
            let Some(rec) = self.buf.bytes_mut().get_mut(off..end) else {
                return Err(Error::BufferTooSmall { needed: end });
            };
            head.write(rec);
            if let Some(dst) = rec.get_mut(HEADER..) {
                dst.copy_from_slice(f);
            }
            self.used = end;
        }
        Ok(())
    }

    /// The SUBACK for `id` arrived with `codes`: granted filters become
    /// active (replacing an older subscription to the same filter), refused
    /// ones are forgotten (with any older subscription to them). Returns
    /// true if `id` was a resubscription (see
    /// [`Subscriptions::mark_resubscribe`]).
    pub fn on_suback(&mut self, id: PacketId, codes: &[u8]) -> bool {
        let mut resub = false;
        let mut off = 0usize;
        while let Some(mut h) = self.head_at(off) {
            let next = off.saturating_add(h.size());
            if h.sub_pid == id.get() {
                resub |= h.is(RESUB);
                let code = codes.get(usize::from(h.sub_index)).copied();
                self.kill_others(off);
                h.sub_pid = 0;
                h.sub_index = 0;
                h.flags &= !RESUB;
                match code {
                    // MQTT 5: every code from 0x80 up is a refusal.
                    Some(c) if c < REFUSED => h.flags |= ACTIVE | DONE,
                    _ => h.flags |= DEAD,
                }
                self.set_head(off, &h);
            }
            off = next;
        }
        self.compact(|_| true);
        resub
    }

    fn head_at(&self, off: usize) -> Option<Head> {
        if off >= self.used {
            return None;
        }
        Head::read(self.buf.bytes().get(off..self.used)?)
    }

    /// Mark DEAD every active record other than the one at `off` with the
    /// same filter.
    fn kill_others(&mut self, off: usize) {
        let Some(me) = self.head_at(off) else {
            return;
        };
        let mut other = 0usize;
        while let Some(mut h) = self.head_at(other) {
            let next = other.saturating_add(h.size());
            if other != off
                && h.is(ACTIVE)
                && !h.is(DEAD)
                && self.filter_at(other, &h) == self.filter_at(off, &me)
            {
                h.flags |= DEAD;
                self.set_head(other, &h);
            }
            other = next;
        }
    }

    /// An UNSUBSCRIBE with id `id` for `filters` was sent: the matching
    /// records go when its UNSUBACK arrives.
    pub fn track_unsubscribe(&mut self, id: PacketId, filters: &[&[u8]]) {
        let mut off = 0usize;
        while let Some(mut h) = self.head_at(off) {
            if filters.contains(&self.filter_at(off, &h)) {
                h.unsub_pid = id.get();
                self.set_head(off, &h);
            }
            off = off.saturating_add(h.size());
        }
    }

    /// The UNSUBACK for `id` arrived.
    pub fn on_unsuback(&mut self, id: PacketId) {
        self.compact(|h| h.unsub_pid != id.get());
    }

    /// The connection ended (or a new one starts): requests in flight are
    /// void, so pending subscriptions go and active ones must be confirmed
    /// again on the next connection.
    pub fn connection_lost(&mut self) {
        self.compact(|h| {
            if !h.is(ACTIVE) {
                return false;
            }
            *h = Head {
                flags: ACTIVE,
                sub_pid: 0,
                sub_index: 0,
                unsub_pid: 0,
                ..*h
            };
            true
        });
    }

    /// The broker resumed the session (CONNACK session present): it kept
    /// the subscriptions, so none needs restoring on this connection.
    pub fn session_kept(&mut self) {
        let mut off = 0usize;
        while let Some(mut h) = self.head_at(off) {
            if h.is(ACTIVE) && h.sub_pid == 0 {
                h.flags |= DONE;
                self.set_head(off, &h);
            }
            off = off.saturating_add(h.size());
        }
    }

    /// Choose up to `max` active subscriptions not yet confirmed on this
    /// connection and not already being resubscribed, in order, calling
    /// `f` with each; returns how many. Used to build a resubscription
    /// SUBSCRIBE; [`Subscriptions::mark_resubscribe`] with the same `max`
    /// then marks the same records.
    pub fn for_resubscribe<'s>(&'s self, max: usize, mut f: impl FnMut(&'s [u8], QoS)) -> usize {
        let mut n = 0usize;
        for (off, h) in self.records() {
            if n >= max {
                break;
            }
            if h.is(ACTIVE) && !h.is(DONE) && h.sub_pid == 0 {
                f(
                    self.filter_at(off, &h),
                    QoS::from_u8(h.qos).unwrap_or(QoS::AtMostOnce),
                );
                n = n.saturating_add(1);
            }
        }
        n
    }

    /// The records [`Subscriptions::for_resubscribe`] chose were sent in the
    /// SUBSCRIBE `id`, in that order.
    pub fn mark_resubscribe(&mut self, id: PacketId, max: usize) {
        let mut n = 0usize;
        let mut off = 0usize;
        while let Some(mut h) = self.head_at(off) {
            if n >= max {
                break;
            }
            if h.is(ACTIVE) && !h.is(DONE) && h.sub_pid == 0 {
                h.sub_pid = id.get();
                h.sub_index = u16::try_from(n).unwrap_or(u16::MAX);
                h.flags |= RESUB;
                self.set_head(off, &h);
                n = n.saturating_add(1);
            }
            off = off.saturating_add(h.size());
        }
    }

    /// Keep the records for which `keep` returns true (it may change the
    /// header), dropping DEAD ones, and close the gaps.
    fn compact(&mut self, mut keep: impl FnMut(&mut Head) -> bool) {
        let (mut r, mut w) = (0usize, 0usize);
        while let Some(mut h) = self.head_at(r) {
            let size = h.size();
            let end = r.saturating_add(size);
            if end > self.used {
                break;
            }
            if !h.is(DEAD) && keep(&mut h) {
                self.set_head(r, &h);
                if w != r {
                    self.buf.bytes_mut().copy_within(r..end, w);
                }
                w = w.saturating_add(size);
            }
            r = end;
        }
        self.used = w;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A growable test buffer with a limit.
    struct Grow(heapless::Vec<u8, 512>);
    impl Buffer for Grow {
        fn bytes(&self) -> &[u8] {
            &self.0
        }
        fn bytes_mut(&mut self) -> &mut [u8] {
            &mut self.0
        }
        fn grow(&mut self, len: usize) -> bool {
            self.0.resize(len.max(self.0.len()), 0).is_ok()
        }
    }

    fn reg() -> Subscriptions<Grow> {
        Subscriptions::new(Grow(heapless::Vec::new()))
    }

    fn id(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    fn names(s: &Subscriptions<Grow>) -> heapless::Vec<&[u8], 8> {
        s.iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn granted_filters_become_subscriptions_refused_ones_do_not() {
        let mut s = reg();
        let filters: [(&[u8], QoS); 3] = [
            (b"a/#", QoS::AtLeastOnce),
            (b"b", QoS::ExactlyOnce),
            (b"c/+", QoS::AtMostOnce),
        ];
        s.track_subscribe(id(7), &filters).unwrap();
        assert!(s.is_empty(), "pending filters are not subscriptions yet");
        assert!(!s.on_suback(id(7), &[1, 0x80, 0]));
        assert_eq!(names(&s).as_slice(), &[&b"a/#"[..], b"c/+"]);
        assert_eq!(s.get(b"a/#"), Some(QoS::AtLeastOnce));
        assert_eq!(s.get(b"b"), None);
        // The requested QoS is kept (asked for again on resubscription).
        assert_eq!(s.get(b"c/+"), Some(QoS::AtMostOnce));
    }

    #[test]
    fn suback_for_another_id_changes_nothing() {
        let mut s = reg();
        s.track_subscribe(id(1), &[(b"x", QoS::AtLeastOnce)])
            .unwrap();
        s.on_suback(id(2), &[0]);
        assert!(s.is_empty());
        s.on_suback(id(1), &[1]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn resubscribing_a_filter_replaces_it_and_a_refusal_removes_it() {
        let mut s = reg();
        s.track_subscribe(id(1), &[(b"t", QoS::AtMostOnce), (b"u", QoS::AtMostOnce)])
            .unwrap();
        s.on_suback(id(1), &[0, 0]);
        s.track_subscribe(id(2), &[(b"t", QoS::ExactlyOnce)])
            .unwrap();
        // Until its SUBACK the old subscription stands.
        assert_eq!(s.get(b"t"), Some(QoS::AtMostOnce));
        s.on_suback(id(2), &[2]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(b"t"), Some(QoS::ExactlyOnce));
        s.track_subscribe(id(3), &[(b"u", QoS::AtLeastOnce)])
            .unwrap();
        s.on_suback(id(3), &[0x80]);
        assert_eq!(names(&s).as_slice(), &[&b"t"[..]]);
    }

    #[test]
    fn unsubscribe_removes_on_unsuback_only() {
        let mut s = reg();
        s.track_subscribe(id(1), &[(b"a", QoS::AtLeastOnce), (b"b", QoS::AtLeastOnce)])
            .unwrap();
        s.on_suback(id(1), &[1, 1]);
        s.track_unsubscribe(id(2), &[b"a", b"zz"]);
        assert_eq!(s.len(), 2);
        s.on_unsuback(id(9));
        assert_eq!(s.len(), 2);
        s.on_unsuback(id(2));
        assert_eq!(names(&s).as_slice(), &[&b"b"[..]]);
    }

    #[test]
    fn lost_connection_drops_pending_requests_keeps_subscriptions() {
        let mut s = reg();
        s.track_subscribe(id(1), &[(b"a", QoS::AtLeastOnce)])
            .unwrap();
        s.on_suback(id(1), &[1]);
        s.track_subscribe(id(2), &[(b"b", QoS::AtLeastOnce)])
            .unwrap();
        s.track_unsubscribe(id(3), &[b"a"]);
        s.connection_lost();
        // The ids may be reused on the next connection: stale acks must not match.
        s.on_suback(id(2), &[1]);
        s.on_unsuback(id(3));
        assert_eq!(names(&s).as_slice(), &[&b"a"[..]]);
        assert_eq!(s.used_bytes(), HEADER + 1);
    }

    type Batch = heapless::Vec<(heapless::Vec<u8, 16>, QoS), 16>;

    /// What for_resubscribe picks, copied out.
    fn batch(s: &Subscriptions<Grow>, max: usize) -> Batch {
        let mut v = Batch::new();
        let n = s.for_resubscribe(max, |f, q| {
            v.push((heapless::Vec::from_slice(f).unwrap(), q)).unwrap();
        });
        assert_eq!(n, v.len());
        v
    }

    fn filters(b: &Batch) -> heapless::Vec<&[u8], 16> {
        b.iter().map(|(f, _)| f.as_slice()).collect()
    }

    #[test]
    fn resubscription_in_batches_and_refusal_reported() {
        let mut s = reg();
        let f: [(&[u8], QoS); 5] = [
            (b"f0", QoS::AtMostOnce),
            (b"f1", QoS::AtLeastOnce),
            (b"f2", QoS::ExactlyOnce),
            (b"f3", QoS::AtLeastOnce),
            (b"f4", QoS::AtMostOnce),
        ];
        s.track_subscribe(id(1), &f).unwrap();
        s.on_suback(id(1), &[0, 1, 2, 1, 0]);
        // Granted on this connection: nothing to resubscribe.
        assert!(batch(&s, 16).is_empty());
        s.connection_lost();
        assert_eq!(filters(&batch(&s, 2)).as_slice(), &[&b"f0"[..], b"f1"]);
        s.mark_resubscribe(id(10), 2);
        let b = batch(&s, 2);
        assert_eq!(filters(&b).as_slice(), &[&b"f2"[..], b"f3"]);
        assert_eq!(b[0].1, QoS::ExactlyOnce);
        s.mark_resubscribe(id(11), 2);
        assert!(s.on_suback(id(10), &[0, 1]));
        // f2 refused now: forgotten.
        assert!(s.on_suback(id(11), &[0x80, 1]));
        assert_eq!(filters(&batch(&s, 16)).as_slice(), &[&b"f4"[..]]);
        s.mark_resubscribe(id(12), 16);
        s.on_suback(id(12), &[0]);
        assert!(batch(&s, 16).is_empty(), "all confirmed");
        assert_eq!(names(&s).as_slice(), &[&b"f0"[..], b"f1", b"f3", b"f4"]);
    }

    #[test]
    fn clear_and_disabled() {
        let mut s = reg();
        s.track_subscribe(id(1), &[(b"a", QoS::AtLeastOnce)])
            .unwrap();
        s.on_suback(id(1), &[1]);
        s.clear();
        assert!(s.is_empty());
        let mut d = Subscriptions::disabled([0u8; 0]);
        d.track_subscribe(id(1), &[(b"a", QoS::AtLeastOnce)])
            .unwrap();
        d.on_suback(id(1), &[1]);
        assert!(d.is_empty());
    }

    #[test]
    fn full_buffer_records_nothing() {
        // Exactly room for "abc" (13 bytes) and "defgh" (15 bytes).
        let mut s = Subscriptions::new([0u8; 28]);
        let two: [(&[u8], QoS); 2] = [(b"abc", QoS::AtMostOnce), (b"defgh", QoS::AtMostOnce)];
        s.track_subscribe(id(1), &two).unwrap();
        s.on_suback(id(1), &[0, 0]);
        assert_eq!(s.len(), 2);
        let r = s.track_subscribe(id(2), &[(b"x", QoS::AtMostOnce)]);
        assert_eq!(r, Err(Error::BufferTooSmall { needed: 39 }));
        assert_eq!(s.len(), 2);
        assert_eq!(s.used_bytes(), 28);
    }
}
