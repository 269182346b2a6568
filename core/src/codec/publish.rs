//! PUBLISH (MQTT 3.1.1 sec 3.3).

use super::{add_len, check_topic_name, frame_len, str_len, PacketType, Writer};
use crate::error::{ArgError, Error};
use crate::types::{PacketId, QoS};

/// DUP flag in the first byte of a PUBLISH.
const DUP: u8 = 0x08;
const RETAIN: u8 = 0x01;

/// A PUBLISH packet, outbound (encoded by the client) or inbound (a zero-copy
/// view of a frame returned by [`super::decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Topic name.
    pub topic: &'a [u8],
    /// Application message.
    pub payload: &'a [u8],
    /// Delivery QoS.
    pub qos: QoS,
    /// Retained message.
    pub retain: bool,
    /// Retransmission of an earlier attempt (QoS > 0 only).
    pub dup: bool,
    /// Packet id; `Some` exactly when `qos` is above 0.
    pub packet_id: Option<PacketId>,
}

pub(crate) const fn qos_bits(qos: QoS) -> u8 {
    match qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce => 0x02,
        QoS::ExactlyOnce => 0x04,
    }
}

/// First byte of a PUBLISH with these flags (both versions).
pub(crate) const fn first_byte(qos: QoS, dup: bool, retain: bool) -> u8 {
    let mut b = (PacketType::Publish as u8) << 4 | qos_bits(qos);
    if dup {
        b |= DUP;
    }
    if retain {
        b |= RETAIN;
    }
    b
}

impl Publish<'_> {
    fn remaining_len(&self) -> Result<usize, Error> {
        check_topic_name(self.topic)?;
        let id_ok = match self.qos {
            QoS::AtMostOnce => self.packet_id.is_none() && !self.dup,
            QoS::AtLeastOnce | QoS::ExactlyOnce => self.packet_id.is_some(),
        };
        if !id_ok {
            return Err(ArgError::PacketIdMismatch.into());
        }
        let mut n = str_len(self.topic)?;
        if self.packet_id.is_some() {
            n = add_len(n, 2)?;
        }
        // MQTT 5: properties go here.
        add_len(n, self.payload.len())
    }

    fn first_byte(&self) -> u8 {
        first_byte(self.qos, self.dup, self.retain)
    }

    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len()?)
    }

    /// Encode into `out`; returns the length. Nothing is written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let total = frame_len(remaining)?;
        let dst = out
            .get_mut(..total)
            .ok_or(Error::BufferTooSmall { needed: total })?;
        let mut w = Writer::new(dst);
        w.put_header(self.first_byte(), remaining)?;
        w.put_str(self.topic)?;
        if let Some(id) = self.packet_id {
            w.put_u16(id.get())?;
        }
        w.put_bytes(self.payload)?;
        Ok(w.position())
    }
}

/// Set the DUP flag of an encoded PUBLISH frame in place (for
/// retransmission). Frames that are not a QoS 1/2 PUBLISH are left alone.
pub fn set_dup(frame: &mut [u8]) {
    if let Some(b) = frame.first_mut() {
        if PacketType::from_first_byte(*b) == Some(PacketType::Publish) && *b & 0x06 != 0 {
            *b |= DUP;
        }
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

    fn id(v: u16) -> Option<PacketId> {
        PacketId::new(v)
    }

    #[test]
    fn qos0_bytes() {
        let p = Publish {
            topic: b"a/b",
            payload: b"hi",
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
        };
        let mut out = [0u8; 16];
        let n = p.encode(&mut out).unwrap();
        assert_eq!(&out[..n], &[0x30, 7, 0, 3, b'a', b'/', b'b', b'h', b'i']);
        assert_eq!(p.encoded_len().unwrap(), n);
    }

    #[test]
    fn qos1_retain_dup_bytes() {
        let p = Publish {
            topic: b"t",
            payload: b"",
            qos: QoS::AtLeastOnce,
            retain: true,
            dup: true,
            packet_id: id(0x0102),
        };
        let mut out = [0u8; 16];
        let n = p.encode(&mut out).unwrap();
        assert_eq!(&out[..n], &[0x3B, 5, 0, 1, b't', 1, 2]);
    }

    #[test]
    fn qos2_and_two_byte_varint() {
        let payload = [7u8; 200];
        let p = Publish {
            topic: b"t",
            payload: &payload,
            qos: QoS::ExactlyOnce,
            retain: false,
            dup: false,
            packet_id: id(9),
        };
        let mut out = [0u8; 256];
        let n = p.encode(&mut out).unwrap();
        // remaining = 3 + 2 + 200 = 205 = 0xCD -> varint CD 01
        assert_eq!(&out[..7], &[0x34, 0xCD, 0x01, 0, 1, b't', 0]);
        assert_eq!(out[7], 9);
        assert_eq!(n, 208);
    }

    #[test]
    fn validation() {
        let ok = Publish {
            topic: b"t",
            payload: b"",
            qos: QoS::AtLeastOnce,
            retain: false,
            dup: false,
            packet_id: id(1),
        };
        let mut out = [0u8; 64];
        let bad = |p: Publish| p.encoded_len().unwrap_err();
        assert_eq!(
            bad(Publish {
                packet_id: None,
                ..ok
            }),
            ArgError::PacketIdMismatch.into()
        );
        assert_eq!(
            bad(Publish {
                qos: QoS::AtMostOnce,
                ..ok
            }),
            ArgError::PacketIdMismatch.into()
        );
        assert_eq!(
            bad(Publish {
                qos: QoS::AtMostOnce,
                packet_id: None,
                dup: true,
                ..ok
            }),
            ArgError::PacketIdMismatch.into()
        );
        assert_eq!(
            bad(Publish { topic: b"", ..ok }),
            ArgError::EmptyTopic.into()
        );
        assert_eq!(
            bad(Publish {
                topic: b"a/+",
                ..ok
            }),
            ArgError::WildcardInTopic.into()
        );
        assert_eq!(
            bad(Publish { topic: b"#", ..ok }),
            ArgError::WildcardInTopic.into()
        );
        assert_eq!(
            bad(Publish {
                topic: b"\xc3",
                ..ok
            }),
            ArgError::InvalidUtf8.into()
        );
        assert!(ok.encode(&mut out).is_ok());
    }

    #[test]
    fn short_buffer_writes_nothing() {
        let p = Publish {
            topic: b"abc",
            payload: b"xyz",
            qos: QoS::ExactlyOnce,
            retain: false,
            dup: false,
            packet_id: id(3),
        };
        let len = p.encoded_len().unwrap();
        let mut out = [0x55u8; 32];
        assert_eq!(
            p.encode(&mut out[..len - 1]),
            Err(Error::BufferTooSmall { needed: len })
        );
        assert!(out.iter().all(|&b| b == 0x55));
    }

    #[test]
    fn set_dup_only_on_qos_publish() {
        let mut f = [0x32u8, 0];
        set_dup(&mut f);
        assert_eq!(f[0], 0x3A);
        let mut f = [0x30u8, 0];
        set_dup(&mut f);
        assert_eq!(f[0], 0x30);
        let mut f = [0x62u8, 2, 0, 1];
        set_dup(&mut f);
        assert_eq!(f[0], 0x62);
        set_dup(&mut []);
    }
}
