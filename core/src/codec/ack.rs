//! Fixed-size client packets: PUBACK, PUBREC, PUBREL, PUBCOMP (sec 3.4-3.7),
//! PINGREQ (3.12) and DISCONNECT (3.14).

use super::PacketType;
use crate::error::{ArgError, Error};
use crate::types::PacketId;

/// Copy a short fixed packet into `out`.
fn put(bytes: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let dst = out.get_mut(..bytes.len()).ok_or(Error::BufferTooSmall {
        needed: bytes.len(),
    })?;
    dst.copy_from_slice(bytes);
    Ok(bytes.len())
}

/// Encode a PUBACK, PUBREC, PUBREL (flags 0b0010) or PUBCOMP for `id`;
/// always 4 bytes. Any other `kind` is `InvalidArgument(NotAnAck)`.
pub fn encode_ack(kind: PacketType, id: PacketId, out: &mut [u8]) -> Result<usize, Error> {
    match kind {
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {}
        _ => return Err(ArgError::NotAnAck.into()),
    }
    let [hi, lo] = id.get().to_be_bytes();
    put(&[kind.first_byte(), 2, hi, lo], out)
}

/// Encode a PINGREQ (2 bytes).
pub fn encode_pingreq(out: &mut [u8]) -> Result<usize, Error> {
    put(&[PacketType::PingReq.first_byte(), 0], out)
}

/// Encode a DISCONNECT (2 bytes).
pub fn encode_disconnect(out: &mut [u8]) -> Result<usize, Error> {
    put(&[PacketType::Disconnect.first_byte(), 0], out)
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

    #[test]
    fn ack_bytes() {
        let id = PacketId::new(0xABCD).unwrap();
        let mut out = [0u8; 4];
        for (kind, first) in [
            (PacketType::PubAck, 0x40),
            (PacketType::PubRec, 0x50),
            (PacketType::PubRel, 0x62),
            (PacketType::PubComp, 0x70),
        ] {
            assert_eq!(encode_ack(kind, id, &mut out), Ok(4));
            assert_eq!(out, [first, 2, 0xAB, 0xCD]);
        }
        assert_eq!(
            encode_ack(PacketType::SubAck, id, &mut out),
            Err(ArgError::NotAnAck.into())
        );
        let mut short = [0u8; 3];
        assert_eq!(
            encode_ack(PacketType::PubAck, id, &mut short),
            Err(Error::BufferTooSmall { needed: 4 })
        );
        assert_eq!(short, [0; 3]);
    }

    #[test]
    fn ping_and_disconnect_bytes() {
        let mut out = [0u8; 2];
        assert_eq!(encode_pingreq(&mut out), Ok(2));
        assert_eq!(out, [0xC0, 0]);
        assert_eq!(encode_disconnect(&mut out), Ok(2));
        assert_eq!(out, [0xE0, 0]);
        assert_eq!(
            encode_pingreq(&mut out[..1]),
            Err(Error::BufferTooSmall { needed: 2 })
        );
    }
}
