//! SUBSCRIBE and UNSUBSCRIBE (MQTT 3.1.1 sec 3.8, 3.10). Their
//! acknowledgements are decoded in `packet.rs`.

use super::{add_len, check_topic_filter, frame_len, str_len, PacketType, Writer};
use crate::error::{ArgError, Error};
use crate::types::{PacketId, QoS};

/// A SUBSCRIBE packet: one or more (filter, requested QoS) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscribe<'a> {
    /// Packet id the SUBACK will carry.
    pub packet_id: PacketId,
    /// Topic filters with their requested QoS; at least one.
    pub filters: &'a [(&'a [u8], QoS)],
}

/// An UNSUBSCRIBE packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe<'a> {
    /// Packet id the UNSUBACK will carry.
    pub packet_id: PacketId,
    /// Topic filters; at least one.
    pub filters: &'a [&'a [u8]],
}

/// Validate filters and sum the space each takes (`extra` bytes per filter
/// after the string).
fn filters_len<'f>(filters: impl Iterator<Item = &'f [u8]>, extra: usize) -> Result<usize, Error> {
    let mut n: usize = 2; // packet id
    let mut any = false;
    for f in filters {
        check_topic_filter(f)?;
        n = add_len(n, add_len(str_len(f)?, extra)?)?;
        any = true;
    }
    if !any {
        return Err(ArgError::NoFilters.into());
    }
    Ok(n)
}

/// Reserve exactly the frame in `out` and write its fixed header and id.
fn start<'o>(
    out: &'o mut [u8],
    kind: PacketType,
    remaining: usize,
    id: PacketId,
) -> Result<Writer<'o>, Error> {
    let total = frame_len(remaining)?;
    let dst = out
        .get_mut(..total)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let mut w = Writer::new(dst);
    w.put_header(kind.first_byte(), remaining)?;
    w.put_u16(id.get())?;
    Ok(w)
}

impl Subscribe<'_> {
    fn remaining_len(&self) -> Result<usize, Error> {
        filters_len(self.filters.iter().map(|(f, _)| *f), 1)
    }

    /// Size of the encoded packet, after validating the filters.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len()?)
    }

    /// Encode into `out` (first byte 0x82); returns the length. Nothing is
    /// written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let mut w = start(out, PacketType::Subscribe, remaining, self.packet_id)?;
        for (f, qos) in self.filters {
            w.put_str(f)?;
            w.put_u8(*qos as u8)?;
        }
        Ok(w.position())
    }
}

impl Unsubscribe<'_> {
    fn remaining_len(&self) -> Result<usize, Error> {
        filters_len(self.filters.iter().copied(), 0)
    }

    /// Size of the encoded packet, after validating the filters.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len()?)
    }

    /// Encode into `out` (first byte 0xA2); returns the length. Nothing is
    /// written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let mut w = start(out, PacketType::Unsubscribe, remaining, self.packet_id)?;
        for f in self.filters {
            w.put_str(f)?;
        }
        Ok(w.position())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    fn pid(v: u16) -> PacketId {
        PacketId::new(v).unwrap()
    }

    #[test]
    fn subscribe_bytes() {
        let filters: &[(&[u8], QoS)] = &[(b"a/+", QoS::AtLeastOnce), (b"#", QoS::ExactlyOnce)];
        let s = Subscribe {
            packet_id: pid(10),
            filters,
        };
        let mut out = [0u8; 32];
        let n = s.encode(&mut out).unwrap();
        assert_eq!(
            &out[..n],
            &[0x82, 12, 0, 10, 0, 3, b'a', b'/', b'+', 1, 0, 1, b'#', 2]
        );
        assert_eq!(s.encoded_len().unwrap(), n);
    }

    #[test]
    fn unsubscribe_bytes() {
        let filters: &[&[u8]] = &[b"a/b", b"c"];
        let u = Unsubscribe {
            packet_id: pid(0x1234),
            filters,
        };
        let mut out = [0u8; 32];
        let n = u.encode(&mut out).unwrap();
        assert_eq!(
            &out[..n],
            &[0xA2, 10, 0x12, 0x34, 0, 3, b'a', b'/', b'b', 0, 1, b'c']
        );
    }

    #[test]
    fn validation() {
        let mut out = [0u8; 32];
        let s = Subscribe {
            packet_id: pid(1),
            filters: &[],
        };
        assert_eq!(s.encode(&mut out), Err(ArgError::NoFilters.into()));
        let u = Unsubscribe {
            packet_id: pid(1),
            filters: &[],
        };
        assert_eq!(u.encode(&mut out), Err(ArgError::NoFilters.into()));
        let filters: &[(&[u8], QoS)] = &[(b"a", QoS::AtMostOnce), (b"a/#/b", QoS::AtMostOnce)];
        let s = Subscribe {
            packet_id: pid(1),
            filters,
        };
        assert_eq!(s.encode(&mut out), Err(ArgError::InvalidFilter.into()));
        let filters: &[&[u8]] = &[b""];
        let u = Unsubscribe {
            packet_id: pid(1),
            filters,
        };
        assert_eq!(u.encode(&mut out), Err(ArgError::EmptyTopic.into()));
    }

    #[test]
    fn short_buffer_writes_nothing() {
        let filters: &[(&[u8], QoS)] = &[(b"abc", QoS::AtMostOnce)];
        let s = Subscribe {
            packet_id: pid(1),
            filters,
        };
        let len = s.encoded_len().unwrap();
        let mut out = [0xEEu8; 16];
        assert_eq!(
            s.encode(&mut out[..len - 1]),
            Err(Error::BufferTooSmall { needed: len })
        );
        assert!(out.iter().all(|&b| b == 0xEE));
    }
}
