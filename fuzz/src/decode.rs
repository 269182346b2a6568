//! Decode target: `codec::decode` on an arbitrary frame. Every packet it
//! accepts must have a well-formed header and valid fields, and must
//! re-encode to the same bytes: with the client's own encoders for PUBLISH
//! and the four acks, by hand for the packets only a server sends. The
//! same input is also read as a PUBLISH/SUBSCRIBE to encode and decode
//! back, so the encoders see arbitrary topics and payloads too.

use umqtt_core::codec::{
    check_topic_filter, check_topic_name, decode, decode_varint, encode_ack, encode_varint, Packet,
    PacketType, Publish, Subscribe, Unsubscribe, MAX_REMAINING_LEN,
};
use umqtt_core::{ArgError, Error, PacketId, ProtocolVersion, QoS};

use crate::{minimal_varint_len, parse_header, Input};

const V: ProtocolVersion = ProtocolVersion::V311;

fn ack(first: u8, id: PacketId) -> Vec<u8> {
    let [hi, lo] = id.get().to_be_bytes();
    vec![first, 2, hi, lo]
}

/// Canonical bytes of an accepted packet, and whether the input's DUP flag
/// had to be dropped (QoS 0 with DUP is tolerated on input, never sent).
fn reencode(p: &Packet<'_>) -> (Vec<u8>, bool) {
    let mut out = vec![0u8; 16];
    let client_ack = |kind: PacketType, id: PacketId, out: &mut Vec<u8>| {
        let n = encode_ack(kind, id, out).expect("encode_ack failed");
        assert_eq!(n, 4);
        out.truncate(n);
        out.clone()
    };
    match *p {
        Packet::Publish(m) => {
            assert!(check_topic_name(m.topic).is_ok(), "decoded a bad topic");
            assert_eq!(m.packet_id.is_some(), m.qos != QoS::AtMostOnce);
            let qos0_dup = m.qos == QoS::AtMostOnce && m.dup;
            let m = if qos0_dup {
                assert_eq!(
                    m.encoded_len(),
                    Err(ArgError::PacketIdMismatch.into()),
                    "the encoder must refuse DUP on QoS 0"
                );
                Publish { dup: false, ..m }
            } else {
                m
            };
            let len = m.encoded_len().expect("decoded PUBLISH does not encode");
            out.resize(len, 0);
            assert_eq!(m.encode(&mut out), Ok(len));
            (out, qos0_dup)
        }
        Packet::PubAck(id) => (client_ack(PacketType::PubAck, id, &mut out), false),
        Packet::PubRec(id) => (client_ack(PacketType::PubRec, id, &mut out), false),
        Packet::PubRel(id) => (client_ack(PacketType::PubRel, id, &mut out), false),
        Packet::PubComp(id) => (client_ack(PacketType::PubComp, id, &mut out), false),
        Packet::UnsubAck(id) => (ack(0xB0, id), false),
        Packet::PingResp => (vec![0xD0, 0], false),
        Packet::ConnAck {
            session_present,
            return_code,
        } => {
            assert!(return_code <= 5 && !(session_present && return_code != 0));
            (vec![0x20, 2, u8::from(session_present), return_code], false)
        }
        Packet::SubAck {
            packet_id,
            return_codes,
        } => {
            assert!(!return_codes.is_empty());
            assert!(return_codes.iter().all(|c| matches!(c, 0 | 1 | 2 | 0x80)));
            let mut f = vec![0x90];
            let mut v = [0u8; 4];
            let n = encode_varint(2 + return_codes.len(), &mut v).expect("varint");
            f.extend_from_slice(&v[..n]);
            f.extend_from_slice(&packet_id.get().to_be_bytes());
            f.extend_from_slice(return_codes);
            (f, false)
        }
    }
}

/// Check a frame `decode` accepted.
fn check_accepted(data: &[u8], p: &Packet<'_>) {
    let (first, rl, header) = parse_header(data)
        .ok()
        .flatten()
        .expect("decode accepted a frame without a whole fixed header");
    assert_eq!(header + rl, data.len(), "remaining length does not match");
    assert_eq!(PacketType::from_first_byte(first), Some(p.packet_type()));
    // Fixed-header flags from MQTT 3.1.1 table 2.2, written out here rather
    // than taken from the codec (whose encoder shares its table).
    let required = match p {
        Packet::Publish(_) => None,
        Packet::PubRel(_) => Some(0x62),
        Packet::ConnAck { .. } => Some(0x20),
        Packet::PubAck(_) => Some(0x40),
        Packet::PubRec(_) => Some(0x50),
        Packet::PubComp(_) => Some(0x70),
        Packet::SubAck { .. } => Some(0x90),
        Packet::UnsubAck(_) => Some(0xB0),
        Packet::PingResp => Some(0xD0),
    };
    if let Some(required) = required {
        assert_eq!(
            first, required,
            "decoded a packet with wrong fixed-header flags"
        );
    } else {
        assert_eq!(first >> 4, 3);
        assert_ne!(first & 0x06, 0x06, "decoded a QoS 3 PUBLISH");
    }

    let (canon, dropped_dup) = reencode(p);
    let (cfirst, crl, cheader) = parse_header(&canon)
        .ok()
        .flatten()
        .expect("re-encoded frame has a bad header");
    let want_first = if dropped_dup { first & !0x08 } else { first };
    assert_eq!(cfirst, want_first, "first byte differs after re-encoding");
    assert_eq!(crl, rl, "remaining length differs after re-encoding");
    assert_eq!(
        cheader,
        1 + minimal_varint_len(rl),
        "encoder used a long varint"
    );
    assert_eq!(
        &canon[cheader..],
        &data[header..],
        "body differs after re-encoding"
    );
    if header == cheader && !dropped_dup {
        assert_eq!(canon, data);
    }
    // And the canonical form decodes to the same packet.
    let again = decode(&canon, V).expect("re-encoded frame does not decode");
    match (again, *p) {
        (Packet::Publish(a), Packet::Publish(b)) if dropped_dup => {
            assert_eq!(a, Publish { dup: false, ..b })
        }
        (a, b) => assert_eq!(a, b),
    }
}

/// The remaining-length varint alone: decode then encode gives the
/// minimal form of the same value.
fn check_varint(data: &[u8]) {
    match decode_varint(data) {
        Ok(Some((value, used))) => {
            assert!((1..=4).contains(&used) && value <= MAX_REMAINING_LEN);
            let mut out = [0u8; 4];
            let n = encode_varint(value, &mut out).expect("varint does not encode");
            assert_eq!(n, minimal_varint_len(value));
            assert_eq!(decode_varint(&out[..n]), Ok(Some((value, n))));
        }
        Ok(None) => assert!(data.len() < 4 && data.iter().all(|b| b & 0x80 != 0)),
        Err(_) => assert!(data.len() >= 4 && data[..4].iter().all(|b| b & 0x80 != 0)),
    }
}

/// Read the input as PUBLISH / SUBSCRIBE / UNSUBSCRIBE fields, encode, and
/// decode what can be decoded.
fn check_encoders(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let tlen = usize::from(input.byte());
    let topic = input.take(tlen);
    let payload = input.rest();
    let qos = QoS::from_u8(flags & 3).unwrap_or(QoS::AtMostOnce);
    let id =
        PacketId::new(u16::from(flags) << 8 | tlen as u16).unwrap_or(PacketId::new(1).unwrap());
    let m = Publish {
        topic,
        payload,
        qos,
        retain: flags & 4 != 0,
        dup: flags & 8 != 0 && qos != QoS::AtMostOnce,
        packet_id: (qos != QoS::AtMostOnce).then_some(id),
    };
    let mut out = vec![0u8; data.len() + 16];
    match m.encode(&mut out) {
        Ok(n) => {
            assert_eq!(m.encoded_len(), Ok(n));
            assert_eq!(decode(&out[..n], V), Ok(Packet::Publish(m)));
        }
        Err(Error::InvalidArgument(e)) => {
            assert_eq!(check_topic_name(topic), Err(e), "PUBLISH refused for {e:?}");
        }
        Err(e) => panic!("PUBLISH encode: {e:?}"),
    }
    // Client-to-server packets: a server never sends them, so decode must
    // call them unexpected, and their length must be right.
    let sub = Subscribe {
        packet_id: id,
        filters: &[(topic, qos)],
    };
    let unsub = Unsubscribe {
        packet_id: id,
        filters: &[topic],
    };
    // (result, encoded_len, remaining length, first byte)
    for which in 0..2 {
        let (r, len, remaining, first) = if which == 0 {
            (
                sub.encode(&mut out),
                sub.encoded_len(),
                topic.len() + 5,
                0x82,
            )
        } else {
            (
                unsub.encode(&mut out),
                unsub.encoded_len(),
                topic.len() + 4,
                0xA2,
            )
        };
        match r {
            Ok(n) => {
                assert_eq!(len, Ok(n));
                assert_eq!(n, 1 + minimal_varint_len(remaining) + remaining);
                assert_eq!(out[0], first);
                assert_eq!(
                    decode(&out[..n], V),
                    Err(umqtt_core::ProtocolError::UnexpectedPacket)
                );
            }
            Err(Error::InvalidArgument(e)) => {
                assert_eq!(check_topic_filter(topic), Err(e));
            }
            Err(e) => panic!("SUBSCRIBE/UNSUBSCRIBE encode: {e:?}"),
        }
    }
}

/// The harness.
pub fn run(data: &[u8]) {
    let r = decode(data, V);
    assert_eq!(r, decode(data, V), "decode is not deterministic");
    if let Ok(p) = r {
        check_accepted(data, &p);
    }
    if let Some(rest) = data.get(1..) {
        check_varint(rest);
    }
    check_encoders(data);
}
