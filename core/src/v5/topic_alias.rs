//! Topic aliases (MQTT 5 sec 3.3.2.3.4): the broker's aliases for the
//! messages it sends us ([`InboundAliases`]) and ours for what we publish
//! ([`OutboundAliases`]). Both live for one network connection only
//! (3.3.2-7): reset them at every CONNACK.
//!
//! Topics are kept in a fixed byte arena of `B` bytes shared by `N`
//! aliases, so nothing is allocated.

use crate::codec::v5::{PropertyId, Publish};
use crate::error::ProtocolError;

/// Slot table over an arena: slot `i` holds `(offset, len)`, len 0 = free
/// (a topic is never empty).
#[derive(Debug, Clone)]
struct Arena<const N: usize, const B: usize> {
    bytes: [u8; B],
    used: usize,
    slots: [(usize, usize); N],
}

impl<const N: usize, const B: usize> Arena<N, B> {
    const fn new() -> Self {
        Arena {
            bytes: [0; B],
            used: 0,
            slots: [(0, 0); N],
        }
    }

    fn clear(&mut self) {
        self.used = 0;
        self.slots = [(0, 0); N];
    }

    fn get(&self, slot: usize) -> Option<&[u8]> {
        let &(off, len) = self.slots.get(slot)?;
        if len == 0 {
            return None;
        }
        self.bytes.get(off..off.saturating_add(len))
    }

    /// Free a slot and close the gap it leaves in the arena.
    fn remove(&mut self, slot: usize) {
        let Some(&(off, len)) = self.slots.get(slot) else {
            return;
        };
        if len == 0 {
            return;
        }
        let end = off.saturating_add(len);
        if end <= self.used && self.used <= B {
            self.bytes.copy_within(end..self.used, off);
        }
        self.used = self.used.saturating_sub(len);
        for s in self.slots.iter_mut() {
            if s.0 > off {
                s.0 = s.0.saturating_sub(len);
            }
        }
        if let Some(s) = self.slots.get_mut(slot) {
            *s = (0, 0);
        }
    }

    /// Store `topic` in `slot` (replacing what was there); false if the
    /// arena has no room (the slot is then free).
    fn set(&mut self, slot: usize, topic: &[u8]) -> bool {
        self.remove(slot);
        let end = self.used.saturating_add(topic.len());
        let (Some(dst), true) = (self.bytes.get_mut(self.used..end), slot < N) else {
            return false;
        };
        dst.copy_from_slice(topic);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = (self.used, topic.len());
        }
        self.used = end;
        true
    }
}

const fn max_alias(n: usize) -> u16 {
    if n > u16::MAX as usize {
        u16::MAX
    } else {
        n as u16
    }
}

/// The broker's topic aliases for one connection. Announce
/// [`InboundAliases::maximum`] as `topic_alias_maximum` in CONNECT, call
/// [`InboundAliases::reset`] when a connection starts and
/// [`InboundAliases::resolve_publish`] for every PUBLISH received.
#[derive(Debug, Clone)]
pub struct InboundAliases<const N: usize, const B: usize> {
    arena: Arena<N, B>,
}

impl<const N: usize, const B: usize> Default for InboundAliases<N, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const B: usize> InboundAliases<N, B> {
    /// An empty table.
    pub const fn new() -> Self {
        InboundAliases {
            arena: Arena::new(),
        }
    }

    /// The `topic_alias_maximum` to announce in CONNECT (`N`, capped at
    /// 65,535; 0 means the broker must not alias).
    pub const fn maximum(&self) -> u16 {
        max_alias(N)
    }

    /// Forget every alias (a new network connection).
    pub fn reset(&mut self) {
        self.arena.clear();
    }

    /// The topic of a received PUBLISH with topic name `topic` and topic
    /// alias `alias`:
    /// - no alias: `topic` (empty is `MissingTopic`, 3.3.2-1);
    /// - alias 0 or above [`InboundAliases::maximum`]: `TopicAliasInvalid`
    ///   (0x94, 3.3.2-8 and 3.3.2-9);
    /// - alias and topic: the alias now stands for `topic` (it may have
    ///   stood for another one);
    /// - alias, empty topic: the topic the alias stands for; an alias never
    ///   set on this connection is a protocol error (3.3.4).
    ///
    /// `TopicAliasNoRoom` (0x83) when the topic does not fit the arena.
    pub fn resolve<'s>(
        &'s mut self,
        topic: &'s [u8],
        alias: Option<u16>,
    ) -> Result<&'s [u8], ProtocolError> {
        let Some(alias) = alias else {
            return if topic.is_empty() {
                Err(ProtocolError::MissingTopic)
            } else {
                Ok(topic)
            };
        };
        if alias == 0 || alias > self.maximum() {
            return Err(ProtocolError::TopicAliasInvalid);
        }
        let slot = usize::from(alias).saturating_sub(1);
        if topic.is_empty() {
            return self.arena.get(slot).ok_or(ProtocolError::MissingTopic);
        }
        if self.arena.set(slot, topic) {
            Ok(topic)
        } else {
            Err(ProtocolError::TopicAliasNoRoom)
        }
    }

    /// The topic `alias` stands for now (`None`: not set, or out of range).
    pub fn get(&self, alias: u16) -> Option<&[u8]> {
        self.arena.get(usize::from(alias).checked_sub(1)?)
    }

    /// [`InboundAliases::resolve`] for a decoded PUBLISH.
    pub fn resolve_publish<'s>(&'s mut self, p: &Publish<'s>) -> Result<&'s [u8], ProtocolError> {
        let alias = p
            .properties
            .get_int(PropertyId::TopicAlias)
            .map(|a| u16::try_from(a).unwrap_or(0));
        self.resolve(p.topic, alias)
    }
}

/// How to send one PUBLISH's topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasUse {
    /// Send the topic, no alias.
    None,
    /// Send the topic and this alias: the broker learns it.
    Establish(u16),
    /// Send an empty topic and this alias.
    Reuse(u16),
}

/// Our topic aliases for one connection, up to the broker's
/// `topic_alias_maximum` and `N`. The first topics published get the
/// aliases and keep them for the connection (no eviction: stable and
/// predictable; later topics go out in full). [`OutboundAliases::reset`]
/// with the CONNACK's value at every connection: an alias never survives a
/// reconnect.
///
/// A QoS 1/2 message must be stored for resending in its full form (no
/// alias, [`crate::codec::v5::Publish::encode`]); only the first
/// transmission may use [`crate::codec::v5::Publish::encode_aliased`]. MQTT 5
/// resends only after a reconnect (4.4.0-1), when the aliases are gone.
#[derive(Debug, Clone)]
pub struct OutboundAliases<const N: usize, const B: usize> {
    arena: Arena<N, B>,
    limit: usize,
}

impl<const N: usize, const B: usize> Default for OutboundAliases<N, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const B: usize> OutboundAliases<N, B> {
    /// No aliases until [`OutboundAliases::reset`] gives a maximum.
    pub const fn new() -> Self {
        OutboundAliases {
            arena: Arena::new(),
            limit: 0,
        }
    }

    /// A new connection whose CONNACK said `topic_alias_maximum` (0 when
    /// absent): forget every alias.
    pub fn reset(&mut self, broker_maximum: u16) {
        self.arena.clear();
        self.limit = usize::from(broker_maximum).min(N);
    }

    /// How many aliases may be used on this connection.
    pub const fn limit(&self) -> usize {
        self.limit
    }

    /// The alias to use for `topic` (linear in `N`). An empty topic is
    /// never aliased.
    pub fn assign(&mut self, topic: &[u8]) -> AliasUse {
        if topic.is_empty() {
            return AliasUse::None;
        }
        let mut free = None;
        for slot in 0..self.limit {
            match self.arena.get(slot) {
                Some(t) if t == topic => return AliasUse::Reuse(alias_of(slot)),
                None if free.is_none() => free = Some(slot),
                _ => {}
            }
        }
        match free {
            Some(slot) if self.arena.set(slot, topic) => AliasUse::Establish(alias_of(slot)),
            _ => AliasUse::None,
        }
    }
}

/// Slot `i` is alias `i + 1`; slots are fewer than 65,536.
fn alias_of(slot: usize) -> u16 {
    u16::try_from(slot.saturating_add(1)).unwrap_or(u16::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use ProtocolError as E;

    #[test]
    fn inbound_resolve_and_replace() {
        let mut t = InboundAliases::<3, 16>::new();
        assert_eq!(t.maximum(), 3);
        assert_eq!(t.resolve(b"a/b", None), Ok(&b"a/b"[..]));
        assert_eq!(t.resolve(b"", None), Err(E::MissingTopic));
        assert_eq!(t.resolve(b"a/b", Some(1)), Ok(&b"a/b"[..]));
        assert_eq!(t.resolve(b"cc", Some(2)), Ok(&b"cc"[..]));
        assert_eq!(t.resolve(b"", Some(1)), Ok(&b"a/b"[..]));
        assert_eq!(t.resolve(b"", Some(2)), Ok(&b"cc"[..]));
        // Alias 1 now stands for another topic; alias 2 is unharmed by the
        // arena compaction.
        assert_eq!(
            t.resolve(b"longer/topic", Some(1)),
            Ok(&b"longer/topic"[..])
        );
        assert_eq!(t.resolve(b"", Some(1)), Ok(&b"longer/topic"[..]));
        assert_eq!(t.resolve(b"", Some(2)), Ok(&b"cc"[..]));
        assert_eq!(t.resolve(b"", Some(3)), Err(E::MissingTopic));
    }

    #[test]
    fn inbound_invalid_aliases() {
        let mut t = InboundAliases::<2, 16>::new();
        // 3.3.2-8: alias 0; 3.3.2-9: above the maximum we announced.
        assert_eq!(t.resolve(b"x", Some(0)), Err(E::TopicAliasInvalid));
        assert_eq!(t.resolve(b"x", Some(3)), Err(E::TopicAliasInvalid));
        assert_eq!(E::TopicAliasInvalid.reason_code(), 0x94);
        let mut none = InboundAliases::<0, 0>::new();
        assert_eq!(none.maximum(), 0);
        assert_eq!(none.resolve(b"x", Some(1)), Err(E::TopicAliasInvalid));
    }

    #[test]
    fn inbound_no_room_and_reset() {
        let mut t = InboundAliases::<2, 8>::new();
        assert!(t.resolve(b"12345", Some(1)).is_ok());
        assert_eq!(t.resolve(b"6789", Some(2)), Err(E::TopicAliasNoRoom));
        assert_eq!(t.resolve(b"", Some(1)), Ok(&b"12345"[..]));
        t.reset();
        // 3.3.2-7: aliases do not outlive the connection.
        assert_eq!(t.resolve(b"", Some(1)), Err(E::MissingTopic));
        assert!(t.resolve(b"6789", Some(2)).is_ok());
    }

    #[test]
    fn outbound_assign() {
        let mut a = OutboundAliases::<4, 32>::new();
        assert_eq!(a.assign(b"t/1"), AliasUse::None, "no maximum yet");
        a.reset(2);
        assert_eq!(a.limit(), 2);
        assert_eq!(a.assign(b"t/1"), AliasUse::Establish(1));
        assert_eq!(a.assign(b"t/1"), AliasUse::Reuse(1));
        assert_eq!(a.assign(b"t/2"), AliasUse::Establish(2));
        assert_eq!(a.assign(b"t/3"), AliasUse::None, "broker allows 2");
        assert_eq!(a.assign(b"t/2"), AliasUse::Reuse(2));
        assert_eq!(a.assign(b""), AliasUse::None);
        // A reconnect forgets every alias, even with the same maximum.
        a.reset(2);
        assert_eq!(a.assign(b"t/2"), AliasUse::Establish(1));
        a.reset(0);
        assert_eq!(a.assign(b"t/2"), AliasUse::None);
        // Our own capacity caps a generous broker.
        a.reset(1000);
        assert_eq!(a.limit(), 4);
        let mut small = OutboundAliases::<4, 4>::new();
        small.reset(10);
        assert_eq!(small.assign(b"12345"), AliasUse::None, "arena too small");
        assert_eq!(small.assign(b"1234"), AliasUse::Establish(1));
    }
}
